"""Unit tests of the trusted comparison (Harness/harness_compare.py), imported
directly: no worker, no loader.  What the rewritten asserts of a test may and
may not evaluate.

Run from the package root:  python3 -m unittest discover -s Tests/harness
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness_source  # noqa: E402

sys.path.insert(0, harness_source.HARNESS_DIR)
import harness_common as common  # noqa: E402
import harness_compare as compare  # noqa: E402

SOLUTION = common.SOLUTION_MODULE


def solution_class(name, bases=(object,), **namespace):
    """A class as the solution would define it (its __module__ says so)."""
    namespace["__module__"] = SOLUTION
    return type(name, bases, namespace)


AlwaysEqual = solution_class("AlwaysEqual", __eq__=lambda self, other: True, __hash__=lambda self: 0)
LyingInt = solution_class("LyingInt", (int,), __eq__=lambda self, other: True)
LyingList = solution_class("LyingList", (list,), __iter__=lambda self: iter(()))
PlainList = solution_class("PlainList", (list,))
Point = solution_class("Point")
Truthy = solution_class("Truthy", __bool__=lambda self: True)


class LibraryValue(object):
    """A class of library code (trusted) whose comparison returns a solution's object."""
    def __eq__(self, other):
        return Truthy()


class CompareTests(unittest.TestCase):
    def setUp(self):
        common._STATE.untrusted = None
        common._STATE.last_fail = None

    def refused(self, left, op, right):
        with self.assertRaises(common._Untrusted) as caught:
            compare._compare(left, op, right)
        return caught.exception.args[0]

    def test_builtin_values_compare_as_python_does(self):
        self.assertTrue(compare._compare([1, (2, "a")], "Eq", [1, (2, "a")]))
        self.assertFalse(compare._compare({"a": {1, 2}}, "Eq", {"a": {1, 3}}))
        self.assertTrue(compare._compare(2, "In", [1, 2, 3]))
        self.assertTrue(compare._compare(1.5, "Lt", 2))
        self.assertTrue(compare._compare(None, "Is", None))

    def test_always_equal_object_is_refused(self):
        self.assertIn("AlwaysEqual defines its own __eq__", self.refused(AlwaysEqual(), "Eq", 3))
        self.assertIn("AlwaysEqual", common._STATE.untrusted)

    def test_refused_even_when_hidden_in_containers(self):
        self.assertIn("AlwaysEqual", self.refused([1, {"k": (2, AlwaysEqual())}], "Eq", [1, {"k": (2, 3)}]))
        self.assertIn("AlwaysEqual", self.refused(3, "In", {AlwaysEqual(): 1}))

    def test_lying_builtin_subclasses_are_refused(self):
        self.assertIn("LyingInt defines its own __eq__", self.refused(LyingInt(1), "Eq", 2))
        self.assertIn("__iter__", self.refused(LyingList([1]), "Eq", []))

    def test_elements_are_read_through_the_builtin_base(self):
        # A list subclass without its own dunders is trusted, but what it holds is checked.
        self.assertTrue(compare._compare(PlainList([1, 2]), "Eq", [1, 2]))
        self.assertIn("AlwaysEqual", self.refused(PlainList([AlwaysEqual()]), "Eq", [1]))

    def test_solution_classes_without_comparison_dunders_compare_by_identity(self):
        p = Point()
        self.assertTrue(compare._compare(p, "Eq", p))
        self.assertFalse(compare._compare(Point(), "Eq", Point()))

    def test_comparison_must_return_a_real_bool(self):
        self.assertIn("comparison returned Truthy, not bool", self.refused(LibraryValue(), "Eq", 1))

    def test_identity_is_always_evaluated(self):
        x = AlwaysEqual()
        self.assertTrue(compare._compare(x, "Is", x))
        self.assertTrue(compare._compare(x, "IsNot", AlwaysEqual()))

    def test_metaclass_cannot_hide_a_dunder(self):
        Meta = solution_class("Meta", (type,), __dict__=property(lambda cls: {}),
                              __mro__=property(lambda cls: (object,)))
        Sneaky = Meta("Sneaky", (object,), {"__module__": SOLUTION, "__eq__": lambda s, o: True})
        self.assertIn("Sneaky defines its own __eq__", self.refused(Sneaky(), "Eq", 1))

    def test_depth_and_size_are_capped(self):
        deep = []
        for _ in range(compare._MAX_DEPTH + 5):
            deep = [deep, Point()]
        self.assertIn("nested too deeply", self.refused(deep, "Eq", []))

    def test_flat_sequences_of_exact_builtin_scalars_only_take_the_fast_path(self):
        # (A list or tuple of exact builtin scalars skips the walk; anything else in it does not.)
        self.assertTrue(compare._compare((1, "a", 2.5, None, True), "Eq", (1, "a", 2.5, None, True)))
        self.assertIn("LyingInt", self.refused((1, LyingInt(2)), "Eq", (1, 2)))
        self.assertIn("LyingInt", self.refused([1, [LyingInt(2)]], "Eq", [1, [2]]))
        self.assertIn("__iter__", self.refused(LyingList([1]), "Eq", [1]))
        saved = compare._MAX_ITEMS
        compare._MAX_ITEMS = 3
        try:
            self.assertIn("too large", self.refused([1, 2, 3, 4], "Eq", []))
            self.assertIn("too large", self.refused((1, 2, 3, 4), "Eq", ()))
        finally:
            compare._MAX_ITEMS = saved

    def test_equality_of_plain_values_is_what_python_says_and_records_the_failure(self):
        # (== between exact builtin scalars or flat lists/tuples of them takes a fast path.)
        pairs = [(1, 1), (1, 1.0), (True, 1), (2, 3), ("a", "a"), ("a", b"a"), (None, None), (None, []),
                 ([1, 2], [1, 2]), ([1, 2], [1, 3]), ([1, 2], (1, 2)), ((1, "x"), (1, "x")), ([], []),
                 ([1, [2]], [1, [2]]), ([1, [2]], [1, [3]]), ({1: 2}, {1: 2}), (float("nan"), float("nan")),
                 (int, int), (int, str)]
        for left, right in pairs:
            common._STATE.last_fail = "unset"
            result = compare._compare(left, "Eq", right, True)
            self.assertIs(result, left == right, (left, right))
            self.assertEqual(common._STATE.last_fail, None if result else (left, "Eq", right), (left, right))
            common._STATE.last_fail = "unset"
            self.assertIs(compare._compare(left, "Eq", right), left == right)
            self.assertEqual(common._STATE.last_fail, "unset", "only a top-level comparison records its operands")
        self.assertIn("AlwaysEqual", self.refused([1, AlwaysEqual()], "Eq", [1, 2]))
        self.assertIn("LyingInt", self.refused(3, "Eq", LyingInt(3)))

    def test_failure_message_values_read_as_reprlib_shows_them(self):
        # _safe_repr's fast paths must give reprlib's text exactly.
        values = [0, -7, 10 ** 59, 10 ** 60, 10 ** 100, 1.5, float("inf"), 1e300, True, None, "",
                  "a'b\"c", "x" * 57, "x" * 58, "x" * 59, "x" * 100, "\u00e9\n" * 20,
                  [], (), [1], (1,), ("a",), [1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6, 7], (1, 2, 3, 4, 5, 6, 7),
                  [10 ** 70, 1], ["x" * 100], [1, [2, 3]], [1, (2,)], [None, True, 2.0, "s"], {1: 2}, {1, 2},
                  [Point()], (LyingInt(3),), list(range(100)), tuple("abcdefgh"),
                  ["x" * 56], ["x" * 57], ["x" * 58], ("x" * 55,), ("x" * 56,), ("x" * 57,),
                  ["a" * 25, "b" * 25], ["a" * 26, "b" * 26], [1.5, None, False, "q", 10 ** 40, -3],
                  [10 ** 59], [10 ** 60], (10 ** 60,), [-(10 ** 59)]]
        for value in values:
            self.assertEqual(compare._safe_repr(value), compare._repr.repr(value), repr(value)[:80])

    def test_chained_comparison_keeps_short_circuiting(self):
        def boom():
            raise AssertionError("evaluated")
        self.assertFalse(compare._compare_chain(2, ("Lt", "Lt"), 1, (boom,), True))
        self.assertTrue(compare._compare_chain(1, ("Lt", "Lt"), 2, (lambda: 3,), True))


