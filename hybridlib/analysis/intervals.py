r"""The interval over training seeds that the answers over seeds use, and the simulation of its coverage.

Why a new interval: the two-level percentile bootstrap
(:func:`hybridlib.analysis.bootstrap.seed_cluster_bootstrap`) resamples the ``k`` seeds with
replacement and reads percentiles. With 3–5 seeds that interval is about ±1.96 bootstrap SE, and a
bootstrap of ``k`` values underestimates their variance by ``(k − 1) / k``: it is too narrow (the
coverage table of :func:`coverage_table`, quoted in ``docs/statistics.md``).

The design: seeds ``s = 1..k`` (a model per seed), the same questions in every seed, grouped in
clusters ``c = 1..C`` (a question and its translations). Per seed, ``D_s`` is the mean over rows of the
per-row difference arm − baseline (rows with NaN dropped, per seed). The estimate is
``D̄ = mean_s D_s``, and its error has two independent parts:

* the **question sampling** ``Q``, common to every seed (the same questions in all of them): it cancels
  from ``D_s − D̄``, so the seeds' sample variance does *not* contain it;
* the **seed part** of ``D_s`` — a seed-level shift plus the seed's own per-question disagreement,
  independent across seeds: the seeds' sample variance ``s²`` estimates its variance.

So ``Var(D̄) = Var(Q) + Var(seed part) / k``, estimated by

.. math::

    SE^2 = \frac{s^2}{k} + \hat V_Q, \qquad
    \hat V_Q = \frac{C}{C-1} \sum_c a_c, \qquad
    a_c = \frac{1}{k(k-1)} \sum_{s \ne s'} z_{sc}\, z_{s'c}, \qquad
    z_{sc} = \frac{S_{sc} - D_s N_{sc}}{N_s},

with ``S_sc``, ``N_sc`` the sum and count of seed ``s``'s differences in cluster ``c`` and
``N_s = Σ_c N_sc``: ``z_sc`` is cluster ``c``'s contribution to the error of the ratio mean ``D_s``
(the linearised, analytic cluster variance — the cluster bootstrap's variance without resampling), and
``V̂_Q`` is the **cross-seed** cluster covariance: the part of the question-sampling noise that the
seeds share. The seed-averaged difference's own cluster variance (``Σ_{s,s'}`` over all pairs) would
count the seeds' per-question disagreement twice (once in ``s²``, once there), which widens the
interval where that disagreement is large (fold 2's rank distances: it is most of the seed variance);
the simulation shows both. ``V̂_Q < 0`` (sampling noise) counts as 0.

Degrees of freedom: ``s²/k`` has ``k − 1``, ``V̂_Q`` (a sum over ``C`` independent clusters) ``C − 1``;
with ``w = (s²/k) / SE²`` the seed term's share of the variance,

.. math::

    \frac{1}{\nu} = \frac{w^{\gamma}}{k-1} + \frac{(1-w)^{\gamma}}{C-1}, \qquad \gamma = 1.2,

so ``ν`` runs from ``k − 1`` (seed noise dominant: the t-test over seeds) to ``C − 1`` (seed noise
negligible: the cluster interval). ``γ = 2`` is Welch–Satterthwaite; with the *estimated* ``w`` it is
too liberal at 3 seeds (exact coverage down to 0.922 at k = 3 and 0.941 at k = 5), because its ``ν``
is largest exactly when ``s²`` is small by chance. ``γ = 1`` errs the other way (up to 0.963 at k = 3).
``γ = 1.2`` is calibrated by :func:`exact_coverage` (integration over the χ²(k − 1) of ``s²``, with
``V_Q`` known): over every seed-to-question variance ratio the coverage stays within 0.937–0.959 at
k = 3, 0.946–0.958 at k = 4, 0.949–0.957 at k = 5 (with 2 seeds it falls to about 0.90). The
simulation of :func:`coverage_table` checks it with ``V̂_Q`` estimated.

The interval is ``D̄ ± t_{1−α/2, ν} · SE``; the two-sided p-value is ``2 · P(T_ν > |D̄| / SE)`` (the same
``t`` and ``ν``, so the interval excludes 0 exactly when ``p < α``), and the minimum detectable effect
(:func:`hybridlib.analysis.power.minimum_detectable_effect` with ``dof=ν``) uses the same ``SE`` and
``ν``. Seed noise dominant: ``ν → k − 1`` (the t-test over seeds); negligible: ``ν`` → about the number
of clusters (the cluster interval). One seed: no seed variance is known, so no interval (NaN).

* :func:`seed_t_interval` — the interval of one comparison, from per-seed differences and cluster ids.
* :func:`variance_components`, :func:`t_interval` — the same, vectorised over experiments (the
  simulation uses them, so the test checks the very code the answers run).
* :func:`two_level_percentile` — the old estimator, vectorised over experiments (the same computation
  as ``seed_cluster_bootstrap``; a test checks they agree).
* :func:`coverage_table`, :func:`coverage_markdown` — the simulated coverage of both;
  ``python -m hybridlib.analysis.intervals --docs docs/statistics.md`` rewrites the table in the docs.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from hybridlib.analysis.bootstrap import _seed_cluster_sums


class Components(NamedTuple):
    """:func:`variance_components`, each an array over the leading (experiment) axes: ``diff`` = ``D̄``,
    ``per_seed`` the ``D_s`` (last axis seeds), ``var_seeds`` = ``s²/k``, ``var_questions`` = ``V̂_Q``
    (unclipped), ``var_averaged`` the seed-averaged difference's own cluster variance (the
    double-counting alternative, kept for the simulation's comparison), ``n_clusters`` = ``C``."""

    diff: np.ndarray
    per_seed: np.ndarray
    var_seeds: np.ndarray
    var_questions: np.ndarray
    var_averaged: np.ndarray
    n_clusters: int


