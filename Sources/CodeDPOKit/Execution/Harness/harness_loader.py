"""codedpo harness: the child side -- a loader process that loads one
solution and runs its tests (namespace or fork test isolation), the test
timer, and output capture.
"""

# <standalone> (dropped when the modules are joined into one source; see harness_worker.py)
from harness_common import *  # noqa: F401,F403
from harness_protocol import *  # noqa: F401,F403
from harness_compare import *  # noqa: F401,F403
from harness_guard import *  # noqa: F401,F403
from harness_timing import *  # noqa: F401,F403
# </standalone>


class _TailBuffer(io.TextIOBase):
    """sys.stdout/sys.stderr of a test: keeps only a bounded tail, so a test
    printing in a loop cannot exhaust memory or the pipe."""

    __slots__ = ("_limit", "_cap", "_parts", "_size")

    def __init__(self, limit):      # (IOBase has no __init__ to call)
        self._limit = max(0, limit)
        self._cap = 2 * self._limit + 4096
        self._parts = []
        self._size = 0

    def reset(self):
        """Empty, for the next test (gated tests only: they cannot keep a
        reference to sys.stdout, so one buffer serves a whole batch)."""
        if self._parts:
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
        if not self._parts:
            return ""
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


def _on_alarm(signum, frame):
    # Only interrupt while untrusted code runs; a late tick that lands in
    # harness bookkeeping after the test is ignored.
    st = _STATE
    if st.active:
        if st.ticking:
            # A periodic tick (see _Runner.start_batch): only a test past its
            # limit is interrupted -- again at every later tick if it
            # swallows the _Timeout.
            if signum == _SIGPROF:
                if _ptime() < st.cpu_deadline:
                    return
                st.fired = "cpu"
            else:
                if _perf() < st.wall_deadline:
                    return
                st.fired = "wall"
            raise _Timeout()
        st.fired = "cpu" if signum == _SIGPROF else "wall"
        raise _Timeout()


_CPU_ARMED = [False]   # the CPU timer is running (disarm stops it only then)


def _arm(seconds, wall=None):
    """Start the timers of a test (or a load): `seconds` of the process's CPU
    time (ITIMER_PROF: user + system, every thread) and a wall-clock backstop
    of `wall` seconds; with wall None, `seconds` of wall clock only (configs
    made before CPU-time limits).  Either raises _Timeout in the code, again
    every _TIMER_INTERVAL if it swallows one."""
    if _getsignal(_SIGALRM) is not _on_alarm:   # (the guard refuses to change it)
        _signal(_SIGALRM, _on_alarm)
    _STATE.fired = False
    _STATE.active = True
    if wall is None:
        _setitimer(_ITIMER_REAL, seconds, _TIMER_INTERVAL)
        return
    if _getsignal(_SIGPROF) is not _on_alarm:
        _signal(_SIGPROF, _on_alarm)
    _CPU_ARMED[0] = True
    _setitimer(_ITIMER_REAL, wall, _TIMER_INTERVAL)
    _setitimer(_ITIMER_PROF, seconds, _TIMER_INTERVAL)


def _disarm():
    _STATE.active = False
    _STATE.ticking = False
    if _CPU_ARMED[0]:
        _setitimer(_ITIMER_PROF, 0, 0)
        _CPU_ARMED[0] = False
    _setitimer(_ITIMER_REAL, 0, 0)


