"""Baselines for `codedpo execute`, measured on the same database in the same run.

  naive      one fresh interpreter per (solution, test) pair, on a random sample of pairs:
             what a throw-away script does. Also the careful reference for verdicts: a new
             process per pair shares nothing, and the status is reported through a file the
             test body writes only after it returned.
  inprocess  every solution exec'd once in this process and its asserts run in a copy of its
             globals, no isolation: the speed limit, measured two ways:
             - "clean": only solutions whose verdicts were all pass/fail/error (no loops);
             - "timed": the same asserts the engine ran, each under the same per-test timeout
               (setitimer), leaving out only what would kill or hang this very process:
               solutions with a crash or memory verdict, or a loop that ignored its timer.
               Looping tests cost their timeout here exactly as in the engine.

Usage: python3 execute_baselines.py DB CONFIG_ID [--sample 300] [--seed 1] [--timeout 0.1]
Prints one JSON object.
"""
import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

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


class Timeout(BaseException):
    pass


def _alarm(*_):
    raise Timeout()


def inprocess(db, config, timeout, clean_only):
    if clean_only:
        having = "sum(status NOT IN ('pass', 'fail', 'error')) = 0"
    else:
        having = ("sum(status IN ('crash', 'memory')) = 0 AND "
                  "sum(status = 'timeout' AND error LIKE '%killed%') = 0 AND "
                  "sum(status = 'load_error' AND (error LIKE '%exited%' OR error LIKE '%timed out%' OR error LIKE '%signal%')) = 0")
    chosen = [r[0] for r in db.execute(
        f"SELECT solution_id FROM executions WHERE config_id = ? GROUP BY solution_id HAVING {having}", (config,))]
    tests_of = {}
    for solution_id, test_code in db.execute(
            "SELECT e.solution_id, t.code FROM executions e JOIN tests t ON t.id = e.test_id WHERE e.config_id = ? ORDER BY e.test_id",
            (config,)):
        tests_of.setdefault(solution_id, []).append(test_code)
    code_of = dict(db.execute("SELECT id, code FROM solutions"))
    compiled_tests = {}
    asserts = 0
    devnull = open(os.devnull, "w")
    saved = sys.stdout, sys.stderr
    signal.signal(signal.SIGALRM, _alarm)
    start = time.perf_counter()
    sys.stdout = sys.stderr = devnull
    try:
        for solution_id in chosen:
            namespace = {"__name__": "__codedpo_solution__"}
            try:
                signal.setitimer(signal.ITIMER_REAL, 5.0)
                exec(compile(code_of[solution_id], "<solution>", "exec"), namespace)
            except BaseException:
                pass
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            for test in tests_of.get(solution_id, []):
                code = compiled_tests.get(test)
                if code is None:
                    code = compiled_tests[test] = compile(test, "<test>", "exec")
                try:
                    signal.setitimer(signal.ITIMER_REAL, timeout)
                    exec(code, dict(namespace))
                except BaseException:
                    pass
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                asserts += 1
    finally:
        sys.stdout, sys.stderr = saved
    seconds = time.perf_counter() - start
    return {"solutions": len(chosen), "asserts": asserts, "seconds": seconds, "verdicts_per_second": asserts / seconds}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("config", type=int)
    parser.add_argument("--sample", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=0.1)
    args = parser.parse_args()
    db = sqlite3.connect(args.db)
    print(json.dumps({"naive": naive(db, args.config, args.sample, args.seed, args.timeout),
                      "inprocess_clean": inprocess(db, args.config, args.timeout, True),
                      "inprocess_timed": inprocess(db, args.config, args.timeout, False)}))


main()
