"""nuclio's `context.platform` (C++ `ctx.platform()`), in C++ and in Python:
drain and termination callbacks when `nimbus serve` drains on SIGTERM and
when `nimbus run` stops; `call_function` from one running function to
another; explicit acknowledgement of Redis stream entries (a real
redis-server on loopback; Kafka's is in test_kafka).

Run by ctest, or by hand:
NIMBUS=build/cli/nimbus NIMBUS_SOURCE_DIR=. .venv/bin/python -m unittest -v test_platform
"""

import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import unittest
from pathlib import Path

from brokers import Redis
from test_serve import started_process
from test_streams import handled, metric, wait_for

NIMBUS = os.environ["NIMBUS"]

PLATFORM_CPP = """\
#include <nimbus/nimbus.hpp>
void init(nimbus::Context& ctx) {
  ctx.platform().set_drain_callback([&ctx] { ctx.logger().info_with("drained", {{"worker", ctx.worker_id()}}); });
  ctx.platform().set_termination_callback(
      [&ctx] { ctx.logger().info_with("terminated", {{"worker", ctx.worker_id()}}); });
}
nimbus::Response handle(nimbus::Context& ctx, const nimbus::Event& event) {
  if (event.path() == "/echo") {  // what a caller sent: its target header and the name field
    return nimbus::Response::text("echo " + std::string(event.header("X-Nuclio-Target").value_or("-")) + " " +
                                  std::string(event.field("name").value_or("-")));
  }
  if (event.path() == "/call") {
    auto call = nimbus::FunctionCall::from_event(event);
    call.path = "/echo?name=cpp";
    auto r = ctx.platform().call_function(event.field("to").value_or("echo"), call, std::chrono::seconds(10));
    if (!r) return nimbus::Response::text(r.error().message, 502);
    return nimbus::Response::text("called " + std::to_string(r->status()) + ": " + r->body());
  }
  if (event.header("X-Later")) return nimbus::Response::text("later").with_header("X-Nuclio-Stream-No-Ack", "1");
  if (event.header("X-Ack")) {
    auto acked = ctx.platform().explicit_ack(nimbus::QualifiedOffset::from_event(event));
    if (!acked) return nimbus::Response::text(acked.error().message, 500);
  }
  ctx.logger().info_with("handled", {{"body", std::string(event.body())}});
  return nimbus::Response::text("ok " + std::string(event.body()));
}
NIMBUS_FUNCTION_WITH_INIT(handle, init)
"""

PLATFORM_PY = """\
import nuclio_sdk


def init_context(context):
    context.platform.set_drain_callback(lambda: context.logger.info_with("drained", worker=context.worker_id))
    context.platform.set_termination_callback(
        lambda: context.logger.info_with("terminated", worker=context.worker_id))


async def handler(context, event):
    if event.path == "/call":
        answer = context.platform.call_function(event.fields.get("to", "echo"),
                                                nuclio_sdk.Event(body={"from": "python"}, path="/echo?name=py"),
                                                timeout=10)
        body = answer.body.decode() if isinstance(answer.body, bytes) else answer.body  # bytes, as nuclio's
        return f"called {answer.status_code}: {body}"
    if event.headers.get("X-Ack"):
        await context.platform.explicit_ack(nuclio_sdk.QualifiedOffset.from_event(event))
    context.logger.info_with("handled", body=event.body.decode() if isinstance(event.body, bytes) else event.body)
    response = context.Response(body="ok", status_code=200)
    if event.headers.get("X-Later"):
        response.ensure_no_ack()
    return response
"""

# The embedded Python runtime is not built with the sanitizers (scripts/test.sh's second pass).
RUNTIMES = ("cpp", "py") if os.environ.get("NIMBUS_HAS_PYTHON", "1") not in ("0", "") else ("cpp",)


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


class PlatformTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = Path(tempfile.mkdtemp())
        cls.redis = Redis()
        for name, runtime, source in [("cpp", "cpp", PLATFORM_CPP), ("py", "python", PLATFORM_PY)]:
            d = cls.dir / name
            d.mkdir()
            if runtime == "cpp":
                (d / "platform.cpp").write_text(source)
            else:
                (d / "main.py").write_text(source)
        cls.write("cpp", "")
        r = subprocess.run([NIMBUS, "build", cls.dir / "cpp" / "function.yaml"], capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        cls.redis.stop()
        shutil.rmtree(cls.dir)

    @classmethod
    def write(cls, name, triggers, env=None, workers=1, file="function.yaml"):
        runtime = "cpp" if name == "cpp" else "python"
        handler = "platform:handle" if runtime == "cpp" else "main:handler"
        text = f"metadata: {{name: {name}}}\nspec:\n  runtime: {runtime}\n  handler: {handler}\n"
        if runtime == "cpp":
            text += "  build: {sources: [platform.cpp]}\n"
        if env:
            text += "  env:\n" + "".join(f"    - {{name: {k}, value: '{v}'}}\n" for k, v in env.items())
        text += "  triggers:\n" + (triggers or f"    web: {{kind: http, numWorkers: {workers}, attributes: {{port: 0}}}}\n")
        (cls.dir / name / file).write_text(text)

    def serve(self, name):
        return started_process([NIMBUS, "serve", self.dir / name / "function.yaml", "--host", "127.0.0.1",
                                "--admin-port", "0", "--log-level", "info"], self.dir / name)

    def test_drain_and_termination_callbacks_run_once_per_worker_on_sigterm(self):
        for name in RUNTIMES:
            with self.subTest(runtime=name):
                self.write(name, None, workers=2)
                with self.serve(name) as proc:
                    info = json.loads(proc.stdout.readline() or "null")
                    self.assertIsNotNone(info, proc.stderr.read() if proc.poll() is not None else "")
                    self.assertEqual(get(info["triggers"][0]["port"], "/")[0], 200)
                    proc.send_signal(signal.SIGTERM)
                    self.assertEqual(proc.wait(60), 0)
                    records = [json.loads(l) for l in proc.stderr.read().splitlines() if l.startswith("{")]
                said = [(r["message"], r["fields"]["worker"]) for r in records
                        if r.get("message") in ("drained", "terminated")]
                self.assertEqual(sorted(said), [("drained", 0), ("drained", 1), ("terminated", 0), ("terminated", 1)])
                for worker in (0, 1):  # drained before terminated, each worker
                    self.assertLess(said.index(("drained", worker)), said.index(("terminated", worker)))

    def test_the_emulator_runs_them_when_it_stops(self):
        for name in RUNTIMES:
            with self.subTest(runtime=name):
                self.write(name, None)
                with started_process([NIMBUS, "run", self.dir / name / "function.yaml", "--json", "--port", "0"],
                                     self.dir / name) as proc:
                    ready = json.loads(proc.stdout.readline() or "null")
                    self.assertEqual(ready["type"], "ready", proc.stderr.read() if proc.poll() is not None else "")
                    proc.send_signal(signal.SIGINT)
                    self.assertEqual(proc.wait(30), 0)
                    out = proc.stdout.read()
                self.assertIn('"drained"', out)
                self.assertIn('"terminated"', out)
                self.assertLess(out.index('"drained"'), out.index('"terminated"'))

    def test_call_function_reaches_the_function_named_in_the_environment(self):
        self.write("cpp", None)
        with self.serve("cpp") as target:  # the function called: it answers /echo with what it got
            target_port = json.loads(target.stdout.readline())["triggers"][0]["port"]
            for name in RUNTIMES:
                with self.subTest(runtime=name):
                    self.write(name, None, env={"NIMBUS_FUNCTION_URL_ECHO": f"http://127.0.0.1:{target_port}"},
                               file="caller.yaml")
                    with started_process([NIMBUS, "serve", self.dir / name / "caller.yaml", "--host", "127.0.0.1",
                                          "--admin-port", "0"], self.dir / name) as proc:
                        port = json.loads(proc.stdout.readline())["triggers"][0]["port"]
                        status, body = get(port, "/call")
                        self.assertEqual((status, body), (200, f"called 200: echo echo {name}"))
                        status, body = get(port, "/call?to=nowhere-else")
                        self.assertIn("NIMBUS_FUNCTION_URL_NOWHERE_ELSE", body)
                        self.assertNotEqual(status, 200)
                        proc.send_signal(signal.SIGTERM)
                        self.assertEqual(proc.wait(30), 0)

    def test_redis_entries_wait_for_the_functions_explicit_ack(self):
        for name, mode in [(n, m) for n, m in (("cpp", "enable"), ("py", "enable"), ("py", "explicitOnly"))
                           if n in RUNTIMES]:
            with self.subTest(runtime=name, mode=mode):
                stream = f"acks-{name}-{mode}"
                self.write(name, '    orders: {kind: redis-stream, url: "redis://127.0.0.1:%d", attributes: '
                                 '{stream: %s, consumerGroup: g, explicitAckMode: %s}}\n' % (self.redis.port, stream, mode))
                with self.serve(name) as proc:
                    info = json.loads(proc.stdout.readline() or "null")
                    self.assertIsNotNone(info, proc.stderr.read() if proc.poll() is not None else "")
                    admin = info["adminPort"]
                    events = lambda: metric(admin, 'nimbus_events_total{trigger="orders",status="200"}')
                    self.redis.add(stream, "first", X_Later="1")
                    self.redis.add(stream, "second", X_Later="1")
                    self.assertTrue(wait_for(lambda: events() == 2))
                    self.assertEqual(self.redis.pending(stream, "g"), 2)  # answered, not acknowledged
                    self.redis.add(stream, "third", X_Ack="1")
                    self.assertTrue(wait_for(lambda: events() == 3))
                    self.assertTrue(wait_for(lambda: self.redis.pending(stream, "g") == 0),
                                    self.redis.pending(stream, "g"))  # the ack covered the earlier entries
                    proc.send_signal(signal.SIGTERM)
                    self.assertEqual(proc.wait(30), 0)

    def test_explicit_ack_with_no_stream_trigger_is_an_error_the_handler_sees(self):
        self.write("cpp", None)
        with self.serve("cpp") as proc:
            port = json.loads(proc.stdout.readline())["triggers"][0]["port"]
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.request("GET", "/", headers={"X-Ack": "1"})
            r = c.getresponse()
            body = r.read().decode()
            c.close()
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(30), 0)
            err = proc.stderr.read()
        # The HTTP trigger takes no acknowledgements: the processor says so; the call itself went out.
        self.assertEqual((r.status, body), (200, "ok "))
        self.assertIn("explicit_ack of /[0] offset 0: not a topic of this trigger", err)


if __name__ == "__main__":
    unittest.main()
