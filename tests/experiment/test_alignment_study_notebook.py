"""notebooks/10_alignment_study runs headless under papermill on a run folder of three seeds that lacks
some of the study's arms (tests/study_results.py): it writes its figures and answers, says which parts
it cannot compute, and leaves the docs alone (they describe fold 1 only)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from study_results import write_seed

from hybridlib.analysis import study as st

REPO = Path(__file__).resolve().parents[2]
#: Every study arm but the λ = 0.1 / 0.25 ones, Tatoeba and α = 0.75: parts the notebook must skip.
ARMS = [
    a
    for a in st.STUDY_ARMS
    if a not in ("hybrid+align@lambda=0.1", "hybrid+align@lambda=0.25", "hybrid+align@source=tatoeba")
    and a != "hybrid@alpha=0.75"
]


def test_notebook_runs_on_a_run_missing_arms(tmp_path):
    run, figures = tmp_path / "run", tmp_path / "figures"
    write_seed(run, 0, ARMS)
    for seed in (1, 2):
        write_seed(run / f"seed{seed}", seed, [a for a in ARMS if a != "zero-shot"])
    docs = (REPO / "docs" / "alignment-study.md").read_text()
    proc = subprocess.run(
        [
            sys.executable, "-m", "papermill", str(REPO / "notebooks" / "10_alignment_study.ipynb"),
            str(tmp_path / "out.ipynb"), "--kernel", "hybridlib",
            "-p", "run_dir", str(run), "-p", "figures_dir", str(figures),
        ],
        capture_output=True, text=True, cwd=REPO, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in ("lambda", "coverage", "probe", "alpha"):
        assert (figures / f"study_{name}.png").stat().st_size > 0, name
    for name in ("dose", "coverage", "probe", "decomposition", "alpha", "comparisons"):
        assert (figures / f"study_{name}.md").stat().st_size > 0, name
    answers = (figures / "study_answers.md").read_text()
    assert "Seeds with result files: 0, 1, 2." in answers and "Holm" in answers
    assert "## Not computed" in answers and "no results of hybrid+align@lambda=0.1" in answers
    assert "- **λ = 1 vs λ = 0, all languages: yes" in answers
    out = (tmp_path / "out.ipynb").read_text()
    assert "comparisons of the family were computed" in out  # the closing cell ran
    assert (REPO / "docs" / "alignment-study.md").read_text() == docs
