#!/bin/bash
# Proves the Slurm scale-out path on this machine, for real:
#   - installs Debian's slurm-wlm and munge when missing (root);
#   - starts a private munged and a one-node Slurm cluster (slurmctld + slurmd on this host,
#     everything under $SLURM_CHECK_DIR, its own ports and munge socket: nothing system-wide);
#   - builds codedpo (swift build -c release) unless CODEDPO names a binary;
#   - imports a small real workload into base.db (13 HumanEval problems with CodeT's
#     CodeGen-16B solutions and generated tests, chosen to have no slow or looping samples);
#   - submits deploy/slurm/execute-array.sbatch as a 4-task job array and
#     deploy/slurm/merge.sbatch with --dependency=afterok, waits for both;
#   - runs the same execute unsharded on a copy of base.db and requires the verdicts
#     (problem, solution hash, test hash, config hash, status) and the scores of every
#     deterministic strategy to be identical;
#   - stops the cluster (also on failure or Ctrl-C) and prints a summary.
# Exit 0 only when everything is equal. Running it again starts from scratch.
#
#   scripts/slurm_check.sh
#   CODEDPO=/path/to/codedpo scripts/slurm_check.sh      # skip the build
#   SHARDS=3 TIMEOUT=5 scripts/slurm_check.sh
#   SLURM_CGROUP=1 scripts/slurm_check.sh   # proctrack/cgroup + task/cgroup (cgroup v1 here)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA=${DATA:-$ROOT/../shared/data}
D=${SLURM_CHECK_DIR:-/tmp/codedpo-slurm-check}
SHARDS=${SHARDS:-4}
TIMEOUT=${TIMEOUT:-2}
CTLD_PORT=${CTLD_PORT:-16817}
SLURMD_PORT=${SLURMD_PORT:-16818}
WAIT_LIMIT=${WAIT_LIMIT:-900}
SLURM_CGROUP=${SLURM_CGROUP:-0}
# About three per shard of 4 (by codedpo's shard hash); no test of theirs comes near a timeout.
# HumanEval/58's verdicts depend on the order of a set of strings: equal runs prove that the
# workers' string hashing is seeded.
PROBLEMS=${PROBLEMS:-"4 7 10 16 27 28 29 31 33 37 52 58 61"}
start_time=$SECONDS

