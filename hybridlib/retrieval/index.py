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

import faiss
import numpy as np

from hybridlib.params import INDEX_KINDS
from hybridlib.retrieval.exact import l2_normalize

IVF_MIN_POINTS_PER_LIST = 39
HNSW_DEFAULTS = {"M": 32, "ef_construction": 200, "ef_search": 128}


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
