// Finding the programs the extension runs: nimbus (the setting, then the workspace's build, then
// PATH) and gdb. A program that cannot be found is one error naming what to install or set.
import * as fs from 'node:fs';
import * as path from 'node:path';

export class MissingProgram extends Error {}

/** Whether `file` is an executable file. */
export function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** `name` on `searchPath` (PATH's folders), or undefined. A name with a slash is taken as it is. */
export function onPath(name: string, searchPath: string = process.env.PATH ?? '', exists = isExecutable): string | undefined {
  if (name.includes('/')) return exists(name) ? name : undefined;
  for (const folder of searchPath.split(path.delimiter)) {
    if (!folder) continue;
    const candidate = path.join(folder, name);
    if (exists(candidate)) return candidate;
  }
  return undefined;
}

/** Where a workspace's own build puts nimbus. */
export const WORKSPACE_BUILD = path.join('build', 'cli', 'nimbus');

/**
 * The nimbus executable: `setting` when set (it must exist), else the first workspace folder's
 * build/cli/nimbus, else nimbus on PATH.
 */
export function findNimbus(setting: string, workspaceFolders: string[], searchPath?: string, exists = isExecutable): string {
  if (setting) {
    const found = onPath(setting, searchPath, exists);
    if (!found) throw new MissingProgram(`nimbus.executable is '${setting}', which is not an executable file: build nimbus (cmake --build build) or fix the setting`);
    return found;
  }
  for (const folder of workspaceFolders) {
    const built = path.join(folder, WORKSPACE_BUILD);
    if (exists(built)) return built;
  }
  const found = onPath('nimbus', searchPath, exists);
  if (!found) {
    throw new MissingProgram(`nimbus was not found: not in the workspace's ${WORKSPACE_BUILD} nor on PATH; build it (cmake -S . -B build && cmake --build build), install it, or set nimbus.executable`);
  }
  return found;
}

/** gdb, for C++ functions. */
export function findGdb(setting: string, searchPath?: string, exists = isExecutable): string {
  const name = setting || 'gdb';
  const found = onPath(name, searchPath, exists);
  if (!found) {
    throw new MissingProgram(`gdb was not found ('${name}'): install it (Debian: apt-get install gdb) or set nimbus.gdb to its path`);
  }
  return found;
}

/** What nimbus says when the Python it embeds has no debugpy, turned into what to do about it. */
export function debugpyMissing(stderr: string): string | undefined {
  if (!/No module named '?debugpy'?/.test(stderr)) return undefined;
  return "debugpy is not installed for the Python that runs the function: install it there (pip install debugpy, e.g. in the workspace's .venv)";
}
