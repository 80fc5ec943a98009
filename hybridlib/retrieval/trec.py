"""TREC files: a run (top 100 per query from a FAISS index) and the qrels of a retrieval set."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hybridlib.data.schema import RetrievalSet, check_embeddings
from hybridlib.io import write_text
from hybridlib.retrieval.index import build_index, search

TREC_DEPTH = 100


def write_trec_run(
    path: str | os.PathLike,
    qids: Sequence[str],
    cids: Sequence[str],
    scores: np.ndarray,
    ids: np.ndarray,
    run_name: str,
    *,
    depth: int = TREC_DEPTH,
) -> Path:
    """TREC run file ``qid Q0 cid rank score run_name``, top ``depth`` (100) per query, atomically.

    ``scores``/``ids`` are the ``(Q, k)`` output of :func:`hybridlib.retrieval.index.search` (ids index
    ``cids``; ids < 0 are skipped). Ranks are 1-based in the given order.
    """
    cids_arr = np.asarray(cids, dtype=object)
    scores = np.asarray(scores)[:, :depth]
    ids = np.asarray(ids)[:, :depth]
    if len(qids) != len(ids):
        raise ValueError(f"{len(qids)} qids but {len(ids)} result rows")
    lines = []
    for qid, srow, irow in zip(qids, scores, ids, strict=True):  # loop over queries × top-100 only
        ok = irow >= 0
        for rank, (cid, s) in enumerate(zip(cids_arr[irow[ok]], srow[ok], strict=True), start=1):
            lines.append(f"{qid} Q0 {cid} {rank} {float(s):.6f} {run_name}")
    return write_text(path, "\n".join(lines) + ("\n" if lines else ""))


def write_trec_qrels(path: str | os.PathLike, rset: RetrievalSet) -> Path:
    """TREC qrels ``qid 0 cid 1`` for every (question, gold) pair of ``rset``, atomically."""
    lines = [
        f"{qid} 0 {cid} 1"
        for qid, gold in zip(rset.questions["qid"], rset.questions["gold"], strict=True)
        for cid in dict.fromkeys(gold)
    ]
    return write_text(path, "\n".join(lines) + ("\n" if lines else ""))


def write_trec_run_for(
    path: str | os.PathLike,
    rset: RetrievalSet,
    q_emb: np.ndarray,
    c_emb: np.ndarray,
    run_name: str,
    *,
    index_kind: str = "flat",
    depth: int = TREC_DEPTH,
    **index_params: Any,
) -> Path:
    """Search every question against the whole pool with a FAISS index and write the TREC run."""
    check_embeddings(rset, q_emb, c_emb)
    index = build_index(c_emb, index_kind, **index_params)
    scores, ids = search(index, q_emb, depth)
    return write_trec_run(
        path,
        rset.questions["qid"].astype(str).tolist(),
        rset.candidates["cid"].astype(str).tolist(),
        scores,
        ids,
        run_name,
        depth=depth,
    )
