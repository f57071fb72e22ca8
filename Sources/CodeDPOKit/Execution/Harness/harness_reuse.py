"""codedpo harness: loader reuse -- one loader runs several jobs in a row
when that provably gives the verdicts a fresh loader per job gives.

A fresh loader per solution costs a fork of the worker, the copy-on-write
faults of both processes, the loader's set-up and its exit: on CodeT's data
(~94 tests a solution) that was most of the CPU per verdict.  A loader that
finished a job may take the next one only when BOTH hold:

1. The worker's static gate (_ReuseGate, trusted: it runs in the worker)
   passed the job's solution AND every one of its tests: the code imports
   only modules on a short list of pure standard modules the worker has
   already imported (math, typing, collections, ...), uses no reflective or
   dynamic builtin (eval, exec, getattr, setattr, globals, vars, open,
   __import__, ...), no dunder name but __name__ (__builtins__, the
   harness's __codedpo_*__ helpers), no attribute starting with "_" (no
   dunders, no private module state), and no attribute that leads out of those
   modules (typing.sys, re.enum, ...) or changes global state through
   them (register, get_type_hints, ...).  Such code can reach only the
   listed modules' public objects and the builtins; it cannot reach the
   harness, sys, os, gc or ctypes.  A source that does not parse passes the
   gate (it never runs: it fails to compile in the loader too).  A test (not
   a solution) may also import other modules when it never uses the names
   the import binds: the import either finds the module loaded (nothing
   runs) or adds it to sys.modules, which check 2 sees.
2. The loader's runtime check (_ReuseWatch.clean), run after the job once
   the solution's module is dropped and garbage collected, finds the state
   that code could change as it was before the loader's first job: the
   version tag of every module's dict (builtins included), of the class
   dict of every mutable class and the instance dict of every object
   those modules expose, sys.modules (same keys, same objects), the ABC
   cache token (register()), the recursion limit, no thread and no child
   process.  (CPython 3.11 bumps a dict's version tag on every change.)
   The process's peak RSS is then reset (/proc/self/clear_refs), so the
   next job's max_rss_kb is its own.
   The worker then also requires the job directory to be empty.

A gated job whose test timed out with tests still to run stops there
(the interrupted test may have left the solution's objects half-updated, so
the rest never run on that load of it): the loader runs the same check and,
when it passes and the worker hands the rest back to the Swift side
("requeue"), waits for a later job like a loader that finished one; a
looping solution then costs a reuse check and a load a timeout, not a fork,
a fresh process's copy-on-write faults and its exit (~9 ms of CPU).

Anything else -- a gate failure, a memory error, a crash, a restart for a
leftover, a careful run, a timing job (efficiency), fork test isolation, a
check that finds a difference or cannot run -- ends the loader as before,
and the next job gets a fresh (warm) loader.  Per-job nonces travel with
each job.
"""

# <standalone> (dropped when the modules are joined into one source; see harness_worker.py)
from harness_common import *  # noqa: F401,F403
from harness_loader import *  # noqa: F401,F403
# </standalone>


# Modules gated code may import: pure standard modules the worker imports
# anyway (harness_common), so importing one changes nothing in sys.modules.
# Only those actually in sys.modules when the worker starts are allowed.
_REUSE_MODULES = ("__future__", "bisect", "cmath", "collections", "collections.abc", "copy",
                  "datetime", "functools", "heapq", "itertools", "math",
                  "numbers", "re", "string", "typing")
# Builtins that reach objects by name or run code from strings.
_REUSE_DENIED_NAMES = frozenset((
    "eval", "exec", "compile", "__import__", "globals", "locals", "vars", "dir",
    "getattr", "setattr", "delattr", "open", "input", "breakpoint", "help", "memoryview",
    "__builtins__", "__loader__", "__spec__"))
# Attributes that reach frames, code, globals or registries, evaluate strings,
# or change process-wide state through an allowed module.
_REUSE_DENIED_ATTRS = frozenset((
    "tb_frame", "tb_next", "f_back", "f_globals", "f_locals", "f_builtins", "f_code", "f_trace",
    "gi_frame", "gi_code", "gi_yieldfrom", "cr_frame", "cr_code", "cr_await", "ag_frame",
    "ag_code", "ag_await", "register", "get_type_hints", "ForwardRef", "Decimal",
    "attrgetter", "methodcaller", "mro", "overload", "get_overloads", "clear_overloads"))
