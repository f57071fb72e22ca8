"""codedpo harness: timing jobs (codedpo efficiency): a test body run in a
loop and measured in CPU time, and optionally in hardware instructions.
"""

# <standalone> (dropped when the modules are joined into one source; see harness_worker.py)
from harness_common import *  # noqa: F401,F403
from harness_protocol import *  # noqa: F401,F403
# </standalone>


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


# Instruction counts under valgrind (the counter where perf_event_open is refused): the whole
# worker runs under `valgrind --tool=callgrind --collect-atstart=no
# --toggle-collect=closure_fcn --dump-after=closure_fcn`. closure_fcn is the C function of
# _ctypes through which a ctypes callback enters Python; the harness calls a test body
# through one (below) and nothing else of the harness does, so callgrind counts exactly the
# test body (plus a constant entry cost, measured on an empty body and subtracted) and writes
# one dump file per body as it returns. Interpreter start-up and the solution's load are
# never counted. The dump is read back by the loader itself: no pipe back from valgrind.
_CALLGRIND_HOOK = "closure_fcn"
_unlink_dump = os.unlink
_gc_isenabled, _gc_disable, _gc_enable = gc.isenabled, gc.disable, gc.enable


class _CallgrindCounter(object):
    def __init__(self, directory):
        self.directory = directory
        self.prefix = "cg.%d." % _getpid()
        self.body = ctypes.CFUNCTYPE(None)(self._enter)
        self.thunk = None
        self.error = None
        self.entry = None
        # Dumps this process wrote: callgrind numbers them 1, 2, ... per process (a fork
        # starts again at 1), so the next one's name is known without listing the folder.
        self.dumps = 0

    def _enter(self):
        # An exception raised in a ctypes callback is printed and dropped: keep it for count().
        try:
            self.thunk()
        except BaseException as exc:
            self.error = exc

    def _newest_dump(self):
        """Number of the newest dump of this process in the folder (0: none): only needed
        when the expected one is missing (the solution itself entered a ctypes callback)."""
        best = 0
        for name in _listdir(self.directory):
            if name.startswith(self.prefix) and name[len(self.prefix):].isdigit():
                best = max(best, int(name[len(self.prefix):]))
        return best

    def _last_dump(self):
        """Instructions of the dump the body just wrote (removed once read). Everything
        here runs under callgrind too (10-50x slower): one open, one read of the header
        (its "summary:" line is the total), no listing. Reading the whole file line by line
        in Python, and listing the folder, cost ~5x the body itself for a typical test."""
        number = self.dumps + 1
        path = self.directory + "/" + self.prefix + str(number)
        try:
            fd = _os_open(path, os.O_RDONLY)
        except OSError:
            number = self._newest_dump()
            if number <= self.dumps:
                return None
            path = self.directory + "/" + self.prefix + str(number)
            fd = _os_open(path, os.O_RDONLY)
        self.dumps = number
        try:
            head = _read(fd, 4096)
            at = head.find(b"\nsummary:")
            if at < 0:     # not in the header (another callgrind version): read it all
                chunks = [head]
                while True:
                    chunk = _read(fd, 1 << 16)
                    if not chunk:
                        break
                    chunks.append(chunk)
                head = b"".join(chunks)
                at = head.rfind(b"\ntotals:")
        finally:
            _close(fd)
        _unlink_dump(path)
        if at < 0:
            return None
        line = head[at + 1:head.find(b"\n", at + 1)]
        try:
            return int(line.split()[1])
        except (IndexError, ValueError):
            return None

    def _once(self, thunk):
        # The cyclic collector is off while counting: when it would run depends on what the
        # process allocated before, not on the body (a full collection first would cost more
        # under valgrind than most bodies).
        enabled = _gc_isenabled()
        _gc_disable()
        self.thunk, self.error = thunk, None
        try:
            self.body()
        finally:
            self.thunk = None
            if enabled:
                _gc_enable()
        total = self._last_dump()
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        return total

    def count(self, thunk, empty):
        """Instructions of one run of thunk() (its exception re-raised), less the entry
        cost; None when no dump came (not under callgrind). empty: the same call with an
        empty body, whose count is the entry cost (measured once per process, after one
        call that pays the first-call costs of the callback path). One run is enough:
        every timing job runs in a fork of the same snapshot (fresh workers, below), so
        the same body in the same job counts the same (a second run, least kept, used to
        hide the allocator state drifting with the worker's job history)."""
        if self.entry is None:
            first = self._once(empty)
            if first is None:
                return None
            self.entry = min(first, self._once(empty) or first)
        total = self._once(thunk)
        if total is None:
            return None
        return max(0, total - self.entry)


_CALLGRIND = [None]
_EMPTY_BODY = compile("pass", "<empty test>", "exec")


def _callgrind_counter(directory):
    counter = _CALLGRIND[0]
    if counter is None or counter.prefix != "cg.%d." % _getpid():
        counter = _CALLGRIND[0] = _CallgrindCounter(directory)
    return counter


