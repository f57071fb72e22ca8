"""Baselines for `codedpo execute`, measured on the same database in the same run.

Subcommands (each prints one JSON object):

  run-execute DB -- CMD...   runs `codedpo execute ...` and samples /proc every 50 ms for the
             CPU time of each process kind: the Swift process, its Python workers (their own
             time), and the loaders (what the workers reaped: loader processes and the code
             under test in them). Prints execute's JSON report plus "cpu_s".
  clean-ids DB CONFIG        solutions to leave out of the "clean" workload: any verdict other
             than pass/fail/error under CONFIG, or a load (module body) over 50 ms here.
  forkharness DB CONFIG      the harness CodeT, B4 and evalplus ship, written here: a pool of
             --jobs processes; per solution, fork one child that execs the solution, then runs
             each test with `exec` in a copy of the solution's globals under SIGALRM
             (setitimer, --timeout), statuses back over a pipe; a child that outlives its
             budget is killed. No other guard. Runs exactly the pairs CONFIG has verdicts for;
             reports verdicts/s and its agreement with execute's verdicts.
  inprocess DB CONFIG        every solution exec'd once in this process and its asserts run in
             a copy of its globals, no isolation, no timer, one core: the speed limit. Only
             solutions whose verdicts were all pass/fail/error (a loop would hang it).
  naive DB CONFIG            one fresh interpreter per (solution, test) pair on a random sample
             (--sample): a careful reference for verdicts (shares nothing).
"""
import argparse
import json
import marshal
import multiprocessing
import os
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- CPU accounting of a running execute -------------------------------------------------

def _stat(pid):
    """(ppid, utime+stime, cutime+cstime) in seconds, or None."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rfind(b")") + 2:].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK, (int(fields[13]) + int(fields[14])) / CLK_TCK


def run_execute(db, command):
    proc = subprocess.Popen(command, stdout=subprocess.PIPE)
    swift, workers, reaped = [0.0], {}, {}
    done = threading.Event()

    def sample():
        while not done.is_set():
            top = _stat(proc.pid)
            if top is not None:
                swift[0] = max(swift[0], top[1])
            for name in os.listdir("/proc"):
                if not name.isdigit():
                    continue
                st = _stat(int(name))
                if st is not None and st[0] == proc.pid:
                    workers[int(name)] = max(workers.get(int(name), 0.0), st[1])
                    reaped[int(name)] = max(reaped.get(int(name), 0.0), st[2])
            time.sleep(0.05)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = proc.stdout.read()
    # wait4 gives the CPU time of the whole tree: execute, and every worker and loader it and
    # they waited for. Sampling alone misses a long-lived (reused) loader reaped after the last
    # sample, so the loaders' share is the total less what the samples saw of the others.
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    report = json.loads(out)
    total = usage.ru_utime + usage.ru_stime
    own = sum(workers.values())
    report["cpu_s"] = {"swift": swift[0], "workers": own, "loaders": max(0.0, total - swift[0] - own)}
    return report


# --- the clean subset ---------------------------------------------------------------------

class Timeout(BaseException):
    pass


def _alarm(*_):
    raise Timeout()


def clean_ids(db, config):
    excluded = {r[0] for r in db.execute(
        "SELECT solution_id FROM executions WHERE config_id = ? GROUP BY solution_id "
        "HAVING sum(status NOT IN ('pass', 'fail', 'error')) > 0", (config,))}
    slow = set()
    signal.signal(signal.SIGALRM, _alarm)
    devnull = open(os.devnull, "w")
    saved = sys.stdout, sys.stderr
    rows = db.execute("SELECT DISTINCT s.id, s.code FROM solutions s JOIN executions e ON e.solution_id = s.id "
                      "WHERE e.config_id = ?", (config,)).fetchall()
    for solution_id, code in rows:
        if solution_id in excluded:
            continue
        sys.stdout = sys.stderr = devnull
        start = time.perf_counter()
        try:
            signal.setitimer(signal.ITIMER_REAL, 1.0)
            exec(compile(code, "<solution>", "exec"), {"__name__": "__codedpo_solution__"})
        except BaseException:
            pass
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            sys.stdout, sys.stderr = saved
        if time.perf_counter() - start > 0.05:
            slow.add(solution_id)
    return {"excluded": sorted(excluded | slow), "not_clean_verdicts": len(excluded), "slow_load": len(slow),
            "solutions": len(rows)}


# --- the fork-per-solution SIGALRM harness (CodeT-style) ---------------------------------

_CODES = {}
_TIMEOUT = [0.1]


def _pool_init(timeout):
    _TIMEOUT[0] = timeout
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 1)
    os.dup2(null, 2)
    sys.stdout = sys.stderr = open(os.devnull, "w")


def _run_solution(item):
    """Statuses of one solution's tests: one forked child runs them all."""
    solution, tests = item
    timeout = _TIMEOUT[0]
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        statuses = []
        try:
            signal.signal(signal.SIGALRM, _alarm)
            namespace = {"__name__": "__codedpo_solution__"}
            try:
                signal.setitimer(signal.ITIMER_REAL, 5.0)
                exec(solution, namespace)
                signal.setitimer(signal.ITIMER_REAL, 0)
            except BaseException:
                signal.setitimer(signal.ITIMER_REAL, 0)
                statuses = ["load_error"] * len(tests)
            for test in tests[len(statuses):]:
                code = _CODES.get(test)
                if code is None:
                    try:
                        code = _CODES[test] = compile(test, "<test>", "exec")
                    except BaseException:
                        statuses.append("error")
                        continue
                try:
                    signal.setitimer(signal.ITIMER_REAL, timeout)
                    exec(code, dict(namespace))
                    signal.setitimer(signal.ITIMER_REAL, 0)
                    statuses.append("pass")
                except Timeout:
                    statuses.append("timeout")
                except AssertionError:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                    statuses.append("fail")
                except MemoryError:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                    statuses.append("memory")
                except BaseException:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                    statuses.append("error")
            data = marshal.dumps(statuses)
            while data:
                data = data[os.write(w, data):]
        finally:
            os._exit(0)
    os.close(w)
    deadline = time.monotonic() + 5.0 + len(tests) * timeout + 1.0
    parts = []
    os.set_blocking(r, False)
    import select
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([r], [], [], left)[0]:
            break
        data = os.read(r, 1 << 16)
        if not data:
            break
        parts.append(data)
    os.close(r)
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    os.waitpid(pid, 0)
    try:
        statuses = marshal.loads(b"".join(parts))
    except Exception:
        statuses = []
    return statuses + ["timeout"] * (len(tests) - len(statuses))


