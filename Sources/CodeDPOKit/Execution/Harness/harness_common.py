"""codedpo execution harness: a long-lived worker that runs untrusted tests.

The Swift side starts N workers as ``python3 -I -S -u -c <this source>`` and
talks to each over JSON lines: requests on the worker's stdin, replies on its
stdout, diagnostics on its stderr.  The worker itself never runs untrusted
code; it forks child processes that do.  (Started as `-c <this source>`, it
re-executes the same interpreter, same pid and fds, on a small bootstrap
that compiles this source with compile(): run as `-c`, the syntax tree of
the whole file would stay allocated, ~4 MB that every fork and exit of a
loader pays for.  Loaded with compile() already -- as WorkerProcess.swift
does, from a file -- it has nothing to do.)

NOT A SECURITY BOUNDARY.  Everything below raises the bar against *accidents*
of model-generated code (infinite loops, runaway memory, stray processes,
sys.exit, fake output, always-equal objects).  Code that runs in a child can
still use ctypes, read the harness's memory, find the per-loader nonce, open
/proc/<worker>/fd when running as root, kill the worker, and so on.  Run this
inside a container/VM/unprivileged user if the code is actually hostile.

How a job runs
--------------
* The worker is a child subreaper (prctl PR_SET_CHILD_SUBREAPER) so every
  process the untrusted code spawns stays in the worker's process tree even
  after its parent dies.  It is also made non-dumpable so that, for a
  non-root user, children cannot open /proc/<worker>/fd/{0,1} to reach the
  Swift pipes.
* The guard: destructive calls are disabled the way human-eval's
  reliability_guard does (os.kill/killpg/system/fork/exec*/remove/unlink/
  rename/chmod/chdir/..., shutil.rmtree/move, subprocess.Popen, sockets,
  signal.alarm/setitimer, SIGALRM handlers), and the exit()/quit() builtins
  that `python -S` lacks are added.  It is installed once, in the worker
  (which from then on uses only private references to what it needs), so
  every loader inherits it for free.  subprocess, shutil and tempfile are
  not imported by the worker (they pull in threading and random, whose
  at-fork hooks would cost every fork ~0.6 ms): a meta-path hook disarms
  them when a test imports them (tempfile gets the job directory).
  resource.setrlimit/prlimit keep working but tell the runner to reset the
  per-test CPU limit.
* Per job: a fresh temporary directory (under tmp_root if given) and a
  *loader*: new process group, PDEATHSIG=SIGKILL, fds 0/1/2 on /dev/null,
  every other fd closed except a private result pipe (fd 3), rlimits (AS
  from memory_mb, CPU from cpu_s, NPROC from max_processes -- counted on top
  of the user's current task count because the kernel counts per user; root
  ignores it --, FSIZE, NOFILE, CORE=0), cwd = the temp dir, TMPDIR = the
  temp dir.  The loader of the next job is forked ahead of time ("warm"),
  while the current job runs: it sets itself up, runs the harness's own
  per-job code once on a dummy test (so the copy-on-write faults of a fresh
  fork, ~4 us a page here, are paid off the critical path), then waits on
  fd 4 for its job (marshal from the worker: the solution and the tests'
  sources, plus compiled tests it did not inherit).  A warm loader has run
  no untrusted code; it is the one child the worker keeps between jobs,
  and is killed (its directory removed) at exit.  Loaders forked later in
  a job (after a crash, timeout or restart) get their work directly.
* Tests are compiled (AST rewrite, see below) once per distinct source, in
  the worker, and cached there (LRU, 4096 entries, sources up to 32 KB) so
  every loader inherits them; the same tests come with every solution of a
  problem.  Compiling runs nothing.  A source that does not compile, warns
  while compiling, or is longer is compiled by the loader under the test's
  timer as before, so its error or warning lands in the test's own result.
* The loader execs the solution into a fresh module "__codedpo_solution__"
  (so ``if __name__ == "__main__":`` blocks do not run) under load_timeout
  and reports "loaded".  Any failure there (exception, SystemExit, os._exit,
  timeout, death) gives every test of the job load_error.
* isolation "namespace" (default, fast): tests run one after another in the
  loader.  Each test runs in a shallow copy of the solution's globals; after
  it the solution's globals dict and builtins are restored to what they
  were once the solution loaded, so rebinding a global or patching builtins
  does not leak into the next test (builtins are only rewritten when the
  dict's version tag shows a change).  In-place
  mutation of a module-level mutable object (a list, a cache, a patched
  attribute of an imported module) is NOT undone.  After a test that timed
  out, ran out of memory, or left threads or child processes behind, the
  loader asks to be replaced and the worker forks a fresh one (re-loading
  the solution) for the remaining tests, so later tests do not inherit
  half-done state.  Leftovers are checked with one fstat (thread count)
  and one waitpid (the loader is a subreaper, so any process a test
  started is, or becomes, its child); tests of a job the reuse gate passed
  skip them while sys.modules keeps its size (harness_loader._run_tests).
* Results are batched in namespace mode: the loader keeps up to 64 records
  (or 5 ms, or 64 KB of output) and writes them as one "results" line, and
  always before it exits or asks for a restart.  A record is only made
  after the harness saw the test body return or judged the test, so a
  batch changes when a verdict travels, never what it is.  Before each test
  the loader writes the test's index, start time and CPU time into memory
  shared with the worker; when a loader dies, hangs or loses its pipe, the
  worker charges the test that was running, and runs the tests before it
  whose results died in the batch again in a fresh loader (exactly one
  result per test either way).  A loader that lost or had its pipe
  replaced with results kept cannot tell which test did it: the worker then
  runs those tests again in a "careful" loader that reports each test at
  once and checks fd 3 after each.  Fork mode reports every test at once.
* isolation "fork": the loader compiles each test, then forks a fresh
  grandchild for it (own process group, killed with its group afterwards),
  so nothing a test does survives it (a few ms per test).  A grandchild
  that dies or hangs is judged by the loader; no reload needed.
* Timeouts: signal.setitimer(ITIMER_REAL, timeout, 0.05) raises a
  harness-private BaseException in the test.  Code that swallows it or sits
  in one long C call is killed: the loader (fork mode) or the worker
  (namespace mode) SIGKILLs the process group after timeout+grace
  (grace = max(0.5, timeout)).  In namespace mode the worker then forks a
  new loader for the remaining tests; the same happens after a crash.
* Output: sys.stdout/sys.stderr of a test are one bounded in-memory buffer;
  the tail (output_limit bytes) is reported.  Output written to fds 1/2
  directly goes to /dev/null.
* Untrusted comparisons: each test's AST is rewritten so that every Compare
  inside an assert calls a harness function.  It evaluates the comparison
  only when both operands are trusted: builtin scalars and containers
  (checked recursively, capped at 1000 levels / 5e6 items), or objects
  whose class (and MRO) was not defined by the solution/test code.  A value
  whose class the solution defined and that overrides a comparison-relevant
  dunder (__eq__, __ne__, __lt__, ..., __contains__, __iter__, __getitem__)
  makes the test "error" with "untrusted comparison: X defines its own
  __eq__" -- this includes subclasses of builtins and dataclasses.  The
  comparison result must be a real bool (or a bool-convertible value of a
  trusted type).  `is` / `is not` are always evaluated.  Comparisons made
  outside asserts, or inside library helpers (unittest's assertEqual), are
  not covered.
* Trust: pass is only recorded when the harness saw the test body return.
  Child -> worker messages travel over the private pipe as JSON lines that
  carry a per-loader random nonce; lines without it are ignored, and any
  out-of-sequence message from the right sender turns the current test into
  crash.  The shared progress record only ever decides which test a crash
  or kill is charged to, never a pass.  Exit codes and printed text never produce pass.  BaseException in
  a test (SystemExit, KeyboardInterrupt, ...) is "error"; os._exit or a
  signal in a test is "crash" (namespace mode re-forks for the rest).
* No process is left behind: after each result message the worker kills
  any child of its own that is not the running or the warm loader (a
  detached process reparented to the subreaper) with its subtree; after
  each loader ends it SIGKILLs the loader's process group, then every
  remaining descendant of the worker but the warm loader (found via
  /proc/self/task/*/children and a /proc/*/stat ppid walk), reaps them all;
  after the job it removes the temp dir (fixing permissions first).  A machine-side failure (no temp dir, fork fails) answers the
  job's remaining tests with crash and an error starting "harness error".
* Timing: duration is time.perf_counter around the test body, cpu the
  time.process_time delta, max_rss_kb getrusage(RUSAGE_SELF).ru_maxrss of
  the process that ran the test (peak of the whole loader in namespace mode).
  Results judged by the worker/loader after a kill use wall time since the
  test started and the dead process's rusage.
* Where the time goes (2 cores, Python 3.11, this VM): a fork of the worker
  ~0.3-1 ms, copy-on-write faults ~4 us a page, a trivial assert ~15-25 us
  of harness work in the loader plus ~5-10 us of relaying in the worker.
  Tests/harness/bench_harness.py measures the whole path.
"""

