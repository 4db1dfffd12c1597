// The commands: New Function, Run, Debug, Invoke with Event, Record, Replay Tape, Serve.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findNimbus, MissingProgram } from '../logic/executables';
import { FunctionConfigError, readFunctionConfig, type Runtime } from '../logic/functionConfig';
import { runArguments } from '../logic/launch';
import { invokeArguments, EVENT_KINDS, recordArguments, serveArguments, tapeName } from '../logic/commandLines';
import { httpAddress, isReadyLine } from '../logic/output';
import { isTapeHeader } from '../logic/replay';
import { checkFunctionName, newFunctionFiles } from '../logic/templates';
import { run, start, type Channel, type Started } from './processes';
import type { ReplayTests } from './replayTests';
import { chooseFunction, settings, workspaceFolders } from './workspace';

export class Commands {
  private served?: { started: Started; url?: string; ready?: boolean; functionFile: string };

  constructor(
    private readonly channel: Channel,
    private readonly tests: ReplayTests,
  ) {}

  register(): vscode.Disposable[] {
    const guarded = (f: (arg?: unknown) => Promise<unknown>) => async (arg?: unknown) => {
      try {
        await f(arg);
      } catch (e) {
        if (e instanceof MissingProgram || e instanceof FunctionConfigError) {
          void vscode.window.showErrorMessage(`Nimbus: ${e.message}`);
          return;
        }
        throw e;
      }
    };
    return [
      vscode.commands.registerCommand('nimbus.newFunction', guarded(() => this.newFunction())),
      vscode.commands.registerCommand('nimbus.runFunction', guarded((a) => this.runFunction(a))),
      vscode.commands.registerCommand('nimbus.debugFunction', guarded((a) => this.debugFunction(a))),
      vscode.commands.registerCommand('nimbus.invoke', guarded((a) => this.invoke(a))),
      vscode.commands.registerCommand('nimbus.record', guarded((a) => this.record(a))),
      vscode.commands.registerCommand('nimbus.replay', guarded((a) => this.replay(a))),
      vscode.commands.registerCommand('nimbus.serve', guarded((a) => this.serve(a))),
      vscode.commands.registerCommand('nimbus.stopServe', guarded(async () => this.stopServe())),
      { dispose: () => this.stopServe() },
    ];
  }

  private nimbus(): string {
    return findNimbus(settings().executable, workspaceFolders());
  }

