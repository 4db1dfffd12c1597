import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { invokeArguments, recordArguments, serveArguments, tapeName } from '../../src/logic/commandLines';
import { readFunctionConfig } from '../../src/logic/functionConfig';
import { cppHandlers, pythonHandlers } from '../../src/logic/handlers';
import { debugpyListening, httpAddress, isReadyLine, LineSplitter, showJsonLine } from '../../src/logic/output';
import { REPO } from '../dap/common';

describe("nimbus's output in the output channel", () => {
  test('each --json line at its level', () => {
    assert.deepEqual(showJsonLine('{"type":"log","event":"02-header","time":"t","level":"info","message":"greeting","fields":{"name":"Ada","again":false}}'), {
      level: 'info',
      text: '02-header  greeting  name=Ada  again=false',
    });
    assert.deepEqual(showJsonLine('{"type":"log","event":"e","level":"debug","message":"m","logger":"db"}'), { level: 'debug', text: 'e  m  [db]' });
    assert.deepEqual(showJsonLine('{"type":"response","event":"e","origin":"o","status":200,"contentType":"application/json","body":"{\\"a\\":1}","durationMs":0.25}'), {
      level: 'info',
      text: 'e  → 200  application/json  0.25 ms\n{"a":1}',
    });
    assert.equal(showJsonLine('{"type":"response","event":"e","status":503}')?.level, 'error');
    assert.equal(showJsonLine('{"type":"response","event":"e","status":404}')?.level, 'warn');
    assert.equal(showJsonLine('{"type":"response","event":"e","status":200,"bodyBase64":"AAH/"}')?.text, 'e  → 200\n<3 bytes of binary body>');
    assert.deepEqual(showJsonLine('{"type":"error","origin":"events/x.json","message":"bad"}'), { level: 'error', text: 'events/x.json: bad' });
    assert.deepEqual(showJsonLine('not json'), { level: 'info', text: 'not json' });
    assert.equal(showJsonLine('   '), undefined);
  });

  test('readiness: debugpy waiting, and where a function answers HTTP', () => {
    assert.equal(debugpyListening('nimbus: debugpy listening on 127.0.0.1:41234; waiting for the debugger to attach'), 41234);
    assert.equal(debugpyListening('nimbus: something else'), undefined);
    assert.equal(httpAddress('{"serving":"hello","host":"0.0.0.0","adminPort":8081,"port":8080,"triggers":[]}'), 'http://127.0.0.1:8080');
    assert.equal(httpAddress('{"type":"ready","function":"hello","triggers":[{"name":"tick","kind":"cron"},{"name":"http","kind":"http","port":9000,"host":"127.0.0.1"}]}'), 'http://127.0.0.1:9000');
    assert.equal(httpAddress('{"type":"log"}'), undefined);
    assert.ok(isReadyLine('{"adminPort":8081,"host":"0.0.0.0","port":8080,"serving":"hello","triggers":[]}'));
    assert.ok(isReadyLine('{"type":"ready","function":"cron-only","triggers":[{"name":"tick","kind":"cron"}]}'));
    assert.ok(!isReadyLine('{"type":"response"}') && !isReadyLine('nimbus: building'));
    assert.equal(httpAddress('garbage'), undefined);
  });

  test('chunks become whole lines', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push('a\nb'), ['a']);
    assert.deepEqual(s.push('c\r\nd\n'), ['bc', 'd']);
    assert.deepEqual(s.push('tail'), []);
    assert.deepEqual(s.end(), ['tail']);
  });
});

describe('command lines', () => {
  test('invoke, record, serve', () => {
    assert.deepEqual(invokeArguments('http://127.0.0.1:8080', 'events/01.json', { cloudEvent: 'binary', logLevel: 'info' }), [
      'invoke', 'http://127.0.0.1:8080', '--event', 'events/01.json', '--json', '--cloudevent', 'binary', '--log-level', 'info',
    ]);
    assert.deepEqual(recordArguments('f.yaml', 't.ndjson'), ['run', 'f.yaml', '--event', 'events/', '--record', 't.ndjson', '--json']);
    assert.deepEqual(serveArguments('f.yaml'), ['serve', 'f.yaml', '--host', '127.0.0.1', '--port', '0', '--admin-port', '0']);
    assert.equal(tapeName(new Date('2026-12-02T10:15:00.123Z')), '2026-12-02T10-15-00.ndjson');
  });
});

describe('handlers for the CodeLens', () => {
  test('the C++ function NIMBUS_FUNCTION names, at its definition', () => {
    const file = path.join(REPO, 'examples', 'hello', 'hello.cpp');
    const text = fs.readFileSync(file, 'utf8');
    const sites = cppHandlers(text);
    assert.equal(sites.length, 1);
    assert.equal(sites[0].name, 'greet');
    assert.match(text.split('\n')[sites[0].line], /^nimbus::Response greet\(/);
    assert.deepEqual(cppHandlers('int main() {}\n'), []);
    // Exported but defined elsewhere: the lens sits on the macro.
    assert.deepEqual(cppHandlers('#include <x>\nNIMBUS_FUNCTION_WITH_INIT(other, init)\n'), [{ line: 1, name: 'other' }]);
  });

  test('the Python function spec.handler names, in its module only', () => {
    const fn = readFunctionConfig(path.join(REPO, 'examples', 'python-hello', 'function.yaml'));
    const file = path.join(fn.folder, 'main.py');
    const text = fs.readFileSync(file, 'utf8');
    const sites = pythonHandlers(file, text, fn);
    assert.equal(sites.length, 1);
    assert.match(text.split('\n')[sites[0].line], /^def handler\(context, event\):/);
    assert.deepEqual(pythonHandlers(path.join(fn.folder, 'test_main.py'), text, fn), []);
  });
});
