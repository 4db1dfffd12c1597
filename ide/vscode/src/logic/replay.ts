// `nimbus replay --json` reports as test items: one per recorded event, with what changed in it
// (the recorded and the replayed side of each part, for a diff view). Never imports vscode.
export type Outcome = 'passed' | 'changed' | 'unreadable';

export interface PartChange {
  /** "response", "logs" or "calls". */
  part: string;
  /** The recorded and the replayed side, as pretty JSON text. */
  expected: string;
  actual: string;
  /** A unified diff of the two. */
  diff: string;
}

export interface RecordItem {
  /** Stable across runs of the same tape: the tape and the record's line on it. */
  id: string;
  line: number;
  label: string;
  event: string;
  outcome: Outcome;
  durationMs: number;
  changes: PartChange[];
  error?: string;
}

export interface ReplayResult {
  tape: string;
  summary: { passed: number; changed: number; unreadable: number };
  items: RecordItem[];
}

export class ReportError extends Error {}

function pretty(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

/** The test item id of the record on `line` of `tape`. */
export function recordId(tape: string, line: number): string {
  return `${tape}:${line}`;
}

/** Reads a report (`nimbus replay --json FILE`'s content). */
export function parseReplayReport(text: string): ReplayResult {
  let report: Record<string, unknown>;
  try {
    report = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new ReportError(`the replay report is not JSON: ${(e as Error).message}`);
  }
  if (typeof report !== 'object' || report === null || !Array.isArray(report.findings)) {
    throw new ReportError('the replay report has no findings: is this nimbus replay --json output?');
  }
  const tape = String(report.tape ?? '');
  const summary = (report.summary ?? {}) as Record<string, number>;
  const items = (report.findings as Record<string, unknown>[]).map((f): RecordItem => {
    const line = Number(f.line ?? 0);
    const event = String(f.event ?? '');
    const outcome = (['passed', 'changed', 'unreadable'].includes(f.outcome as string) ? f.outcome : 'unreadable') as Outcome;
    const changes = Array.isArray(f.differences)
      ? (f.differences as Record<string, unknown>[]).map((d) => ({
          part: String(d.part ?? ''),
          expected: pretty(d.expected),
          actual: pretty(d.actual),
          diff: String(d.diff ?? ''),
        }))
      : [];
    return {
      id: recordId(tape, line),
      line,
      label: event || `line ${line}`,
      event,
      outcome,
      durationMs: Number(f.durationMs ?? 0),
      changes,
      ...(typeof f.error === 'string' ? { error: f.error } : {}),
    };
  });
  return {
    tape,
    summary: { passed: summary.passed ?? 0, changed: summary.changed ?? 0, unreadable: summary.unreadable ?? 0 },
    items,
  };
}

/** `nimbus replay`'s arguments: the tape against a function, the report to `json`, only `lines` when given. */
export function replayArguments(tape: string, functionFile: string, json: string, lines: number[] = []): string[] {
  const args = ['replay', tape, '--function', functionFile, '--json', json, '--color', 'never'];
  for (const l of lines) args.push('--line', String(l));
  return args;
}

/** What a changed record's message says: each part that changed, with its diff. */
export function changeMessage(item: RecordItem): string {
  if (item.outcome === 'unreadable') return item.error ?? 'unreadable record';
  return item.changes.map((c) => `${c.part} changed\n${c.diff}`).join('\n');
}

/** Whether `firstLine` (a file's first line) is a tape's header: `{"nimbusTape": 1, ...}`. */
export function isTapeHeader(firstLine: string): boolean {
  try {
    const header = JSON.parse(firstLine) as Record<string, unknown>;
    return typeof header === 'object' && header !== null && typeof header.nimbusTape === 'number';
  } catch {
    return false;
  }
}

/** What the test view shows for one record. */
export interface RecordOutcome {
  id: string;
  state: 'passed' | 'failed' | 'errored';
  durationMs: number;
  /** One per part that changed, each a diff of its recorded and replayed side; or the error. */
  messages: { text: string; expected?: string; actual?: string }[];
}

/** The test view's outcome of every record of a replay. */
export function recordOutcomes(result: ReplayResult): RecordOutcome[] {
  return result.items.map((item) => {
    if (item.outcome === 'passed') return { id: item.id, state: 'passed', durationMs: item.durationMs, messages: [] };
    if (item.outcome === 'unreadable') {
      return { id: item.id, state: 'errored', durationMs: item.durationMs, messages: [{ text: item.error ?? 'unreadable record' }] };
    }
    return {
      id: item.id,
      state: 'failed',
      durationMs: item.durationMs,
      messages: item.changes.map((c) => ({
        text: `${item.label}: the ${c.part} changed (recorded ← → replayed)`,
        expected: c.expected,
        actual: c.actual,
      })),
    };
  });
}