def _counted_run(code, namespace, timing):
    """One run of the test body, counted by callgrind (deterministic: no loop needed)."""
    counter = _callgrind_counter(timing["callgrind_dir"])
    t0 = _perf()
    c0 = _ttime()
    instructions = counter.count(lambda: _exec(code, namespace), lambda: _exec(_EMPTY_BODY, namespace))
    c1 = _ttime()
    t1 = _perf()
    return t0, t1, c0, c1, {"loops": 1, "instructions": instructions}


def _timed_runs(code, namespace, timing):
    """Runs the test body `loops` times, loops doubled until one measurement takes
    min_seconds of CPU time (tiny tests made measurable), then measures that many runs
    once. Returns (t0, t1, c0, c1, {"loops", "instructions"}). Under callgrind
    ("callgrind_dir" in timing) the body runs once and its instructions are counted."""
    if timing.get("callgrind_dir"):
        return _counted_run(code, namespace, timing)
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


# Fresh workers (config "fresh_worker": codedpo efficiency): every job is served by a fork of
# one process that does nothing else, the template, forked by the worker when it said "ready".
# Loaders are forked from the job's process, so they inherit its heap, and the cost of a body
# that allocates depends on the allocator state it starts from (a loop that allocates and frees
# one small object per iteration pays ~17 instructions more per iteration when its pymalloc pool
# sits one block short of full: the pool is unlinked and linked again each time). With one
# long-lived worker serving the jobs the same body counted 1,385,437 instructions in the first
# runs of a session and 1,419,962 from the fifth on. Forks of the worker itself were not enough
# either: between two jobs the worker sweeps what the last one left, and what it finds (and
# allocates to find it) depends on timing: one demo body moved by 2.4% between two runs. The
# template only forks and waits (the same few objects allocated and freed each time), so every
# job starts from the same heap. (No warm loader: the fork would land in the middle of the
# previous job, at a moment that depends on timing.)
_FRESH_CONTINUE, _FRESH_STOP = 0, 10


def _serve_fresh(worker, stdin):
    """The worker's loop in fresh-worker mode; returns its exit code."""
    template = _fork()
    if template == 0:
        code = 1
        try:
            code = _fresh_template(worker, stdin)
        finally:
            _exit(code)
    # The worker is the subreaper of every process below it: a loader that outlives its
    # job's process (it is still exiting when that one has swept and gone) is reaped here,
    # as it dies, so that no zombie piles up (each counts against the user's process limit).
    while True:
        try:
            pid, status = _waitpid(-1, 0)
        except InterruptedError:
            continue
        except ChildProcessError:
            status = 0
            break
        if pid == template:
            break
    worker.sweep()   # anything a job left behind
    if _WIFEXITED(status) and _WEXITSTATUS(status) == _FRESH_STOP:
        return 0
    # A job's process died mid-job: the Swift side is waiting for a "done" it will not get.
    # Ending the worker makes it answer the job's tests with crash and start a new worker.
    worker.diag("the job's worker died (status %d)" % status)
    return 3


def _fresh_template(worker, stdin):
    """The template's loop: one fork per job, nothing else; the exit code says why it ended
    (_FRESH_STOP: no more jobs)."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if _getppid() != worker.pid:
        return _FRESH_STOP
    worker.pid = _getpid()
    while True:
        pid = _fork()
        if pid == 0:
            _exit(_serve_one_job(worker, stdin))
        while True:
            try:
                _, status = _waitpid(pid, 0)
                break
            except InterruptedError:
                continue
        if _WIFEXITED(status) and _WEXITSTATUS(status) == _FRESH_CONTINUE:
            continue
        if _WIFEXITED(status) and _WEXITSTATUS(status) == _FRESH_STOP:
            return _FRESH_STOP
        return 3


def _serve_one_job(worker, stdin):
    """In the fork: read and serve one message as the worker would; the exit code says
    whether the worker goes on."""
    try:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if _getppid() != worker.pid:
            return _FRESH_STOP
        worker.pid = _getpid()
        worker.subreaper = _prctl(PR_SET_CHILD_SUBREAPER, 1)
        try:   # the children of this process, not of the worker (see Worker.children)
            worker.children_fd = os.open("/proc/self/task/%d/children" % worker.pid, os.O_RDONLY)
        except OSError:
            worker.task_fd = worker.children_fd = None
        while True:
            line = stdin.readline()
            if not line:
                return _FRESH_STOP
            if line.strip():
                break
        try:
            msg = json.loads(line.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            worker.emit({"type": "error", "job": None, "error": "bad JSON: %s" % exc})
            return _FRESH_CONTINUE
        kind = msg.get("type") if type(msg) is dict else None
        if kind == "exit":
            return _FRESH_STOP
        if kind == "job":
            worker.run_job(msg)
        else:
            worker.emit({"type": "error", "job": None, "error": "unknown message type %r" % (kind,)})
        return _FRESH_CONTINUE
    except BaseException as exc:
        worker.diag("fresh worker: %s" % _describe(exc))
        return 1
    finally:
        try:
            worker.flush()
            worker.sweep()
            while worker.spare_dirs:   # kept for reuse, so empty; the next fork makes its own
                try:
                    _rmdir(worker.spare_dirs.pop())
                except OSError:
                    pass
        except BaseException:
            pass


# <standalone>
__all__ = [_n for _n in list(globals()) if not _n.startswith("__")]
# </standalone>
