"""End-to-end tests of recording and replay: `nimbus run --record`,
`nimbus serve --record`, `nimbus replay` (emulator and --engine), `nimbus diff`,
with real builds of the hello example and real worker processes.

Run by ctest (which sets NIMBUS, NIMBUS_FIXTURES and NIMBUS_SOURCE_DIR), or by
hand: NIMBUS=build/cli/nimbus NIMBUS_FIXTURES=build/tests/fixtures \
      NIMBUS_SOURCE_DIR=. python3 -m unittest -v test_replay
"""

import base64
import json
import os
import pty
import select
import shutil
import subprocess
import tempfile
import unittest
from xml.etree import ElementTree
from pathlib import Path

from test_serve import Server

NIMBUS = os.environ["NIMBUS"]
FIXTURES = Path(os.environ["NIMBUS_FIXTURES"])
SOURCE = Path(os.environ["NIMBUS_SOURCE_DIR"])


def nimbus(*args, stdin=None, cwd=SOURCE):
    return subprocess.run([NIMBUS, *map(str, args)], input=stdin, capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def tape_lines(path):
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


# The same four events as HTTP requests and as event-file lines.
EVENTS = [
    ("GET", "/?name=Ada", None, {}),
    ("GET", "/", None, {"X-Name": "Bo", "Authorization": "Bearer s3cr3t-token"}),
    ("GET", "/?name=Ada", None, {}),
    ("POST", "/", b'{"name": "Cy"}', {"Content-Type": "application/json"}),
]


def changed_hello(tmp, hello):
    """A copy of hello whose log message differs: the deliberate change."""
    changed = tmp / "hello-changed"
    if not changed.exists():
        shutil.copytree(hello, changed, ignore=shutil.ignore_patterns(".nimbus"))
        source = changed / "hello.cpp"
        source.write_text(source.read_text().replace('ctx.logger().info_with("greeting"',
                                                     'ctx.logger().info_with("greeted"'))
    return changed


class RecordReplayTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # A private copy of the hello example, so changing it does not touch the tree.
        cls.tmp = Path(tempfile.mkdtemp())
        cls.hello = cls.tmp / "hello"
        shutil.copytree(SOURCE / "examples" / "hello", cls.hello, ignore=shutil.ignore_patterns(".nimbus"))
        cls.tape = cls.tmp / "tape.ndjson"
        events = "\n".join([
            '{"path": "/?name=Ada"}',
            '{"headers": {"X-Name": "Bo", "Authorization": "Bearer s3cr3t-token"}}',
            '{"path": "/?name=Ada"}',
            '{"method": "POST", "body": {"name": "Cy"}, "bodyBase64": null}',
        ]).replace(', "bodyBase64": null', "")
        r = nimbus("run", cls.hello / "function.yaml", "--event", "-", "--record", cls.tape, stdin=events + "\n")
        assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_the_tape_holds_events_calls_logs_and_responses(self):
        header, *records = tape_lines(self.tape)
        self.assertEqual(header["nimbusTape"], 1)
        self.assertEqual(header["function"], {"name": "hello", "version": "0"})
        self.assertEqual(header["source"], "emulator")
        self.assertEqual(len(records), 4)
        first = records[0]
        self.assertEqual(first["event"]["fields"], {"name": "Ada"})
        self.assertEqual(first["calls"], [
            {"binding": "seen", "operation": "get", "arguments": {"key": "Ada"}, "result": None},
            {"binding": "seen", "operation": "put", "arguments": {"key": "Ada", "value": "1"}, "result": None}])
        self.assertEqual(first["logs"], [{"level": "info", "message": "greeting",
                                          "fields": {"name": "Ada", "again": False}}])
        self.assertEqual(first["response"]["status"], 200)
        self.assertEqual(json.loads(first["response"]["body"]), {"greeting": "hello, Ada", "again": False})
        self.assertEqual(records[2]["calls"][0]["result"], "1", "the second Ada finds the first")
        # Secrets never reach the tape.
        self.assertEqual(records[1]["event"]["headers"]["Authorization"], "[REDACTED]")
        self.assertNotIn("s3cr3t", self.tape.read_text())

    def test_replay_against_the_same_build_finds_nothing(self):
        r = nimbus("replay", self.tape, "--function", self.hello / "function.yaml")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout.strip().splitlines()[-1], "4 records: 4 passed, 0 changed, 0 unreadable")

    def test_replay_answers_binding_calls_from_the_tape(self):
        # The replayed function's store starts empty, yet the third event still finds Ada: from the tape.
        report = self.tmp / "same.json"
        r = nimbus("replay", self.tape, "--function", self.hello / "function.yaml", "--json", report)
        self.assertEqual(r.returncode, 0)
        j = json.loads(report.read_text())
        self.assertEqual(j["summary"], {"passed": 4, "changed": 0, "unreadable": 0, "noiseIgnored": 0})

    def test_a_changed_build_shows_exactly_what_changed(self):
        changed = changed_hello(self.tmp, self.hello)
        report = self.tmp / "changed.json"
        r = nimbus("replay", self.tape, "--function", changed / "function.yaml", "--json", report, "--color", "never")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("4 records: 0 passed, 4 changed, 0 unreadable", r.stdout)
        self.assertIn('-    "message": "greeting"', r.stdout)
        self.assertIn('+    "message": "greeted"', r.stdout)
        j = json.loads(report.read_text())
        parts = {d["part"] for f in j["findings"] for d in f["differences"]}
        self.assertEqual(parts, {"logs"}, "only the logs changed: responses and calls did not")

    def test_the_json_report_has_every_record_and_one_can_be_replayed_alone(self):
        header, *records = tape_lines(self.tape)
        records[1]["response"]["body"] = '{"greeting":"hello, Bob","again":false}'  # the recorded answer differs
        edited = self.tmp / "one-changed.ndjson"
        edited.write_text("\n".join(json.dumps(x) for x in [header, *records]) + "\n")
        report = self.tmp / "one-changed.json"
        r = nimbus("replay", edited, "--function", self.hello / "function.yaml", "--json", report)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        findings = json.loads(report.read_text())["findings"]
        self.assertEqual([(f["line"], f["outcome"]) for f in findings],
                         [(2, "passed"), (3, "changed"), (4, "passed"), (5, "passed")])
        self.assertTrue(all(f["durationMs"] >= 0 for f in findings))
        self.assertEqual([d["part"] for d in findings[1]["differences"]], ["response"])
        self.assertIn("hello, Bob", json.dumps(findings[1]["differences"][0]["expected"]))

        for line, code, outcomes in ((3, 1, ["changed"]), (4, 0, ["passed"])):
            r = nimbus("replay", edited, "--function", self.hello / "function.yaml", "--line", line, "--json", report)
            self.assertEqual(r.returncode, code, r.stdout + r.stderr)
            self.assertEqual([(f["line"], f["outcome"]) for f in json.loads(report.read_text())["findings"]],
                             [(line, o) for o in outcomes])
        r = nimbus("replay", edited, "--function", self.hello / "function.yaml", "--line", "zero")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--line", r.stderr)

    def test_a_call_the_tape_lacks_is_a_difference(self):
        header, *records = tape_lines(self.tape)
        records[0]["calls"] = []  # as if the recorded build had made no calls
        edited = self.tmp / "no-calls.ndjson"
        edited.write_text("\n".join(json.dumps(x) for x in [header, records[0]]) + "\n")
        r = nimbus("replay", edited, "--function", self.hello / "function.yaml", "--color", "never")
        self.assertEqual(r.returncode, 1)
        self.assertIn('replay: seen.get({\\"key\\":\\"Ada\\"}) is not on the tape', r.stdout)
        r = nimbus("replay", edited, "--function", self.hello / "function.yaml", "--lenient", "--color", "never")
        self.assertIn("calls", r.stdout, "lenient: the configured binding answers, and the calls still differ")
        self.assertNotIn("not on the tape", r.stdout)

    def test_a_corrupt_tape(self):
        lines = self.tape.read_text().splitlines()
        corrupt = self.tmp / "corrupt.ndjson"
        corrupt.write_text("\n".join([lines[0], lines[1], lines[2][:40], lines[3]]) + "\n")
        report = self.tmp / "corrupt.json"
        r = nimbus("replay", corrupt, "--function", self.hello / "function.yaml", "--json", report)
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"unreadable: {corrupt}:3: truncated or corrupt record", r.stdout)
        self.assertIn("3 records: 2 passed, 0 changed, 1 unreadable", r.stdout)
        r = nimbus("replay", corrupt, "--function", self.hello / "function.yaml", "--strict", "--json", report)
        self.assertEqual(r.returncode, 2)
        j = json.loads(report.read_text())
        self.assertTrue(j["stoppedEarly"], "a report is written even when the replay stops")
        self.assertEqual(j["summary"], {"passed": 1, "changed": 0, "unreadable": 1, "noiseIgnored": 0})

    def test_a_tape_from_a_newer_format_is_refused(self):
        newer = self.tmp / "newer.ndjson"
        newer.write_text('{"nimbusTape": 99, "function": {"name": "hello"}}\n')
        r = nimbus("replay", newer, "--function", self.hello / "function.yaml")
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"nimbus: {newer}:1: tape format 99 is newer than this nimbus reads (1)", r.stderr)

    def test_diff_two_tapes(self):
        other = self.tmp / "other.ndjson"
        other.write_text(self.tape.read_text().replace("hello, Bo", "hi, Bo"))
        r = nimbus("diff", self.tape, other, "--color", "never")
        self.assertEqual(r.returncode, 1)
        self.assertIn('-    "greeting": "hello, Bo"', r.stdout)
        self.assertIn('+    "greeting": "hi, Bo"', r.stdout)
        self.assertIn("4 records: 3 passed, 1 changed, 0 unreadable", r.stdout)
        self.assertEqual(nimbus("diff", self.tape, self.tape).returncode, 0)

    def test_record_sample_and_bad_flags(self):
        r = nimbus("run", self.hello / "function.yaml", "--event", "-", "--record-sample", "0.5", stdin="{}\n")
        self.assertEqual((r.returncode, r.stderr.strip().splitlines()[-1]), (2, "nimbus: --record-sample needs --record"))
        r = nimbus("run", self.hello / "function.yaml", "--event", "-", "--record", self.tmp / "s.ndjson",
                   "--record-sample", "2", stdin="{}\n")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--record-sample 2: expected a fraction above 0 and at most 1", r.stderr)


