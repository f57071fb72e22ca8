"""Throughput benchmark of the harness (Sources/CodeDPOKit/Execution/Harness, joined).

Starts one worker as `python -I -S -u -c <source>` (the Swift side now
compiles the file through a one-line -c loader instead; the harness
re-executes itself into the same state, see its docstring), sends every
solution of a workload as one
job carrying ALL the tests of its problem (the same test ids and code again
for each solution), and prints tests/s per isolation mode next to a bare
in-process loop over the same solutions and asserts (the speed limit: exec
each solution once, exec each assert source in its namespace, no isolation).

Run from the package root:
    python3 Tests/harness/bench_harness.py                      # synthetic
    python3 Tests/harness/bench_harness.py --codet ../shared/data/codet
    python3 Tests/harness/bench_harness.py --trivial          # assert f(3) == 4
Options: --modes namespace,fork  --timeout S  --jobs N  --tests N  --repeat N
         --no-limit (skip the in-process loops)  --harness FILE
         --profile-worker FILE (cProfile of the worker, namespace mode)
Per mode: tests/s, wall and CPU microseconds per test (CPU: the worker and
all its loaders, from RUSAGE_CHILDREN), verdict counts, and the rate as a
fraction of the in-process exec(source) loop.  BENCH_VERBOSE=1 also prints
the worker's own share of the CPU.  The load average is printed before and
after: on a busy 2-core machine the numbers move by 10-30% run to run.
"""

import argparse
import json
import os
import random
import resource
import select
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness_source  # noqa: E402  (the harness modules, joined as the binary joins them)
STATUSES = ("pass", "fail", "error", "timeout", "memory", "crash", "load_error")


# --------------------------------------------------------------------------
# Workloads: a list of problems, each (solutions, tests)
# --------------------------------------------------------------------------

_SYNTH_REFERENCE = (
    "from typing import List\n"
    "import math\n\n\n"
    "def f(numbers: List[int], k: int) -> List[int]:\n"
    "    \"\"\"Sorted distinct numbers greater than k.\"\"\"\n"
    "    return sorted(set(x for x in numbers if x > k))\n")

_SYNTH_BODIES = [
    # correct variants
    "    return sorted(set(x for x in numbers if x > k))\n",
    "    out = []\n    for x in sorted(numbers):\n        if x > k and x not in out:\n"
    "            out.append(x)\n    return out\n",
    "    seen = {}\n    for x in numbers:\n        if x > k:\n            seen[x] = True\n"
    "    return sorted(seen)\n",
    # wrong: >= instead of >
    "    return sorted(set(x for x in numbers if x >= k))\n",
    # wrong: keeps duplicates
    "    return sorted(x for x in numbers if x > k)\n",
    # wrong: reverse order
    "    return sorted(set(x for x in numbers if x > k), reverse=True)\n",
    # raises on some inputs (empty list, k out of range)
    "    m = max(numbers)\n    return sorted(set(x for x in numbers if x > k and x <= m))\n",
    "    if k < 0:\n        raise ValueError('negative k')\n"
    "    return sorted(set(x for x in numbers if x > k))\n",
    # slower but correct
    "    out = []\n    for x in numbers:\n        if x > k and all(x != y for y in out):\n"
    "            out.append(x)\n    for i in range(len(out)):\n"
    "        for j in range(len(out) - 1 - i):\n"
    "            if out[j] > out[j + 1]:\n                out[j], out[j + 1] = out[j + 1], out[j]\n"
    "    return out\n",
    # wrong: math-based nonsense
    "    return [int(math.sqrt(x * x)) for x in sorted(set(numbers)) if x > k + 1]\n",
]


def synthetic(jobs, ntests, seed=7):
    rng = random.Random(seed)
    g = {}
    exec(_SYNTH_REFERENCE, g)
    ref = g["f"]
    tests = []
    seen = set()
    while len(tests) < ntests:
        numbers = [rng.randint(-9, 9) for _ in range(rng.randint(0, 8))]
        k = rng.randint(-3, 5)
        code = "assert f(%r, %r) == %r" % (numbers, k, ref(numbers, k))
        if code not in seen:
            seen.add(code)
            tests.append(code)
    head = _SYNTH_REFERENCE.split("    return")[0]
    solutions = [head + _SYNTH_BODIES[i % len(_SYNTH_BODIES)] + "\n# sample %d\n" % i
                 for i in range(jobs)]
    return [(solutions, tests)]