def _timeout_text(cfg, fired, seconds, wall):
    """Why a test (or load) of `seconds` CPU / `wall` seconds timed out."""
    if not cfg["cpu_clock"]:
        return "timed out after %gs" % seconds
    if fired == "wall":
        return "timed out after %gs wall clock (the backstop of the %gs CPU-time limit)" % (wall, seconds)
    return "timed out after %gs of CPU time" % seconds


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
        self.cfg = cfg
        self.timeout = cfg["timeout"]
        # CPU-time configs: `timeout` is CPU seconds, `wall` the wall-clock backstop.
        self.wall = cfg["wall_timeout"] if cfg["cpu_clock"] else None
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
        # Between the tests of a batch the timers are left running (the next
        # _arm resets them; a tick between tests finds _STATE.active False
        # and is ignored): two setitimer calls a test fewer.  The batch
        # disarms them at its end.
        self.keep_timers = False
        # Ticking (start_batch): no timer or clock call of its own per test.
        self.ticking = False
        self.out = None      # the one output buffer of a gated batch

    def start_batch(self, gated):
        """Start the timers once for a batch of tests (namespace mode,
        CPU-time limit, not a timing job): the CPU timer ticks every 25th of
        the limit of process CPU time and the wall-clock one every 25th of
        the backstop, and a tick interrupts the running test only once it is
        past its limit (_on_alarm).  Each test then costs one read of the
        process CPU clock instead of two setitimer, two clock reads and a
        getrusage: the CPU time of a test is measured from the end of the
        one before (the few microseconds of harness bookkeeping between
        them count; limits are tenths of seconds), and its max_rss_kb, the
        process's peak RSS so far in this job, is read once per batch of
        records when they are written (_Channel.flush).  A test stops at
        most one tick past its limit; its verdict is the measured CPU time
        against the limit, as before."""
        self.keep_timers = True
        if self.wall is None or _TIMING[0] is not None:
            return
        if _getsignal(_SIGALRM) is not _on_alarm:   # (the guard refuses to change it)
            _signal(_SIGALRM, _on_alarm)
        if _getsignal(_SIGPROF) is not _on_alarm:
            _signal(_SIGPROF, _on_alarm)
        self.ticking = True
        self.out = _TailBuffer(self.limit) if gated else None
        self.cpu_used = _ptime()
        # A 25th of the limit: a looping test overruns it by 4% at most (a handler call
        # every 4 ms of CPU time at 0.1 s, about the kernel's own CPU-timer tick).
        tick = max(0.001, min(self.timeout / 25.0, _TIMER_INTERVAL))
        wall_tick = max(0.001, min(self.wall / 25.0, _TIMER_INTERVAL))
        _STATE.fired = False
        _STATE.ticking = True
        _CPU_ARMED[0] = True
        _setitimer(_ITIMER_PROF, tick, tick)
        _setitimer(_ITIMER_REAL, wall_tick, wall_tick)

    def end_batch(self):
        _disarm()
        self.keep_timers = self.ticking = False
        self.out = None

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
        ticking = self.ticking
        out = self.out
        if out is None:
            out = _TailBuffer(self.limit)
        else:
            out.reset()
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
            if ticking:
                c0 = self.cpu_used
                st.cpu_deadline = c0 + self.timeout
                st.wall_deadline = _perf() + self.wall
                st.fired = False
                st.active = True
            else:
                _arm(self.timeout, self.wall)
            try:
                if code is None:
                    code = _compile_test(source)
                t0 = _perf()
                if not ticking:
                    c0 = _ptime()
                _exec(code, namespace)
                t1 = _perf()
                if not ticking:
                    c1 = _ptime()
                status = PASS
                if _TIMING[0] is not None:
                    # The run above was the warm-up; the measurement replaces its times.
                    t0, t1, c0, c1, timed = self.timed(code, namespace, _TIMING[0])
            except BaseException as exc:
                t1 = _perf()
                if not ticking:
                    c1 = _ptime()
                status, error = _classify(exc, self.timeout)
            finally:
                if self.keep_timers:
                    _STATE.active = False
                else:
                    _disarm()
        except BaseException as exc:
            # A timer tick or a MemoryError inside the bookkeeping above.
            if ticking:
                st.active = False      # (the batch's timers keep ticking)
            else:
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
        if ticking:
            c1 = _ptime()
        duration = (t1 - t0) if (t0 is not None and t1 is not None) else 0.0
        cpu = (c1 - c0) if (c0 is not None and c1 is not None) else 0.0
        if c1 is not None:
            self.cpu_used = c1
        if self.wall is None:
            over = duration > self.timeout
        else:
            over = cpu > self.timeout or duration > self.wall
        if st.fired or over:
            fired = st.fired or ("wall" if self.wall is not None and duration > self.wall else "cpu")
            status, error = TIMEOUT, _timeout_text(self.cfg, fired, self.timeout, self.wall)
        elif st.untrusted is not None:
            status, error = ERROR, "untrusted comparison: " + st.untrusted
        output = out.tail()
        if timed is not None and status == PASS:
            # Timing results travel in the output field (a test's own output is not kept
            # when timing): the loop count and the instructions of the whole loop.
            output = "codedpo-timing:" + json.dumps(timed)
        # (Ticking: the peak RSS is filled in when the batch is written.)
        return [None, status, duration, cpu, None if ticking else _getrusage(_RUSAGE_SELF).ru_maxrss,
                output, error]

    def timed(self, code, namespace, timing):
        return _timed_runs(code, namespace, timing)


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
    if cfg["test_isolation"] == "namespace":
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
    _set_load_cpu_limit(cfg, 0)
    _chdir(tmpdir)
    if os.environ.get("TMPDIR") != tmpdir:   # normally set by the worker before the fork
        _setenv("TMPDIR", tmpdir)
    global _JOB_DIR
    _JOB_DIR = tmpdir
    if "tempfile" in sys.modules:
        sys.modules["tempfile"].tempdir = tmpdir


