"""End-to-end tests of the `nimbus` command on real files and real builds.

Run by ctest (which sets NIMBUS, NIMBUS_FIXTURES and NIMBUS_SOURCE_DIR), or by
hand: NIMBUS=build/cli/nimbus NIMBUS_FIXTURES=build/tests/fixtures \
      NIMBUS_SOURCE_DIR=. python3 -m unittest -v test_cli
"""

import json
import os
import shutil
import subprocess
import tempfile
import textwrap
import unittest
from pathlib import Path

NIMBUS = os.environ["NIMBUS"]
FIXTURES = Path(os.environ["NIMBUS_FIXTURES"])
SOURCE = Path(os.environ["NIMBUS_SOURCE_DIR"])

# Fields that change from run to run.
VOLATILE = ("time", "durationMs")


def nimbus(*args, stdin=None, cwd=SOURCE):
    return subprocess.run([NIMBUS, *map(str, args)], input=stdin, capture_output=True, text=True,
                          cwd=cwd, timeout=240)


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def normalized(records):
    return [{k: v for k, v in r.items() if k not in VOLATILE} for r in records]


def error_lines(stderr):
    """stderr without the builder's progress lines."""
    return [l for l in stderr.splitlines() if l and not l.startswith("nimbus: building ")]


class ExamplesTest(unittest.TestCase):
    """Every example runs through the emulator and matches its expected output."""

    def test_every_example_matches_its_expected_output(self):
        examples = sorted(p.parent for p in (SOURCE / "examples").glob("*/expected.ndjson"))
        self.assertTrue(examples, "no example has an expected.ndjson")
        for example in examples:
            if "runtime: python" in (example / "function.yaml").read_text() and \
                    os.environ.get("NIMBUS_HAS_PYTHON") == "0":
                continue  # a build without the Python runtime (the sanitizer build)
            with self.subTest(example=example.name):
                rel = example.relative_to(SOURCE)
                r = nimbus("run", rel / "function.yaml", "--event", rel / "events", "--json")
                self.assertEqual(r.returncode, 0, r.stderr)
                expected = json_lines((example / "expected.ndjson").read_text())
                self.assertEqual(normalized(json_lines(r.stdout)), expected)

    def test_hello_human_output(self):
        r = nimbus("run", "examples/hello/function.yaml", "--event", "examples/hello/events/")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('{"greeting":"hello, Ada","again":false}', r.stdout)
        self.assertIn("info   greeting  name=Ada  again=false", r.stdout)
        self.assertIn("debug  Ada was greeted before", r.stdout)
        self.assertNotIn("\x1b[", r.stdout, "no colour when stdout is not a terminal")
        self.assertEqual(error_lines(r.stderr), ["5 events: 5 ok, 0 failed"])

    def test_events_new_writes_an_event_file_of_each_kind_that_runs_as_written(self):
        with tempfile.TemporaryDirectory() as d:
            for kind, trigger_kind in [("http", "http"), ("cloudevent", "http"), ("cron", "cron"), ("nats", "nats"),
                                       ("mqtt", "mqtt"), ("kafka", "kafka-cluster"), ("redis", "redis-stream")]:
                path = Path(d) / f"{kind}.json"
                r = nimbus("events", "new", kind, "-o", path)
                self.assertEqual(r.returncode, 0, r.stderr)
                event = json.loads(path.read_text())
                self.assertEqual(event["trigger"]["kind"], trigger_kind)
                if kind in ("nats", "mqtt", "kafka", "redis"):
                    self.assertIn("topic", event["stream"])
                if kind == "cloudevent":
                    self.assertEqual(event["cloudEvent"]["specversion"], "1.0")
                r = nimbus("run", "examples/hello/function.yaml", "--event", path, "--json")
                self.assertEqual(r.returncode, 0, r.stderr)
                responses = [l for l in json_lines(r.stdout) if l["type"] == "response"]
                self.assertEqual([x["event"] for x in responses], [event["id"]])
        r = nimbus("events", "new", "pigeon")
        self.assertEqual(r.returncode, 2)
        self.assertIn("events new: unknown kind 'pigeon' (kinds: http, cloudevent, cron, nats, mqtt, kafka, redis)",
                      r.stderr)

    def test_events_from_stdin_and_env_flag(self):
        events = '{"path": "/?name=Stdin"}\n{"headers": {"X-Name": "Stdin"}}\n'
        r = nimbus("run", "examples/hello/function.yaml", "--event", "-", "--json", "--env", "GREETING=hey",
                   stdin=events)
        self.assertEqual(r.returncode, 0, r.stderr)
        responses = [l for l in json_lines(r.stdout) if l["type"] == "response"]
        self.assertEqual([json.loads(x["body"]) for x in responses],
                         [{"greeting": "hey, Stdin", "again": False}, {"greeting": "hey, Stdin", "again": True}])
        self.assertEqual(responses[0]["origin"], "-:1")

    def test_log_level_filters_function_logs(self):
        r = nimbus("run", "examples/hello/function.yaml", "--event", "examples/hello/events/", "--json",
                   "--log-level", "info")
        levels = {l["level"] for l in json_lines(r.stdout) if l["type"] == "log"}
        self.assertEqual(levels, {"info"})


