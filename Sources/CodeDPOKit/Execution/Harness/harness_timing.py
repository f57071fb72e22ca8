"""codedpo harness: timing jobs (codedpo efficiency): a test body run in a
loop and measured in CPU time, and optionally in hardware instructions.
"""

# <standalone> (dropped when the modules are joined into one source; see harness_worker.py)
from harness_common import *  # noqa: F401,F403
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


def _timed_runs(code, namespace, timing):
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


# <standalone>
__all__ = [_n for _n in list(globals()) if not _n.startswith("__")]
# </standalone>
