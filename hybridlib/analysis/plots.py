"""Figures for the report: mAP heatmaps, rank-distance and TyDi bars, loss curves.

Figures are built with the object-oriented API (``matplotlib.figure.Figure``, never pyplot), so nothing
touches global state or the notebook's backend, figures are freed with their last reference, and PNGs
are rendered by Agg. Every function returns the Figure (notebooks display it) and, given ``path``,
saves it as PNG atomically (a figure file is either complete or absent).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from hybridlib.io import atomic_path

CMAP = "viridis"
UNSEEN_HATCH = "//"
UNSEEN_MARK = "*"


def save_png(fig: Figure, path: str | os.PathLike, *, dpi: int = 150) -> Path:
    """Save ``fig`` as PNG at ``path`` atomically."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
    return Path(path)


def _finish(fig: Figure, path: str | os.PathLike | None) -> Figure:
    if path is not None:
        save_png(fig, path)
    return fig


def _heatmap(ax: Axes, df: pd.DataFrame, vmin: float, vmax: float, annot: bool, cbar: bool, **kw) -> None:
    sns.heatmap(
        df.astype(float),
        ax=ax,
        vmin=vmin,
        vmax=vmax,
        cmap=CMAP,
        annot=annot,
        fmt=".2f",
        annot_kws={"fontsize": 7},
        square=True,
        cbar=cbar,
        **kw,
    )
    ax.set_xlabel("candidate language $X_C$")
    ax.set_ylabel("query language $X_Q$")


def _value_range(frames: Iterable[pd.DataFrame]) -> tuple[float, float]:
    vals = np.concatenate([np.asarray(f, dtype=float).ravel() for f in frames] or [np.zeros(0)])
    vals = vals[np.isfinite(vals)]
    if vals.size == 0:
        return 0.0, 1.0
    lo, hi = float(vals.min()), float(vals.max())
    return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)


def map_heatmap(
    matrix_df: pd.DataFrame,
    title: str,
    *,
    vmin: float | None = None,
    vmax: float | None = None,
    annot: bool = True,
    path: str | os.PathLike | None = None,
) -> Figure:
    """X_Q × X_C mAP heatmap (rows query language, columns candidate language; diagonal = Mo.)."""
    lo, hi = _value_range([matrix_df])
    n = max(matrix_df.shape)
    fig = Figure(figsize=(1.0 + 0.55 * n, 0.6 + 0.5 * n), layout="constrained")
    ax = fig.subplots()
    _heatmap(ax, matrix_df, lo if vmin is None else vmin, hi if vmax is None else vmax, annot, True)
    ax.set_title(title)
    return _finish(fig, path)


def heatmap_grid(
    results: Mapping[str, pd.DataFrame],
    *,
    title: str | None = None,
    ncols: int | None = None,
    annot: bool = True,
    path: str | os.PathLike | None = None,
) -> Figure:
    """Several arms' X_Q × X_C heatmaps side by side with ONE shared colour scale (comparable colours)."""
    if not results:
        raise ValueError("no matrices to plot")
    lo, hi = _value_range(results.values())
    k = len(results)
    ncols = min(k, ncols or k)
    nrows = math.ceil(k / ncols)
    n = max(max(df.shape) for df in results.values())
    fig = Figure(
        figsize=(0.5 + (0.5 * n + 0.6) * ncols + 0.8, (0.45 * n + 0.8) * nrows), layout="constrained"
    )
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for ax, (arm, df) in zip(axes, results.items(), strict=False):
        _heatmap(ax, df, lo, hi, annot, False)
        ax.set_title(arm)
    for ax in axes[k:]:
        ax.set_axis_off()
    mappable = axes[0].collections[0]
    fig.colorbar(mappable, ax=list(axes[:k]), shrink=0.8, label="mAP")
    if title:
        fig.suptitle(title)
    return _finish(fig, path)


