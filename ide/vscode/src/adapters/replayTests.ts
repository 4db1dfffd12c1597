// Replay results in the Test Explorer: a tape is a test item, each recorded event a child of it;
// a changed record shows VS Code's diff of its recorded and replayed parts; running one record
// replays that record alone (nimbus replay --line).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findNimbus } from '../logic/executables';
import { parseReplayReport, recordId, recordOutcomes, replayArguments, type ReplayResult } from '../logic/replay';
import { run, type Channel } from './processes';
import { settings, workspaceFolders } from './workspace';

interface TapeData {
  tape: string;
  functionFile: string;
}

export class ReplayTests {
  readonly controller: vscode.TestController;
  private readonly tapes = new Map<string, TapeData>();
  private readonly lines = new Map<string, number>();

  constructor(private readonly channel: Channel) {
    this.controller = vscode.tests.createTestController('nimbus-replay', 'Nimbus replays');
    this.controller.createRunProfile('Replay', vscode.TestRunProfileKind.Run, (request, token) => this.runRequest(request, token), true);
  }

  dispose(): void {
    this.controller.dispose();
  }

  /** Replays `tape` against `functionFile` and shows every record's outcome. */
  async replay(tape: string, functionFile: string): Promise<ReplayResult | undefined> {
    const item = this.tapeItem(tape, functionFile);
    const testRun = this.controller.createTestRun(new vscode.TestRunRequest([item]), `replay ${path.basename(tape)}`);
    try {
      return await this.replayInto(testRun, item, []);
    } finally {
      testRun.end();
    }
  }

  private tapeItem(tape: string, functionFile: string): vscode.TestItem {
    const id = path.resolve(tape);
    this.tapes.set(id, { tape: id, functionFile });
    let item = this.controller.items.get(id);
    if (!item) {
      item = this.controller.createTestItem(id, path.basename(tape), vscode.Uri.file(id));
      item.description = `against ${vscode.workspace.asRelativePath(functionFile)}`;
      this.controller.items.add(item);
    }
    return item;
  }

  private async runRequest(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> {
    const testRun = this.controller.createTestRun(request);
    try {
      // The records asked for, by tape: a whole tape, or some of its records.
      const byTape = new Map<vscode.TestItem, number[]>();
      const asked = request.include ?? [...this.all()];
      for (const item of asked) {
        const tape = item.parent ?? item;
        const lines = byTape.get(tape) ?? [];
        const line = this.lines.get(item.id);
        if (item.parent && line !== undefined) lines.push(line);
        byTape.set(tape, item.parent ? lines : []);
      }
      for (const [tape, lines] of byTape) {
        if (token.isCancellationRequested) break;
        await this.replayInto(testRun, tape, lines);
      }
    } finally {
      testRun.end();
    }
  }

  private *all(): Iterable<vscode.TestItem> {
    for (const [, item] of this.controller.items) yield item;
  }

  private async replayInto(testRun: vscode.TestRun, tapeItem: vscode.TestItem, lines: number[]): Promise<ReplayResult | undefined> {
    const data = this.tapes.get(tapeItem.id);
    if (!data) return undefined;
    const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-replay-')), 'report.json');
    const nimbus = findNimbus(settings().executable, workspaceFolders());
    testRun.started(tapeItem);
    const done = await run({ command: nimbus, args: replayArguments(data.tape, data.functionFile, report, lines), cwd: path.dirname(data.functionFile) }, this.channel);
    if (!fs.existsSync(report)) {
      testRun.errored(tapeItem, new vscode.TestMessage(`nimbus replay could not run (exit ${done.code}): ${done.stderr.trim()}`));
      return undefined;
    }
    const result = parseReplayReport(fs.readFileSync(report, 'utf8'));
    fs.rmSync(path.dirname(report), { recursive: true, force: true });
    const items = result.items.map((i) => ({ ...i, id: recordId(tapeItem.id, i.line) }));
    const outcomes = recordOutcomes({ ...result, items });
    items.forEach((record, k) => {
      const outcome = outcomes[k];
      let child = tapeItem.children.get(record.id);
      if (!child) {
        child = this.controller.createTestItem(record.id, record.label, tapeItem.uri);
        child.range = new vscode.Range(record.line - 1, 0, record.line - 1, 0);
        tapeItem.children.add(child);
      }
      this.lines.set(record.id, record.line);
      const duration = outcome.durationMs;
      if (outcome.state === 'passed') {
        testRun.passed(child, duration);
      } else {
        const messages = outcome.messages.map((m) =>
          m.expected !== undefined && m.actual !== undefined ? vscode.TestMessage.diff(m.text, m.expected, m.actual) : new vscode.TestMessage(m.text),
        );
        if (outcome.state === 'failed') testRun.failed(child, messages, duration);
        else testRun.errored(child, messages, duration);
      }
    });
    if (lines.length === 0) {
      if (result.summary.changed + result.summary.unreadable === 0) testRun.passed(tapeItem);
      else testRun.failed(tapeItem, new vscode.TestMessage(`${result.summary.changed} changed, ${result.summary.unreadable} unreadable, ${result.summary.passed} passed`));
    }
    return result;
  }
}