def _pairs(db, config):
    """(solution_id, solution code, [(test id, test code, execute's status)]) in execute's order."""
    by_solution = {}
    for solution_id, test_id, status, code in db.execute(
            "SELECT e.solution_id, e.test_id, e.status, t.code FROM executions e JOIN tests t ON t.id = e.test_id "
            "WHERE e.config_id = ? ORDER BY e.solution_id, e.test_id", (config,)):
        by_solution.setdefault(solution_id, []).append((test_id, code, status))
    code_of = dict(db.execute("SELECT id, code FROM solutions"))
    return [(s, code_of[s], tests) for s, tests in by_solution.items()]


def forkharness(db, config, jobs, timeout, per_job=256):
    work = _pairs(db, config)
    items, expected = [], []
    for _solution_id, code, tests in work:
        for start in range(0, len(tests), per_job):   # one fork per solution, as CodeT (execute's job size)
            chunk = tests[start:start + per_job]
            items.append((code, [t[1] for t in chunk]))
            expected.append([t[2] for t in chunk])
    context = multiprocessing.get_context("fork")
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    pool = context.Pool(jobs, initializer=_pool_init, initargs=(timeout,))
    results = pool.map(_run_solution, items, chunksize=4)
    seconds = time.perf_counter() - start
    pool.close()
    pool.join()      # (reaped: the pool processes' CPU, and their children's, counts below)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    verdicts = sum(len(r) for r in results)
    agree = agree_pass = 0
    differ = {}
    for got, want in zip(results, expected):
        for a, b in zip(got, want):
            agree += a == b
            agree_pass += (a == "pass") == (b == "pass")
            if a != b:
                differ["%s->%s" % (b, a)] = differ.get("%s->%s" % (b, a), 0) + 1
    return {"verdicts": verdicts, "seconds": seconds, "verdicts_per_second": verdicts / seconds,
            "agree": agree, "agree_pass": agree_pass, "differences": differ, "cpu_s": cpu}


# --- the in-process limit and the naive reference -----------------------------------------

def inprocess(db, config):
    work = [w for w in _pairs(db, config) if all(t[2] in ("pass", "fail", "error") for t in w[2])]
    compiled = {}
    devnull = open(os.devnull, "w")
    saved = sys.stdout, sys.stderr
    asserts = 0
    start = time.perf_counter()
    sys.stdout = sys.stderr = devnull
    try:
        for _solution_id, code, tests in work:
            namespace = {"__name__": "__codedpo_solution__"}
            try:
                exec(compile(code, "<solution>", "exec"), namespace)
            except BaseException:
                pass
            for _test_id, test, _status in tests:
                compiled_test = compiled.get(test)
                if compiled_test is None:
                    compiled_test = compiled[test] = compile(test, "<test>", "exec")
                try:
                    exec(compiled_test, dict(namespace))
                except BaseException:
                    pass
                asserts += 1
    finally:
        sys.stdout, sys.stderr = saved
    seconds = time.perf_counter() - start
    return {"solutions": len(work), "asserts": asserts, "seconds": seconds, "verdicts_per_second": asserts / seconds}


