"""Loader reuse (harness_reuse.py): a loader takes the next job only when nothing the last job
did can show.  Solution A tries to leave state behind (a patched module attribute or stdlib
class, a reseeded random, a recursion limit, builtins, sys.modules, the environment, a thread, a
file in the job directory, an ABC registration, ...); solution B, run right after A in the same
worker, must get exactly the verdicts and output it gets alone.  Plus the unit checks of the
static gate.  Run from the package root:  python3 -m unittest discover -s Tests/harness -v
"""

import os
import sys
import tempfile
import shutil
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "Sources", "CodeDPOKit", "Execution", "Harness"))
from test_harness import Harness, descendants  # noqa: E402
from harness_reuse import _ReuseGate, _bulk_reader  # noqa: E402
from harness_loader import _dict_version  # noqa: E402

# B prints the state A may have touched (its tests are not gated: B may look at anything).
PROBE = "\n".join((
    "import math, string, heapq, collections, collections.abc, fractions, typing, sys, os, threading",
    "def f(x):",
    "    return x + 1",
    "def state():",
    "    return [math.pi, string.ascii_lowercase, hasattr(heapq.heappush, 'x'),",
    "            collections.Counter('aab').most_common(1), fractions.Fraction(1, 3).limit_denominator(2),",
    "            string.Formatter().format('{}', 1),",
    "            isinstance({}, collections.abc.Sequence), typing.List[int] == typing.List[int],",
    "            sys.getrecursionlimit(), len([1, 2]), sorted(k for k in sys.modules if 'evil' in k),",
    "            os.environ.get('CODEDPO_LEAK'), sorted(os.listdir('.')), threading.active_count(),",
    "            'xml.dom.minidom' in sys.modules, 'email' in sys.modules,",
    "            abs(-2), math.sqrt(4)]",
    ""))
PROBE_TESTS = ["print(state())\nassert f(1) == 2", "assert f(1) == 3", "assert math.pi > 3.14"]

# (what A tries, A's solution, A's tests)
LEAKS = [
    ("module attribute", "import math\nmath.pi = 3\ndef f(x):\n    return x\n", ["assert f(1) == 1"]),
    ("stdlib class attribute", "import collections\n"
     "collections.Counter.most_common = lambda self, n=None: []\ndef f(x):\n    return x\n", ["assert f(1) == 1"]),
    ("stdlib function attribute", "import heapq\nheapq.heappush.x = 1\ndef f(x):\n    return x\n", ["assert f(1) == 1"]),
    ("module constant", "import string\nstring.ascii_lowercase = 'z'\ndef f(x):\n    return x\n", ["assert f(1) == 1"]),
    ("aliased class method", "import string\nF = string.Formatter\nF.format = lambda s, *a: 'x'\n"
     "def f(x):\n    return x\n", ["assert f(1) == 1"]),
    ("patched in a test", "import math\ndef f(x):\n    return x\n", ["math.pi = 3\nassert f(1) == 1"]),
    ("random seed", "import random\nrandom.seed(1)\nrandom.random()\ndef f(x):\n    return x\n", ["assert f(1) == 1"]),
    ("recursion limit", "import sys\nsys.setrecursionlimit(77)\ndef f(x):\n    return x\n", ["assert f(1) == 1"]),
    ("builtins", "import builtins\nbuiltins.len = lambda x: 0\nbuiltins.abs = lambda x: 0\n"
     "def f(x):\n    return x\n", ["assert f(1) == 1"]),
    ("sys.modules", "import sys\nsys.modules['evil_module'] = sys\ndef f(x):\n    return x\n", ["assert f(1) == 1"]),
    ("environment", "import os\nos.environ['CODEDPO_LEAK'] = '1'\ndef f(x):\n    return x\n", ["assert f(1) == 1"]),
    ("thread", "import threading, time\nthreading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n"
     "def f(x):\n    return x\n", ["assert f(1) == 1"]),
    ("file in the job directory", "def f(x):\n    return x\n", ["open('left.txt', 'w').write('x')\nassert f(1) == 1"]),
    ("ABC registration", "import collections.abc\ncollections.abc.Sequence.register(dict)\ndef f(x):\n    return x\n",
     ["assert f(1) == 1"]),
    ("reflection", "import math\ndef f(x):\n    return x\n"
     "g = f.__globals__['__builtins__']\n", ["assert f(1) == 1"]),
    ("getattr", "import math\nsetattr(math, 'sqrt', abs)\ndef f(x):\n    return x\n", ["assert f(1) == 1"]),
    ("typing cache", "from typing import List\nclass C:\n    pass\nX = List[C]\ndef f(x):\n    return x\n",
     ["assert f(1) == 1"]),
    ("syntax error", "def f(x)\n    return x\n", ["assert f(1) == 1"]),
    ("unused import in a test", "def f(x):\n    return x\n",
     ["assert f(1) == 1\nimport xml.dom.minidom\nfrom email import message_from_string"]),
    ("clean", "from typing import List\nimport math\ndef f(x):\n    return x\n", ["assert f(1) == 1"]),
]


