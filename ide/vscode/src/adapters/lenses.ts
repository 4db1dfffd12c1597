// "Run | Debug" above each handler.
import * as vscode from 'vscode';
import { readFunctionConfig } from '../logic/functionConfig';
import { cppHandlers, pythonHandlers, type HandlerSite } from '../logic/handlers';
import { nearestFunction } from './workspace';

export class HandlerLenses implements vscode.CodeLensProvider {
  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const file = nearestFunction(document.uri.fsPath);
    if (!file) return [];
    let sites: HandlerSite[];
    try {
      const fn = readFunctionConfig(file);
      sites = document.languageId === 'python' ? pythonHandlers(document.uri.fsPath, document.getText(), fn) : cppHandlers(document.getText()).filter((s) => !fn.handlerFunction || s.name === fn.handlerFunction);
    } catch {
      return [];  // a function.yaml that does not read: its own errors show when it runs
    }
    return sites.flatMap((site) => {
      const range = new vscode.Range(site.line, 0, site.line, 0);
      return [
        new vscode.CodeLens(range, { title: 'Run', command: 'nimbus.runFunction', arguments: [file] }),
        new vscode.CodeLens(range, { title: 'Debug', command: 'nimbus.debugFunction', arguments: [file] }),
      ];
    });
  }
}