def _set_load_cpu_limit(cfg, used):
    """RLIMIT_CPU for loading a solution: its budget on top of the `used`
    CPU seconds of this process.  Hard limit left alone in namespace mode so
    each test can get its own soft budget (see _Runner.run); the wall-clock
    kill is the real bound anyway."""
    if cfg["cpu_s"]:
        try:
            hard = _getrlimit(resource.RLIMIT_CPU)[1]
            _setrlimit(resource.RLIMIT_CPU, (used + int(cfg["cpu_s"]) + int(cfg["load_timeout"]) + 1, hard))
        except (ValueError, OSError):
            pass


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


def _load_solution(cfg, solution):
    """Exec the solution as module __codedpo_solution__; returns (its
    globals, None), or (None, the load_error message's fields)."""
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
    compiled = False
    try:
        _arm(cfg["load_timeout"], cfg["load_wall_timeout"] if cfg["cpu_clock"] else None)
        try:
            if code is None:
                code = _compile(solution, _SOLUTION_FILE, "exec", dont_inherit=True)
            compiled = True
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
        return None, {"error": error, "output": out.tail(), "compiled": compiled}
    return g, None


def _loader_main(cfg, tmpdir, work, wfd, job_fd, nonce, nproc_base, worker_pid, progress):
    """Body of the loader process.  Never returns.  work = ((source, code
    or None), tests, careful) for a loader forked for its work; None for a
    warm loader, which sets up, warms up and then reads its jobs from fd 4
    (see Worker.send_job).  A job the worker marked reusable ("again") is
    followed, when _ReuseWatch finds the process as it was before the
    loader's first job, by the next job on fd 4 (see harness_reuse)."""
    try:
        _setup_loader(cfg, tmpdir, wfd, job_fd, nproc_base, worker_pid)
        again = False
        if work is None:
            try:
                _warm_up(cfg)
            except BaseException:
                pass
            work, nonce, again = _receive_job()
        if _GUARD_ERROR is not None:
            # No verdict can be trusted without the guard: say so plainly.
            _Channel(_RESULT_FD, nonce).send(
                "load_error", {"error": "harness error: " + _GUARD_ERROR, "output": ""})
            _exit(_EXIT_INTERNAL)
        watch = _REUSE_WATCH[0] if again else None
        if watch is not None and not watch.snapshot():
            watch = None
        leftovers = _LeftoverCheck() if watch is not None else None
        while True:
            _LAST_TESTS[0] = work[1]
            _run_job(cfg, work, _Channel(_RESULT_FD, nonce), progress, watch, leftovers)
            if watch is None:
                _exit(0)
            work, nonce, again = _receive_job()
            if not again:
                watch = None
            # The CPU budget of the load, on top of what this process used so far.
            _set_load_cpu_limit(cfg, int(_ptime()))
    except BaseException:
        pass
    _exit(_EXIT_INTERNAL)