import _operator
import _signal as _signal_module
import ast
import builtins
import collections
import gc
import io
import itertools
import json
import marshal
import math
import mmap
import operator
import os
import reprlib
import resource
import select
import signal
import struct
import sys
import time
import warnings

try:
    import ctypes
except Exception:  # a Python without _ctypes still works, minus prctl
    ctypes = None
# Imported here, once, so the guard can disarm them without paying the import
# per loader.  subprocess, shutil and tempfile are NOT imported: they pull in
# threading and random, whose at-fork hooks would run in every loader (~0.6 ms
# a fork); the guard disarms them when a test imports them (_GuardImports).
try:
    import socket
    import _socket
except Exception:
    socket = _socket = None
try:
    import _posixsubprocess
except Exception:
    _posixsubprocess = None
try:
    import posix
except Exception:
    posix = None
# Modules that solutions import all the time (every HumanEval prompt starts
# with `from typing import ...`) are imported once here, so a loader finds
# them in sys.modules instead of paying the import (typing alone: ~5 ms) for
# every solution.  Each loader still gets its own copy-on-write copy of them;
# random-based state is reseeded in every child by random's at-fork hook.
# Not fractions: no CodeT solution imports it, and it brings decimal and numbers,
# ~110 more dicts for every reuse check to read (~3 us a test on CodeT).  A
# solution that imports it gets a fresh loader (it is off the reuse list).
for _name in ("typing", "string", "heapq", "copy", "datetime"):
    try:
        __import__(_name)
    except Exception:
        pass
