"""Significance tests and intervals over per-query metric vectors (paired arms, several seeds).

Two arms evaluated on the same questions give per-query arrays aligned row by row (the ``per_query``
arrays of :mod:`hybridlib.evaluation.lareqa`, read back with
:func:`hybridlib.evaluation.results.load_per_query`).

**The sampling unit is the cluster, not the row.** A row is one (question, language); the translations
of one question (XQuAD-R: 11 rows per source question; MLQA-R: 2–7) share the pool, the golds and the
content, so their paired differences are strongly correlated. Treating them as independent makes the
test far too liberal (with a shared per-question effect and no true difference, a row-level sign-flip
test rejects ~40 % at α = 0.05 on XQuAD-R-shaped data). Every function here therefore takes a
``clusters`` array (the per-query ``cluster`` field: the shared question id for LAReQA sets, the row's
own id for TyDi QA) and permutes / resamples *clusters*:

* :func:`paired_permutation_test` — two-sided paired randomization (sign-flip) test of the mean
  difference; the sign of each *cluster's summed* difference is flipped. It assumes only that, under H0
  (the arms are exchangeable on every question), each cluster's difference is as likely to be +D as −D;
  no normality, which per-query AP (bounded, skewed, many ties at 0 and 1) does not have. Recommended for
  IR by Smucker, Allan & Carterette (CIKM 2007); clustered as in cluster-randomised designs.
* :func:`bootstrap_ci` — percentile cluster-bootstrap interval of a mean (clusters resampled).
* :func:`paired_bootstrap_ci` — the same interval of the paired mean *difference* a − b.
* :func:`compare_arms` — both, for several arms against a baseline, as a table (Holm-adjusted).
* :func:`seed_cluster_bootstrap` — over several training seeds: a two-level bootstrap (seeds, then
  question clusters) of the mean difference, carrying both training and question sampling.
* :func:`lareqa_setting_vectors` — per-query Mo./Cr./Mul./rank-distance vectors from a LAReQA result.
* :func:`mean_std_over_seeds` — mean ± sample std of scalar results over training seeds.

Without ``clusters`` every row is its own cluster (the classic row-level tests) — correct only for
independent rows. The statistic is always the mean over *rows* (so it matches the tables); only the
randomization respects the clusters. NaN marks "no value for this question" everywhere (no gold in the
pool, skipped Cr. setting): NaN values are dropped, and in paired tests a row is dropped when *either*
arm is NaN so that both means are over the same questions.

Everything is vectorised with numpy; random sign / index matrices are drawn in chunks of at most
``_CHUNK_ELEMENTS`` entries so memory stays bounded (≈ 32 MB) whatever ``n`` × ``permutations`` is. Results
are deterministic for a given ``seed`` (the chunking depends only on the number of clusters).
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
    "paired_bootstrap_ci",
    "paired_permutation_test",
    "seed_cluster_bootstrap",
]


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


def _cluster_codes(clusters: ArrayLike, n: int) -> np.ndarray:
    """Integer codes ``0..C-1`` (first-appearance order does not matter) of a per-row cluster array."""
    arr = np.asarray(clusters)
    if arr.ndim != 1 or arr.size != n:
        raise ValueError(f"clusters must be 1-D with one id per row ({n}), got shape {arr.shape}")
    return np.unique(arr, return_inverse=True)[1].reshape(-1)


def cluster_sums(values: ArrayLike, clusters: ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(sums, counts)`` per cluster of the non-NaN ``values`` (clusters without a value are dropped).

    Without ``clusters`` every row is its own cluster. These two vectors are all the clustered tests
    need: a resample's row mean is ``sum(sums[idx]) / sum(counts[idx])``.
    """
    x = _as_1d(values, "values")
    codes = np.arange(x.size) if clusters is None else _cluster_codes(clusters, x.size)
    ok = ~np.isnan(x)
    x, codes = x[ok], codes[ok]
    if x.size == 0:
        return np.zeros(0), np.zeros(0)
    sums = np.bincount(codes, weights=x)
    counts = np.bincount(codes).astype(np.float64)
    keep = counts > 0
    return sums[keep], counts[keep]


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
    """
    a_arr, b_arr = _as_1d(a, "a"), _as_1d(b, "b")
    if a_arr.shape != b_arr.shape:
        raise ValueError(f"a and b must be aligned per query, got {a_arr.shape} and {b_arr.shape}")
    if permutations < 1:
        raise ValueError(f"permutations must be ≥ 1, got {permutations}")
    codes = None if clusters is None else _cluster_codes(clusters, a_arr.size)
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

    # sum(s * d) with s = 1 − 2·bits  ==  total − 2 · (bits @ d): one float matrix-vector product per chunk
    count = 0
    if use_exact:
        n_perm = 2**n_units
        shifts = np.arange(n_units, dtype=np.int64)
        for start, stop in _chunks(n_perm, n_units):
            codes = np.arange(start, stop, dtype=np.int64)
            bits = ((codes[:, None] >> shifts) & 1).astype(np.float64)
            count += int((np.abs(total - 2.0 * (bits @ d)) >= threshold).sum())
        p_value = count / n_perm
    else:
        n_perm = int(permutations)
        rng = np.random.default_rng(seed)
        for start, stop in _chunks(n_perm, n_units):
            # 8 fair sign bits per random byte: ~4x faster than drawing each bit with integers(0, 2)
            packed = rng.integers(0, 256, size=(stop - start, (n_units + 7) // 8), dtype=np.uint8)
            bits = np.unpackbits(packed, axis=1, count=n_units).astype(np.float64)
            count += int((np.abs(total - 2.0 * (bits @ d)) >= threshold).sum())
        p_value = (count + 1) / (n_perm + 1)
    return PermutationResult(
        mean_a, mean_b, mean_a - mean_b, float(p_value), n, n_perm, bool(use_exact), n_units
    )


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
    for start, stop in _chunks(resamples, c):
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
    a_arr, b_arr = _as_1d(a, "a"), _as_1d(b, "b")
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
    differences (seed order), ``n_clusters`` the clusters of the union of the seeds' rows."""

    diff: float
    ci_low: float
    ci_high: float
    per_seed: np.ndarray
    n_clusters: int


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
    prepared = []
    for k, (d, clusters) in enumerate(diffs):
        arr = _as_1d(d, f"diffs[{k}]")
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
    with np.errstate(invalid="ignore", divide="ignore"):
        per_seed = sums.sum(axis=1) / counts.sum(axis=1)
    nan = float("nan")
    if n_cl == 0 or np.isnan(per_seed).any():
        return SeedBootstrap(nan, nan, nan, per_seed, int(n_cl))

    rng = np.random.default_rng(seed)
    stats = np.empty(resamples, dtype=np.float64)
    for start, stop in _chunks(resamples, n_cl * n_seeds):
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
    low, high = _percentiles(stats[~np.isnan(stats)], confidence)
    return SeedBootstrap(float(per_seed.mean()), low, high, per_seed, int(n_cl))


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


