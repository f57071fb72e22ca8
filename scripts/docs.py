#!/usr/bin/env python3
"""Keeps docs/commands/<command>.md in step with the binary, the way sqlite-utils keeps its
CLI reference with cog: every page has a block with the command's `--help` (what it does and
every option) and a block with examples run for real on the demo database, output included.
Only the blocks between the markers are rewritten; everything else on a page is written by
people and kept.

    swift build -c release && scripts/docs.py            # every page
    scripts/docs.py score eval                           # only these pages
    scripts/docs.py --check                              # exit 1 if a help block is stale
    scripts/docs.py --help-only                          # only the help blocks (no examples run)

The examples run in a fresh `codedpo demo` folder (the built-in dataset, no network), one
after another, so later ones see what earlier ones wrote (as a reader following the page
would). Timings in their output differ from run to run.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGES = os.path.join(ROOT, "docs", "commands")
WORK = None  # the temporary folder the examples run in
BINARY = os.environ.get("CODEDPO", os.path.join(ROOT, ".build", "release", "codedpo"))

# Page name -> (the command path, the examples). An example is a shell line run in the demo
# folder (`codedpo` is the binary under test); `#hidden` lines prepare without being shown.
# A group's default subcommand is documented on the group's page (its help is the page's reference).
PAGES_SPEC = {
    "demo": (["demo"], ["codedpo demo --dir codedpo-demo"]),
    "run": (["run"], ["codedpo run --config pipeline.json", "codedpo run --config pipeline.json --dry-run"]),
    "init": (["init"], ["codedpo init --db example.db"]),
    "migrate": (["migrate"], ["codedpo migrate --status --db example.db"]),
    "import": (["import"], [
        "codedpo import problems data/demo_problems.jsonl --db example.db",
        "codedpo import problems data/demo_problems.jsonl --db example.db --dry-run",
    ]),
    "generate": (["generate"], [
        "codedpo generate solutions --endpoint http://127.0.0.1:8000/v1 --model qwen -n 4 --dry-run --db demo.db",
        "codedpo generate tests --api completion --print-template",
    ]),
    "execute": (["execute"], [
        "cp demo.db scratch.db #hidden",
        "codedpo execute --timeout 1 --jobs 2 --problem demo/second_largest --db scratch.db",
        "codedpo execute --timeout 1 --jobs 2 --problem demo/second_largest --db scratch.db",
    ]),
    "score": (["score"], ["codedpo score --strategy self-validation --damping 0.5,0.95 --db demo.db"]),
    "score-runs": (["score-runs"], ["codedpo score-runs --db demo.db"]),
    "scores": (["scores"], ["codedpo scores --score-run 1 --problem demo/second_largest --limit 4 --db demo.db"]),
    "compare": (["compare"], ["codedpo compare 1 4 --db demo.db"]),
    "eval": (["eval", "rankings"], ["codedpo eval --score-run 1 --score-run 2 --score-run 3 --db demo.db"]),
    "eval-models": (["eval", "models"], []),
    "decontaminate": (["decontaminate"], []),
    "efficiency": (["efficiency", "run"], ["codedpo efficiency --score-run 1 --repeat 3 --min-seconds 0.002 --max-noise 0.3 --db demo.db"]),
    "efficiency-compare": (["efficiency", "compare"], ["codedpo efficiency compare 1 2 --db demo.db"]),
    "pairs": (["pairs", "build"], ["codedpo pairs --score-run 1 --efficiency-run 1 --name strict --min-margin 0.5 --db demo.db"]),
    "pairs-show": (["pairs", "show"], ["codedpo pairs show --pair-set demo --problem demo/second_largest --limit 1 --width 40 --db demo.db"]),
    "export": (["export"], [
        "codedpo export --pair-set demo --format trl --out exports/example.trl.jsonl --db demo.db",
        "head -c 300 exports/example.trl.jsonl; echo",
    ]),
    "stats": (["stats"], ["codedpo stats --db demo.db"]),
    "runs": (["runs"], ["codedpo runs --limit 5 --db demo.db"]),
    "query": (["query"], [
        "codedpo query \"SELECT strategy, count(*) AS score_runs FROM score_runs GROUP BY strategy\" --db demo.db",
        "codedpo query \"SELECT status, count(*) AS n FROM executions GROUP BY status\" --format json --db demo.db",
    ]),
    "report": (["report"], ["codedpo report --out report.html --db demo.db"]),
    "merge": (["merge"], [
        "codedpo init --db shard-0.db && codedpo import problems data/demo_problems.jsonl --db shard-0.db > /dev/null 2>&1 #hidden",
        "codedpo init --db shard-1.db && codedpo import problems data/demo_problems.jsonl --db shard-1.db && codedpo import solutions data/demo_solutions.jsonl --db shard-1.db > /dev/null 2>&1 #hidden",
        "codedpo merge merged.db shard-0.db shard-1.db",
    ]),
    "bench": (["bench"], []),
    "bench-store": (["bench", "store"], ["codedpo bench store --rows 100000 --rounds 1"]),
    "bench-import": (["bench", "import"], ["codedpo bench import --lines 100000"]),
    "bench-score": (["bench", "score"], ["codedpo bench score --verdicts 100000"]),
    "bench-scale": (["bench", "scale"], []),
}

HELP_START = "<!-- help: generated by scripts/docs.py from `codedpo {command} --help`; edit the help text in Sources/codedpo -->"
HELP_END = "<!-- /help -->"
EXAMPLE_START = "<!-- examples: generated by scripts/docs.py, run on the demo database -->"
EXAMPLE_END = "<!-- /examples -->"


def run(args, cwd=None):
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True)


def help_text(path):
    result = run([BINARY] + path + ["--help"], cwd=ROOT)
    return result.stdout.rstrip() + "\n"


def block(text, start, end):
    return f"{start}\n{text.rstrip()}\n{end}"


def replace_block(page, start_prefix, end, new):
    pattern = re.compile(re.escape(start_prefix) + r".*?" + re.escape(end), re.S)
    if pattern.search(page):
        return pattern.sub(lambda _: new, page, count=1)
    return None


def run_examples(examples, folder):
    shown = []
    # `codedpo` in an example is the binary under test, whatever its file is called.
    bin_dir = os.path.join(WORK, ".bin")
    os.makedirs(bin_dir, exist_ok=True)
    if not os.path.exists(os.path.join(bin_dir, "codedpo")):
        os.symlink(os.path.abspath(BINARY), os.path.join(bin_dir, "codedpo"))
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ["PATH"], COLUMNS="100")
    env.pop("CODEDPO_DB", None)
    for line in examples:
        hidden = line.endswith("#hidden")
        command = line.removesuffix("#hidden").strip()
        # One stream, as a terminal shows them (stdout is a pipe here, so its lines may arrive
        # after stderr's); the temporary folder is cut from paths, so they read as relative.
        result = subprocess.run(command, shell=True, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        output = result.stdout.replace(folder.rstrip("/") + "/", "").replace(WORK + "/", "").rstrip()
        if result.returncode != 0 and not hidden:
            print(f"docs: `{command}` exited {result.returncode}:\n{output}", file=sys.stderr)
        if not hidden:
            shown.append(f"$ {command}\n{output}" if output else f"$ {command}")
    return "```console\n" + "\n\n".join(shown) + "\n```" if shown else ""


def new_page(name, path, abstract):
    title = "codedpo " + " ".join(path)
    return (f"# {title}\n\n{abstract}\n\n## Reference\n\n{HELP_START.format(command=' '.join(path))}\n{HELP_END}\n\n"
            f"## Examples\n\n{EXAMPLE_START}\n{EXAMPLE_END}\n\n"
            f"[All commands](README.md) · [Glossary](../glossary.md)\n")


def update(name, folder, check=False):
    path, examples = PAGES_SPEC[name]
    help_out = help_text(path)
    abstract = help_out.split("\n\n")[0].replace("OVERVIEW: ", "").replace("\n", " ").strip()
    file = os.path.join(PAGES, name + ".md")
    page = open(file).read() if os.path.exists(file) else new_page(name, path, abstract)
    start = HELP_START.format(command=" ".join(path))
    help_block = block("```text\n" + help_out.rstrip() + "\n```", start, HELP_END)
    updated = replace_block(page, "<!-- help:", HELP_END, help_block)
    if updated is None:
        updated = page.rstrip() + "\n\n## Reference\n\n" + help_block + "\n"
    if check:
        return updated == page
    if examples and folder:
        example_block = block(run_examples(examples, folder), EXAMPLE_START, EXAMPLE_END)
        replaced = replace_block(updated, "<!-- examples:", EXAMPLE_END, example_block)
        updated = replaced if replaced is not None else updated.rstrip() + "\n\n## Examples\n\n" + example_block + "\n"
    with open(file, "w") as out:
        out.write(updated)
    return True


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    check = "--check" in sys.argv
    names = args or list(PAGES_SPEC)
    if "--help-only" in sys.argv:
        for name in names:
            update(name, None)
        return
    if not os.path.exists(BINARY):
        sys.exit(f"docs: no binary at {BINARY}: swift build -c release first")
    os.makedirs(PAGES, exist_ok=True)
    if check:
        stale = [n for n in names if not update(n, None, check=True)]
        if stale:
            sys.exit("docs: stale help blocks (run scripts/docs.py): " + ", ".join(stale))
        return
    global WORK
    work = WORK = tempfile.mkdtemp(prefix="codedpo-docs-")
    try:
        # Every example runs in the demo folder; the demo page's own example makes it.
        subprocess.run([BINARY, "demo", "--dir", os.path.join(work, "codedpo-demo")], cwd=work, capture_output=True, check=True)
        folder = os.path.join(work, "codedpo-demo")
        for name in names:
            if name == "demo":
                shutil.rmtree(folder)
                update(name, work)
            else:
                update(name, folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
