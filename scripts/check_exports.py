"""Load codedpo exports the way trainers do and check the columns they expect.

Usage: python3 scripts/check_exports.py MANIFEST.json [MANIFEST.json ...]
       python3 scripts/check_exports.py DIR          (every *.manifest.json in DIR)

Each manifest (written beside every export) names the format and the files. Every file is
loaded with Hugging Face `datasets` (load_dataset("json", ...), as TRL's examples do) and
checked against what the trainer reads:
  trl / openrlhf   DPOTrainer (standard): prompt, chosen, rejected strings (+ margin, a number)
  trl-chat         DPOTrainer (conversational): prompt, chosen, rejected as [{role, content}]
  kto              KTOTrainer: prompt, completion strings, label bools (both labels present)
  sft              SFTTrainer (prompt-completion): prompt, completion strings
  llamafactory     ranking data: instruction, input, chosen, rejected + a dataset_info.json
                   entry with "ranking": true naming the file
  grpo             GRPOTrainer: prompt [{role, content}], tests (list of str), entry_point,
                   language (extra columns reach the reward functions)
  verl             RLHFDataset: a .json or .parquet file (never .jsonl) of data_source, prompt
                   (messages), ability, reward_model {style "rule", ground_truth: JSON text with
                   assert_case, and inputs/outputs/fn_name of equal lengths when present}, extra_info
  openrlhf-rl      PPO: input str, label str (JSON text with tests)
A folder with a README.md dataset card (export --hub) is also loaded as the Hub loads it,
load_dataset(DIR), and must have every split the manifest names with its row count.
Exits 1 listing every problem, 0 when all files pass. Needs `pip install datasets`.
"""
import glob
import json
import os
import sys
import tempfile

try:
    from datasets import load_dataset
except ImportError:
    sys.exit("check_exports.py needs Hugging Face datasets: python3 -m pip install datasets")

# A fresh cache: datasets may reuse a cached folder of the same name built from other files.
CACHE = tempfile.mkdtemp(prefix="codedpo-check-exports-")

EXPECTED = {
    "trl": {"prompt": str, "chosen": str, "rejected": str},
    "openrlhf": {"prompt": str, "chosen": str, "rejected": str, "margin": float},
    "trl-chat": {"prompt": list, "chosen": list, "rejected": list},
    "kto": {"prompt": str, "completion": str, "label": bool},
    "sft": {"prompt": str, "completion": str},
    "llamafactory": {"instruction": str, "input": str, "chosen": str, "rejected": str},
    "grpo": {"prompt": list, "tests": list, "entry_point": str, "language": str},
    "verl": {"data_source": str, "prompt": list, "ability": str, "reward_model": dict, "extra_info": dict},
    "openrlhf-rl": {"input": str, "label": str},
}


def check_rl_row(path, i, fmt, row, problems):
    """What the RL trainers' reward functions read beyond the column types."""
    if fmt == "grpo":
        if not row["tests"] or not all(isinstance(t, str) and t.strip() for t in row["tests"]):
            problems.append(f"{path}: row {i}: tests must be a non-empty list of test programs")
    elif fmt == "verl":
        reward = row["reward_model"]
        if reward.get("style") != "rule":
            problems.append(f"{path}: row {i}: reward_model.style is {reward.get('style')!r}, expected 'rule'")
        try:
            truth = json.loads(reward.get("ground_truth") or "")
        except ValueError:
            problems.append(f"{path}: row {i}: reward_model.ground_truth is not JSON text")
            return
        if not truth.get("assert_case"):
            problems.append(f"{path}: row {i}: ground_truth has no assert_case")
        if "inputs" in truth and not (len(truth["inputs"]) == len(truth["outputs"]) == len(truth["assert_case"]) and truth.get("fn_name")):
            problems.append(f"{path}: row {i}: ground_truth inputs/outputs/fn_name do not match its asserts")
    elif fmt == "openrlhf-rl":
        try:
            label = json.loads(row["label"])
        except ValueError:
            problems.append(f"{path}: row {i}: label is not JSON text")
            return
        if not label.get("tests"):
            problems.append(f"{path}: row {i}: label has no tests")