class RewriteTests(unittest.TestCase):
    def run_test(self, source, namespace=None):
        code = compare._compile_test(source)
        scope = dict(namespace or {})
        scope.update(compare._HELPERS)
        common._STATE.untrusted = common._STATE.last_fail = None
        exec(code, scope)

    def test_assert_comparisons_go_through_the_trusted_compare(self):
        self.run_test("assert [1, 2] == [1, 2] and 3 in {3}")
        with self.assertRaises(common._Untrusted):
            self.run_test("assert f() == 3", {"f": AlwaysEqual})

    def test_failed_assert_says_what_was_compared(self):
        with self.assertRaises(AssertionError) as caught:
            self.run_test("assert f(1) == 3", {"f": lambda x: x + 1})
        self.assertEqual(str(caught.exception), "assert 2 == 3")

    def test_own_assert_message_is_kept(self):
        with self.assertRaises(AssertionError) as caught:
            self.run_test("assert 1 == 2, 'mine'")
        self.assertEqual(str(caught.exception), "mine")

    def test_comparisons_outside_asserts_are_left_alone(self):
        # Documented limit: only asserts are rewritten.
        self.run_test("x = (f() == 3)\nassert x is True", {"f": AlwaysEqual})

    def test_syntax_error_is_the_tests_own(self):
        with self.assertRaises(SyntaxError):
            compare._compile_test("assert (")


if __name__ == "__main__":
    unittest.main()
