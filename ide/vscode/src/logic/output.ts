// nimbus's output as the extension reads it: `nimbus run --json` / `nimbus invoke --json` lines
// for the output channel (each with its level), the line that says debugpy waits, and the ready
// lines of `nimbus run` on triggers and `nimbus serve`. Never imports vscode.

export type Level = 'debug' | 'info' | 'warn' | 'error';

/** One line for the output channel. */
export interface ShownLine {
  level: Level;
  text: string;
}

function fieldsText(fields: unknown): string {
  if (typeof fields !== 'object' || fields === null) return '';
  return Object.entries(fields as Record<string, unknown>)
    .map(([k, v]) => `  ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('');
}

function bodyText(response: Record<string, unknown>): string {
  if (typeof response.body === 'string') return response.body;
  if (response.body !== undefined && response.body !== null) return JSON.stringify(response.body);
  if (typeof response.bodyBase64 === 'string') return `<${Buffer.from(response.bodyBase64, 'base64').length} bytes of binary body>`;
  return '';
}

/**
 * A line of `--json` output as the output channel shows it: logs at their level, responses as
 * info (a 5xx as error, a 4xx as warn), errors and notices. Anything else is shown as it is.
 */
export function showJsonLine(line: string): ShownLine | undefined {
  if (!line.trim()) return undefined;
  let item: Record<string, unknown>;
  try {
    item = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { level: 'info', text: line };
  }
  if (typeof item !== 'object' || item === null) return { level: 'info', text: line };
  const event = typeof item.event === 'string' ? item.event : '';
  switch (item.type) {
    case 'log': {
      const level = (['debug', 'info', 'warn', 'error'].includes(item.level as string) ? item.level : 'info') as Level;
      const logger = typeof item.logger === 'string' && item.logger ? `  [${item.logger}]` : '';
      return { level, text: `${event}  ${String(item.message ?? '')}${logger}${fieldsText(item.fields)}` };
    }
    case 'response': {
      const status = typeof item.status === 'number' ? item.status : 0;
      const level: Level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      const took = typeof item.durationMs === 'number' ? `  ${item.durationMs.toFixed(2)} ms` : '';
      const type = typeof item.contentType === 'string' && item.contentType ? `  ${item.contentType}` : '';
      const body = bodyText(item);
      return { level, text: `${event}  → ${status}${type}${took}${body ? `\n${body}` : ''}` };
    }
    case 'error':
      return { level: 'error', text: `${String(item.origin ?? '')}: ${String(item.message ?? '')}` };
    case 'notice':
      return { level: item.warning ? 'warn' : 'info', text: String(item.message ?? '') };
    case 'ready':
      return { level: 'info', text: `${String(item.function ?? '')} runs on its triggers${describeTriggers(item.triggers)}` };
    default:
      return { level: 'info', text: line };
  }
}

function describeTriggers(triggers: unknown): string {
  if (!Array.isArray(triggers) || triggers.length === 0) return '';
  const parts = triggers.map((t: Record<string, unknown>) => {
    const at = t.port !== undefined ? ` on ${String(t.host ?? '127.0.0.1')}:${String(t.port)}` : '';
    return `${String(t.kind ?? '')} '${String(t.name ?? '')}'${at}`;
  });
  return `: ${parts.join(', ')}`;
}

/** The port of `nimbus: debugpy listening on 127.0.0.1:PORT; waiting ...`, or undefined. */
export function debugpyListening(line: string): number | undefined {
  const m = /nimbus: debugpy listening on [^\s:]+:(\d+)/.exec(line);
  return m ? Number(m[1]) : undefined;
}

/** Whether `line` is the ready line of `nimbus serve` or of `nimbus run --json` on triggers. */
export function isReadyLine(line: string): boolean {
  try {
    const item = JSON.parse(line) as Record<string, unknown>;
    return typeof item === 'object' && item !== null && (typeof item.serving === 'string' || item.type === 'ready');
  } catch {
    return false;
  }
}

/** Where a running function answers HTTP, from its ready line (`nimbus serve`, or `nimbus run --json` on triggers). */
export function httpAddress(line: string): string | undefined {
  let item: Record<string, unknown>;
  try {
    item = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof item !== 'object' || item === null) return undefined;
  const host = (h: unknown) => (typeof h !== 'string' || h === '0.0.0.0' || h === '' ? '127.0.0.1' : h);
  if (typeof item.serving === 'string' && typeof item.port === 'number') return `http://${host(item.host)}:${item.port}`;
  if (item.type === 'ready' && Array.isArray(item.triggers)) {
    const http = item.triggers.find((t: Record<string, unknown>) => t.kind === 'http' && typeof t.port === 'number');
    if (http) return `http://${host(http.host)}:${String(http.port)}`;
  }
  return undefined;
}

/** Splits a stream's chunks into whole lines. */
export class LineSplitter {
  private rest = '';
  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  }
  end(): string[] {
    const last = this.rest;
    this.rest = '';
    return last ? [last] : [];
  }
}
