"""codedpo generation helper: turns model answers into problems, solutions and tests.

Started once per `codedpo generate` (`python3 -I -S -c <this file>`); reads one JSON request
per line on stdin and answers one JSON line per request on stdout, in order. It only parses
and compiles text with Python's own parser: it never runs what the model wrote.

Requests ({"op": ...}):
  batch     {"items": [request, ...]}                        -> {"results": [answer, ...]}
  problem   {"text"}                                         -> {"prompt", "entry_point", "concept",
                                                                 "description", "source"} or {"error"}
  solution  {"text", "entry_point", "prompt", "api", "prefix"} -> {"code", "source", "dropped"} or {"error"}
  tests     {"text", "entry_point", "api", "prefix"}         -> {"tests": [...], "dropped": [{"text", "reason"}]}
                                                                 ("error" too when no test was kept)
`prompt` is the problem's prompt; `prefix` is the text sent to a completion (base-model) API,
which the answer continues. Every answer to a request that fails is {"error": "..."}; the
helper keeps going.
"""

import ast
import builtins
import json
import re
import sys
import textwrap

BUILTIN_NAMES = set(dir(builtins))
FENCE = re.compile(r'^[ \t]*(`{3,}|~{3,})[ \t]*([A-Za-z0-9_+.-]*)[^\n]*$', re.M)
CODE_LANGUAGES = {'', 'python', 'py', 'python3', 'py3'}
CODE_START = re.compile(r'^(def |async def |class |import |from \S+ import |@)')


# ---------------------------------------------------------------- text -> code units

def normalize(text):
    return text.replace('\r\n', '\n').replace('\r', '\n')


def fenced_blocks(text):
    """Code blocks between ``` fences, as (language, code). A block left open at the end
    (the answer was cut by max_tokens) runs to the end of the text."""
    blocks = []
    position = 0
    while True:
        opening = FENCE.search(text, position)
        if not opening:
            break
        fence = opening.group(1)
        language = opening.group(2).lower()
        start = opening.end() + 1
        closing = re.compile(r'^[ \t]*' + re.escape(fence[0]) + '{%d,}[ \t]*$' % len(fence), re.M)
        end_match = closing.search(text, start)
        if end_match:
            blocks.append((language, text[start:end_match.start()]))
            position = end_match.end()
        else:
            blocks.append((language, text[start:]))
            break
    return blocks


def python_blocks(text):
    return [code for language, code in fenced_blocks(text) if language in CODE_LANGUAGES]


def longest_parsable_prefix(code):
    """The longest prefix of whole lines that parses, with its tree; (None, None) if none.
    Cuts just before the line a syntax error names, so an answer cut off in the middle of
    a statement (max_tokens) or followed by prose keeps its complete part."""
    lines = code.split('\n')
    end = len(lines)
    for _ in range(len(lines) + 1):
        candidate = '\n'.join(lines[:end])
        if not candidate.strip():
            return None, None
        try:
            return candidate, ast.parse(candidate)
        except (SyntaxError, ValueError) as error:
            line = getattr(error, 'lineno', None) or end
            end = min(end - 1, max(line - 1, 0))
            # The error line may close a statement that started earlier (an open bracket):
            # step back to a line that starts at column 0.
            while end > 0 and lines[end - 1][:1] in (' ', '\t', ')', ']', '}'):
                end -= 1
            if end <= 0:
                return None, None
    return None, None


def raw_starts(text):
    """Offsets of lines where code may start in an answer without fences."""
    lines = text.split('\n')
    offsets = []
    position = 0
    for line in lines:
        if CODE_START.match(line):
            offsets.append(position)
        position += len(line) + 1
    return offsets


def code_candidates(text):
    """Where code may be in an answer, most likely first: each fenced Python block, all of
    them together, then the raw text from each line that starts like code."""
    text = normalize(text)
    found = []
    blocks = python_blocks(text)
    for block in blocks:
        found.append(('fence', textwrap.dedent(block)))
    if len(blocks) > 1:
        found.append(('fences', '\n\n'.join(textwrap.dedent(b) for b in blocks)))
    without_fences = FENCE.sub('', text) if blocks else text
    found.append(('raw', without_fences))
    for offset in raw_starts(without_fences):
        if offset:
            found.append(('raw', without_fences[offset:]))
    return found


