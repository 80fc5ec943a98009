"""Exact (brute-force) cosine scoring in blocks: the reference the FAISS indexes are checked against and
what the metrics rank with."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def l2_normalize(x: np.ndarray) -> np.ndarray:
    """Row-wise L2-normalised C-contiguous float32 copy (zero rows stay zero)."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.ascontiguousarray(x / np.maximum(norms, np.float32(1e-12)), dtype=np.float32)


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
