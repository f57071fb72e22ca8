"""The harness as the binary runs it: Sources/CodeDPOKit/Execution/Harness/harness_*.py
joined into one source, the way ExecutionSettings.harnessSource (Swift) joins them:
the modules named in the <standalone> block of harness_worker.py, in that order, then
harness_worker.py, each without its <standalone> blocks.

    python3 Tests/harness/harness_source.py > /tmp/harness.py   # the joined source
"""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "Sources", "CodeDPOKit", "Execution", "Harness"))
ENTRY = "harness_worker"
_IMPORT = re.compile(r"^from (harness_\w+) import \*")


def _strip(text):
    """The text without its <standalone> ... </standalone> blocks."""
    kept, skipping = [], False
    for line in text.split("\n"):
        if line.startswith("# <standalone>"):
            skipping = True
        elif line.startswith("# </standalone>"):
            skipping = False
        elif not skipping:
            kept.append(line)
    return "\n".join(kept)


def module_order(directory=HARNESS_DIR):
    """The module names in join order."""
    with open(os.path.join(directory, ENTRY + ".py"), encoding="utf-8") as f:
        text = f.read()
    order, inside = [], False
    for line in text.split("\n"):
        if line.startswith("# <standalone>"):
            inside = True
        elif line.startswith("# </standalone>"):
            break
        elif inside:
            match = _IMPORT.match(line)
            if match:
                order.append(match.group(1))
    return order + [ENTRY]


def joined(directory=HARNESS_DIR):
    parts = []
    for name in module_order(directory):
        with open(os.path.join(directory, name + ".py"), encoding="utf-8") as f:
            parts.append(_strip(f.read()))
    return "\n".join(parts)


# How WorkerProcess.swift starts a worker: a one-line loader compiles the joined source from a
# file (one -c argument may not exceed 128 KB, and the joined source is larger).
LOADER = ("import sys; sys.path[:] = [p for p in sys.path if p]; "
          "exec(compile(open(sys.argv[1]).read(), '<codedpo-harness>', 'exec'))")
_FILES = {}


def source_file(source):
    """A world-readable file holding `source` (tests run the worker as nobody too), kept for
    the life of this process."""
    path = _FILES.get(source)
    if path is None:
        import atexit
        import tempfile
        fd, path = tempfile.mkstemp(prefix="codedpo-harness-", suffix=".py")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(source)
        os.chmod(path, 0o644)
        atexit.register(os.unlink, path)
        _FILES[source] = path
    return path


def worker_argv(python, source):
    """The argv of a worker running `source`, as the Swift side starts one."""
    return [python, "-I", "-S", "-u", "-c", LOADER, source_file(source)]


if __name__ == "__main__":
    sys.stdout.write(joined())
