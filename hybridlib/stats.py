"""Significance tests and intervals over per-query metric vectors (paired arms, several seeds).

Two arms evaluated on the same questions give per-query arrays aligned row by row (the ``per_query``
arrays of :mod:`hybridlib.evaluate`, read back with :func:`hybridlib.evaluate.load_per_query`). The
questions, not the candidates, are the sampling unit, so the tests here resample or permute *questions*:

* :func:`paired_permutation_test` — two-sided paired randomization (sign-flip) test of the mean
  difference. It assumes only that, under H0 (the arms are exchangeable on every question), each
  paired difference is as likely to be +d as −d; no normality, which per-query AP (bounded, skewed,
  many ties at 0 and 1) does not have. Recommended for IR by Smucker, Allan & Carterette (CIKM 2007).
* :func:`bootstrap_ci` — percentile bootstrap interval of one arm's mean.
* :func:`compare_arms` — both, for several arms against a baseline, as a table.
* :func:`lareqa_setting_vectors` — per-query Mo./Cr./Mul./rank-distance vectors from a LAReQA result.
* :func:`mean_std_over_seeds` — mean ± sample std of scalar results over training seeds.

NaN marks "no value for this question" everywhere (no gold in the pool, skipped Cr. setting): NaN values
are dropped, and in paired tests a row is dropped when *either* arm is NaN so that both means are over the
same questions.

Everything is vectorised with numpy; random sign / index matrices are drawn in chunks of at most
``_CHUNK_ELEMENTS`` entries so memory stays bounded (≈ 32 MB) whatever ``n`` × ``permutations`` is. Results
are deterministic for a given ``seed`` (the chunking depends only on ``n``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

_CHUNK_ELEMENTS = 1 << 22  # entries of one sign / index matrix chunk (float64: 32 MiB)
_MAX_EXACT_N = 24  # 2^24 ≈ 1.7e7 sign vectors: exact enumeration beyond this is not worth it

__all__ = [
    "PermutationResult",
    "bootstrap_ci",
    "compare_arms",
    "holm_adjust",
    "lareqa_setting_vectors",
    "mean_std_over_seeds",
    "paired_permutation_test",
]


class PermutationResult(NamedTuple):
    """Outcome of :func:`paired_permutation_test`.

    ``mean_a``/``mean_b`` are over the ``n`` retained pairs (so ``diff == mean_a - mean_b`` exactly as
    tested); ``permutations`` is the number of sign vectors actually evaluated (``2**n`` when ``exact``).
    """

    mean_a: float
    mean_b: float
    diff: float
    p_value: float
    n: int
    permutations: int
    exact: bool = False


def _as_1d(x: ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one value per query), got shape {arr.shape}")
    return arr


def _chunks(total: int, row_len: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` ranges covering ``total`` rows of ``row_len`` entries, ≤ _CHUNK_ELEMENTS each."""
    step = max(1, _CHUNK_ELEMENTS // max(row_len, 1))
    for start in range(0, total, step):
        yield start, min(start + step, total)


def paired_permutation_test(
    a: ArrayLike,
    b: ArrayLike,
    *,
    permutations: int = 10000,
    seed: int = 0,
    exact: bool | None = None,
) -> PermutationResult:
    """Two-sided paired randomization test of ``mean(a - b) == 0`` by sign-flipping the differences.

    Statistic: ``|sum(s * d)|`` over sign vectors ``s ∈ {−1, +1}^n`` (equivalent to ``|mean|`` because
    ``n`` is fixed), ``d = a − b`` over the rows where neither is NaN.

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
    Identical arms give ``p = 1``; no valid pair gives ``p = NaN`` (``n = 0``).

    ``exact=False`` forces Monte Carlo, ``exact=True`` forces enumeration (``n ≤ 24``).
    """
    a_arr, b_arr = _as_1d(a, "a"), _as_1d(b, "b")
    if a_arr.shape != b_arr.shape:
        raise ValueError(f"a and b must be aligned per query, got {a_arr.shape} and {b_arr.shape}")
    if permutations < 1:
        raise ValueError(f"permutations must be ≥ 1, got {permutations}")
    keep = ~(np.isnan(a_arr) | np.isnan(b_arr))
    a_arr, b_arr = a_arr[keep], b_arr[keep]
    n = int(a_arr.size)
    if n == 0:
        nan = float("nan")
        return PermutationResult(nan, nan, nan, nan, 0, 0, False)
    d = a_arr - b_arr
    mean_a, mean_b = float(a_arr.mean()), float(b_arr.mean())
    total = float(d.sum())
    observed = abs(total)
    threshold = observed - 1e-10 * float(np.abs(d).sum())

    use_exact = (n <= _MAX_EXACT_N and 2**n <= permutations) if exact is None else exact
    if use_exact and n > _MAX_EXACT_N:
        raise ValueError(f"exact enumeration is limited to n ≤ {_MAX_EXACT_N} pairs, got n = {n}")

    # sum(s * d) with s = 1 − 2·bits  ==  total − 2 · (bits @ d): one float matrix-vector product per chunk
    count = 0
    if use_exact:
        n_perm = 2**n
        shifts = np.arange(n, dtype=np.int64)
        for start, stop in _chunks(n_perm, n):
            codes = np.arange(start, stop, dtype=np.int64)
            bits = ((codes[:, None] >> shifts) & 1).astype(np.float64)
            count += int((np.abs(total - 2.0 * (bits @ d)) >= threshold).sum())
        p_value = count / n_perm
    else:
        n_perm = int(permutations)
        rng = np.random.default_rng(seed)
        for start, stop in _chunks(n_perm, n):
            # 8 fair sign bits per random byte: ~4x faster than drawing each bit with integers(0, 2)
            packed = rng.integers(0, 256, size=(stop - start, (n + 7) // 8), dtype=np.uint8)
            bits = np.unpackbits(packed, axis=1, count=n).astype(np.float64)
            count += int((np.abs(total - 2.0 * (bits @ d)) >= threshold).sum())
        p_value = (count + 1) / (n_perm + 1)
    return PermutationResult(mean_a, mean_b, mean_a - mean_b, float(p_value), n, n_perm, bool(use_exact))


def bootstrap_ci(
    values: ArrayLike,
    *,
    confidence: float = 0.95,
    resamples: int = 10000,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval ``(low, high)`` of the mean of ``values`` (NaN dropped).

    Questions are resampled with replacement ``resamples`` times; the interval is the
    ``(1 ± confidence) / 2`` quantiles of the resampled means. The percentile method is chosen for
    simplicity and because the mean of a few hundred bounded per-query values is close to normal, where
    it agrees with BCa; it is slightly too narrow for very small ``n``. No values: ``(NaN, NaN)``; one
    value: the degenerate ``(v, v)``.
    """
    x = _as_1d(values, "values")
    x = x[~np.isnan(x)]
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if resamples < 1:
        raise ValueError(f"resamples must be ≥ 1, got {resamples}")
    n = int(x.size)
    if n == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = np.empty(resamples, dtype=np.float64)
    for start, stop in _chunks(resamples, n):
        idx = rng.integers(0, n, size=(stop - start, n))
        means[start:stop] = x[idx].mean(axis=1)
    alpha = 1.0 - confidence
    low, high = np.quantile(means, [alpha / 2, 1.0 - alpha / 2])
    return float(low), float(high)


def holm_adjust(p_values: ArrayLike) -> np.ndarray:
    """Holm–Bonferroni adjusted p-values (NaN entries left NaN and not counted in the family).

    Used by :func:`compare_arms` because several arms tested against one baseline form a family: without
    adjustment the chance of at least one false "significant" arm grows with the number of arms.
    """
    p = _as_1d(p_values, "p_values")
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

    Columns:

    * ``n``        questions with a value for this arm (NaN dropped)
    * ``mean``     the arm's mean over those questions
    * ``ci_low``, ``ci_high``   percentile bootstrap interval of ``mean`` (:func:`bootstrap_ci`)
    * ``n_paired`` questions where both this arm and the baseline have a value
    * ``diff``     paired mean difference arm − baseline over those questions
    * ``p_value``  two-sided paired permutation p-value (:func:`paired_permutation_test`)
    * ``p_holm``   ``p_value`` Holm-adjusted over the non-baseline arms (:func:`holm_adjust`)

    The baseline row has ``diff``/``p_value``/``p_holm`` = NaN. ``diff`` can differ from
    ``mean − mean_baseline`` when the arms have NaN on different questions (it is over shared rows only).
    Every arm uses the same ``seed`` (common random numbers: differences between rows are not sampling
    noise of the test). If both an arm and the baseline carry a ``qid`` array, their order is checked.
    """
    if baseline not in per_query:
        raise KeyError(f"baseline arm {baseline!r} not in per_query (arms: {list(per_query)})")
    base = per_query[baseline]
    if metric not in base:
        raise KeyError(f"metric {metric!r} not in baseline {baseline!r} (keys: {sorted(base)})")
    base_vals = _as_1d(base[metric], f"{baseline}.{metric}")
    base_qid = base.get("qid")

    rows = []
    for arm, arrays in per_query.items():
        if metric not in arrays:
            raise KeyError(f"metric {metric!r} not in arm {arm!r} (keys: {sorted(arrays)})")
        vals = _as_1d(arrays[metric], f"{arm}.{metric}")
        if vals.shape != base_vals.shape:
            raise ValueError(
                f"arm {arm!r} has {vals.size} {metric} values but baseline {baseline!r} has {base_vals.size}"
            )
        qid = arrays.get("qid")
        if qid is not None and base_qid is not None and not np.array_equal(np.asarray(qid), base_qid):
            raise ValueError(f"arm {arm!r} and baseline {baseline!r} are not aligned on the same qids")
        ok = vals[~np.isnan(vals)]
        low, high = bootstrap_ci(ok, confidence=confidence, resamples=resamples, seed=seed)
        row = {
            "arm": arm,
            "n": int(ok.size),
            "mean": float(ok.mean()) if ok.size else float("nan"),
            "ci_low": low,
            "ci_high": high,
            "n_paired": int((~(np.isnan(vals) | np.isnan(base_vals))).sum()),
            "diff": float("nan"),
            "p_value": float("nan"),
        }
        if arm != baseline:
            test = paired_permutation_test(vals, base_vals, permutations=permutations, seed=seed)
            row["diff"], row["p_value"] = test.diff, test.p_value
        rows.append(row)
    frame = pd.DataFrame(rows).set_index("arm")
    frame["p_holm"] = holm_adjust(frame["p_value"].to_numpy())
    return frame


def lareqa_setting_vectors(pq: Mapping[str, ArrayLike]) -> dict[str, np.ndarray]:
    """Per-query ``mo``, ``cr``, ``mul``, ``rank_distance`` vectors (Q,) from LAReQA ``per_query`` arrays.

    Layout (see :mod:`hybridlib.evaluate`): ``ap_pool[i, j]`` is question i's AP against the pool of
    ``candidate_languages[j]`` (NaN: skipped), and question i's language is ``lang[i]``.

    * ``mo[i]``  = ``ap_pool[i, j]`` with ``candidate_languages[j] == lang[i]`` (NaN if that language
      has no candidates or i has no gold there).
    * ``cr[i]``  = mean of ``ap_pool[i, j]`` over the other languages' columns, NaN-skipping (NaN if i
      has no gold in any other language): each question weighs once however many languages it has.
    * ``mul``    = ``ap_mul``; ``rank_distance`` = ``rank_distance``.

    ``qid`` is passed through when present, so :func:`compare_arms` can check alignment.

    Note: the means of these vectors are *micro* averages over questions, whereas the result JSON's
    ``mAP`` are *macro* (Mo. over languages, Cr. over ordered language pairs, Mul. over query languages).
    They coincide for balanced parallel sets (XQuAD-R: every question in every language) but not in
    general (MLQA-R). The permutation test on these vectors tests the question-level mean; report the
    JSON values as the headline numbers and these for significance.
    """
    ap_pool = np.asarray(pq["ap_pool"], dtype=np.float64)
    lang = np.asarray(pq["lang"]).astype(str)
    c_langs = np.asarray(pq["candidate_languages"]).astype(str)
    if np.unique(c_langs).size != c_langs.size:
        raise ValueError(f"candidate_languages has duplicates: {c_langs.tolist()}")
    if ap_pool.ndim != 2 or ap_pool.shape != (lang.size, c_langs.size):
        raise ValueError(
            f"ap_pool shape {ap_pool.shape} does not match (len(lang), len(candidate_languages)) = "
            f"({lang.size}, {c_langs.size})"
        )
    own = lang[:, None] == c_langs[None, :]  # (Q, L): the Mo. column of each question (at most one)
    has_own = own.any(axis=1)
    mo = np.full(lang.size, np.nan)
    mo[has_own] = ap_pool[has_own, own.argmax(axis=1)[has_own]]

    cross = np.where(own, np.nan, ap_pool)
    valid = ~np.isnan(cross)
    n_cross = valid.sum(axis=1)
    cr = np.full(lang.size, np.nan)
    has = n_cross > 0
    cr[has] = np.where(valid, cross, 0.0).sum(axis=1)[has] / n_cross[has]

    out: dict[str, np.ndarray] = {
        "mo": mo,
        "cr": cr,
        "mul": np.asarray(pq["ap_mul"], dtype=np.float64),
        "rank_distance": np.asarray(pq["rank_distance"], dtype=np.float64),
    }
    if "qid" in pq:
        out["qid"] = np.asarray(pq["qid"])
    return out


def mean_std_over_seeds(results: Sequence[Mapping[str, float | None]]) -> dict[str, tuple[float, float]]:
    """``{metric: (mean, sample std)}`` over seeds, for the "mean ± std over seeds" table.

    Sample std (``ddof=1``): the seeds are a sample of training randomness and the table estimates its
    spread. One seed: std = NaN (no spread estimable; showing 0 would claim a stability never measured).
    ``None`` counts as NaN and NaN propagates — a seed lacking a value should be visible, not silently
    averaged away. All seeds must report the same metrics (order of the first is kept).
    """
    if not results:
        raise ValueError("need at least one seed's results")
    keys = list(results[0])
    for i, res in enumerate(results[1:], start=1):
        if set(res) != set(keys):
            raise ValueError(
                f"seed {i} has metrics {sorted(res)} but seed 0 has {sorted(keys)}; tables need the same set"
            )
    out: dict[str, tuple[float, float]] = {}
    for k in keys:
        vals = np.array([math.nan if r[k] is None else float(r[k]) for r in results], dtype=np.float64)
        std = float(vals.std(ddof=1)) if vals.size > 1 else math.nan
        out[k] = (float(vals.mean()), std)
    return out
