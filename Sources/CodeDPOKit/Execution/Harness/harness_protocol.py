"""codedpo harness: the messages between Swift, the worker and its loaders.

Protocol (one JSON object per line)
-----------------------------------
Swift -> worker, first line:
  {"type":"config","timeout":1.0,"load_timeout":5.0,"wall_factor":5|null,
   "memory_mb":1024|null,
   "cpu_s":10|null,"max_processes":64|null,"max_file_mb":16|null,
   "max_open_files":256|null,"output_limit":2048,
   "test_isolation":"namespace"|"fork","tmp_root":"/tmp/..."|null}
worker -> Swift: {"type":"ready","python":sys.executable,"version":"3.11.7",
                  "pid":N,"subreaper":true}
Swift -> worker: {"type":"job","job":17,"solution":"...",
                  "tests":[{"id":5,"code":"assert f(1) == 2"}, {"id":6}, ...]}
  A test without "code" is one of the previous job's tests (same id, same
  code): the worker keeps the last job's tests; an id it does not hold is
  answered with error "test has no code string".  "requeue":true (optional):
  when a loader ends before the job's last test (timeout, memory, crash,
  leftover), the tests still without a verdict are not run in a fresh loader
  but named in the job's "done" message, for the Swift side to queue again.
worker -> Swift, result records in "results" lines (several records a
line; exactly one record per distinct test id, in any order):
  {"type":"results","job":17,"r":[[5,S,duration_secs,cpu_secs,max_rss_kb,
   "<output tail, <= output_limit UTF-8 bytes>","error..."|null], ...]}
  then {"type":"done","job":17}, or {"type":"done","job":17,"requeue":[6, 9]}
  (requeue jobs only: these tests got no verdict and no record).
  S is pass | fail | error | timeout | memory | crash | load_error.
Swift -> worker: {"type":"exit"} or EOF: clean up, exit 0.
A malformed line gets {"type":"error","job":<id or null>,"error":"..."}
(followed by "done" when the job id is known); a bad config line gets an
error reply and exit status 2.

Between the worker and a loader: JSON lines with a per-loader nonce on the
loader's private pipe (_Channel, _LineReader, _parse_message), batched
result records, and the shared progress record (_Progress).  Also here:
how a verdict is worded (_describe, _classify, _death_verdict) and the
config line (_Config).
"""

# <standalone> (dropped when the modules are joined into one source; see harness_worker.py)
from harness_common import *  # noqa: F401,F403
# </standalone>


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
    last = None
    while tb is not None and steps < 10000:
        if tb.tb_frame.f_code.co_filename in (_TEST_FILE, _SOLUTION_FILE):
            last = tb
        tb = tb.tb_next
        steps += 1
    if last is not None:
        # (Only the innermost test/solution frame is named: its line number is
        # worked out once, not for each frame of a deep recursion.)
        where = "%s line %d" % (last.tb_frame.f_code.co_filename.strip("<>"), last.tb_lineno)
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


def _format_record(record, max_rss_kb):
    # Seconds to microseconds, as the worker passes them on (see _plain_record).  The test
    # is named by the id the worker gave it (an int from the Swift side; a str is allowed).
    test_id, output, error = record[0], record[5], record[6]
    return '[%s,"%s",%.6f,%.6f,%d,%s,%s]' % (
        "%d" % test_id if type(test_id) is int else _encode_ascii(str(test_id)),
        record[1], float(record[2]), float(record[3]), int(max_rss_kb),
        _encode_ascii(output) if output else '""', "null" if error is None else _encode_ascii(error))


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
        is safe, and much cheaper than the json module in a new process).
        max_rss_kb None (a ticking batch, see _Runner.start_batch): the
        process's peak RSS when the batch is written."""
        if not self.pending:
            self.since = _perf()
        output, error = record[5], record[6]
        self.pending.append(record if record[4] is None else _format_record(record, record[4]))
        if output or error:
            self.chars += len(output) + (len(error) if error else 0)

    def due(self):
        return (len(self.pending) >= _BATCH_MAX or self.chars >= _BATCH_CHARS
                or _perf() - self.since >= _BATCH_WINDOW)

    def seal(self):
        """Format the kept records still waiting for the peak RSS with the
        peak now (before anything resets it, see _ReuseWatch.clean)."""
        rss = None
        records = self.pending
        for at, record in enumerate(records):
            if type(record) is list:
                if rss is None:
                    rss = _getrusage(_RUSAGE_SELF).ru_maxrss
                records[at] = _format_record(record, rss)

    def flush(self, then=None):
        """Write the kept records, then the message `then` = (kind, fields)."""
        text = ""
        if self.pending:
            self.seal()
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


def _number(value, default=0.0):
    if type(value) in (int, float) and value == value and value not in (float("inf"), float("-inf")):
        return max(0.0, float(value))
    return default


class _Config(object):
    FIELDS = {"timeout": 1.0, "load_timeout": 5.0, "wall_factor": None, "memory_mb": None, "cpu_s": None,
              "max_processes": None, "max_file_mb": None, "max_open_files": None,
              "output_limit": 2048, "test_isolation": "namespace", "tmp_root": None,
              "fresh_worker": False}   # fresh_worker: each job in a fork of the ready worker (harness_timing.py)

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
        # wall_factor null: timeout and load_timeout are wall-clock limits (configs made
        # before CPU-time limits).  A number >= 1: they count the CPU time of the test (or
        # the load), and `wall_factor` times them is a wall-clock backstop for code that
        # sleeps or blocks; either limit gives "timeout".
        factor = cfg["wall_factor"]
        if factor is not None and (type(factor) not in (int, float) or not factor >= 1):
            raise ValueError("wall_factor must be a number >= 1 or null")
        cfg["cpu_clock"] = factor is not None
        cfg["wall_timeout"] = cfg["timeout"] * (factor or 1)
        cfg["load_wall_timeout"] = cfg["load_timeout"] * (factor or 1)
        for key in ("memory_mb", "cpu_s", "max_processes", "max_file_mb", "max_open_files"):
            value = cfg[key]
            if value is not None:
                if type(value) not in (int, float) or value <= 0:
                    raise ValueError("%s must be a positive number or null" % key)
                cfg[key] = max(1, int(math.ceil(value)))
        if type(cfg["output_limit"]) is not int or cfg["output_limit"] < 0:
            raise ValueError("output_limit must be a non-negative integer")
        if cfg["test_isolation"] not in ("namespace", "fork"):
            raise ValueError("test_isolation must be \"namespace\" or \"fork\"")
        if type(cfg["fresh_worker"]) is not bool:
            raise ValueError("fresh_worker must be true or false")
        if cfg["tmp_root"] is not None:
            if type(cfg["tmp_root"]) is not str:
                raise ValueError("tmp_root must be a string or null")
            os.makedirs(cfg["tmp_root"], exist_ok=True)
        return cfg


# Result records for Swift: a JSON array, non-ASCII kept (checked values only, see emit_result).
_encode_records = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


def _seconds(value):
    """A finite, non-negative number of seconds rounded to microseconds."""
    if type(value) is float and 0.0 <= value < 1e15:
        return round(value, 6)
    return round(_number(value), 6)


# <standalone>
__all__ = [_n for _n in list(globals()) if not _n.startswith("__")]
# </standalone>
