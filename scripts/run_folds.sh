#!/usr/bin/env bash
# The conclusive experiment, one seed at a time, committing each seed's result files as soon as it
# finishes (a machine can be lost at any time, and with it whatever was not committed).
#
#   nohup scripts/run_folds.sh "params/full.yaml:0 1 2 3 4" "params/full-fold2.yaml:0 1 2 3 4" > runs/folds.log 2>&1 &
#
# Each argument is "<params file>:<seeds>". A seed whose pipeline has nothing left to do finishes at
# once (finished stages and trained models are reused), so the script resumes after an interruption.
# What is committed is what .gitignore lets through: result JSON, per-query arrays, probe results,
# tables, figures and run records (docs/provenance.md), never models or TREC runs.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2}

commit() {  # commit the given paths, retrying while another git process holds the index
  local message=$1; shift
  for _ in $(seq 1 30); do
    git add -- "$@" 2>/dev/null || true
    if git diff --cached --quiet -- "$@"; then return 0; fi
    if git commit -q -m "$message" -- "$@"; then return 0; fi
    sleep 5
  done
  echo "could not commit $message" >&2
  return 1
}

for spec in "$@"; do
  params=${spec%%:*}
  run_dir=$(.venv/bin/python -c "from hybridlib.params import load_yaml; print(load_yaml('$params').run_dir)")
  done_seeds=""
  for seed in ${spec#*:}; do
    echo "[$(date -u +%FT%TZ)] $params seed $seed: start"
    .venv/bin/python -m hybridlib.sweep seeds --params "$params" --seeds "$seed" --jobs "$JOBS"
    done_seeds="$done_seeds $seed"
    # The tables over every seed finished so far (the line above wrote them for this seed alone).
    # shellcheck disable=SC2086
    .venv/bin/python -m hybridlib.sweep seeds --params "$params" --seeds $done_seeds --tables-only
    cpu=$(lscpu | sed -n 's/^Model name:\s*//p' | head -1)
    commit "Conclusive experiment, $params seed $seed: its result files, the tables over seeds$done_seeds ($cpu, $(nproc) cores, $JOBS stages at a time)" "$run_dir"
    echo "[$(date -u +%FT%TZ)] $params seed $seed: committed"
  done
done
