"""examples/code_reward.py: a correct completion earns 1, a wrong one its share, a looping or
exiting one nothing, in each trainer's calling convention."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples"))
import code_reward  # noqa: E402

TESTS = ["assert add(1, 2) == 3", "assert add(0, 0) == 0", "assert add(-1, 1) == 0", "assert add(2, 2) == 4"]
CORRECT = [{"role": "assistant", "content": "Here it is:\n```python\ndef add(a, b):\n    return a + b\n```"}]
WRONG = [{"role": "assistant", "content": "```python\ndef add(a, b):\n    return a * b\n```"}]


class CodeRewardTests(unittest.TestCase):
    def test_trl_grpo_correct_and_wrong(self):
        rewards = code_reward.code_reward(completions=[CORRECT, WRONG], tests=[TESTS, TESTS], entry_point=["add", "add"])
        # a * b is right for add(0, 0) and add(2, 2) only.
        self.assertEqual(rewards, [1.0, 0.5])

    def test_plain_string_completion_and_no_fence(self):
        self.assertEqual(code_reward.code_reward(["def add(a, b):\n    return a + b\n"], [TESTS[:1]]), [1.0])

    def test_exit_before_the_test_and_endless_loop_fail(self):
        exiting = "import os\ndef add(a, b):\n    return 0\nos._exit(0)\n"
        self.assertEqual(code_reward.pass_share(exiting, TESTS), 0.0)
        self.assertEqual(code_reward.pass_share("def add(a, b):\n    return 0\nexit()\n", TESTS[:1]), 0.0)
        self.assertFalse(code_reward.run_test("def add(a, b):\n    while True: pass\n", TESTS[0], timeout=1.0))

    def test_verl_and_openrlhf_conventions(self):
        truth = json.dumps({"assert_case": TESTS, "inputs": [[1, 2]], "outputs": [3], "fn_name": "add"})
        self.assertEqual(code_reward.compute_score("codedpo", CORRECT[0]["content"], truth), 1.0)
        self.assertEqual(code_reward.compute_score("codedpo", WRONG[0]["content"], truth), 0.5)
        label = json.dumps({"tests": TESTS[:2], "entry_point": "add"})
        prompt = "Complete add."
        self.assertEqual(code_reward.reward_func([prompt + WRONG[0]["content"]], [prompt], [label]), [0.5])


if __name__ == "__main__":
    unittest.main()