# ---------------------------------------------------------------- names

def bound_names(node):
    """Names a top-level statement defines."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(alias.asname or alias.name).split('.')[0] for alias in node.names}
    names = set()
    targets = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    for target in targets:
        for sub in ast.walk(target):
            if isinstance(sub, ast.Name):
                names.add(sub.id)
    return names


def used_names(node):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def locally_bound(node):
    """Names bound inside an expression: comprehension targets, lambda arguments, :=."""
    names = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.comprehension):
            names |= {n.id for n in ast.walk(sub.target) if isinstance(n, ast.Name)}
        elif isinstance(sub, ast.Lambda):
            args = sub.args
            for arg in args.posonlyargs + args.args + args.kwonlyargs:
                names.add(arg.arg)
            if args.vararg:
                names.add(args.vararg.arg)
            if args.kwarg:
                names.add(args.kwarg.arg)
        elif isinstance(sub, ast.NamedExpr):
            names.add(sub.target.id)
    return names


def segment(source_lines, node):
    start = node.lineno
    for decorator in getattr(node, 'decorator_list', []):
        start = min(start, decorator.lineno)
    return '\n'.join(source_lines[start - 1:node.end_lineno])


def defines(tree, name):
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name for n in tree.body)


# ---------------------------------------------------------------- solutions

def sanitize(code, tree, entry_point):
    """The entry point's function and what it needs: every import, and the top-level
    functions, classes and assignments it reaches by name. Prints, asserts, example calls
    and `if __name__ == ...` blocks are dropped. Returns (code, dropped statements)."""
    lines = code.split('\n')
    body = tree.body
    definitions = {}
    for index, node in enumerate(body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign)):
            for name in bound_names(node):
                definitions.setdefault(name, []).append(index)
    # The last definition of a name is the one Python keeps.
    keep = set()
    pending = [definitions[entry_point][-1]]
    while pending:
        index = pending.pop()
        if index in keep:
            continue
        keep.add(index)
        for name in used_names(body[index]):
            if name in definitions:
                for other in definitions[name]:
                    if other not in keep and (other <= index or not isinstance(body[other], (ast.Assign, ast.AnnAssign))):
                        pending.append(other)
    # Keep the program's own text (spacing and comments) minus the dropped statements and
    # the comment lines right above them ("# Example usage:").
    removed = set()
    dropped = 0
    for index, node in enumerate(body):
        if isinstance(node, (ast.Import, ast.ImportFrom)) or index in keep:
            continue
        dropped += 1
        first = min([node.lineno] + [d.lineno for d in getattr(node, 'decorator_list', [])])
        removed.update(range(first, node.end_lineno + 1))
        above = first - 1
        while above >= 1 and (not lines[above - 1].strip() or lines[above - 1].lstrip().startswith('#')) \
                and not lines[above - 1].startswith((' ', '\t')):
            removed.add(above)
            above -= 1
    kept_lines = [line for number, line in enumerate(lines, 1) if number not in removed]
    while kept_lines and (not kept_lines[-1].strip() or kept_lines[-1].lstrip().startswith('#')) and not kept_lines[-1].startswith((' ', '\t')):
        kept_lines.pop()
    text = re.sub(r'\n{4,}', '\n\n\n', '\n'.join(kept_lines)).strip('\n') + '\n'
    return text, dropped


def prompt_imports(prompt):
    try:
        tree = ast.parse(normalize(prompt))
    except SyntaxError:
        return []
    lines = normalize(prompt).split('\n')
    return [segment(lines, n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]


def with_prompt_imports(code, prompt):
    """The problem's own imports (HumanEval's `from typing import List`) put in front of a
    solution that does not repeat them."""
    present = set(line.strip() for line in code.split('\n'))
    missing = [i for i in prompt_imports(prompt) if i.strip() not in present]
    return ('\n'.join(missing) + '\n\n' + code) if missing else code


def solution(req):
    text = req['text']
    entry_point = (req.get('entry_point') or '').strip()
    prompt = req.get('prompt') or ''
    if not entry_point:
        return {'error': 'the problem has no entry point to extract'}
    if not text.strip():
        return {'error': 'the answer is empty'}
    candidates = code_candidates(text)
    if req.get('api') == 'completion':
        # A base model continues the prompt it was sent: the program is that + completion.
        candidates.insert(0, ('prompt+completion', normalize(req.get('prefix', prompt)) + normalize(text)))
    programs = list(candidates)
    if prompt:
        # A chat answer may give only the body, or use helpers the prompt defines.
        programs += [(source + '+prompt', normalize(prompt).rstrip('\n') + '\n' + code)
                     for source, code in candidates if source != 'prompt+completion']
    attempts = []
    for label, program in programs:
        code, tree = longest_parsable_prefix(program)
        if tree is None or not defines(tree, entry_point):
            continue
        sanitized, dropped = sanitize(code, tree, entry_point)
        sanitized = with_prompt_imports(sanitized, prompt)
        try:
            compile(sanitized, '<solution>', 'exec')
        except (SyntaxError, ValueError) as error:
            attempts.append('%s: %s' % (label, error))
            continue
        function = [n for n in ast.parse(sanitized).body
                    if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == entry_point][-1]
        if is_stub(function):
            if not label.endswith('+prompt'):  # there, the stub is the prompt's own
                attempts.append('%s: %s has no body (only a docstring, pass or ...)' % (label, entry_point))
            continue
        return {'code': sanitized, 'source': label, 'dropped': dropped}
    if attempts:
        attempts = list(dict.fromkeys(a.split(': ', 1)[1] for a in attempts))
        return {'error': 'no usable definition of %s: %s' % (entry_point, '; '.join(attempts[:3]))}
    if python_blocks(normalize(text)) or CODE_START.search(normalize(text)) or re.search(r'^\s*def ', normalize(text), re.M):
        return {'error': 'no code in the answer defines %s (or none of it parses)' % entry_point}
    return {'error': 'no code found in the answer'}


def is_stub(function):
    body = list(function.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        body = body[1:]
    return all(isinstance(n, ast.Pass) or (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)
                                          and n.value.value is Ellipsis) for n in body)


# ---------------------------------------------------------------- tests

def assert_nodes(unit):
    """(assert node, its source lines, enclosing function, module tree) for every assert in
    a unit of code; a unit that does not parse is read statement by statement."""
    found = []
    try:
        tree = ast.parse(unit)
        lines = unit.split('\n')
        for node in tree.body:
            if isinstance(node, ast.Assert):
                found.append((node, lines, None, tree))
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Assert):
                        found.append((sub, lines, node, tree))
            else:
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Assert):
                        found.append((sub, lines, None, tree))
        return found, []
    except (SyntaxError, ValueError):
        pass
    broken = []
    imports = [l for l in unit.split('\n') if re.match(r'(import |from \S+ import )', l)]
    head = '\n'.join(imports)
    for statement in logical_lines(unit):
        text = textwrap.dedent(statement).strip('\n')
        if not re.match(r'assert\b', text):
            continue
        try:
            tree = ast.parse(head + '\n' + text if head else text)
        except (SyntaxError, ValueError) as error:
            broken.append({'text': text, 'reason': 'does not compile: %s' % getattr(error, 'msg', error)})
            continue
        lines = (head + '\n' + text if head else text).split('\n')
        for node in tree.body:
            if isinstance(node, ast.Assert):
                found.append((node, lines, None, tree))
    return found, broken


def module_imports(tree, lines):
    result = {}
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for name in bound_names(node):
                result[name] = segment(lines, node)
    return result


def tests(req):
    entry_point = (req.get('entry_point') or '').strip()
    if not entry_point:
        return {'error': 'the problem has no entry point for tests to call', 'tests': [], 'dropped': []}
    text = normalize(req['text'])
    blocks = python_blocks(text)
    units = [textwrap.dedent(b) for b in blocks] if blocks else [text]
    if req.get('api') == 'completion' and req.get('prefix'):
        # A base model continues the prompt it was sent (CodeT: `... assert f(`).
        units = [normalize(req['prefix']) + text]
    kept, dropped, seen = [], [], set()
    for unit in units:
        nodes, broken = assert_nodes(unit)
        dropped.extend(broken)
        for node, lines, function, tree in nodes:
            text_of = textwrap.dedent(segment(lines, node)).strip('\n')
            names = used_names(node) - locally_bound(node)
            aliases = set()
            if function is not None and function.args.args:
                # `def check(candidate): assert candidate(...) == ...` calls the entry point
                # through the function's parameter.
                parameter = function.args.args[0].arg
                if parameter in names and function.name.startswith(('check', 'test')):
                    aliases.add(parameter)
            if entry_point not in names and not aliases:
                dropped.append({'text': text_of, 'reason': 'does not call %s' % entry_point})
                continue
            imports = module_imports(tree, lines)
            missing = sorted(n for n in names - {entry_point} - aliases - BUILTIN_NAMES if n not in imports)
            if missing:
                dropped.append({'text': text_of, 'reason': 'uses names defined elsewhere: %s' % ', '.join(missing)})
                continue
            head = [imports[n] for n in sorted(names) if n in imports]
            head = list(dict.fromkeys(head))
            head += ['%s = %s' % (alias, entry_point) for alias in sorted(aliases)]
            program = '\n'.join(head + [text_of]) + '\n'
            try:
                compile(program, '<test>', 'exec')
            except (SyntaxError, ValueError) as error:
                dropped.append({'text': text_of, 'reason': 'does not compile: %s' % error})
                continue
            if program in seen:
                continue
            seen.add(program)
            kept.append(program)
    answer = {'tests': kept, 'dropped': dropped}
    if not kept:
        if dropped:
            answer['error'] = 'no usable assert: %d dropped (first: %s)' % (len(dropped), dropped[0]['reason'])
        else:
            answer['error'] = 'no assert statement in the answer'
    return answer


# ---------------------------------------------------------------- problems

def json_objects(text):
    """JSON objects in the text: fenced ```json blocks first, then every balanced {...}."""
    found = []
    for language, code in fenced_blocks(text):
        if language in ('json', ''):
            found.append(code)
    depth, start, quote, escape = 0, None, False, False
    for i, c in enumerate(text):
        if quote:
            if escape:
                escape = False
            elif c == '\\':
                escape = True
            elif c == '"':
                quote = False
            continue
        if c == '"' and depth:
            quote = True
        elif c == '{':
            if depth == 0:
                start = i
            depth += 1
        elif c == '}' and depth:
            depth -= 1
            if depth == 0:
                found.append(text[start:i + 1])
    objects = []
    for candidate in found:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            objects.append(value)
    return objects


def section(text, names):
    """The text after a 'Name:' heading (markdown bold or # allowed), up to the next heading
    or code fence."""
    pattern = re.compile(r'^[#*\s]*(%s)[*\s]*:[*\s]*(.*)$' % '|'.join(names), re.I | re.M)
    match = pattern.search(text)
    if not match:
        return None
    rest = text[match.end():]
    stop = re.search(r'^[#*\s]*[A-Z][A-Za-z ]{0,30}[*\s]*:[*\s]*|^\s*(```|~~~)', rest, re.M)
    body = (match.group(2) + '\n' + (rest[:stop.start()] if stop else rest)).strip()
    return body or None


