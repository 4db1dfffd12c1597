// Debugging examples/hello (C++) as VS Code does it: the launch configuration the extension's
// own code produces, the CDT debug adapter it starts (over Debian's gdb), a breakpoint in
// hello.cpp that resolves when nimbus loads the function's library, the handler's locals, and
// the run completing with the expected response.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { findGdb } from '../../src/logic/executables';
import { readFunctionConfig } from '../../src/logic/functionConfig';
import { gdbAdapterScript, planDebug, resolveLaunch } from '../../src/logic/launch';
import { collectOutput, EXTENSION_ROOT, lineOf, locals, nimbus, REPO } from './common';

test('a breakpoint in examples/hello is hit through the CDT adapter and gdb', { timeout: 240_000 }, async () => {
  const source = path.join(REPO, 'examples', 'hello', 'hello.cpp');
  const line = lineOf(source, 'ctx.logger().info_with("greeting"');
  const config = resolveLaunch(
    { type: 'nimbus', request: 'launch', name: 'Debug hello', function: 'examples/hello/function.yaml', event: 'examples/hello/events/02-header.json' },
    REPO,
  );
  const fn = readFunctionConfig(config.function ?? '');
  assert.equal(fn.runtime, 'cpp');
  const plan = planDebug(config, {
    nimbus: nimbus(),
    runtime: fn.runtime,
    gdb: findGdb(''),
    node: process.execPath,
    adapterScript: gdbAdapterScript(EXTENSION_ROOT),
  });
  assert.equal(plan.kind, 'gdb');
  if (plan.kind !== 'gdb') return;

  const built = spawnSync(plan.build.command, plan.build.args, { cwd: plan.build.cwd, encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);

  const dc = new DebugClient(plan.adapter.command, plan.adapter.args[0], 'nimbus', { env: { ...process.env, ...plan.adapter.env } });
  const output = collectOutput(dc);
  await dc.start();
  try {
    await dc.initializeRequest({ adapterID: 'nimbus', clientID: 'vscode', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true, supportsVariableType: true });
    const stopped = dc.waitForEvent('stopped', 180_000);
    const ready = dc.waitForEvent('initialized', 60_000).then(async () => {
      const set = await dc.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line }] });
      assert.equal(set.body.breakpoints.length, 1);
      await dc.configurationDoneRequest();
    });
    await Promise.all([dc.launchRequest(plan.launch as never), ready]);
    const event = await stopped;
    assert.equal(event.body.reason, 'breakpoint');

    const { frame, vars } = await locals(dc, event.body.threadId);
    assert.match(frame.name, /greet/);
    assert.equal(frame.line, line);
    assert.equal(path.basename(frame.source?.path ?? ''), 'hello.cpp');
    assert.match(vars.get('name') ?? '(no local called name)', /"Ada"/);
    assert.match(vars.get('again') ?? '(no local called again)', /false/);

    const terminated = dc.waitForEvent('terminated', 120_000);
    await dc.continueRequest({ threadId: event.body.threadId });
    await terminated;
    assert.match(output.text(), /"greeting":"hello, Ada"/);
  } finally {
    await dc.stop().catch(() => undefined);
  }
});
