// The workspace as the extension reads it: settings, folders, the function a file belongs to.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

export interface Settings {
  executable: string;
  gdb: string;
  cppDebugger: 'cdt-gdb-adapter' | 'cppdbg';
  serveUrl: string;
}

export function settings(): Settings {
  const c = vscode.workspace.getConfiguration('nimbus');
  return {
    executable: c.get<string>('executable', ''),
    gdb: c.get<string>('gdb', 'gdb'),
    cppDebugger: c.get<'cdt-gdb-adapter' | 'cppdbg'>('cppDebugger', 'cdt-gdb-adapter'),
    serveUrl: c.get<string>('serveUrl', 'http://127.0.0.1:8080'),
  };
}

export function workspaceFolders(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
}

/** The function.yaml of `file`: itself, or the nearest one in its folder or above (within the workspace). */
export function nearestFunction(file: string | undefined): string | undefined {
  if (!file) return undefined;
  if (path.basename(file) === 'function.yaml') return file;
  const roots = workspaceFolders();
  let folder = path.dirname(file);
  for (;;) {
    const candidate = path.join(folder, 'function.yaml');
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(folder);
    if (parent === folder || roots.includes(folder)) return undefined;
    folder = parent;
  }
}

/** The function to act on: `given` (a command's argument), else the open file's, else one to pick. */
export async function chooseFunction(given?: unknown): Promise<string | undefined> {
  if (given instanceof vscode.Uri) return nearestFunction(given.fsPath);
  if (typeof given === 'string') return given;
  const open = nearestFunction(vscode.window.activeTextEditor?.document.uri.fsPath);
  if (open) return open;
  const files = await vscode.workspace.findFiles('**/function.yaml', '**/node_modules/**', 100);
  if (files.length === 0) {
    void vscode.window.showErrorMessage('Nimbus: no function.yaml in this workspace; create one with "Nimbus: New Function"');
    return undefined;
  }
  if (files.length === 1) return files[0].fsPath;
  const picked = await vscode.window.showQuickPick(
    files.map((f) => ({ label: vscode.workspace.asRelativePath(f), file: f.fsPath })),
    { placeHolder: 'Which function?' },
  );
  return picked?.file;
}
