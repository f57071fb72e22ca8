"""Tests of the harness (Sources/CodeDPOKit/Execution/Harness, joined), driven the way the Swift
side drives it: `python -I -S -u -c <source>`, JSON lines on stdin/stdout.

Run from the package root:  python3 -m unittest discover -s Tests/harness -v

Every job is followed by a check that the worker has no descendant process
left, and most tests end with a healthy job to show the worker survived.
"""

import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness_source  # noqa: E402

# CODEDPO_HARNESS: test another copy of the harness, one joined file (e.g. while editing);
# by default the modules in Sources/CodeDPOKit/Execution/Harness, joined as the binary joins them.
HARNESS = os.environ.get("CODEDPO_HARNESS")
if HARNESS:
    with open(HARNESS, encoding="utf-8") as _f:
        SOURCE = _f.read()
else:
    SOURCE = harness_source.joined()

SOLUTION = "def f(x):\n    return x + 1\n"
GOOD = "assert f(1) == 2"
GOOD2 = "assert f(41) == 42"
RECORD_KEYS = ("test", "status", "duration", "cpu", "max_rss_kb", "output", "error")


def process_table():
    """pid -> (ppid, pgrp) for every process in /proc."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        fields = data[data.rfind(b")") + 2:].split()
        table[int(name)] = (int(fields[1]), int(fields[2]))
    return table


def descendants(root):
    table = process_table()
    children = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, stack = [], [root]
    while stack:
        for pid in children.get(stack.pop(), ()):
            found.append(pid)
            stack.append(pid)
    return found


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid, "rb") as fh:
            data = fh.read()
    except OSError:
        return False
    return data[data.rfind(b")") + 2:data.rfind(b")") + 3] != b"Z"


class Harness(object):
    """One worker process, spoken to over JSON lines."""

    def __init__(self, python=None, preexec_fn=None, **overrides):
        cfg = {"type": "config", "timeout": 1.0, "load_timeout": 5.0,
               "memory_mb": 1024, "cpu_s": 10, "max_processes": 64,
               "max_file_mb": 16, "max_open_files": 256, "output_limit": 2048,
               "test_isolation": "namespace", "tmp_root": None}
        cfg.update(overrides)
        self.cfg = cfg
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(harness_source.worker_argv(python or sys.executable, SOURCE),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, preexec_fn=preexec_fn)
        self.buf = b""
        self.pending = []       # records of a "results" line not handed out yet
        self.next_job = 1
        self.send(cfg)
        self.ready = self.recv(30)
        assert self.ready["type"] == "ready", self.ready

    def send(self, obj):
        self.proc.stdin.write((json.dumps(obj) + "\n").encode("utf-8"))
        self.proc.stdin.flush()

    def recv(self, timeout):
        if self.pending:
            return self.pending.pop(0)
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("no reply from the worker within %ss; stderr: %s"
                                     % (timeout, self.stderr_text()))
            if select.select([fd], [], [], remaining)[0]:
                data = os.read(fd, 1 << 16)
                if not data:
                    raise AssertionError("worker closed stdout; stderr: %s" % self.stderr_text())
                self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        msg = json.loads(line.decode("utf-8"))
        if msg.get("type") == "results":
            # Several records a line: handed out one by one, as single results.
            assert set(msg) == {"type", "job", "r"}, msg
            for record in msg["r"]:
                assert type(record) is list and len(record) == len(RECORD_KEYS), msg
                self.pending.append(dict(zip(RECORD_KEYS, record), type="result", job=msg["job"]))
            return self.recv(timeout)
        return msg

    def stderr_text(self):
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")[-2000:]

    def run(self, solution, tests, timeout=60, by_id=(), same=False):
        """Run one job; `tests` are code strings (ids 1..n; those in by_id are
        sent by id alone; same: not sent at all, the job says "same_tests").
        Returns the results as a list in test order, after checking the
        protocol and that no process survived the job."""
        job = self.next_job
        self.next_job += 1
        if same:
            self.send({"type": "job", "job": job, "solution": solution, "same_tests": True})
        else:
            self.send({"type": "job", "job": job, "solution": solution,
                       "tests": [{"id": i + 1} if i + 1 in by_id else {"id": i + 1, "code": c}
                                 for i, c in enumerate(tests)]})
        results = {}
        while True:
            msg = self.recv(timeout)
            assert msg.get("job") == job, msg
            if msg["type"] == "done":
                break
            assert msg["type"] == "result", msg
            assert msg["test"] not in results, "two results for test %s" % msg["test"]
            assert set(msg) == {"type", "job", "test", "status", "duration", "cpu",
                                "max_rss_kb", "output", "error"}, msg
            assert len(msg["output"].encode("utf-8")) <= self.cfg["output_limit"]
            results[msg["test"]] = msg
        assert sorted(results) == list(range(1, len(tests) + 1)), results
        left = [p for p in descendants(self.proc.pid) if alive(p)]
        # Idle loaders: the warm one forked ahead, and one kept after a job it proved left
        # nothing behind (harness_reuse).
        warm = [p for p in left if self.is_warm_loader(p)]
        assert len(warm) <= 2, "more than two idle loaders: %s" % warm
        left = [p for p in left if p not in warm]
        assert not left, "processes survived the job: %s" % left
        return [results[i + 1] for i in range(len(tests))]

    def requeue(self, solution, tests):
        """One job with "requeue": true (tests: (id, code) pairs); returns ({test id:
        status}, the ids the worker handed back)."""
        job = self.next_job
        self.next_job += 1
        self.send({"type": "job", "job": job, "solution": solution, "requeue": True,
                   "tests": [{"id": i, "code": code} for i, code in tests]})
        statuses = {}
        while True:
            msg = self.recv(60)
            assert msg.get("job") == job, msg
            if msg["type"] == "done":
                return statuses, msg.get("requeue", [])
            assert msg["test"] not in statuses, msg
            statuses[msg["test"]] = msg["status"]

    def is_warm_loader(self, pid):
        """The loader the worker forks ahead for the next job: a direct
        child of the worker, leader of its own process group, with no
        process below it, sitting in an existing job directory of its own
        (or, just forked and not set up yet, still in the worker's)."""
        table = process_table()
        if table.get(pid, (None, None)) != (self.proc.pid, pid):
            return False
        if any(ppid == pid for ppid, _ in table.values()):
            return False
        try:
            cwd = os.readlink("/proc/%d/cwd" % pid)
            if cwd == os.readlink("/proc/%d/cwd" % self.proc.pid):
                return True
        except OSError:
            return False
        return os.path.basename(cwd).startswith("codedpo-job-") and os.path.isdir(cwd)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send({"type": "exit"})
            except OSError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdin.close()
        self.proc.stdout.close()
        self.stderr.close()
        return self.proc.returncode


class HarnessCase(object):
    """Hostile behaviours, run once per isolation mode (see subclasses)."""

    isolation = None
    timeout = 1.0
    wall_factor = 2     # CPU-time limits with a wall-clock backstop, as the binary runs them

    def setUp(self):
        self.tmp_root = tempfile.mkdtemp(prefix="codedpo-harness-test-")
        self.h = self.start()

    def tearDown(self):
        code = self.h.close()
        self.assertEqual(code, 0)
        leftovers = os.listdir(self.tmp_root)
        shutil.rmtree(self.tmp_root, ignore_errors=True)
        self.assertEqual(leftovers, [], "job directories were not removed")

    def start(self, **overrides):
        cfg = {"test_isolation": self.isolation, "timeout": self.timeout,
               "wall_factor": self.wall_factor, "tmp_root": self.tmp_root}
        cfg.update(overrides)
        return Harness(**cfg)

    def restart(self, **overrides):
        self.assertEqual(self.h.close(), 0)
        self.h = self.start(**overrides)

    def statuses(self, results):
        return [r["status"] for r in results]

    def assertHealthy(self):
        results = self.h.run(SOLUTION, [GOOD, "assert f(1) == 3", GOOD2])
        self.assertEqual(self.statuses(results), ["pass", "fail", "pass"])

    # -- timeouts ------------------------------------------------------------

    def test_infinite_loop_times_out(self):
        self.restart(timeout=0.3)
        results = self.h.run(SOLUTION, [GOOD, "while True:\n    pass", GOOD2])
        self.assertEqual(self.statuses(results), ["pass", "timeout", "pass"])
        self.assertIn("timed out", results[1]["error"])
        self.assertHealthy()

    def test_requeue_hands_back_the_tests_after_a_loader_ended(self):
        self.restart(timeout=0.2)
        loop = "while True:\n    pass"
        tests = list(enumerate([GOOD, loop, GOOD2, loop, GOOD], 1))
        statuses, requeued = self.h.requeue(SOLUTION, tests)
        if self.isolation == "fork":
            # (A test's own process ends there, not the loader: nothing to hand back.)
            self.assertEqual((statuses, requeued),
                             ({1: "pass", 2: "timeout", 3: "pass", 4: "timeout", 5: "pass"}, []))
            return
        self.assertEqual((statuses, requeued), ({1: "pass", 2: "timeout"}, [3, 4, 5]))
        statuses, requeued = self.h.requeue(SOLUTION, tests[2:])
        self.assertEqual((statuses, requeued), ({3: "pass", 4: "timeout"}, [5]))
        statuses, requeued = self.h.requeue(SOLUTION, tests[4:])
        self.assertEqual((statuses, requeued), ({5: "pass"}, []))
        self.assertHealthy()

    def test_swallowed_timer_is_killed(self):
        self.restart(timeout=0.3)
        code = "while True:\n    try:\n        while True:\n            pass\n    except:\n        pass"
        start = time.monotonic()
        results = self.h.run(SOLUTION, [code, GOOD])
        self.assertEqual(self.statuses(results), ["timeout", "pass"])
        # Killed, or one of the re-fired timer signals (CPU and wall) got through.
        self.assertIn("timed out", results[0]["error"])
        self.assertLess(time.monotonic() - start, 5)
        self.assertHealthy()

    def test_cpu_time_is_each_tests_own(self):
        # The CPU timer ticks for a whole batch (namespace mode): each test's CPU time is
        # still its own -- a busy test reports its ~50 ms, the next one does not inherit them.
        busy = "import time\nstart = time.process_time()\nwhile time.process_time() - start < 0.05:\n    pass"
        results = self.h.run(SOLUTION, [GOOD, busy, GOOD2])
        self.assertEqual(self.statuses(results), ["pass", "pass", "pass"])
        self.assertGreaterEqual(results[1]["cpu"], 0.045)
        self.assertLess(results[2]["cpu"], 0.02)
        self.assertLess(results[0]["cpu"], 0.02)

    def test_each_test_keeps_only_its_own_output(self):
        # Gated tests of a batch share one output buffer, emptied before each test.
        results = self.h.run(SOLUTION, ["print('first')\nassert f(1) == 2", "assert f(1) == 2",
                                        "print('third')\nassert f(1) == 2"])
        self.assertEqual(self.statuses(results), ["pass", "pass", "pass"])
        self.assertEqual([r["output"] for r in results], ["first\n", "", "third\n"])

    def test_long_c_call_is_killed(self):
        self.restart(timeout=0.3)
        results = self.h.run(SOLUTION, [GOOD, "sum(range(10**11))", GOOD2])
        self.assertEqual(self.statuses(results), ["pass", "timeout", "pass"])
        self.assertIn("killed", results[1]["error"])
        self.assertHealthy()

    def test_solution_that_never_loads(self):
        self.restart(load_timeout=0.5)
        results = self.h.run(SOLUTION + "while True:\n    pass\n", [GOOD, GOOD2])
        self.assertEqual(self.statuses(results), ["load_error"] * 2)
        self.assertIn("timed out while loading", results[0]["error"])
        self.assertHealthy()

    # -- memory --------------------------------------------------------------

    def test_unbounded_allocation(self):
        self.restart(memory_mb=256)
        grow = "chunks = []\nwhile True:\n    chunks.append(bytearray(10**7))"
        results = self.h.run(SOLUTION, [GOOD, grow, "x = bytearray(10**10)", GOOD2])
        self.assertEqual(self.statuses(results), ["pass", "memory", "memory", "pass"])
        self.assertHealthy()

    # -- processes -----------------------------------------------------------

    def test_os_fork_is_disabled(self):
        results = self.h.run(SOLUTION, ["import os\nos.fork()", GOOD])
        self.assertEqual(self.statuses(results), ["error", "pass"])
        self.assertIn("disabled", results[0]["error"])

    def test_forked_child_sleeping_forever_is_killed(self):
        code = ("import ctypes, os, time\n"
                "pid = ctypes.CDLL(None).fork()\n"
                "if pid == 0:\n"
                "    while True:\n"
                "        time.sleep(100)\n"
                "print(os.getpgrp(), pid)\n"
                "assert f(1) == 2\n")
        results = self.h.run(SOLUTION, [code, GOOD])
        self.assertEqual(self.statuses(results), ["pass", "pass"])
        pgrp, child = map(int, results[0]["output"].split())
        self.assertFalse(alive(child))
        self.assertEqual([p for p, (_, g) in process_table().items() if g == pgrp], [])
        self.assertHealthy()

    def test_limited_fork_bomb_leaves_no_survivor(self):
        code = ("import ctypes, os, time\n"
                "libc = ctypes.CDLL(None)\n"
                "me = os.getpid()\n"
                "for _ in range(5):\n"
                "    libc.fork()\n"
                "if os.getpid() != me:\n"
                "    while True:\n"
                "        time.sleep(100)\n"
                "time.sleep(0.2)\n"
                "group = 0\n"
                "for name in os.listdir('/proc'):\n"
                "    try:\n"
                "        stat = open('/proc/%s/stat' % name).read()\n"
                "    except OSError:\n"
                "        continue\n"
                "    if name.isdigit() and int(stat[stat.rfind(')') + 2:].split()[2]) == os.getpgrp():\n"
                "        group += 1\n"
                "print(os.getpgrp(), group)\n")
        results = self.h.run(SOLUTION, [code, GOOD])
        self.assertEqual(self.statuses(results), ["pass", "pass"])
        pgrp, group = map(int, results[0]["output"].split())
        self.assertGreaterEqual(group, 32)          # the bomb really went off
        self.assertEqual([p for p, (_, g) in process_table().items() if g == pgrp], [])
        self.assertHealthy()

    def test_setsid_grandchild_is_killed(self):
        code = ("import ctypes, os, time\n"
                "libc = ctypes.CDLL(None)\n"
                "if libc.fork() == 0:\n"
                "    if libc.fork() == 0:\n"
                "        libc.setsid()\n"
                "        with open('grandchild.pid', 'w') as fh:\n"
                "            fh.write('%d %d' % (os.getpid(), os.getsid(0)))\n"
                "        while True:\n"
                "            time.sleep(100)\n"
                "    os._exit(0)\n"
                "end = time.time() + 0.8\n"
                "text = ''\n"
                "while not text and time.time() < end:\n"
                "    time.sleep(0.01)\n"
                "    try:\n"
                "        text = open('grandchild.pid').read()\n"
                "    except OSError:\n"
                "        pass\n"
                "print(os.getpgrp(), text)\n")
        results = self.h.run(SOLUTION, [code, GOOD])
        self.assertEqual(self.statuses(results), ["pass", "pass"])
        pgrp, grandchild, sid = map(int, results[0]["output"].split())
        self.assertEqual(sid, grandchild)           # it had left the group
        self.assertNotEqual(sid, pgrp)
        self.assertFalse(alive(grandchild))
        self.assertHealthy()

    def test_leftovers_of_a_test_are_gone_before_the_next(self):
        # A thread or a child process left by a test: namespace mode replaces
        # the loader (new pid), so the next test never shares a process with
        # them; the setsid'ed grandchild is already dead when it starts.
        spawn = ("import ctypes, os, time\n"
                 "libc = ctypes.CDLL(None)\n"
                 "if libc.fork() == 0:\n"
                 "    if libc.fork() == 0:\n"
                 "        libc.setsid()\n"
                 "        with open('daemon.pid', 'w') as fh:\n"
                 "            fh.write(str(os.getpid()))\n"
                 "        while True:\n"
                 "            time.sleep(100)\n"
                 "    os._exit(0)\n"
                 "while not (os.path.exists('daemon.pid') and open('daemon.pid').read()):\n"
                 "    time.sleep(0.01)\n"
                 "print(os.getpid())\n")
        thread = ("import os, threading, time\n"
                  "threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n"
                  "print(os.getpid())\n")
        check = ("import os\n"
                 "pid = int(open('daemon.pid').read())\n"
                 "assert not os.path.exists('/proc/%d' % pid)\n"
                 "print(os.getpid())\n")
        results = self.h.run(SOLUTION, [spawn, check, thread, "print(__import__('os').getpid())"])
        if self.isolation == "namespace":
            self.assertEqual(self.statuses(results), ["pass"] * 4)
            pids = [int(r["output"]) for r in results]
            self.assertNotEqual(pids[0], pids[1])
            self.assertNotEqual(pids[2], pids[3])
        else:
            # The loader forks the next test at once, racing the worker's
            # stray sweep, so only the end-of-job guarantee holds here.
            self.assertEqual(self.statuses(results)[2:], ["pass", "pass"])
        self.assertHealthy()

    # -- exits and signals -----------------------------------------------------

    def test_sys_exit_in_module_body(self):
        results = self.h.run(SOLUTION + "import sys\nsys.exit(0)\n", [GOOD, GOOD2])
        self.assertEqual(self.statuses(results), ["load_error", "load_error"])
        self.assertIn("SystemExit", results[0]["error"])
        self.assertHealthy()

    def test_os_exit_in_module_body(self):
        results = self.h.run(SOLUTION + "import os\nos._exit(0)\n", [GOOD, GOOD2])
        self.assertEqual(self.statuses(results), ["load_error", "load_error"])
        self.assertIn("exited with code 0", results[0]["error"])
        self.assertHealthy()

    def test_broken_solution_is_load_error(self):
        results = self.h.run("def f(x)\n    return x\n", [GOOD])
        self.assertEqual(self.statuses(results), ["load_error"])
        self.assertIn("SyntaxError", results[0]["error"])
        results = self.h.run("print('hello')\nraise ValueError('nope')\n", [GOOD])
        self.assertEqual(self.statuses(results), ["load_error"])
        self.assertIn("ValueError: nope", results[0]["error"])
        self.assertIn("hello", results[0]["output"])
        self.assertHealthy()

    def test_main_block_does_not_run(self):
        solution = SOLUTION + "if __name__ == '__main__':\n    raise SystemExit(3)\n"
        results = self.h.run(solution, [GOOD, "assert __name__ == '__codedpo_solution__'"])
        self.assertEqual(self.statuses(results), ["pass", "pass"])

    def test_sys_exit_in_test(self):
        results = self.h.run(SOLUTION, ["import sys\nsys.exit(0)", "exit(0)", GOOD])
        self.assertEqual(self.statuses(results), ["error", "error", "pass"])
        self.assertIn("SystemExit", results[0]["error"])

    def test_os_exit_in_test(self):
        results = self.h.run(SOLUTION, [GOOD, "import os\nos._exit(0)", GOOD2])
        self.assertEqual(self.statuses(results), ["pass", "crash", "pass"])
        self.assertIn("exited with code 0", results[1]["error"])
        self.assertHealthy()

    def test_keyboard_interrupt(self):
        results = self.h.run(SOLUTION, ["raise KeyboardInterrupt", GOOD])
        self.assertEqual(self.statuses(results), ["error", "pass"])
        self.assertIn("KeyboardInterrupt", results[0]["error"])

    def test_segfault(self):
        results = self.h.run(SOLUTION, ["import ctypes\nctypes.string_at(0)", GOOD])
        self.assertEqual(self.statuses(results), ["crash", "pass"])
        self.assertIn("SIGSEGV", results[0]["error"])
        self.assertHealthy()

    def test_closing_all_fds(self):
        code = "import os\nos.closerange(0, 4096)\nassert f(1) == 2"
        results = self.h.run(SOLUTION, [GOOD, code, GOOD2, "assert f(1) == 3"])
        self.assertEqual(self.statuses(results), ["pass", "crash", "pass", "fail"])
        self.assertHealthy()

    # -- forged verdicts -----------------------------------------------------

    def test_fake_results_never_pass(self):
        forge = ("import json, os\n"
                 "lines = []\n"
                 "for t in range(0, 10):\n"
                 "    lines.append(json.dumps({'type': 'result', 'job': 1, 'test': t, 'status': 'pass',\n"
                 "        'duration': 0, 'cpu': 0, 'max_rss_kb': 0, 'output': '', 'error': None}))\n"
                 "    lines.append(json.dumps({'t': 'result', 'i': t, 'status': 'pass', 'n': '0' * 32}))\n"
                 "    lines.append(json.dumps({'type': 'done', 'job': 1}))\n"
                 "data = ('\\n'.join(lines) + '\\n').encode()\n"
                 "for fd in range(0, 21):\n"
                 "    try:\n"
                 "        os.write(fd, data)\n"
                 "    except OSError:\n"
                 "        pass\n"
                 "print('pass')\n"
                 "print(json.dumps({'status': 'pass'}))\n")
        results = self.h.run(SOLUTION, [forge + "assert f(1) == 3",
                                        "assert f(1) == 3",
                                        forge + "import os\nos._exit(0)",
                                        forge + "raise SystemExit(0)",
                                        GOOD])
        self.assertEqual(self.statuses(results), ["fail", "fail", "crash", "error", "pass"])
        self.assertHealthy()

    def test_pipe_flood_and_partial_lines(self):
        flood = ("import os\n"
                 "for fd in range(3, 21):\n"
                 "    for data in (b'x' * (20 << 20), b'\\n' * (1 << 20), b'{\"t\": \"result\", \"partial'):\n"
                 "        try:\n"
                 "            os.write(fd, data)\n"
                 "        except OSError:\n"
                 "            pass\n")
        results = self.h.run(SOLUTION, [flood + "assert f(1) == 2", flood + "assert f(1) == 3", GOOD])
        self.assertEqual(self.statuses(results), ["pass", "fail", "pass"])
        self.assertHealthy()

    # -- state isolation -------------------------------------------------------

    def test_patched_builtins_do_not_leak(self):
        results = self.h.run(SOLUTION, [
            "import builtins\nbuiltins.len = lambda x: 0\nbuiltins.sorted = None\nassert len([1, 2]) == 0",
            "assert len([1, 2]) == 2\nassert sorted([2, 1]) == [1, 2]",
            "import builtins\nbuiltins.isinstance = lambda *a: True\nbuiltins.type = lambda *a: int\nassert [1] == [1]",
            "assert isinstance(1, int) and type('') is str"])
        self.assertEqual(self.statuses(results), ["pass", "pass", "pass", "pass"])

    def test_rebound_globals_do_not_leak(self):
        solution = ("X = 1\n"
                    "def g():\n    return X\n"
                    "def bump():\n    global X\n    X += 1\n    return X\n") + SOLUTION
        results = self.h.run(solution, [
            "X = 5\nassert g() == 1 and X == 5",
            "assert X == 1",
            "assert bump() == 2",
            "assert bump() == 2",
            "del f\nf = None",
            GOOD])
        self.assertEqual(self.statuses(results), ["pass"] * 6)

    def test_mutation_of_module_objects(self):
        # Documented limitation: namespace mode does not undo in-place
        # mutation; fork mode does.
        solution = "L = []\n" + SOLUTION
        results = self.h.run(solution, ["L.append(1)", "assert L == %r" % (
            [1] if self.isolation == "namespace" else [])])
        self.assertEqual(self.statuses(results), ["pass", "pass"])

    # -- untrusted comparisons ---------------------------------------------------

    def test_always_equal_object(self):
        solution = SOLUTION + (
            "class Anything:\n"
            "    def __eq__(self, other):\n        return True\n"
            "    def __ne__(self, other):\n        return False\n"
            "    __hash__ = object.__hash__\n"
            "def g(x):\n    return Anything()\n")
        results = self.h.run(solution, [
            "assert g(1) == 2",
            "assert 2 == g(1)",
            "assert [g(1)] == [2]",
            "assert {'k': (1, g(1))} == {'k': (1, 2)}",
            "assert 2 in [g(1)]",
            "assert all(g(i) == i * 7 for i in range(3))",
            "try:\n    assert g(1) == 2\nexcept BaseException:\n    pass",
            "assert g(1) is not None",
            GOOD])
        self.assertEqual(self.statuses(results), ["error"] * 7 + ["pass", "pass"])
        self.assertEqual(results[0]["error"], "untrusted comparison: Anything defines its own __eq__")

    def test_int_subclass_with_eq(self):
        solution = SOLUTION + (
            "class Num(int):\n"
            "    def __eq__(self, other):\n        return True\n"
            "    __hash__ = int.__hash__\n"
            "def g(x):\n    return Num(x)\n"
            "class Plain(int):\n    pass\n")
        results = self.h.run(solution, [
            "assert g(1) == 2",
            "assert Plain(3) == 3",
            "assert g(1) < 5",
            GOOD])
        self.assertEqual(self.statuses(results), ["error", "pass", "error", "pass"])
        self.assertIn("Num defines its own __eq__", results[0]["error"])

    def test_legitimate_comparisons(self):
        solution = SOLUTION + (
            "import collections, fractions\n"
            "Point = collections.namedtuple('Point', 'x y')\n"
            "def g():\n"
            "    return {'a': [1, 2.5, None], 'b': (True, 'x', b'y'), 'c': {1, 2}}\n")
        results = self.h.run(solution, [
            "assert g() == {'a': [1, 2.5, None], 'b': (True, 'x', b'y'), 'c': {1, 2}}",
            "assert abs(0.1 + 0.2 - 0.3) < 1e-9 and 0.5 == 1 / 2",
            "assert f(1) is not None and None is None",
            "assert 0 < f(1) < 3 <= 3",
            "assert 2 in [1, 2] and 'k' not in {'a': 1}",
            "assert Point(1, 2) == (1, 2) and Point(1, 2) == Point(1, 2)",
            "assert list(range(10**5)) == [i for i in range(10**5)]",
            "assert fractions.Fraction(1, 2) == 0.5 and collections.Counter('aab') == {'a': 2, 'b': 1}",
            "def check(candidate):\n    assert candidate(1) == 2\n    assert candidate(2) != 2\ncheck(f)",
            "assert [1, 2] == [1, 3]",
            "assert 0 < f(1) < 2",
            "assert f(1) == 2, 'custom message'\nassert f(2) == 4, 'custom message'",
            "assert (1, 2) < (1, 3) and 'b' > 'a' and frozenset([1]) <= {1, 2}",
        ])
        self.assertEqual(self.statuses(results), ["pass"] * 9 + ["fail", "fail", "fail", "pass"])
        self.assertEqual(results[9]["error"], "AssertionError: assert [1, 2] == [1, 3] (test line 1)")
        self.assertIn("assert 2 < 2", results[10]["error"])
        self.assertIn("custom message", results[11]["error"])

    # -- files and output --------------------------------------------------------

    def test_files_land_in_job_dir_and_are_removed(self):
        code = ("import os\n"
                "with open('written.txt', 'w') as fh:\n"
                "    fh.write('data')\n"
                "print(os.path.abspath('written.txt'))\n")
        results = self.h.run(SOLUTION, [code, "assert open('written.txt').read() == 'data'",
                                        "import os\nos.remove('written.txt')"])
        self.assertEqual(self.statuses(results), ["pass", "pass", "error"])
        path = results[0]["output"].strip()
        self.assertTrue(path.startswith(self.tmp_root + os.sep), path)
        self.assertFalse(os.path.exists(path))
        self.assertFalse(os.path.exists(os.path.dirname(path)))
        self.assertFalse(os.path.exists(os.path.join(os.getcwd(), "written.txt")))

    def test_output_is_captured_and_truncated(self):
        self.restart(output_limit=100)
        results = self.h.run(SOLUTION, [
            "import sys\nprint('x' * 5000)\nsys.stderr.write('tail-marker')\nassert f(1) == 2",
            "print('é' * 300)",
            "import os\nos.write(1, b'raw')\nprint('visible')"])
        self.assertEqual(self.statuses(results), ["pass", "pass", "pass"])
        self.assertTrue(results[0]["output"].endswith("tail-marker"))
        self.assertLessEqual(len(results[1]["output"].encode()), 100)
        self.assertEqual(results[2]["output"], "visible\n")

    def test_bad_messages_get_errors(self):
        self.h.send({"type": "nonsense"})
        self.assertEqual(self.h.recv(10)["type"], "error")
        self.h.proc.stdin.write(b"{not json\n")
        self.h.proc.stdin.flush()
        self.assertEqual(self.h.recv(10)["type"], "error")
        self.h.send({"type": "job", "job": 99, "solution": SOLUTION,
                     "tests": [{"id": 1, "code": GOOD}, {"id": 1, "code": GOOD}, {"id": 2}]})
        seen = []
        while True:
            msg = self.h.recv(10)
            seen.append((msg["type"], msg.get("test"), msg.get("status")))
            if msg["type"] == "done":
                break
        self.assertEqual(sorted(seen, key=str), sorted(
            [("result", 1, "pass"), ("result", 2, "error"), ("done", None, None)], key=str))
        self.assertHealthy()

    def test_crashes_across_jobs(self):
        for _ in range(3):
            results = self.h.run(SOLUTION, ["import os\nos._exit(1)", GOOD,
                                            "import ctypes\nctypes.string_at(0)", GOOD2])
            self.assertEqual(self.statuses(results), ["crash", "pass", "crash", "pass"])
        self.assertHealthy()

    # -- batched results, warm loaders, caches ----------------------------------

    def test_crash_after_unreported_passes(self):
        # Namespace mode keeps results in a batch: a loader that dies takes
        # the unreported ones with it.  Each test still gets exactly one
        # verdict, the right one (the lost passes run again).
        runs = ("import os\n"
                "with open('runs.txt', 'a') as fh:\n"
                "    fh.write('%d\\n' % os.getpid())\n"
                "assert f(1) == 2\n")
        for killer, status in (("import os\nos._exit(3)", "crash"),
                               ("import ctypes\nctypes.string_at(0)", "crash"),
                               ("import os, signal\nos.kill(os.getpid(), 9)", "error"),
                               ("x = bytearray(10**10)", "memory")):
            tests = [runs] * 5 + [killer] + [runs, "assert f(1) == 3", GOOD]
            results = self.h.run(SOLUTION, tests)
            self.assertEqual(self.statuses(results),
                             ["pass"] * 5 + [status, "pass", "fail", "pass"], killer)
        if self.isolation == "namespace":
            self.assertIn("exited with code 3", self.h.run(
                SOLUTION, [GOOD] * 4 + ["import os\nos._exit(3)", GOOD])[4]["error"])
        self.assertHealthy()

    def test_hang_after_unreported_passes(self):
        self.restart(timeout=0.3)
        hang = "while True:\n    try:\n        while True:\n            pass\n    except:\n        pass"
        results = self.h.run(SOLUTION, [GOOD] * 4 + [hang, "assert f(1) == 3", GOOD])
        self.assertEqual(self.statuses(results), ["pass"] * 4 + ["timeout", "fail", "pass"])
        self.assertIn("timed out", results[4]["error"])   # killed, or a re-fired timer got through
        self.assertLess(results[4]["duration"], 5)
        self.assertHealthy()

    def test_replaced_result_pipe_mid_batch(self):
        # A test that swaps fd 3 for a file: the loader's batch goes into the
        # file, the worker sees its pipe end; the test that did it is found
        # by running the unreported tests again, one report each.
        swap = ("import os\n"
                "os.close(3)\n"
                "fd = os.open('fake-pipe', os.O_WRONLY | os.O_CREAT)\n"
                "assert fd == 3\n")
        results = self.h.run(SOLUTION, [GOOD, GOOD2, swap, GOOD, "assert f(1) == 3", GOOD2])
        if self.isolation == "namespace":
            self.assertEqual(self.statuses(results), ["pass", "pass", "crash", "pass", "fail", "pass"])
            self.assertIn("pipe", results[2]["error"])
        else:   # a test's process has no fd 3 to close
            self.assertEqual(self.statuses(results), ["pass", "pass", "error", "pass", "fail", "pass"])
        self.assertHealthy()

    def test_a_job_with_the_same_tests_as_the_last_one_names_none_of_them(self):
        # "same_tests": the last job's tests, in its order, for another solution -- in the
        # loader the last job left (it has them compiled) or in a fresh one.
        tests = [GOOD, "assert f(1) == 3", GOOD2, "assert f(2) == 3"]
        self.assertEqual(self.statuses(self.h.run(SOLUTION, tests)), ["pass", "fail", "pass", "pass"])
        other = "def f(x):\n    return x + 2\n"
        self.assertEqual(self.statuses(self.h.run(other, tests, same=True)), ["fail", "pass", "fail", "fail"])
        self.assertEqual(self.statuses(self.h.run(SOLUTION, tests, same=True)), ["pass", "fail", "pass", "pass"])
        # A solution the reuse gate refuses gets a fresh loader, which is sent the tests.
        hostile = "import os\ndef f(x):\n    return x + 1\n"
        self.assertEqual(self.statuses(self.h.run(hostile, tests, same=True)), ["pass", "fail", "pass", "pass"])
        self.assertEqual(self.statuses(self.h.run(other, tests, same=True)), ["fail", "pass", "fail", "fail"])
        self.assertHealthy()

    def test_same_tests_need_a_last_job_whose_every_test_was_taken(self):
        def refused():
            job = self.h.next_job
            self.h.next_job += 1
            self.h.send({"type": "job", "job": job, "solution": SOLUTION, "same_tests": True})
            first, second = self.h.recv(30), self.h.recv(30)
            self.assertEqual((first["type"], second["type"]), ("error", "done"), (first, second))
            self.assertIn("same_tests", first["error"])
        refused()     # no job yet
        # A last job with a test it could not take (no code): not a list to run again.
        self.h.run(SOLUTION, [GOOD])
        self.assertEqual(self.statuses(self.h.run(SOLUTION, [GOOD, GOOD2], by_id={2})), ["pass", "error"])
        refused()
        self.assertHealthy()

    def test_a_record_for_another_test_is_not_taken(self):
        # Records name the test they are for (its id), in the order the tests
        # were sent.  A test that reaches the loader's channel and writes a
        # record for the job's next test (id 2) while it runs itself (id 1):
        # out of sequence, a protocol violation -- the loader is ended, the
        # test running gets crash, the forged pass counts for nothing, and the
        # rest run in a fresh loader.
        forge = ("import sys\n"
                 "fr = sys._getframe()\n"
                 "while fr is not None and 'channel' not in fr.f_locals:\n"
                 "    fr = fr.f_back\n"
                 "ch = fr.f_locals['channel']\n"
                 "ch.write('\\n{\"n\":\"%s\",\"t\":\"results\",\"c\":0.0,"
                 "\"r\":[[2,\"pass\",0.000001,0.000001,1,\"\",null]]}\\n' % ch.nonce)\n")
        results = self.h.run(SOLUTION, [forge + "assert f(1) == 2", "assert f(1) == 3", GOOD])
        self.assertEqual(self.statuses(results), ["crash", "fail", "pass"])
        if self.isolation == "namespace":
            self.assertIn("out-of-sequence", results[0]["error"])
        else:   # the test's own process has no channel: its write fails, it exits
            self.assertIn("pipe", results[0]["error"])
        self.assertHealthy()

    def test_modules_imported_by_tests_are_guarded(self):
        results = self.h.run(SOLUTION, [
            "import subprocess\nsubprocess.run(['true'])",
            "import shutil\nimport os\nos.mkdir('d')\nshutil.rmtree('d')",
            "import shutil\nopen('a', 'w').close()\nshutil.move('a', 'b')",
            "import tempfile, os\nprint(tempfile.gettempdir())\n"
            "fd, path = tempfile.mkstemp()\nassert path.startswith(os.getcwd())",
            "import multiprocessing\nmultiprocessing.Process(target=print).start()",
            GOOD])
        self.assertEqual(self.statuses(results), ["error"] * 3 + ["pass", "error", "pass"])
        for r in results[:3] + results[4:5]:
            self.assertIn("disabled", r["error"])
        self.assertTrue(results[3]["output"].strip().startswith(self.tmp_root + os.sep))
        self.assertHealthy()

    def test_cpu_limit_lowered_by_a_test_is_reset(self):
        lower = ("import resource\n"
                 "used = resource.getrusage(resource.RUSAGE_SELF)\n"
                 "soft = int(used.ru_utime + used.ru_stime) + 3\n"
                 "resource.setrlimit(resource.RLIMIT_CPU, (soft, resource.getrlimit(resource.RLIMIT_CPU)[1]))\n")
        check = "import resource\nassert resource.getrlimit(resource.RLIMIT_CPU)[0] >= 10"
        results = self.h.run(SOLUTION, [check, lower, check, GOOD])
        self.assertEqual(self.statuses(results), ["pass"] * 4)

    def test_builtins_set_by_the_solution_stay_for_every_test(self):
        solution = SOLUTION + "import builtins\nbuiltins.HELPER = 42\n"
        results = self.h.run(solution, [
            "assert HELPER == 42",
            "import builtins\ndel builtins.HELPER\nbuiltins.OTHER = 1",
            "assert HELPER == 42\nassert 'OTHER' not in dir(__import__('builtins'))",
            GOOD])
        self.assertEqual(self.statuses(results), ["pass"] * 4)
        results = self.h.run(SOLUTION, ["assert 'HELPER' not in dir(__import__('builtins'))"])
        self.assertEqual(self.statuses(results), ["pass"])

    def test_same_tests_across_jobs(self):
        # The worker caches compiled tests; a cached test must behave as a
        # fresh one, warnings at compile time included.
        warns = "assert (f(1), 'always true')"
        tests = [GOOD, "assert f(1) == 3", warns, "def g(\n", "assert 0 < f(1) < 3 == 3"]
        for _ in range(3):
            for solution in (SOLUTION, "def f(x):\n    return x + 2\n"):
                results = self.h.run(solution, tests)
                expected = (["pass", "fail", "pass", "error", "pass"] if solution == SOLUTION
                            else ["fail", "pass", "pass", "error", "fail"])
                self.assertEqual(self.statuses(results), expected)
                if self.isolation == "namespace":   # (fork mode compiles outside the test)
                    self.assertIn("SyntaxWarning", results[2]["output"])
                self.assertIn("SyntaxError", results[3]["error"])

    def test_tests_named_by_id_are_the_last_jobs(self):
        tests = [GOOD, "assert f(1) == 3"]
        self.assertEqual(self.statuses(self.h.run(SOLUTION, tests)), ["pass", "fail"])
        other = "def f(x):\n    return x + 2\n"
        self.assertEqual(self.statuses(self.h.run(other, tests, by_id={1, 2})), ["fail", "pass"])
        self.assertEqual(self.statuses(self.h.run(SOLUTION, tests, by_id={1, 2})), ["pass", "fail"])
        # Only the last job's tests are held: id 2 is unknown after a job without it.
        self.h.run(SOLUTION, [GOOD])
        results = self.h.run(SOLUTION, tests, by_id={2})
        self.assertEqual(self.statuses(results), ["pass", "error"])
        self.assertIn("no \"code\"", results[1]["error"])
        self.assertHealthy()

    def test_warm_loader_killed_while_waiting(self):
        self.assertHealthy()
        warm = [p for p in descendants(self.h.proc.pid) if self.h.is_warm_loader(p)]
        self.assertIn(len(warm), (1, 2))    # the warm loader, and one kept after a clean job
        for pid in warm:
            os.kill(pid, 9)
        time.sleep(0.1)
        self.assertHealthy()
        self.assertHealthy()


class NamespaceModeTests(HarnessCase, unittest.TestCase):
    isolation = "namespace"


class ForkModeTests(HarnessCase, unittest.TestCase):
    isolation = "fork"


class FreshWorkerTests(unittest.TestCase):
    """config fresh_worker (codedpo efficiency): every job is served by a fork of the worker
    as it was at start, which exits after the job; verdicts are the usual ones."""

    def job(self, h, job, solution, tests, timing=None):
        msg = {"type": "job", "job": job, "solution": solution,
               "tests": [{"id": i + 1, "code": c} for i, c in enumerate(tests)]}
        if timing is not None:
            msg["timing"] = timing
        h.send(msg)
        results = {}
        while True:
            m = h.recv(60)
            self.assertEqual(m.get("job"), job, m)
            if m["type"] == "done":
                return [results[i + 1] for i in range(len(tests))]
            results[m["test"]] = m

    def test_jobs_in_forks_of_the_ready_worker(self):
        h = Harness(fresh_worker=True)
        try:
            for job in range(1, 4):
                results = self.job(h, job, SOLUTION, [GOOD, "assert f(1) == 3", "while True: pass"])
                self.assertEqual([r["status"] for r in results], ["pass", "fail", "timeout"])
            # A job that kills its loader's parent chain is answered, and the worker goes on.
            results = self.job(h, 4, "import os\n", ["os._exit(3)"])
            self.assertEqual(results[0]["status"], "crash")
            timed = self.job(h, 5, SOLUTION, [GOOD], timing={"min_seconds": 0.001})
            self.assertEqual(timed[0]["status"], "pass")
            self.assertTrue(timed[0]["output"].startswith("codedpo-timing:"), timed[0])
            # Between jobs only the template (the worker's one child, which only forks) and its
            # fork that waits for the next job are below the worker (the one that served the
            # last job exits at once; the template forks the next one only after it has reaped
            # it, so for a moment there may be only the template).
            deadline = time.monotonic() + 10
            left, stable = [], 0
            while time.monotonic() < deadline and stable < 3:
                now = [p for p in descendants(h.proc.pid) if alive(p)]
                stable = stable + 1 if now == left and len(now) == 2 else 0
                left = now
                time.sleep(0.05)
            self.assertEqual(len(left), 2, left)
            table = process_table()
            template = [p for p in left if table[p][0] == h.proc.pid]
            self.assertEqual(len(template), 1, left)
            waiting = [p for p in left if p != template[0]]
            self.assertEqual(table[waiting[0]][0], template[0])
            # Loaders that outlive their job's process are reaped by the worker (their
            # subreaper): no zombie piles up below it, one per job.
            zombies = [p for p in descendants(h.proc.pid) if not alive(p)]
            while zombies and time.monotonic() < deadline:
                time.sleep(0.05)
                zombies = [p for p in descendants(h.proc.pid) if not alive(p)]
            self.assertEqual(zombies, [])
        finally:
            self.assertEqual(h.close(), 0)

    def test_bad_value_is_refused(self):
        proc = subprocess.Popen(harness_source.worker_argv(sys.executable, SOURCE),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        out, _ = proc.communicate(json.dumps({"type": "config", "fresh_worker": "yes"}).encode() + b"\n", timeout=30)
        self.assertIn(b"fresh_worker must be true or false", out)


class ClockTests(unittest.TestCase):
    """The two limits of a test: CPU time (the limit) and a wall-clock backstop
    for code that sleeps or blocks; and the old wall-clock-only configs."""

    def run_one(self, tests, isolation="namespace", **cfg):
        tmp_root = tempfile.mkdtemp(prefix="codedpo-harness-test-")
        h = Harness(isolation=isolation, tmp_root=tmp_root, **cfg)
        try:
            return h.run(SOLUTION, tests)
        finally:
            self.assertEqual(h.close(), 0)
            shutil.rmtree(tmp_root, ignore_errors=True)

    def test_sleeping_uses_no_cpu_time(self):
        for isolation in ("namespace", "fork"):
            results = self.run_one(["import time\ntime.sleep(0.5)", GOOD], isolation,
                                   timeout=0.25, wall_factor=6)
            self.assertEqual([r["status"] for r in results], ["pass", "pass"], isolation)

    def test_busy_loop_hits_the_cpu_limit(self):
        for isolation in ("namespace", "fork"):
            results = self.run_one(["while True:\n    pass", GOOD], isolation, timeout=0.2, wall_factor=20)
            self.assertEqual([r["status"] for r in results], ["timeout", "pass"], isolation)
            self.assertIn("of CPU time", results[0]["error"])
            self.assertLess(results[0]["duration"], 3.0)   # not the 4 s backstop

    def test_blocking_code_hits_the_wall_clock_backstop(self):
        for isolation in ("namespace", "fork"):
            results = self.run_one(["import time\ntime.sleep(30)", GOOD], isolation, timeout=0.2, wall_factor=2)
            self.assertEqual([r["status"] for r in results], ["timeout", "pass"], isolation)
            self.assertIn("wall clock", results[0]["error"])

    def test_slow_load_counts_cpu_time_with_a_backstop(self):
        h_results = self.run_one([GOOD], timeout=0.2, load_timeout=0.3, wall_factor=10)
        self.assertEqual(h_results[0]["status"], "pass")
        tmp_root = tempfile.mkdtemp(prefix="codedpo-harness-test-")
        h = Harness(tmp_root=tmp_root, timeout=0.2, load_timeout=0.3, wall_factor=10)
        try:
            sleepy = h.run("import time\ntime.sleep(0.6)\n" + SOLUTION, [GOOD])
            looping = h.run("while True:\n    pass\n" + SOLUTION, [GOOD])
        finally:
            self.assertEqual(h.close(), 0)
            shutil.rmtree(tmp_root, ignore_errors=True)
        self.assertEqual(sleepy[0]["status"], "pass")
        self.assertEqual(looping[0]["status"], "load_error")

    def test_wall_clock_configs_keep_their_meaning(self):
        # wall_factor null: configs made before CPU-time limits; a sleep counts.
        results = self.run_one(["import time\ntime.sleep(0.6)", GOOD], timeout=0.25, wall_factor=None)
        self.assertEqual([r["status"] for r in results], ["timeout", "pass"])
        self.assertEqual(results[0]["error"], "timed out after 0.25s")

    def test_cpu_timer_signal_is_reserved(self):
        results = self.run_one(["import signal\nsignal.signal(signal.SIGPROF, lambda *a: None)", GOOD],
                               timeout=1.0, wall_factor=2)
        self.assertEqual([r["status"] for r in results], ["error", "pass"])
        self.assertIn("SIGPROF is reserved", results[0]["error"])


NOBODY = 65534


def _become_nobody():
    os.setgid(NOBODY)
    os.setgroups([])
    os.setuid(NOBODY)


def _python_for_nobody():
    """A Python the unprivileged user can run (pyenv's lives under /root)."""
    if os.geteuid() != 0:
        return None
    for candidate in (sys.executable, "/usr/bin/python3", "/usr/local/bin/python3"):
        if not os.path.exists(candidate):
            continue
        try:
            subprocess.run([candidate, "-I", "-S", "-c", "pass"], preexec_fn=_become_nobody,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=30, check=True)
            return candidate
        except (OSError, subprocess.SubprocessError):
            continue
    return None


class UnprivilegedUserTests(unittest.TestCase):
    """Limits that only bite below root: RLIMIT_NPROC and the non-dumpable
    worker (children cannot reopen its stdout through /proc)."""

    def setUp(self):
        self.python = _python_for_nobody()
        if self.python is None:
            self.skipTest("needs root and a Python that user nobody can run")
        self.tmp_root = tempfile.mkdtemp(prefix="codedpo-harness-nobody-")
        os.chown(self.tmp_root, NOBODY, NOBODY)

    def tearDown(self):
        shutil.rmtree(self.tmp_root, ignore_errors=True)

    def test_process_limit_and_hidden_worker_fds(self):
        for mode in ("namespace", "fork"):
            h = Harness(python=self.python, preexec_fn=_become_nobody, isolation=mode,
                        max_processes=20, tmp_root=self.tmp_root)
            try:
                bomb = ("import ctypes, time\n"
                        "libc = ctypes.CDLL(None)\n"
                        "forked = 0\n"
                        "while forked < 500:\n"
                        "    pid = libc.fork()\n"
                        "    if pid == 0:\n"
                        "        while True:\n"
                        "            time.sleep(100)\n"
                        "    if pid < 0:\n"
                        "        break\n"
                        "    forked += 1\n"
                        "print(forked)\n")
                steal = ("import os\n"
                         "open('/proc/%d/fd/1' % {pid}, 'w').write('{{}}')\n").format(pid=h.ready["pid"])
                results = h.run(SOLUTION, [bomb, steal, GOOD])
                self.assertEqual([r["status"] for r in results], ["pass", "error", "pass"])
                self.assertLessEqual(int(results[0]["output"]), 20)
                self.assertIn("PermissionError", results[1]["error"])
            finally:
                self.assertEqual(h.close(), 0)
        self.assertEqual(os.listdir(self.tmp_root), [])


class ThroughputTests(unittest.TestCase):
    def test_throughput(self):
        tests = ["assert f(%d) == %d" % (i, i + 1) for i in range(2000)]
        rates = {}
        for mode in ("namespace", "fork"):
            h = Harness(isolation=mode, timeout=5.0)
            try:
                h.run(SOLUTION, tests[:20])     # warm-up
                start = time.perf_counter()
                results = h.run(SOLUTION, tests, timeout=300)
                elapsed = time.perf_counter() - start
            finally:
                h.close()
            self.assertEqual({r["status"] for r in results}, {"pass"})
            rates[mode] = len(tests) / elapsed
        sys.stderr.write("\nthroughput, 2000 trivial asserts: namespace %.0f tests/s, fork %.0f tests/s\n"
                         % (rates["namespace"], rates["fork"]))


if __name__ == "__main__":
    unittest.main()
