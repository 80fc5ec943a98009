"""Per-query metric vectors and their clusters: what the significance tests (:mod:`hybridlib.analysis.
significance`) and bootstrap intervals (:mod:`hybridlib.analysis.bootstrap`) take, and the pieces they
share.

Two arms evaluated on the same questions give per-query arrays aligned row by row (the ``per_query``
arrays of :mod:`hybridlib.evaluation.lareqa`, read back with
:func:`hybridlib.evaluation.results.load_per_query`; :func:`lareqa_setting_vectors` turns a LAReQA
result into one vector per setting).

**The sampling unit is the cluster, not the row.** A row is one (question, language); the translations
of one question (XQuAD-R: 11 rows per source question; MLQA-R: 2–7) share the pool, the golds and the
content, so their paired differences are strongly correlated. Treating them as independent makes the
test far too liberal (with a shared per-question effect and no true difference, a row-level sign-flip
test rejects many times more often than α on XQuAD-R-shaped data: the simulation in
``tests/analysis/test_stats.py``). Every test and interval therefore takes a
``clusters`` array (the per-query ``cluster`` field: the shared question id for LAReQA sets, the row's
own id for TyDi QA) and permutes / resamples *clusters* (:func:`cluster_sums`).

Without ``clusters`` every row is its own cluster (the classic row-level tests) — correct only for
independent rows. The statistic is always the mean over *rows* (so it matches the tables); only the
randomization respects the clusters. NaN marks "no value for this question" everywhere (no gold in the
pool, skipped Cr. setting): NaN values are dropped, and in paired tests a row is dropped when *either*
arm is NaN so that both means are over the same questions.

Everything is vectorised with numpy; random sign / index matrices are drawn in chunks of at most
``_CHUNK_ELEMENTS`` entries (:func:`chunk_ranges`) so memory stays bounded (≈ 32 MB) whatever ``n`` ×
``permutations`` is. Results are deterministic for a given ``seed`` (the chunking depends only on the
number of clusters).

Also here: :func:`mean_std_over_seeds` — mean ± sample std of scalar results over training seeds.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

_CHUNK_ELEMENTS = 1 << 22  # entries of one sign / index matrix chunk (float64: 32 MiB)

MISSING_CLUSTERS = (
    "has no 'cluster' array: its per-query file predates cluster ids (the translations of one question "
    "must be tested as one unit). Re-run the evaluation (notebook 04_evaluate / `make run`) to rewrite "
    "the per-query files"
)


def as_vector(x: ArrayLike, name: str) -> np.ndarray:
    """``x`` as a 1-D float64 array (one value per query); ValueError naming ``name`` otherwise."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one value per query), got shape {arr.shape}")
    return arr


def chunk_ranges(total: int, row_len: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` ranges covering ``total`` rows of ``row_len`` entries, ≤ _CHUNK_ELEMENTS each."""
    step = max(1, _CHUNK_ELEMENTS // max(row_len, 1))
    for start in range(0, total, step):
        yield start, min(start + step, total)


def cluster_codes(clusters: ArrayLike, n: int) -> np.ndarray:
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
    x = as_vector(values, "values")
    codes = np.arange(x.size) if clusters is None else cluster_codes(clusters, x.size)
    ok = ~np.isnan(x)
    x, codes = x[ok], codes[ok]
    if x.size == 0:
        return np.zeros(0), np.zeros(0)
    sums = np.bincount(codes, weights=x)
    counts = np.bincount(codes).astype(np.float64)
    keep = counts > 0
    return sums[keep], counts[keep]


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