class EngineRecordReplayTest(unittest.TestCase):
    """`nimbus serve --record` and `nimbus replay --engine`: a tape recorded in
    either runs in the other without differences."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp())
        cls.hello = cls.tmp / "hello"
        shutil.copytree(SOURCE / "examples" / "hello", cls.hello, ignore=shutil.ignore_patterns(".nimbus"))
        cls.engine_tape = cls.tmp / "engine.ndjson"
        with Server(cls.hello / "function.yaml", "--workers", "2", "--record", cls.engine_tape) as server:
            cls.answers = []
            for method, path, body, headers in EVENTS:
                status, _, answer = server.request(method, path, body=body, headers=headers)
                assert status == 200, answer
                cls.answers.append(json.loads(answer))
            assert server.stop() == 0
            cls.serve_stderr = "\n".join(server.stderr_lines)
        cls.emulator_tape = cls.tmp / "emulator.ndjson"
        events = '{"path": "/?name=Ada"}\n{"headers": {"X-Name": "Bo"}}\n{"path": "/?name=Ada"}\n' \
                 '{"method": "POST", "body": {"name": "Cy"}}\n'
        r = nimbus("run", cls.hello / "function.yaml", "--event", "-", "--record", cls.emulator_tape, stdin=events)
        assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def replay(self, tape, *args, function=None):
        return nimbus("replay", tape, "--function", function or self.hello / "function.yaml", "--color", "never",
                      *args)

    def test_the_engine_tape_holds_what_the_workers_did(self):
        header, *records = tape_lines(self.engine_tape)
        self.assertEqual((header["source"], header["logLevel"]), ("engine", "info"))
        self.assertEqual([r["seq"] for r in records], [1, 2, 3, 4])
        self.assertIn("nimbus: recorded 4 invocations", self.serve_stderr)
        first = records[0]
        self.assertEqual((first["event"]["method"], first["event"]["url"]), ("GET", "/?name=Ada"))
        self.assertEqual(first["calls"], [
            {"binding": "seen", "operation": "get", "arguments": {"key": "Ada"}, "result": None},
            {"binding": "seen", "operation": "put", "arguments": {"key": "Ada", "value": "1"}, "result": None}])
        self.assertEqual(first["logs"], [{"level": "info", "message": "greeting",
                                          "fields": {"name": "Ada", "again": False}}])
        self.assertEqual(json.loads(first["response"]["body"]), self.answers[0])
        self.assertEqual(records[3]["event"]["body"], '{"name": "Cy"}')
        self.assertEqual(records[1]["event"]["headers"]["Authorization"], "[REDACTED]")
        self.assertNotIn("s3cr3t", self.engine_tape.read_text())

    def test_an_engine_tape_replays_in_the_emulator_and_in_the_engine(self):
        for mode in ([], ["--engine"]):
            r = self.replay(self.engine_tape, *mode)
            self.assertEqual(r.returncode, 0, f"{mode}: {r.stdout}{r.stderr}")
            self.assertIn("4 records: 4 passed, 0 changed, 0 unreadable", r.stdout)

    def test_an_emulator_tape_replays_through_the_engine(self):
        r = self.replay(self.emulator_tape, "--engine", "--workers", "2")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("4 records: 4 passed, 0 changed, 0 unreadable", r.stdout)

    def test_a_changed_build_through_the_engine(self):
        changed = changed_hello(self.tmp, self.hello)
        report = self.tmp / "engine-changed.json"
        page = self.tmp / "engine-changed.html"
        r = self.replay(self.engine_tape, "--engine", "--json", report, "--html", page,
                        function=changed / "function.yaml")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("4 records: 0 passed, 4 changed, 0 unreadable", r.stdout)
        self.assertIn('+    "message": "greeted"', r.stdout)
        parts = {d["part"] for f in json.loads(report.read_text())["findings"] for d in f["differences"]}
        self.assertEqual(parts, {"logs"}, "only the logs changed")
        html = page.read_text()
        self.assertIn('<td class="del">    &quot;message&quot;: &quot;greeting&quot;</td>'
                      '<td class="add">    &quot;message&quot;: &quot;greeted&quot;</td>', html)
        self.assertEqual(html.count("<h2 class=\"changed\">"), 4)
        for outside in ("http://", "https://", "src=", "<link"):
            self.assertNotIn(outside, html, "the page needs nothing beside it")

    def test_a_call_the_tape_lacks_through_the_engine(self):
        header, *records = tape_lines(self.engine_tape)
        records[0]["calls"] = records[0]["calls"][:1]  # the put is not on the tape
        edited = self.tmp / "engine-no-put.ndjson"
        edited.write_text("\n".join(json.dumps(x) for x in [header, records[0]]) + "\n")
        r = self.replay(edited, "--engine")
        self.assertEqual(r.returncode, 1)
        self.assertIn('replay: seen.put({\\"key\\":\\"Ada\\",\\"value\\":\\"1\\"}) is not on the tape', r.stdout)
        r = self.replay(edited, "--engine", "--lenient")
        self.assertNotIn("not on the tape", r.stdout)

    def test_a_corrupt_line_through_the_engine(self):
        lines = self.engine_tape.read_text().splitlines()
        corrupt = self.tmp / "engine-corrupt.ndjson"
        corrupt.write_text("\n".join([lines[0], lines[1], lines[2][:50], lines[3], lines[4]]) + "\n")
        r = self.replay(corrupt, "--engine")
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"unreadable: {corrupt}:3: truncated or corrupt record", r.stdout)
        self.assertIn("4 records: 3 passed, 0 changed, 1 unreadable", r.stdout)

    def test_record_sample_in_the_engine(self):
        tape = self.tmp / "sampled.ndjson"
        with Server(self.hello / "function.yaml", "--record", tape, "--record-sample", "0.5") as server:
            for i in range(200):
                self.assertEqual(server.request("GET", f"/?name=n{i}")[0], 200)
            self.assertEqual(server.stop(), 0)
        recorded = len(tape_lines(tape)) - 1
        self.assertTrue(20 < recorded < 180, f"{recorded} of 200 recorded at 0.5")

    def test_a_progress_bar_on_a_terminal(self):
        leader, follower = pty.openpty()
        try:
            proc = subprocess.Popen([NIMBUS, "replay", str(self.engine_tape), "--function",
                                     str(self.hello / "function.yaml")],
                                    stdout=subprocess.PIPE, stderr=follower, cwd=SOURCE)
            os.close(follower)
            seen = b""
            while True:
                ready, _, _ = select.select([leader], [], [], 60)
                if not ready:
                    break
                try:
                    chunk = os.read(leader, 4096)
                except OSError:  # the replay ended and closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
            out, _ = proc.communicate(timeout=60)
        finally:
            os.close(leader)
        self.assertEqual(proc.returncode, 0)
        self.assertIn(b"[##############################] 100%  4 records", seen)
        self.assertIn(b"4 records: 4 passed", out)


class NoiseTest(unittest.TestCase):
    """A function whose ids and timings change on every run."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp())
        cls.tape = cls.tmp / "noisy.ndjson"
        r = nimbus("run", FIXTURES / "noisy.so", "--event", "-", "--record", cls.tape,
                   stdin='{"path": "/a"}\n{"path": "/b"}\n')
        assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def replay(self, *args, cwd=SOURCE):
        return nimbus("replay", self.tape, "--function", FIXTURES / "noisy.so", "--color", "never", *args, cwd=cwd)

    def test_without_rules_the_noise_is_a_change(self):
        junit = self.tmp / "junit.xml"
        r = self.replay("--junit", junit)
        self.assertEqual(r.returncode, 1)
        self.assertIn("2 records: 0 passed, 2 changed", r.stdout)
        suite = ElementTree.parse(junit).getroot()
        self.assertEqual((suite.get("tests"), suite.get("failures"), suite.get("errors")), ("2", "2", "0"))
        self.assertEqual([c.get("name") for c in suite], ["stdin-1", "stdin-2"])
        self.assertIn('"id"', suite[0].find("failure").text)
        r = self.replay("--junit", junit, "--learn-noise")
        suite = ElementTree.parse(junit).getroot()
        self.assertEqual((suite.get("tests"), suite.get("failures")), ("2", "0"))
        self.assertIsNone(suite[0].find("failure"))

    def test_rules_on_the_command_line(self):
        r = self.replay("--ignore-path", "/response/body/id", "--ignore-header", "x-request-id",
                        "--ignore-log-field", "took_us")
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("2 records: 2 passed, 0 changed, 0 unreadable (2 passed only with noise ignored)", r.stdout)
        # Leaving one rule out leaves exactly that difference.
        r = self.replay("--ignore-path", "/response/body/id", "--ignore-header", "x-request-id")
        self.assertEqual(r.returncode, 1)
        self.assertIn('"took_us"', r.stdout)
        self.assertNotIn('"id"', r.stdout)

    def test_a_mask(self):
        r = self.replay("--mask", "[0-9]{5,}", "--ignore-log-field", "took_us")
        self.assertEqual(r.returncode, 0, r.stdout)

    def test_a_mask_too_large_to_compile_is_refused(self):
        # std::regex would exhaust the stack compiling it (found by the noise_rules fuzz target).
        for mask, why in (("x{99999999999999999999}", "too large a regular expression"),
                          ("(" * 150 + "a" + ")" * 150, "nested over 100 deep"),
                          ("[0-9", "is not a regular expression")):
            r = self.replay("--mask", mask)
            self.assertEqual(r.returncode, 2, r.stdout)
            self.assertIn(f"--mask {mask}", r.stderr)
            self.assertIn(why, r.stderr)
        rules = self.tmp / "replay.yaml"
        rules.write_text("masks: ['(a{200}){200}']\n")
        try:
            r = self.replay()
            self.assertEqual(r.returncode, 2)
            self.assertIn("masks: '(a{200}){200}' is too large a regular expression", r.stderr)
        finally:
            rules.unlink()

    def test_replay_yaml_beside_the_tape(self):
        rules = self.tmp / "replay.yaml"
        rules.write_text("ignorePaths: [/response/body/id, /logs/*/fields/took_us]\nignoreHeaders: [X-Request-Id]\n")
        try:
            r = self.replay()
            self.assertEqual(r.returncode, 0, r.stdout)
            rules.write_text("ignorePath: [/x]\n")
            r = self.replay()
            self.assertEqual(r.returncode, 2)
            self.assertIn("unknown rule 'ignorePath'", r.stderr)
        finally:
            rules.unlink()

    def test_learn_noise(self):
        r = self.replay("--learn-noise")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("nimbus: learned noise: /response/body/id", r.stderr)
        self.assertIn("nimbus: learned noise: /logs/*/fields/took_us", r.stderr)
        self.assertIn("2 records: 2 passed", r.stdout)

    def test_learn_noise_through_the_engine(self):
        r = self.replay("--learn-noise", "--engine")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("nimbus: learned noise: /response/body/id", r.stderr)
        self.assertIn("2 records: 2 passed", r.stdout)
        r = self.replay("--engine")
        self.assertEqual(r.returncode, 1, "without learning, the noise is a change in the engine too")

    def test_learn_noise_does_not_hide_a_real_change(self):
        header, *records = tape_lines(self.tape)
        records[0]["response"]["contentType"] = "text/plain"  # as if the old build answered differently
        edited = self.tmp / "real-change.ndjson"
        edited.write_text("\n".join(json.dumps(x) for x in [header, *records]) + "\n")
        r = nimbus("replay", edited, "--function", FIXTURES / "noisy.so", "--learn-noise", "--color", "never")
        self.assertEqual(r.returncode, 1)
        self.assertIn("2 records: 1 passed, 1 changed", r.stdout)
        self.assertIn('-  "contentType": "text/plain"', r.stdout)


