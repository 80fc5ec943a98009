"""What the LAReQA and TyDi evaluations share: checked inputs, the gold matrix, gold indices restricted
to a pool, per-query metric arrays and macro averages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from hybridlib.data.schema import RetrievalSet, check_embeddings
from hybridlib.evaluation.metrics import RECALL_KS, RankResult, nanmean

#: TyDi metrics per query, in the order the result files list them.
TYDI_METRICS = ("mAP", "MRR", "R@1", "R@10", "R@100", "nDCG@10")


def prepare(
    rset: RetrievalSet, q_emb: np.ndarray, c_emb: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Checked inputs shared by both evaluations: tables, gold matrix, question/candidate languages."""
    check_embeddings(rset, q_emb, c_emb)
    qs, cs = rset.questions, rset.candidates
    q_lang = np.asarray(qs["lang"].astype(str).tolist(), dtype=str)
    c_lang = np.asarray(cs["lang"].astype(str).tolist(), dtype=str)
    return qs, cs, gold_matrix(rset), q_lang, c_lang


def gold_matrix(rset: RetrievalSet) -> np.ndarray:
    """Gold candidate row indices per question, ``(Q, G)`` int64 padded with -1 (duplicates removed).

    Raises if a gold ``cid`` is not in ``rset.candidates`` (a loader bug would otherwise silently
    lower every metric).
    """
    golds = [tuple(dict.fromkeys(g)) for g in rset.questions["gold"]]
    lengths = np.array([len(g) for g in golds], dtype=np.int64)
    flat = [c for g in golds for c in g]
    idx = pd.Index(rset.candidates["cid"]).get_indexer(flat) if flat else np.zeros(0, np.int64)
    if (idx < 0).any():
        missing = [c for c, i in zip(flat, idx, strict=True) if i < 0][:5]
        raise ValueError(
            f"{int((idx < 0).sum())} gold cids are not candidates of {rset.name!r}, e.g. {missing}"
        )
    out = np.full((len(golds), max(int(lengths.max(initial=0)), 1)), -1, dtype=np.int64)
    rows = np.repeat(np.arange(len(golds)), lengths)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(golds) else np.zeros(0, np.int64)
    out[rows, np.arange(len(flat)) - starts[rows]] = idx
    return out


def restrict_gold(gold: np.ndarray, pool: np.ndarray, n_candidates: int) -> np.ndarray:
    """Map global gold indices to positions in ``pool`` (-1 if outside), valid ones moved left, trimmed."""
    local = np.full(n_candidates + 1, -1, dtype=np.int64)  # last slot: padding (-1) maps to -1
    local[pool] = np.arange(len(pool))
    g = local[np.where(gold >= 0, gold, n_candidates)]
    order = np.argsort(g < 0, axis=1, kind="stable")
    g = np.take_along_axis(g, order, axis=1)
    width = max(int((g >= 0).sum(axis=1).max(initial=0)), 1)
    return g[:, :width]


def metric_arrays(res: RankResult) -> dict[str, np.ndarray]:
    out = {"mAP": res.ap, "MRR": res.reciprocal_rank()}
    for k in RECALL_KS:
        out[f"R@{k}"] = res.recall(k)
    out["nDCG@10"] = res.ndcg(10)
    return out


def macro_metrics(
    per_language: Mapping[str, Mapping[str, Any]], langs: Sequence[str]
) -> dict[str, float] | None:
    if not langs:
        return None
    return {m: nanmean(np.array([per_language[x][m] for x in langs], dtype=float)) for m in TYDI_METRICS}
