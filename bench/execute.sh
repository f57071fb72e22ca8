#!/usr/bin/env bash
# Benchmark of `codedpo execute` on CodeT's CodeGen-16B HumanEval samples (all solutions x all
# their generated tests, per-test timeout 0.1 s, as CodeT ran them), beside two baselines
# measured in the same run: one interpreter per pair (naive) and a bare in-process loop
# (the speed limit). Release build. Usage: bench/execute.sh [DATA_DIR] [JOBS]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-../shared/data}"
JOBS="${2:-$(nproc)}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
swift build -c release >/dev/null
B=.build/release/codedpo
DB="$WORK/bench.db"
$B init --db "$DB" >/dev/null
$B import problems "$DATA/humaneval/HumanEval.jsonl.gz" --format humaneval --db "$DB" >/dev/null
$B import solutions "$DATA/codet/HumanEval_codegen16B_temp0.8_topp0.95_num100_max300_code_solution.tasks0-81.jsonl" \
    --format codet --prompts "$DATA/codet/HumanEval_for_code_generation.jsonl" --db "$DB" >/dev/null
$B import tests "$DATA/codet/HumanEval_codegen16B_temp0.8_topp0.95_num100_max300_test_case.tasks0-81.jsonl" \
    --format codet --prompts "$DATA/codet/HumanEval_for_test_case_generation.jsonl" --db "$DB" >/dev/null
PY=$(python3 -c 'import sys; print(sys.executable)')
echo "python: $PY; jobs: $JOBS; load: $(cut -d' ' -f1-3 /proc/loadavg)"
$B execute --tests generated --timeout 0.1 --jobs "$JOBS" --quiet --format json --db "$DB" > "$WORK/engine.json"
"$PY" bench/execute_baselines.py "$DB" 1 --timeout 0.1 > "$WORK/baselines.json"
"$PY" - "$WORK/engine.json" "$WORK/baselines.json" <<'PYEOF'
import json, sys
engine = json.load(open(sys.argv[1])); base = json.load(open(sys.argv[2]))
e = engine["verdicts_per_second"]; n = base["naive"]; c = base["inprocess_clean"]; t = base["inprocess_timed"]
print(f"{'path':<56} {'verdicts':>9} {'seconds':>9} {'verdicts/s':>11}")
print(f"{'codedpo execute (sandboxed, every pair)':<56} {engine['done']:>9} {engine['seconds']:>9.1f} {e:>11.0f}")
print(f"{'naive: one interpreter per pair (random sample)':<56} {n['pairs']:>9} {n['seconds']:>9.1f} {n['verdicts_per_second']:>11.1f}")
print(f"{'in-process, no isolation, same asserts + 0.1 s timer':<56} {t['asserts']:>9} {t['seconds']:>9.1f} {t['verdicts_per_second']:>11.0f}")
print(f"{'in-process, no isolation, non-looping solutions only':<56} {c['asserts']:>9} {c['seconds']:>9.1f} {c['verdicts_per_second']:>11.0f}")
print(f"execute / naive                  = {e / n['verdicts_per_second']:.0f}x (target >= 100x)")
print(f"execute / in-process (same work) = {e / t['verdicts_per_second']:.2f} (target >= 0.25)")
print(f"execute / in-process (clean)     = {e / c['verdicts_per_second']:.2f} (no timeouts in that loop; see README)")
print(f"verdicts equal to the one-process-per-pair reference: {n['agree']}/{n['pairs']}")
for d in n["disagreements"]:
    print("  differs:", d)
print("statuses:", engine["statuses"])
PYEOF