class LoaderReuseTests(unittest.TestCase):

    def setUp(self):
        self.tmp_root = tempfile.mkdtemp(prefix="codedpo-reuse-test-")

    def tearDown(self):
        shutil.rmtree(self.tmp_root, ignore_errors=True)

    def start(self):
        return Harness(test_isolation="namespace", timeout=1.0, wall_factor=2, tmp_root=self.tmp_root)

    @staticmethod
    def outcome(results):
        return [(r["status"], r["output"], r["error"]) for r in results]

    def idle_loaders(self, h):
        return sorted(p for p in descendants(h.proc.pid) if h.is_warm_loader(p))

    def test_after_any_solution_the_next_gets_the_verdicts_it_gets_alone(self):
        h = self.start()
        try:
            alone = self.outcome(h.run(PROBE, PROBE_TESTS))
            self.assertEqual([s for s, _, _ in alone], ["pass", "fail", "pass"], alone)
            for what, solution, tests in LEAKS:
                h.run(solution, tests)
                self.assertEqual(self.outcome(h.run(PROBE, PROBE_TESTS)), alone, what)
        finally:
            self.assertEqual(h.close(), 0)

    def test_a_clean_job_keeps_its_loader_and_others_end_it(self):
        h = self.start()
        try:
            clean = "from typing import List\nimport math\n\ndef f(x: List[int]) -> int:\n    return len(x)\n"
            tests = ["assert f([1, 2]) == 2", "assert f([]) == 1"]
            h.run(clean, tests)
            idle = self.idle_loaders(h)
            self.assertEqual(len(idle), 2, "the warm loader and the one kept")
            for _ in range(3):
                self.assertEqual([r["status"] for r in h.run(clean, tests)], ["pass", "fail"])
                self.assertEqual(self.idle_loaders(h), idle, "the kept loader ran the job")
            h.run("import os\ndef f(x):\n    return 2\n", tests)     # not gated: its loader ends
            self.assertFalse(set(self.idle_loaders(h)) >= set(idle))
            h.run("import math\nmath.pi = 3\ndef f(x):\n    return 2\n", tests)   # gated, dirty
            self.assertEqual(len(self.idle_loaders(h)), 1)
        finally:
            self.assertEqual(h.close(), 0)

    def test_a_gated_job_stopped_by_a_timeout_keeps_its_loader_and_the_rest_load_afresh(self):
        h = Harness(test_isolation="namespace", timeout=0.2, wall_factor=2, tmp_root=self.tmp_root)
        try:
            # The solution keeps state in a module-level list: a test run on the same load
            # of it sees what the tests before it appended.
            solution = "seen = []\n\ndef f(x):\n    seen.append(x)\n    return len(seen)\n"
            tests = [(1, "assert f(1) == 1"), (2, "f(2)\nwhile True:\n    pass"),
                     (3, "assert f(3) == 1"), (4, "assert f(4) == 2")]
            self.assertEqual(h.requeue(solution, tests), ({1: "pass", 2: "timeout"}, [3, 4]))
            idle = self.idle_loaders(h)
            self.assertEqual(len(idle), 2, "the warm loader and the one kept after the timeout")
            # The rest, as the Swift side queues them again: the kept loader takes them with
            # the solution loaded afresh (the list holds only what they append).
            self.assertEqual(h.requeue(solution, tests[2:]), ({3: "pass", 4: "pass"}, []))
            self.assertEqual(self.idle_loaders(h), idle, "the kept loader ran the rest")
            # A timeout after a change the reuse check sees ends the loader, as before.
            patched = [(1, "math.pi = 3\nwhile True:\n    pass"), (2, "assert math.pi > 3.14")]
            self.assertEqual(h.requeue("import math\ndef f(x):\n    return x\n", patched),
                             ({1: "timeout"}, [2]))
            self.assertEqual(len(self.idle_loaders(h)), 1, "only the warm loader")
            self.assertEqual(h.requeue("import math\ndef f(x):\n    return x\n", patched[1:]),
                             ({2: "pass"}, []))
        finally:
            self.assertEqual(h.close(), 0)

    def test_the_next_job_sees_its_own_peak_memory(self):
        h = self.start()
        try:
            h.run("def f(x):\n    return x\n", ["assert f(1) == 1"])
            idle = self.idle_loaders(h)
            big = h.run("x = bytearray(300 << 20)\nx[-1] = 1\ndel x\ndef f(x):\n    return x\n", ["assert f(1) == 1"])
            self.assertGreater(big[0]["max_rss_kb"], 300 << 10)
            after = h.run("def f(x):\n    return x\n", ["assert f(1) == 1"])
            self.assertEqual(self.idle_loaders(h), idle, "the same loader ran all three jobs")
            self.assertLess(after[0]["max_rss_kb"], 200 << 10)
        finally:
            self.assertEqual(h.close(), 0)


