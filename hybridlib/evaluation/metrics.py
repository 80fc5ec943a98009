"""Ranking metrics computed exactly over the whole pool, vectorised.

Why exact and not top-k: LAReQA's mAP (``sklearn.metrics.average_precision_score`` per question over
the whole pool) and the rank distance need the rank of *every* gold, including golds far down the
list, which an approximate or truncated (top-100) search cannot give. Scores are therefore computed
exactly (query blocks × all candidates, one matrix product per block, see
:func:`hybridlib.retrieval.exact.exact_score_blocks`) and each metric is derived from two quantities per
gold, computed vectorised per block with no Python loop over candidates:

* ``n_ge``  — number of pool items whose score is ≥ the gold's score (the gold itself included);
* the gold scores themselves, compared among the (few) golds of the question.

Conventions (documented here because results depend on them):

* **Average precision** follows sklearn exactly, ties included: sklearn groups tied scores into one
  threshold, so ``AP = (1/G) Σ_{gold g} #golds with score ≥ s_g / #items with score ≥ s_g``.
* **Ranks** (for reciprocal rank, Recall@k, nDCG@k and the rank distance) are *pessimistic*: within a
  group of tied scores every non-relevant item is placed before the relevant ones, so a gold's rank is
  ``#non-relevant items with score ≥ s_g + #golds ranked at or before g``, where golds tied with each
  other take consecutive ranks (the *set* of gold ranks, hence every metric here, does not depend on
  how tied golds are ordered among themselves). With a single gold this is ``#items with score ≥ s_g``,
  i.e. ``count of strictly greater + number tied + 1``. Why pessimistic: a collapsed encoder that gives
  every candidate the same score must not be rewarded with rank 1; and with one gold it makes
  ``reciprocal rank == sklearn AP`` exactly (TyDi: mAP = MRR), ties included.
* **Rows with no relevant item** get ``NaN`` for every metric; means over queries use ``np.nanmean``
  (see :func:`nanmean`) so such rows are excluded rather than counted as 0. (sklearn itself warns and
  returns a meaningless value there.) In LAReQA evaluation such rows only arise in the cross-lingual
  setting when a question has no gold in the candidate language, and those questions are skipped.

Gold ranks are exchanged as a padded ``(Q, G)`` int64 array, 1-based, ``0`` = padding (no gold).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hybridlib.retrieval.exact import exact_score_blocks

#: Cut-offs reported for recall.
RECALL_KS = (1, 10, 100)
#: Default number of queries scored per matrix product (bounds memory at block × N float32).
DEFAULT_BLOCK_SIZE = 1024


# --------------------------------------------------------------------------- dense (Q, N) inputs


def _check_dense(scores: np.ndarray, relevant: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores)
    relevant = np.asarray(relevant, dtype=bool)
    if scores.ndim == 1:
        scores, relevant = scores[None, :], relevant[None, :]
    if scores.shape != relevant.shape or scores.ndim != 2:
        raise ValueError(f"scores {scores.shape} and relevant {relevant.shape} must be the same (Q, N) shape")
    return scores, relevant


def average_precision(scores: np.ndarray, relevant: np.ndarray) -> np.ndarray:
    """Per-row average precision, equal to ``sklearn.metrics.average_precision_score`` row by row.

    ``scores`` (Q, N) float and ``relevant`` (Q, N) bool. Tied scores are one threshold, as in
    sklearn. Rows without a relevant item give NaN. Cost: one sort per row (O(N log N)).
    """
    scores, relevant = _check_dense(scores, relevant)
    q, n = scores.shape
    if n == 0:
        return np.full(q, np.nan)
    order = np.argsort(-scores, axis=1, kind="stable")
    s = np.take_along_axis(scores, order, axis=1)
    r = np.take_along_axis(relevant, order, axis=1)
    # index of the last item of each tie group, for every position (reverse running minimum)
    is_end = np.ones((q, n), dtype=bool)
    is_end[:, :-1] = s[:, :-1] != s[:, 1:]
    end = np.where(is_end, np.arange(n)[None, :], n)
    end = np.minimum.accumulate(end[:, ::-1], axis=1)[:, ::-1]
    cum_tp = np.cumsum(r, axis=1)
    tp_ge = np.take_along_axis(cum_tp, end, axis=1)
    precision_at_group = tp_ge / (end + 1.0)
    n_rel = r.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ap = np.where(r, precision_at_group, 0.0).sum(axis=1) / n_rel
    return np.where(n_rel > 0, ap, np.nan)


def gold_ranks(scores: np.ndarray, relevant: np.ndarray) -> np.ndarray:
    """Pessimistic 1-based ranks of the relevant items: padded ``(Q, G)`` int64, 0 = padding.

    Sort key: score descending, then non-relevant before relevant (the pessimistic tie-break).
    """
    scores, relevant = _check_dense(scores, relevant)
    q, _n = scores.shape
    order = np.lexsort((relevant, -scores), axis=1)
    r_sorted = np.take_along_axis(relevant, order, axis=1)
    g_max = int(relevant.sum(axis=1).max(initial=0))
    ranks = np.zeros((q, max(g_max, 1)), dtype=np.int64)
    rows, pos = np.nonzero(r_sorted)  # row-major: positions ascending within each row
    if rows.size:
        first = np.searchsorted(rows, np.arange(q))
        slot = np.arange(rows.size) - first[rows]
        ranks[rows, slot] = pos + 1
    return ranks


def reciprocal_rank(scores: np.ndarray, relevant: np.ndarray) -> np.ndarray:
    """1 / pessimistic rank of the first relevant item, per row (NaN if none relevant)."""
    return reciprocal_rank_from_ranks(gold_ranks(scores, relevant))


def recall_at_k(scores: np.ndarray, relevant: np.ndarray, k: int) -> np.ndarray:
    """Fraction of a row's relevant items with pessimistic rank ≤ k (NaN if none relevant)."""
    return recall_from_ranks(gold_ranks(scores, relevant), k)


