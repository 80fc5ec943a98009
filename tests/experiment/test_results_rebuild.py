"""``make results`` rebuilds every committed table, answer and README part from the committed result files
alone, the same bytes twice over, and those bytes are the committed ones (issue 21, part 3).

The rebuild runs in a temporary copy of the repository's tracked files
(:func:`hybridlib.experiment.reproduce.copy_tracked`: a git repository of its own), never in the
checkout: the rebuild writes into run folders that a running experiment holds, and a failed comparison
must leave nothing to clean up. The notebooks it runs are :data:`ANSWER_NOTEBOOKS`, those that exist: the
test covers them as they land. Once one exists the rebuild starts notebook kernels, so the test is
marked slow then (the marker's meaning in pyproject.toml).
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from hybridlib.config import REPO_ROOT
from hybridlib.experiment.reproduce import (
    ANSWER_NOTEBOOKS,
    changed_files,
    copy_tracked,
    rebuild,
    remove_rebuilt_outputs,
)

pytestmark = [pytest.mark.slow] if any((REPO_ROOT / nb).is_file() for nb in ANSWER_NOTEBOOKS) else []


def digests(root: Path) -> dict[str, str]:
    """Every file of a checkout that git would keep (tracked, or new and not ignored: the run folders'
    lock files and executed notebooks are ignored), by its SHA-256: what two rebuilds must agree on."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    files = [root / rel for rel in filter(None, listed.split("\0"))]
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in files
        if p.is_file()
    }


def test_results_rebuild_from_committed_files_reproduces_them_byte_for_byte(tmp_path):
    copy = copy_tracked(tmp_path / "repo")
    # From the result files alone: every table and figure the rebuild writes is deleted first, so none
    # can be read back as an input (the scorecard once read the study's table of an earlier rebuild).
    removed = remove_rebuilt_outputs(copy)
    assert any(f.name == "table1_map.md" for f in removed), "no per-seed table was deleted: the test is void"
    rebuild(copy)
    first = digests(copy)
    rebuild(copy)  # the same inputs again: a deterministic rebuild writes the same bytes
    second = digests(copy)
    unstable = sorted(k for k in first.keys() | second.keys() if first.get(k) != second.get(k))
    assert not unstable, f"two rebuilds differ in {unstable}"
    changed = changed_files(copy)
    diff = subprocess.run(["git", "diff", "--stat"], cwd=copy, capture_output=True, text=True).stdout
    assert not changed, (
        "`make results` does not reproduce the committed files (run it and commit what it writes, or fix "
        "what made the output change):\n" + "\n".join(changed) + "\n" + diff
    )


def test_a_figure_saved_twice_is_the_same_bytes(tmp_path):
    """PNGs are a rebuild output once the answer notebooks draw them: Agg output is deterministic and the
    only metadata matplotlib writes into a PNG is its version (pinned in requirements.lock), no date."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hybridlib.analysis.plots import save_png

    for name in ("a.png", "b.png"):
        fig, ax = plt.subplots()
        ax.errorbar([0.01, -0.02], [0, 1], xerr=[0.005, 0.01], fmt="o")
        ax.set_title("hybrid vs X-Y")
        save_png(fig, tmp_path / name)
        plt.close(fig)
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
