"""pass@1 of HumanEval-style completions, computed independently of codedpo.

Usage: humaneval_pass_at_1.py FILE   (AgentCoder's JSON list: task_id, prompt, entry_point,
test, completion_list). For every non-empty completion (codedpo's import does not keep empty
ones), the program is the completion when it defines the entry point, else prompt +
completion, exactly as AgentCoder runs it; it runs in a fresh interpreter followed by
HumanEval's own `check(entry_point)`, with a 10 s limit. A completion is correct when that
process exits 0. Prints JSON: {"pass_at_1", "pass_at_1_empty_failing", "problems", "correct":
{task_id: [c, n]}}.
"""

import json
import subprocess
import sys


def main(path):
    records = json.load(open(path))
    correct = {}
    with_empty = []
    for record in records:
        entry = record['entry_point'].strip()
        c = n = 0
        for completion in record['completion_list']:
            if not completion.strip():
                continue
            program = completion if ('def ' + entry) in completion else record['prompt'] + completion
            program += '\n\n' + record['test'] + '\n\ncheck(%s)\n' % entry
            try:
                done = subprocess.run([sys.executable, '-c', program], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, timeout=10)
                ok = done.returncode == 0
            except subprocess.TimeoutExpired:
                ok = False
            n += 1
            c += ok
        correct[record['task_id']] = [c, n]
        with_empty.append(c / len(record['completion_list']))
    values = [c / n for c, n in correct.values() if n > 0]
    print(json.dumps({'pass_at_1': sum(values) / len(values), 'problems': len(values),
                      'pass_at_1_empty_failing': sum(with_empty) / len(with_empty), 'correct': correct}))


if __name__ == '__main__':
    main(sys.argv[1])