class FailuresTest(unittest.TestCase):
    """A failing handler or bad input: a clear error, a non-zero exit, no crash."""

    def run_bad(self, *args, code, stdin=None):
        r = nimbus(*args, stdin=stdin)
        self.assertEqual(r.returncode, code, f"stdout={r.stdout!r} stderr={r.stderr!r}")
        return r

    def test_throwing_handler_is_a_500_and_a_non_zero_exit(self):
        events = '{"method": "POST", "path": "/boom"}\n{"path": "/fine"}\n'
        r = self.run_bad("run", FIXTURES / "throws.so", "--event", "-", "--json", code=1, stdin=events)
        lines = json_lines(r.stdout)
        error_log = [l for l in lines if l["type"] == "log" and l["level"] == "error"]
        self.assertEqual(len(error_log), 1)
        self.assertEqual(error_log[0]["fields"]["error"], "cannot handle /boom")
        statuses = [l["status"] for l in lines if l["type"] == "response"]
        self.assertEqual(statuses, [500, 200], "the run goes on after a failure")
        self.assertEqual(error_lines(r.stderr), [])

    def test_malformed_event_file(self):
        with tempfile.TemporaryDirectory() as d:
            bad = Path(d) / "bad.json"
            bad.write_text('{"path": "/",\n "headers": }\n')
            r = self.run_bad("run", FIXTURES / "throws.so", "--event", bad, code=1)
            self.assertEqual(error_lines(r.stderr)[0],
                             f"error: {bad}: invalid JSON: line 2, column 13: syntax error while parsing value - "
                             "unexpected '}'; expected '[', '{', or a literal")

    def test_a_number_out_of_range_is_an_error_not_an_abort(self):
        # nlohmann throws out_of_range, not parse_error, for 1e999; it once aborted nimbus (exit 134).
        with tempfile.TemporaryDirectory() as d:
            big = Path(d) / "big.json"
            big.write_text('{"body": {"a": 1e999}}')
            r = self.run_bad("run", FIXTURES / "throws.so", "--event", big, code=1)
            self.assertEqual(error_lines(r.stderr),
                             [f"error: {big}: invalid JSON: number overflow parsing '1e999'",
                              "1 event: 0 ok, 0 failed, 1 unreadable"])
        r = self.run_bad("run", FIXTURES / "throws.so", "--event", "-", code=1,
                         stdin='{"body": {"a": 1e999}}\n{"path": "/after"}\n')
        self.assertEqual(error_lines(r.stderr),
                         ["error: -:1: invalid JSON: number overflow parsing '1e999'",
                          "2 events: 1 ok, 0 failed, 1 unreadable"])

    def test_a_fixture_with_a_number_out_of_range_is_named(self):
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / "cache.json").write_text('{"k": 1e999}')
            r = nimbus("run", FIXTURES / "kv_user.so", "--bind", "cache=file:cache.json", "--event", "-",
                       stdin="{}\n", cwd=d)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("cache.json: invalid JSON in fixture for binding 'cache'", r.stderr)
            self.assertIn("number overflow parsing '1e999'", r.stderr)

    def test_event_field_of_the_wrong_type(self):
        r = self.run_bad("run", FIXTURES / "throws.so", "--event", "-", code=1,
                         stdin='{"path": "/"}\n{"headers": {"X-A": ["x"]}}\n')
        self.assertEqual(error_lines(r.stderr),
                         ["error: -:2: field 'headers.X-A': expected a string, got array",
                          "2 events: 1 ok, 0 failed, 1 unreadable"])

    def test_unknown_binding_kind(self):
        r = self.run_bad("run", FIXTURES / "kv_user.so", "--bind", "cache=mongo", "--event", "-", code=2,
                         stdin="{}\n")
        [line] = error_lines(r.stderr)  # the registry's own test checks the whole list of kinds
        self.assertRegex(line, r"^nimbus: --bind cache=mongo: unknown binding kind 'mongo' for 'cache' "
                               r"\(known: file, .*memory.*\)$")

    def test_file_fixture_binding(self):
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / "cache.json").write_text('{"k": "from fixture"}')
            r = nimbus("run", FIXTURES / "kv_user.so", "--bind", "cache=file:cache.json", "--event", "-", "--json",
                       stdin="{}\n", cwd=d)
            self.assertEqual(r.returncode, 0, r.stderr)
            body = json.loads(json_lines(r.stdout)[-1]["body"])
            self.assertEqual(body["before"], "from fixture")

    def test_missing_library(self):
        r = self.run_bad("run", "/nonexistent/f.so", "--event", "-", code=2, stdin="{}\n")
        self.assertEqual(error_lines(r.stderr), ["nimbus: /nonexistent/f.so: no such file"])

    def test_not_a_nimbus_library(self):
        r = self.run_bad("run", FIXTURES / "not_nimbus.so", "--event", "-", code=2, stdin="{}\n")
        self.assertEqual(error_lines(r.stderr),
                         [f"nimbus: {FIXTURES}/not_nimbus.so: not a Nimbus function library "
                          "(it exports no NIMBUS_FUNCTION entry)"])

    def test_abi_version_mismatch(self):
        r = self.run_bad("run", FIXTURES / "abi_mismatch.so", "--event", "-", code=2, stdin="{}\n")
        [line] = error_lines(r.stderr)
        self.assertIn("was built for Nimbus ABI version 999", line)
        self.assertIn("rebuild it against this SDK", line)

    def test_unreadable_and_invalid_function_yaml(self):
        r = self.run_bad("run", "/nonexistent/function.yaml", "--event", "-", code=2, stdin="{}\n")
        self.assertEqual(error_lines(r.stderr),
                         ["nimbus: /nonexistent/function.yaml: cannot read (No such file or directory)"])
        with tempfile.TemporaryDirectory() as d:
            f = Path(d) / "function.yaml"
            f.write_text("metadata: {name: x}\nspec:\n  handler: x\n")
            r = self.run_bad("run", f, "--event", "-", code=2, stdin="{}\n")
            self.assertEqual(error_lines(r.stderr),
                             [f"nimbus: {f}:3: spec.handler: 'x' is not of the form 'module:function' "
                              "(e.g. 'hello:greet')"])

    def test_init_hook_failure(self):
        r = self.run_bad("run", FIXTURES / "init_fails.so", "--event", "-", code=2, stdin="{}\n")
        [line] = error_lines(r.stderr)
        self.assertTrue(line.endswith("init hook of 'handler' failed: model file missing"), line)

    def test_bad_arguments(self):
        r = self.run_bad("run", FIXTURES / "throws.so", "--log-level", "loud", "--event", "-", code=2, stdin="")
        self.assertEqual(error_lines(r.stderr),
                         ["nimbus: run: --log-level loud: expected debug, info, warn or error"])
        r = self.run_bad("frobnicate", code=2)
        self.assertTrue(r.stderr.startswith("nimbus: unknown command 'frobnicate'"))
        r = self.run_bad("run", FIXTURES / "throws.so", "--no-such-flag", code=2)
        self.assertIn("no-such-flag", r.stderr)


