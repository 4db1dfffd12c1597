// What the extension needs from a function.yaml (nuclio's schema, as nimbus reads it): its name,
// runtime, handler and triggers. Never imports vscode.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

export type Runtime = 'cpp' | 'python';

export interface TriggerInfo {
  name: string;
  kind: string;
  port?: number;
}

export interface FunctionInfo {
  /** The function.yaml's absolute path. */
  file: string;
  /** Its folder: where handlers, events and tapes live. */
  folder: string;
  name: string;
  runtime: Runtime;
  /** spec.handler: "hello:greet" (C++: library:NIMBUS_FUNCTION name) or "main:handler" (Python: module:function). */
  handler: string;
  /** The handler's module (Python) or library (C++) part, and its function part. */
  handlerModule: string;
  handlerFunction: string;
  triggers: TriggerInfo[];
}

export class FunctionConfigError extends Error {}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Reads `text` (the content of `file`) as a function.yaml. Errors name the file and what is wrong. */
export function parseFunctionConfig(file: string, content: string): FunctionInfo {
  let doc: unknown;
  try {
    doc = parse(content);
  } catch (e) {
    throw new FunctionConfigError(`${file}: not YAML: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null) throw new FunctionConfigError(`${file}: not a function configuration (a YAML mapping)`);
  const root = doc as Record<string, unknown>;
  const metadata = (root.metadata ?? {}) as Record<string, unknown>;
  const spec = (root.spec ?? {}) as Record<string, unknown>;
  if (typeof spec !== 'object' || spec === null) throw new FunctionConfigError(`${file}: spec is not a mapping`);
  const runtimeText = text(spec.runtime) || 'cpp';
  let runtime: Runtime;
  if (runtimeText === 'cpp' || runtimeText === 'c++') {
    runtime = 'cpp';
  } else if (runtimeText.startsWith('python')) {
    runtime = 'python';
  } else {
    throw new FunctionConfigError(`${file}: spec.runtime '${runtimeText}' is not one nimbus runs (cpp, python)`);
  }
  const handler = text(spec.handler);
  const colon = handler.lastIndexOf(':');
  const triggers: TriggerInfo[] = [];
  const declared = spec.triggers;
  if (typeof declared === 'object' && declared !== null) {
    for (const [name, value] of Object.entries(declared as Record<string, unknown>)) {
      const t = (value ?? {}) as Record<string, unknown>;
      const attributes = (t.attributes ?? {}) as Record<string, unknown>;
      const port = typeof attributes.port === 'number' ? attributes.port : undefined;
      triggers.push({ name, kind: text(t.kind), ...(port !== undefined ? { port } : {}) });
    }
  }
  const folder = path.dirname(file);
  return {
    file,
    folder,
    name: text(metadata.name) || path.basename(folder),
    runtime,
    handler,
    handlerModule: colon >= 0 ? handler.slice(0, colon) : handler,
    handlerFunction: colon >= 0 ? handler.slice(colon + 1) : runtime === 'python' ? 'handler' : '',
    triggers,
  };
}

/** Reads and parses `file`. */
export function readFunctionConfig(file: string): FunctionInfo {
  let content: string;
  try {
    content = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new FunctionConfigError(`${file}: cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseFunctionConfig(path.resolve(file), content);
}
