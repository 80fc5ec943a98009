# hybridlib — every command sets up the local virtual environment first (once; a second call with
# nothing changed reinstalls nothing), then does its job. See README.md.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PARAMS ?= params/default.yaml
KERNEL := hybridlib

export HF_HUB_DISABLE_TELEMETRY := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup run lab test lint bench seeds alpha-sweep lock sync-notebooks clean-runs help

help:
	@echo "make setup          - create or refresh .venv from requirements.lock, register the 'hybridlib' kernel"
	@echo "make run            - set up, then run the main job (params/default.yaml) and regenerate figures/"
	@echo "make lab            - set up, then start JupyterLab on the repository (notebooks/08_explore: retrievals)"
	@echo "make test           - set up, then ruff + pytest (what CI runs)"
	@echo "make lint           - ruff only"
	@echo "make bench          - speed benchmarks (ratios measured side by side)"
	@echo "make seeds          - every arm with several seeds (long)"
	@echo "make alpha-sweep    - 07_alpha_sweep with seeds 0, 1, 2 (long)"
	@echo "make lock           - re-pin requirements.lock from the working .venv"
	@echo "make sync-notebooks - re-pair notebooks/*.py with their .ipynb"
	@echo "make clean-runs     - delete runs/"
	@echo "make help           - this list"

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (hybridlib)" >/dev/null
	@touch $@

run: $(STAMP)
	$(BIN)/python -m hybridlib.pipeline --params $(PARAMS)

# JupyterLab from .venv, rooted at the repository; the `hybridlib` kernel is registered by setup.
# Extra arguments: make lab LAB_ARGS="--no-browser --port 8890".
LAB_ARGS ?=
lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python -m bench.run

# Not part of `make run` (each takes several times its 30 minutes).
seeds: $(STAMP)
	$(BIN)/python -m hybridlib.sweep seeds --params $(PARAMS) --seeds 0 1 2
	$(BIN)/python -m hybridlib.report --params $(PARAMS)

alpha-sweep: $(STAMP)
	$(BIN)/papermill notebooks/07_alpha_sweep.ipynb runs/alpha_sweep.ipynb -f $(PARAMS) -y "seeds: [0, 1, 2]" -k $(KERNEL)
	$(BIN)/python -m hybridlib.report --params $(PARAMS)

lock: $(STAMP)
	@{ echo "# Exact versions for reproducible installs (generated from a working .venv by 'make lock')."; \
	  echo "# torch==2.13.0 resolves to the CPU build on the project's machines (find-links); see README."; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v -i '^hybridlib' | sed 's/^torch==\([0-9.]*\)+cpu$$/torch==\1/'; } > requirements.lock

sync-notebooks: $(STAMP)
	$(BIN)/jupytext --sync notebooks/*.py

clean-runs:
	rm -rf runs
