"""Every plot writes a non-empty PNG; shared colour scale and unseen-language marks are really there."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import QuadMesh
from matplotlib.figure import Figure

from hybridlib.analysis.plots import heatmap_grid, loss_curves, map_heatmap, rank_distance_bars, tydi_bars

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
LANGS = ["ar", "de", "en", "zh"]


def _matrix(seed: int, scale: float = 1.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.uniform(0.2, 0.9, size=(4, 4)) * scale, index=LANGS, columns=LANGS)


def _assert_png(path):
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 2000
    assert not list(path.parent.glob(".*.tmp"))


def test_map_heatmap(tmp_path):
    m = _matrix(0)
    m.loc["ar", "zh"] = np.nan  # undefined cell (no question) must not break the plot
    fig = map_heatmap(m, "zero-shot", path=tmp_path / "h.png")
    assert isinstance(fig, Figure)
    _assert_png(tmp_path / "h.png")


def test_heatmap_grid_shares_one_colour_scale(tmp_path):
    results = {"zero-shot": _matrix(1, 0.5), "hybrid": _matrix(2), "multilingual": _matrix(3)}
    fig = heatmap_grid(results, title="XQuAD-R mAP", path=tmp_path / "grid.png")
    arm_axes = [ax for ax in fig.axes if ax.get_title() in results]
    assert [ax.get_title() for ax in arm_axes] == list(results)
    meshes = [c for ax in arm_axes for c in ax.collections if isinstance(c, QuadMesh)]
    assert len(meshes) == 3
    clims = {m.get_clim() for m in meshes}
    assert len(clims) == 1
    lo, hi = clims.pop()
    all_vals = np.concatenate([df.to_numpy().ravel() for df in results.values()])
    assert lo == pytest.approx(all_vals.min()) and hi == pytest.approx(all_vals.max())
    _assert_png(tmp_path / "grid.png")


def test_rank_distance_bars(tmp_path):
    per_lang = {"zero-shot": {"en": 120.0, "de": 150.0}, "hybrid": {"en": 80.0, "de": 95.0, "zh": 60.0}}
    fig = rank_distance_bars(per_lang, path=tmp_path / "rd.png")
    assert len(fig.axes[0].patches) == 2 * 3  # arms × languages (missing value drawn as 0)
    _assert_png(tmp_path / "rd.png")


def test_tydi_bars_mark_unseen_languages(tmp_path):
    per_lang = {"zero-shot": {"en": 0.5, "sw": 0.3, "te": 0.2}, "hybrid": {"en": 0.6, "sw": 0.35, "te": 0.25}}
    fig = tydi_bars(per_lang, unseen={"sw", "te"}, metric="mAP", path=tmp_path / "tydi.png")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["en", "sw*", "te*"]
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert len(hatched) == 2 * 2
    _assert_png(tmp_path / "tydi.png")


def test_loss_curves(tmp_path):
    steps = np.arange(0, 100, 5)
    logs = {
        arm: pd.DataFrame({"step": steps, "loss": 3 * np.exp(-steps / (20 + i)) + 0.1})
        for i, arm in enumerate(["hybrid", "monolingual"])
    }
    fig = loss_curves(logs, smooth=3, path=tmp_path / "loss.png")
    assert len(fig.axes[0].lines) == 4  # raw + smoothed per arm
    _assert_png(tmp_path / "loss.png")


def test_loss_curves_separate_qa_and_alignment_loss():
    steps = np.arange(0, 40, 5)
    align = np.where(steps % 10 == 0, 0.2, np.nan)  # alignment logged on some steps only
    logs = {
        "hybrid": pd.DataFrame({"step": steps, "loss": 1.0, "qa_loss": 1.0, "align_loss": np.nan}),
        "hybrid+align": pd.DataFrame({"step": steps, "loss": 1.0 + np.nan_to_num(align), "qa_loss": 1.0,
                                      "align_loss": align}),
    }  # fmt: skip
    ax = loss_curves(logs).axes[0]
    labels = [line.get_label() for line in ax.lines]
    assert labels == ["hybrid", "hybrid+align", "hybrid+align (alignment (λ-weighted))"]
    qa = ax.lines[1]
    np.testing.assert_allclose(qa.get_ydata(), 1.0)  # the QA curve is not the total
    assert ax.lines[2].get_linestyle() == "--" and len(ax.lines[2].get_xdata()) == 4
    assert "alignment" in ax.get_ylabel()


def test_pair_count_heatmap_writes_png(tmp_path):
    from hybridlib.analysis.plots import pair_count_heatmap

    counts = pd.DataFrame([[5, 2], [2, 7]], index=["de", "en"], columns=["de", "en"])
    path = tmp_path / "pairs.png"
    pair_count_heatmap(counts, "pairs", path=path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sweep_plot_writes_png(tmp_path):
    from hybridlib.analysis.plots import sweep_plot

    summary = pd.DataFrame(
        {"alpha": [0.0, 0.5, 1.0] * 2, "metric": ["a"] * 3 + ["b"] * 3, "mean": np.arange(6.0), "std": np.nan}
    )
    path = tmp_path / "sweep.png"
    fig = sweep_plot(summary, path=path)
    assert len([ax for ax in fig.axes if ax.has_data()]) == 2
    assert path.stat().st_size > 0