  async newFunction(): Promise<string | undefined> {
    const runtime = await vscode.window.showQuickPick(
      [
        { label: 'C++', runtime: 'cpp' as Runtime },
        { label: 'Python', runtime: 'python' as Runtime },
      ],
      { placeHolder: 'The new function is written in' },
    );
    if (!runtime) return undefined;
    const name = await vscode.window.showInputBox({ prompt: "The function's name", value: 'hello', validateInput: (v) => checkFunctionName(v) });
    if (!name) return undefined;
    const root = workspaceFolders()[0];
    if (!root) {
      void vscode.window.showErrorMessage('Nimbus: open a folder first; the new function goes into it');
      return undefined;
    }
    const folder = path.join(root, name);
    if (fs.existsSync(folder)) {
      void vscode.window.showErrorMessage(`Nimbus: ${folder} exists already`);
      return undefined;
    }
    const files = newFunctionFiles(runtime.runtime, name);
    for (const [relative, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(folder, relative)), { recursive: true });
      fs.writeFileSync(path.join(folder, relative), content);
    }
    const handler = Object.keys(files).find((f) => f.endsWith('.cpp') && !f.endsWith('_test.cpp')) ?? 'main.py';
    await vscode.window.showTextDocument(vscode.Uri.file(path.join(folder, handler)));
    return folder;
  }

  /** `nimbus run` on the function's events/; without one, on its own triggers until Stop Serving. */
  async runFunction(arg?: unknown): Promise<number | null | string | undefined> {
    const file = await chooseFunction(arg);
    if (!file) return undefined;
    readFunctionConfig(file);
    const events = path.join(path.dirname(file), 'events');
    if (!fs.existsSync(events)) return this.keepRunning(file, [...runArguments({ function: file, triggers: true }, { json: true }), '--port', '0'], 'runs on its triggers');
    this.channel.show(true);
    const done = await run({ command: this.nimbus(), args: runArguments({ function: file, event: events + path.sep }, { json: true }), cwd: path.dirname(file) }, this.channel);
    return done.code;
  }

  async debugFunction(arg?: unknown): Promise<boolean> {
    const file = await chooseFunction(arg);
    if (!file) return false;
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file));
    return vscode.debug.startDebugging(folder, { type: 'nimbus', request: 'launch', name: `Debug ${path.basename(path.dirname(file))}`, function: file });
  }

  /** An event file of the function's events/, or one written by `nimbus events new`. */
  private async pickEvent(functionFile: string): Promise<string | undefined> {
    const folder = path.join(path.dirname(functionFile), 'events');
    const existing = fs.existsSync(folder) ? fs.readdirSync(folder).filter((f) => /\.(json|ndjson|jsonl)$/.test(f)).sort() : [];
    const generate = 'New event file…';
    const picked = await vscode.window.showQuickPick([...existing, generate], { placeHolder: 'Which event?' });
    if (!picked) return undefined;
    if (picked !== generate) return path.join(folder, picked);
    const kind = await vscode.window.showQuickPick([...EVENT_KINDS], { placeHolder: 'What kind of event?' });
    if (!kind) return undefined;
    fs.mkdirSync(folder, { recursive: true });
    const file = path.join(folder, `${kind}.json`);
    const done = await run({ command: this.nimbus(), args: ['events', 'new', kind, '-o', file] }, this.channel);
    if (done.code !== 0) {
      void vscode.window.showErrorMessage(`Nimbus: nimbus events new ${kind} failed: ${done.stderr.trim()}`);
      return undefined;
    }
    await vscode.window.showTextDocument(vscode.Uri.file(file));
    return file;
  }

  async invoke(arg?: unknown): Promise<number | null | undefined> {
    const file = await chooseFunction(arg);
    if (!file) return undefined;
    const event = await this.pickEvent(file);
    if (!event) return undefined;
    const url = this.served?.url ?? settings().serveUrl;
    this.channel.show(true);
    const done = await run({ command: this.nimbus(), args: invokeArguments(url, event), cwd: path.dirname(file) }, this.channel);
    if (done.code === 2) void vscode.window.showErrorMessage(`Nimbus: ${done.stderr.trim()}`);
    return done.code;
  }

  async record(arg?: unknown): Promise<string | undefined> {
    const file = await chooseFunction(arg);
    if (!file) return undefined;
    const tape = path.join(path.dirname(file), 'tapes', tapeName(new Date()));
    fs.mkdirSync(path.dirname(tape), { recursive: true });
    this.channel.show(true);
    const done = await run({ command: this.nimbus(), args: recordArguments(file, tape), cwd: path.dirname(file) }, this.channel);
    if (!fs.existsSync(tape)) {
      void vscode.window.showErrorMessage(`Nimbus: nothing was recorded: ${done.stderr.trim()}`);
      return undefined;
    }
    void vscode.window.showInformationMessage(`Nimbus: recorded ${vscode.workspace.asRelativePath(tape)}`);
    return tape;
  }

  async replay(arg?: unknown): Promise<unknown> {
    let tape = arg instanceof vscode.Uri ? arg.fsPath : typeof arg === 'string' ? arg : undefined;
    if (!tape) {
      const candidates = (await vscode.workspace.findFiles('**/*.ndjson', '**/node_modules/**', 200)).filter((u) => {
        const first = fs.readFileSync(u.fsPath, 'utf8').split('\n', 1)[0];
        return isTapeHeader(first);
      });
      if (candidates.length === 0) {
        void vscode.window.showErrorMessage('Nimbus: no tape in this workspace; record one with "Nimbus: Record"');
        return undefined;
      }
      const picked = await vscode.window.showQuickPick(
        candidates.map((u) => ({ label: vscode.workspace.asRelativePath(u), file: u.fsPath })),
        { placeHolder: 'Which tape?' },
      );
      if (!picked) return undefined;
      tape = picked.file;
    }
    const file = await chooseFunction(vscode.Uri.file(tape));
    if (!file) {
      void vscode.window.showErrorMessage(`Nimbus: no function.yaml beside or above ${tape} to replay it against`);
      return undefined;
    }
    return this.tests.replay(tape, file);
  }

  async serve(arg?: unknown): Promise<string | undefined> {
    const file = await chooseFunction(arg);
    if (!file) return undefined;
    return this.keepRunning(file, serveArguments(file), 'is served');
  }

  /** A function that keeps running (nimbus serve, or nimbus run on triggers) until Stop Serving; Invoke sends to its HTTP address. */
  private keepRunning(file: string, args: string[], what: string): Promise<string | undefined> {
    this.stopServe();
    this.channel.show(true);
    return new Promise((resolve) => {
      const started = start({ command: this.nimbus(), args, cwd: path.dirname(file) }, this.channel, (line, stream) => {
        // The ready line: where it answers HTTP, if it has an HTTP trigger.
        if (stream !== 'stdout' || !this.served || this.served.ready || !isReadyLine(line)) return;
        const url = httpAddress(line);
        this.served.ready = true;
        this.served.url = url;
        void vscode.window.showInformationMessage(`Nimbus: ${path.basename(path.dirname(file))} ${what}${url ? ` on ${url}` : ''}; "Nimbus: Stop Serving" stops it`);
        resolve(url);
      });
      this.served = { started, functionFile: file };
      void started.done.then(({ code, stderr }) => {
        if (this.served?.started === started) this.served = undefined;
        if (code !== 0 && code !== null) void vscode.window.showErrorMessage(`Nimbus: nimbus ${args[0]} ended (exit ${code}): ${stderr.trim().split('\n').pop() ?? ''}`);
        resolve(undefined);
      });
    });
  }

  stopServe(): void {
    const served = this.served;
    this.served = undefined;
    if (served && served.started.child.exitCode === null) served.started.child.kill('SIGTERM');
  }
}