def check_file(path, fmt, problems):
    if fmt == "verl" and not (path.endswith(".json") or path.endswith(".parquet")):
        problems.append(f"{path}: verl reads .json or .parquet files only")
    data = load_dataset("parquet" if path.endswith(".parquet") else "json", data_files=path, split="train", cache_dir=CACHE)
    expected = EXPECTED[fmt]
    missing = [c for c in expected if c not in data.column_names]
    if missing:
        problems.append(f"{path}: missing columns {missing} (has {data.column_names})")
        return 0
    for i, row in enumerate(data):
        for column, kind in expected.items():
            value = row[column]
            if kind is float and isinstance(value, int):
                value = float(value)
            if not isinstance(value, kind):
                problems.append(f"{path}: row {i}: {column} is {type(value).__name__}, expected {kind.__name__}")
            elif kind is str and column != "input" and not value.strip():
                problems.append(f"{path}: row {i}: {column} is empty")
            elif kind is list and column != "tests":
                if not value or not all(isinstance(m, dict) and m.get("role") and m.get("content") for m in value):
                    problems.append(f"{path}: row {i}: {column} is not a list of {{role, content}} messages")
        if fmt in ("grpo", "verl", "openrlhf-rl"):
            check_rl_row(path, i, fmt, row, problems)
        if fmt == "trl-chat" and row["chosen"][0]["role"] != "assistant":
            problems.append(f"{path}: row {i}: chosen must be an assistant message")
    if fmt == "kto":
        labels = set(data["label"])
        if labels != {True, False}:
            problems.append(f"{path}: KTO needs desirable and undesirable rows, has labels {sorted(labels)}")
    return len(data)


def check_manifest(manifest_path, problems):
    manifest = json.load(open(manifest_path))
    fmt = manifest["format"]
    folder = os.path.dirname(os.path.abspath(manifest_path))
    rows = 0
    for entry in manifest["files"]:
        path = os.path.join(folder, entry["path"])
        count = check_file(path, fmt, problems)
        if count != entry["rows"]:
            problems.append(f"{path}: {count} rows loaded, the manifest says {entry['rows']}")
        rows += count
    if fmt == "llamafactory":
        info_path = os.path.join(folder, "dataset_info.json")
        info = json.load(open(info_path)) if os.path.exists(info_path) else {}
        names = {e["path"] for e in manifest["files"]}
        entries = [v for v in info.values() if v.get("file_name") in names]
        if not entries or not all(v.get("ranking") is True for v in entries):
            problems.append(f"{info_path}: no entry with \"ranking\": true for {sorted(names)}")
    if os.path.exists(os.path.join(folder, "README.md")) and manifest.get("card"):
        check_hub_folder(folder, manifest, problems)
    print(f"ok  {fmt:<12} {rows:>7} rows  {os.path.basename(manifest_path)}" if not problems else f"..  {fmt:<12} {rows:>7} rows  {os.path.basename(manifest_path)}")


def check_hub_folder(folder, manifest, problems):
    """The folder loads as the Hub loads it: splits from the card's YAML configs."""
    loaded = load_dataset(folder, cache_dir=CACHE)
    for entry in manifest["files"]:
        split = entry["split"] or "train"
        if split not in loaded:
            problems.append(f"{folder}: load_dataset finds splits {sorted(loaded)}, not {split}")
        elif len(loaded[split]) != entry["rows"]:
            problems.append(f"{folder}: split {split} has {len(loaded[split])} rows, the manifest says {entry['rows']}")


def main(arguments):
    if not arguments:
        sys.exit(__doc__)
    manifests = []
    for argument in arguments:
        manifests += sorted(glob.glob(os.path.join(argument, "*.manifest.json"))) if os.path.isdir(argument) else [argument]
    if not manifests:
        sys.exit(f"no *.manifest.json found in {arguments}")
    problems = []
    for manifest in manifests:
        check_manifest(manifest, problems)
    for problem in problems:
        print("FAIL", problem)
    print(f"{len(manifests)} exports checked, {len(problems)} problems")
    import shutil
    shutil.rmtree(CACHE, ignore_errors=True)
    sys.exit(1 if problems else 0)


main(sys.argv[1:])