def ndcg_at_k(scores: np.ndarray, relevant: np.ndarray, k: int = 10) -> np.ndarray:
    """nDCG@k with binary relevance and pessimistic ranks (NaN if none relevant)."""
    return ndcg_from_ranks(gold_ranks(scores, relevant), k)


# --------------------------------------------------------------------------- metrics from gold ranks


def _valid(ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ranks = np.asarray(ranks, dtype=np.int64)
    if ranks.ndim == 1:
        ranks = ranks[:, None]
    valid = ranks > 0
    return ranks, valid


def reciprocal_rank_from_ranks(ranks: np.ndarray) -> np.ndarray:
    """Reciprocal rank of the best gold from padded gold ranks (0 = padding); NaN for no gold."""
    ranks, valid = _valid(ranks)
    best = np.where(valid, ranks, np.iinfo(np.int64).max).min(axis=1, initial=np.iinfo(np.int64).max)
    has = valid.any(axis=1)
    return np.where(has, 1.0 / np.where(has, best, 1), np.nan)


def recall_from_ranks(ranks: np.ndarray, k: int) -> np.ndarray:
    """Recall@k = #golds with rank ≤ k / #golds; NaN for rows without gold."""
    ranks, valid = _valid(ranks)
    n = valid.sum(axis=1)
    hit = (valid & (ranks <= k)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, hit / n, np.nan)


def ndcg_from_ranks(ranks: np.ndarray, k: int = 10) -> np.ndarray:
    """Binary-relevance nDCG@k: Σ_{gold rank ≤ k} 1/log2(rank+1) over the ideal Σ_{i ≤ min(G,k)}."""
    ranks, valid = _valid(ranks)
    n = valid.sum(axis=1)
    hit = valid & (ranks <= k)
    gains = np.where(hit, 1.0 / np.log2(np.where(hit, ranks, 1) + 1.0), 0.0).sum(axis=1)
    ideal_cum = np.concatenate([[0.0], np.cumsum(1.0 / np.log2(np.arange(2, k + 2)))])
    ideal = ideal_cum[np.minimum(n, k)]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, gains / ideal, np.nan)


def nanmean(x: np.ndarray) -> float:
    """Mean ignoring NaN (rows without gold); NaN when nothing is left, without a RuntimeWarning."""
    x = np.asarray(x, dtype=float)
    ok = ~np.isnan(x)
    return float(x[ok].mean()) if ok.any() else float("nan")


# --------------------------------------------------------------------------- streaming from embeddings


@dataclass(frozen=True)
class RankResult:
    """Exact per-query quantities over one pool.

    ``ap``    (Q,) float64, sklearn-equal average precision (NaN: no gold)
    ``ranks`` (Q, G) int64, pessimistic 1-based gold ranks aligned with ``gold`` (0 = padding)
    ``gold``  (Q, G) int64, gold candidate indices into the pool (-1 = padding)
    ``n_candidates`` pool size
    """

    ap: np.ndarray
    ranks: np.ndarray
    gold: np.ndarray
    n_candidates: int

    def reciprocal_rank(self) -> np.ndarray:
        return reciprocal_rank_from_ranks(self.ranks)

    def recall(self, k: int) -> np.ndarray:
        return recall_from_ranks(self.ranks, k)

    def ndcg(self, k: int = 10) -> np.ndarray:
        return ndcg_from_ranks(self.ranks, k)