del _name

# Untrusted code may rebind names in `builtins` (builtins.len = ...).  Harness
# functions resolve globals before builtins, so shadowing every builtin here
# keeps the harness on the original objects whatever a test does.
globals().update({k: v for k, v in vars(builtins).items() if not k.startswith("__")})

# Private references to everything the child side needs: the guard replaces
# the public module attributes, and untrusted code may patch the rest.
_write = os.write
_read = os.read
_close = os.close
_exit = os._exit
_fork = os.fork
_kill = os.kill
_killpg = os.killpg
_pipe = os.pipe
_wait4 = os.wait4
_waitid = os.waitid
_setpgid = os.setpgid
_listdir = os.listdir
_dup2 = os.dup2
_dup = os.dup
_os_open = os.open
_getpid = os.getpid
_getppid = os.getppid
_select = select.select
_setitimer = signal.setitimer
_signal = _signal_module.signal   # the C function: signal.signal's enum wrapper costs ~8 us
_SIG_DFL = _signal_module.SIG_DFL
_signal_py = signal.signal    # the wrapper, for what untrusted code calls
_SIGALRM = int(signal.SIGALRM)
_SIGPROF = int(signal.SIGPROF)
_ITIMER_REAL = signal.ITIMER_REAL
_ITIMER_PROF = signal.ITIMER_PROF
_perf = time.perf_counter
_sleep = time.sleep
_ptime = time.process_time
# Timing uses the thread's CPU clock: with RLIMIT_CPU set (every loader sets it) some kernels
# advance the process clock in 4 ms ticks, which makes millisecond measurements read 0 or 4 ms.
_ttime = time.thread_time
_getrusage = resource.getrusage
_setrlimit = resource.setrlimit
_getrlimit = resource.getrlimit
_getrecursionlimit = sys.getrecursionlimit
_setrecursionlimit = sys.setrecursionlimit
_settrace = sys.settrace
_setprofile = sys.setprofile
_WIFSIGNALED = os.WIFSIGNALED
_WTERMSIG = os.WTERMSIG
_WIFEXITED = os.WIFEXITED
_WEXITSTATUS = os.WEXITSTATUS
_json_encode = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode
_json_decode = json.JSONDecoder().decode
_marshal_loads = marshal.loads
_marshal_dumps = marshal.dumps
_encode_ascii = json.encoder.encode_basestring_ascii   # a JSON string, "..." included
_compare_digest = _operator._compare_digest   # what secrets/hmac use, minus OpenSSL
_urandom = os.urandom
_fstat = os.fstat
_pread = os.pread
_waitpid = os.waitpid
_chdir = os.chdir
_closerange = os.closerange
_putenv = os.putenv
_chmod = os.chmod
_fchmod = os.fchmod
_rmdir = os.rmdir
_unlink = os.unlink
_mkdir = os.mkdir
_scandir = os.scandir
_RUSAGE_SELF = resource.RUSAGE_SELF
_RLIMIT_CPU = resource.RLIMIT_CPU
_getsignal = _signal_module.getsignal
_pack_into = struct.Struct("<qdd").pack_into
_unpack_from = struct.Struct("<qdd").unpack_from
_exec = exec
_compile = compile
_gc_freeze = getattr(__import__("gc"), "freeze", None)
# Read class internals through `type`'s own descriptors: a metaclass defined
# by the solution could shadow __mro__/__dict__/__name__ on its classes.
_mro_of = type.__dict__["__mro__"].__get__
_dict_of = type.__dict__["__dict__"].__get__
_name_of = type.__dict__["__name__"].__get__

