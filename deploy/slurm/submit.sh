#!/bin/bash
# Submits the sharded execute as a job array and the merge as a job that starts when every
# array task has succeeded (afterok). Prints both job ids.
#
#   SHARDS=8 CODEDPO=$HOME/bin/codedpo EXECUTE_OPTS="--timeout 2" deploy/slurm/submit.sh --partition=cpu
#
# Arguments are extra sbatch options given to both jobs (partition, account, time, ...).
# Environment: SHARDS (default 4) and everything execute-array.sbatch and merge.sbatch read
# (CODEDPO, WORKDIR, BASE, EXECUTE_OPTS, JOBS, LOCAL_DIR, MERGED, MERGE_OPTS, AFTER_MERGE);
# sbatch passes the environment on to the jobs.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export SHARDS=${SHARDS:-4}
[[ $SHARDS =~ ^[1-9][0-9]*$ ]] || { echo "submit: SHARDS must be a positive integer" >&2; exit 2; }

execute=$(sbatch --parsable --array="0-$((SHARDS - 1))" "$@" "$here/execute-array.sbatch")
execute=${execute%%;*}
merge=$(sbatch --parsable --dependency="afterok:$execute" --kill-on-invalid-dep=yes "$@" "$here/merge.sbatch")
merge=${merge%%;*}
echo "execute array job: $execute (shards 0-$((SHARDS - 1)))"
echo "merge job:         $merge (after all of $execute succeed)"
echo "watch: squeue -j $execute,$merge"
