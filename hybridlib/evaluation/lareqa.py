"""LAReQA-style evaluation (XQuAD-R, MLQA-R): mAP per setting and language pair, rank distance.

Both evaluations score exactly over whole pools (:func:`hybridlib.evaluation.metrics.rank_golds`: query
blocks × all candidates), with cosine similarity (both sides L2-normalised), sklearn-equal AP and
pessimistic ranks (conventions in :mod:`hybridlib.evaluation.metrics`). Each evaluation returns a
JSON-ready ``dict`` plus, under the key ``"per_query"``, a ``dict[str, np.ndarray]`` of per-query
arrays (kept for paired significance tests). :func:`hybridlib.evaluation.results.write_results` writes
the JSON (without ``per_query``) atomically and the arrays beside it as ``<stem>.per_query.npz``
(:func:`hybridlib.evaluation.results.load_per_query` reads them back).

LAReQA settings for query language X_Q and candidate language X_C (arXiv 2408.10536):

* **Mo.**  X_Q = X_C; pool = X_C's candidates; relevant = q's golds in X_C.
* **Cr.**  X_Q ≠ X_C; same single-language pool; questions without a gold in X_C are skipped (MLQA-R:
  a question exists in only 2–4 languages).
* **Mul.** questions of X_Q against all languages' candidates together; every gold relevant.

The result schema is documented in :mod:`hybridlib.evaluation.results`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from hybridlib.data.schema import RetrievalSet
from hybridlib.evaluation.bias import macro_mean, rank_distance, rank_distance_by_language
from hybridlib.evaluation.common import prepare, restrict_gold
from hybridlib.evaluation.metrics import DEFAULT_BLOCK_SIZE, RankResult, nanmean, rank_golds
from hybridlib.evaluation.results import json_ready, result_header

# --------------------------------------------------------------------------- LAReQA (XQuAD-R, MLQA-R)


def evaluate_lareqa(
    rset: RetrievalSet,
    q_emb: np.ndarray,
    c_emb: np.ndarray,
    *,
    model_name: str,
    params: Any = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
) -> dict[str, Any]:
    """Mo./Cr./Mul. mAP, the X_Q × X_C mAP matrix and rank distance (schema in the module docstring).

    ``q_emb`` rows align with ``rset.questions``, ``c_emb`` rows with ``rset.candidates``. One exact
    pass per candidate language (all questions at once) gives every Mo./Cr. cell; one pass over the
    whole pool gives Mul. and the gold ranks for the rank distance.
    """
    qs, cs, gold, q_lang, c_lang = prepare(rset, q_emb, c_emb)
    q_langs = sorted(set(q_lang.tolist()))
    c_langs = sorted(set(c_lang.tolist()))
    n_q, n_c = len(qs), len(cs)

    ap_pool = _ap_per_candidate_language(q_emb, c_emb, gold, c_lang, c_langs, block_size)
    map_matrix, n_matrix = _cell_means(ap_pool, q_lang, q_langs, c_langs)
    mo, cr = _mo_cr(map_matrix, q_langs, c_langs)

    # Mul.: everything together; rank distance from the same ranks
    mul_res: RankResult = rank_golds(q_emb, c_emb, gold, block_size=block_size)
    rd = _rank_distance(mul_res, gold, c_lang, c_langs)
    mul = {x: nanmean(mul_res.ap[q_lang == x]) for x in q_langs}
    mul = {x: v for x, v in mul.items() if not math.isnan(v)}

    result = result_header("lareqa", rset, model_name, params, block_size)
    result.update(
        {
            "languages": {"query": q_langs, "candidate": c_langs},
            "counts": {
                "questions": n_q,
                "candidates": n_c,
                "settings": {"mo": len(mo), "cr": len(cr), "mul": len(mul)},
                "skipped_cross": _skipped_cross(ap_pool, q_lang, c_langs),
            },
            "mAP": {
                "mo": nanmean(np.array(list(mo.values()), dtype=float)),
                "cr": nanmean(np.array(cr, dtype=float)),
                "mul": nanmean(np.array(list(mul.values()), dtype=float)),
            },
            "map_matrix": map_matrix,
            "n_matrix": n_matrix,
            "mo": mo,
            "mul": mul,
            "rank_distance": _rank_distance_summary(rd, q_lang, q_langs),
        }
    )
    result = json_ready(result)
    result["per_query"] = {
        "qid": np.asarray(qs["qid"].astype(str).tolist(), dtype=str),
        "cluster": np.asarray(qs["xid"].astype(str).tolist(), dtype=str),  # translations share it
        "lang": q_lang,
        "candidate_languages": np.array(c_langs),
        "ap_pool": ap_pool,
        **_mul_per_query(mul_res, rd),
    }
    return result


def _mul_per_query(mul_res: RankResult, rd: np.ndarray) -> dict[str, np.ndarray]:
    """The per-query arrays of the Mul. pool: AP, rank distance, gold ranks and their gold rows."""
    return {"ap_mul": mul_res.ap, "rank_distance": rd, "mul_ranks": mul_res.ranks, "mul_gold": mul_res.gold}


def _ap_per_candidate_language(
    q_emb: np.ndarray,
    c_emb: np.ndarray,
    gold: np.ndarray,
    c_lang: np.ndarray,
    c_langs: list[str],
    block_size: int,
) -> np.ndarray:
    """AP of every question in each candidate language's pool (Mo./Cr.), ``(Q, len(c_langs))``; NaN
    where the question has no gold in that language (it is not ranked there)."""
    n_c = len(c_emb)
    ap_pool = np.full((len(q_emb), len(c_langs)), np.nan)
    for j, xc in enumerate(c_langs):
        pool = np.flatnonzero(c_lang == xc)
        g = restrict_gold(gold, pool, n_c)
        has = (g >= 0).any(axis=1)
        if has.any():
            res = rank_golds(q_emb[has], c_emb[pool], g[has], block_size=block_size)
            ap_pool[has, j] = res.ap
    return ap_pool


def _cell_means(
    ap_pool: np.ndarray, q_lang: np.ndarray, q_langs: list[str], c_langs: list[str]
) -> tuple[dict[str, dict[str, float | None]], dict[str, dict[str, int]]]:
    """The X_Q × X_C mAP matrix (None where no question of X_Q has a gold in X_C) and its counts."""
    map_matrix: dict[str, dict[str, float | None]] = {}
    n_matrix: dict[str, dict[str, int]] = {}
    for xq in q_langs:
        rows = q_lang == xq
        map_matrix[xq], n_matrix[xq] = {}, {}
        for j, xc in enumerate(c_langs):
            col = ap_pool[rows, j]
            n = int((~np.isnan(col)).sum())
            n_matrix[xq][xc] = n
            map_matrix[xq][xc] = nanmean(col) if n else None
    return map_matrix, n_matrix


def _mo_cr(
    map_matrix: dict[str, dict[str, float | None]], q_langs: list[str], c_langs: list[str]
) -> tuple[dict[str, float | None], list[float]]:
    """The defined Mo. cells (``{X: mAP}``, X_Q = X_C) and Cr. cells (their mAPs, X_Q ≠ X_C) of the matrix."""
    mo = {x: map_matrix[x][x] for x in q_langs if x in c_langs and map_matrix[x][x] is not None}
    cr = [v for xq in q_langs for xc in c_langs if xq != xc and (v := map_matrix[xq][xc]) is not None]
    return mo, cr


def _skipped_cross(ap_pool: np.ndarray, q_lang: np.ndarray, c_langs: list[str]) -> int:
    """How many (question, other candidate language) Cr. pairs were skipped: no gold in that language."""
    return int(sum(int(((q_lang != xc) & np.isnan(ap_pool[:, j])).sum()) for j, xc in enumerate(c_langs)))


def _rank_distance_summary(rd: np.ndarray, q_lang: np.ndarray, q_langs: list[str]) -> dict[str, Any]:
    """Rank distance per question language, its macro mean and the questions each mean is over."""
    rd_lang = rank_distance_by_language(rd, q_lang)
    return {
        "per_language": rd_lang,
        "macro": macro_mean(rd_lang),
        "n_questions": {x: int((~np.isnan(rd[q_lang == x])).sum()) for x in q_langs},
    }


def _rank_distance(
    mul_res: RankResult, gold: np.ndarray, c_lang: np.ndarray, c_langs: list[str]
) -> np.ndarray:
    """Per-query rank distance in the Mul. pool, the golds grouped by their candidate language."""
    lang_code = pd.Index(c_langs).get_indexer(c_lang)
    groups = np.where(gold >= 0, lang_code[np.where(gold >= 0, gold, 0)], -1)
    return rank_distance(mul_res.ranks, groups)


def matrix_frame(result: Mapping[str, Any], key: str = "map_matrix") -> pd.DataFrame:
    """The X_Q × X_C matrix of a LAReQA result as a DataFrame (rows X_Q, columns X_C, NaN = undefined)."""
    m = result[key]
    df = pd.DataFrame.from_dict(m, orient="index").astype(float)
    df.index.name, df.columns.name = "X_Q", "X_C"
    return df
