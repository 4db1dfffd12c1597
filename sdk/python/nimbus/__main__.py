"""`python3 -m nimbus ...`: the nimbus command, run for this Python.

    python3 -m nimbus run main.py:handler --event events/ [--debug-port 5678]

It runs the `nimbus` executable (NIMBUS, or `nimbus` on the PATH) with the
same arguments; the handler runs in nimbus's embedded interpreter, set to
this Python and this package, so what imports here imports there.
"""

import os
import shutil
import sys


def main(argv):
    executable = os.environ.get("NIMBUS") or shutil.which("nimbus")
    if not executable:
        sys.exit("python -m nimbus: the nimbus command was not found: put it on the PATH or set NIMBUS "
                 "to its path (e.g. build/cli/nimbus)")
    env = dict(os.environ)
    env.setdefault("NIMBUS_PYTHON", sys.executable)
    env.setdefault("NIMBUS_PYTHON_PATH", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.execve(executable, [executable, *argv], env)


if __name__ == "__main__":
    main(sys.argv[1:])