def _grouped_bars(
    ax: Axes, per_lang: Mapping[str, Mapping[str, float]], hatched: set[str] = frozenset()
) -> list[str]:
    arms = list(per_lang)
    langs = sorted({lang for d in per_lang.values() for lang in d})
    x = np.arange(len(langs))
    width = 0.8 / max(len(arms), 1)
    palette = sns.color_palette("colorblind", len(arms))
    for i, arm in enumerate(arms):
        vals = np.array([per_lang[arm].get(lang, np.nan) for lang in langs], dtype=float)
        bars = ax.bar(
            x + (i - (len(arms) - 1) / 2) * width,
            np.nan_to_num(vals),
            width,
            label=arm,
            color=palette[i],
            edgecolor="black",
            linewidth=0.4,
        )
        for bar, lang in zip(bars, langs, strict=True):
            if lang in hatched:
                bar.set_hatch(UNSEEN_HATCH)
    ax.set_xticks(x)
    ax.set_xticklabels([f"{lang}{UNSEEN_MARK}" if lang in hatched else lang for lang in langs])
    ax.legend(fontsize=8, ncols=min(len(arms), 3))
    ax.grid(axis="y", alpha=0.3)
    return langs


def rank_distance_bars(
    per_lang: Mapping[str, Mapping[str, float]],
    *,
    title: str = "Language bias: mean rank distance (lower = less biased)",
    path: str | os.PathLike | None = None,
) -> Figure:
    """Mean rank distance per query language, one bar per arm."""
    n_lang = len({lang for d in per_lang.values() for lang in d})
    fig = Figure(figsize=(max(6.0, 0.35 * n_lang * max(len(per_lang), 1)), 3.8), layout="constrained")
    ax = fig.subplots()
    _grouped_bars(ax, per_lang)
    ax.set_xlabel("query language")
    ax.set_ylabel("mean rank distance")
    ax.set_title(title)
    return _finish(fig, path)


def tydi_bars(
    per_lang: Mapping[str, Mapping[str, float]],
    unseen: set[str],
    metric: str,
    *,
    title: str | None = None,
    path: str | os.PathLike | None = None,
) -> Figure:
    """TyDi ``metric`` per language, one bar per arm; languages unseen in fine-tuning are hatched and
    starred in the tick labels."""
    n_lang = len({lang for d in per_lang.values() for lang in d})
    fig = Figure(figsize=(max(6.0, 0.35 * n_lang * max(len(per_lang), 1)), 3.8), layout="constrained")
    ax = fig.subplots()
    _grouped_bars(ax, per_lang, set(unseen))
    ax.set_xlabel(f"language ({UNSEEN_MARK}, hatched = unseen in fine-tuning)")
    ax.set_ylabel(metric)
    ax.set_title(title or f"TyDi QA GoldP {metric}")
    return _finish(fig, path)


