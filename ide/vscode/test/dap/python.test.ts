// Debugging examples/python-hello as VS Code does it: the emulator the extension's own plan
// starts (nimbus run --debug-port), debugpy attached to over the Debug Adapter Protocol, a
// breakpoint in main.py, the handler's locals, and the run completing with the expected response.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { freePort } from '../../src/logic/ports';
import { readFunctionConfig } from '../../src/logic/functionConfig';
import { gdbAdapterScript, planDebug, resolveLaunch } from '../../src/logic/launch';
import { debugpyListening, LineSplitter } from '../../src/logic/output';
import { EXTENSION_ROOT, lineOf, locals, nimbus, REPO } from './common';

test('a breakpoint in examples/python-hello is hit through debugpy', { timeout: 180_000 }, async () => {
  const source = path.join(REPO, 'examples', 'python-hello', 'main.py');
  const line = lineOf(source, 'context.logger.info_with("greeting"');
  const config = resolveLaunch(
    { type: 'nimbus', request: 'launch', name: 'Debug python-hello', function: 'examples/python-hello/function.yaml', event: 'examples/python-hello/events/02-header.json' },
    REPO,
  );
  const fn = readFunctionConfig(config.function ?? '');
  assert.equal(fn.runtime, 'python');
  const plan = planDebug(config, { nimbus: nimbus(), runtime: fn.runtime, node: process.execPath, adapterScript: gdbAdapterScript(EXTENSION_ROOT), debugPort: await freePort() });
  assert.equal(plan.kind, 'debugpy');
  if (plan.kind !== 'debugpy') return;

  // The output goes to a file: debugpy's adapter inherits the emulator's descriptors and lives
  // until the client goes.
  const outFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-dap-')), 'out.txt');
  const out = fs.openSync(outFile, 'w');
  const emulator = spawn(plan.emulator.command, plan.emulator.args, { cwd: plan.emulator.cwd, stdio: ['ignore', out, 'pipe'] });
  const exited = new Promise<number | null>((resolve) => emulator.on('exit', (code) => resolve(code)));
  let stderr = '';
  const listening = new Promise<void>((resolve, reject) => {
    const lines = new LineSplitter();
    emulator.stderr?.setEncoding('utf8');
    emulator.stderr?.on('data', (chunk: string) => {
      stderr += chunk;
      if (lines.push(chunk).some((l) => debugpyListening(l) === plan.port)) resolve();
    });
    void exited.then((code) => reject(new Error(`nimbus run ended (exit ${code}) before debugpy listened: ${stderr}`)));
  });
  const dc = new DebugClient('node', 'unused', 'python');
  try {
    await listening;
    await dc.start(plan.port);
    await dc.initializeRequest({ adapterID: 'debugpy', clientID: 'vscode', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
    const attached = dc.attachRequest(plan.attach as never);
    await dc.waitForEvent('initialized', 60_000);
    const set = await dc.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line }] });
    assert.ok(set.body.breakpoints[0].verified, JSON.stringify(set.body));
    const stopped = dc.waitForEvent('stopped', 120_000);
    await dc.configurationDoneRequest();
    await attached;
    const event = await stopped;
    assert.equal(event.body.reason, 'breakpoint');

    const { frame, vars } = await locals(dc, event.body.threadId);
    assert.equal(frame.name, 'handler');
    assert.equal(frame.line, line);
    assert.equal(path.basename(frame.source?.path ?? ''), 'main.py');
    assert.equal(vars.get('name'), "'Ada'");
    assert.equal(vars.get('again'), 'False');
    assert.equal(emulator.exitCode, null);  // held at the breakpoint

    await dc.continueRequest({ threadId: event.body.threadId });
    assert.equal(await exited, 0, stderr);
    assert.match(fs.readFileSync(outFile, 'utf8'), /hello, Ada/);
  } finally {
    await dc.stop().catch(() => undefined);
    if (emulator.exitCode === null) emulator.kill('SIGKILL');
    fs.closeSync(out);
    fs.rmSync(path.dirname(outFile), { recursive: true, force: true });
  }
});
