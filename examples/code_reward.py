"""Reward functions for the RL exports of codedpo (verifiable rewards from trusted tests).

The share of a row's tests a completion passes, each test run in its own Python process
with a timeout:

  TRL GRPOTrainer    code_reward(completions, tests, **kwargs)       (codedpo export --format grpo)
                     GRPOTrainer(..., reward_funcs=[code_reward], train_dataset=load_dataset(
                         "json", data_files="grpo.jsonl", split="train"))
  verl               compute_score(data_source, solution_str, ground_truth, extra_info=None)
                     (--format verl; custom_reward_function.path=examples/code_reward.py,
                      custom_reward_function.name=compute_score)
  OpenRLHF PPO       reward_func(queries, prompts, labels)            (--format openrlhf-rl;
                     --remote_rm_url examples/code_reward.py --label_key label --input_key input)

The code is the last ```python block of the answer (the instruction asks for one), else the
whole answer. A test passes when its process runs the code and then the test, prints a token
it was given, and exits 0: code that calls exit() or os._exit(0) before the test ran does not
pass. This is an example, not a sandbox: for untrusted models at scale run the tests in an
isolated sandbox (verl's sandbox fusion, a container), with memory and process limits.
"""
import json
import os
import re
import secrets
import subprocess
import sys

TIMEOUT_SECONDS = 5.0

# Runs in the child: the program, then the test, then the token on the last line.
_DRIVER = r"""
import json, sys
payload = json.loads(sys.stdin.read())
token = payload.pop("token")
namespace = {"__name__": "__main__"}
exec(compile(payload["code"], "<completion>", "exec"), namespace)
exec(compile(payload["test"], "<test>", "exec"), namespace)
sys.stdout.write("\n" + token + "\n")
sys.stdout.flush()
"""

_FENCE = re.compile(r"```(?:python|py)?[ \t]*\n(.*?)```", re.DOTALL)


def extract_code(completion):
    """The program in an answer: a string, or a list of chat messages (the last one's content)."""
    if isinstance(completion, list):
        completion = completion[-1]["content"] if completion else ""
    blocks = _FENCE.findall(completion or "")
    return blocks[-1] if blocks else (completion or "")


def run_test(code, test, timeout=TIMEOUT_SECONDS, python=sys.executable):
    """True when `test` passes after `code` in a fresh process within `timeout` seconds."""
    token = secrets.token_hex(16)
    payload = json.dumps({"code": code, "test": test, "token": token})
    try:
        result = subprocess.run([python, "-I", "-c", _DRIVER], input=payload, capture_output=True, text=True,
                                timeout=timeout, env={"PATH": os.environ.get("PATH", "")})
    except subprocess.TimeoutExpired:
        return False
    lines = result.stdout.rstrip("\n").split("\n")
    return result.returncode == 0 and lines[-1] == token


def pass_share(code, tests, timeout=TIMEOUT_SECONDS):
    """The share (0-1) of tests the code passes; 0 without tests."""
    if not tests:
        return 0.0
    return sum(run_test(code, test, timeout) for test in tests) / len(tests)


def code_reward(completions, tests, **kwargs):
    """TRL GRPO: one reward per completion; `tests` is the rows' tests column."""
    return [pass_share(extract_code(completion), row_tests) for completion, row_tests in zip(completions, tests)]


def compute_score(data_source, solution_str, ground_truth, extra_info=None):
    """verl: ground_truth is the JSON text codedpo wrote ({"assert_case": [...], ...})."""
    truth = json.loads(ground_truth) if isinstance(ground_truth, str) else ground_truth
    return pass_share(extract_code(solution_str), truth.get("assert_case", []))


def reward_func(queries, prompts, labels):
    """OpenRLHF: a query is the prompt followed by the response; a label is JSON text with tests."""
    rewards = []
    for query, prompt, label in zip(queries, prompts, labels):
        response = query[len(prompt):] if query.startswith(prompt) else query
        rewards.append(pass_share(extract_code(response), json.loads(label).get("tests", [])))
    return rewards
