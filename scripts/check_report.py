#!/usr/bin/env python3
"""Renders a `codedpo report` HTML file in headless Chromium and checks it.

    python3 scripts/check_report.py report.html [--screenshot OUT.png]
    python3 scripts/check_report.py --self-test     # proves the detectors catch bad pages

Checks, each with a clear message and exit status 1 when it fails:
  * self-contained: no reference to anything outside the file (src/href/url()/@import
    that is not a data: URI or a #fragment);
  * no console errors: the page is rendered from an instrumented copy (one inline script
    put first in <head>) that re-logs console.error / console.warn with a tag and reports
    resources that fail to load; chromium's stderr (--enable-logging=stderr) is scanned
    for those tags and for "Uncaught" (chromium 1xx logs every console message as
    INFO:CONSOLE, whatever its level, and does not log failed loads at all, hence the
    instrumentation);
  * not blank: the screenshot (decoded here: PNG chunks, zlib, scanline unfiltering) has a
    meaningful share of pixels unlike the background (its most common colour) and several
    distinct colours.

Python 3 standard library only. Exit status: 0 ok, 1 a check failed, 2 no chromium or usage.
"""
import argparse
import collections
import concurrent.futures
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

TAG = "codedpo-check"
PROBE = (
    "<script>(function(){"
    "var t='" + TAG + "';"
    "var e=console.error,w=console.warn;"
    "console.error=function(){console.log(t+':console.error '+Array.prototype.join.call(arguments,' '));};"
    "console.warn=function(){console.log(t+':console.warn '+Array.prototype.join.call(arguments,' '));};"
    "window.addEventListener('error',function(ev){var x=ev.target;"
    "if(x&&x!==window){console.log(t+':resource '+(x.tagName||'')+' '+(x.src||x.href||''));}"
    "else{console.log(t+':uncaught '+ev.message);}},true);"
    "window.addEventListener('unhandledrejection',function(ev){console.log(t+':uncaught promise '+ev.reason);});"
    "})();</script>"
)
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium():
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


# --- static check ---------------------------------------------------------------------

TAG_PATTERN = re.compile(r"<[A-Za-z][^>]*>")
ATTRIBUTE = re.compile(r"""\s(?:src|href|xlink:href|poster|srcset|action|data|background)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""",
                       re.IGNORECASE)
CSS_REFERENCE = re.compile(r"""url\(\s*["']?([^"')]*)|@import\s+(?:url\(\s*)?["']?([^"')\s;]+)""", re.IGNORECASE)
STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)</style>", re.IGNORECASE | re.DOTALL)


def external_references(html):
    """References that would load something from outside the file: attributes of real tags
    (escaped text never forms a tag) and url()/@import in style blocks and style attributes."""
    refs = []
    for tag in TAG_PATTERN.findall(html):
        refs += [next(g for g in m.groups() if g is not None) for m in ATTRIBUTE.finditer(tag)]
        style = re.search(r"""\sstyle\s*=\s*(?:"([^"]*)"|'([^']*)')""", tag, re.IGNORECASE)
        if style:
            refs += [m.group(1) or m.group(2) or "" for m in CSS_REFERENCE.finditer(style.group(1) or style.group(2) or "")]
    for block in STYLE_BLOCK.findall(html):
        refs += [m.group(1) or m.group(2) or "" for m in CSS_REFERENCE.finditer(block)]
    return [r.strip() for r in refs if r.strip() and not r.strip().startswith("#") and not r.strip().lower().startswith("data:")]


# --- PNG decoding -----------------------------------------------------------------------

