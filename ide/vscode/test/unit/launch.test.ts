import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { findGdb, findNimbus, MissingProgram, onPath, debugpyMissing } from '../../src/logic/executables';
import { FunctionConfigError, parseFunctionConfig, readFunctionConfig } from '../../src/logic/functionConfig';
import { LaunchError, planDebug, resolveLaunch, runArguments, shellQuote } from '../../src/logic/launch';
import { REPO } from '../dap/common';

const HELLO = path.join(REPO, 'examples', 'hello', 'function.yaml');
const PY_HELLO = path.join(REPO, 'examples', 'python-hello', 'function.yaml');

describe('function.yaml', () => {
  test('the examples read as nimbus reads them', () => {
    const cpp = readFunctionConfig(HELLO);
    assert.deepEqual(
      { name: cpp.name, runtime: cpp.runtime, module: cpp.handlerModule, fn: cpp.handlerFunction, triggers: cpp.triggers },
      { name: 'hello', runtime: 'cpp', module: 'hello', fn: 'greet', triggers: [{ name: 'http', kind: 'http' }] },
    );
    const py = readFunctionConfig(PY_HELLO);
    assert.deepEqual([py.name, py.runtime, py.handlerModule, py.handlerFunction], ['python-hello', 'python', 'main', 'handler']);
  });

  test('bad configurations name the file and what is wrong', () => {
    assert.throws(() => parseFunctionConfig('/f/function.yaml', 'spec: [1'), (e: Error) => e instanceof FunctionConfigError && /\/f\/function.yaml: not YAML/.test(e.message));
    assert.throws(() => parseFunctionConfig('/f/function.yaml', 'spec: {runtime: golang}'), /spec.runtime 'golang' is not one nimbus runs/);
    assert.throws(() => readFunctionConfig('/nowhere/function.yaml'), /\/nowhere\/function.yaml: cannot be read: ENOENT/);
  });
});