# Syntax-tree nodes with no expression or statement inside (contexts, operators,
# constants): the assert rewrite and the reuse gate never look into them.
_AST_LEAVES = (ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop, ast.Constant)

PASS, FAIL, ERROR, TIMEOUT, MEMORY, CRASH, LOAD_ERROR = (
    "pass", "fail", "error", "timeout", "memory", "crash", "load_error")
_CHILD_STATUSES = frozenset((PASS, FAIL, ERROR, TIMEOUT, MEMORY, CRASH))

SOLUTION_MODULE = "__codedpo_solution__"
_SOLUTION_FILE = "<solution>"
_TEST_FILE = "<test>"
_RESULT_FD = 3               # the loader's private pipe to the worker
_JOB_FD = 4                  # a warm loader's pipe from the worker (its job)
_TIMER_INTERVAL = 0.05       # re-fire so code that swallows one interrupt gets another
_EXIT_PIPE_LOST = 75         # loader exit status when it cannot report any more
_EXIT_INTERNAL = 70          # loader exit status on a harness bug
_MAX_ERROR_CHARS = 1000
_MAX_LINE_BYTES = 16 << 20   # longer pipe lines are garbage by definition
_BATCH_MAX = 128             # results a loader keeps before writing them (32: ~8% more CPU a test than 64)
_BATCH_CHARS = 1 << 16       # ... or output/error characters
_BATCH_WINDOW = 0.005        # ... or seconds since the first kept result

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36


def _grace(seconds):
    return max(0.5, seconds)


def _load_prctl():
    try:
        func = ctypes.CDLL(None, use_errno=True).prctl
        func.argtypes = (ctypes.c_int,) + (ctypes.c_ulong,) * 4
        func.restype = ctypes.c_int
        return func
    except Exception:
        return None


# Resolved once in the worker; children inherit it (and untrusted code
# cannot swap the function out from under the harness).
_libc_prctl = _load_prctl() if ctypes is not None else None


def _malloc_trim():
    """Give the freed heap back to the system (glibc); no-op elsewhere."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except Exception:
        pass


def _prctl(option, value):
    """Call libc prctl; False when ctypes or the call is unavailable."""
    if _libc_prctl is None:
        return False
    try:
        return _libc_prctl(option, value, 0, 0, 0) == 0
    except Exception:
        return False


def _clean_text(text):
    """Make a str safe for strict JSON decoders (no lone surrogates)."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _tail_bytes(text, limit):
    """Last `limit` UTF-8 bytes of text, cut on a character boundary."""
    if limit <= 0:
        return ""
    data = text.encode("utf-8", "replace")
    if len(data) <= limit:
        return data.decode("utf-8")
    return data[-limit:].decode("utf-8", "ignore")


def _short(text, limit=_MAX_ERROR_CHARS):
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- what every side of the harness shares ---------------------------------

class _Timeout(BaseException):
    """Raised by the harness timer; a BaseException so `except Exception`
    in untrusted code does not swallow it."""


class _Untrusted(BaseException):
    """A comparison the harness refuses to evaluate."""


class _State(object):
    """Per-process mutable state of the running test.  fired: which timer
    interrupted it ("cpu" or "wall"), else False.  ticking: the timers tick
    periodically for a whole batch of tests (see _Runner.start_batch), and a
    tick interrupts the test only past cpu_deadline (process CPU seconds) or
    wall_deadline (perf_counter seconds)."""
    __slots__ = ("active", "fired", "untrusted", "last_fail", "ticking", "cpu_deadline",
                 "wall_deadline")

    def __init__(self):
        self.active = False
        self.fired = False
        self.untrusted = None
        self.last_fail = None
        self.ticking = False
        self.cpu_deadline = self.wall_deadline = 0.0


_STATE = _State()


# <standalone>
__all__ = [_n for _n in list(globals()) if not _n.startswith("__")]
# </standalone>
