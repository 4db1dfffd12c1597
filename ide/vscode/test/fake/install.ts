// Makes `require('vscode')` load the fake module: import this first in a test of the adapters.
import Module = require('node:module');
import * as path from 'node:path';

const fake = path.join(__dirname, 'vscode.js');
const modules = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
const original = modules._resolveFilename;
modules._resolveFilename = function (request: string, ...rest: unknown[]): string {
  return request === 'vscode' ? fake : original.call(this, request, ...rest);
};