CHILD = r'''
import signal, sys
status_path, timeout = sys.argv[1], float(sys.argv[2])
solution, test = sys.stdin.read().split("\0", 1)
def write(status):
    with open(status_path, "w") as f:
        f.write(status)
class Timeout(BaseException):
    pass
def alarm(*_):
    raise Timeout()
signal.signal(signal.SIGALRM, alarm)
namespace = {"__name__": "__codedpo_solution__"}
try:
    exec(compile(solution, "<solution>", "exec"), namespace)
except BaseException:
    write("load_error")
    sys.exit(0)
signal.setitimer(signal.ITIMER_REAL, timeout)
try:
    exec(compile(test, "<test>", "exec"), dict(namespace))
    signal.setitimer(signal.ITIMER_REAL, 0)
    write("pass")
except Timeout:
    write("timeout")
except AssertionError:
    signal.setitimer(signal.ITIMER_REAL, 0)
    write("fail")
except MemoryError:
    write("memory")
except BaseException:
    signal.setitimer(signal.ITIMER_REAL, 0)
    write("error")
'''


def naive(db, config, sample, seed, timeout):
    rows = db.execute(
        "SELECT e.solution_id, e.test_id, e.status, s.code, t.code FROM executions e "
        "JOIN solutions s ON s.id = e.solution_id JOIN tests t ON t.id = e.test_id WHERE e.config_id = ?",
        (config,)).fetchall()
    random.Random(seed).shuffle(rows)
    rows = rows[:sample]
    agree, disagreements = 0, []
    with tempfile.TemporaryDirectory() as folder:
        status_path = os.path.join(folder, "status")
        start = time.perf_counter()
        for solution_id, test_id, engine, solution, test in rows:
            if os.path.exists(status_path):
                os.remove(status_path)
            try:
                subprocess.run([sys.executable, "-I", "-S", "-c", CHILD, status_path, str(timeout)],
                               input=(solution + "\0" + test).encode(), cwd=folder, timeout=timeout + 5,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                reference = open(status_path).read() if os.path.exists(status_path) else "crash"
            except subprocess.TimeoutExpired:
                reference = "timeout"
            if reference == engine:
                agree += 1
            else:
                disagreements.append({"solution": solution_id, "test": test_id, "engine": engine, "reference": reference})
        seconds = time.perf_counter() - start
    return {"pairs": len(rows), "seconds": seconds, "verdicts_per_second": len(rows) / seconds,
            "agree": agree, "disagreements": disagreements[:20]}


def diff(quiet_db, loaded_db):
    """Verdicts of two databases made from the same import, pair by pair."""
    query = "SELECT solution_id, test_id, status FROM executions"
    quiet = {(s, t): v for s, t, v in sqlite3.connect(quiet_db).execute(query)}
    loaded = {(s, t): v for s, t, v in sqlite3.connect(loaded_db).execute(query)}
    changed = [(k, v, loaded.get(k)) for k, v in quiet.items() if loaded.get(k) != v]
    counts = {}
    for _k, a, b in changed:
        counts["%s->%s" % (a, b)] = counts.get("%s->%s" % (a, b), 0) + 1
    return {"compared": len(quiet), "changed": len(changed), "examples": counts}


def main():
    if sys.argv[1:2] == ["diff"]:
        print(json.dumps(diff(sys.argv[2], sys.argv[3])))
        return
    if sys.argv[1:2] == ["run-execute"]:
        print(json.dumps(run_execute(sys.argv[2], sys.argv[sys.argv.index("--") + 1:])))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["run-execute", "clean-ids", "forkharness", "inprocess", "naive"])
    parser.add_argument("db")
    parser.add_argument("config", nargs="?", type=int)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=0.1)
    args = parser.parse_args()
    db = sqlite3.connect(args.db)
    if args.what == "clean-ids":
        result = clean_ids(db, args.config)
    elif args.what == "forkharness":
        result = forkharness(db, args.config, args.jobs, args.timeout)
    elif args.what == "inprocess":
        result = inprocess(db, args.config)
    else:
        result = naive(db, args.config, args.sample, args.seed, args.timeout)
    print(json.dumps(result))


main()
