"""Percentile cluster-bootstrap intervals of a mean, of a paired difference, and of a paired difference
over several training seeds.

* :func:`bootstrap_ci` — percentile cluster-bootstrap interval of a mean (clusters resampled).
* :func:`paired_bootstrap_ci` — the same interval of the paired mean *difference* a − b.
* :func:`seed_cluster_bootstrap` — over several training seeds: a two-level bootstrap (seeds, then
  question clusters) of the mean difference, carrying both training and question sampling.

Why clusters, NaN handling and memory bounds: :mod:`hybridlib.analysis.stats`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from hybridlib.analysis.stats import as_vector, chunk_ranges, cluster_sums


def _check_interval_args(confidence: float, resamples: int) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if resamples < 1:
        raise ValueError(f"resamples must be ≥ 1, got {resamples}")


def _percentiles(stats: np.ndarray, confidence: float) -> tuple[float, float]:
    alpha = 1.0 - confidence
    low, high = np.quantile(stats, [alpha / 2, 1.0 - alpha / 2])
    return float(low), float(high)


def _resampled_means(
    sums: np.ndarray, counts: np.ndarray, resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """``resamples`` row means, each over ``C`` clusters drawn with replacement (ratio of sums)."""
    c = sums.size
    means = np.empty(resamples, dtype=np.float64)
    for start, stop in chunk_ranges(resamples, c):
        idx = rng.integers(0, c, size=(stop - start, c))
        means[start:stop] = sums[idx].sum(axis=1) / counts[idx].sum(axis=1)
    return means


def bootstrap_ci(
    values: ArrayLike,
    *,
    clusters: ArrayLike | None = None,
    confidence: float = 0.95,
    resamples: int = 10000,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile cluster-bootstrap interval ``(low, high)`` of the row mean of ``values`` (NaN dropped).

    Unit resampled: the **cluster** (``clusters``: one id per row; without it every row is its own
    cluster). Each of ``resamples`` replicates draws ``C`` clusters with replacement and takes the mean
    over all rows of the drawn clusters (sum of their sums / sum of their row counts); the interval is the
    ``(1 ± confidence) / 2`` quantiles of those means. The percentile method is chosen for simplicity and
    because a mean over a hundred or more bounded clusters is close to normal, where it agrees with BCa;
    it is slightly too narrow for very few clusters. No values: ``(NaN, NaN)``; one cluster: the
    degenerate ``(m, m)``.
    """
    _check_interval_args(confidence, resamples)
    sums, counts = cluster_sums(values, clusters)
    if sums.size == 0:
        return float("nan"), float("nan")
    means = _resampled_means(sums, counts, resamples, np.random.default_rng(seed))
    return _percentiles(means, confidence)


