"""The committed run folders stay small enough to clone (issue 21, part 3: "keep all committed result
files under 80 MB"). Measured on the tracked files themselves, so a .gitignore change that lets models,
TREC run files or every seed's heatmaps through fails here before it is pushed."""

from __future__ import annotations

import subprocess

from hybridlib.config import REPO_ROOT

LIMIT_BYTES = 80 * 1000 * 1000
NEVER_COMMITTED = (".run", ".qrels", ".safetensors", ".bin", ".pt", ".faiss", ".npy")


def tracked_run_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--", "runs"], cwd=REPO_ROOT, check=True, capture_output=True, text=True
    ).stdout
    return [rel for rel in listed.split("\0") if rel and (REPO_ROOT / rel).is_file()]


def test_committed_run_files_stay_under_80_mb():
    files = tracked_run_files()
    total = sum((REPO_ROOT / rel).stat().st_size for rel in files)
    assert files, "no run file is tracked: the test is void"
    assert total < LIMIT_BYTES, f"the tracked run files are {total / 1e6:.1f} MB, over 80 MB"


def test_no_model_run_file_or_later_seed_heatmap_is_committed():
    files = tracked_run_files()
    assert not [f for f in files if f.endswith(NEVER_COMMITTED)]
    # seed 0's heatmaps are in each run folder; the other seeds' are drawn again by `make results`
    assert not [f for f in files if "/seed" in f and f.rsplit("/", 1)[-1].startswith("heatmap")]