def _run_job(cfg, work, channel, progress, watch, leftovers):
    """Load the solution and run its tests; with `watch`, end with the reuse
    check and tell the worker its outcome in the closing message."""
    solution, tests, careful = work
    sol_globals, load_error = _load_solution(cfg, solution)
    if load_error is not None:
        # Reused only when none of the solution ran (it did not compile).
        compiled = load_error.pop("compiled")
        if watch is not None and not compiled and watch.clean(leftovers):
            load_error["again"] = 1
        else:
            watch = None
        channel.send("load_error", load_error)
        if watch is None:
            _exit(0)
        return
    runner = _Runner(cfg, sol_globals)
    channel.write('\n{"n":"%s","t":"loaded","cpu":%r}\n' % (channel.nonce, _ptime()))
    if cfg["test_isolation"] == "fork":
        _run_forked(cfg, runner, tests, channel, channel.nonce, progress)
        watch = None
    else:
        ran = _run_in_namespace(runner, tests, channel, progress, careful, gated=watch is not None)
        if ran is None:
            # A gated batch stopped at a timeout. The interrupted test may have left
            # the solution's objects half-updated, so the rest never runs on this
            # load of it: the worker hands the tests back (or forks a fresh
            # loader for them). This loader takes a next job -- which loads its
            # solution afresh, as after any job -- when the reuse check finds the
            # process as it was before its first job; else it ends.
            del runner, sol_globals
            again = watch.clean(leftovers)
            channel.flush(("restart", {"again": 1} if again else {}))
            if not again:
                _exit(0)
            return
        if not ran:
            watch = None
    fields = {}
    if watch is not None:
        del runner, sol_globals
        if watch.clean(leftovers):
            fields["again"] = 1
        else:
            watch = None
    channel.flush(("finished", fields))
    if watch is None:
        _exit(0)


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
    """A warm (or reused) loader's next job: a length-prefixed marshal message
    the worker wrote to fd 4 (trusted: only the worker holds the other end).
    Tests whose compiled form this loader inherited from the worker's cache
    come without it.  Returns (work, nonce, again); fd 4 stays open only when
    the job may be followed by another (again)."""
    header = _read_exactly(_JOB_FD, 8)
    data = _read_exactly(_JOB_FD, _unpack_length(header)[0])
    solution, sol_code, items, _TIMING[0], nonce, again = _marshal_loads(data)
    if not again:
        _close(_JOB_FD)
    work_solution = (solution, None if sol_code is None else _marshal_loads(sol_code))
    if items is None:
        # The same tests as this loader's last job (Worker.send_job): it has them, compiled.
        if _LAST_TESTS[0] is None:
            _exit(_EXIT_INTERNAL)
        return (work_solution, _LAST_TESTS[0], False), nonce, bool(again)
    codes = _CODE_CACHE.codes
    tests = []
    held = {}
    for test_id, source, code in items:
        if code is not None:
            code = held[source] = _marshal_loads(code)
        else:
            code = codes.get(source, (None, 0))[0]
            if code is None:
                code = _HELD.get(source)
                if code is not None:
                    held[source] = code
        tests.append((test_id, source, code))
    # A kept loader runs the next solution of the same problem: the tests it
    # was sent compiled come again, by source only (Worker.send_job).  (A test
    # missing here is compiled from its source, under its timer: slower, same verdict.)
    _HELD.clear()
    _HELD.update(held)
    return (work_solution, tests, False), nonce, bool(again)


def _read_exactly(fd, size):
    parts = []
    while size > 0:
        data = _read(fd, min(size, 1 << 20))
        if not data:
            _exit(0)          # the worker closed the pipe: no more jobs
        parts.append(data)
        size -= len(data)
    return b"".join(parts)


