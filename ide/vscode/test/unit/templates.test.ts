// New Function's files are a function nimbus runs: generated, then run for real.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { readFunctionConfig } from '../../src/logic/functionConfig';
import { checkFunctionName, newFunctionFiles } from '../../src/logic/templates';
import { nimbus } from '../dap/common';

function write(folder: string, files: Record<string, string>): void {
  for (const [relative, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(folder, relative)), { recursive: true });
    fs.writeFileSync(path.join(folder, relative), content);
  }
}

for (const runtime of ['cpp', 'python'] as const) {
  test(`a new ${runtime} function runs under nimbus run and answers its first event`, { timeout: 300_000 }, () => {
    const folder = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-new-')), 'first-fn');
    try {
      write(folder, newFunctionFiles(runtime, 'first-fn'));
      const fn = readFunctionConfig(path.join(folder, 'function.yaml'));
      assert.equal(fn.runtime, runtime);
      assert.equal(fn.name, 'first-fn');
      const r = spawnSync(nimbus(), ['run', path.join(folder, 'function.yaml'), '--event', path.join(folder, 'events'), '--json'], { encoding: 'utf8', cwd: folder });
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
      const response = lines.find((l) => l.type === 'response');
      assert.equal(response.status, 200);
      assert.deepEqual(JSON.parse(response.body), { greeting: 'hello, Ada' });
      assert.ok(lines.some((l) => l.type === 'log' && l.message === 'greeting' && l.fields.name === 'Ada'), r.stdout);
    } finally {
      fs.rmSync(path.dirname(folder), { recursive: true, force: true });
    }
  });
}

test('a function name is checked before anything is written', () => {
  assert.equal(checkFunctionName('orders-v2'), undefined);
  assert.match(checkFunctionName('Orders') ?? '', /lower-case letters, digits and dashes/);
  assert.throws(() => newFunctionFiles('cpp', '9lives'), /'9lives': a function name/);
});
