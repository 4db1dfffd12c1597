// Where handlers are, for the "Run | Debug" CodeLens: above the C++ function that NIMBUS_FUNCTION
// names, and above the Python function that spec.handler names. Never imports vscode.
import * as path from 'node:path';
import type { FunctionInfo } from './functionConfig';

export interface HandlerSite {
  /** 0-based line of the lens. */
  line: number;
  name: string;
}

function lineOf(text: string, index: number): number {
  let line = 0;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** The handlers a C++ source exports: each NIMBUS_FUNCTION's function, at its definition when it is in the file. */
export function cppHandlers(text: string): HandlerSite[] {
  const sites: HandlerSite[] = [];
  const exported = /^\s*NIMBUS_FUNCTION(?:_WITH_INIT)?\s*\(\s*([A-Za-z_]\w*)/gm;
  for (let m = exported.exec(text); m; m = exported.exec(text)) {
    const name = m[1];
    // The definition: a line that declares `name(` with a return type before it and a body after.
    const definition = new RegExp(`^[^\\n;#/]*\\b${name}\\s*\\([^;]*?\\)\\s*(?:noexcept\\s*)?\\{`, 'm').exec(text);
    sites.push({ line: lineOf(text, definition ? definition.index : m.index), name });
  }
  return sites;
}

/** The handler a Python source is, when it is the module spec.handler names. */
export function pythonHandlers(file: string, text: string, fn: FunctionInfo): HandlerSite[] {
  if (fn.runtime !== 'python') return [];
  const module = fn.handlerModule.replace(/\./g, path.sep);
  if (path.resolve(fn.folder, `${module}.py`) !== path.resolve(file)) return [];
  const definition = new RegExp(`^(?:async\\s+)?def\\s+${fn.handlerFunction}\\s*\\(`, 'm').exec(text);
  return definition ? [{ line: lineOf(text, definition.index), name: fn.handlerFunction }] : [];
}
