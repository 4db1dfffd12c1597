// A small stand-in for the `vscode` module: what the extension's adapters call, recorded so that
// a test can see what was registered, shown and reported. Installed by ./install.ts.
/* eslint-disable @typescript-eslint/no-explicit-any */
import * as path from 'node:path';

export const recorded = {
  commands: new Map<string, (...args: any[]) => any>(),
  configurationProviders: [] as { type: string; provider: any; trigger?: number }[],
  adapterFactories: new Map<string, any>(),
  codeLensProviders: [] as { selector: any; provider: any }[],
  errors: [] as string[],
  infos: [] as string[],
  channelLines: [] as { level: string; text: string }[],
  testControllers: [] as TestController[],
  settings: {} as Record<string, unknown>,
  workspaceFolders: [] as string[],
  activeFile: undefined as string | undefined,
  quickPicks: [] as unknown[],
  inputs: [] as (string | undefined)[],
  startedDebugging: [] as any[],
};

export function reset(): void {
  recorded.commands.clear();
  recorded.configurationProviders = [];
  recorded.adapterFactories.clear();
  recorded.codeLensProviders = [];
  recorded.errors = [];
  recorded.infos = [];
  recorded.channelLines = [];
  recorded.testControllers = [];
  recorded.settings = {};
  recorded.quickPicks = [];
  recorded.inputs = [];
  recorded.startedDebugging = [];
}

export class Disposable {
  constructor(private readonly f: () => void = () => undefined) {}
  dispose(): void {
    this.f();
  }
}

export class Uri {
  private constructor(readonly fsPath: string) {}
  static file(p: string): Uri {
    return new Uri(path.resolve(p));
  }
  get path(): string {
    return this.fsPath;
  }
  toString(): string {
    return `file://${this.fsPath}`;
  }
}

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}

export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(a: number, b: number, c: number, d: number) {
    this.start = new Position(a, b);
    this.end = new Position(c, d);
  }
}

export class CodeLens {
  constructor(
    readonly range: Range,
    readonly command?: { title: string; command: string; arguments?: unknown[] },
  ) {}
}

export class DebugAdapterExecutable {
  constructor(
    readonly command: string,
    readonly args: string[] = [],
    readonly options: { env?: Record<string, string> } = {},
  ) {}
}

export class DebugAdapterServer {
  constructor(
    readonly port: number,
    readonly host?: string,
  ) {}
}

export enum DebugConfigurationProviderTriggerKind {
  Initial = 1,
  Dynamic = 2,
}

export enum TestRunProfileKind {
  Run = 1,
  Debug = 2,
  Coverage = 3,
}

export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}

export class TestMessage {
  expectedOutput?: string;
  actualOutput?: string;
  constructor(readonly message: string) {}
  static diff(message: string, expected: string, actual: string): TestMessage {
    const m = new TestMessage(message);
    m.expectedOutput = expected;
    m.actualOutput = actual;
    return m;
  }
}

export class TestRunRequest {
  constructor(readonly include?: TestItem[]) {}
}

class TestItemCollection {
  private readonly items = new Map<string, TestItem>();
  constructor(private readonly parent?: TestItem) {}
  get size(): number {
    return this.items.size;
  }
  add(item: TestItem): void {
    item.parent = this.parent;
    this.items.set(item.id, item);
  }
  get(id: string): TestItem | undefined {
    return this.items.get(id);
  }
  [Symbol.iterator](): Iterator<[string, TestItem]> {
    return this.items[Symbol.iterator]();
  }
}

export class TestItem {
  parent?: TestItem;
  description?: string;
  range?: Range;
  readonly children: TestItemCollection = new TestItemCollection(this);
  constructor(
    readonly id: string,
    readonly label: string,
    readonly uri?: Uri,
  ) {}
}

export class TestRun {
  readonly results: { id: string; state: string; messages: TestMessage[]; duration?: number }[] = [];
  ended = false;
  started(item: TestItem): void {
    this.results.push({ id: item.id, state: 'started', messages: [] });
  }
  passed(item: TestItem, duration?: number): void {
    this.results.push({ id: item.id, state: 'passed', messages: [], duration });
  }
  failed(item: TestItem, message: TestMessage | TestMessage[], duration?: number): void {
    this.results.push({ id: item.id, state: 'failed', messages: ([] as TestMessage[]).concat(message), duration });
  }
  errored(item: TestItem, message: TestMessage | TestMessage[], duration?: number): void {
    this.results.push({ id: item.id, state: 'errored', messages: ([] as TestMessage[]).concat(message), duration });
  }
  end(): void {
    this.ended = true;
  }
}

