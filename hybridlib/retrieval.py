"""FAISS retrieval over L2-normalised float32 vectors, plus exact blockwise scoring.

Two paths, for two purposes:

* :func:`build_index` / :func:`search` — top-k search (run files, interactive look-ups). ``flat`` is
  exact inner product (``IndexFlatIP``); ``ivf`` and ``hnsw`` are approximate indexes for pools too
  large for a flat scan. Vectors are L2-normalised first, so inner product = cosine similarity.
* :func:`exact_score_blocks` — the *full* score matrix, one block of queries at a time (one matrix
  product per block). Metrics that need every gold's rank (mAP over the whole pool, rank distance) use
  this path: a top-k index, approximate or not, cannot rank golds beyond k.

Approximate-index defaults (override by keyword):

* IVF: ``nlist = clip(round(4·√N), 1, N // 39)`` (FAISS wants ≥ 39 training points per list),
  ``nprobe = min(nlist, 16)``; trained on the indexed vectors themselves.
* HNSW: ``M = 32``, ``ef_construction = 200``, ``ef_search = 128``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import faiss
import numpy as np

INDEX_KINDS = ("flat", "ivf", "hnsw")
IVF_MIN_POINTS_PER_LIST = 39
HNSW_DEFAULTS = {"M": 32, "ef_construction": 200, "ef_search": 128}


def l2_normalize(x: np.ndarray) -> np.ndarray:
    """Row-wise L2-normalised C-contiguous float32 copy (zero rows stay zero)."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.ascontiguousarray(x / np.maximum(norms, np.float32(1e-12)), dtype=np.float32)


def default_nlist(n: int) -> int:
    """IVF list count: about 4·√N, but never fewer than 39 training points per list."""
    return int(max(1, min(round(4 * math.sqrt(max(n, 1))), n // IVF_MIN_POINTS_PER_LIST)))


def build_index(
    embeddings: np.ndarray,
    kind: str = "flat",
    *,
    normalize: bool = True,
    nlist: int | None = None,
    nprobe: int | None = None,
    M: int = HNSW_DEFAULTS["M"],  # FAISS's own name
    ef_construction: int = HNSW_DEFAULTS["ef_construction"],
    ef_search: int = HNSW_DEFAULTS["ef_search"],
    seed: int = 0,
) -> faiss.Index:
    """Inner-product index over (normalised) ``embeddings``; see the module docstring for defaults.

    ``kind``: ``"flat"`` (exact), ``"ivf"`` (``IndexIVFFlat``) or ``"hnsw"`` (``IndexHNSWFlat``).
    Row ``i`` of ``embeddings`` gets id ``i``.
    """
    if kind not in INDEX_KINDS:
        raise ValueError(f"index kind {kind!r} not in {INDEX_KINDS}")
    x = l2_normalize(embeddings) if normalize else np.ascontiguousarray(embeddings, dtype=np.float32)
    n, d = x.shape
    if kind == "flat":
        index: faiss.Index = faiss.IndexFlatIP(d)
    elif kind == "ivf":
        nlist = default_nlist(n) if nlist is None else int(nlist)
        quantizer = faiss.IndexFlatIP(d)
        index = faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_INNER_PRODUCT)
        index.cp.seed = seed
        index.cp.min_points_per_centroid = 1  # small pools: no warning spam, the caller chose IVF
        index.train(x)
        index.nprobe = min(nlist, 16) if nprobe is None else int(nprobe)
    else:
        index = faiss.IndexHNSWFlat(d, int(M), faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = int(ef_construction)
        index.hnsw.efSearch = int(ef_search)
    index.add(x)
    return index


def search(
    index: faiss.Index, queries: np.ndarray, k: int, *, normalize: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` ``(scores float32 (Q, k'), ids int64 (Q, k'))`` with ``k' = min(k, index.ntotal)``.

    Approximate indexes may return fewer than k' hits for a query; missing slots have id -1 and
    score -inf (FAISS's convention for inner product), so callers must skip ids < 0.
    """
    q = l2_normalize(queries) if normalize else np.ascontiguousarray(queries, dtype=np.float32)
    k = int(min(k, index.ntotal))
    if k <= 0 or len(q) == 0:
        return np.zeros((len(q), 0), np.float32), np.zeros((len(q), 0), np.int64)
    scores, ids = index.search(q, k)
    return scores, ids.astype(np.int64, copy=False)


def exact_score_blocks(
    queries: np.ndarray,
    candidates: np.ndarray,
    *,
    block_size: int = 1024,
    normalize: bool = True,
) -> Iterator[tuple[slice, np.ndarray]]:
    """Yield ``(row slice, scores[slice] float32 (B, N))`` — the exact score matrix, block by block.

    Memory is bounded by one ``block_size × N`` block; each block is a single BLAS matrix product.
    """
    q = l2_normalize(queries) if normalize else np.ascontiguousarray(queries, dtype=np.float32)
    c = l2_normalize(candidates) if normalize else np.ascontiguousarray(candidates, dtype=np.float32)
    ct = np.ascontiguousarray(c.T)
    for start in range(0, len(q), max(1, int(block_size))):
        sl = slice(start, min(start + block_size, len(q)))
        yield sl, q[sl] @ ct


def exact_search(
    queries: np.ndarray,
    candidates: np.ndarray,
    k: int,
    *,
    block_size: int = 1024,
    normalize: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k from the blockwise score matrix (same output as :func:`search` on a flat index).

    Ties are broken by candidate index (lower first), so the result is deterministic.
    """
    n = len(candidates)
    k = int(min(k, n))
    out_s = np.zeros((len(queries), k), np.float32)
    out_i = np.zeros((len(queries), k), np.int64)
    if k == 0:
        return out_s, out_i
    for sl, block in exact_score_blocks(queries, candidates, block_size=block_size, normalize=normalize):
        # k-th largest score per row, then everything above it plus the lowest-index ties at it:
        # exactly k per row, chosen deterministically (argpartition alone splits ties arbitrarily)
        kth = -np.partition(-block, k - 1, axis=1)[:, k - 1 : k]
        above = block > kth
        tie = block == kth
        need = k - above.sum(axis=1, keepdims=True)
        chosen = above | (tie & (np.cumsum(tie, axis=1) <= need))
        idx = np.nonzero(chosen)[1].reshape(len(block), k)
        sc = np.take_along_axis(block, idx, axis=1)
        order = np.lexsort((idx, -sc), axis=1)
        out_i[sl] = np.take_along_axis(idx, order, axis=1)
        out_s[sl] = np.take_along_axis(sc, order, axis=1)
    return out_s, out_i
