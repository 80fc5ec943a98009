"""Significance of a difference between arms: the paired cluster sign-flip permutation test, Holm's
adjustment over a family of arms, and :func:`compare_arms`, the table that puts them together with the
bootstrap interval of each difference.

* :func:`paired_permutation_test` — two-sided paired randomization (sign-flip) test of the mean
  difference; the sign of each *cluster's summed* difference is flipped. It assumes only that, under H0
  (the arms are exchangeable on every question), each cluster's difference is as likely to be +D as −D;
  no normality, which per-query AP (bounded, skewed, many ties at 0 and 1) does not have. Recommended for
  IR by Smucker, Allan & Carterette (CIKM 2007); clustered as in cluster-randomised designs.
* :func:`holm_adjust` — Holm–Bonferroni over several arms tested against one baseline.
* :func:`compare_arms` — both, with :func:`hybridlib.analysis.bootstrap.paired_bootstrap_ci`, for several
  arms against a baseline, as a table.

Why clusters, NaN handling and memory bounds: :mod:`hybridlib.analysis.stats`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from hybridlib.analysis.bootstrap import paired_bootstrap_ci
from hybridlib.analysis.stats import MISSING_CLUSTERS, as_vector, chunk_ranges, cluster_codes

_MAX_EXACT_N = 24  # 2^24 ≈ 1.7e7 sign vectors: exact enumeration beyond this is not worth it


class PermutationResult(NamedTuple):
    """Outcome of :func:`paired_permutation_test`.

    ``mean_a``/``mean_b`` are over the ``n`` retained pairs (rows; so ``diff == mean_a - mean_b`` exactly
    as tested); ``n_clusters`` is the number of sign-flipped units (clusters among those rows; ``n``
    without clusters); ``permutations`` is the number of sign vectors actually evaluated
    (``2**n_clusters`` when ``exact``).
    """

    mean_a: float
    mean_b: float
    diff: float
    p_value: float
    n: int
    permutations: int
    exact: bool = False
    n_clusters: int = 0


def paired_permutation_test(
    a: ArrayLike,
    b: ArrayLike,
    *,
    clusters: ArrayLike | None = None,
    permutations: int = 10000,
    seed: int = 0,
    exact: bool | None = None,
) -> PermutationResult:
    """Two-sided paired randomization test of ``mean(a - b) == 0`` by sign-flipping cluster differences.

    ``d = a − b`` over the rows where neither is NaN; ``D_c`` = the sum of ``d`` over the rows of cluster
    ``c`` (``clusters``: one id per row; without it every row is its own cluster). The unit permuted is
    the **cluster**: under H0 each ``D_c`` is as likely to be ``+D_c`` as ``−D_c``, all rows of a cluster
    flipping together (the translations of one question are not independent). Statistic:
    ``|sum_c(s_c * D_c)|`` over sign vectors ``s ∈ {−1, +1}^C`` — the observed one is ``|sum(d)|``, i.e.
    ``n · |mean row difference|`` (``n`` is fixed).

    P-value:

    * **Monte Carlo** (default when ``2**n > permutations``): ``(count + 1) / (permutations + 1)``, where
      ``count`` is the number of random sign vectors whose statistic is ≥ the observed one. The +1 counts
      the observed assignment itself as one of the equally likely relabelings; it keeps the test valid
      (P(p ≤ α) ≤ α under H0) and never reports p = 0 from a finite sample (Phipson & Smyth, 2010). The
      smallest attainable p is therefore ``1 / (permutations + 1)``.
    * **Exact** (default when ``2**n ≤ permutations``, or ``exact=True``): all ``2**n`` sign vectors are
      enumerated and ``p = count / 2**n``; the observed assignment is among them, so no correction.

    "≥" is taken with a tiny relative tolerance (1e-10 of ``sum|d|``) so that assignments with the same
    statistic up to float rounding (the all-flipped one, ties between equal ``|d|``) count as extreme.
    Identical arms give ``p = 1``; no valid pair gives ``p = NaN`` (``n = 0``). With ``C`` clusters the
    smallest attainable p is ``2 / 2**C`` (exact) — few clusters cannot give small p, however many rows.

    ``exact=False`` forces Monte Carlo, ``exact=True`` forces enumeration (``C ≤ 24``).

    Long because this docstring is the test's definition, kept whole; the counting is in helpers.
    """
    a_arr, b_arr = as_vector(a, "a"), as_vector(b, "b")
    if a_arr.shape != b_arr.shape:
        raise ValueError(f"a and b must be aligned per query, got {a_arr.shape} and {b_arr.shape}")
    if permutations < 1:
        raise ValueError(f"permutations must be ≥ 1, got {permutations}")
    codes = None if clusters is None else cluster_codes(clusters, a_arr.size)
    keep = ~(np.isnan(a_arr) | np.isnan(b_arr))
    a_arr, b_arr = a_arr[keep], b_arr[keep]
    n = int(a_arr.size)
    if n == 0:
        nan = float("nan")
        return PermutationResult(nan, nan, nan, nan, 0, 0, False, 0)
    mean_a, mean_b = float(a_arr.mean()), float(b_arr.mean())
    d = a_arr - b_arr
    if codes is not None:  # one summed difference per cluster: the unit whose sign is flipped
        d = np.bincount(codes[keep], weights=d)[np.bincount(codes[keep]) > 0]
    n_units = int(d.size)
    total = float(d.sum())
    observed = abs(total)
    threshold = observed - 1e-10 * float(np.abs(d).sum())

    use_exact = (n_units <= _MAX_EXACT_N and 2**n_units <= permutations) if exact is None else exact
    if use_exact and n_units > _MAX_EXACT_N:
        raise ValueError(f"exact enumeration is limited to {_MAX_EXACT_N} sign-flipped units, got {n_units}")

    if use_exact:
        n_perm = 2**n_units
        p_value = _count_exact(total, d, threshold) / n_perm
    else:
        n_perm = int(permutations)
        p_value = (_count_monte_carlo(total, d, threshold, n_perm, seed) + 1) / (n_perm + 1)
    return PermutationResult(
        mean_a, mean_b, mean_a - mean_b, float(p_value), n, n_perm, bool(use_exact), n_units
    )


# Both counters: sum(s * d) with s = 1 − 2·bits  ==  total − 2 · (bits @ d), one float matrix-vector
# product per chunk of sign vectors.


def _count_exact(total: float, d: np.ndarray, threshold: float) -> int:
    """How many of all ``2**len(d)`` sign vectors give ``|sum(s * d)| ≥ threshold``."""
    n_units = d.size
    count = 0
    shifts = np.arange(n_units, dtype=np.int64)
    for start, stop in chunk_ranges(2**n_units, n_units):
        codes = np.arange(start, stop, dtype=np.int64)
        bits = ((codes[:, None] >> shifts) & 1).astype(np.float64)
        count += int((np.abs(total - 2.0 * (bits @ d)) >= threshold).sum())
    return count


def _count_monte_carlo(total: float, d: np.ndarray, threshold: float, permutations: int, seed: int) -> int:
    """How many of ``permutations`` random sign vectors (drawn from ``seed``) give
    ``|sum(s * d)| ≥ threshold``."""
    n_units = d.size
    count = 0
    rng = np.random.default_rng(seed)
    for start, stop in chunk_ranges(permutations, n_units):
        # 8 fair sign bits per random byte: ~4x faster than drawing each bit with integers(0, 2)
        packed = rng.integers(0, 256, size=(stop - start, (n_units + 7) // 8), dtype=np.uint8)
        bits = np.unpackbits(packed, axis=1, count=n_units).astype(np.float64)
        count += int((np.abs(total - 2.0 * (bits @ d)) >= threshold).sum())
    return count


def holm_adjust(p_values: ArrayLike) -> np.ndarray:
    """Holm–Bonferroni adjusted p-values (NaN entries left NaN and not counted in the family).

    Used by :func:`compare_arms` because several arms tested against one baseline form a family: without
    adjustment the chance of at least one false "significant" arm grows with the number of arms.
    """
    p = as_vector(p_values, "p_values")
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = ok.size
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    scaled = p[order] * (m - np.arange(m))
    out[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return out


def compare_arms(
    per_query: Mapping[str, Mapping[str, ArrayLike]],
    metric: str,
    *,
    baseline: str,
    permutations: int = 10000,
    seed: int = 0,
    confidence: float = 0.95,
    resamples: int = 10000,
) -> pd.DataFrame:
    """One row per arm (in ``per_query`` order, index ``arm``): the arm's ``metric`` against ``baseline``.

    Every arm's mapping holds ``metric`` and ``cluster`` (one cluster id per row, the unit that is
    permuted and resampled; a missing ``cluster`` raises — old per-query files must be re-evaluated, not
    silently tested per row). Columns:

    * ``n``          rows with a value for this arm (NaN dropped); ``mean`` the arm's mean over them
    * ``n_paired``   rows where both this arm and the baseline have a value
    * ``n_clusters`` clusters among those rows (the sample size that matters)
    * ``diff``       paired mean difference arm − baseline over those rows
    * ``diff_ci_low``, ``diff_ci_high``  percentile cluster-bootstrap interval of ``diff``
      (:func:`paired_bootstrap_ci`; an interval of the difference, not of either arm's mean)
    * ``p_value``    two-sided paired cluster sign-flip permutation p-value (:func:`paired_permutation_test`)
    * ``p_holm``     ``p_value`` Holm-adjusted over the non-baseline arms (:func:`holm_adjust`)

    The baseline row has ``diff``/``diff_ci_*``/``p_*`` = NaN and counts its own rows. ``diff`` can differ
    from ``mean − mean_baseline`` when the arms have NaN on different questions (it is over shared rows
    only). Every arm uses the same ``seed`` (common random numbers: differences between rows are not
    sampling noise of the test). The ``qid`` and ``cluster`` arrays of each arm must equal the baseline's.
    """
    if baseline not in per_query:
        raise KeyError(f"baseline arm {baseline!r} not in per_query (arms: {list(per_query)})")
    base = per_query[baseline]
    if metric not in base:
        raise KeyError(f"metric {metric!r} not in baseline {baseline!r} (keys: {sorted(base)})")
    base_vals = as_vector(base[metric], f"{baseline}.{metric}")
    if "cluster" not in base:
        raise ValueError(f"baseline {baseline!r} {MISSING_CLUSTERS}")
    clusters = np.asarray(base["cluster"])

    rows = []
    for arm, arrays in per_query.items():
        vals = _aligned_values(arrays, arm, metric, baseline=baseline, base=base, base_vals=base_vals)
        row = _arm_counts(arm, vals, base_vals, clusters, is_baseline=arm == baseline)
        if arm != baseline:
            test = paired_permutation_test(
                vals, base_vals, clusters=clusters, permutations=permutations, seed=seed
            )
            low, high = paired_bootstrap_ci(
                vals, base_vals, clusters=clusters, confidence=confidence, resamples=resamples, seed=seed
            )
            row.update(diff=test.diff, diff_ci_low=low, diff_ci_high=high, p_value=test.p_value)
        rows.append(row)
    frame = pd.DataFrame(rows).set_index("arm")
    frame["p_holm"] = holm_adjust(frame["p_value"].to_numpy())
    return frame


def _aligned_values(
    arrays: Mapping[str, ArrayLike],
    arm: str,
    metric: str,
    *,
    baseline: str,
    base: Mapping[str, ArrayLike],
    base_vals: np.ndarray,
) -> np.ndarray:
    """``arm``'s ``metric`` values, checked to hold clusters and to align row by row with the baseline's
    (same length, same ``qid`` where both have them, same cluster ids); raises otherwise."""
    if metric not in arrays:
        raise KeyError(f"metric {metric!r} not in arm {arm!r} (keys: {sorted(arrays)})")
    if "cluster" not in arrays:
        raise ValueError(f"arm {arm!r} {MISSING_CLUSTERS}")
    vals = as_vector(arrays[metric], f"{arm}.{metric}")
    if vals.shape != base_vals.shape:
        raise ValueError(
            f"arm {arm!r} has {vals.size} {metric} values but baseline {baseline!r} has {base_vals.size}"
        )
    qid, base_qid = arrays.get("qid"), base.get("qid")
    if qid is not None and base_qid is not None and not np.array_equal(np.asarray(qid), base_qid):
        raise ValueError(f"arm {arm!r} and baseline {baseline!r} are not aligned on the same qids")
    if not np.array_equal(np.asarray(arrays["cluster"]), np.asarray(base["cluster"])):
        raise ValueError(f"arm {arm!r} and baseline {baseline!r} have different cluster ids")
    return vals


def _arm_counts(
    arm: str, vals: np.ndarray, base_vals: np.ndarray, clusters: np.ndarray, *, is_baseline: bool
) -> dict[str, Any]:
    """The row of :func:`compare_arms` before testing: counts and mean, the difference columns NaN. The
    baseline counts its own rows; another arm counts the rows it shares with the baseline."""
    valid = ~np.isnan(vals)
    paired = valid & ~np.isnan(base_vals)
    own = valid if is_baseline else paired
    return {
        "arm": arm,
        "n": int(valid.sum()),
        "mean": float(vals[valid].mean()) if valid.any() else float("nan"),
        "n_paired": int(paired.sum()),
        "n_clusters": int(np.unique(clusters[own]).size),
        "diff": float("nan"),
        "diff_ci_low": float("nan"),
        "diff_ci_high": float("nan"),
        "p_value": float("nan"),
    }
