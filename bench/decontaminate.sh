#!/usr/bin/env bash
# Benchmark of `codedpo decontaminate`: ROWS solutions (CodeT's CodeGen-16B HumanEval samples,
# repeated with a numbered comment so every row is distinct) checked against MBPP+ and MBPP
# (805 benchmark items), beside the naive baseline (every benchmark string searched in every
# row, every item's n-gram set probed) measured on the first BASELINE rows of the same run.
# Release build. Usage: bench/decontaminate.sh [DATA_DIR] [ROWS] [BASELINE]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-../shared/data}"
ROWS="${2:-1000000}"
BASELINE="${3:-2000}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
swift build -c release >/dev/null
B=.build/release/codedpo
DB="$WORK/bench.db"
$B init --db "$DB" >/dev/null
$B import problems "$DATA/humaneval/HumanEval.jsonl.gz" --format humaneval --db "$DB" >/dev/null
$B import solutions "$DATA/codet/HumanEval_codegen16B_temp0.8_topp0.95_num100_max300_code_solution.tasks0-81.jsonl" \
    --format codet --prompts "$DATA/codet/HumanEval_for_code_generation.jsonl" --db "$DB" >/dev/null
BASE=$(sqlite3 "$DB" "SELECT count(*) FROM solutions")
REPS=$(( (ROWS + BASE - 1) / BASE ))
sqlite3 "$DB" <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $REPS - 1)
INSERT INTO solutions (problem_id, content_hash, code, sample_count, run_id)
SELECT s.problem_id, s.content_hash || '-' || n.i, s.code || '# variant ' || n.i || char(10), 1, s.run_id
FROM (SELECT * FROM solutions ORDER BY id) s, n;
DELETE FROM solutions WHERE id > $ROWS;
SQL
echo "rows: $(sqlite3 "$DB" "SELECT count(*) FROM solutions") solutions, $(sqlite3 "$DB" "SELECT count(*) FROM problems") problems; load: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -f "peak RSS %M KB" $B decontaminate --db "$DB" --benchmark "MBPP+=$DATA/evalplus/MbppPlus.jsonl.gz" \
    --benchmark "MBPP=$DATA/codet/mbpp_sanitized_for_code_generation.jsonl" --naive-baseline "$BASELINE" --format json --show 0 > "$WORK/report.json"
python3 - "$WORK/report.json" "$ROWS" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1])); rows = r["checked"]
b = r["baseline"]
total = sum(rows.values())
print(f"decontaminate: {total} rows in {r['seconds']:.1f} s ({r['rows_per_second']:.0f} rows/s; index built in {r['index_seconds']:.2f} s); "
      f"matches {r['matches']}, contaminated problems {r['contaminated_problems']}")
naive_rate = b["rows"] / b["naive_seconds"]; indexed_rate = b["rows"] / b["indexed_seconds"]
print(f"baseline on the first {b['rows']} rows: indexed {indexed_rate:.0f} rows/s, naive {naive_rate:.0f} rows/s "
      f"({b['naive_seconds'] / b['indexed_seconds']:.1f}x); answers {'agree' if b['agree'] else 'DIFFER'}")
print(f"naive on all {total} rows would take about {total / naive_rate / 60:.1f} min")
PYEOF
