"""The committed run folders stay small enough to clone (issue 21, part 3: "keep all committed result
files under 80 MB"). Measured on the tracked files themselves, so a .gitignore change that lets models,
TREC run files or every seed's heatmaps through fails here before it is pushed. The table of sizes in
docs/reproducing.md (``hybridlib.experiment.footprint``) is checked here on a repository of known files."""

from __future__ import annotations

import subprocess
from pathlib import Path

from hybridlib.config import REPO_ROOT
from hybridlib.experiment.footprint import LIMIT_BYTES, FoldSize, fold_size, sizes_markdown

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


def _git_repo(root: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)


def _write(root: Path, rel: str, size: int) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)


def test_fold_size_counts_kept_files_of_finished_seeds_only(tmp_path):
    _git_repo(tmp_path)
    (tmp_path / ".gitignore").write_text("*.safetensors\n")
    run = tmp_path / "runs" / "fold"
    _write(tmp_path, "runs/fold/results/hybrid/xquad-r.json", 100)
    _write(tmp_path, "runs/fold/results/hybrid/xquad-r.per_query.npz", 900)
    _write(tmp_path, "runs/fold/results/zero-shot/xquad-r.json", 50)
    _write(tmp_path, "runs/fold/probe/hybrid.json", 7)
    _write(tmp_path, "runs/fold/seeds_long.csv", 3)
    _write(tmp_path, "runs/fold/figures/table1_map.md", 20)
    _write(tmp_path, "runs/fold/seed1/results/hybrid/xquad-r.json", 200)
    _write(tmp_path, "runs/fold/seed1/figures/heatmap.png", 30)
    _write(tmp_path, "runs/fold/train/hybrid/model.safetensors", 10_000)  # ignored: a model
    _write(tmp_path, "runs/fold/seed2/results/hybrid/xquad-r.json", 5_000)  # seed 2 not finished
    subprocess.run(["git", "add", "runs/fold/results", ".gitignore"], cwd=tmp_path, check=True)

    size = fold_size(run, [0, 1], tmp_path)

    assert size.run_dir == "runs/fold"
    assert size.evaluations == 3  # hybrid and zero-shot of seed 0, hybrid of seed 1
    assert size.results_bytes == 100 + 900 + 50 + 200
    assert size.other_result_bytes == 7
    assert size.figure_bytes == 20 + 30 + 3  # figures and the long seeds table, both made again
    assert size.total_bytes == 1250 + 10 + 50


def test_sizes_markdown_reports_per_evaluation_per_seed_and_the_projection():
    sizes = [
        FoldSize("runs/a", [0, 1], 4, 2_000_000, 400_000, 1_000_000),
        FoldSize("runs/b", [], 0, 0, 0, 0),
    ]
    text = sizes_markdown(sizes, planned=5)
    assert "| `runs/a` | 0, 1 | 4 | 2.4 MB | 0.50 MB | 1.20 MB | 1.0 MB |" in text
    assert "| `runs/b` | none | 0 | 0.0 MB | — | — | 0.0 MB |" in text
    total = "The folds' committed run files: 3.4 MB (2.4 MB of result files), against the limit of 80 MB"
    assert total in text
    assert "come to about 6.0 MB" in text  # 1.2 MB per seed of runs/a × 5; runs/b has no seed yet


def test_sizes_markdown_drops_the_projection_once_every_fold_has_its_planned_seeds():
    sizes = [FoldSize("runs/a", [0, 1], 4, 2_000_000, 400_000, 1_000_000)]
    assert "come to about" in sizes_markdown(sizes, planned=3)
    text = sizes_markdown(sizes, planned=2)
    assert "come to about" not in text
    assert "against the limit of 80 MB. MB are 10⁶ bytes" in text
