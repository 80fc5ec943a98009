"""The alignment study's four figures (:mod:`hybridlib.analysis.study`): λ, coverage, probe, α.

Each figure shows every seed's point beside the mean (few seeds: the spread is part of the answer),
and where a difference is tested, its 95 % interval over seeds and questions
(:func:`hybridlib.analysis.intervals.seed_t_interval`) with the ±smallest effect of interest shaded,
so a reader sees at once whether an interval excludes 0 and whether it reaches an effect that matters.
Built with the object-oriented API and saved atomically, like :mod:`hybridlib.analysis.plots`.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from hybridlib.analysis.plots import save_png
from hybridlib.analysis.study import (
    ALPHA_ARMS,
    ALPHA_METRICS,
    LAMBDA_ARMS,
    Correlation,
    seed_values,
)

COVERAGE_COLOURS = {"covered": "tab:blue", "not covered": "tab:orange", "pivot": "tab:gray"}


def _finish(fig: Figure, path: str | os.PathLike | None) -> Figure:
    if path is not None:
        save_png(fig, path)
    return fig


def _empty(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, fontsize=9, wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])


def _levels(ax: Axes, long: pd.DataFrame, arms: dict[float, str], metric: str, *, decimals: int = 4) -> bool:
    """Each seed's value (small points) and the mean over seeds (line) of ``metric`` against the
    setting; False when no arm has it."""
    xs, means = [], []
    for x, arm in arms.items():
        v = seed_values(long, arm, metric)
        if v.empty:
            continue
        ax.scatter(np.full(len(v), x), v.to_numpy(), s=14, color="tab:gray", alpha=0.7, zorder=2)
        xs.append(x)
        means.append(v.mean())
    if not xs:
        return False
    ax.plot(xs, means, "o-", color="tab:blue", zorder=3, label="mean over seeds")
    return True


def _differences(ax: Axes, rows: pd.DataFrame, x: list[float], margin: float) -> None:
    """Differences vs the baseline with their 95 % intervals; the ±margin band shaded."""
    ax.axhline(0, color="black", lw=0.8)
    ax.axhspan(-margin, margin, color="tab:green", alpha=0.12, label=f"±{margin:g} (smallest effect)")
    lo = (rows["diff"] - rows["ci_low"]).to_numpy()
    hi = (rows["ci_high"] - rows["diff"]).to_numpy()
    ok = np.isfinite(lo) & np.isfinite(hi)
    ax.errorbar(
        np.asarray(x)[ok],
        rows["diff"].to_numpy()[ok],
        yerr=[lo[ok], hi[ok]],
        fmt="o",
        color="tab:red",
        capsize=3,
        label="difference, 95 % interval",
    )
    if (~ok).any():
        ax.scatter(
            np.asarray(x)[~ok], rows["diff"].to_numpy()[~ok], color="tab:red", marker="x", label="no interval"
        )


def dose_plot(
    long: pd.DataFrame, table: pd.DataFrame, *, margin: float, path: str | os.PathLike | None = None
) -> Figure:
    """TyDi mAP against λ: top, each seed's point and the mean (all languages, unseen ones); bottom, the
    difference vs λ = 0 (hybrid) with its 95 % interval."""
    fig = Figure(figsize=(10, 6.5), layout="constrained")
    axes = fig.subplots(2, 2, sharex=True)
    for col, (metric, part, title) in enumerate(
        (
            ("tydi mAP", "all languages", "all languages"),
            ("tydi mAP unseen", "unseen languages", "unseen languages"),
        )
    ):
        top, bottom = axes[0, col], axes[1, col]
        if not _levels(top, long, LAMBDA_ARMS, metric):
            _empty(top, "no TyDi results")
        top.set_title(f"TyDi QA mono mAP, {title}")
        top.set_ylabel("mAP")
        rows = (
            table[(table["question"] == "dose") & table["comparison"].str.endswith(part)]
            if not table.empty
            else table
        )
        if len(rows):
            lam = {arm: x for x, arm in LAMBDA_ARMS.items()}
            _differences(bottom, rows, [lam[a] for a in rows["arm"]], margin)
            bottom.legend(fontsize=7)
        else:
            _empty(bottom, "no λ arm beside hybrid")
        bottom.set_ylabel("Δ mAP vs λ = 0")
        bottom.set_xlabel("λ (alignment weight)")
    if axes[0, 0].get_legend_handles_labels()[0]:
        axes[0, 0].legend(fontsize=7)
    for ax in axes[1]:
        ax.set_xticks(list(LAMBDA_ARMS))
    fig.suptitle("Dose-response of the alignment objective (λ = 0: hybrid)")
    return _finish(fig, path)


def coverage_plot(effects: pd.DataFrame, *, margin: float, path: str | os.PathLike | None = None) -> Figure:
    """Per alignment source, the per-language TyDi effect of alignment (source arm − hybrid) with its
    unadjusted 95 % interval, coloured by whether the source covers the language."""
    sources = list(dict.fromkeys(effects["source"])) if not effects.empty else []
    fig = Figure(figsize=(4 * max(len(sources), 1) + 1, 4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, max(len(sources), 1), sharey=True))
    if not sources:
        _empty(axes[0], "no alignment-source arm has results")
        return _finish(fig, path)
    for ax, source in zip(axes, sources, strict=True):
        rows = effects[effects["source"] == source].reset_index(drop=True)
        x = np.arange(len(rows))
        colours = [COVERAGE_COLOURS[c] for c in rows["coverage"]]
        ax.bar(x, rows["diff"], color=colours)
        lo = (rows["diff"] - rows["ci_low"]).to_numpy()
        hi = (rows["ci_high"] - rows["diff"]).to_numpy()
        ok = np.isfinite(lo) & np.isfinite(hi)
        ax.errorbar(x[ok], rows["diff"][ok], yerr=[lo[ok], hi[ok]], fmt="none", color="black", capsize=2)
        ax.axhline(0, color="black", lw=0.8)
        ax.axhspan(-margin, margin, color="tab:green", alpha=0.12)
        ax.set_xticks(x, rows["language"])
        ax.set_title(f"{source} ({rows['arm'].iloc[0]})", fontsize=9)
    axes[0].set_ylabel("Δ TyDi mAP vs hybrid")
    handles = [axes[0].bar([0], [0], color=c, label=k) for k, c in COVERAGE_COLOURS.items()]
    fig.legend(handles=handles, labels=list(COVERAGE_COLOURS), loc="outside right upper", fontsize=8)
    fig.suptitle("Coverage: the effect of alignment by language (unadjusted 95 % intervals)")
    return _finish(fig, path)


def probe_plot(
    long: pd.DataFrame,
    arms: list[str],
    correlation: Correlation | None,
    *,
    path: str | os.PathLike | None = None,
) -> Figure:
    """The bitext probe: accuracy@1 and ratio margin per arm (each seed's point, the mean as a bar), and
    the per-language probe gain against the TyDi gain of hybrid+align − hybrid."""
    fig = Figure(figsize=(15, 4.5), layout="constrained")
    axes = fig.subplots(1, 3)
    for ax, metric, name in ((axes[0], "probe accuracy", "accuracy@1 (both directions)"),
                             (axes[1], "probe margin", "ratio margin")):  # fmt: skip
        present = [a for a in arms if not seed_values(long, a, metric).empty]
        if not present:
            _empty(ax, f"no probe {name} in the files")
            ax.set_title(f"probe {name}")
            continue
        x = np.arange(len(present))
        means = [seed_values(long, a, metric).mean() for a in present]
        ax.bar(x, means, color="tab:blue", alpha=0.6)
        for i, a in enumerate(present):
            v = seed_values(long, a, metric)
            ax.scatter(np.full(len(v), i), v.to_numpy(), s=10, color="black", zorder=3)
        low = min(min(means), float(long[long["metric"] == metric]["value"].min()))
        ax.set_ylim(bottom=max(0.0, low - 0.05 * abs(low)))
        ax.set_xticks(x, present, rotation=60, ha="right", fontsize=7)
        ax.set_title(f"probe {name}, macro over languages")
    ax = axes[2]
    if correlation is None or correlation.points.empty:
        _empty(ax, "probe gain vs TyDi gain: not computable")
    else:
        pts = correlation.points
        ax.scatter(pts["probe_gain"], pts["tydi_gain"], color="tab:purple")
        for r in pts.itertuples(index=False):
            ax.annotate(
                r.language, (r.probe_gain, r.tydi_gain), fontsize=8, xytext=(3, 3), textcoords="offset points"
            )
        ax.axhline(0, color="black", lw=0.6)
        ax.axvline(0, color="black", lw=0.6)
        stat = (
            f"Pearson r = {correlation.r:+.2f}, Spearman ρ = {correlation.rho:+.2f}\n"
            f"n = {correlation.n}: only |ρ| ≥ {correlation.detectable:.2f} detectable"
            if math.isfinite(correlation.r)
            else f"n = {correlation.n}: no correlation computable"
        )
        ax.set_title(stat, fontsize=8)
        ax.set_xlabel(f"probe gain ({correlation.probe_metric}), hybrid+align − hybrid")
        ax.set_ylabel("TyDi mAP gain, hybrid+align − hybrid")
    fig.suptitle("Did alignment align? The held-out NTREX bitext probe")
    return _finish(fig, path)


def alpha_plot(long: pd.DataFrame, *, path: str | os.PathLike | None = None) -> Figure:
    """XQuAD-R Mo., Cr., Mul. mAP and rank distance against α: each seed's point and the mean; the
    paper's "stable" range 0.4–0.6 shaded (the grid holds only 0.5 inside it)."""
    fig = Figure(figsize=(15, 3.8), layout="constrained")
    axes = fig.subplots(1, 4)
    for ax, name in zip(axes, ALPHA_METRICS.values(), strict=True):
        ax.axvspan(0.4, 0.6, color="tab:green", alpha=0.1, label="paper: stable for 0.4–0.6")
        if not _levels(ax, long, ALPHA_ARMS, name):
            _empty(ax, f"no {name}")
        ax.set_title(f"XQuAD-R {name}")
        ax.set_xlabel("α (share of X-X-mono batches)")
        ax.set_xticks(list(ALPHA_ARMS))
    axes[0].legend(fontsize=7)
    fig.suptitle("α ablation (0: crosslingual, 0.5: hybrid, 1: monolingual)")
    return _finish(fig, path)
