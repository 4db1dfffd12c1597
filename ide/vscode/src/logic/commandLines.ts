// The nimbus command lines behind the extension's commands (besides run and replay, which live
// with their configurations). Never imports vscode.

/** What `nimbus events new` writes. */
export const EVENT_KINDS = ['http', 'cloudevent', 'cron', 'nats', 'mqtt', 'kafka', 'redis'] as const;

/** `nimbus invoke`: one event file or folder to a running function, its logs and answers as JSON lines. */
export function invokeArguments(url: string, event: string, options: { cloudEvent?: 'binary' | 'structured'; logLevel?: string } = {}): string[] {
  const args = ['invoke', url, '--event', event, '--json'];
  if (options.cloudEvent) args.push('--cloudevent', options.cloudEvent);
  if (options.logLevel) args.push('--log-level', options.logLevel);
  return args;
}

/** `nimbus run` over the function's events, recording to `tape`. */
export function recordArguments(functionFile: string, tape: string, events = 'events/'): string[] {
  return ['run', functionFile, '--event', events, '--record', tape, '--json'];
}

/** `nimbus serve` on free ports, on loopback: the editor's own server. */
export function serveArguments(functionFile: string): string[] {
  return ['serve', functionFile, '--host', '127.0.0.1', '--port', '0', '--admin-port', '0'];
}

/** A tape's file name for a recording started at `when`: 2026-12-02T10-15-00.ndjson. */
export function tapeName(when: Date): string {
  return `${when.toISOString().slice(0, 19).replace(/:/g, '-')}.ndjson`;
}