def docstring_prompt(function, lines, imports):
    """HumanEval's shape: the imports, the signature and the docstring, no body."""
    header = '\n'.join(lines[min([function.lineno] + [d.lineno for d in function.decorator_list]) - 1:function.body[0].lineno - 1])
    if not header.strip():  # one-line `def f(x): """doc"""`
        return None
    doc = function.body[0]
    doc_text = '\n'.join(lines[doc.lineno - 1:doc.end_lineno])
    prompt = textwrap.dedent(header + '\n' + doc_text).rstrip() + '\n'
    if imports:
        prompt = '\n'.join(imports) + '\n\n\n' + prompt
    return prompt


def render_prompt(signature, description, imports):
    """A prompt built from a signature and a description."""
    description = textwrap.dedent(description).strip().replace('"""', "'''")
    body = '\n'.join(('    ' + l) if l.strip() else '' for l in description.split('\n'))
    prompt = signature.rstrip().rstrip(':') + ':\n    """\n' + body + '\n    """\n'
    if imports:
        prompt = '\n'.join(imports) + '\n\n\n' + prompt
    return prompt


def problem_from_code(code, description=None):
    code, tree = longest_parsable_prefix(code)
    if tree is None:
        return None, 'the code does not parse'
    lines = code.split('\n')
    imports = [segment(lines, n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    functions = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if not functions:
        return None, 'the code defines no top-level function to call'
    for function in functions:
        doc = ast.get_docstring(function)
        if doc and len(doc.strip()) >= 20:
            prompt = docstring_prompt(function, lines, imports)
            if prompt:
                return {'prompt': prompt, 'entry_point': function.name, 'description': doc.strip()}, None
    if description:
        function = functions[0]
        signature = '\n'.join(lines[function.lineno - 1:function.body[0].lineno - 1]) or lines[function.lineno - 1].split(':')[0]
        prompt = render_prompt(textwrap.dedent(signature), description, imports)
        return {'prompt': prompt, 'entry_point': function.name, 'description': description}, None
    return None, 'the function %s has no docstring describing the task' % functions[0].name


def checked_problem(found):
    try:
        tree = ast.parse(found['prompt'] + '    pass\n')
    except SyntaxError as error:
        return {'error': 'the problem\'s signature does not compile: %s' % error.msg}
    if not defines(tree, found['entry_point']):
        return {'error': 'the prompt does not define %s' % found['entry_point']}
    if not found['entry_point'].isidentifier():
        return {'error': 'entry point %r is not a Python name' % found['entry_point']}
    return found


def problem(req):
    text = normalize(req['text'])
    if not text.strip():
        return {'error': 'the answer is empty'}
    concept = section(text, ['concept', 'concepts'])
    concept = concept.split('\n')[0].strip() if concept else None
    reasons = []
    # 1. A JSON object: {"concept", "problem"/"description", "entry_point", "signature"/"prompt"}.
    for value in json_objects(text):
        entry_point = value.get('entry_point') or value.get('function_name') or value.get('function')
        description = value.get('problem') or value.get('description') or value.get('task')
        signature = value.get('signature')
        prompt = value.get('prompt')
        concept = concept or (value.get('concept') if isinstance(value.get('concept'), str) else None)
        if isinstance(prompt, str) and prompt.strip():
            found, reason = problem_from_code(normalize(prompt), description if isinstance(description, str) else None)
            if found:
                found['source'] = 'json'
                found['concept'] = concept
                return checked_problem(found)
            reasons.append('json prompt: ' + reason)
        elif isinstance(signature, str) and isinstance(description, str) and description.strip():
            signature = signature.strip()
            if not signature.startswith(('def ', 'async def ')):
                signature = 'def ' + signature
            found, reason = problem_from_code(signature.rstrip(':') + ':\n    pass\n', description)
            if found:
                if isinstance(entry_point, str) and entry_point.strip() and entry_point.strip() != found['entry_point']:
                    reasons.append('json: entry_point %r is not the signature\'s function %r' % (entry_point, found['entry_point']))
                    continue
                found['source'] = 'json'
                found['concept'] = concept
                return checked_problem(found)
            reasons.append('json signature: ' + reason)
        elif value:
            reasons.append('json object without "signature" and "problem"')
    # 2. A Python function with a docstring (in a fence, or raw).
    description = section(text, ['problem', 'task', 'description', 'problem statement'])
    if description:
        description = FENCE.split(description)[0].strip() or None
    for source, code in code_candidates(text):
        if not re.search(r'^\s*(async\s+)?def ', code, re.M):
            continue
        found, reason = problem_from_code(code, description)
        if found:
            found['source'] = source
            found['concept'] = concept
            return checked_problem(found)
        reasons.append('%s: %s' % (source, reason))
    if reasons:
        unique = list(dict.fromkeys(reasons))
        return {'error': 'no problem found: ' + '; '.join(unique[:3])}
    return {'error': 'no problem found: the answer has no function signature'}


# ---------------------------------------------------------------- service

OPS = {'problem': problem, 'solution': solution, 'tests': tests}


def answer(request):
    try:
        return OPS[request['op']](request)
    except Exception as error:  # one bad answer never stops the helper
        return {'error': 'helper failed: %s: %s' % (type(error).__name__, error)}


def main():
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            if request.get('op') == 'batch':
                reply = {'results': [answer(item) for item in request['items']]}
            else:
                reply = answer(request)
        except Exception as error:
            reply = {'error': '%s: %s' % (type(error).__name__, error)}
        out.write(json.dumps(reply) + '\n')
        out.flush()


if __name__ == '__main__':
    main()