def pad_gold(gold: Sequence[Sequence[int]] | np.ndarray) -> np.ndarray:
    """Variable-length gold index lists -> ``(Q, G)`` int64 padded with -1 (G ≥ 1)."""
    if isinstance(gold, np.ndarray) and gold.ndim == 2:
        return gold.astype(np.int64, copy=False)
    lists = [np.asarray(g, dtype=np.int64).ravel() for g in gold]
    g_max = max((len(g) for g in lists), default=0)
    out = np.full((len(lists), max(g_max, 1)), -1, dtype=np.int64)
    for i, g in enumerate(lists):  # loop over queries' gold lists (≤ a few items each), not candidates
        out[i, : len(g)] = g
    return out


def _block_stats(block: np.ndarray, gold: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AP and pessimistic gold ranks for one block of exact scores ``(B, N)`` and gold ``(B, G)``."""
    valid = gold >= 0
    rows = np.arange(block.shape[0])[:, None]
    gs = block[rows, np.where(valid, gold, 0)]  # same dtype as the block: comparisons are exact
    gs = np.where(valid, gs, np.array(np.inf, dtype=block.dtype))  # padding never counts as ≥
    n_ge = np.zeros(gold.shape, dtype=np.int64)
    for j in range(gold.shape[1]):  # loop over gold slots (≤ #languages), vectorised over B × N
        if valid[:, j].any():
            n_ge[:, j] = np.count_nonzero(block >= gs[:, j, None], axis=1)
    # gold-vs-gold comparisons (G × G per query)
    ge = (gs[:, None, :] >= gs[:, :, None]) & valid[:, None, :]  # [b, g, h]: s_h ≥ s_g
    gold_ge = ge.sum(axis=2)
    n_gold = valid.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ap = np.where(valid, gold_ge / np.maximum(n_ge, 1), 0.0).sum(axis=1) / n_gold
    ap = np.where(n_gold > 0, ap, np.nan)
    # pessimistic rank: non-relevant ≥ s_g, plus golds strictly above, plus tied golds up to g's slot
    slot = np.arange(gold.shape[1])
    gt = (gs[:, None, :] > gs[:, :, None]) & valid[:, None, :]
    tie_before = (gs[:, None, :] == gs[:, :, None]) & (slot[None, :] <= slot[:, None])[None]
    tie_before &= valid[:, None, :]
    ranks = (n_ge - gold_ge) + (gt | tie_before).sum(axis=2)
    return ap, np.where(valid, ranks, 0)


def rank_golds(
    queries: np.ndarray,
    candidates: np.ndarray,
    gold: Sequence[Sequence[int]] | np.ndarray,
    *,
    block_size: int = DEFAULT_BLOCK_SIZE,
    normalize: bool = True,
) -> RankResult:
    """Exact AP and gold ranks of every query over the whole candidate pool, streamed by query block.

    ``gold[i]`` lists the candidate row indices relevant to query ``i``. Memory is bounded by one
    ``block_size × N`` float32 score block (plus a bool block of the same shape), so a 13,090 × 13,014
    pool runs in seconds. ``normalize`` L2-normalises both sides first (cosine similarity).
    """
    gold_pad = pad_gold(gold)
    n_q = len(queries)
    if gold_pad.shape[0] != n_q:
        raise ValueError(f"{n_q} queries but {gold_pad.shape[0]} gold lists")
    n_c = len(candidates)
    if (gold_pad >= n_c).any():
        raise ValueError("gold index out of range of the candidate pool")
    srt = np.sort(np.where(gold_pad >= 0, gold_pad, -np.arange(1, gold_pad.shape[1] + 1)), axis=1)
    if (srt[:, 1:] == srt[:, :-1]).any():
        raise ValueError("a query lists the same gold twice; deduplicate gold lists first")
    ap = np.full(n_q, np.nan)
    ranks = np.zeros(gold_pad.shape, dtype=np.int64)
    if n_c == 0 or n_q == 0:
        return RankResult(ap, ranks, gold_pad, n_c)
    for sl, block in exact_score_blocks(queries, candidates, block_size=block_size, normalize=normalize):
        ap[sl], ranks[sl] = _block_stats(block, gold_pad[sl])
    return RankResult(ap, ranks, gold_pad, n_c)


def average_precision_from_embeddings(
    queries: np.ndarray,
    candidates: np.ndarray,
    gold: Sequence[Sequence[int]] | np.ndarray,
    *,
    block_size: int = DEFAULT_BLOCK_SIZE,
    normalize: bool = True,
) -> np.ndarray:
    """Memory-frugal :func:`average_precision` straight from embeddings (see :func:`rank_golds`)."""
    return rank_golds(queries, candidates, gold, block_size=block_size, normalize=normalize).ap
