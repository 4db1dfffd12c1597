// The `nimbus` debug type: launch configurations filled from the open function.yaml, and the
// debug adapter each session needs (the CDT adapter over gdb, cppdbg, or debugpy's own).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { debugpyMissing, findGdb, findNimbus, MissingProgram } from '../logic/executables';
import { FunctionConfigError, readFunctionConfig } from '../logic/functionConfig';
import { gdbAdapterScript, LaunchError, planDebug, resolveLaunch, type Command, type DebugPlan, type NimbusLaunchConfig } from '../logic/launch';
import { debugpyListening } from '../logic/output';
import { freePort } from '../logic/ports';
import { run, start, type Channel, type Started } from './processes';
import { nearestFunction, settings, workspaceFolders } from './workspace';

/** Sessions being set up: the plan each one's adapter comes from, and the emulator it started. */
class Sessions {
  private next = 1;
  readonly plans = new Map<string, DebugPlan>();
  readonly emulators = new Map<string, Started>();
  add(plan: DebugPlan): string {
    const id = `nimbus-${this.next++}`;
    this.plans.set(id, plan);
    return id;
  }
  end(id: string): void {
    this.plans.delete(id);
    const emulator = this.emulators.get(id);
    this.emulators.delete(id);
    if (emulator && emulator.child.exitCode === null) emulator.child.kill('SIGTERM');
  }
}

const SESSION_KEY = '__nimbusSession';

export class NimbusDebugging implements vscode.DebugConfigurationProvider, vscode.DebugAdapterDescriptorFactory {
  private readonly sessions = new Sessions();

  constructor(
    private readonly extensionRoot: string,
    private readonly channel: Channel,
  ) {}

  /** The configurations launch.json is offered: one per function.yaml of the workspace. */
  async provideDebugConfigurations(): Promise<vscode.DebugConfiguration[]> {
    const files = await vscode.workspace.findFiles('**/function.yaml', '**/node_modules/**', 50);
    return files.map((uri) => {
      const folder = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath ?? path.dirname(uri.fsPath);
      const relative = path.relative(folder, uri.fsPath);
      return { type: 'nimbus', request: 'launch', name: `Debug ${path.dirname(relative) === '.' ? path.basename(folder) : path.dirname(relative)}`, function: `\${workspaceFolder}/${relative}` };
    });
  }

  /** F5 without launch.json: the function of the open file. */
  resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.DebugConfiguration | undefined {
    if (config.type || config.request || config.name) return config;
    const file = nearestFunction(vscode.window.activeTextEditor?.document.uri.fsPath);
    if (!file) {
      void vscode.window.showErrorMessage('Nimbus: open a function.yaml or a handler of one to debug it');
      return undefined;
    }
    return { type: 'nimbus', request: 'launch', name: `Debug ${path.basename(path.dirname(file))}`, function: file };
  }

  /** Builds the function, then says how to debug it; undefined (and a message) when it cannot. */
  async resolveDebugConfigurationWithSubstitutedVariables(
    folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): Promise<vscode.DebugConfiguration | undefined> {
    // A restart may hand back a configuration planned before: plan it again (its emulator is gone).
    if (typeof config[SESSION_KEY] === 'string') this.sessions.end(config[SESSION_KEY]);
    try {
      const base = folder?.uri.fsPath ?? workspaceFolders()[0] ?? process.cwd();
      const launch = resolveLaunch(config as NimbusLaunchConfig, base);
      const fn = readFunctionConfig(launch.function ?? '');
      const s = settings();
      const nimbus = findNimbus(s.executable, workspaceFolders());
      const plan = planDebug(launch, {
        nimbus,
        runtime: fn.runtime,
        node: process.execPath,
        adapterScript: gdbAdapterScript(this.extensionRoot),
        cppDebugger: s.cppDebugger,
        ...(fn.runtime === 'cpp' ? { gdb: findGdb(s.gdb) } : { debugPort: launch.debugPort ?? (await freePort()) }),
      });
      if (plan.kind === 'cppdbg') {
        if (!vscode.extensions.getExtension('ms-vscode.cpptools')) {
          throw new MissingProgram("nimbus.cppDebugger is 'cppdbg' but Microsoft's C/C++ extension (ms-vscode.cpptools) is not installed: install it or set nimbus.cppDebugger to cdt-gdb-adapter");
        }
        if (!(await this.build(plan.build))) return undefined;
        return plan.config as vscode.DebugConfiguration;
      }
      const id = this.sessions.add(plan);
      if (plan.kind === 'gdb') {
        if (!(await this.build(plan.build))) return undefined;
        return { ...config, ...plan.launch, [SESSION_KEY]: id };
      }
      await this.startEmulator(id, plan);
      return { ...config, ...plan.attach, [SESSION_KEY]: id };
    } catch (e) {
      if (e instanceof LaunchError || e instanceof MissingProgram || e instanceof FunctionConfigError) {
        void vscode.window.showErrorMessage(`Nimbus: ${e.message}`);
        return undefined;
      }
      throw e;
    }
  }

  createDebugAdapterDescriptor(session: vscode.DebugSession): vscode.DebugAdapterDescriptor | undefined {
    const plan = this.sessions.plans.get(String(session.configuration[SESSION_KEY] ?? ''));
    if (!plan) {
      void vscode.window.showErrorMessage('Nimbus: this debug session was not prepared by the Nimbus extension; start it again');
      return undefined;
    }
    if (plan.kind === 'gdb') return new vscode.DebugAdapterExecutable(plan.adapter.command, plan.adapter.args, { env: plan.adapter.env });
    if (plan.kind === 'debugpy') return new vscode.DebugAdapterServer(plan.port, '127.0.0.1');
    return undefined;
  }

  /** A session ended: its emulator goes too. */
  ended(session: vscode.DebugSession): void {
    const id = session.configuration[SESSION_KEY];
    if (typeof id === 'string') this.sessions.end(id);
  }

  private async build(command: Command): Promise<boolean> {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Nimbus: building the function' },
      () => run(command, this.channel),
    );
    if (result.code === 0) return true;
    this.channel.show(true);
    void vscode.window.showErrorMessage(`Nimbus: the function did not build: ${result.stderr.trim().split('\n').pop() ?? ''}`);
    return false;
  }

  /** Starts the emulator of a Python session and waits until debugpy listens. */
  private startEmulator(id: string, plan: Extract<DebugPlan, { kind: 'debugpy' }>): Promise<void> {
    return new Promise((resolve, reject) => {
      let listening = false;
      const started = start(plan.emulator, this.channel, (line, stream) => {
        if (stream === 'stderr' && !listening && debugpyListening(line) === plan.port) {
          listening = true;
          resolve();
        }
      });
      this.sessions.emulators.set(id, started);
      void started.done.then(({ code, stderr }) => {
        if (listening) return;
        this.sessions.end(id);
        this.channel.show(true);
        reject(new LaunchError(debugpyMissing(stderr) ?? `nimbus run ended (exit ${code}) before debugpy listened: ${stderr.trim().split('\n').pop() ?? ''}`));
      });
    });
  }
}