export class TestController {
  readonly items = new TestItemCollection();
  readonly runs: TestRun[] = [];
  readonly profiles: { label: string; handler: (request: TestRunRequest, token: any) => any }[] = [];
  constructor(
    readonly id: string,
    readonly label: string,
  ) {}
  createTestItem(id: string, label: string, uri?: Uri): TestItem {
    return new TestItem(id, label, uri);
  }
  createRunProfile(label: string, _kind: TestRunProfileKind, handler: (request: TestRunRequest, token: any) => any): object {
    this.profiles.push({ label, handler });
    return {};
  }
  createTestRun(): TestRun {
    const run = new TestRun();
    this.runs.push(run);
    return run;
  }
  dispose(): void {}
}

function channel(): any {
  const line = (level: string) => (text: string) => recorded.channelLines.push({ level, text });
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error'), trace: line('trace'), appendLine: line('info'), show: () => undefined, dispose: () => undefined };
}

export const window = {
  createOutputChannel: () => channel(),
  showErrorMessage: async (m: string) => {
    recorded.errors.push(m);
    return undefined;
  },
  showInformationMessage: async (m: string) => {
    recorded.infos.push(m);
    return undefined;
  },
  showQuickPick: async (items: unknown[]) => {
    const want = recorded.quickPicks.shift();
    return (items as any[]).find((i) => i === want || i?.label === want);
  },
  showInputBox: async () => recorded.inputs.shift(),
  showTextDocument: async () => undefined,
  withProgress: async (_o: unknown, task: () => Promise<unknown>) => task(),
  get activeTextEditor() {
    return recorded.activeFile ? { document: { uri: Uri.file(recorded.activeFile) } } : undefined;
  },
};

export const workspace = {
  getConfiguration: () => ({
    get: <T>(key: string, fallback: T): T => (key in recorded.settings ? (recorded.settings[key] as T) : fallback),
  }),
  get workspaceFolders() {
    return recorded.workspaceFolders.map((f, index) => ({ uri: Uri.file(f), name: path.basename(f), index }));
  },
  getWorkspaceFolder: (uri: Uri) => {
    const f = recorded.workspaceFolders.find((w) => uri.fsPath.startsWith(w));
    return f ? { uri: Uri.file(f), name: path.basename(f), index: 0 } : undefined;
  },
  asRelativePath: (u: Uri | string) => {
    const p = typeof u === 'string' ? u : u.fsPath;
    const f = recorded.workspaceFolders.find((w) => p.startsWith(w));
    return f ? path.relative(f, p) : p;
  },
  findFiles: async () => [] as Uri[],
};

export const commands = {
  registerCommand: (id: string, f: (...args: any[]) => any) => {
    recorded.commands.set(id, f);
    return new Disposable(() => recorded.commands.delete(id));
  },
  executeCommand: async (id: string, ...args: any[]) => recorded.commands.get(id)?.(...args),
};

export const debug = {
  registerDebugConfigurationProvider: (type: string, provider: any, trigger?: number) => {
    recorded.configurationProviders.push({ type, provider, trigger });
    return new Disposable();
  },
  registerDebugAdapterDescriptorFactory: (type: string, factory: any) => {
    recorded.adapterFactories.set(type, factory);
    return new Disposable();
  },
  onDidTerminateDebugSession: () => new Disposable(),
  startDebugging: async (_folder: unknown, config: any) => {
    recorded.startedDebugging.push(config);
    return true;
  },
};

export const languages = {
  registerCodeLensProvider: (selector: any, provider: any) => {
    recorded.codeLensProviders.push({ selector, provider });
    return new Disposable();
  },
};

export const tests = {
  createTestController: (id: string, label: string) => {
    const c = new TestController(id, label);
    recorded.testControllers.push(c);
    return c;
  },
};

export const extensions = {
  getExtension: () => undefined,
};
