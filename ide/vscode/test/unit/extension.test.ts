// The extension's VS Code side against a fake `vscode` module, with the real nimbus behind it:
// what activation registers, the debug configurations it makes, the lenses, Record, Replay
// results as test items with diffs, Serve and Invoke.
import '../fake/install';
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as vscode from 'vscode';
import { activate, type NimbusApi } from '../../src/extension';
import { EXTENSION_ROOT, nimbus, REPO } from '../dap/common';
import * as fake from '../fake/vscode';

const manifest = JSON.parse(fs.readFileSync(path.join(EXTENSION_ROOT, 'package.json'), 'utf8'));

describe('the extension in a (fake) VS Code', () => {
  let api: NimbusApi;
  let tmp: string;
  let hello: string;
  const subscriptions: { dispose(): void }[] = [];

  before(() => {
    fake.reset();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-ext-'));
    hello = path.join(tmp, 'hello');
    fs.cpSync(path.join(REPO, 'examples', 'hello'), hello, { recursive: true, filter: (f) => !f.includes('.nimbus') });
    fake.recorded.workspaceFolders = [tmp];
    fake.recorded.settings = { executable: nimbus() };
    api = activate({ extensionPath: EXTENSION_ROOT, subscriptions } as unknown as vscode.ExtensionContext);
  });

  after(() => {
    for (const s of subscriptions) s.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('activation registers every command package.json contributes, the debug type and the lenses', () => {
    const declared = manifest.contributes.commands.map((c: { command: string }) => c.command).sort();
    assert.deepEqual([...fake.recorded.commands.keys()].sort(), declared);
    assert.ok(fake.recorded.adapterFactories.has('nimbus'));
    assert.deepEqual(fake.recorded.configurationProviders.map((p) => [p.type, p.trigger]), [['nimbus', undefined], ['nimbus', 2]]);
    assert.equal(fake.recorded.codeLensProviders.length, 1);
    assert.equal(manifest.contributes.debuggers[0].type, 'nimbus');
  });

  test('F5 without launch.json debugs the function of the open file', () => {
    fake.recorded.activeFile = path.join(hello, 'hello.cpp');
    const config = api.debugging.resolveDebugConfiguration(undefined, { type: '', request: '', name: '' });
    assert.deepEqual(config, { type: 'nimbus', request: 'launch', name: 'Debug hello', function: path.join(hello, 'function.yaml') });
    fake.recorded.activeFile = path.join(tmp, 'elsewhere.txt');
    assert.equal(api.debugging.resolveDebugConfiguration(undefined, { type: '', request: '', name: '' }), undefined);
    assert.match(fake.recorded.errors.pop() ?? '', /open a function.yaml or a handler of one/);
    fake.recorded.activeFile = undefined;
  });

  test('a C++ launch is built, then handed to the gdb adapter the extension brings', { timeout: 300_000 }, async () => {
    const folder = { uri: vscode.Uri.file(tmp), name: 'w', index: 0 } as vscode.WorkspaceFolder;
    const config = await api.debugging.resolveDebugConfigurationWithSubstitutedVariables(folder, {
      type: 'nimbus', request: 'launch', name: 'Debug hello', function: 'hello/function.yaml', event: 'hello/events/02-header.json',
    });
    assert.ok(config, fake.recorded.errors.join('\n'));
    assert.equal(config.program, nimbus());
    assert.equal(config.arguments, `run ${path.join(hello, 'function.yaml')} --event ${path.join(hello, 'events', '02-header.json')}`);
    assert.ok(fs.existsSync(path.join(hello, '.nimbus')), 'built before the debugger starts');
    const adapter = api.debugging.createDebugAdapterDescriptor({ configuration: config } as unknown as vscode.DebugSession) as unknown as fake.DebugAdapterExecutable;
    assert.ok(adapter instanceof fake.DebugAdapterExecutable);
    assert.equal(adapter.command, process.execPath);
    assert.ok(fs.existsSync(adapter.args[0]), adapter.args[0]);
    assert.equal(adapter.options.env?.ELECTRON_RUN_AS_NODE, '1');
  });

  test('what stops a launch is said once, plainly', async () => {
    const folder = { uri: vscode.Uri.file(tmp), name: 'w', index: 0 } as vscode.WorkspaceFolder;
    fake.recorded.errors = [];
    assert.equal(await api.debugging.resolveDebugConfigurationWithSubstitutedVariables(folder, { type: 'nimbus', request: 'launch', name: 'x', function: 'nope/function.yaml' }), undefined);
    fake.recorded.settings = { executable: '/no/such/nimbus' };
    assert.equal(await api.debugging.resolveDebugConfigurationWithSubstitutedVariables(folder, { type: 'nimbus', request: 'launch', name: 'x', function: 'hello/function.yaml' }), undefined);
    fake.recorded.settings = { executable: nimbus(), gdb: 'no-such-gdb' };
    assert.equal(await api.debugging.resolveDebugConfigurationWithSubstitutedVariables(folder, { type: 'nimbus', request: 'launch', name: 'x', function: 'hello/function.yaml' }), undefined);
    fake.recorded.settings = { executable: nimbus() };
    assert.equal(fake.recorded.errors.length, 3);
    assert.match(fake.recorded.errors[0], /^Nimbus: the function .*nope\/function.yaml does not exist$/);
    assert.match(fake.recorded.errors[1], /nimbus.executable is '\/no\/such\/nimbus'/);
    assert.match(fake.recorded.errors[2], /gdb was not found \('no-such-gdb'\)/);
  });

  test('Run | Debug above the handler', () => {
    const file = path.join(hello, 'hello.cpp');
    const document = { uri: vscode.Uri.file(file), languageId: 'cpp', getText: () => fs.readFileSync(file, 'utf8') };
    const lenses = fake.recorded.codeLensProviders[0].provider.provideCodeLenses(document) as fake.CodeLens[];
    assert.deepEqual(lenses.map((l) => [l.command?.title, l.command?.command, l.command?.arguments]), [
      ['Run', 'nimbus.runFunction', [path.join(hello, 'function.yaml')]],
      ['Debug', 'nimbus.debugFunction', [path.join(hello, 'function.yaml')]],
    ]);
    assert.match(fs.readFileSync(file, 'utf8').split('\n')[lenses[0].range.start.line], /greet\(/);
  });

  test('Record, then Replay Tape: one test item per record, a changed one with its diff, and one re-run alone', { timeout: 300_000 }, async () => {
    const tape = await api.commands.record(path.join(hello, 'function.yaml'));
    assert.ok(tape && fs.existsSync(tape), fake.recorded.errors.join('\n'));
    const [header, ...records] = fs.readFileSync(tape, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(records.length, fs.readdirSync(path.join(hello, 'events')).length + 1);  // 04-again.ndjson holds two
    records[1].response.body = '{"greeting":"hello, Bob","again":false}';
    fs.writeFileSync(tape, [header, ...records].map((r) => JSON.stringify(r)).join('\n') + '\n');

    const result = await api.tests.replay(tape, path.join(hello, 'function.yaml'));
    assert.ok(result);
    const controller = fake.recorded.testControllers[0];
    const run = controller.runs[controller.runs.length - 1];
    const tapeItem = controller.items.get(path.resolve(tape));
    assert.ok(tapeItem);
    assert.equal(tapeItem.children.size, records.length);
    const byState = run.results.filter((r) => r.state !== 'started').map((r) => [r.id.slice(tapeItem.id.length + 1), r.state]);
    assert.deepEqual(byState, [...records.map((_r, i) => [String(i + 2), i === 1 ? 'failed' : 'passed']), ['', 'failed']]);
    const failed = run.results.find((r) => r.state === 'failed' && r.id !== tapeItem.id);
    assert.ok(failed);
    assert.equal(failed.messages.length, 1);
    assert.match(failed.messages[0].message, /the response changed/);
    assert.match(failed.messages[0].expectedOutput ?? '', /hello, Bob/);
    assert.match(failed.messages[0].actualOutput ?? '', /hello, Ada/);

    // Re-running one item replays that record alone.
    const child = tapeItem.children.get(`${tapeItem.id}:4`);
    assert.ok(child);
    await controller.profiles[0].handler(new fake.TestRunRequest([child]), { isCancellationRequested: false });
    const again = controller.runs[controller.runs.length - 1];
    assert.deepEqual(again.results.filter((r) => r.state !== 'started').map((r) => [r.id, r.state]), [[child.id, 'passed']]);
  });

  test('Serve, then Invoke with Event sends it there', { timeout: 300_000 }, async () => {
    const url = await api.commands.serve(path.join(hello, 'function.yaml'));
    assert.match(url ?? '', /^http:\/\/127\.0\.0\.1:\d+$/, fake.recorded.errors.join('\n'));
    try {
      fake.recorded.channelLines = [];
      fake.recorded.quickPicks = ['02-header.json'];
      assert.equal(await api.commands.invoke(path.join(hello, 'function.yaml')), 0);
      const lines = fake.recorded.channelLines.map((l) => `${l.level} ${l.text}`);
      assert.ok(lines.some((l) => /^info 02-header {2}greeting {2}name=Ada/.test(l)), lines.join('\n'));
      assert.ok(lines.some((l) => l.startsWith('info 02-header  → 200') && l.includes('hello, Ada')), lines.join('\n'));

      // An event file of a kind the function has none of yet: written by nimbus events new, then sent.
      fake.recorded.quickPicks = ['New event file…', 'cloudevent'];
      assert.equal(await api.commands.invoke(path.join(hello, 'function.yaml')), 0, fake.recorded.errors.join('\n'));
      const made = JSON.parse(fs.readFileSync(path.join(hello, 'events', 'cloudevent.json'), 'utf8'));
      assert.equal(made.cloudEvent.type, 'com.example.order.created');
      assert.ok(fake.recorded.channelLines.some((l) => l.text.startsWith('ce-1  → 200')), fake.recorded.channelLines.map((l) => l.text).join('\n'));
    } finally {
      api.commands.stopServe();
      fs.rmSync(path.join(hello, 'events', 'cloudevent.json'), { force: true });
    }
  });

  test('Run Function on a function without events/ runs it on its triggers until Stop Serving', { timeout: 300_000 }, async () => {
    const bare = path.join(tmp, 'bare');
    fs.cpSync(hello, bare, { recursive: true, filter: (f) => !f.includes(`${path.sep}events`) && !f.includes(`${path.sep}tapes`) });
    const url = await api.commands.runFunction(path.join(bare, 'function.yaml'));
    assert.match(String(url), /^http:\/\/127\.0\.0\.1:\d+$/, fake.recorded.errors.join('\n'));
    try {
      const answer = await fetch(`${String(url)}/?name=Ada`);
      assert.deepEqual(await answer.json(), { greeting: 'hello, Ada', again: false });
    } finally {
      api.commands.stopServe();
    }
    await new Promise((r) => setTimeout(r, 500));
    await assert.rejects(fetch(`${String(url)}/`));  // stopped
  });
});