describe('launch configurations', () => {
  test('paths are made absolute against the workspace, and events/ is the default', () => {
    const r = resolveLaunch({ type: 'nimbus', request: 'launch', function: 'examples/hello/function.yaml' }, REPO);
    assert.equal(r.function, HELLO);
    assert.deepEqual(r.event, [path.join(REPO, 'examples', 'hello', 'events') + path.sep]);
  });

  test('what is wrong with a configuration is said', () => {
    assert.throws(() => resolveLaunch({}, REPO), (e: Error) => e instanceof LaunchError && /names no function/.test(e.message));
    assert.throws(() => resolveLaunch({ function: 'nope/function.yaml' }, REPO), /nope\/function.yaml does not exist/);
    assert.throws(() => resolveLaunch({ function: HELLO, event: 'nope.json' }, REPO), /event file or folder .*nope.json does not exist/);
    assert.throws(() => resolveLaunch({ function: HELLO, event: 'examples/hello/events', triggers: true }, REPO), /exclude each other/);
    assert.throws(() => resolveLaunch({ function: HELLO, logLevel: 'loud' }, REPO), /logLevel 'loud': expected debug, info, warn, error/);
  });

  test('nimbus run gets every option of the configuration', () => {
    const args = runArguments(
      { function: HELLO, event: ['a.json', 'b/'], bindings: { seen: 'file:seen.json' }, env: { GREETING: 'hi there' }, logLevel: 'info' },
      { json: true },
    );
    assert.deepEqual(args, ['run', HELLO, '--event', 'a.json', '--event', 'b/', '--bind', 'seen=file:seen.json', '--env', 'GREETING=hi there', '--log-level', 'info', '--json']);
    assert.deepEqual(runArguments({ function: HELLO, triggers: ['http', 'tick'] }, { debugPort: 5678 }), ['run', HELLO, '--trigger', 'http', '--trigger', 'tick', '--debug-port', '5678']);
  });

  test('words reach gdb\'s shell whole', () => {
    assert.equal(shellQuote('/a/b.json'), '/a/b.json');
    assert.equal(shellQuote('GREETING=hi there'), "'GREETING=hi there'");
    assert.equal(shellQuote("it's"), "'it'\\''s'");
  });

  test('C++ is debugged through the CDT adapter over gdb, after a build outside it', () => {
    const config = resolveLaunch({ name: 'Debug hello', function: HELLO, env: { GREETING: 'hi there' } }, REPO);
    const plan = planDebug(config, { nimbus: '/bin/nimbus', runtime: 'cpp', gdb: '/usr/bin/gdb', node: '/usr/bin/node', adapterScript: '/x/debugAdapter.js' });
    assert.equal(plan.kind, 'gdb');
    if (plan.kind !== 'gdb') return;
    assert.deepEqual(plan.build, { command: '/bin/nimbus', args: ['build', HELLO], cwd: path.dirname(HELLO) });
    assert.deepEqual(plan.adapter, { command: '/usr/bin/node', args: ['/x/debugAdapter.js'], env: { ELECTRON_RUN_AS_NODE: '1' } });
    assert.equal(plan.launch.program, '/bin/nimbus');
    assert.equal(plan.launch.arguments, `run ${HELLO} --event ${path.dirname(HELLO)}/events/ --env 'GREETING=hi there'`);
    assert.equal(plan.launch.gdb, '/usr/bin/gdb');
  });

  test('cppdbg gets its own configuration; Python attaches to debugpy', () => {
    const config = resolveLaunch({ name: 'n', function: HELLO }, REPO);
    const cpp = planDebug(config, { nimbus: '/bin/nimbus', runtime: 'cpp', gdb: '/usr/bin/gdb', node: 'node', adapterScript: 'a.js', cppDebugger: 'cppdbg' });
    assert.equal(cpp.kind, 'cppdbg');
    if (cpp.kind === 'cppdbg') {
      assert.equal(cpp.config.type, 'cppdbg');
      assert.deepEqual(cpp.config.args, ['run', HELLO, '--event', path.dirname(HELLO) + '/events/']);
      assert.equal(cpp.config.miDebuggerPath, '/usr/bin/gdb');
    }
    const py = planDebug(resolveLaunch({ name: 'p', function: PY_HELLO }, REPO), { nimbus: '/bin/nimbus', runtime: 'python', node: 'node', adapterScript: 'a.js', debugPort: 41234 });
    assert.equal(py.kind, 'debugpy');
    if (py.kind === 'debugpy') {
      assert.deepEqual(py.emulator.args.slice(-2), ['--debug-port', '41234']);
      assert.equal(py.port, 41234);
      assert.deepEqual(py.attach.connect, { host: '127.0.0.1', port: 41234 });
      assert.equal(py.attach.request, 'attach');
    }
  });
});

describe('finding programs', () => {
  const exists = (present: string[]) => (f: string) => present.includes(f);
  test('nimbus: the setting, then the workspace build, then PATH', () => {
    assert.equal(findNimbus('/opt/nimbus', ['/w'], '/usr/bin', exists(['/opt/nimbus', '/w/build/cli/nimbus'])), '/opt/nimbus');
    assert.equal(findNimbus('', ['/w'], '/usr/bin', exists(['/w/build/cli/nimbus', '/usr/bin/nimbus'])), '/w/build/cli/nimbus');
    assert.equal(findNimbus('', ['/w'], '/usr/bin:/bin', exists(['/bin/nimbus'])), '/bin/nimbus');
    assert.throws(() => findNimbus('', ['/w'], '/usr/bin', exists([])), (e: Error) => e instanceof MissingProgram && /nimbus was not found.*set nimbus.executable/.test(e.message));
    assert.throws(() => findNimbus('/opt/none', [], '', exists([])), /nimbus.executable is '\/opt\/none', which is not an executable file/);
  });

  test('gdb and debugpy: what to install', () => {
    assert.equal(onPath('gdb', '/a:/b', exists(['/b/gdb'])), '/b/gdb');
    assert.throws(() => findGdb('', '/a', exists([])), /gdb was not found \('gdb'\): install it \(Debian: apt-get install gdb\) or set nimbus.gdb/);
    assert.match(debugpyMissing("ModuleNotFoundError: No module named 'debugpy'") ?? '', /pip install debugpy/);
    assert.equal(debugpyMissing('some other failure'), undefined);
  });
});