def loss_series(df: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """The curves of one training log, as ``(kind, frame with step and value)``.

    Logs with ``qa_loss``/``align_loss`` (the λ-weighted alignment term, NaN on steps without it) give
    ``"QA"`` and, when any alignment value was logged, ``"alignment (λ-weighted)"``; older logs have
    only ``loss`` — the total (QA plus the weighted alignment term on alignment steps) — given as
    ``"total"``.
    """
    df = df.sort_values("step")
    if "qa_loss" not in df:
        return [("total", df[["step"]].assign(value=df["loss"]))]
    out = [("QA", df[["step"]].assign(value=df["qa_loss"]).dropna())]
    if "align_loss" in df and df["align_loss"].notna().any():
        out.append(("alignment (λ-weighted)", df[["step"]].assign(value=df["align_loss"]).dropna()))
    return out


def loss_curves(
    logs: Mapping[str, pd.DataFrame],
    *,
    smooth: int = 1,
    title: str = "Training loss",
    path: str | os.PathLike | None = None,
) -> Figure:
    """Loss against step per arm (``DataFrame`` with ``step`` and ``loss``, and ``qa_loss``/``align_loss``
    when logged); ``smooth`` > 1 adds a centred rolling mean over that many logged points, drawn over the
    faint raw curve. The QA loss is solid and the λ-weighted alignment loss dashed in the arm's colour
    (:func:`loss_series`), so arms with and without alignment compare on the same QA objective; a log
    without those columns (older runs) is drawn as its total ``loss`` and labelled so."""
    fig = Figure(figsize=(6.5, 3.8), layout="constrained")
    ax = fig.subplots()
    palette = sns.color_palette("colorblind", max(len(logs), 1))
    separated = False
    for color, (arm, df) in zip(palette, logs.items(), strict=False):
        for kind, part in loss_series(df):
            style = "--" if kind.startswith("alignment") else "-"
            label = arm if kind == "QA" else f"{arm} ({kind})"
            separated |= kind != "total"
            if smooth > 1:
                ax.plot(part["step"], part["value"], style, color=color, alpha=0.3, linewidth=0.8)
                smoothed = part["value"].rolling(smooth, center=True, min_periods=1).mean()
                ax.plot(part["step"], smoothed, style, color=color, label=label)
            else:
                ax.plot(part["step"], part["value"], style, color=color, label=label)
    ax.set_xlabel("step")
    ax.set_ylabel("QA loss (solid), λ-weighted alignment loss (dashed)" if separated else "loss")
    ax.set_title(title)
    if logs:
        ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _finish(fig, path)


def pair_count_heatmap(counts: pd.DataFrame, title: str, *, path: str | os.PathLike | None = None) -> Figure:
    """Training pairs per (query language × passage language); diagonal = monolingual pairs."""
    n = max(counts.shape)
    fig = Figure(figsize=(1.0 + 0.6 * n, 0.6 + 0.5 * n), layout="constrained")
    ax = fig.subplots()
    sns.heatmap(counts, ax=ax, cmap="Blues", annot=True, fmt="d", annot_kws={"fontsize": 7}, square=True)
    ax.set_xlabel("passage language")
    ax.set_ylabel("query language")
    ax.set_title(title)
    return _finish(fig, path)


def sweep_plot(
    summary: pd.DataFrame,
    *,
    x: str = "alpha",
    title: str | None = None,
    path: str | os.PathLike | None = None,
) -> Figure:
    """One panel per metric: mean against ``x`` with ±1 std error bars (from seeds, where there are
    several). ``summary`` has columns ``x, metric, mean, std``."""
    metrics = list(dict.fromkeys(summary["metric"]))
    ncols = min(4, len(metrics)) or 1
    nrows = math.ceil(len(metrics) / ncols) or 1
    fig = Figure(figsize=(3.2 * ncols, 2.6 * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for ax, metric in zip(axes, metrics, strict=False):
        part = summary[summary["metric"] == metric].sort_values(x)
        ax.errorbar(part[x], part["mean"], yerr=part["std"].fillna(0.0), marker="o", capsize=3)
        ax.set_title(metric, fontsize=9)
        ax.set_xlabel(x)
    for ax in axes[len(metrics) :]:
        ax.set_axis_off()
    if title:
        fig.suptitle(title)
    return _finish(fig, path)


def pilot_curves(table: pd.DataFrame, path: str | os.PathLike | None = None) -> Figure:
    """The validation pilot (``hybridlib.experiment.pilot``): validation loss (left) and validation
    Mo. (dashed) / Mul. (solid) mAP (right) against training step, one colour per arm."""
    fig = Figure(figsize=(9.5, 3.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    arms = list(dict.fromkeys(table["arm"]))
    for color, arm in zip(sns.color_palette("colorblind", max(len(arms), 1)), arms, strict=False):
        rows = table[table["arm"] == arm].sort_values("step")
        left.plot(rows["step"], rows["val_loss"], "o-", color=color, label=arm)
        for column in [c for c in rows.columns if c.endswith("val mul mAP")]:
            right.plot(rows["step"], rows[column], "o-", color=color, label=f"{arm} Mul.")
            right.plot(
                rows["step"], rows[column.replace(" mul ", " mo ")], "o--", color=color, label=f"{arm} Mo."
            )
    left.set(xlabel="step", ylabel="validation InfoNCE loss", title="Validation loss")
    right.set(xlabel="step", ylabel="validation mAP", title="Validation retrieval (held-out questions)")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return _finish(fig, path)
