#!/usr/bin/env python3
"""Independent reference counts for the codedpo importer.

Reads the raw benchmark files under the shared data folder (never copies
them) and prints ONE JSON object with the numbers the Swift importer is
expected to reproduce.  Standard library only, Python 3.8+.

    python3 Tests/Reference/reference_counts.py [--data DIR]

Default DIR is <project root>/../shared/data, where the project root is the
parent of this script's parent's parent (Tests/Reference/ -> project root).

Rules (copied from CodeT's postprocess.py where they concern CodeT data):

* normalize(text): "\\r\\n" and "\\r" -> "\\n"; strip trailing spaces and
  tabs on every line; drop leading and trailing blank lines; join with "\\n"
  and add one final "\\n".  Equal normalized forms = same item; an empty
  normalized form is not counted.
* Ground-truth tests of a `def check(candidate)` function: walk the
  top-level statements of check's body.  An `assert` mentioning one of the
  "subject names" (HumanEval: `candidate`; MBPP: `candidate` or the entry
  point) is one test; a for/while/if/with/try statement containing an assert
  anywhere is one test; anything else is setup.  Zero tests -> 1 whole test.
  Computed twice (ast, and a line-based scanner that never imports ast); the
  script aborts if the two disagree on any problem.
* CodeT solutions: completion = sample cut before the earliest STOP_TOKEN;
  program = prompt + completion.
* CodeT tests: CodeT's test_case_extract, then at most 5 per sample.
* AgentCoder: see agentcoder_counts() for the rules chosen after inspecting
  the file (mixed completions; test blocks split one assert per line).
"""

import argparse
import ast
import gzip
import json
import os
import re
import sys
import warnings
from collections import Counter
from pathlib import Path

STOP_TOKEN = ['\nclass', '\ndef', '\n#', '\nif', '\nprint']
CODET_TESTS_PER_SAMPLE = 5
COMPOUND_KEYWORDS = ('for', 'while', 'if', 'with', 'try')
# continuation keywords of a compound statement at the same indentation
CLAUSE_KEYWORDS = ('elif', 'else', 'except', 'finally')

FILES = {
    'humaneval': 'humaneval/HumanEval.jsonl.gz',
    'humanevalplus': 'evalplus/HumanEvalPlus.jsonl.gz',
    'mbppplus': 'evalplus/MbppPlus.jsonl.gz',
    'codet_gen': 'codet/HumanEval_for_code_generation.jsonl',
    'codet_tc': 'codet/HumanEval_for_test_case_generation.jsonl',
    'codet_solutions': 'codet/HumanEval_codegen16B_temp0.8_topp0.95_num100_max300_code_solution.tasks0-81.jsonl',
    'codet_tests': 'codet/HumanEval_codegen16B_temp0.8_topp0.95_num100_max300_test_case.tasks0-81.jsonl',
    'mbpp': 'codet/mbpp_sanitized_for_code_generation.jsonl',
    'agentcoder': 'agentcoder/gpt-3.5-turbo-1106.json',
}


class ReferenceError_(Exception):
    pass


def fail(msg):
    sys.stderr.write('reference_counts.py: ERROR: %s\n' % msg)
    sys.exit(2)


# --------------------------------------------------------------------------
# loading