def awkward_requests():
    """The awkward fixture's events as HTTP requests: (method, path, body, headers)."""
    return [
        ("GET", "/plain?key=a", None, {"X-Nimbus-Log-Level": "debug"}),
        ("POST", "/bin?key=a", bytes([0, 1, 2, 0xFF, 0, 0xC0, 0xAF]), {"X-Binary": "1"}),
        ("GET", "/again?key=a", None, {"X-Nuclio-Log-Level": "info"}),
        ("GET", "/ce", None, {"ce-specversion": "1.0", "ce-id": "ce-1", "ce-type": "com.example.t", "ce-source": "/src",
                              "ce-subject": "s", "ce-time": "2026-11-27T13:00:00Z"}),
        ("POST", "/json", b'{"n": 100000.0, "z": -0.0}', {"Content-Type": "application/json"}),
    ]


class FidelityTest(unittest.TestCase):
    """A function that logs and returns awkward values (doubles the encoders once broke, -0,
    integer limits, control characters, bytes that are not UTF-8, binary bodies, CloudEvents
    attributes): every output is valid JSON, and a tape recorded in the engine replays in the
    emulator, and one recorded in the emulator through the engine, with no difference."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp())
        cls.fn = cls.tmp / "awkward"
        shutil.copytree(SOURCE / "tests" / "fixtures" / "awkward", cls.fn, ignore=shutil.ignore_patterns(".nimbus"))
        cls.engine_tape = cls.tmp / "engine.ndjson"
        with Server(cls.fn / "function.yaml", "--record", cls.engine_tape, "--log-level", "debug") as server:
            cls.answers = [server.request(*request) for request in awkward_requests()]
            assert server.stop() == 0
            cls.serve_stderr = list(server.stderr_lines)
        cls.emulator_tape = cls.tmp / "emulator.ndjson"
        r = nimbus("run", cls.fn / "function.yaml", "--event", cls.fn / "events", "--record", cls.emulator_tape,
                   "--json")
        assert r.returncode == 0, r.stdout + r.stderr
        cls.run_stdout = r.stdout

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def replay(self, tape, *args):
        return nimbus("replay", tape, "--function", self.fn / "function.yaml", "--color", "never", *args)

    def test_every_output_is_valid_json_with_the_values_as_written(self):
        strict = lambda text: json.loads(text, parse_constant=lambda c: self.fail(f"not JSON: {c}"))
        logs = [strict(l) for l in self.serve_stderr if l.startswith("{")]
        values = [l for l in logs if l["message"] == "values"]
        self.assertEqual(len(values), 5)
        self.assertEqual(values[0]["fields"]["int_min"], -2**63)
        self.assertEqual(values[0]["fields"]["uint_max"], 2**64 - 1)
        self.assertEqual(values[0]["fields"]["not_utf8"], "\ufffd\ufffd \ufffd\ufffd\ufffd \ufffd")
        line = next(l for l in self.serve_stderr if '"message":"values"' in l)
        self.assertIn('"big":100000.0,"negative_zero":-0.0,"tiny":5e-324,"huge":1e+300', line)  # nlohmann's forms
        for text in self.engine_tape.read_text().splitlines() + self.emulator_tape.read_text().splitlines():
            strict(text)
        for out in self.run_stdout.splitlines():
            strict(out)
        status, headers, body = self.answers[0]
        self.assertEqual(status, 200)
        logs = strict(headers["X-Nimbus-Logs"])
        self.assertEqual(logs[0]["fields"]["big"], 100000.0)
        nuclio = strict(self.answers[2][1]["X-Nuclio-Logs"])
        self.assertEqual((nuclio[0]["message"], nuclio[0]["big"], nuclio[0]["name"]), ("values", 100000.0, "awkward"))
        self.assertEqual(strict(body)["big"], 100000.0)

    def test_bytes_that_are_not_utf8_are_recorded_whole(self):
        records = tape_lines(self.engine_tape)[1:]
        binary = records[1]
        self.assertEqual(base64.b64decode(binary["event"]["bodyBase64"]), bytes([0, 1, 2, 0xFF, 0, 0xC0, 0xAF]))
        self.assertEqual(base64.b64decode(binary["response"]["bodyBase64"]),
                         bytes([0, 1, 2, 0xFF, 0, 0xC0, 0xAF, 0xFF, 0, 0xFE]))
        self.assertEqual(self.answers[1][2], bytes([0, 1, 2, 0xFF, 0, 0xC0, 0xAF, 0xFF, 0, 0xFE]))
        emulator = tape_lines(self.emulator_tape)[1:]
        self.assertEqual(base64.b64decode(emulator[1]["event"]["bodyBase64"]), bytes([0, 1, 2, 0xFF, 0, 0xC0, 0xAF]))
        self.assertEqual(records[3]["event"]["cloudEvent"]["type"], "com.example.t")

    def test_an_engine_tape_replays_with_no_difference_in_the_emulator_and_the_engine(self):
        for mode in ([], ["--engine"]):
            r = self.replay(self.engine_tape, *mode)
            self.assertEqual(r.returncode, 0, f"{mode}: {r.stdout}{r.stderr}")
            self.assertIn("5 records: 5 passed, 0 changed, 0 unreadable", r.stdout)

    def test_an_emulator_tape_replays_with_no_difference_through_the_engine_and_the_emulator(self):
        for mode in (["--engine", "--workers", "2"], []):
            r = self.replay(self.emulator_tape, *mode)
            self.assertEqual(r.returncode, 0, f"{mode}: {r.stdout}{r.stderr}")
            self.assertIn("6 records: 6 passed, 0 changed, 0 unreadable", r.stdout)

    def test_a_stream_events_attributes_reach_the_handler_and_the_tape(self):
        responses = [o for o in map(json.loads, self.run_stdout.splitlines()) if o["type"] == "response"]
        self.assertEqual(responses[5]["event"], "msg-7")
        body = json.loads(responses[5]["body"])
        self.assertEqual(body["stream"], {"topic": "orders", "shard_id": 2, "num_shards": 6,
                                          "offset": 9007199254740993, "last_in_batch": True,
                                          "type": "com.example.order", "trigger": "kafka-cluster"})
        self.assertEqual(body["cloudEvent"]["id"], "msg-7")
        self.assertEqual(body["cloudEvent"]["datacontenttype"], "application/cloudevents+json")
        self.assertEqual(body["cloudEvent"]["dataschema"], "https://example.com/order.json")
        self.assertEqual(body["cloudEvent"]["extensions"],
                         {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "priority": "3"})
        recorded = tape_lines(self.emulator_tape)[6]["event"]
        self.assertEqual(recorded["stream"], {"topic": "orders", "partition": 2, "numShards": 6,
                                              "offset": 9007199254740993, "lastInBatch": True})
        self.assertEqual(recorded["cloudEvent"]["extensions"]["priority"], "3")

    def test_an_old_tape_holding_invalid_json_is_an_unreadable_line_not_an_abort(self):
        # Tapes written before the encoder's fix hold `1e+05.0`; replay --engine once aborted on them.
        lines = self.engine_tape.read_text().splitlines()
        self.assertIn("100000.0", lines[2])
        lines[2] = lines[2].replace("100000.0", "1e+05.0")
        bad = self.tmp / "old.ndjson"
        bad.write_text("\n".join(lines) + "\n")
        for mode in ([], ["--engine"]):
            r = self.replay(bad, *mode)
            self.assertEqual(r.returncode, 1, f"{mode}: {r.stdout}{r.stderr}")
            self.assertIn(f"unreadable: {bad}:3: truncated or corrupt record", r.stdout)
            self.assertIn("5 records: 4 passed, 0 changed, 1 unreadable", r.stdout)


class ExamplesReplayTest(unittest.TestCase):
    """Every example, recorded in the emulator from its events, replays with no difference in
    the emulator and through the engine."""

    def test_every_example_replays_in_both(self):
        examples = sorted(p.parent for p in (SOURCE / "examples").glob("*/function.yaml"))
        self.assertTrue(examples)
        with tempfile.TemporaryDirectory() as d:
            for example in examples:
                if "runtime: python" in (example / "function.yaml").read_text() and \
                        os.environ.get("NIMBUS_HAS_PYTHON") == "0":
                    continue  # a build without the Python runtime (the sanitizer build)
                with self.subTest(example=example.name):
                    tape = Path(d) / f"{example.name}.ndjson"
                    r = nimbus("run", example / "function.yaml", "--event", example / "events", "--record", tape)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    count = len(tape_lines(tape)) - 1
                    for mode in ([], ["--engine"]):
                        r = nimbus("replay", tape, "--function", example / "function.yaml", "--color", "never", *mode)
                        self.assertEqual(r.returncode, 0, f"{mode}: {r.stdout}{r.stderr}")
                        self.assertIn(f"{count} records: {count} passed, 0 changed, 0 unreadable", r.stdout)


if __name__ == "__main__":
    unittest.main()
