"""codedpo ingest helper: the parts of importing that need Python's own parser.

Started once per import (`python3 -I -S -c <this file>`); reads one JSON request per line
on stdin and answers one JSON line per request on stdout, in order. It only parses and
compiles text: it never runs imported code.

Requests ({"op": ...}):
  split_check    {"test", "entry_point", "names"} -> {"tests": [...], "whole": bool, "skipped": n}
  module_asserts {"code", "names"}                -> {"tests": [...], "skipped": n}
  codet_tests    {"sample", "entry_point", "limit"} -> {"tests": [...], "dropped": n}
  assert_lines   {"block", "entry_point"}         -> {"tests": [...], "dropped": n}
  seeds          {"content"}                      -> {"seeds": [{name, kind, start_line, end_line, content}]}
                                                     or {"error": "..."} when the file does not parse
Any failure answers {"error": "..."} for that request; the helper keeps going.
"""

import ast
import json
import re
import sys
import textwrap

CODET_STOP = ['\nclass', '\ndef', '\n#', '\nif', '\nprint']


def statement_text(lines, node):
    """The full source lines of a statement (decorators included), dedented."""
    start = node.lineno
    for decorator in getattr(node, 'decorator_list', []):
        start = min(start, decorator.lineno)
    return textwrap.dedent('\n'.join(lines[start - 1:node.end_lineno])).rstrip() + '\n'


def mentions(node, names):
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


def contains_assert(node):
    return any(isinstance(n, ast.Assert) for n in ast.walk(node))


def is_metadata(node):
    return (isinstance(node, ast.Assign) and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name) and node.targets[0].id == 'METADATA')


def split_check(req):
    """HumanEval/MBPP `def check(candidate)`: one test per top-level assert that mentions
    the function under test, one per compound statement holding asserts; other statements
    are setup that every later test repeats. None found: the whole check is one test."""
    source = req['test'].replace('\r\n', '\n').replace('\r', '\n')
    entry_point = req['entry_point'].strip()
    names = set(req.get('names') or ['candidate'])
    tree = ast.parse(source)
    lines = source.split('\n')
    check = None
    preamble = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == 'check':
            check = node
        elif not is_metadata(node):
            preamble.append(statement_text(lines, node))
    whole = source.rstrip() + '\n\n\ncheck(%s)\n' % entry_point
    if check is None:
        return {'tests': [whole], 'whole': True, 'skipped': 0}
    parameter = check.args.args[0].arg if check.args.args else 'candidate'
    head = ''.join(preamble) + '%s = %s\n' % (parameter, entry_point)
    setup = []
    tests = []
    skipped = 0
    for node in check.body:
        text = statement_text(lines, node)
        if isinstance(node, ast.Assert):
            if mentions(node, names):
                tests.append(head + ''.join(setup) + text)
            else:
                skipped += 1
        elif contains_assert(node):
            tests.append(head + ''.join(setup) + text)
        else:
            setup.append(text)
    if not tests:
        return {'tests': [whole], 'whole': True, 'skipped': skipped}
    return {'tests': tests, 'whole': False, 'skipped': skipped}


def module_asserts(req):
    """Module-level asserts (MBPP+ `assertion`): one test per assert that mentions a name,
    preceded by the non-assert statements before it (imports, helpers)."""
    source = req['code'].replace('\r\n', '\n').replace('\r', '\n')
    names = set(req['names'])
    tree = ast.parse(source)
    lines = source.split('\n')
    setup, tests, skipped = [], [], 0
    for node in tree.body:
        text = statement_text(lines, node)
        if isinstance(node, ast.Assert):
            if mentions(node, names):
                tests.append(''.join(setup) + text)
            else:
                skipped += 1
        elif contains_assert(node):
            tests.append(''.join(setup) + text)
        else:
            setup.append(text)
    return {'tests': tests, 'skipped': skipped}


def codet_valid(test_case):
    # CodeT's own check: the assert must compile inside a try block.
    if len(test_case.strip()) < 1 or 'assert' not in test_case:
        return False
    try:
        block = test_case.replace('\n', '\n    ')
        compile('try:\n    %s\nexcept:\n    pass\n' % block, '', 'exec')
        return True
    except Exception:
        return False


def codet_truncate(text):
    cut = len(text)
    for token in CODET_STOP:
        index = text.find(token)
        if index != -1 and index < cut:
            cut = index
    return text[:cut].strip()


def codet_tests(req):
    """CodeT's test extraction: split the sample on 'assert ', keep parts that mention the
    entry point, cut at CodeT's stop sequences, keep what compiles, at most `limit`."""
    entry_point = req['entry_point'].strip()
    limit = req.get('limit', 5)
    parts = [('assert ' + part).strip() for part in ('assert ' + req['sample']).split('assert ')
             if entry_point in part and len(part.strip()) > 0]
    kept = [t for t in (codet_truncate(p) for p in parts) if codet_valid(t)]
    if limit is not None and limit >= 0:
        return {'tests': kept[:limit], 'dropped': len(parts) - min(len(kept), limit)}
    return {'tests': kept, 'dropped': len(parts) - len(kept)}


def assert_lines(req):
    """AgentCoder's generated test blocks: every column-0 assert statement (one logical
    line, continuation lines included) that mentions the entry point by name."""
    entry_point = req['entry_point'].strip()
    pattern = re.compile(r'\b%s\b' % re.escape(entry_point))
    tests, dropped = [], 0
    for text in logical_lines(req['block']):
        indent = len(text) - len(text.lstrip(' \t'))
        stripped = text.lstrip()
        if indent != 0 or not re.match(r'assert\b', stripped):
            continue
        if pattern.search(text):
            tests.append(text.rstrip() + '\n')
        else:
            dropped += 1
    return {'tests': tests, 'dropped': dropped}


def seeds(req):
    """Top-level functions and classes of a Python file, each with its line range."""
    source = req['content']
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        return {'error': 'does not parse as Python (line %s: %s)' % (error.lineno, error.msg)}
    lines = source.replace('\r\n', '\n').replace('\r', '\n').split('\n')
    found = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            found.append({
                'name': node.name,
                'kind': 'class' if isinstance(node, ast.ClassDef) else 'function',
                'start_line': start,
                'end_line': node.end_lineno,
                'content': '\n'.join(lines[start - 1:node.end_lineno]) + '\n',
            })
    return {'seeds': found}


def compiles(req):
    try:
        compile(req['code'], '<test>', 'exec')
        return {'ok': True}
    except Exception as error:
        return {'ok': False, 'error': '%s: %s' % (type(error).__name__, error)}


OPS = {
    'split_check': split_check,
    'module_asserts': module_asserts,
    'codet_tests': codet_tests,
    'assert_lines': assert_lines,
    'seeds': seeds,
    'compiles': compiles,
}


def main():
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            reply = OPS[request['op']](request)
        except SyntaxError as error:
            reply = {'error': 'SyntaxError at line %s: %s' % (error.lineno, error.msg)}
        except Exception as error:
            reply = {'error': '%s: %s' % (type(error).__name__, error)}
        out.write(json.dumps(reply) + '\n')
        out.flush()


main()