def paired_bootstrap_ci(
    a: ArrayLike,
    b: ArrayLike,
    *,
    clusters: ArrayLike | None = None,
    confidence: float = 0.95,
    resamples: int = 10000,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile cluster-bootstrap interval of the paired mean **difference** ``mean(a − b)``.

    Rows where either arm is NaN are dropped (as in :func:`paired_permutation_test`, so the interval is
    of the very ``diff`` that test reports); the unit resampled is the cluster (:func:`bootstrap_ci` on
    ``a − b``). Pairing matters: the interval of a difference is much narrower than the two arms'
    separate intervals suggest, because most per-question variation is shared by the arms.
    """
    a_arr, b_arr = as_vector(a, "a"), as_vector(b, "b")
    if a_arr.shape != b_arr.shape:
        raise ValueError(f"a and b must be aligned per query, got {a_arr.shape} and {b_arr.shape}")
    return bootstrap_ci(
        a_arr - b_arr, clusters=clusters, confidence=confidence, resamples=resamples, seed=seed
    )


def _row_counts(idx: np.ndarray, width: int) -> np.ndarray:
    """``out[r, j]`` = how often ``j`` occurs in ``idx[r]`` (a resample as multiplicities), float64."""
    rows = idx.shape[0]
    flat = (idx + width * np.arange(rows)[:, None]).ravel()
    return np.bincount(flat, minlength=rows * width).reshape(rows, width).astype(np.float64)


class SeedBootstrap(NamedTuple):
    """Outcome of :func:`seed_cluster_bootstrap`: ``diff`` = mean over seeds of each seed's row-mean
    difference, ``(ci_low, ci_high)`` its two-level percentile interval, ``per_seed`` those per-seed
    differences (seed order), ``n_clusters`` the clusters of the union of the seeds' rows, ``se`` the
    standard deviation of the replicates (the standard error of ``diff``)."""

    diff: float
    ci_low: float
    ci_high: float
    per_seed: np.ndarray
    n_clusters: int
    se: float = float("nan")


def seed_cluster_bootstrap(
    diffs: Sequence[tuple[ArrayLike, ArrayLike]],
    *,
    confidence: float = 0.95,
    resamples: int = 10000,
    seed: int = 0,
) -> SeedBootstrap:
    """Two-level bootstrap of a paired difference over training seeds **and** question clusters.

    ``diffs``: one ``(d, clusters)`` per training seed — the per-row differences arm − baseline of that
    seed's run (NaN dropped) and each row's cluster id. The estimate is the mean over seeds of each
    seed's row-mean difference. Each replicate (1) resamples the ``K`` seeds with replacement (training
    noise: a different model per seed), then (2) resamples the question clusters with replacement and
    takes every drawn seed's row-mean difference over that resample (question sampling). The replicate
    statistic is the mean over the ``K`` drawn seeds; the interval is the ``(1 ± confidence) / 2``
    quantiles of the replicates, an interval of the *mean difference over seeds*.

    The cluster resample is shared by the seeds of one replicate because every seed is evaluated on the
    same questions (clusters are matched by id): drawing them independently per seed would pretend the
    questions were re-sampled for each model and shrink the question-sampling variance ``K``-fold. So
    with identical seeds (one model evaluated ``K`` times) the interval is the one-seed cluster interval,
    and it widens as the seeds disagree. With one seed it is that seed's :func:`bootstrap_ci`.
    """
    _check_interval_args(confidence, resamples)
    if not diffs:
        raise ValueError("seed_cluster_bootstrap needs at least one seed")
    sums, counts = _seed_cluster_sums(diffs)
    n_cl = sums.shape[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        per_seed = sums.sum(axis=1) / counts.sum(axis=1)
    nan = float("nan")
    if n_cl == 0 or np.isnan(per_seed).any():
        return SeedBootstrap(nan, nan, nan, per_seed, int(n_cl))
    stats = _two_level_replicates(sums, counts, resamples=resamples, seed=seed)
    finite = stats[~np.isnan(stats)]
    low, high = _percentiles(finite, confidence)
    se = float(finite.std(ddof=1)) if finite.size > 1 else float("nan")
    return SeedBootstrap(float(per_seed.mean()), low, high, per_seed, int(n_cl), se)


def _seed_cluster_sums(diffs: Sequence[tuple[ArrayLike, ArrayLike]]) -> tuple[np.ndarray, np.ndarray]:
    """``(sums, counts)``, each ``(seeds, clusters)``: per seed of :func:`seed_cluster_bootstrap`'s
    ``diffs``, the sum and number of its non-NaN differences in each cluster of the union of the seeds'
    cluster ids (matched by id, in sorted order)."""
    prepared = []
    for k, (d, clusters) in enumerate(diffs):
        arr = as_vector(d, f"diffs[{k}]")
        ids = np.asarray(clusters)
        if ids.shape != arr.shape:
            raise ValueError(f"seed {k}: {arr.size} differences but {ids.size} cluster ids")
        ok = ~np.isnan(arr)
        prepared.append((arr[ok], ids[ok].astype(str)))
    union, inverse = np.unique(np.concatenate([ids for _, ids in prepared]), return_inverse=True)
    inverse = inverse.reshape(-1)
    n_seeds, n_cl = len(prepared), union.size
    sums = np.zeros((n_seeds, n_cl))
    counts = np.zeros((n_seeds, n_cl))
    offset = 0
    for k, (arr, _) in enumerate(prepared):
        codes = inverse[offset : offset + arr.size]
        offset += arr.size
        sums[k] = np.bincount(codes, weights=arr, minlength=n_cl)
        counts[k] = np.bincount(codes, minlength=n_cl)
    return sums, counts


def _two_level_replicates(sums: np.ndarray, counts: np.ndarray, *, resamples: int, seed: int) -> np.ndarray:
    """The ``resamples`` replicate statistics of :func:`seed_cluster_bootstrap` (NaN where no drawn seed
    has a row in the drawn clusters), from the per-seed cluster ``sums`` and ``counts``."""
    n_seeds, n_cl = sums.shape
    rng = np.random.default_rng(seed)
    stats = np.empty(resamples, dtype=np.float64)
    for start, stop in chunk_ranges(resamples, n_cl * n_seeds):
        m = stop - start
        picked = rng.integers(0, n_seeds, size=(m, n_seeds))  # (1) seeds with replacement
        weight = _row_counts(picked, n_seeds)
        idx = rng.integers(0, n_cl, size=(m, n_cl))  # (2) clusters, shared by the replicate's seeds
        w_cl = _row_counts(idx, n_cl)
        with np.errstate(invalid="ignore", divide="ignore"):
            seed_means = (w_cl @ sums.T) / (w_cl @ counts.T)  # (m, K): each seed over the resample
        stats[start:stop] = np.nansum(weight * seed_means, axis=1) / np.sum(
            weight * ~np.isnan(seed_means), axis=1
        )
    return stats