say() { echo "slurm_check: $*"; }
fail() { echo "slurm_check: FAILED: $*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || fail "run as root (it installs packages and starts Slurm's daemons as root)"
[[ -d $DATA/codet && -d $DATA/humaneval ]] || fail "no data at $DATA (set DATA=.../shared/data)"

# --- packages -------------------------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null \
    || ! command -v munged >/dev/null; then
    say "installing slurm-wlm and munge with apt"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq slurm-wlm munge >/dev/null
fi
command -v python3 >/dev/null || fail "python3 is needed (codedpo's executor runs it)"

# --- a clean state folder; stop what an earlier, killed run may have left ------------------
stop_pid() { # PID NAME: stop that process if it is still the named program
    local pid=$1 name=$2 i
    [[ -n $pid && -r /proc/$pid/comm ]] || return 0
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$name"* ]] || return 0
    kill "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 50; i++)); do [[ -r /proc/$pid/comm && $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]] || return 0; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
}
if [[ -d $D/pids ]]; then
    for f in "$D"/pids/*; do [[ -f $f ]] && stop_pid "$(cat "$f")" "$(basename "$f")"; done
fi
rm -rf "$D"
mkdir -p "$D"/{pids,log,out,state/ctld,state/slurmd,munge,work,data}
export SLURM_CONF=$D/slurm.conf

daemon_pids=()
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [[ -n ${SLURM_CONF:-} && -f $D/pids/slurmctld ]]; then
        scancel --quiet --user=root 2>/dev/null || true
        for ((i = 0; i < 30; i++)); do
            [[ -z $(squeue -h 2>/dev/null) ]] && break
            sleep 1
        done
    fi
    # slurmd, then slurmctld, then munged; each was started by this script.
    for name in slurmd slurmctld munged; do
        [[ -f $D/pids/$name ]] && stop_pid "$(cat "$D/pids/$name")" "$name"
    done
    wait "${daemon_pids[@]}" 2>/dev/null || true
    rm -f "$D"/pids/*
    if [[ $SLURM_CGROUP == 1 ]]; then  # the (empty) cgroups slurmd made
        find /sys/fs/cgroup/*/"slurm_$(hostname -s)" -depth -type d -exec rmdir {} + 2>/dev/null || true
    fi
    local left
    left=$(ps -eo stat=,comm= | awk '$1 !~ /^Z/ && $2 ~ /^(slurmctld|slurmd|slurmstepd|munged)$/' | wc -l)
    if [[ $left != 0 ]]; then say "warning: $left Slurm/munge process(es) still running"; fi
    say "cluster stopped"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- codedpo --------------------------------------------------------------------------------
if [[ -z ${CODEDPO:-} ]]; then
    say "building codedpo (swift build -c release)"
    (cd "$ROOT" && swift build -c release >"$D/log/build.log" 2>&1) || { tail -30 "$D/log/build.log" >&2; fail "build failed"; }
    CODEDPO=$ROOT/.build/release/codedpo
fi
[[ -x $CODEDPO ]] || fail "no codedpo binary at $CODEDPO"
CODEDPO=$(realpath "$CODEDPO")
export CODEDPO

# --- munge: a private key and socket --------------------------------------------------------
chmod 755 "$D/munge"
mkdir -m 700 "$D/munge/key"
dd if=/dev/urandom of="$D/munge/key/munge.key" bs=1024 count=1 status=none
chmod 600 "$D/munge/key/munge.key"
MUNGE_SOCKET=$D/munge/munge.socket
munged -F --key-file="$D/munge/key/munge.key" --socket="$MUNGE_SOCKET" \
    --pid-file="$D/munge/munged.pid" --log-file="$D/log/munged.log" --seed-file="$D/munge/munged.seed" \
    >"$D/log/munged.out" 2>&1 &
daemon_pids+=($!); echo $! >"$D/pids/munged"
for ((i = 0; i < 50; i++)); do [[ -S $MUNGE_SOCKET ]] && break; sleep 0.1; done
munge -S "$MUNGE_SOCKET" -n | unmunge -S "$MUNGE_SOCKET" >/dev/null \
    || fail "munged does not answer (see $D/log/munged.log)"

# --- a one-node cluster on this host --------------------------------------------------------
HOST=$(hostname -s)
CPUS=$(nproc)
# Default: proctrack/linuxproc and task/none: no cgroups needed, nothing outside $D is touched;
# processes are tracked by parent pid, and tasks are not bound to CPUs (a task sees every core).
# SLURM_CGROUP=1: proctrack/cgroup and task/cgroup,task/affinity with ConstrainCores (needs a
# writable cgroup hierarchy; this machine's v1 one works), removed again at the end.
if [[ $SLURM_CGROUP == 1 ]]; then
    PROCTRACK=proctrack/cgroup TASKPLUGIN=task/cgroup,task/affinity
    printf 'CgroupPlugin=autodetect\nConstrainCores=yes\nConstrainRAMSpace=no\n' >"$D/cgroup.conf"
else
    PROCTRACK=proctrack/linuxproc TASKPLUGIN=task/none
fi
cat >"$SLURM_CONF" <<EOF
ClusterName=codedpo-check
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
StateSaveLocation=$D/state/ctld
SlurmdSpoolDir=$D/state/slurmd
SlurmctldPidFile=$D/state/slurmctld.pid
SlurmdPidFile=$D/state/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
ProctrackType=$PROCTRACK
TaskPlugin=$TASKPLUGIN
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
MailProg=/bin/true
ReturnToService=2
MinJobAge=3600
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -D -c >"$D/log/slurmctld.out" 2>&1 &
daemon_pids+=($!); echo $! >"$D/pids/slurmctld"
sleep 1
slurmd -D >"$D/log/slurmd.out" 2>&1 &
daemon_pids+=($!); echo $! >"$D/pids/slurmd"
for ((i = 0; i < 60; i++)); do
    state=$(sinfo -h -n "$HOST" -o %t 2>/dev/null || true)
    [[ $state == idle ]] && break
    sleep 1
done
[[ ${state:-} == idle ]] || fail "node $HOST is '${state:-unreachable}', not idle (see $D/log/slurmctld.log, slurmd.log)"
say "cluster up: node $HOST ($CPUS CPUs) idle, $(sinfo -V), $PROCTRACK, $TASKPLUGIN"

# --- the workload: base.db ------------------------------------------------------------------
PROBLEMS="$PROBLEMS" python3 - "$DATA" "$D/data" <<'PY'
import gzip, json, os, sys
data, out = sys.argv[1], sys.argv[2]
ids = {f"HumanEval/{n}" for n in os.environ["PROBLEMS"].split()}
def prompts(name):
    with open(f"{data}/codet/{name}") as f:
        return {r["prompt"] for r in map(json.loads, f) if r["task_id"] in ids}
def keep(src, dst, wanted):
    n = 0
    with open(src) as f, open(dst, "w") as g:
        for line in f:
            if json.loads(line)["prompt"] in wanted:
                g.write(line); n += 1
    assert n == len(ids), (src, n)
with gzip.open(f"{data}/humaneval/HumanEval.jsonl.gz", "rt") as f, open(f"{out}/problems.jsonl", "w") as g:
    for line in f:
        if json.loads(line)["task_id"] in ids:
            g.write(line)
keep(f"{data}/codet/HumanEval_codegen16B_temp0.8_topp0.95_num100_max300_code_solution.tasks0-81.jsonl",
     f"{out}/solutions.jsonl", prompts("HumanEval_for_code_generation.jsonl"))
keep(f"{data}/codet/HumanEval_codegen16B_temp0.8_topp0.95_num100_max300_test_case.tasks0-81.jsonl",
     f"{out}/tests.jsonl", prompts("HumanEval_for_test_case_generation.jsonl"))
PY
W=$D/work
BASE=$W/base.db
{
    "$CODEDPO" init --db "$BASE"
    "$CODEDPO" import problems "$D/data/problems.jsonl" --format humaneval --db "$BASE"
    "$CODEDPO" import solutions "$D/data/solutions.jsonl" --format codet \
        --prompts "$DATA/codet/HumanEval_for_code_generation.jsonl" --db "$BASE"
    "$CODEDPO" import tests "$D/data/tests.jsonl" --format codet \
        --prompts "$DATA/codet/HumanEval_for_test_case_generation.jsonl" --db "$BASE"
} >"$D/log/import.log" 2>&1 || { cat "$D/log/import.log" >&2; fail "import failed"; }
[[ ! -e $BASE-wal ]] || fail "codedpo left $BASE-wal after closing base.db"
count() { "$CODEDPO" query --db "$1" "$2" --format csv | tail -n +2 | tr -d '\r'; }  # CSV rows end in CRLF
n_problems=$(count "$BASE" "SELECT count(*) FROM problems")
n_solutions=$(count "$BASE" "SELECT count(*) FROM solutions")
n_tests=$(count "$BASE" "SELECT count(*) FROM tests")
say "base.db: $n_problems problems, $n_solutions solutions, $n_tests tests (no -wal left after import)"

# --- the job array and the merge, as deploy/README.md submits them --------------------------
export WORKDIR=$W BASE SHARDS EXECUTE_OPTS="--timeout $TIMEOUT" MERGED=$W/merged.db
export MERGE_OPTS=--fail-on-conflict AFTER_MERGE="" LOCAL_DIR="" FRESH=0   # not the caller's
unset JOBS
array_start=$SECONDS
jid=$(sbatch --parsable --array="0-$((SHARDS - 1))" --cpus-per-task=1 --chdir="$W" \
    --output="$D/out/execute-%A_%a.out" "$ROOT/deploy/slurm/execute-array.sbatch")
jid=${jid%%;*}
mid=$(sbatch --parsable --dependency="afterok:$jid" --kill-on-invalid-dep=yes --chdir="$W" \
    --output="$D/out/merge-%j.out" "$ROOT/deploy/slurm/merge.sbatch")
mid=${mid%%;*}
say "submitted: execute array job $jid (shards 0-$((SHARDS - 1)), 1 CPU each), merge job $mid (afterok:$jid)"
for ((waited = 0; ; waited++)); do
    [[ -z $(squeue -h -j "$jid,$mid" 2>/dev/null) ]] && break
    ((waited < WAIT_LIMIT)) || fail "jobs still queued or running after ${WAIT_LIMIT} s: $(squeue -j "$jid,$mid")"
    sleep 1
done
array_seconds=$((SECONDS - array_start))

# Every array task and the merge must have completed with exit code 0.
scontrol show job "$jid" >"$D/log/array-job.txt"
scontrol show job "$mid" >"$D/log/merge-job.txt"
completed=$(grep -c 'JobState=COMPLETED' "$D/log/array-job.txt" || true)
exit_ok=$(grep -c 'ExitCode=0:0' "$D/log/array-job.txt" || true)
if [[ $completed != "$SHARDS" || $exit_ok != "$SHARDS" ]]; then
    tail -n 20 "$D"/out/execute-*.out >&2 || true
    fail "array job $jid: $completed of $SHARDS tasks COMPLETED, $exit_ok with exit 0 (see $D/log/array-job.txt)"
fi
if ! grep -q 'JobState=COMPLETED' "$D/log/merge-job.txt" || ! grep -q 'ExitCode=0:0' "$D/log/merge-job.txt"; then
    cat "$D"/out/merge-*.out >&2 || true
    fail "merge job $mid did not complete (see $D/log/merge-job.txt)"
fi
per_shard=()
for ((i = 0; i < SHARDS; i++)); do
    grep -q "shard $i/$SHARDS on $HOST" "$D/out/execute-${jid}_$i.out" || fail "no output of task $i in $D/out"
    per_shard+=("$i:$(count "$W/shard-$i.db" "SELECT count(*) FROM executions")")
done
merged_configs=$(count "$W/merged.db" "SELECT count(*) FROM execution_configs")
merged_count=$(count "$W/merged.db" "SELECT count(*) FROM executions")
say "array job $jid: $SHARDS tasks COMPLETED, exit 0, in ${array_seconds} s (with the merge); verdicts per shard: ${per_shard[*]}"
say "merge job $mid: merged.db has $merged_count verdicts, $merged_configs execution config(s), no conflicts"

# --- the same execute, unsharded --------------------------------------------------------------
cp "$BASE" "$W/unsharded.db"
ref_start=$SECONDS
"$CODEDPO" execute --db "$W/unsharded.db" --timeout "$TIMEOUT" --jobs "$CPUS" --quiet >"$D/log/unsharded.log" 2>&1 \
    || { cat "$D/log/unsharded.log" >&2; fail "unsharded execute failed"; }
ref_count=$(count "$W/unsharded.db" "SELECT count(*) FROM executions")
say "unsharded execute: $ref_count verdicts in $((SECONDS - ref_start)) s ($CPUS workers)"

VERDICTS="SELECT p.external_id, s.content_hash, t.content_hash, c.content_hash, e.status
FROM executions e JOIN solutions s ON s.id = e.solution_id JOIN tests t ON t.id = e.test_id
JOIN problems p ON p.id = s.problem_id JOIN execution_configs c ON c.id = e.config_id"
"$CODEDPO" query --db "$W/merged.db" "$VERDICTS" --format csv | sort >"$D/merged.verdicts.csv"
"$CODEDPO" query --db "$W/unsharded.db" "$VERDICTS" --format csv | sort >"$D/unsharded.verdicts.csv"
if diff -q "$D/merged.verdicts.csv" "$D/unsharded.verdicts.csv" >/dev/null; then verdicts_equal=yes; else verdicts_equal=no; fi
statuses=$("$CODEDPO" query --db "$W/merged.db" "SELECT status || ' ' || count(*) FROM executions GROUP BY status ORDER BY count(*) DESC" --format csv | tail -n +2 | tr -d '\r' | paste -sd, - | sed 's/,/, /g')

# --- scores: every strategy but random (seeded by solution id, which is local to a database) --
STRATEGIES="self-validation codet consensus pass-count all-tests"
for db in merged unsharded; do
    for strategy in $STRATEGIES; do
        "$CODEDPO" score --db "$W/$db.db" --strategy "$strategy" >>"$D/log/score-$db.log" 2>&1 \
            || { cat "$D/log/score-$db.log" >&2; fail "score --strategy $strategy on $db.db failed"; }
    done
    "$CODEDPO" query --db "$W/$db.db" "SELECT r.strategy, p.external_id, s.content_hash, printf('%.9e', r.score), r.rank
        FROM solution_ranking r JOIN solutions s ON s.id = r.solution_id JOIN problems p ON p.id = s.problem_id" \
        --format csv | sort >"$D/$db.scores.csv"
done
score_rows=$(($(wc -l <"$D/merged.scores.csv") - 1))
if diff -q "$D/merged.scores.csv" "$D/unsharded.scores.csv" >/dev/null; then scores_equal=yes; else scores_equal=no; fi

# --- summary ------------------------------------------------------------------------------------
say "----------------------------------------------------------------"
say "shards: $SHARDS (array job $jid on a 1-node Slurm $(sinfo -V | awk '{print $2}'), $PROCTRACK, --timeout $TIMEOUT)"
say "workload: $n_problems problems, $n_solutions solutions, $n_tests tests"
say "verdicts per shard: ${per_shard[*]}"
say "merged: $merged_count verdicts ($statuses); unsharded: $ref_count"
say "verdicts equal: $verdicts_equal (problem, solution hash, test hash, config hash, status)"
say "scores equal: $scores_equal ($score_rows final solution scores and ranks, strategies: $STRATEGIES)"
say "time: $((SECONDS - start_time)) s"
if [[ $verdicts_equal != yes || $scores_equal != yes || $merged_count != "$ref_count" ]]; then
    diff "$D/merged.verdicts.csv" "$D/unsharded.verdicts.csv" | head -20 >&2 || true
    diff "$D/merged.scores.csv" "$D/unsharded.scores.csv" | head -20 >&2 || true
    fail "the sharded run differs from the unsharded one (files in $D)"
fi
say "equal: yes"