def variance_components(sums: np.ndarray, counts: np.ndarray) -> Components:
    """The variance components of ``D̄`` (module docstring) from per-seed cluster ``sums`` and
    ``counts``, each ``(..., k, C)`` (counts may broadcast); vectorised over the leading axes so that
    thousands of simulated experiments cost one call. Needs ``k ≥ 2`` and ``C ≥ 2``."""
    sums = np.asarray(sums, dtype=np.float64)
    counts = np.broadcast_to(np.asarray(counts, dtype=np.float64), sums.shape)
    k, n_cl = sums.shape[-2], sums.shape[-1]
    if k < 2 or n_cl < 2:
        raise ValueError(f"need at least 2 seeds and 2 clusters, got {k} and {n_cl}")
    n_rows = counts.sum(axis=-1)  # (..., k)
    per_seed = sums.sum(axis=-1) / n_rows
    z = (sums - per_seed[..., None] * counts) / n_rows[..., None]  # (..., k, C)
    total = z.sum(axis=-2)  # (..., C)
    a = (total * total - (z * z).sum(axis=-2)) / (k * (k - 1))  # cross-seed products per cluster
    f = n_cl / (n_cl - 1)
    return Components(
        diff=per_seed.mean(axis=-1),
        per_seed=per_seed,
        var_seeds=per_seed.var(axis=-1, ddof=1) / k,
        var_questions=f * a.sum(axis=-1),
        var_averaged=f * (total * total).sum(axis=-1) / (k * k),
        n_clusters=n_cl,
    )


#: ``γ`` of the degrees of freedom (module docstring), calibrated by :func:`exact_coverage`.
DOF_EXPONENT = 1.2


def exact_coverage(
    k: int, ratio: float, *, exponent: float = DOF_EXPONENT, clusters: int = 1000, nodes: int = 4000
) -> float:
    """The coverage of the 95 % interval of :func:`t_interval` when the question variance ``V_Q`` is
    known and normal seed noise has ``ratio`` times its variance in ``s²/k``: the average over the
    χ²(k − 1) distribution of ``s²`` (``nodes`` quantile midpoints) of the normal probability that
    ``|D̄ − μ| ≤ t_ν · SE``. Why ``γ``: it lets one check the exponent over all ratios in a second."""
    u = stats.chi2.ppf((np.arange(nodes) + 0.5) / nodes, k - 1) / (k - 1)  # (s²/k) / E[s²/k]
    a, b = ratio * u, 1.0  # s²/k and V_Q in units of V_Q
    w = a / (a + b)
    dof = 1.0 / (w**exponent / (k - 1) + (1 - w) ** exponent / (clusters - 1))
    half = stats.t.ppf(0.975, dof) * np.sqrt(a + b)
    return float(np.mean(2 * stats.norm.cdf(half / math.sqrt(ratio + b)) - 1))


class TInterval(NamedTuple):
    """:func:`t_interval`: ``se``, ``dof`` (ν), ``(low, high)`` and the two-sided ``p``."""

    se: np.ndarray
    dof: np.ndarray
    low: np.ndarray
    high: np.ndarray
    p: np.ndarray