def trivial(jobs, ntests):
    """The cheapest possible asserts (`assert f(3) == 4`): the per-test
    overhead of the harness and nothing else.  A tenth of the solutions
    are off by one (every test fails), one in twenty-five raises."""
    tests = ["assert f(%d) == %d" % (i, i + 1) for i in range(ntests)]
    solutions = []
    for i in range(jobs):
        if i % 25 == 7:
            body = "    raise ValueError(x)\n"
        elif i % 10 == 3:
            body = "    return x + 2\n"
        else:
            body = "    return x + 1\n"
        solutions.append("def f(x):\n" + body + "# sample %d\n" % i)
    return [(solutions, tests)]


_STOP_TOKENS = ("\nclass", "\ndef", "\n#", "\nif", "\nprint")


def _cut(text):
    for token in _STOP_TOKENS:
        if token in text:
            text = text.split(token)[0]
    return text


def _test_ok(case):
    if not case.strip() or "assert" not in case:
        return False
    try:
        block = "try:\n    %s\nexcept:\n    pass\n" % case.replace("\n", "\n    ")
        compile(block, "", "exec")
        return True
    except Exception:
        return False


def codet(folder, problems=10, per_problem=30, ntests=40):
    """The first `problems` HumanEval problems of CodeT's CodeGen samples:
    up to `per_problem` solutions (prompt + cut completion) and the first
    `ntests` distinct asserts (CodeT's split: on `assert `, parts naming the
    entry point, cut at stop tokens, compiling, at most 5 per sample)."""
    def rows(name):
        with open(os.path.join(folder, name), encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
    prefix = "HumanEval_codegen16B_temp0.8_topp0.95_num100_max300_"
    code_samples = {r["prompt"]: r["samples"] for r in rows(prefix + "code_solution.tasks0-81.jsonl")}
    test_samples = {r["prompt"]: r["samples"] for r in rows(prefix + "test_case.tasks0-81.jsonl")}
    code_prompts = rows("HumanEval_for_code_generation.jsonl")
    test_prompts = {r["task_id"]: r for r in rows("HumanEval_for_test_case_generation.jsonl")}
    out = []
    for problem in code_prompts:
        if len(out) >= problems:
            break
        if problem["prompt"] not in code_samples:
            continue
        tp = test_prompts[problem["task_id"]]
        entry = problem["entry_point"]
        solutions = [problem["prompt"] + _cut(s) for s in code_samples[problem["prompt"]][:per_problem]]
        tests, seen = [], set()
        for sample in test_samples.get(tp["prompt"], ()):
            parts = [("assert " + p).strip() for p in ("assert " + sample).split("assert ")
                     if entry.strip() in p and p.strip()]
            cases = [c for c in (_cut(p).strip() for p in parts) if _test_ok(c)][:5]
            for c in cases:
                if c not in seen:
                    seen.add(c)
                    tests.append(c)
            if len(tests) >= ntests:
                break
        out.append((solutions, tests[:ntests]))
    return out


# --------------------------------------------------------------------------
# The speed limit: a bare in-process loop (in a forked child, with a timer
# so real data's infinite loops end)
# --------------------------------------------------------------------------

class _Alarm(BaseException):
    pass


def _bare_loop(workload, timeout, precompile):
    def on_alarm(signum, frame):
        raise _Alarm()
    signal.signal(signal.SIGALRM, on_alarm)
    counts = dict.fromkeys(STATUSES, 0)
    compiled = {}
    n = 0
    start = time.perf_counter()
    for solutions, tests in workload:
        if precompile:
            for t in tests:
                if t not in compiled:
                    try:
                        compiled[t] = compile(t, "<test>", "exec")
                    except SyntaxError:
                        compiled[t] = t
        for solution in solutions:
            g = {"__name__": "__bench_solution__"}
            try:
                signal.setitimer(signal.ITIMER_REAL, 5.0)
                try:
                    exec(solution, g)
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            except BaseException:
                counts["load_error"] += len(tests)
                n += len(tests)
                continue
            for t in tests:
                n += 1
                try:
                    signal.setitimer(signal.ITIMER_REAL, timeout)
                    try:
                        exec(compiled[t] if precompile else t, g)
                    finally:
                        signal.setitimer(signal.ITIMER_REAL, 0)
                    counts["pass"] += 1
                except _Alarm:
                    counts["timeout"] += 1
                except AssertionError:
                    counts["fail"] += 1
                except MemoryError:
                    counts["memory"] += 1
                except BaseException:
                    counts["error"] += 1
    return n, time.perf_counter() - start, counts


def run_bare(workload, timeout, precompile):
    """Run _bare_loop in a forked child (stdio on /dev/null, 1 GB address
    space) so untrusted samples cannot hurt the benchmark itself."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(rfd)
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
            os.chdir(os.environ.get("TMPDIR", "/tmp"))
            n, elapsed, counts = _bare_loop(workload, timeout, precompile)
            os.write(wfd, json.dumps([n, elapsed, counts]).encode())
        finally:
            os._exit(0)
    os.close(wfd)
    data = b""
    while True:
        chunk = os.read(rfd, 65536)
        if not chunk:
            break
        data += chunk
    os.close(rfd)
    os.waitpid(pid, 0)
    if not data:
        return None
    n, elapsed, counts = json.loads(data)
    return n, elapsed, counts, None


# --------------------------------------------------------------------------
# The harness, driven like the Swift side
# --------------------------------------------------------------------------

class Worker(object):
    def __init__(self, source, cfg, profile=None):
        if profile:
            source = ("import cProfile, atexit, time\n_prof = cProfile.Profile(time.process_time)\n"
                      "atexit.register(lambda: _prof.dump_stats(%r))\n" % profile
                      + source.replace('if __name__ == "__main__":\n    main()',
                                       'if __name__ == "__main__":\n'
                                       '    _prof.enable()\n'
                                       '    try:\n        main()\n'
                                       '    finally:\n        _prof.disable()\n'))
        self.proc = subprocess.Popen(harness_source.worker_argv(sys.executable, source),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.fd = self.proc.stdout.fileno()
        self.buf = b""
        self.lines = []
        self.send(cfg)
        ready = self.recv()
        assert ready["type"] == "ready", ready

    def send(self, obj):
        self.proc.stdin.write((json.dumps(obj) + "\n").encode("utf-8"))
        self.proc.stdin.flush()

    def recv(self):
        while not self.lines:
            select.select([self.fd], [], [], 600)
            data = os.read(self.fd, 1 << 20)
            if not data:
                raise RuntimeError("worker closed stdout")
            self.buf += data
            *full, self.buf = self.buf.split(b"\n")
            self.lines.extend(full)
        return json.loads(self.lines.pop(0))

    def job(self, job_id, solution, tests):
        # As the Swift side does: a test the last job had (same id, same code) goes by id alone.
        held = getattr(self, "held", {})
        self.send({"type": "job", "job": job_id, "solution": solution,
                   "tests": [{"id": i + 1} if held.get(i + 1) == c else {"id": i + 1, "code": c}
                             for i, c in enumerate(tests)]})
        self.held = {i + 1: c for i, c in enumerate(tests)}
        results = {}
        while True:
            msg = self.recv()
            if msg["type"] == "done":
                break
            assert msg["type"] == "results" and msg["job"] == job_id, msg
            for record in msg["r"]:
                assert record[0] not in results, "duplicate result %r" % (record,)
                results[record[0]] = record[1]
        assert len(results) == len(tests), (len(results), len(tests))
        return [results[i + 1] for i in range(len(tests))]

    def close(self):
        self.send({"type": "exit"})
        self.proc.stdin.close()
        code = self.proc.wait(60)
        self.proc.stdout.close()
        return code


def run_harness(source, workload, mode, timeout, profile=None):
    cfg = {"type": "config", "timeout": timeout, "load_timeout": 5.0, "memory_mb": 1024,
           "cpu_s": 10, "max_processes": 64, "max_file_mb": 16, "max_open_files": 256,
           "output_limit": 2048, "test_isolation": mode, "tmp_root": None,
           # CPU-time limits with a wall-clock backstop, as `codedpo execute` runs by default
           # (ExecutionSettings.wallFactor)
           "wall_factor": 5}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    w = Worker(source, cfg, profile)
    try:
        w.job(0, "def f(*a):\n    return 1\n", ["assert f(1) == 1"] * 1)   # warm-up
        counts = dict.fromkeys(STATUSES, 0)
        n = 0
        job_id = 1
        start = time.perf_counter()
        for solutions, tests in workload:
            for solution in solutions:
                for status in w.job(job_id, solution, tests):
                    counts[status] += 1
                n += len(tests)
                job_id += 1
        elapsed = time.perf_counter() - start
        worker_cpu = _proc_cpu(w.proc.pid)
        worker_user, worker_sys = _proc_cpu(w.proc.pid, split=True)
    finally:
        w.close()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if os.environ.get("BENCH_VERBOSE"):
        print("  %s: worker itself %.0f us/test (user %.0f, system %.0f) of %.0f us/test cpu"
              % (mode, worker_cpu / n * 1e6, worker_user / n * 1e6, worker_sys / n * 1e6, cpu / n * 1e6))
    return n, elapsed, counts, cpu


def _proc_cpu(pid, split=False):
    """utime + stime of a live process, seconds (clock-tick resolution); split: both apart."""
    with open("/proc/%d/stat" % pid, "rb") as fh:
        fields = fh.read().rsplit(b")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    if split:
        return int(fields[11]) / tick, int(fields[12]) / tick
    return (int(fields[11]) + int(fields[12])) / tick


def fmt_counts(counts):
    return " ".join("%s=%d" % (k, v) for k, v in counts.items() if v)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--codet", metavar="DIR", help="use CodeT's HumanEval samples from DIR")
    ap.add_argument("--problems", type=int, default=10, help="codet: problems")
    ap.add_argument("--per-problem", type=int, default=30, help="codet: solutions per problem")
    ap.add_argument("--ntests", type=int, default=40, help="codet: tests per problem")
    ap.add_argument("--trivial", action="store_true",
                    help="synthetic workload of trivial asserts (assert f(3) == 4)")
    ap.add_argument("--modes", default="namespace,fork")
    ap.add_argument("--timeout", type=float, default=1.0)
    ap.add_argument("--jobs", type=int, default=50, help="synthetic: solutions")
    ap.add_argument("--tests", type=int, default=60, help="synthetic: tests per solution")
    ap.add_argument("--harness", default=None, help="harness source to benchmark (one joined file; "
                    "default: Sources/CodeDPOKit/Execution/Harness joined)")
    ap.add_argument("--no-limit", action="store_true", help="skip the in-process loops")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run every mode N times and keep the fastest (noisy machines)")
    ap.add_argument("--profile-worker", metavar="FILE",
                    help="cProfile the worker process (first mode only) into FILE")
    args = ap.parse_args()
    if args.harness:
        with open(args.harness, encoding="utf-8") as fh:
            source = fh.read()
    else:
        source = harness_source.joined()
    if args.codet:
        workload = codet(args.codet, args.problems, args.per_problem, args.ntests)
        name = "codet"
    elif args.trivial:
        workload = trivial(args.jobs, args.tests)
        name = "trivial"
    else:
        workload = synthetic(args.jobs, args.tests)
        name = "synthetic"
    jobs = sum(len(s) for s, _ in workload)
    total = sum(len(s) * len(t) for s, t in workload)
    print("workload %s: %d problems, %d jobs, %d tests; python %s; timeout %gs; load %s"
          % (name, len(workload), jobs, total, sys.executable, args.timeout,
             " ".join("%.2f" % x for x in os.getloadavg())))
    rows = []
    bare = pre = None
    def best(run):
        runs = [r for r in (run() for _ in range(max(1, args.repeat))) if r]
        return min(runs, key=lambda r: r[1]) if runs else None
    if not args.no_limit:
        bare = best(lambda: run_bare(workload, args.timeout, precompile=False))
        if bare:
            rows.append(("in-process exec(source)", bare))
        pre = best(lambda: run_bare(workload, args.timeout, precompile=True))
        if pre:
            rows.append(("in-process precompiled", pre))
    for i, mode in enumerate(m for m in args.modes.split(",") if m):
        profile = args.profile_worker if i == 0 else None
        rows.append(("harness " + mode, best(
            lambda: run_harness(source, workload, mode, args.timeout, profile))))
    limit = bare[0] / bare[1] if bare else None
    if not bare and not args.no_limit:
        print("the in-process loop died; no limit to compare with")
    for label, (n, elapsed, counts, cpu) in rows:
        rate = n / elapsed
        rel = " (%.2fx limit)" % (rate / limit) if limit and not label.startswith("in-process exec") else ""
        cpu_text = "cpu %7.1f us/test" % (cpu / n * 1e6) if cpu is not None else " " * 17
        print("%-26s %9.0f tests/s  %7.1f us/test  %s  %6.2fs  %s%s"
              % (label, rate, 1e6 / rate, cpu_text, elapsed, fmt_counts(counts), rel))
    print("load after: %s" % " ".join("%.2f" % x for x in os.getloadavg()))


if __name__ == "__main__":
    main()
