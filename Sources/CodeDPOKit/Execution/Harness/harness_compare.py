"""codedpo harness: trusted comparisons.

Every comparison inside a test's assert is rewritten (AST) into a call of
_compare, which evaluates it only when both operands are trusted (builtin
scalars and containers, or classes the solution/test did not define), and
records the operands of a failed top-level assert for its message.
"""

# <standalone> (dropped when the modules are joined into one source; see harness_worker.py)
from harness_common import *  # noqa: F401,F403
# </standalone>


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


def _plain(value):
    """An exact builtin scalar, or a list or tuple of them (within
    _MAX_ITEMS): exact types, so nothing of the solution's can be inside,
    and `==` between two such values gives a bool.  The operands of most
    comparisons in generated tests."""
    t = type(value)
    return t in _SCALAR_TYPES or ((t is list or t is tuple) and len(value) <= _MAX_ITEMS
                                  and _SCALAR_TYPES.issuperset(map(type, value)))


def _check_trusted(value):
    """Raise _Untrusted unless every object reachable through builtin
    containers in `value` compares with trusted code."""
    # Fast path: the same answer as the walk below, without its stack,
    # seen-set and per-type table (about half the CPU of a typical test).
    if _plain(value):
        return
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
    if op == "Eq" and _plain(left) and _plain(right):
        # Fast path (most comparisons of generated tests): the general path
        # below without its calls and checks.
        result = left == right
        if top:
            _STATE.last_fail = None if result else (left, op, right)
        return result
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


# Builtin scalars whose repr() reprlib keeps as it is when it is short: the
# smallest limit above (maxlong, 60) cuts none of them.
_PLAIN_REPR = frozenset((int, float, bool, str, type(None)))


def _safe_repr(value):
    # Fast paths, the same text as _repr.repr (a test compares them): a short
    # builtin scalar, or a list or tuple of them (reprlib shows its first 6
    # items, then "...").  Most failed asserts of generated tests compare
    # such values, and reprlib's generic walk costs more than the test.
    t = type(value)
    if t in _PLAIN_REPR:
        text = repr(value)
        if len(text) <= 60:
            return text
    elif t is list or t is tuple:
        if len(value) <= 6 and _PLAIN_REPR.issuperset(map(type, value)):
            # Each item's repr is at most the whole one's minus its brackets:
            # within 60, the pieces below would make this very text.
            text = repr(value)
            if len(text) <= 62:
                return text
        pieces = []
        for item in itertools.islice(value, 6):
            if type(item) not in _PLAIN_REPR:
                break
            text = repr(item)
            if len(text) > 60:
                break
            pieces.append(text)
        else:
            if len(value) > 6:
                pieces.append("...")
            if t is list:
                return "[" + ", ".join(pieces) + "]"
            return "(" + ", ".join(pieces) + ("," if len(value) == 1 else "") + ")"
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


def _at(node, where):
    """`node` with the source position of `where` (compile() needs one on
    every new expression node; ast.fix_missing_locations would walk the whole
    tree for it)."""
    node.lineno = where.lineno
    node.col_offset = where.col_offset
    node.end_lineno = getattr(where, "end_lineno", None)
    node.end_col_offset = getattr(where, "end_col_offset", None)
    return node


def _compare_call(node, lazy, top):
    """The call of _compare / _compare_chain replacing Compare `node` (its
    operands already rewritten)."""
    ops = [type(o).__name__ for o in node.ops]
    if len(ops) == 1:
        args = [node.left, _at(ast.Constant(value=ops[0]), node),
                node.comparators[0], _at(ast.Constant(value=top), node)]
        name = "__codedpo_cmp__"
    else:
        rest = [_at(ast.Lambda(args=_no_args(), body=c), node) if lazy else c
                for c in node.comparators[1:]]
        args = [node.left,
                _at(ast.Tuple(elts=[_at(ast.Constant(value=o), node) for o in ops], ctx=ast.Load()), node),
                node.comparators[0],
                _at(ast.Tuple(elts=rest, ctx=ast.Load()), node),
                _at(ast.Constant(value=lazy), node), _at(ast.Constant(value=top), node)]
        name = "__codedpo_chain__"
    return _at(ast.Call(func=_at(ast.Name(id=name, ctx=ast.Load()), node), args=args, keywords=[]), node)


