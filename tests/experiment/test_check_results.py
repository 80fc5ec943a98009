"""``make check-results`` (issue 21, part 4): a committed run against a perturbed copy of it. One Table 1
cell moved beyond the measured tolerance is a FAIL and exit status 1; moved within it, every number is
OK and the exit status 0. The copy is made from git (``HEAD``), so the checkout is only read."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from hybridlib.config import REPO_ROOT
from hybridlib.experiment.reproduce import MAP_TOLERANCE, extract, main, within

RUN = "runs/full-fold2/seed1"
RESULT = f"{RUN}/results/hybrid/mlqa-r.json"


def committed(path: str) -> bool:
    return bool(
        subprocess.run(
            ["git", "ls-files", "--error-unmatch", path], cwd=REPO_ROOT, capture_output=True
        ).stdout
    )


pytestmark = pytest.mark.skipif(not committed(RESULT), reason=f"{RESULT} is not committed")


def rerun_copy(tmp_path: Path, shift: float) -> Path:
    """Fold 2's committed run folders as a "re-run" in ``tmp_path``, with seed 1's hybrid MLQA-R Mo.
    mAP moved by ``shift``."""
    root = extract("HEAD", ["runs/full-fold2"], tmp_path / "rerun")
    path = root / RESULT
    result = json.loads(path.read_text())
    result["mAP"]["mo"] += shift
    path.write_text(json.dumps(result))
    return root


@pytest.mark.parametrize(
    ("shift", "status"), [(2.5 * MAP_TOLERANCE, 1), (0.5 * MAP_TOLERANCE, 0)], ids=["beyond", "within"]
)
def test_a_perturbed_cell_fails_only_beyond_the_tolerance(tmp_path, capsys, shift, status):
    root = rerun_copy(tmp_path, shift)
    assert main(["check", RUN, "--reference", "HEAD", "--root", str(root)]) == status
    lines = capsys.readouterr().out.splitlines()
    cell = [line for line in lines if f"{RUN} hybrid mlqa-r mo mAP" in line]
    assert len(cell) == 1 and cell[0].startswith("FAIL" if status else "OK")
    fails = [line for line in lines if line.startswith("FAIL")]
    assert fails == (cell if status else [])
    # every Table 1 cell of the run and every answer over the fold's seeds was checked
    assert any(" answer over seeds " in line for line in lines)
    assert sum(f"{RUN} " in line for line in lines) >= 4 * 6


def test_an_unknown_run_folder_is_a_fail(tmp_path, capsys):
    assert main(["check", "runs/nowhere", "--root", str(rerun_copy(tmp_path, 0.0))]) == 1
    assert "FAIL  runs/nowhere" in capsys.readouterr().out


def test_the_tolerances_compare_as_documented():
    assert within("mlqa-r mo mAP", 0.5, 0.5 + 0.9 * MAP_TOLERANCE)[0]
    assert not within("tydiqa-goldp mAP", 0.5, 0.5 - 1.1 * MAP_TOLERANCE)[0]
    assert within("mlqa-r rank distance", 1000.0, 1001.9)[0]  # 0.19 %
    assert not within("mlqa-r rank distance", 400.0, 401.0)[0]  # 0.25 %
