"""codedpo harness: the worker -- the long-lived process the Swift side
talks to; it forks loaders, relays and judges their verdicts, and leaves no
process behind.  The __main__ entry point.

Joined: the modules below are one program in one namespace.  The binary
embeds harness_*.py and joins them (ExecutionSettings.harnessSource): the
files named in the <standalone> block of this file, in that order, then
this file, each without its <standalone> blocks.  Imported one by one (unit
tests), each module star-imports the ones it uses instead.
"""

# <standalone> (dropped when the modules are joined into one source; see harness_worker.py)
from harness_common import *  # noqa: F401,F403
from harness_protocol import *  # noqa: F401,F403
from harness_compare import *  # noqa: F401,F403
from harness_guard import *  # noqa: F401,F403
from harness_timing import *  # noqa: F401,F403
from harness_loader import *  # noqa: F401,F403
from harness_reuse import *  # noqa: F401,F403
# </standalone>


# --------------------------------------------------------------------------
# Worker side
# --------------------------------------------------------------------------

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


def _reusable_dir(path):
    """Is a job directory as it was made -- a real directory, ours, mode 0700,
    empty?  Then the next job may have it: a fresh directory per job costs a
    mkdir and an rmdir, which on a journaled disk (ext4 /tmp) take 1-2 ms a
    job, more than the tests of a typical solution.  Called only once every
    process of the job is gone."""
    try:
        st = os.lstat(path)
        if st.st_mode != 0o040700 or st.st_uid != os.geteuid():
            return False
        with _scandir(path) as entries:
            for _entry in entries:
                return False
        return True
    except OSError:
        return False


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


_MISSING = object()

# The verdicts of a job reach the Swift side in one write, with its "done"
# (emit): each write wakes the reader on the other end, and the Swift side
# takes a job's verdicts only when it is done anyway.  A job longer than this
# (the Swift side sends at most 256 tests a job) is written in parts.  A
# worker that dies mid-job (a harness bug: it runs no untrusted code) loses
# the verdicts it held: the Swift side gives those tests `crash`.
_RESULTS_PER_WRITE = 512


def _plain_record(record, output_limit):
    """Whether a loader's result record (its id and status checked already)
    is what emit_result would make of it: seconds as finite non-negative
    floats (the loader rounds them to microseconds), an int max_rss_kb, ASCII
    output within the limit (so its UTF-8 bytes are its characters and it
    holds no lone surrogate), an ASCII error within the error limit or None.
    Such a record is relayed as it is (most of the worker's per-test work);
    any other goes through emit_result, which checks and fixes each field."""
    _id, _status, duration, cpu, rss, output, error = record
    return (type(duration) is float and 0.0 <= duration < 1e15 and type(cpu) is float
            and 0.0 <= cpu < 1e15 and type(rss) is int and 0 <= rss < 1 << 53
            and type(output) is str and len(output) <= output_limit and output.isascii()
            and (error is None or (type(error) is str and len(error) <= _MAX_ERROR_CHARS
                                   and error.isascii())))


