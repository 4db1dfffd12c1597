// A `nimbus` launch configuration turned into what runs: the nimbus command line, and how a
// debugger is put on it (gdb through the CDT adapter or cppdbg for C++, debugpy for Python).
// Never imports vscode: the extension and the tests use the same functions.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Runtime } from './functionConfig';

/** The launch configuration a user writes (package.json's configurationAttributes). */
export interface NimbusLaunchConfig {
  type?: string;
  request?: string;
  name?: string;
  function?: string;
  event?: string | string[];
  bindings?: Record<string, string>;
  env?: Record<string, string>;
  triggers?: boolean | string[];
  logLevel?: string;
  debugPort?: number;
  [key: string]: unknown;
}

export class LaunchError extends Error {}

const LEVELS = ['debug', 'info', 'warn', 'error'];

/** The events a configuration names, as a list. */
function events(config: NimbusLaunchConfig): string[] {
  if (config.event === undefined) return [];
  return Array.isArray(config.event) ? config.event : [config.event];
}

/** `file` made absolute against `base`, the way VS Code reads relative paths in launch.json. */
function absolute(file: string, base: string): string {
  return path.isAbsolute(file) ? file : path.join(base, file);
}

/**
 * The configuration with its paths absolute (against `workspaceFolder`) and checked; with no
 * event and no triggers, the function's events/ folder when it has one. Errors say what to fix.
 */
export function resolveLaunch(config: NimbusLaunchConfig, workspaceFolder: string): NimbusLaunchConfig {
  if (!config.function) throw new LaunchError("the launch configuration names no function: set \"function\" to a function.yaml");
  const fn = absolute(config.function, workspaceFolder);
  if (!fs.existsSync(fn)) throw new LaunchError(`the function ${fn} does not exist`);
  const resolved: NimbusLaunchConfig = { ...config, function: fn };
  const named = events(config).map((e) => absolute(e, workspaceFolder));
  for (const e of named) {
    if (!fs.existsSync(e)) throw new LaunchError(`the event file or folder ${e} does not exist`);
  }
  const onTriggers = config.triggers === true || Array.isArray(config.triggers);
  if (onTriggers && named.length > 0) throw new LaunchError('"event" and "triggers" exclude each other: run on event files or on the function\'s triggers');
  if (!onTriggers && named.length === 0) {
    const own = path.join(path.dirname(fn), 'events');
    if (!fs.existsSync(own)) throw new LaunchError(`name event files ("event") or run on the function's triggers ("triggers": true); ${own} does not exist`);
    named.push(own + path.sep);
  }
  if (named.length > 0) resolved.event = named;
  if (config.logLevel !== undefined && !LEVELS.includes(config.logLevel)) {
    throw new LaunchError(`logLevel '${config.logLevel}': expected ${LEVELS.join(', ')}`);
  }
  return resolved;
}

/** `nimbus run`'s arguments for a resolved configuration (`--json` for output the extension reads). */
export function runArguments(config: NimbusLaunchConfig, options: { json?: boolean; debugPort?: number } = {}): string[] {
  const args = ['run', config.function ?? ''];
  for (const e of events(config)) args.push('--event', e);
  if (Array.isArray(config.triggers)) {
    for (const t of config.triggers) args.push('--trigger', t);
  }
  for (const [name, spec] of Object.entries(config.bindings ?? {})) args.push('--bind', `${name}=${spec}`);
  for (const [name, value] of Object.entries(config.env ?? {})) args.push('--env', `${name}=${value}`);
  if (config.logLevel) args.push('--log-level', config.logLevel);
  if (options.json) args.push('--json');
  if (options.debugPort !== undefined) args.push('--debug-port', String(options.debugPort));
  return args;
}

/** One word for a POSIX shell (gdb starts the program through one). */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_\/.,:=@%+-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A program to start. */
export interface Command {
  command: string;
  args: string[];
  cwd?: string;
  env?: Record<string, string>;
}

/** What the extension knows when it plans a debug session. */
export interface DebugFacts {
  nimbus: string;
  runtime: Runtime;
  /** gdb, for C++ */
  gdb?: string;
  /** The JavaScript runtime that runs the CDT adapter (node, or VS Code's own as node). */
  node: string;
  /** The C++ debug adapter's entry script (gdbAdapterScript). */
  adapterScript: string;
  cppDebugger?: 'cdt-gdb-adapter' | 'cppdbg';
  /** For Python: the port debugpy listens on. */
  debugPort?: number;
}

export type DebugPlan =
  | {
      kind: 'gdb';
      /** Run first: builds the function (with debug information) outside the debugger. */
      build: Command;
      /** The debug adapter to start; it speaks DAP on its standard input and output. */
      adapter: Command;
      /** The launch request's arguments for the adapter. */
      launch: Record<string, unknown>;
    }
  | { kind: 'cppdbg'; build: Command; config: Record<string, unknown> }
  | {
      kind: 'debugpy';
      /** The emulator, which waits for a debugger on `port` before it loads the function. */
      emulator: Command;
      port: number;
      /** The attach request's arguments for debugpy. */
      attach: Record<string, unknown>;
    };

/** The C++ debug adapter's entry script (the CDT adapter with pending breakpoints, src/gdbAdapter.ts). */
export function gdbAdapterScript(extensionRoot: string): string {
  return path.join(extensionRoot, 'out', 'src', 'gdbAdapter.js');
}

/** How a resolved configuration is debugged. */
export function planDebug(config: NimbusLaunchConfig, facts: DebugFacts): DebugPlan {
  const fn = config.function ?? '';
  const cwd = path.dirname(fn);
  const name = config.name ?? 'nimbus';
  if (facts.runtime === 'python') {
    if (facts.debugPort === undefined) throw new LaunchError('no port for debugpy');
    return {
      kind: 'debugpy',
      emulator: { command: facts.nimbus, args: runArguments(config, { debugPort: facts.debugPort }), cwd },
      port: facts.debugPort,
      attach: {
        type: 'nimbus',
        request: 'attach',
        name,
        connect: { host: '127.0.0.1', port: facts.debugPort },
        justMyCode: false,
        pathMappings: [],
      },
    };
  }
  if (!facts.gdb) throw new LaunchError('no gdb for a C++ function');
  const build: Command = { command: facts.nimbus, args: ['build', fn], cwd };
  const args = runArguments(config);
  if ((facts.cppDebugger ?? 'cdt-gdb-adapter') === 'cppdbg') {
    return {
      kind: 'cppdbg',
      build,
      config: {
        type: 'cppdbg',
        request: 'launch',
        name,
        program: facts.nimbus,
        args,
        cwd,
        MIMode: 'gdb',
        miDebuggerPath: facts.gdb,
        stopAtEntry: false,
        externalConsole: false,
        setupCommands: [
          { text: '-enable-pretty-printing', ignoreFailures: true },
          { text: 'set breakpoint pending on', ignoreFailures: true },
        ],
      },
    };
  }
  return {
    kind: 'gdb',
    build,
    adapter: { command: facts.node, args: [facts.adapterScript], env: { ELECTRON_RUN_AS_NODE: '1' } },
    launch: {
      type: 'nimbus',
      request: 'launch',
      name,
      program: facts.nimbus,
      arguments: args.map(shellQuote).join(' '),
      cwd,
      gdb: facts.gdb,
    },
  };
}
