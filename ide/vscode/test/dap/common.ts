// What the debugging tests share: where things are, and reading a stopped frame's locals.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import { findNimbus } from '../../src/logic/executables';

/** ide/vscode (the compiled tests run from out/test/dap). */
export const EXTENSION_ROOT = path.resolve(__dirname, '..', '..', '..');
/** The repository. */
export const REPO = path.resolve(EXTENSION_ROOT, '..', '..');

/** The nimbus under test: $NIMBUS, else the extension's own search from the repository. */
export function nimbus(): string {
  return process.env.NIMBUS ?? findNimbus('', [REPO]);
}

/** The 1-based line of `file` holding `text`. */
export function lineOf(file: string, text: string): number {
  const index = fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(text));
  if (index < 0) throw new Error(`${file} has no line with ${text}`);
  return index + 1;
}

/** The locals of the top frame of `threadId`, by name. */
export async function locals(dc: DebugClient, threadId: number): Promise<{ frame: { name: string; line: number; source?: { path?: string } }; vars: Map<string, string> }> {
  const stack = await dc.stackTraceRequest({ threadId, startFrame: 0, levels: 20 });
  const frame = stack.body.stackFrames[0];
  const scopes = await dc.scopesRequest({ frameId: frame.id });
  const vars = new Map<string, string>();
  for (const scope of scopes.body.scopes) {
    if (scope.expensive) continue;
    const got = await dc.variablesRequest({ variablesReference: scope.variablesReference });
    for (const v of got.body.variables) if (!vars.has(v.name)) vars.set(v.name, v.value);
  }
  return { frame, vars };
}

/** Collects a client's output events' text. */
export function collectOutput(dc: DebugClient): { text: () => string } {
  let all = '';
  dc.on('output', (e: { body: { output: string } }) => {
    all += e.body.output;
  });
  return { text: () => all };
}
