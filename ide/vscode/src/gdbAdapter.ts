// The debug adapter for C++ functions: Eclipse CDT's adapter (Debug Adapter Protocol over gdb's
// MI), run as its own process on standard input and output. A function's library is loaded by
// nimbus with dlopen after gdb starts, so a breakpoint in it must wait for it (`-break-insert -f`);
// the CDT adapter's backend hook sets that for every breakpoint. Never imports vscode.
import { GDBBackend, GDBDebugSession } from 'cdt-gdb-adapter';
import { GDBBackendFactory } from 'cdt-gdb-adapter/dist/desktop/factories/GDBBackendFactory';

class PendingBreakpointsBackend extends GDBBackend {
  override async getBreakpointOptions(...args: Parameters<GDBBackend['getBreakpointOptions']>): ReturnType<GDBBackend['getBreakpointOptions']> {
    const [, initial] = args;
    return { ...initial, pending: true };
  }
}

class PendingBreakpointsFactory extends GDBBackendFactory {
  override async createBackend(...args: Parameters<GDBBackendFactory['createBackend']>): ReturnType<GDBBackendFactory['createBackend']> {
    const [, manager, , name] = args;
    return new PendingBreakpointsBackend(manager, name);
  }
}

class NimbusGdbSession extends GDBDebugSession {
  constructor() {
    super(new PendingBreakpointsFactory());
  }
}

process.on('uncaughtException', (e) => {
  process.stderr.write(`nimbus gdb adapter: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
});
NimbusGdbSession.run(NimbusGdbSession);