# Nodes that hold no expression to rewrite: skipped without a look inside.
_LEAF_NODES = _AST_LEAVES + (ast.Name, ast.alias)


def _rewrite_compares(node, lazy, top=False):
    """`node` with every comparison inside it (depth first, the operands
    before the comparison holding them) replaced by a trusted-compare call;
    top: `node` is the test of an assert (its failure records the operands)."""
    if isinstance(node, _LEAF_NODES):
        return node
    for field in node._fields:
        value = getattr(node, field, None)
        if type(value) is list:
            for i, item in enumerate(value):
                if isinstance(item, ast.AST):
                    value[i] = _rewrite_compares(item, lazy)
        elif isinstance(value, ast.AST):
            setattr(node, field, _rewrite_compares(value, lazy))
    if type(node) is ast.Compare:
        return _compare_call(node, lazy, top)
    return node


def _rewrite_asserts(node, lazy):
    """Every assert statement in `node` (a module, or any statement inside
    it): its comparisons go through the trusted compare, and one without a
    message of its own says what was compared when it fails."""
    if isinstance(node, _LEAF_NODES) or isinstance(node, ast.expr):
        return     # (an assert is a statement: none inside an expression)
    if type(node) is ast.Assert:
        if type(node.test) is ast.Compare and node.msg is None:
            # Evaluated only when the assert fails, right after the
            # comparison recorded its operands.
            node.msg = _at(ast.Call(func=_at(ast.Name(id="__codedpo_why__", ctx=ast.Load()), node),
                                    args=[], keywords=[]), node)
        node.test = _rewrite_compares(node.test, lazy, top=type(node.test) is ast.Compare)
        return
    for field in node._fields:
        value = getattr(node, field, None)
        if type(value) is list:
            for item in value:
                if isinstance(item, ast.AST):
                    _rewrite_asserts(item, lazy)
        elif isinstance(value, ast.AST):
            _rewrite_asserts(value, lazy)


def _compile_test(source, parsed=None):
    """Compile a test with its assert comparisons routed through _compare.
    Lazy thunks keep chained comparisons short-circuiting; where a lambda is
    not allowed (await, ...) fall back to eager operands; a test that does
    not compile at all reports the original SyntaxError.  parsed(tree), if
    given, sees the syntax tree as parsed, before the rewrite."""
    for lazy in (True, False):
        try:
            tree = ast.parse(source, _TEST_FILE, "exec")
        except SyntaxError:
            break
        if parsed is not None and lazy:
            parsed(tree)
        _rewrite_asserts(tree, lazy)
        try:
            return _compile(tree, _TEST_FILE, "exec", dont_inherit=True)
        except SyntaxError:
            continue
    return _compile(source, _TEST_FILE, "exec", dont_inherit=True)


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
        # parsed(source, tree): shown every new test's syntax tree before the rewrite
        # (the worker's reuse gate judges it there instead of parsing it again).
        self.parsed = None

    def _compile(self, source):
        parsed = self.parsed
        return _compile_test(source, None if parsed is None else (lambda tree: parsed(source, tree)))

    def get(self, source):
        """(code or None, serial) for a test's source."""
        codes = self.codes
        entry = codes.pop(source, None)
        if entry is None:
            self.serial += 1
            entry = (_compile_quietly(self._compile, source, self.MAX_SOURCE), self.serial)
            if len(codes) >= self.MAX_ENTRIES:
                del codes[next(iter(codes))]     # least recently used
        codes[source] = entry
        return entry


_CODE_CACHE = _CodeCache()


# <standalone>
__all__ = [_n for _n in list(globals()) if not _n.startswith("__")]
# </standalone>