class GateTests(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.gate = _ReuseGate()

    def test_tests_judged_from_the_code_caches_tree_get_the_same_verdict(self):
        # The worker's code cache shows the gate each new test's syntax tree before the
        # assert rewrite (one parse a test, not two): same verdicts, judged there.
        from harness_compare import _CodeCache
        fresh, shared = _ReuseGate(), _ReuseGate()
        cache = _CodeCache()
        cache.parsed = shared.seen
        sources = ["assert f(1) == 2", "assert 1 < f(x) < 3", "import unittest\nassert f(1) == 1",
                   "import os\nassert os.getcwd()", "assert f.__class__ is int", "x = eval('1')\nassert x",
                   "assert _____._____ == ___", "assert f('\\d') == 1", "for i in range(3):\n    assert f(i)"]
        for source in sources:
            cache.get(source)
            self.assertIn(source, shared.cache, "judged from the cache's tree: " + source)
            self.assertEqual(shared.ok(source), fresh.ok(source), source)
        self.assertEqual([fresh.ok(s) for s in sources], [True, True, True, False, False, False, True, True, True])

    def test_plain_solutions_pass(self):
        for source in ("from typing import List\nimport math\n\ndef f(x: List[int]) -> float:\n"
                       "    return math.sqrt(sum(x))\n",
                       "import collections, itertools, functools, heapq, bisect, string, re\n"
                       "def f(x):\n    return collections.Counter(x).most_common(1)\n",
                       "def f(x):\n    if __name__ == '__main__':\n        pass\n    return x\n",
                       "def f(x)\n    return x\n"):     # does not compile: never runs
            self.assertTrue(self.gate.solution(source)[1], source)

    def test_reaching_out_fails(self):
        # An import off the list whose name is never used passes the syntax gate (tests,
        # see test_unused_imports_pass_the_syntax_gate), never the solution gate.
        for source in ("import os\n", "import sys\n", "import random\n", "import numpy\n",
                       "def f():\n    import ctypes\n", "from __future__ import annotations\n"):
            self.assertFalse(self.gate.solution(source)[1], source)
        for source in ("import os\nos.system('x')\n", "import sys\nx = sys\n", "import random as r\nr.seed(1)\n",
                       "import numpy\ndef f():\n    return numpy\n", "def f():\n    import ctypes\n    ctypes\n",
                       "import os as math\nmath.getcwd()\n", "from os import system\nsystem('x')\n",
                       "from .models import x\n", "from os import *\n", "from typing import sys as s\n",
                       "import typing\ntyping.sys.setrecursionlimit(5)\n", "import re\nre.enum\n",
                       "eval('1')\n", "x = getattr(1, 'real')\n", "f = open\n", "globals()\n",
                       "def f(x):\n    return x.__class__\n", "def f(e):\n    return e.tb_frame\n",
                       "x = __builtins__\n", "from collections import _sys\n",
                       "import collections.abc\ncollections.abc.Sequence.register(dict)\n",
                       "import typing\ntyping.get_type_hints(f)\n",
                       "x = __codedpo_cmp__\n"):
            self.assertFalse(self.gate.solution(source)[1], source)
            self.assertFalse(self.gate.ok(source), source)
        # Compiled code cannot tell a private global from a private attribute: both fail.
        self.assertFalse(self.gate.solution("x = _helper\n")[1])

    def test_tests_are_gated_by_their_syntax(self):
        self.assertTrue(self.gate.ok("assert f([1, 2]) == 3, 'wrong'"))
        self.assertTrue(self.gate.ok("assert ____ == f(1)"))      # placeholders: a NameError at worst
        self.assertFalse(self.gate.ok("assert f.__defaults__ == ()"))
        self.assertTrue(self.gate.ok("assert _____._____ == ___, 'f not working'"))   # placeholders
        self.assertFalse(self.gate.ok("assert f._x == 1"))

    def test_unused_imports_pass_the_syntax_gate(self):
        for source in ("assert f(1) == 2\nimport unittest\n", "assert f(1) == 2\nimport os, sys, logging\n"
                       "from logging.handlers import RotatingFileHandler\n",
                       "assert f(1) == 2\nimport numpy as np\nfrom sklearn.linear_model import LinearRegression\n"):
            self.assertTrue(self.gate.ok(source), source)
        for source in ("import unittest\nclass T(unittest.TestCase):\n    pass\n",
                       "from flask import Flask\napp = Flask(__name__)\n",
                       "import os\ndef g():\n    global os\n    return os\n"):
            self.assertFalse(self.gate.ok(source), source)


# Runs three tests of a gated job in a loader's test loop (harness_loader._run_tests) in a fresh
# interpreter; the second imports a module (unused name: it passes the gate) whose import starts
# a thread.  Prints the messages the loader wrote and where it stopped.
GATED_LOOP = """
import os, sys, tempfile
sys.path.insert(0, %r)
sys.argv = ["x"]
import harness_loader as hl
from harness_worker import _Config, _Channel, _Progress, _compile_test
import builtins
lib = tempfile.mkdtemp()
with open(os.path.join(lib, "codedpo_starts_a_thread.py"), "w") as fh:
    fh.write("import threading, time\\nthreading.Thread(target=time.sleep, args=(5,), daemon=True).start()\\n")
sys.path.insert(0, lib)
cfg = _Config.parse({"type": "config", "timeout": 1.0, "wall_factor": 2})
g = {"__builtins__": builtins, "__name__": "s"}
exec("def f(x):\\n    return x\\n", g)
sources = ["assert f(1) == 1", "assert f(1) == 1\\nimport codedpo_starts_a_thread", "assert f(2) == 2"]
tests = [(None, s, _compile_test(s)) for s in sources]
rfd, wfd = os.pipe()
class Stop(BaseException):
    pass
def stop(code):
    raise Stop(code)
hl._exit = stop
leftovers = hl._LeftoverCheck()
try:
    clean = hl._run_tests(hl._Runner(cfg, g), tests, _Channel(wfd, "0" * 32), _Progress(), False, leftovers, %s)
    print("returned", clean)
except Stop:
    print("stopped")
os.close(wfd)
print(os.read(rfd, 1 << 16).decode())
"""


class GatedLeftoverTests(unittest.TestCase):
    """Gated jobs skip the per-test leftover check while sys.modules keeps its size: a test whose
    import starts a thread must still end the loader before the next test (a restart)."""

    def run_loop(self, gated):
        import subprocess
        sys.path.insert(0, HERE)
        import harness_source
        script = GATED_LOOP % (harness_source.HARNESS_DIR, gated)
        done = subprocess.run([sys.executable, "-S", "-c", script], capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr[-2000:])
        return done.stdout

    def test_a_thread_started_by_an_import_restarts_the_loader(self):
        for gated in (True, False):
            out = self.run_loop(gated)
            self.assertIn("stopped", out, (gated, out))
            self.assertIn('"t":"restart"', out, (gated, out))
            self.assertEqual(out.count('"pass"'), 2, (gated, out))   # the third test did not run here


class BulkReaderTests(unittest.TestCase):
    """The reuse check reads all version tags with one struct.unpack_from per address cluster:
    it must read what the per-dict views read, and see a change in any one dict."""

    def test_bulk_read_sees_every_change(self):
        if _dict_version is None:
            self.skipTest("no dict version tags on this interpreter")
        import math
        dicts = [{"k%d" % i: i} for i in range(50)] + [vars(math)]
        views = [_dict_version(d) for d in dicts]
        read = _bulk_reader(views)
        self.assertEqual(read.__name__, "bulk")
        before = read()
        self.assertEqual(sorted(v for part in before for v in part), sorted(v.value for v in views))
        self.assertEqual(read(), before)
        for d in dicts[:-1]:
            d["new"] = 1
            after = read()
            self.assertNotEqual(after, before, d)
            before = after


if __name__ == "__main__":
    unittest.main()
