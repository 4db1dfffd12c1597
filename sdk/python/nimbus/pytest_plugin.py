"""pytest fixtures for Nimbus functions (registered through the `pytest11`
entry point when the package is installed):

- `nimbus_logs`: a `CapturedLogs` (its `.records`, `.messages(level)`);
- `nimbus_kv`: a factory of `MockKV` bindings (`nimbus_kv({"k": "v"})`);
- `nimbus_objects`: a factory of `MockObjects` bindings (`nimbus_objects({"k": b"v"})`);
- `nimbus_publisher`: a factory of `MockPublisher` bindings (`nimbus_publisher()`);
- `nimbus_context`: a `Context` writing to `nimbus_logs`;
- `nimbus_invoke`: `invoke` with `nimbus_logs` (same arguments as
  `nimbus.testing.invoke`), returning a `Result`;
- `nimbus_event`: `make_event`.
"""

import pytest

from . import testing
from ._event import make_event
from ._logger import CapturedLogs


@pytest.fixture
def nimbus_logs():
    return CapturedLogs()


@pytest.fixture
def nimbus_kv():
    return testing.MockKV


@pytest.fixture
def nimbus_objects():
    return testing.MockObjects


@pytest.fixture
def nimbus_publisher():
    return testing.MockPublisher


@pytest.fixture
def nimbus_context(nimbus_logs):
    return testing.make_context(nimbus_logs)


@pytest.fixture
def nimbus_event():
    return make_event


@pytest.fixture
def nimbus_invoke(nimbus_logs):
    def call(handler, event=None, **options):
        options.setdefault("logs", nimbus_logs)
        return testing.invoke(handler, event, **options)
    return call
