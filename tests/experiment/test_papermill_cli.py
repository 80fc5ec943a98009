"""``papermill notebooks/03_train.ipynb out.ipynb -p sampler hybrid`` works from the shell, and an unknown
parameter stops the notebook before any work.

Apart from ``test_notebooks.py``, whose tests share the tiny pipeline (the one worker that runs that file
builds it, under ``make test``'s ``--dist loadfile``): these notebook runs need none of it, so they can
run on either worker.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def papermill(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "papermill", *args, "--kernel", "hybridlib"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_train_notebook_through_the_papermill_cli(tmp_path):
    out = tmp_path / "out.ipynb"
    proc = papermill(
        "notebooks/03_train.ipynb", str(out), "-f", "params/tiny.yaml",
        "-p", "sampler", "hybrid", "-p", "run_dir", str(tmp_path / "run"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    models = list((tmp_path / "run" / "train").glob("hybrid_*/model/modules.json"))
    assert len(models) == 1


def test_unknown_parameter_stops_before_any_work(tmp_path):
    proc = papermill(
        "notebooks/03_train.ipynb", str(tmp_path / "out.ipynb"), "-p", "smapler", "hybrid",
        "-p", "run_dir", str(tmp_path / "run"),
    )  # fmt: skip
    assert proc.returncode != 0
    assert "did you mean 'sampler'" in proc.stderr + proc.stdout
    assert not (tmp_path / "run").exists()
