# hybridlib — every command sets up the local virtual environment first (once; a second call with
# nothing changed reinstalls nothing), then does its job. See README.md.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PARAMS ?= params/default.yaml
# Pipeline stages run at a time (JOBS=2 on a 2-core machine halves a DAG of small stages).
JOBS   ?= 1
KERNEL := hybridlib

export HF_HUB_DISABLE_TELEMETRY := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup run lab test test-all lint bench time-tests seeds full results check-results gradcache pilot alpha-sweep gpu lock sync-notebooks clean-runs help

## List every target with its description (the `## ...` line above it).
help:
	@awk '/^## /{desc=substr($$0,4); next} /^[a-zA-Z_-]+:/{if(desc){split($$1,t,":"); printf "  make %-15s %s\n", t[1], desc}; desc=""; next} {desc=""}' $(MAKEFILE_LIST)

## Create or refresh .venv from requirements.lock, install hybridlib, register the kernel.
setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (hybridlib)" >/dev/null
	@touch $@

## Run the main job (params/default.yaml, or PARAMS=...) and regenerate figures/ and the README results.
run: $(STAMP)
	$(BIN)/python -m hybridlib.pipeline --params $(PARAMS) --jobs $(JOBS)

# Extra arguments: make lab LAB_ARGS="--no-browser --port 8890".
LAB_ARGS ?=
## JupyterLab from .venv on the repository (hybridlib kernel; notebooks/08_explore shows retrievals).
lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

# Two pytest workers (one torch thread each); a test file stays in one worker, so the tests sharing the
# tiny pipeline (tests/experiment/test_notebooks.py) build it once.
PYTEST := $(BIN)/python -m pytest -n 2 --dist loadfile

## ruff, then every test not marked slow (the everyday check: the tiny pipeline and everything in-process).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(PYTEST) -m "not slow"

## ruff, then every test, those marked slow included (what CI runs: .ci/run calls it).
test-all: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(PYTEST)

## ruff only.
lint: $(STAMP)
	$(BIN)/ruff check .

## Speed benchmarks (ratios measured side by side).
bench: $(STAMP)
	$(BIN)/python -m bench.run

## Time `make test-all` here and record it in bench/results/<date>-test-all.json (the README quotes the newest).
time-tests: $(STAMP)
	$(BIN)/python -m bench.test_time

# Not part of `make run` (each takes several times its 30 minutes).
## Every arm with seeds 0, 1, 2, then mean ± std over seeds (long).
seeds: $(STAMP)
	$(BIN)/python -m hybridlib.sweep seeds --params $(PARAMS) --seeds 0 1 2 --jobs $(JOBS)
	$(BIN)/python -m hybridlib.report --params $(PARAMS)

# The conclusive experiment: each fold is a seeds sweep (resumable: a finished stage or model is reused).
FULL_SEEDS ?= 0 1 2 3 4
## Conclusive experiment: both folds (params/full.yaml, full-fold2.yaml), FULL_SEEDS, Table 1 over folds (long).
full: $(STAMP)
	$(BIN)/python -m hybridlib.sweep seeds --params params/full.yaml --seeds $(FULL_SEEDS) --jobs $(JOBS)
	$(BIN)/python -m hybridlib.sweep seeds --params params/full-fold2.yaml --seeds $(FULL_SEEDS) --jobs $(JOBS)
	$(BIN)/python -m hybridlib.sweep folds
	$(BIN)/python -m hybridlib.report

## Rebuild every table, answer and README part of the conclusive experiment from committed files (no training).
results: $(STAMP)
	$(BIN)/python -m hybridlib.reproduce rebuild

# After re-running a seed (python -m hybridlib.sweep seeds --params params/full-fold2.yaml --seeds 1), its
# files in the working tree against the committed ones; RUN= limits it to run folders, REFERENCE= is a git
# revision (default HEAD) or a folder laid out like the repository. docs/reproducing.md.
RUN ?=
REFERENCE ?= HEAD
## A re-run's Table 1 cells and answers against the committed numbers: OK or FAIL each (RUN=, REFERENCE=).
check-results: $(STAMP)
	$(BIN)/python -m hybridlib.reproduce check $(RUN) --reference $(REFERENCE)

# Does batch 64 through GradCache change the answers? Both settings' seeds, then their answers side by side.
GRADCACHE_SEEDS ?= 0 1 2 3
## Batch 64 through GradCache vs the default batch, GRADCACHE_SEEDS each, answers side by side (long).
gradcache: $(STAMP)
	$(BIN)/python -m hybridlib.sweep seeds --params params/default.yaml --seeds $(GRADCACHE_SEEDS) --jobs $(JOBS)
	$(BIN)/python -m hybridlib.sweep seeds --params params/gradcache-b64.yaml --seeds $(GRADCACHE_SEEDS) --jobs $(JOBS)
	$(BIN)/python -m hybridlib.sweep side-by-side --seeds $(GRADCACHE_SEEDS)
	$(BIN)/python -m hybridlib.report

## Validation pilot: validation loss and mAP against steps for hybrid and multilingual (long).
pilot: $(STAMP)
	$(BIN)/python -m hybridlib.pilot --params $(PARAMS)

## The α sweep (07_alpha_sweep) with seeds 0, 1, 2 (long).
alpha-sweep: $(STAMP)
	$(BIN)/papermill notebooks/07_alpha_sweep.ipynb runs/alpha_sweep.ipynb -f $(PARAMS) -y "seeds: [0, 1, 2]" -k $(KERNEL)
	$(BIN)/python -m hybridlib.report --params $(PARAMS)

# make gpu reads params/gpu-e5.yaml unless PARAMS is given; ALLOW_CPU=1 runs it without a CUDA device.
GPU_PARAMS = $(if $(filter command line environment,$(origin PARAMS)),$(PARAMS),params/gpu-e5.yaml)
ALLOW_CPU ?=
## The GPU profile end to end (params/gpu-e5.yaml): every arm, seeds 0 1 2, results in <run_dir>/RESULTS.md.
gpu: $(STAMP)
	$(BIN)/python -m hybridlib.report --params $(GPU_PARAMS) --check-cuda $(if $(ALLOW_CPU),--allow-cpu)
	$(BIN)/python -m hybridlib.sweep seeds --params $(GPU_PARAMS) --seeds 0 1 2
	$(BIN)/python -m hybridlib.report --params $(GPU_PARAMS) --results-file

## Re-pin requirements.lock from the working .venv.
lock: $(STAMP)
	@{ echo "# Exact versions for reproducible installs (generated from a working .venv by 'make lock')."; \
	  echo "# torch==2.13.0 resolves to the CPU build on the project's machines (find-links); see README."; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v -i '^hybridlib' | sed 's/^torch==\([0-9.]*\)+cpu$$/torch==\1/'; } > requirements.lock

## Re-pair notebooks/*.py with their .ipynb after editing.
sync-notebooks: $(STAMP)
	$(BIN)/jupytext --sync notebooks/*.py

## Delete every run folder (runs/).
clean-runs:
	rm -rf runs