def decode_png(data):
    """Returns (width, height, channels, rows): rows is a list of bytes, one per scanline."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError("PNG without IHDR")
    width, height, depth, colour, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace != 0:
        raise ValueError("unsupported PNG (bit depth %d, colour type %d, interlace %d)" % (depth, colour, interlace))
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1:start + 1 + stride])
        if kind == 0:
            pass
        elif kind == 1:  # Sub
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 255
        elif kind == 2:  # Up
            if any(line):
                line = bytearray((a + b) & 255 for a, b in zip(line, previous))
            else:
                line = bytearray(previous)
        elif kind == 3:  # Average
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 255
        elif kind == 4:  # Paeth
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = previous[i]
                c = previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + predictor) & 255
        else:
            raise ValueError("bad PNG filter type %d on row %d" % (kind, y))
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def pixel_stats(png):
    """(share of pixels that differ from the background, number of distinct colours).

    The background is the most common colour; a pixel is ink when a channel differs from it
    by more than 24. Colours are counted quantized to 5 bits a channel, ignoring colours of
    fewer than 20 pixels (anti-aliasing)."""
    width, height, channels, rows = decode_png(png)
    colour = min(channels, 3)
    histogram = collections.Counter()
    for row in rows:
        first = row[:channels]
        if row == first * width:  # a uniform row: one colour
            histogram[tuple(first[:colour])] += width
        else:
            histogram.update(zip(*(row[c::channels] for c in range(colour))))
    background, _ = histogram.most_common(1)[0]
    ink = sum(n for c, n in histogram.items() if max(abs(a - b) for a, b in zip(c, background)) > 24)
    quantized = collections.Counter()
    for c, n in histogram.items():
        quantized[tuple(v >> 3 for v in c)] += n
    colours = sum(1 for n in quantized.values() if n >= 20)
    return ink / float(width * height), colours


# --- rendering --------------------------------------------------------------------------

def instrumented(html):
    """The page with the probe script first in <head> (or after <html>, or at the top)."""
    for pattern in (r"<head\b[^>]*>", r"<html\b[^>]*>", r"<!doctype[^>]*>"):
        match = re.search(pattern, html, re.IGNORECASE)
        if match:
            return html[:match.end()] + PROBE + html[match.end():]
    return PROBE + html


def console_problems(log):
    """Console errors, uncaught exceptions and failed loads found in chromium's stderr."""
    problems = []
    for line in log.splitlines():
        if "CONSOLE" not in line and "Uncaught" not in line:
            continue
        if TAG + ":" in line or "Uncaught" in line:
            message = line.split("] ", 1)[-1]
            problems.append(message.strip())
    return problems


def render(chromium, html_path, timeout=120):
    """Renders an instrumented copy of the page; returns (png bytes, chromium's stderr)."""
    html_path = os.path.abspath(html_path)
    with open(html_path, encoding="utf-8") as f:
        html = f.read()
    folder = os.path.dirname(html_path)
    # The copy sits beside the original, so relative references resolve the same way.
    fd, probe_path = tempfile.mkstemp(prefix=".check-", suffix=".html", dir=folder)
    shot_dir = tempfile.mkdtemp(prefix="check-report-")
    shot = os.path.join(shot_dir, "shot.png")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(instrumented(html))
        command = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                   "--user-data-dir=" + os.path.join(shot_dir, "profile"),
                   "--screenshot=" + shot, "--window-size=1280,4000",
                   "--enable-logging=stderr", "--v=0", "file://" + probe_path]
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        log = result.stdout.decode("utf-8", "replace") + result.stderr.decode("utf-8", "replace")
        if not os.path.exists(shot):
            raise RuntimeError("chromium wrote no screenshot (exit %d):\n%s" % (result.returncode, log[-3000:]))
        with open(shot, "rb") as f:
            return f.read(), log
    finally:
        os.unlink(probe_path)
        shutil.rmtree(shot_dir, ignore_errors=True)


def check(chromium, html_path, screenshot=None, min_ink=0.02, min_colours=6):
    """All checks on one page; returns a list of failure messages (empty: the page is fine)."""
    failures = []
    with open(html_path, encoding="utf-8") as f:
        html = f.read()
    for ref in external_references(html):
        failures.append("not self-contained: the page references %r" % ref)
    png, log = render(chromium, html_path)
    if screenshot:
        with open(screenshot, "wb") as f:
            f.write(png)
    for problem in console_problems(log):
        failures.append("console error: " + problem)
    ink, colours = pixel_stats(png)
    if ink < min_ink:
        failures.append("blank page: only %.2f%% of the screenshot differs from the background (need %.0f%%)" % (100 * ink, 100 * min_ink))
    if colours < min_colours:
        failures.append("too few colours in the screenshot: %d (need %d)" % (colours, min_colours))
    return failures, ink, colours


# --- self-test --------------------------------------------------------------------------

