"""A run folder moves with its checkout (issue 24, part 2): a tiny run made in a copy of the repository,
the copy renamed to another path, and then the pipeline has nothing to redo and search loads the trained
arm's model from where it lies now.

The copy holds the repository's tracked files (:func:`hybridlib.experiment.reproduce.copy_tracked`, no
run folders) and runs with its own ``hybridlib`` first on ``PYTHONPATH`` and itself as working folder, so
its ``REPO_ROOT`` is the copy's path; it reads the real dataset folder through ``$HYBRIDLIB_DATA`` (the
default, ``../shared/data`` beside the checkout, does not exist beside a temporary copy). Its cache
(``<copy>/.cache``: converted models, embeddings) is left at its default inside the copy, so it moves
with it, as it does when a user moves a checkout. Where the cache lies does not matter for correctness:
embeddings are keyed by the model's content, not its path (``hybridlib.evaluation.run.embedding_key``),
so a cache left behind is only a miss (encoded again), never a wrong hit. Starts notebook kernels and a
model-loading search: slow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hybridlib.config import DATA_ENV, data_dir
from hybridlib.experiment.reproduce import copy_tracked

pytestmark = pytest.mark.slow

RUN_DIR = "runs/tiny-move"
PIPELINE = [
    "-m", "hybridlib.pipeline", "--params", "params/tiny.yaml", "--no-readme",
    "--set", f"run_dir={RUN_DIR}", f"figures_dir={RUN_DIR}/figures", "arms=[zero-shot,hybrid]",
]  # fmt: skip


def run_in(copy: Path, *args: str, timeout: int = 1200) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": str(copy),
        DATA_ENV: str(data_dir()),
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
    }
    env.pop("HYBRIDLIB_CACHE", None)  # the copy's own .cache, which moves with it
    done = subprocess.run(
        [sys.executable, *args], cwd=copy, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{args} failed in {copy}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_a_tiny_run_moved_with_its_checkout_has_nothing_to_redo_and_searches(tmp_path):
    first = copy_tracked(tmp_path / "before" / "repo", with_runs=False)
    run_in(first, *PIPELINE)
    report = json.loads((first / RUN_DIR / "pipeline.json").read_text())
    assert report["stages"] and all(s["status"] == "ran" for s in report["stages"].values())
    # no absolute path of the first location is recorded in a result file or stamp
    recorded = [p for p in (first / RUN_DIR).rglob("*.json") if str(first) in p.read_text()]
    assert not recorded, f"absolute paths of the old location in {recorded}"

    moved = tmp_path / "after" / "renamed"
    moved.parent.mkdir()
    first.rename(moved)
    assert not first.exists()

    run_in(moved, *PIPELINE)
    report = json.loads((moved / RUN_DIR / "pipeline.json").read_text())
    redone = {k: s["status"] for k, s in report["stages"].items() if s["status"] != "up to date"}
    assert report["stages"] and not redone, f"stages redone after the move: {redone}"

    found = run_in(
        moved, "-m", "hybridlib.search", "--run-dir", RUN_DIR, "--arm", "hybrid", "Where is the river?"
    )
    assert found.stdout.strip(), found.stderr
