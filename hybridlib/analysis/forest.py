"""The forest plot of the answers over seeds: one row per comparison and fold.

An answer built from comparisons reads best as a forest plot (the design card's choice for the README's
one figure): the difference as a dot, its 95 % interval over seeds and question clusters as a bar, each
seed's own difference as a faint point, 0 as a line and the smallest effect of interest as a shaded band,
so that "no — the gain is at most X" and "undetermined" can be seen, not only read. mAP and rank
distance have different units, so each gets its own panel; each comparison is drawn with the arm's
better side to the right (a rank-distance difference is negated), so that right always means "the arm
wins".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd


def forest_plot(
    by_fold: Mapping[str, pd.DataFrame],
    per_seed: Mapping[str, Mapping[tuple[str, str], Sequence[float]]],
    *,
    smallest_effect_map: float,
    smallest_effect_rank_distance: float,
    lower_is_better: Mapping[str, bool],
    path: Path | None = None,
    title: str = "Every comparison over seeds (right = the arm wins)",
):
    """The forest plot (module docstring) of each fold's :func:`hybridlib.analysis.answers.seed_comparisons`
    table (``by_fold``: fold name → table); ``per_seed[fold][(dataset, comparison)]`` the per-seed
    differences (arm − baseline); ``lower_is_better`` per comparison label; each row names its family
    in brackets. Folds without a table
    (no result files yet) are named in the legend as missing. Saved to ``path`` when given."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = []
    for fold, table in by_fold.items():
        for r in table.to_dict("records") if not table.empty else []:
            rows.append({**r, "fold": fold})
    folds = list(by_fold)
    colours = dict(zip(folds, ["tab:blue", "tab:orange", "tab:green", "tab:purple"], strict=False))
    panels = [("mAP", False), ("rank distance", True)]
    data = {ranks: [r for r in rows if ("rank distance" in str(r["metric"])) == ranks] for _, ranks in panels}
    shown = [(name, ranks) for name, ranks in panels if data[ranks]] or panels[:1]
    heights = [max(len(data[ranks]), 1) for _, ranks in shown]
    fig, axes = plt.subplots(
        len(shown), 1, figsize=(11, 1.4 + 0.36 * sum(heights) + 0.7 * len(shown)),
        gridspec_kw={"height_ratios": heights}, squeeze=False,
    )  # fmt: skip
    for ax, (name, ranks) in zip(axes[:, 0], shown, strict=True):
        sei = smallest_effect_rank_distance if ranks else smallest_effect_map
        ax.axvspan(-sei, sei, color="0.88", zorder=0, label=f"± smallest effect of interest ({sei:g})")
        ax.axvline(0, color="0.3", lw=0.8, zorder=1)
        labels = []
        for y, r in enumerate(reversed(data[ranks])):
            sign = -1.0 if lower_is_better.get(r["comparison"], False) else 1.0
            colour = colours.get(r["fold"], "k")
            seeds = np.asarray(per_seed.get(r["fold"], {}).get((r["dataset"], r["comparison"]), []), float)
            ax.scatter(sign * seeds, np.full(len(seeds), y), s=14, color=colour, alpha=0.35, zorder=2)
            lo, hi = sorted((sign * r["ci_low"], sign * r["ci_high"]))
            if np.isfinite(lo) and np.isfinite(hi):
                ax.plot([lo, hi], [y, y], color=colour, lw=2.2, zorder=3)
            ax.plot(sign * r["diff"], y, "o", color=colour, ms=6, zorder=4, mec="k", mew=0.5)
            labels.append(f"{r['dataset']}: {r['comparison']}  [{r['family']}]")
        ax.set_yticks(range(len(labels)), labels, fontsize=7.5)
        ax.set_ylim(-0.7, max(len(labels), 1) - 0.3)
        unit = "rank distance, baseline − arm (ranks)" if ranks else "mAP, arm − baseline"
        ax.set_xlabel(unit, fontsize=8)
        ax.set_title(name, fontsize=9, loc="left")
        ax.tick_params(axis="x", labelsize=8)
        if not labels:
            ax.text(0.5, 0.5, "no fold has result files yet", transform=ax.transAxes, ha="center")
    missing = " (no result files yet)"
    handles = [
        plt.Line2D(
            [], [], color=colours[f], marker="o", lw=2, label=f + ("" if not by_fold[f].empty else missing)
        )
        for f in folds
    ]
    handles.append(plt.Line2D([], [], color="0.5", marker="o", lw=0, alpha=0.4, label="one seed"))
    handles.append(plt.Rectangle((0, 0), 1, 1, color="0.88", label="± smallest effect of interest"))
    fig.suptitle(title, fontsize=10)
    fig.legend(handles=handles, loc="lower center", ncol=2, fontsize=7.5, frameon=False)
    height = fig.get_figheight()
    fig.tight_layout(rect=(0, 0.75 / height, 1, 1 - 0.1 / height))
    if path is not None:
        fig.savefig(path, dpi=130)
    return fig