MISSING_CLUSTERS = (
    "has no 'cluster' array: its per-query file predates cluster ids (the translations of one question "
    "must be tested as one unit). Re-run the evaluation (notebook 04_evaluate / `make run`) to rewrite "
    "the per-query files"
)


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
    base_vals = _as_1d(base[metric], f"{baseline}.{metric}")
    base_qid = base.get("qid")
    if "cluster" not in base:
        raise ValueError(f"baseline {baseline!r} {MISSING_CLUSTERS}")
    clusters = np.asarray(base["cluster"])

    rows = []
    for arm, arrays in per_query.items():
        if metric not in arrays:
            raise KeyError(f"metric {metric!r} not in arm {arm!r} (keys: {sorted(arrays)})")
        if "cluster" not in arrays:
            raise ValueError(f"arm {arm!r} {MISSING_CLUSTERS}")
        vals = _as_1d(arrays[metric], f"{arm}.{metric}")
        if vals.shape != base_vals.shape:
            raise ValueError(
                f"arm {arm!r} has {vals.size} {metric} values but baseline {baseline!r} has {base_vals.size}"
            )
        qid = arrays.get("qid")
        if qid is not None and base_qid is not None and not np.array_equal(np.asarray(qid), base_qid):
            raise ValueError(f"arm {arm!r} and baseline {baseline!r} are not aligned on the same qids")
        if not np.array_equal(np.asarray(arrays["cluster"]), clusters):
            raise ValueError(f"arm {arm!r} and baseline {baseline!r} have different cluster ids")
        valid = ~np.isnan(vals)
        paired = valid & ~np.isnan(base_vals)
        own = paired if arm != baseline else valid
        row = {
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


def lareqa_setting_vectors(pq: Mapping[str, ArrayLike]) -> dict[str, np.ndarray]:
    """Per-query ``mo``, ``cr``, ``mul``, ``rank_distance`` vectors (Q,) from LAReQA ``per_query`` arrays.

    Layout (see :mod:`hybridlib.evaluation.lareqa`): ``ap_pool[i, j]`` is question i's AP against the pool of
    ``candidate_languages[j]`` (NaN: skipped), and question i's language is ``lang[i]``.

    * ``mo[i]``  = ``ap_pool[i, j]`` with ``candidate_languages[j] == lang[i]`` (NaN if that language
      has no candidates or i has no gold there).
    * ``cr[i]``  = mean of ``ap_pool[i, j]`` over the other languages' columns, NaN-skipping (NaN if i
      has no gold in any other language): each question weighs once however many languages it has.
    * ``mul``    = ``ap_mul``; ``rank_distance`` = ``rank_distance``.

    ``qid`` and ``cluster`` are passed through when present (:func:`compare_arms` needs ``cluster`` and
    checks ``qid`` alignment).

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
    for key in ("qid", "cluster"):
        if key in pq:
            out[key] = np.asarray(pq[key])
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
