"""Code shared by codedpo's embedded Python helpers (ingest_helper.py, generation_helper.py).
PythonLineService puts this file in front of a helper's own source, so each helper runs as one
program and this logic is written once."""


def logical_lines(source):
    """Split source into logical lines: physical lines joined while a bracket is open, a
    string is open, or the line ends with a backslash. Returns their texts."""
    lines = source.replace('\r\n', '\n').replace('\r', '\n').split('\n')
    result = []
    current = []
    depth = 0
    quote = None
    for line in lines:
        current.append(line)
        i = 0
        while i < len(line):
            c = line[i]
            if quote:
                if c == '\\':
                    i += 2
                    continue
                if line.startswith(quote, i):
                    i += len(quote)
                    quote = None
                    continue
                i += 1
                continue
            if c == '#':
                break
            if c in '\'"':
                triple = line[i:i + 3]
                quote = triple if triple in ('"""', "'''") else c
                i += len(quote)
                continue
            if c in '([{':
                depth += 1
            elif c in ')]}':
                depth = max(0, depth - 1)
            i += 1
        if quote and len(quote) == 1:
            quote = None  # an unterminated one-line string ends with its line
        if depth == 0 and not quote and not line.rstrip().endswith('\\'):
            result.append('\n'.join(current))
            current = []
    if current and any(l.strip() for l in current):
        result.append('\n'.join(current))
    return result