def load_jsonl(path):
    opener = gzip.open if str(path).endswith('.gz') else open
    rows = []
    with opener(path, 'rt', encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except ValueError as e:
                    raise ReferenceError_('%s line %d: bad JSON (%s)' % (path, n, e))
    return rows


def key_unique(rows, key, what):
    out = {}
    for r in rows:
        k = r[key]
        if k in out:
            raise ReferenceError_('%s: duplicate %s %r' % (what, key, k[:80]))
        out[k] = r
    return out


def task_sort_key(task_id):
    head, _, num = task_id.rpartition('/')
    try:
        return (head, int(num), '')
    except ValueError:
        return (head, -1, num)


# --------------------------------------------------------------------------
# normalization

def normalize(text):
    text = text.replace('\r\n', '\n').replace('\r', '\n')
    lines = [line.rstrip(' \t') for line in text.split('\n')]
    while lines and lines[0] == '':
        lines.pop(0)
    while lines and lines[-1] == '':
        lines.pop()
    if not lines:
        return ''
    return '\n'.join(lines) + '\n'


def cut_at_stop_token(text):
    # earliest occurrence of any stop token (== CodeT's sequential split)
    cut = len(text)
    for tok in STOP_TOKEN:
        i = text.find(tok)
        if i != -1 and i < cut:
            cut = i
    return text[:cut]


# --------------------------------------------------------------------------
# ground-truth test counting, method 1: ast

def find_check_ast(source):
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == 'check':
            args = [a.arg for a in node.args.args]
            if args == ['candidate']:
                return node
    return None


def names_in(node):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def count_tests_ast(source, subject_names):
    """Returns (n_tests, skipped_asserts) from the top-level statements of
    check's body.  n_tests may be 0 (caller applies the whole-test rule)."""
    check = find_check_ast(source)
    if check is None:
        raise ReferenceError_('no def check(candidate)')
    compound = (ast.For, ast.AsyncFor, ast.While, ast.If, ast.With,
                ast.AsyncWith, ast.Try)
    if hasattr(ast, 'TryStar'):
        compound = compound + (ast.TryStar,)
    n = 0
    skipped = 0
    for stmt in check.body:
        if isinstance(stmt, ast.Assert):
            if names_in(stmt) & set(subject_names):
                n += 1
            else:
                skipped += 1
        elif isinstance(stmt, compound):
            if any(isinstance(x, ast.Assert) for x in ast.walk(stmt)):
                n += 1
    return n, skipped


def count_module_asserts_ast(source, subject_names):
    """Top-level asserts of a whole module (MBPP+ `assertion`)."""
    tree = ast.parse(source)
    n = 0
    other = 0
    for stmt in tree.body:
        if isinstance(stmt, ast.Assert):
            if names_in(stmt) & set(subject_names):
                n += 1
            else:
                other += 1
    return n, other


# --------------------------------------------------------------------------
# line-based scanner (no ast): physical lines -> logical lines

class LogicalLine(object):
    __slots__ = ('indent', 'text', 'code', 'first')

    def __init__(self, indent, text, code, first):
        self.indent = indent    # indentation (columns) of first physical line
        self.text = text        # physical lines joined with "\n"
        self.code = code        # same, with string contents and comments blanked
        self.first = first      # index of first physical line


def logical_lines(source):
    """Joins physical lines into logical lines the way Python's tokenizer does
    (open brackets, backslash continuation, triple-quoted strings), without
    using tokenize/ast.  Blank and comment-only lines are dropped.  `code`
    keeps the code characters and replaces string contents / comments by
    spaces, so keyword and name searches do not match inside literals."""
    lines = source.replace('\r\n', '\n').replace('\r', '\n').split('\n')
    out = []
    i = 0
    while i < len(lines):
        first = lines[i]
        stripped = first.lstrip(' \t')
        if stripped == '' or stripped.startswith('#'):
            i += 1
            continue
        indent = len(first.expandtabs(8)) - len(first.expandtabs(8).lstrip(' '))
        depth = 0
        in_str = None          # None, or the quote string: ', ", ''' or """
        parts_text = []
        parts_code = []
        start = i
        while True:
            line = lines[i]
            code = []
            j = 0
            cont = False
            while j < len(line):
                ch = line[j]
                if in_str is not None:
                    if ch == '\\':
                        code.append('  ' if j + 1 < len(line) else ' ')
                        if j + 1 >= len(line) and len(in_str) == 1:
                            cont = True       # escaped newline inside 'string'
                        j += 2
                        continue
                    if line.startswith(in_str, j):
                        code.append(in_str)
                        j += len(in_str)
                        in_str = None
                        continue
                    code.append(' ')
                    j += 1
                    continue
                if ch == '#':
                    break
                if ch in '\'"':
                    if line.startswith(ch * 3, j):
                        in_str = ch * 3
                        code.append(in_str)
                        j += 3
                    else:
                        in_str = ch
                        code.append(ch)
                        j += 1
                    continue
                if ch in '([{':
                    depth += 1
                elif ch in ')]}':
                    depth = max(0, depth - 1)
                if ch == '\\' and j == len(line.rstrip(' \t')) - 1:
                    cont = True
                    code.append(' ')
                    j += 1
                    continue
                code.append(ch)
                j += 1
            if in_str is not None and len(in_str) == 1 and not cont:
                in_str = None     # unterminated single-quoted string ends here
            parts_text.append(line)
            parts_code.append(''.join(code))
            i += 1
            if i >= len(lines):
                break
            if depth > 0 or cont or (in_str is not None and len(in_str) == 3):
                continue
            break
        out.append(LogicalLine(indent, '\n'.join(parts_text),
                               '\n'.join(parts_code), start))
    return out


def first_word(code):
    m = re.match(r'\s*([A-Za-z_][A-Za-z_0-9]*)', code)
    return m.group(1) if m else ''


def count_tests_lines(source, subject_names):
    """Line-based twin of count_tests_ast."""
    lls = logical_lines(source)
    start = None
    for k, ll in enumerate(lls):
        if re.match(r'\s*def\s+check\s*\(\s*candidate\s*\)\s*(->[^:]*)?:\s*$', ll.code):
            start = k
            check_indent = ll.indent
            break
    if start is None:
        raise ReferenceError_('line scanner: no def check(candidate)')
    body = []
    for ll in lls[start + 1:]:
        if ll.indent <= check_indent:
            break
        body.append(ll)
    if not body:
        return 0, 0
    body_indent = body[0].indent
    # group logical lines into top-level statements
    statements = []
    for ll in body:
        if ll.indent == body_indent and not (
                statements and first_word(ll.code) in CLAUSE_KEYWORDS):
            statements.append([ll])
        else:
            statements[-1].append(ll)
    subject_re = re.compile(r'\b(%s)\b' % '|'.join(re.escape(s) for s in subject_names))
    assert_re = re.compile(r'(^|[\s:;])assert\b')
    n = 0
    skipped = 0
    for st in statements:
        head = st[0].code
        word = first_word(head)
        code = '\n'.join(ll.code for ll in st)
        if word == 'assert':
            if subject_re.search(code):
                n += 1
            else:
                skipped += 1
        elif word in COMPOUND_KEYWORDS or word == 'async':
            if assert_re.search(code):
                n += 1
    return n, skipped


def ground_truth(source, subject_names, where):
    n_ast, skipped = count_tests_ast(source, subject_names)
    n_lines, skipped_lines = count_tests_lines(source, subject_names)
    if (n_ast, skipped) != (n_lines, skipped_lines):
        raise ReferenceError_(
            '%s: ast method says %d tests (%d skipped asserts), line method '
            'says %d (%d skipped)' % (where, n_ast, skipped, n_lines, skipped_lines))
    whole = n_ast == 0
    return (1 if whole else n_ast), whole, skipped


# --------------------------------------------------------------------------
# 1. HumanEval / HumanEval+

def humaneval_counts(path, with_plus_inputs=False):
    rows = load_jsonl(path)
    out = {}
    skipped = {}
    for r in sorted(rows, key=lambda r: task_sort_key(r['task_id'])):
        tid = r['task_id']
        if tid in out:
            raise ReferenceError_('%s: duplicate task_id %s' % (path, tid))
        n, whole, sk = ground_truth(r['test'], ['candidate'], '%s %s' % (path, tid))
        row = {'ground_truth_tests': n, 'whole': whole}
        if with_plus_inputs:
            row['base_inputs'] = len(r.get('base_input') or [])
            row['plus_inputs'] = len(r.get('plus_input') or [])
        out[tid] = row
        if sk:
            skipped[tid] = sk
    return out, skipped


# --------------------------------------------------------------------------
# 2. CodeT HumanEval samples

def codet_check_test_case(t):
    if len(t.strip()) < 1:
        return False
    if 'assert' not in t:
        return False
    block = 'try:\n    ' + t.replace('\n', '\n    ') + '\nexcept:\n    pass\n'
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            compile(block, '', 'exec')
        return True
    except Exception:
        return False


def codet_test_case_extract(sample, entry_point):
    parts = ('assert ' + sample).split('assert ')
    cases = [('assert ' + p).strip() for p in parts
             if entry_point.strip() in p and len(p.strip()) > 0]
    cases = [cut_at_stop_token(c).strip() for c in cases]
    return [c for c in cases if codet_check_test_case(c)]


def codet_counts(data):
    gen = key_unique(load_jsonl(data / FILES['codet_gen']), 'prompt', FILES['codet_gen'])
    tc = key_unique(load_jsonl(data / FILES['codet_tc']), 'prompt', FILES['codet_tc'])
    sols = load_jsonl(data / FILES['codet_solutions'])
    tests = load_jsonl(data / FILES['codet_tests'])
    out = {}
    info = {'unmatched_solution_prompts': 0, 'unmatched_test_prompts': 0,
            'whitespace_only_solution_samples': 0,
            'programs_equal_to_bare_prompt': 0,
            'empty_test_samples': 0, 'test_samples_with_no_kept_test': 0,
            'test_samples_truncated_to_5': 0}
    for r in sols:
        task = gen.get(r['prompt'])
        if task is None:
            info['unmatched_solution_prompts'] += 1
            continue
        tid = task['task_id']
        if tid in out:
            raise ReferenceError_('solutions file: two rows for %s' % tid)
        bare = normalize(r['prompt'])
        progs = Counter()
        for s in r['samples']:
            if s.strip(' \t\r\n') == '':
                info['whitespace_only_solution_samples'] += 1
            p = normalize(r['prompt'] + cut_at_stop_token(s))
            if p == bare:
                info['programs_equal_to_bare_prompt'] += 1
            if p:
                progs[p] += 1
        out[tid] = {'samples': len(r['samples']), 'solutions': len(progs),
                    'multiplicities': sorted(progs.values(), reverse=True)}
    seen = set()
    for r in tests:
        task = tc.get(r['prompt'])
        if task is None:
            info['unmatched_test_prompts'] += 1
            continue
        tid = task['task_id']
        if tid in seen:
            raise ReferenceError_('test-case file: two rows for %s' % tid)
        seen.add(tid)
        kept = []
        for s in r['samples']:
            if s == '':
                info['empty_test_samples'] += 1
            cases = codet_test_case_extract(s, task['entry_point'])
            if not cases:
                info['test_samples_with_no_kept_test'] += 1
            if len(cases) > CODET_TESTS_PER_SAMPLE:
                info['test_samples_truncated_to_5'] += 1
            kept.extend(cases[:CODET_TESTS_PER_SAMPLE])
        distinct = {normalize(t) for t in kept} - {''}
        row = out.setdefault(tid, {'samples': 0, 'solutions': 0, 'multiplicities': []})
        row['test_samples'] = len(r['samples'])
        row['test_strings'] = len(kept)
        row['tests'] = len(distinct)
    for tid, row in out.items():
        row.setdefault('test_samples', 0)
        row.setdefault('test_strings', 0)
        row.setdefault('tests', 0)
    ordered = {k: out[k] for k in sorted(out, key=task_sort_key)}
    return ordered, info


# --------------------------------------------------------------------------
# 3. MBPP (CodeT's sanitized copy) and MBPP+

def mbpp_counts(data):
    rows = load_jsonl(data / FILES['mbpp'])
    out = {}
    skipped = {}
    for r in sorted(rows, key=lambda r: task_sort_key(r['task_id'])):
        tid = r['task_id']
        if tid in out:
            raise ReferenceError_('mbpp: duplicate task_id %s' % tid)
        names = ['candidate', r['entry_point'].strip()]
        n, whole, sk = ground_truth(r['test'], names, 'mbpp %s' % tid)
        out[tid] = {'ground_truth_tests': n, 'whole': whole}
        if sk:
            skipped[tid] = sk
    return out, skipped


def mbppplus_counts(data):
    rows = load_jsonl(data / FILES['mbppplus'])
    fields = sorted({k for r in rows for k in r})
    if not any('assert' in (r.get('assertion') or '') for r in rows):
        return None, fields
    out = {}
    for r in sorted(rows, key=lambda r: task_sort_key(r['task_id'])):
        n, other = count_module_asserts_ast(r['assertion'], [r['entry_point'].strip()])
        # line-based twin: top-level logical lines starting with `assert`
        n2 = 0
        for ll in logical_lines(r['assertion']):
            if ll.indent == 0 and first_word(ll.code) == 'assert' and re.search(
                    r'\b%s\b' % re.escape(r['entry_point'].strip()), ll.code):
                n2 += 1
        if n != n2:
            raise ReferenceError_('mbpp+ %s: ast %d vs lines %d' % (r['task_id'], n, n2))
        out[r['task_id']] = {'ground_truth_tests': n, 'other_asserts': other,
                             'base_inputs': len(r.get('base_input') or []),
                             'plus_inputs': len(r.get('plus_input') or [])}
    return out, fields


# --------------------------------------------------------------------------
# 4. AgentCoder

def split_assert_statements(block, top_level_only):
    """One assert statement per logical line whose first word is `assert`
    (top_level_only: the line starts in column 0).  Continuation lines
    (open brackets, backslash) belong to the statement.  The statement text is
    dedented by its first line's indentation and normalized (a trailing
    `# comment` on the line is kept: the statement is the line's text)."""
    out = []
    for ll in logical_lines(block):
        if first_word(ll.code) != 'assert':
            continue
        if top_level_only and ll.indent != 0:
            continue
        lines = ll.text.split('\n')
        pad = len(lines[0]) - len(lines[0].lstrip(' \t'))
        lines = [l[pad:] if l[:pad].strip(' \t') == '' else l.lstrip(' \t') for l in lines]
        out.append(normalize('\n'.join(lines)))
    return [s for s in out if s]


def agentcoder_counts(data):
    path = data / FILES['agentcoder']
    with open(path, encoding='utf-8') as f:
        rows = json.load(f)
    if not isinstance(rows, list):
        raise ReferenceError_('%s: expected a JSON list' % path)
    out = {}
    info = Counter()
    for r in sorted(rows, key=lambda r: task_sort_key(r['task_id'])):
        tid = r['task_id']
        if tid in out:
            raise ReferenceError_('agentcoder: duplicate task_id %s' % tid)
        ep = r['entry_point'].strip()
        progs = Counter()
        kinds = Counter()
        for c in r['completion_list']:
            if normalize(c) == '':
                kinds['empty'] += 1
                continue
            # AgentCoder's own test executor keeps a completion only when
            # `def <entry_point>` occurs in it and then runs it standalone.
            if ('def ' + ep) in c:
                kinds['full'] += 1
                prog = normalize(c)
            else:
                kinds['body'] += 1
                prog = normalize(r['prompt'] + c)
            progs[prog] += 1
        top_all = []
        any_all = []
        blocks_ep = 0
        blocks_empty = 0
        for b in r['test_case_list']:
            if normalize(b) == '':
                blocks_empty += 1
            if ('assert %s(' % ep) in b:
                blocks_ep += 1
            top_all.extend(split_assert_statements(b, True))
            any_all.extend(split_assert_statements(b, False))
        ep_re = re.compile(r'\b%s\b' % re.escape(ep))
        top_distinct = set(top_all)
        any_distinct = set(any_all)
        out[tid] = {
            'completions': len(r['completion_list']),
            'empty_completions': kinds['empty'],
            'full_function_completions': kinds['full'],
            'body_completions': kinds['body'],
            'solutions': len(progs),
            'multiplicities': sorted(progs.values(), reverse=True),
            'test_blocks': len(r['test_case_list']),
            'empty_test_blocks': blocks_empty,
            'test_blocks_with_entry_point_assert': blocks_ep,
            'assert_statements': len(top_all),
            'tests': len(top_distinct),
            'tests_on_entry_point': len({s for s in top_distinct if ep_re.search(s)}),
            'assert_statements_any_indent': len(any_all),
            'tests_any_indent': len(any_distinct),
        }
        for k in ('empty', 'full', 'body'):
            info['completions_' + k] += kinds[k]
        # self-check against ast where the block parses: column-0 asserts
        for b in r['test_case_list']:
            src = b.replace('\r\n', '\n').replace('\r', '\n')
            try:
                tree = ast.parse(src)
            except SyntaxError:
                info['test_blocks_not_parsing'] += 1
                continue
            via_ast = []
            for st in tree.body:
                if isinstance(st, ast.Assert):
                    seg = ast.get_source_segment(src, st)
                    via_ast.append(normalize(seg))
            via_lines = split_assert_statements(b, True)
            # the line rule keeps a trailing comment; ast segments do not
            if len(via_ast) != len(via_lines) or not all(
                    l.startswith(a.rstrip('\n')) for a, l in zip(via_ast, via_lines)):
                raise ReferenceError_('agentcoder %s: assert split disagrees with ast'
                                      ' (%r vs %r)' % (tid, via_ast[:3], via_lines[:3]))
    return out, dict(info)


# --------------------------------------------------------------------------

def main(argv=None):
    here = Path(os.path.abspath(__file__))
    project_root = here.parent.parent.parent
    default_data = Path(os.path.normpath(str(project_root / '..' / 'shared' / 'data')))
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--data', default=str(default_data),
                    help='data folder (default: %(default)s)')
    args = ap.parse_args(argv)
    data = Path(args.data)
    if not data.is_dir():
        fail('data folder %s does not exist (expected the shared data folder '
             'at ../shared/data from the project root; pass --data DIR)' % data)
    missing = [rel for rel in FILES.values() if not (data / rel).is_file()]
    if missing:
        fail('data folder %s is missing: %s' % (data, ', '.join(missing)))

    try:
        he, he_skipped = humaneval_counts(data / FILES['humaneval'])
        hep_rows = load_jsonl(data / FILES['humanevalplus'])
        if all(isinstance(r.get('test'), str) and 'def check(candidate)' in r['test']
               for r in hep_rows):
            hep, _ = humaneval_counts(data / FILES['humanevalplus'], with_plus_inputs=True)
        else:
            hep = None
        codet, codet_info = codet_counts(data)
        mbpp, mbpp_skipped = mbpp_counts(data)
        mbppplus, mbppplus_fields = mbppplus_counts(data)
        agent, agent_info = agentcoder_counts(data)
    except ReferenceError_ as e:
        fail(str(e))
    except (KeyError, TypeError) as e:
        fail('unexpected record shape: %r' % (e,))

    def tsum(rows, key):
        return sum(r[key] for r in rows.values())

    totals = {
        'humaneval_problems': len(he),
        'humaneval_ground_truth_tests': tsum(he, 'ground_truth_tests'),
        'humaneval_whole_test_problems': sorted((k for k, v in he.items() if v['whole']),
                                                key=task_sort_key),
        'humaneval_skipped_non_candidate_asserts': he_skipped,
        'humanevalplus_problems': len(hep) if hep is not None else None,
        'humanevalplus_ground_truth_tests': tsum(hep, 'ground_truth_tests') if hep else None,
        'humanevalplus_tests_differ_from_humaneval':
            sorted((k for k in hep if hep[k]['ground_truth_tests'] != he.get(k, {}).get('ground_truth_tests')),
                   key=task_sort_key) if hep else None,
        'humanevalplus_base_inputs': tsum(hep, 'base_inputs') if hep else None,
        'humanevalplus_plus_inputs': tsum(hep, 'plus_inputs') if hep else None,
        'codet_humaneval_problems': len(codet),
        'codet_solution_samples': tsum(codet, 'samples'),
        'codet_distinct_solutions': tsum(codet, 'solutions'),
        'codet_test_samples': tsum(codet, 'test_samples'),
        'codet_test_strings': tsum(codet, 'test_strings'),
        'codet_distinct_tests': tsum(codet, 'tests'),
        'codet_problems_with_zero_tests': sorted((k for k, v in codet.items() if v['tests'] == 0),
                                                 key=task_sort_key),
        'codet_notes': codet_info,
        'mbpp_problems': len(mbpp),
        'mbpp_ground_truth_tests': tsum(mbpp, 'ground_truth_tests'),
        'mbpp_whole_test_problems': sorted((k for k, v in mbpp.items() if v['whole']),
                                           key=task_sort_key),
        'mbpp_skipped_asserts': mbpp_skipped,
        'mbppplus_fields': mbppplus_fields,
        'mbppplus_problems': len(mbppplus) if mbppplus is not None else None,
        'mbppplus_ground_truth_tests': tsum(mbppplus, 'ground_truth_tests') if mbppplus else None,
        'agentcoder_problems': len(agent),
        'agentcoder_completions': tsum(agent, 'completions'),
        'agentcoder_empty_completions': tsum(agent, 'empty_completions'),
        'agentcoder_full_function_completions': tsum(agent, 'full_function_completions'),
        'agentcoder_body_completions': tsum(agent, 'body_completions'),
        'agentcoder_distinct_solutions': tsum(agent, 'solutions'),
        'agentcoder_test_blocks': tsum(agent, 'test_blocks'),
        'agentcoder_empty_test_blocks': tsum(agent, 'empty_test_blocks'),
        'agentcoder_test_blocks_with_entry_point_assert': tsum(agent, 'test_blocks_with_entry_point_assert'),
        'agentcoder_assert_statements': tsum(agent, 'assert_statements'),
        'agentcoder_distinct_tests': tsum(agent, 'tests'),
        'agentcoder_distinct_tests_on_entry_point': tsum(agent, 'tests_on_entry_point'),
        'agentcoder_assert_statements_any_indent': tsum(agent, 'assert_statements_any_indent'),
        'agentcoder_distinct_tests_any_indent': tsum(agent, 'tests_any_indent'),
        'agentcoder_test_blocks_not_parsing': agent_info.get('test_blocks_not_parsing', 0),
    }
    result = {
        'meta': {'python': '%d.%d.%d' % sys.version_info[:3],
                 'data': str(data),
                 'note': 'codet test counts depend on compile() of this Python version'},
        'humaneval': he,
        'humanevalplus': hep,
        'codet_humaneval': codet,
        'mbpp': mbpp,
        'mbppplus': mbppplus,
        'agentcoder': agent,
        'totals': totals,
    }
    json.dump(result, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
