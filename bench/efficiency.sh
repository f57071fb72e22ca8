#!/usr/bin/env bash
# Benchmark of `codedpo efficiency`, both methods on the same problems in one run: the cost per
# timed (solution, trusted-test set), and how stable each method is between two runs (Kendall's
# tau of the rankings, solution pairs that keep their order, efficiency pairs that repeat).
# Data: CodeT's CodeGen-16B HumanEval samples (as the README's efficiency section), consensus
# score run, HumanEval/0-3 by default; or `demo`: the built-in demo dataset (`codedpo demo`),
# its self-validation score run, every problem. CPU time runs as the README's stability table
# ran it (--repeat 3 --min-seconds 0.005, cheaper than the defaults 5 and 0.02); instructions use
# their defaults (1 repetition).
# Usage: bench/efficiency.sh [DATA_DIR|demo] [PROBLEM...]     (BUILD=debug to skip the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/codet_db.sh
DATA="${1:-../shared/data}"
shift || true
PROBLEMS=("$@")
[ ${#PROBLEMS[@]} -eq 0 ] && [ "$DATA" != demo ] && PROBLEMS=(HumanEval/0 HumanEval/1 HumanEval/2 HumanEval/3)
BUILD="${BUILD:-release}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
swift build -c "$BUILD" >/dev/null
# A copy: a build during the benchmark must not change the binary under it.
cp ".build/$BUILD/codedpo" "$WORK/codedpo"
B="$WORK/codedpo"
DB="$WORK/bench.db"
ONLY=()
for p in "${PROBLEMS[@]+"${PROBLEMS[@]}"}"; do ONLY+=(--problem "$p"); done
if [ "$DATA" = demo ]; then
    $B demo --dir "$WORK/demo" >/dev/null 2>&1
    DB="$WORK/demo/demo.db"
    SCORE=$($B query "SELECT min(id) FROM score_runs WHERE strategy = 'self-validation'" --format csv --db "$DB" | tail -1 | tr -d '\r')
else
    codet_db "$B" "$DATA" "$DB"
    $B execute --tests generated --timeout 0.1 --quiet "${ONLY[@]}" --db "$DB" >/dev/null
    $B score --strategy consensus --db "$DB" >/dev/null
    SCORE=$($B query "SELECT max(id) FROM score_runs" --format csv --db "$DB" | tail -1 | tr -d '\r')
fi
echo "python: $(python3 -c 'import sys; print(sys.executable)'); data: $DATA; problems: ${PROBLEMS[*]:-all}; score run $SCORE; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
# Each run: wall and CPU seconds of the command and every process below it (the worker,
# valgrind, the template, job processes, loaders). `time` alone misses processes that die with
# the worker unreaped (the template and the job in flight, killed by PDEATHSIG when the worker
# stops): the wrapper is their subreaper and reaps them all before reading RUSAGE_CHILDREN.
cat > "$WORK/measure.py" <<'PYEOF'
import ctypes, os, resource, subprocess, sys, time
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)   # PR_SET_CHILD_SUBREAPER
start = time.monotonic()
status = subprocess.call(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as f:
    f.write("%.2f %.2f %.2f\n" % (time.monotonic() - start, usage.ru_utime, usage.ru_stime))
sys.exit(status)
PYEOF
: > "$WORK/runs.txt"
for method in cpu_time instructions; do
    args=(--method "$method")
    [ "$method" = cpu_time ] && args+=(--repeat 3 --scale 0.005)
    for seed in 1 2; do
        python3 "$WORK/measure.py" "$WORK/time.txt" $B efficiency --score-run "$SCORE" "${args[@]}" --seed "$seed" "${ONLY[@]+"${ONLY[@]}"}" --db "$DB"
        run=$($B query "SELECT max(id) FROM efficiency_runs" --format csv --db "$DB" | tail -1 | tr -d '\r')
        $B pairs --score-run "$SCORE" --efficiency-run "$run" --name "$method-$seed" --efficiency-only --db "$DB" >/dev/null
        echo "$method $seed $run $(cat "$WORK/time.txt")" >> "$WORK/runs.txt"
    done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$DB" "$WORK/runs.txt" <<'PYEOF'
import itertools, json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
runs = [line.split() for line in open(sys.argv[2])]
by = {}
for method, seed, run, wall, user, system in runs:
    by.setdefault(method, []).append((int(run), float(wall), float(user) + float(system)))

def kendall(x, y):
    n = len(x); c = d = tx = ty = 0
    for i, j in itertools.combinations(range(n), 2):
        a = (x[i] > x[j]) - (x[i] < x[j]); b = (y[i] > y[j]) - (y[i] < y[j])
        if a == 0 and b == 0: continue
        if a == 0: tx += 1
        elif b == 0: ty += 1
        elif a == b: c += 1
        else: d += 1
    den = ((c + d + tx) * (c + d + ty)) ** 0.5
    return (c - d) / den if den else None

def medians(run):
    return {s: (p, m) for s, p, m in db.execute(
        "SELECT solution_id, problem_id, median FROM efficiency_results WHERE efficiency_run_id = ? AND median IS NOT NULL", (run,))}

rows = []
for method, pair in by.items():
    (a, wall_a, cpu_a), (b, wall_b, cpu_b) = pair
    timed = db.execute("SELECT json_extract(summary, '$.timed_solutions') FROM efficiency_runs WHERE id = ?", (a,)).fetchone()[0]
    counted = db.execute("SELECT method FROM efficiency_runs WHERE id = ?", (a,)).fetchone()[0]
    ma, mb = medians(a), medians(b)
    taus = []
    for problem in {p for p, _ in ma.values()}:
        common = [s for s in ma if ma[s][0] == problem and s in mb]
        if len(common) >= 2:
            t = kendall([ma[s][1] for s in common], [mb[s][1] for s in common])
            if t is not None: taus.append(t)
    kept = {1.1: [0, 0, 0], 1.5: [0, 0, 0], 2.0: [0, 0, 0]}
    for s, t in itertools.combinations(sorted(set(ma) & set(mb)), 2):
        if ma[s][0] != ma[t][0]: continue
        fast, slow = (s, t) if ma[s][1] < ma[t][1] else (t, s)
        ratio = ma[slow][1] / ma[fast][1] if ma[fast][1] > 0 else float("inf")
        for k in kept:
            if ratio >= k:
                kept[k][0] += 1
                if mb[slow][1] > mb[fast][1]: kept[k][1] += 1
                if mb[fast][1] > 0 and mb[slow][1] / mb[fast][1] >= 1.1: kept[k][2] += 1
    pairs = [set(db.execute("SELECT chosen_solution_id, rejected_solution_id FROM pairs p JOIN pair_sets s ON s.id = p.pair_set_id WHERE s.efficiency_run_id = ?", (r,)).fetchall()) for r in (a, b)]
    within = None
    if counted == "instructions":
        spread = db.execute("""SELECT x.instructions, y.instructions FROM timings x JOIN timings y ON y.efficiency_run_id = ? AND y.solution_id = x.solution_id
                               AND y.test_id = x.test_id AND y.repetition = x.repetition WHERE x.efficiency_run_id = ? AND x.status = 'pass' AND y.status = 'pass'""", (b, a)).fetchall()
        within = (sum(1 for u, v in spread if u and v and abs(u - v) / max(u, v) <= 0.005), len(spread))
    rows.append((method, counted, timed, (wall_a + wall_b) / 2 / timed, (cpu_a + cpu_b) / 2 / timed, taus, kept, pairs, within))

print(f"{'method':<14} {'ran':<13} {'timed':>5} {'wall s/solution':>15} {'cpu s/solution':>14} {'tau (problems)':>16} {'>=1.1x keep order':>18} {'>=1.5x':>8} {'>=2x':>8} {'eff. pairs same':>16}")
for method, counted, timed, wall, cpu, taus, kept, pairs, within in rows:
    tau = f"{sum(taus) / len(taus):.3f} ({len(taus)})" if taus else "-"
    share = lambda k: f"{kept[k][1]}/{kept[k][0]}" if kept[k][0] else "-"
    same = f"{len(pairs[0] & pairs[1])}/{len(pairs[0] | pairs[1])}"
    print(f"{method:<14} {counted:<13} {timed:>5} {wall:>15.3f} {cpu:>14.3f} {tau:>16} {share(1.1):>18} {share(1.5):>8} {share(2.0):>8} {same:>16}")
    if within:
        print(f"  instruction counts within 0.5% between the two runs: {within[0]}/{within[1]} measurements")
    for k in kept:
        if kept[k][0]:
            print(f"  pairs >= {k}x apart in run 1: {kept[k][1]}/{kept[k][0]} keep their order in run 2, {kept[k][2]} still >= 1.1x apart")
cost = {m: c for m, _, _, _, c, *_ in rows}
if "cpu_time" in cost and "instructions" in cost:
    print(f"instructions / cpu_time, CPU seconds per timed solution: {cost['instructions'] / cost['cpu_time']:.2f} (target <= 2)")
PYEOF