def _parse_results(line, start):
    """(cpu, records, raw) of a loader's "results" line that begins with the
    header it writes, `{"n":"<nonce>","t":"results","c":` (checked by the
    caller; `start` is its length), then the CPU time and `,"r":[...]}`; None
    for any other line (read then as a general message).  `raw` is the text
    of the records array and `records` is what that very text decodes to, so
    when every record checks out the text itself can go to the Swift side:
    what it reads is what was checked."""
    if not line.endswith(b"]}"):
        return None
    at = line.find(b',"r":[', start)
    if at < 0:
        return None
    try:
        cpu = float(line[start:at])
        raw = line[at + 5:-1].decode("ascii")
        records = _json_decode(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if type(records) is not list:
        return None
    return cpu, records, raw


class _Loader(object):
    """A loader process as the worker sees it."""

    def __init__(self, tmpdir, serial):
        self.tmpdir = tmpdir
        self.serial = serial          # the code cache it inherited: entries <= serial
        self.held = frozenset()       # sources of compiled tests its last job brought (_HELD)
        self.tests = None             # the tests (list) its last job ran (_LAST_TESTS)
        self.nonce = _urandom(16).hex()
        self.progress = _Progress()
        self.pid = self.rfd = self.job_fd = self.pidfd = None
        self.dead = False             # reaped by the worker's sweep
        self.kept = False             # finished a job clean and waits for the next (harness_reuse)

    def close(self):
        for fd in (self.rfd, self.job_fd, self.pidfd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.rfd = self.job_fd = self.pidfd = None



def _discard_loader(loader):
    """Kill a loader the worker no longer wants (warm or kept), reap it, remove its job
    directory; None does nothing."""
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


class Worker(object):
    def __init__(self):
        self.cfg = None
        self.pid = os.getpid()
        self.out = sys.stdout.buffer
        self.lines = []         # lines not yet written to stdout
        self.results = []       # result records of the current job not yet in a line
        self.raw_results = []   # records arrays of the current job relayed as the loader wrote them
        self.held_records = 0   # records in raw_results
        self.subreaper = _prctl(PR_SET_CHILD_SUBREAPER, 1)
        # Non-dumpable: for a non-root uid, /proc/<worker>/fd becomes
        # unreadable to children, so they cannot reopen our stdin/stdout.
        _prctl(PR_SET_DUMPABLE, 0)
        self._nproc_cache = (0.0, 0)
        self.reported = set()   # test ids of the current job with a verdict
        self.codes = _CODE_CACHE
        # The tests of the last job, by id: the Swift side sends a test's code once and
        # names it by id alone in the next job (the same problem's next solution).
        self.held = {}
        # ... and as a list, when every test of it was taken: a job with "same_tests" (the
        # next solution of the same problem) runs exactly these, and the per-test work of
        # reading the list, checking it with the gate and sending it to a kept loader that
        # ran it is done once for all the solutions of a problem.
        self.last_tests = None
        self.gated_tests = self.gated_ok = None   # the gate's verdict on a list of tests
        # A loader forked ahead of time, set up and warmed up, waiting for
        # the next job (its fork and setup overlap the current job's tests).
        self.warm = None
        # A loader that finished a job and proved itself as it was before
        # it (harness_reuse): the next job may run in it.
        self.reused = None
        self.gate = None
        self.spare_dirs = []    # empty job directories for the next jobs (see job_dir)
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
        self.close_results()
        self.lines.append(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
        self.flush()

    def close_results(self):
        """The kept result records as one "results" line (encoded in C: the
        per-record cost of relaying is most of the worker's per-test work)."""
        for raw in self.raw_results:
            self.lines.append('{"type":"results","job":%s,"r":%s}\n' % (self.job_json, raw))
        self.raw_results = []
        self.held_records = 0
        if self.results:
            self.lines.append('{"type":"results","job":%s,"r":%s}\n' % (
                self.job_json, _encode_records(self.results)))
            self.results = []

    def flush(self):
        self.close_results()
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
        if self.cfg["test_isolation"] == "namespace" and _dict_version is not None:
            try:
                self.gate = _ReuseGate()
                _REUSE_WATCH[0] = _ReuseWatch(self.gate)
                self.codes.parsed = self.gate.seen
            except Exception as exc:
                self.gate = None
                self.diag("loader reuse off: %s" % _describe(exc))
        # Everything imported so far is shared by all loaders: keep the
        # collector of a loader from walking (and so copying) it.
        if _gc_freeze is not None:
            gc.collect()
            _gc_freeze()
        # Compiling the harness alone leaves ~4 MB of freed heap mapped; every
        # fork copies the page tables of all of it and every exit unmaps it.
        _malloc_trim()
        self.emit({"type": "ready", "python": sys.executable,
                   "version": "%d.%d.%d" % tuple(sys.version_info[:3]),
                   "pid": self.pid, "subreaper": self.subreaper})
        if self.cfg["fresh_worker"]:
            return _serve_fresh(self, stdin)   # timing jobs: see harness_timing.py
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
            self.discard_reused()
            self.sweep()
            while self.spare_dirs:
                _remove_tree(self.spare_dirs.pop())
        return 0

    def run_job(self, msg):
        self.reported = set()
        job = msg.get("job")
        self.job_json = json.dumps(job, ensure_ascii=False)
        solution = msg.get("solution")
        raw_tests = msg.get("tests")
        timing = msg.get("timing")
        _TIMING[0] = timing if type(timing) is dict else None
        # requeue: when a loader ends before the job's last test (a timeout, a
        # memory error, a crash, something left running), answer "done" with the
        # tests still without a verdict rather than fork a fresh loader for them:
        # the Swift side queues them again, so the tests of a solution that loops
        # on every test spread over all workers instead of running one after
        # another (each such test uses its whole CPU limit).
        requeue = msg.get("requeue") is True and _TIMING[0] is None
        requeued = []
        same = msg.get("same_tests") is True     # the last job's tests (see self.last_tests)
        if same and self.last_tests is None:
            self.emit({"type": "error", "job": job, "error": "\"same_tests\" but no last job"})
            self.emit({"type": "done", "job": job})
            return
        if type(solution) is not str or not (same or type(raw_tests) is list):
            self.emit({"type": "error", "job": job,
                       "error": "a job needs \"solution\" (string) and \"tests\" (list)"})
            self.emit({"type": "done", "job": job})
            return
        tests = self.last_tests if same else self.read_tests(job, raw_tests)
        tmpdir = None
        kept = None
        try:
            if tests:
                solution, again = self.prepare_solution(solution, tests)
                loader = self.take_reused(solution, tests, again)
                if loader is None:
                    loader = self.take_warm(solution, tests, again)
                if loader is not None:
                    tmpdir = loader.tmpdir
                else:
                    tmpdir = self.job_dir()
                    loader = self.fork_loader(tmpdir, (solution, tests, False))
                # The next job's loader is forked now, while this one runs.
                self.prepare_warm()
                remaining, careful = tests, False
                while remaining:
                    if loader is None:   # after a crash, timeout, restart: a fresh one
                        if requeue and not careful and len(remaining) < len(tests):
                            # (At least one test got its verdict here: progress. A
                            # careful rerun stays in this job, see run_loader.)
                            requeued = [test[0] for test in remaining]
                            break
                        loader = self.fork_loader(tmpdir, (solution, remaining, careful))
                    remaining, careful = self.run_loader(job, loader, remaining, careful,
                                                         keep_after_restart=requeue and not careful)
                    if loader.kept:
                        kept = self.reused = loader
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
            if tmpdir is not None and kept is None:
                self.done_with_dir(tmpdir)
        if requeued:
            self.emit({"type": "done", "job": job, "requeue": requeued})
        else:
            self.emit({"type": "done", "job": job})

    def read_tests(self, job, raw_tests):
        """The job's tests as (id, source, code, serial) entries, from the
        Swift side's list (a test of the last job may come by id alone); a
        test without a usable id is skipped, one without code gets `error`."""
        tests, seen = [], set()
        held, self.held = self.held, {}
        for item in raw_tests:
            test_id = item.get("id") if type(item) is dict else None
            if test_id is None or type(test_id) not in (int, str) or test_id in seen:
                continue   # no id to answer to, or an id answered already
            seen.add(test_id)
            source = item.get("code", _MISSING)
            if source is _MISSING and test_id in held:
                entry = held[test_id]       # sent with the last job (see self.held)
            elif type(source) is not str:
                self.emit_result(job, test_id, ERROR, error="test has no \"code\" string")
                continue
            else:
                code, serial = self.codes.get(source)
                entry = (test_id, source, code, serial)
            tests.append(entry)
            self.held[test_id] = entry
        self.last_tests = tests if len(tests) == len(raw_tests) else None
        return tests

    def prepare_solution(self, source, tests):
        """((source, code or None), again): the solution as the loader gets
        it, and whether its loader may take the next job (harness_reuse):
        only when the static gate passes the solution and every test, and
        the job is not a timing job (those always get a fresh loader).
        Without reuse the solution is compiled by the (warmed-up) loader."""
        gate = self.gate
        if gate is None or _TIMING[0] is not None:
            return (source, None), False
        code, again = gate.solution(source)
        if again:
            if tests is not self.gated_tests:
                self.gated_tests = tests
                self.gated_ok = all(gate.ok(test[1]) for test in tests)
            again = self.gated_ok
        return (source, code), again

    def take_reused(self, solution, tests, again):
        """Hand the job to the loader the last job left (see reusable); None
        when there is none, this is a timing job, its directory is not
        empty any more, or it cannot take the job (then it is discarded)."""
        loader = self.reused
        if loader is None:
            return None
        if not loader.dead and _TIMING[0] is None and _reusable_dir(loader.tmpdir) \
                and self.send_job(loader, solution, tests, again):
            self.reused = None
            loader.kept = False
            return loader
        self.discard_reused()
        return None

    def discard_reused(self):
        """Kill and forget the kept loader, and remove its job directory."""
        loader, self.reused = self.reused, None
        _discard_loader(loader)

    def job_dir(self):
        """A fresh, empty job directory: one a previous job left as it was made
        (see _reusable_dir), else a new one."""
        if self.spare_dirs:
            return self.spare_dirs.pop()
        return _make_job_dir(self.job_root)

    def done_with_dir(self, path):
        if len(self.spare_dirs) < 2 and _reusable_dir(path):
            self.spare_dirs.append(path)
        else:
            _remove_tree(path)

    def emit_result(self, job, test_id, status, duration=0.0, cpu=0.0, max_rss_kb=0,
                    output="", error=None):
        """Keep one result record for the next "results" line (written by the
        next flush()); every field is checked here (the job id was encoded
        once per job)."""
        self.reported.add(test_id)
        self.results.append([
            test_id, status, _seconds(duration), _seconds(cpu),
            max_rss_kb if type(max_rss_kb) is int and 0 <= max_rss_kb < 1 << 53
            else int(_number(max_rss_kb)),
            _tail_bytes(output, self.cfg["output_limit"]) if output else "",
            None if error is None else _clean_text(_short(error))])

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
        if work is not None:
            loader.tests = work[1]
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
            tmpdir = self.job_dir()
            self.warm = self.fork_loader(tmpdir, None)
        except (OSError, MemoryError) as exc:
            self.diag("cannot fork a warm loader: %s" % exc)
            if tmpdir is not None:
                _remove_tree(tmpdir)

    def discard_warm(self):
        """Kill and forget the warm loader (and its unused job directory)."""
        loader, self.warm = self.warm, None
        _discard_loader(loader)

    def take_warm(self, solution, tests, again=False):
        """Hand the job to the warm loader; None when there is none or it
        cannot take the job (then it is discarded)."""
        loader = self.warm
        if loader is None:
            return None
        self.warm = None
        if not loader.dead and self.send_job(loader, solution, tests, again):
            return loader
        self.warm = loader
        self.discard_warm()
        return None

    def send_job(self, loader, solution, tests, again=False):
        """Write a warm (or kept) loader its job: length-prefixed marshal
        (compiled tests it inherited are sent by source only) with a fresh
        nonce, and whether it may take another job afterwards (again: the
        pipe stays open; else it is closed).  False when the loader is gone
        or does not read within a few seconds."""
        if tests is loader.tests:
            items = None     # the tests of its last job: it has them, compiled (_LAST_TESTS)
        else:
            items = []
            held, sent = loader.held, set()
            for test_id, source, code, serial in tests:
                fresh = code is not None and serial > loader.serial
                if fresh:
                    sent.add(source)
                    fresh = source not in held
                items.append((test_id, source, _marshal_dumps(code) if fresh else None))
            loader.held = sent
        loader.tests = tests
        sol_source, sol_code = solution
        loader.nonce = _urandom(16).hex()
        loader.progress.reset()
        data = _marshal_dumps((sol_source, None if sol_code is None else _marshal_dumps(sol_code),
                               items, _TIMING[0], loader.nonce, bool(again)))
        data = _pack_length(len(data)) + data
        fd = loader.job_fd
        if not again:
            loader.job_fd = None
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
            if not again:
                os.close(fd)

    def run_loader(self, job, loader, tests, careful=False, keep_after_restart=False):
        """Relay the verdicts of a loader started on `tests`, judge the test
        it died on.  Returns (the tests still without a verdict, whether the
        next loader must be careful).  The tests returned are fewer than
        given, or the same ones with careful switched on (which a careful
        loader never returns), so the caller's loop terminates.
        keep_after_restart: a loader that stopped at a timeout and passed its
        reuse check is kept for a later job (the caller hands the tests after
        the timeout back rather than run them in this job); else it is ended
        as after any restart."""
        cfg = self.cfg
        timeout = cfg["timeout"]
        pid, rfd, pidfd, nonce, progress = (loader.pid, loader.rfd, loader.pidfd,
                                            loader.nonce, loader.progress)
        started = time.perf_counter()

        # Results come in batches: the next one is due at most a batch
        # window plus one test's run after the last.
        # (wall_timeout: the limit itself for wall-clock configs, the backstop for CPU-time ones.)
        per_test = cfg["wall_timeout"] + _grace(timeout) + _BATCH_WINDOW
        if cfg["test_isolation"] == "fork":
            per_test = cfg["wall_timeout"] + 2 * _grace(timeout) + 0.5   # the loader judges first
        loading = True
        index = 0               # the first test without a verdict (once loaded)
        last_event = started
        deadline = last_event + cfg["load_wall_timeout"] + _grace(min(cfg["load_timeout"], 2.0))
        last_cpu = 0.0
        finished = restart = eof = exited = timed_out = load_reported = again = False
        violation = None
        reader = _LineReader()
        n_tests = len(tests)
        output_limit = cfg["output_limit"]

        def handle(msg):
            nonlocal loading, index, last_event, deadline, last_cpu
            nonlocal finished, restart, violation, load_reported, again
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
                    again = msg.get("again") == 1
                else:
                    violation = "unexpected %r message while loading" % (kind,)
                return
            if kind == "results" and type(msg.get("r")) is list:
                results(msg["r"], None, msg.get("c"), now)
            elif kind == "restart" and index < n_tests:
                restart = True
                again = msg.get("again") == 1
            elif kind == "finished" and index == n_tests:
                finished = True
                again = msg.get("again") == 1
            else:
                violation = "unexpected %r message from the test process" % (kind,)

        def results(records, raw, cpu, now):
            # Records name the test they are for, in the order the tests were
            # sent; one out of place is a protocol violation (the records
            # before it count).  raw: the records' text, relayed as it is when
            # every record is plain (see _parse_results).
            nonlocal index, last_event, deadline, last_cpu, violation
            count = 0
            plain = raw is not None
            for record in records:
                at = index + count
                if not (type(record) is list and len(record) == 7 and at < n_tests
                        and record[0] == tests[at][0] and type(record[0]) is type(tests[at][0])
                        and type(record[1]) is str and record[1] in _CHILD_STATUSES):
                    violation = "malformed or out-of-sequence result"
                    break
                if plain and not _plain_record(record, output_limit):
                    plain = False
                count += 1
            if plain and count == len(records):
                if count:
                    self.raw_results.append(raw)
                    self.held_records += count
                    self.reported.update([test[0] for test in tests[index:index + count]])
            else:
                keep, reported = self.results.append, self.reported   # (flush() makes a new list)
                for record in records[:count]:
                    if _plain_record(record, output_limit):
                        reported.add(record[0])
                        keep(record)
                    else:
                        output, error = record[5], record[6]
                        self.emit_result(job, record[0], record[1],
                                         duration=record[2], cpu=record[3], max_rss_kb=record[4],
                                         output=output if type(output) is str else "",
                                         error=error if type(error) is str else None)
            index += count
            self.kill_strays(pid)
            last_event, deadline = now, now + per_test
            last_cpu = _number(cpu, last_cpu)

        header = ('{"n":"%s","t":"results","c":' % nonce).encode("ascii")
        start = len(header)

        def consume(data):
            for line in reader.feed(data):
                if finished or restart or violation or load_reported:
                    break
                if not loading and line.startswith(header):
                    parsed = _parse_results(line, start)
                    if parsed is not None:
                        results(parsed[1], parsed[2], parsed[0], time.perf_counter())
                        continue
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
            if len(self.results) + self.held_records >= _RESULTS_PER_WRITE:
                self.flush()

        if again and (finished or load_reported or (restart and keep_after_restart)) \
                and loader.job_fd is not None and not (violation or timed_out or exited or eof):
            # The job was reusable (the worker's gate) and the loader found
            # itself as before it (harness_reuse): it waits for the next job.
            # After a restart (a gated batch stopped at a timeout) that is a
            # later job; the tests after the timeout are returned.
            loader.kept = True
            return (tests[index:] if restart else []), careful
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
            return [], careful
        if finished or index >= n_tests:
            return [], careful
        if restart and not violation:
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
                    and not careful and blamed > index and cfg["test_isolation"] == "namespace":
                # A test closed or replaced the result pipe somewhere in the
                # batch (the loader could not report, or wrote elsewhere and
                # exited): run those tests again, reporting each at once.
                return tests[index:], True
        self.emit_result(job, tests[blamed][0], verdict[0], duration=now - started_at,
                         cpu=usage.ru_utime + usage.ru_stime - cpu_at,
                         max_rss_kb=usage.ru_maxrss, error=verdict[1])
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
        kept = self.reused.pid if self.reused is not None else None
        strays = [p for p in self.children() if p != loader and p != warm and p != kept]
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
            if self.reused is not None and pid == self.reused.pid:
                self.reused.dead = True
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
            kept = self.reused.pid if self.reused is not None and not self.reused.dead else None
            kids = [p for p in self.children() if p != warm and p != kept]
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


# <standalone>
__all__ = [_n for _n in list(globals()) if not _n.startswith("__")]
# </standalone>
