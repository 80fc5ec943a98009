#!/usr/bin/env bash
# The conclusive experiment, one seed at a time, committing each seed's result files as soon as it
# finishes (a machine can be lost at any time, and with it whatever was not committed).
#
#   nohup scripts/run_folds.sh "params/full.yaml:0 1 2 3 4" "params/full-fold2.yaml:0 1 2 3 4" > runs/folds.log 2>&1 &
#
# Each argument is "<params file>:<seeds>". A seed whose pipeline has nothing left to do finishes at
# once (finished stages and trained models are reused), so the script resumes after an interruption.
# After each seed, `python -m hybridlib.reproduce rebuild` (make results) regenerates every table,
# answer and README part from the result files, and all of it is committed with the seed's files: what
# .gitignore lets through of the run folders (result JSON, per-query arrays, probe results, tables,
# figures, run records; never models or TREC runs), figures/, README.md and the generated docs pages.
# Those paths are committed whole: do not leave unrelated edits in them while it runs.
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
  for seed in ${spec#*:}; do
    echo "[$(date -u +%FT%TZ)] $params seed $seed: start"
    .venv/bin/python -m hybridlib.sweep seeds --params "$params" --seeds "$seed" --jobs "$JOBS"
    # make results: every table, answer, figure and README part again from the result files on disk
    # (each fold's seeds found there), so what is committed is what a clone's `make results` rebuilds.
    .venv/bin/python -m hybridlib.reproduce rebuild
    cpu=$(lscpu | sed -n 's/^Model name:\s*//p' | head -1)
    commit "Conclusive experiment, $params seed $seed: its result files, then make results over every committed seed ($cpu, $(nproc) cores, $JOBS stages at a time)" \
      runs/full runs/full-fold2 figures README.md docs/results.md docs/alignment-study.md docs/reproducing.md
    echo "[$(date -u +%FT%TZ)] $params seed $seed: committed"
  done
done