_Py_TPFLAGS_IMMUTABLETYPE = 1 << 8


class _ReuseGate(object):
    """The worker's static check of the code a reusable loader may run (see
    the module docstring).  ok(source) is cached per source text."""

    MAX_ENTRIES = 8192
    MAX_SOURCE = 32 << 10

    def __init__(self):
        self.modules = frozenset(m for m in _REUSE_MODULES if m in sys.modules)
        denied = set(_REUSE_DENIED_ATTRS)
        # Public attributes of allowed modules that are other modules
        # (typing.sys, re.enum) or mutable containers lead out of the list.
        for name in self.modules:
            for attr, value in list(vars(sys.modules[name]).items()):
                if attr.startswith("_"):
                    continue
                if type(value) is type(sys):
                    if value.__name__ not in self.modules:
                        denied.add(attr)
                elif type(value) in (list, dict, set, bytearray):
                    denied.add(attr)
        for module in [builtins] + [sys.modules[name] for name in self.modules]:
            denied.update(attr for attr in vars(module) if not attr.strip("_"))
        self.denied_attrs = frozenset(denied)
        self.cache = {}
        self.names = {}           # co_names entry -> allowed (code_ok)
        # The IMPORT_NAME and EXTENDED_ARG opcodes, checked on a sample
        # (3.11: 2-byte code units); None turns the code check off.
        self.import_op = self.extended_op = None
        try:
            import opcode
            sample = _compile("import math", "<gate>", "exec", dont_inherit=True)
            ops, args = sample.co_code[::2], sample.co_code[1::2]
            at = ops.find(opcode.opmap["IMPORT_NAME"])
            if at >= 0 and sample.co_names[args[at]] == "math":
                self.import_op = opcode.opmap["IMPORT_NAME"]
                self.extended_op = opcode.opmap["EXTENDED_ARG"]
        except Exception:
            pass

    def solution(self, source):
        """(the solution compiled, or None; whether it passes the gate).
        Compiled here (the loader then only loads it) and judged by its code
        objects: every name it loads, stores or imports and every attribute
        it touches is in some co_names, and IMPORT_NAME says which modules
        it imports.  A source that warns while compiling goes to the loader
        as source (its warnings show in the load as before) and is judged by
        its syntax tree; one that does not compile never runs."""
        if type(source) is not str or len(source) > self.MAX_SOURCE:
            return None, False
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                code = _compile(source, _SOLUTION_FILE, "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            return None, True
        except Exception:         # RecursionError, MemoryError, ...
            return None, False
        if caught:
            return None, self.ok(source)
        return code, self.code_ok(code)

    def code_ok(self, code):
        if self.import_op is None:
            return False
        names = self.names
        stack = [code]
        while stack:
            code = stack.pop()
            co_names = code.co_names
            for name in co_names:
                verdict = names.get(name)
                if verdict is None:
                    verdict = names[name] = self._name_ok(name)
                if not verdict:
                    return False
            raw = code.co_code
            ops, args = raw[::2], raw[1::2]
            at = ops.find(self.import_op)
            while at >= 0:
                arg, back, shift = args[at], at - 1, 8
                while back >= 0 and ops[back] == self.extended_op:
                    arg |= args[back] << shift
                    back, shift = back - 1, shift + 8
                if arg >= len(co_names) or co_names[arg] not in self.modules:
                    return False
                at = ops.find(self.import_op, at + 1)
            for const in code.co_consts:
                if type(const) is _CodeType:
                    stack.append(const)
        return True

    def _name_ok(self, name):
        if name in _REUSE_DENIED_NAMES or name in self.denied_attrs:
            return False
        if name[:1] == "_" and name.strip("_"):
            return name in ("__name__", "__module__", "__qualname__", "__doc__")
        return True

    def ok(self, source):
        result = self.cache.get(source)
        if result is None:
            result = self._check(source)
            self._keep(source, result)
        return result

    def _keep(self, source, result):
        if len(self.cache) >= self.MAX_ENTRIES:
            self.cache.clear()
        self.cache[source] = result

    def seen(self, source, tree):
        """Judge a test from the syntax tree the worker's code cache parsed
        for it (_CodeCache.parsed): the same verdict as ok(source), one parse
        fewer."""
        if type(source) is str and source not in self.cache:
            self._keep(source, self._check_tree(tree))

    def _check(self, source):
        if type(source) is not str:
            return False
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(source)
        except (SyntaxError, ValueError):
            return True       # never runs: the loader's compile fails the same way
        except BaseException:
            return False
        return self._check_tree(tree)

    def _check_tree(self, tree):
        modules, denied_attrs = self.modules, self.denied_attrs
        # `import M` (or `from M import x`) of a module off the list passes when the
        # names it binds are never used (LLM tests often end in a stray `import
        # unittest`): binding a name in the test's own copy of the globals changes
        # nothing, and the import either finds M already imported (nothing runs) or
        # adds M to sys.modules, which the runtime check sees (that loader then ends
        # as before).  Relative and star imports still fail.
        import_only, used = set(), set()
        for node in _gate_nodes(tree):
            kind = type(node)
            if kind is ast.Name:
                name = node.id
                if name in _REUSE_DENIED_NAMES or name in denied_attrs or \
                        (name[:2] == "__" == name[-2:] and name.strip("_") and name != "__name__"):
                    return False
                used.add(name)
            elif kind is ast.Attribute:
                attr = node.attr
                # (An all-underscore attribute is a fill-in-the-blank placeholder:
                # `_____._____`; none of the allowed modules has one, see __init__.)
                if (attr.startswith("_") and attr.strip("_")) or attr in denied_attrs:
                    return False
            elif kind is ast.Import:
                for alias in node.names:
                    if alias.name not in modules:
                        import_only.add(alias.asname or alias.name.partition(".")[0])
            elif kind is ast.ImportFrom:
                if node.module not in modules and not node.level \
                        and all(alias.name != "*" for alias in node.names):
                    # Off the list, names never used: as for `import M` above.
                    import_only.update(alias.asname or alias.name for alias in node.names)
                    continue
                if node.level or node.module not in modules:
                    return False
                for alias in node.names:
                    if alias.name != "*" and (alias.name.startswith("_") or alias.name in denied_attrs):
                        return False
                    if node.module + "." + alias.name in sys.modules and \
                            node.module + "." + alias.name not in modules:
                        return False
            elif kind is ast.alias or kind is ast.keyword or kind is ast.arg:
                continue
        return not (import_only & used)


def _gate_nodes(tree):
    """Every node of `tree` but _AST_LEAVES, in no particular order (what
    ast.walk yields, without its per-node generator calls: the gate runs on
    every distinct test of a run)."""
    stack = [tree]
    pop, push, skip, node_type = stack.pop, stack.append, _AST_LEAVES, ast.AST
    while stack:
        node = pop()
        yield node
        for field in node._fields:
            value = getattr(node, field, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, node_type) and not isinstance(item, skip):
                        push(item)
            elif isinstance(value, node_type) and not isinstance(value, skip):
                push(value)


_value_of = operator.attrgetter("value")
_CodeType = type(_compile("pass", "<gate>", "exec"))


class _ReuseWatch(object):
    """Version-tag views of the dicts gated code could change (see the module
    docstring), made once in the worker so every loader inherits them.
    snapshot() in a loader before its first job, clean() after each."""

    def __init__(self, gate):
        self.views = []
        if _dict_version is None:
            self.views = None
            return
        seen = set()
        dicts = []

        def watch(d):
            if type(d) is dict and id(d) not in seen:
                seen.add(id(d))
                dicts.append(d)
                self.views.append(_dict_version(d))

        for name, module in list(sys.modules.items()):
            # sys (stdout swapped per test), the harness's own __main__ and
            # warnings (catch_warnings around the harness's compiles rebinds
            # and restores its attributes) change all the time, and are out
            # of gated code's reach.
            if name in ("sys", "__main__", "warnings") or type(module) is not type(sys):
                continue
            watch(module.__dict__)
        watch(builtins.__dict__)
        for name in gate.modules:
            for value in list(vars(sys.modules[name]).values()):
                if isinstance(value, type):
                    if not type.__dict__["__flags__"].__get__(value) & _Py_TPFLAGS_IMMUTABLETYPE:
                        for inner in gc.get_referents(_dict_of(value)):
                            watch(inner)
                            # ... and the dicts of its functions, properties, ...
                            for member in list(inner.values()) if type(inner) is dict else ():
                                try:
                                    watch(object.__getattribute__(member, "__dict__"))
                                except Exception:
                                    pass
                elif type(value) is not type(sys):
                    try:
                        watch(object.__getattribute__(value, "__dict__"))
                    except Exception:
                        pass
        # Held, so no watched dict is freed and its address reused while watched.
        self.dicts = dicts
        self.read = _bulk_reader(self.views)
        self.values = None
        self.modules = None
        self.token = None

    def snapshot(self):
        """The loader's state before its first job.  False when reuse is not
        possible here."""
        if self.views is None:
            return False
        self.values = self.read()
        self.modules = dict(sys.modules)
        self.modules.pop(SOLUTION_MODULE, None)
        self.token = _abc_token()
        self.recursion = _getrecursionlimit()
        return True

    def clean(self, leftovers):
        """After a job: drop the solution, collect its garbage, and say
        whether everything watched is as snapshot() saw it."""
        if self.values is None:
            return False
        modules = sys.modules
        modules.pop(SOLUTION_MODULE, None)
        modules["__main__"] = self.modules.get("__main__")
        _STATE.untrusted = _STATE.last_fail = None
        # typing's caches may hold the solution's classes (List[MyClass]).
        for clear in getattr(modules.get("typing"), "_cleanups", ()):
            clear()
        gc.collect()
        if gc.garbage or leftovers.dirty():
            return False
        if len(modules) != len(self.modules):
            return False
        for name, module in self.modules.items():
            if modules.get(name) is not module:
                return False
        if not (self.read() == self.values
                and _abc_token() == self.token and _getrecursionlimit() == self.recursion
                and _reset_peak_rss()):
            return False
        # What survived is the loader's own state: out of the next job's
        # collections (the worker froze its heap before the fork the same way).
        if _gc_freeze is not None:
            _gc_freeze()
        return True


def _bulk_reader(views):
    """A function reading every view's version tag at once: ~1,000 tags, one
    ctypes .value each, cost ~110 us a job; one struct.unpack_from per
    cluster of addresses, whose format skips the bytes between the tags
    ("<gap>x" reads nothing), ~35 us.  Falls back to the per-view reads.
    The tags read are exactly the views' (checked here, once)."""
    def each():
        return list(map(_value_of, views))
    try:
        addresses = sorted(set(ctypes.addressof(view) for view in views))
        if len(addresses) != len(views):
            return each
        clusters, fmt, start, pos = [], [], None, None
        for address in addresses + [None]:
            # A new cluster after a gap of over 16 MiB (or at the end): each
            # buffer spans only its own cluster's addresses.
            if start is not None and (address is None or address - pos > (16 << 20)):
                unpack = struct.Struct("=" + "".join(fmt)).unpack_from
                clusters.append((unpack, (ctypes.c_char * (pos - start)).from_address(start)))
                fmt, start = [], None
            if address is None:
                break
            if start is None:
                start = pos = address
            if address > pos:
                fmt.append("%dx" % (address - pos))
            fmt.append("Q")
            pos = address + 8
        # Same order as the views' (sorted by address), so compare as sorted.
        by_address = [value for _, value in sorted((ctypes.addressof(view), view.value) for view in views)]

        def bulk():
            return [unpack(buffer) for unpack, buffer in clusters]
        if [v for part in bulk() for v in part] != by_address:
            return each
        return bulk
    except Exception:
        return each


def _reset_peak_rss():
    """Start the process's peak RSS again from its current RSS (Linux >= 4.0):
    the next job's max_rss_kb, and the worker's memory-or-crash call on a
    killed loader (ru_maxrss), then see that job's peak, as in a fresh loader."""
    try:
        fd = _os_open("/proc/self/clear_refs", os.O_WRONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        return _write(fd, b"5") == 1
    except OSError:
        return False
    finally:
        _close(fd)


def _abc_token():
    try:
        return sys.modules["abc"].get_cache_token()
    except Exception:
        return None


# <standalone>
__all__ = [_n for _n in list(globals()) if not _n.startswith("__")]
# </standalone>
