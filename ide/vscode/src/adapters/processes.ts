// Starting nimbus from the editor: its output goes to the Nimbus output channel, line by line, at
// the level each line has.
import { spawn, type ChildProcess } from 'node:child_process';
import * as vscode from 'vscode';
import type { Command } from '../logic/launch';
import { LineSplitter, showJsonLine, type ShownLine } from '../logic/output';

export type Channel = vscode.LogOutputChannel;

/** Writes a shown line at its level. */
export function show(channel: Channel, line: ShownLine): void {
  switch (line.level) {
    case 'debug':
      channel.debug(line.text);
      break;
    case 'warn':
      channel.warn(line.text);
      break;
    case 'error':
      channel.error(line.text);
      break;
    default:
      channel.info(line.text);
  }
}

export interface Started {
  child: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal) and the standard error's text. */
  done: Promise<{ code: number | null; stderr: string }>;
}

/**
 * Starts `command`. Its standard output is read as `--json` lines (or plain text) into the
 * channel; each line of both streams also goes to `onLine`, which may watch for readiness.
 */
export function start(command: Command, channel: Channel, onLine?: (line: string, stream: 'stdout' | 'stderr') => void): Started {
  channel.info(`$ ${[command.command, ...command.args].join(' ')}`);
  const child = spawn(command.command, command.args, {
    cwd: command.cwd,
    env: { ...process.env, ...(command.env ?? {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const out = new LineSplitter();
  const err = new LineSplitter();
  const onOut = (line: string) => {
    const shown = showJsonLine(line);
    if (shown) show(channel, shown);
    onLine?.(line, 'stdout');
  };
  const onErr = (line: string) => {
    if (line.trim()) channel.info(line);
    onLine?.(line, 'stderr');
  };
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => out.push(chunk).forEach(onOut));
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
    err.push(chunk).forEach(onErr);
  });
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    child.on('error', (e) => {
      channel.error(`${command.command}: ${e.message}`);
      resolve({ code: -1, stderr: e.message });
    });
    child.on('close', (code) => {
      out.end().forEach(onOut);
      err.end().forEach(onErr);
      resolve({ code, stderr });
    });
  });
  return { child, done };
}

/** Runs `command` to its end. */
export async function run(command: Command, channel: Channel): Promise<{ code: number | null; stderr: string }> {
  return start(command, channel).done;
}