class BuildTest(unittest.TestCase):
    """`nimbus run` builds a function from its sources, and again after an edit."""

    def test_edit_then_run_rebuilds(self):
        with tempfile.TemporaryDirectory() as d:
            fn = Path(d)
            (fn / "function.yaml").write_text(textwrap.dedent("""\
                metadata: {name: shout}
                spec:
                  handler: shout:shout
                  build: {sources: [shout.cpp]}
                """))
            source = textwrap.dedent("""\
                #include <nimbus/nimbus.hpp>
                std::string shout(nimbus::Context&, const nimbus::Event& e) { return "%s" + std::string(e.body()); }
                NIMBUS_FUNCTION(shout)
                """)
            (fn / "shout.cpp").write_text(source % "v1:")
            events = '{"body": "hi"}\n'
            r = nimbus("run", fn / "function.yaml", "--event", "-", "--json", stdin=events)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(json_lines(r.stdout)[-1]["body"], "v1:hi")
            self.assertIn("nimbus: building shout", r.stderr)

            r = nimbus("build", fn / "function.yaml")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertTrue(r.stdout.strip().endswith("shout.so (up to date)"), r.stdout)

            os.utime(fn / "shout.cpp", (1, 1))  # make sure the edit is newer than the library
            (fn / "shout.cpp").write_text(source % "v2:")
            r = nimbus("run", fn / "function.yaml", "--event", "-", "--json", stdin=events)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(json_lines(r.stdout)[-1]["body"], "v2:hi")

            (fn / "shout.cpp").write_text("this is not C++\n")
            r = nimbus("run", fn / "function.yaml", "--event", "-", stdin=events)
            self.assertEqual(r.returncode, 2)
            self.assertIn("nimbus: build of shout failed (full log: ", r.stderr)
            self.assertIn("shout.cpp:1:1: error", r.stderr)


class DebuggerTest(unittest.TestCase):
    """The function runs inside the emulator's own process: gdb's breakpoints in it hit."""

    def test_gdb_breakpoint_in_the_handler_hits(self):
        gdb = shutil.which("gdb")
        self.assertIsNotNone(gdb, "gdb is installed by scripts/setup.sh")
        line = next(i for i, text in enumerate((SOURCE / "examples/hello/hello.cpp").read_text().splitlines(), 1)
                    if "std::getenv" in text)
        nimbus("build", "examples/hello/function.yaml")  # build outside the debugger
        r = subprocess.run(
            [gdb, "-batch", "-nx", "-ex", "set breakpoint pending on", "-ex", f"break hello.cpp:{line}",
             "-ex", "run", "-ex", "print name", "-ex", "kill",
             "--args", NIMBUS, "run", "examples/hello/function.yaml", "--event", "examples/hello/events/02-header.json"],
            capture_output=True, text=True, cwd=SOURCE, timeout=120)
        self.assertIn(f"Breakpoint 1, greet (", r.stdout)
        self.assertIn(f"hello.cpp:{line}", r.stdout)
        self.assertIn('$1 = "Ada"', r.stdout)


if __name__ == "__main__":
    unittest.main()