_unpack_length = struct.Struct("<Q").unpack
_pack_length = struct.Struct("<Q").pack
_REUSE_WATCH = [None]     # the worker's _ReuseWatch, inherited by every loader
_HELD = {}                # a loader's compiled tests from its last job, by source
_LAST_TESTS = [None]      # the tests of a loader's last job (the next may bring the same)


def _pipe_identity(fd):
    try:
        st = _fstat(fd)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _run_in_namespace(runner, tests, channel, progress, careful=False, gated=False):
    """careful: report every test at once and check after each one that fd 3
    is still the result pipe.  The worker asks for it after a loader lost
    its pipe with results in its batch: which test closed the pipe is not
    known then, so those tests run again, one report each.  gated: the
    worker's reuse gate passed the solution and every test (harness_reuse)."""
    leftovers = _LeftoverCheck()
    try:
        return _run_tests(runner, tests, channel, progress, careful, leftovers, gated)
    finally:
        leftovers.close()     # (a reused loader runs many jobs: no fd may pile up)


def _run_tests(runner, tests, channel, progress, careful, leftovers, gated=False):
    """Returns whether no test was interrupted or left something behind;
    None when a gated batch stopped at a test that timed out, with tests
    after it not run (its records written but for the closing message; see
    _run_job)."""
    pipe = _pipe_identity(_RESULT_FD) if careful else None
    # Gated code reaches no module that can start a thread or a process (no
    # threading, os, subprocess, ctypes): only importing a module that was not
    # imported yet could, and that shows in sys.modules.  Its tests skip the
    # leftover check (two syscalls, ~3.5 us a test) while sys.modules keeps its
    # size; every test after it grew gets the check.
    modules = sys.modules
    known = len(modules) if gated and not careful else -1
    last = len(tests) - 1
    interrupted = False
    runner.start_batch(gated and not careful)
    run = runner.run
    mark = progress.mark
    for index, test in enumerate(tests):
        source, code = test[1], test[2]
        mark(index, runner.cpu_used)
        record = run(source, True, code)
        record[0] = test[0]
        # Careful: a test that closed or replaced fd 3 ends the loader here,
        # so the crash is charged to it.
        if careful and _pipe_identity(_RESULT_FD) != pipe:
            _exit(_EXIT_PIPE_LOST)
        channel.add(record)
        # Interrupted tests may leave half-updated state, and threads or
        # processes a test started keep running: a fresh loader (the worker
        # kills everything of this one) gives later tests a clean start.
        if record[1] in (TIMEOUT, MEMORY) or (len(modules) != known and leftovers.dirty()):
            if index < last:
                if record[1] == TIMEOUT and known >= 0:
                    # Gated: the job's reuse check decides whether this loader
                    # may take the rest with the solution loaded afresh.
                    channel.seal()
                    runner.end_batch()
                    return None
                channel.flush(("restart", {}))
                _exit(0)
            interrupted = True
        elif careful or channel.due():
            channel.flush()
    channel.seal()     # (the reuse check that may follow resets the peak RSS)
    runner.end_batch()
    return not interrupted


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
                _arm(timeout, runner.wall)
                try:
                    code = _compile_test(source)
                finally:
                    _disarm()
            except BaseException as exc:
                status, error = _classify(exc, timeout)
                channel.add([test[0], status, 0.0, 0.0, 0, "", error])
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
        result, timed_out = _read_result(rfd, nonce, start + cfg["wall_timeout"] + _grace(timeout))
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
            record = [test[0], verdict[0], _perf() - start, usage.ru_utime + usage.ru_stime,
                      usage.ru_maxrss, "", verdict[1]]
        else:
            record = [result.get(k) for k in _RECORD_FIELDS]
            record[0] = test[0]
        # One test a message, as before batching: the worker's stray sweep
        # follows every fork-mode verdict.
        channel.add(record)
        channel.flush()


# <standalone>
__all__ = [_n for _n in list(globals()) if not _n.startswith("__")]
# </standalone>