def t_interval(
    c: Components, k: int, *, confidence: float = 0.95, exponent: float = DOF_EXPONENT
) -> TInterval:
    """``D̄ ± t_{(1+confidence)/2, ν} · SE`` with ``SE² = s²/k + max(V̂_Q, 0)`` and ``ν`` from the
    variance shares raised to ``exponent`` (module docstring; 2 is Welch–Satterthwaite, kept for the
    simulation's comparison), and the two-sided p-value of ``D̄ = 0`` from the same ``t`` and ``ν``;
    vectorised like :func:`variance_components`."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    var_q = np.maximum(c.var_questions, 0.0)
    se2 = c.var_seeds + var_q
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(se2 > 0, c.var_seeds / np.where(se2 > 0, se2, 1.0), 1.0)
        dof = 1.0 / (w**exponent / (k - 1) + (1 - w) ** exponent / (c.n_clusters - 1))
        se = np.sqrt(se2)
        half = stats.t.ppf((1 + confidence) / 2, dof) * se
        p = 2 * stats.t.sf(np.abs(c.diff) / se, dof)
    return TInterval(se, dof, c.diff - half, c.diff + half, p)


class SeedInterval(NamedTuple):
    """Outcome of :func:`seed_t_interval`: ``diff`` (mean over seeds of each seed's row-mean difference),
    ``(ci_low, ci_high)``, ``se``, ``dof`` (ν), ``p_value`` (two-sided, same ``t`` and ``ν``), the
    ``per_seed`` differences (seed order), ``n_clusters`` (of the union of the seeds' rows), and the two
    variance terms ``var_seeds`` (``s²/k``) and ``var_questions`` (``V̂_Q``, clipped at 0)."""

    diff: float
    ci_low: float
    ci_high: float
    se: float
    dof: float
    p_value: float
    per_seed: np.ndarray
    n_clusters: int
    var_seeds: float
    var_questions: float


def seed_t_interval(
    diffs: Sequence[tuple[ArrayLike, ArrayLike]], *, confidence: float = 0.95
) -> SeedInterval:
    """The interval over seeds of a paired difference (module docstring), from one ``(d, clusters)`` per
    training seed: the per-row differences arm − baseline of that seed's run (NaN dropped) and each
    row's cluster id, clusters matched by id across seeds (the input of
    :func:`hybridlib.analysis.bootstrap.seed_cluster_bootstrap`, which it replaces in the answers).
    Deterministic: no resampling. Fewer than 2 seeds or 2 clusters, or a seed without rows: NaN interval
    (the variance over seeds, or over questions, is unknown)."""
    if not diffs:
        raise ValueError("seed_t_interval needs at least one seed")
    sums, counts = _seed_cluster_sums(diffs)
    k, n_cl = sums.shape
    with np.errstate(invalid="ignore", divide="ignore"):
        per_seed = sums.sum(axis=1) / counts.sum(axis=1)
    nan = math.nan
    if k < 2 or n_cl < 2 or np.isnan(per_seed).any():
        mean = float(per_seed.mean()) if n_cl and not np.isnan(per_seed).any() else nan
        return SeedInterval(mean, nan, nan, nan, nan, nan, per_seed, int(n_cl), nan, nan)
    comp = variance_components(sums, counts)
    t = t_interval(comp, k, confidence=confidence)
    return SeedInterval(
        float(comp.diff),
        float(t.low),
        float(t.high),
        float(t.se),
        float(t.dof),
        float(t.p),
        per_seed,
        int(n_cl),
        float(comp.var_seeds),
        float(max(comp.var_questions, 0.0)),
    )


def _row_counts(idx: np.ndarray, width: int) -> np.ndarray:
    """``out[r, j]`` = how often ``j`` occurs in ``idx[r]`` (as in ``bootstrap._row_counts``)."""
    rows = idx.shape[0]
    flat = (idx + width * np.arange(rows)[:, None]).ravel()
    return np.bincount(flat, minlength=rows * width).reshape(rows, width).astype(np.float64)


def two_level_percentile(
    sums: np.ndarray,
    counts: np.ndarray,
    *,
    resamples: int,
    rng: np.random.Generator,
    confidence: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """The old estimator's interval (:func:`hybridlib.analysis.bootstrap.seed_cluster_bootstrap`) for
    ``E`` experiments at once: ``sums`` ``(E, k, C)``, ``counts`` ``(k, C)`` shared by the experiments
    (one design). The same computation — seeds with replacement, then clusters shared by the drawn
    seeds, each drawn seed's ratio mean over the resample, their mean, percentiles — with one set of
    ``resamples`` draws shared by all experiments (common random numbers: each experiment's interval
    is still a bootstrap of its own data, drawn in the same order as that function does, so one
    experiment with ``default_rng(seed)`` gives its interval; tested)."""
    n_exp, k, n_cl = sums.shape
    picked = rng.integers(0, k, size=(resamples, k))
    weight = _row_counts(picked, k)  # (B, k)
    idx = rng.integers(0, n_cl, size=(resamples, n_cl))
    w_cl = _row_counts(idx, n_cl)  # (B, C)
    num = (w_cl @ sums.reshape(n_exp * k, n_cl).T).reshape(resamples, n_exp, k)
    den = w_cl @ np.asarray(counts, dtype=np.float64).T  # (B, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        seed_means = num / den[:, None, :]
        reps = np.nansum(weight[:, None, :] * seed_means, axis=2) / np.sum(
            weight[:, None, :] * ~np.isnan(seed_means), axis=2
        )
    alpha = 1.0 - confidence
    low, high = np.nanquantile(reps, [alpha / 2, 1 - alpha / 2], axis=0)
    return low, high


class Level(NamedTuple):
    """A level of seed noise in the simulation: ``ratio`` = variance of one seed's seed part over the
    question-sampling variance ``Var(Q)``; ``interaction`` = the share of the seed part that is the
    seed's own per-row disagreement (the rest is a shift of the whole seed)."""

    label: str
    ratio: float
    interaction: float


#: The simulated levels of seed noise, from negligible to dominant.
LEVELS: tuple[Level, ...] = (
    Level("negligible", 0.01, 0.5),
    Level("equal to question noise", 1.0, 0.5),
    Level("dominant (100×)", 100.0, 0.5),
    Level("dominant, all seed shift", 100.0, 0.0),
    Level("equal, all per-question disagreement", 1.0, 1.0),
)


def simulate_sums(
    k: int,
    sizes: np.ndarray,
    experiments: int,
    level: Level,
    rng: np.random.Generator,
    *,
    effect: float = 0.0,
) -> np.ndarray:
    """Per-seed cluster sums ``(experiments, k, C)`` of simulated per-row differences
    ``effect + u_c + e_i + v_s + w_si``: a shared per-cluster effect ``u_c`` (variance 1) and per-row
    question effect ``e_i`` (variance 1), the same in every seed; a seed shift ``v_s`` and a seed × row
    disagreement ``w_si``, scaled so that the seed part's variance in ``D_s`` is ``level.ratio ×
    Var(Q)``. Normal, so a cluster's sum of rows is drawn exactly as one normal per cluster."""
    sizes = np.asarray(sizes, dtype=np.float64)
    n_cl, n_rows = sizes.size, sizes.sum()
    var_q = (np.sum(sizes**2) + n_rows) / n_rows**2
    var_shift = (1 - level.interaction) * level.ratio * var_q
    var_row = level.interaction * level.ratio * var_q * n_rows  # per row: / N in D_s
    u = rng.standard_normal((experiments, 1, n_cl))
    e = rng.standard_normal((experiments, 1, n_cl)) * np.sqrt(sizes)
    v = rng.standard_normal((experiments, k, 1)) * math.sqrt(var_shift)
    w = rng.standard_normal((experiments, k, n_cl)) * np.sqrt(sizes * var_row)
    return sizes * (effect + u + v) + e + w


def coverage_table(
    *,
    seeds: Sequence[int] = (3, 5),
    levels: Sequence[Level] = LEVELS,
    clusters: int = 1000,
    experiments: int = 2000,
    resamples: int = 1000,
    old_experiments: int | None = None,
    seed: int = 0,
    chunk: int = 500,
) -> pd.DataFrame:
    """Simulated coverage of the true difference by 95 % intervals, one row per ``k`` × level:
    ``clusters`` question clusters of 1–11 rows (drawn once per case), ``experiments`` experiments.

    Columns: ``new`` (:func:`t_interval`, what the answers use), ``old`` (the two-level percentile
    bootstrap with ``resamples`` replicates, :func:`two_level_percentile`), ``welch`` (the same ``SE``
    with Welch–Satterthwaite ``ν``), ``averaged`` (``s²/k`` plus the seed-averaged difference's own
    cluster variance, Welch–Satterthwaite ``ν``: the seeds' per-question disagreement counted twice),
    the mean widths of the new and old intervals relative to the ideal ``2 × 1.96 × true SD``, and
    the median ``ν`` of the new one. ``old_experiments``: run the (slower) old estimator on only the
    first that many experiments of each case (all by default)."""
    n_old = experiments if old_experiments is None else min(old_experiments, experiments)
    rng = np.random.default_rng(seed)
    z = stats.norm.ppf(0.975)
    rows = []
    for k in seeds:
        for level in levels:
            sizes = rng.integers(1, 12, size=clusters).astype(np.float64)
            counts = np.broadcast_to(sizes, (k, clusters))
            n_rows = sizes.sum()
            var_q = (np.sum(sizes**2) + n_rows) / n_rows**2
            true_sd = math.sqrt(var_q + level.ratio * var_q / k)
            hits = dict.fromkeys(("new", "old", "welch", "averaged"), 0)
            widths = {"new": 0.0, "old": 0.0}
            dofs = []
            for start in range(0, experiments, chunk):
                m = min(chunk, experiments - start)
                sums = simulate_sums(k, sizes, m, level, rng)
                comp = variance_components(sums, counts)
                t = t_interval(comp, k)
                hits["new"] += int(np.sum((t.low <= 0) & (0 <= t.high)))
                widths["new"] += float(np.sum(t.high - t.low))
                dofs.append(t.dof)
                ws = t_interval(comp, k, exponent=2.0)
                hits["welch"] += int(np.sum((ws.low <= 0) & (0 <= ws.high)))
                averaged = comp._replace(var_questions=comp.var_averaged)
                av = t_interval(averaged, k, exponent=2.0)
                hits["averaged"] += int(np.sum((av.low <= 0) & (0 <= av.high)))
                if (m_old := min(m, n_old - start)) > 0:
                    low, high = two_level_percentile(sums[:m_old], counts, resamples=resamples, rng=rng)
                    hits["old"] += int(np.sum((low <= 0) & (0 <= high)))
                    widths["old"] += float(np.sum(high - low))
            ideal = 2 * z * true_sd
            rows.append(
                {
                    "k": k,
                    "seed noise": level.label,
                    **{name: n / (n_old if name == "old" else experiments) for name, n in hits.items()},
                    "new width": widths["new"] / (ideal * experiments),
                    "old width": widths["old"] / (ideal * n_old),
                    "median dof": float(np.median(np.concatenate(dofs))),
                }
            )
    return pd.DataFrame(rows)


def coverage_markdown(
    table: pd.DataFrame, *, experiments: int, resamples: int, clusters: int, old_experiments: int
) -> str:
    """The :func:`coverage_table` as the Markdown block of ``docs/statistics.md``."""
    lines = [
        f"Simulated coverage of the true difference by nominal 95 % intervals: {experiments} experiments "
        f"per row ({old_experiments} for the old estimator, {resamples} bootstrap replicates each), "
        f"{clusters} question clusters of 1–11 rows, normal noise. Widths: mean width over the ideal "
        "2 × 1.96 × true SD.",
        "",
        "| k | seed noise | **new** | old: two-level percentile bootstrap | same SE, Welch–Satterthwaite ν "
        "| s²/k + seed-averaged cluster variance | new width | old width | median ν |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table.to_dict("records"):
        lines.append(
            f"| {r['k']} | {r['seed noise']} | **{r['new']:.3f}** | {r['old']:.3f} | {r['welch']:.3f} "
            f"| {r['averaged']:.3f} | {r['new width']:.2f} | {r['old width']:.2f} | {r['median dof']:.1f} |"
        )
    return "\n".join(lines) + "\n"


START, END = "<!-- coverage:start -->", "<!-- coverage:end -->"


def write_docs(path: Path, text: str) -> None:
    """Replace what lies between :data:`START` and :data:`END` in ``path`` with ``text``."""
    doc = path.read_text()
    head, rest = doc.split(START, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{START}\n{text}{END}{tail}")


def main(argv: list[str] | None = None) -> None:
    """Print the coverage table; with ``--docs PATH`` also write it between the markers there."""
    parser = argparse.ArgumentParser(description="Simulated coverage of the intervals over seeds.")
    parser.add_argument("--docs", type=Path, help="rewrite the table between the coverage markers")
    parser.add_argument("--experiments", type=int, default=5000)
    parser.add_argument("--old-experiments", type=int, default=5000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--clusters", type=int, default=1000)
    ns = parser.parse_args(argv)
    sizes = {"experiments": ns.experiments, "resamples": ns.resamples, "clusters": ns.clusters}
    table = coverage_table(**sizes, old_experiments=ns.old_experiments)
    text = coverage_markdown(table, **sizes, old_experiments=min(ns.old_experiments, ns.experiments))
    print(text)
    if ns.docs is not None:
        write_docs(ns.docs, text)


if __name__ == "__main__":
    main()