GOOD = """<!doctype html><html><head><meta charset="utf-8"><style>body{font-family:sans-serif}</style></head>
<body><h1>fine</h1><svg width="600" height="400">%s</svg></body></html>""" % "".join(
    '<rect x="%d" y="0" width="50" height="400" fill="%s"/>' % (i * 60, c)
    for i, c in enumerate(["#d33", "#3a3", "#33d", "#dd3", "#3dd", "#d3d", "#888", "#222"]))
# Each bad page, and what its report must say: the detector that is being proven.
BAD_PAGES = [
    ("uncaught exception", GOOD.replace("</body>", "<script>throw new Error('x')</script></body>"),
     "console error: \"codedpo-check:uncaught Uncaught Error: x"),
    ("console.error", GOOD.replace("</body>", "<script>console.error('something broke')</script></body>"),
     "console error: \"codedpo-check:console.error something broke"),
    ("missing image", GOOD.replace("</body>", '<img src="no-such-image.png"></body>'),
     "console error: \"codedpo-check:resource IMG"),
    ("missing image (static)", GOOD.replace("</body>", '<img src="no-such-image.png"></body>'),
     "not self-contained: the page references 'no-such-image.png'"),
    ("external stylesheet", GOOD.replace("</head>", '<link rel="stylesheet" href="https://example.invalid/x.css"></head>'),
     "not self-contained: the page references 'https://example.invalid/x.css'"),
    ("blank page", "<!doctype html><html><head></head><body></body></html>", "blank page"),
    ("two colours", "<!doctype html><html><body style='margin:0'><div style='width:640px;height:3000px;background:#000'></div></body></html>",
     "too few colours"),
]


def self_test(chromium):
    """Runs every check on a good page (must pass) and on each bad page (must fail with the
    detector's own message), so a detector that stops working fails here."""
    folder = tempfile.mkdtemp(prefix="check-report-selftest-")
    failed = False
    try:
        cases = [("good page", GOOD, None)] + BAD_PAGES
        pages = {}
        for name, page, _ in cases:
            if page not in pages:
                pages[page] = os.path.join(folder, "page-%d.html" % len(pages))
                with open(pages[page], "w", encoding="utf-8") as f:
                    f.write(page)
        # Pages render in parallel (each chromium has its own profile folder).
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2))) as pool:
            futures = {page: pool.submit(check, chromium, path) for page, path in pages.items()}
            rendered = {page: future.result()[0] for page, future in futures.items()}
        for name, page, expected in cases:
            failures = rendered[page]
            text = "; ".join(failures)
            ok = not failures if expected is None else expected in text
            failed |= not ok
            print("self-test %-24s %-5s %s" % (name + ":", "ok" if ok else "WRONG",
                                                (text or "no problem found") + ("" if ok or expected is None else "  [expected: %s]" % expected)))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if failed:
        print("check_report: self-test FAILED: a detector missed a bad page or flagged a good one", file=sys.stderr)
        return 1
    print("check_report: self-test passed: every bad page was caught by its detector, the good page passed")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("html", nargs="?", help="the report to check")
    parser.add_argument("--screenshot", metavar="OUT.png", help="also write the screenshot here")
    parser.add_argument("--self-test", action="store_true", help="check that bad pages are caught and a good one passes")
    parser.add_argument("--min-ink", type=float, default=0.02, help="minimum share of pixels unlike the background (default 0.02)")
    parser.add_argument("--min-colours", type=int, default=6, help="minimum distinct colours (default 6)")
    args = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        print("check_report: no chromium binary (tried %s); install it: apt-get install -y chromium" % ", ".join(CHROMIUM_NAMES),
              file=sys.stderr)
        return 2
    if args.self_test:
        return self_test(chromium)
    if not args.html:
        parser.print_usage(sys.stderr)
        return 2
    failures, ink, colours = check(chromium, args.html, args.screenshot, args.min_ink, args.min_colours)
    if failures:
        for failure in failures:
            print("check_report: %s: %s" % (args.html, failure), file=sys.stderr)
        return 1
    print("check_report: %s ok: %.1f%% of the screenshot inked, %d colours, no console errors, self-contained"
          % (args.html, 100 * ink, colours))
    return 0


if __name__ == "__main__":
    sys.exit(main())
