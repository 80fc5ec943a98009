"""TyDi QA GoldP evaluation: per language, the monolingual pool and the pool of all languages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from hybridlib.data.schema import RetrievalSet
from hybridlib.evaluation.common import TYDI_METRICS, macro_metrics, metric_arrays, prepare, restrict_gold
from hybridlib.evaluation.metrics import DEFAULT_BLOCK_SIZE, nanmean, rank_golds
from hybridlib.evaluation.results import json_ready, result_header

#: Per-query array names of the TyDi metrics (``mono_ap``, ``mul_r10``, ...).
_SHORT = {"mAP": "ap", "MRR": "rr", "R@1": "r1", "R@10": "r10", "R@100": "r100", "nDCG@10": "ndcg10"}


def evaluate_tydi(
    rset: RetrievalSet,
    q_emb: np.ndarray,
    c_emb: np.ndarray,
    *,
    model_name: str,
    seen_languages: Sequence[str] = (),
    params: Any = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
) -> dict[str, Any]:
    """TyDi QA GoldP: monolingual pools per language and one multilingual pool (schema in module doc).

    Reports mAP (= MRR with a single gold, exactly, given the conventions), MRR, Recall@1/10/100 and
    nDCG@10 per question language, their macro average and the macro averages over the languages the
    encoder saw in fine-tuning (``seen_languages``, given by the caller) and those it did not.
    """
    qs, cs, gold, q_lang, c_lang = prepare(rset, q_emb, c_emb)
    langs = sorted(set(q_lang.tolist()))
    n_q, n_c = len(qs), len(cs)
    seen = {str(x) for x in seen_languages}

    qid = np.asarray(qs["qid"].astype(str).tolist(), dtype=str)
    per_query: dict[str, np.ndarray] = {
        "qid": qid,
        "cluster": qid.copy(),  # TyDi questions are independent: each is its own cluster
        "lang": q_lang,
    }
    mono_arrays = _monolingual_arrays(q_emb, c_emb, gold, q_lang, c_lang, langs, block_size)
    mul_arrays = metric_arrays(rank_golds(q_emb, c_emb, gold, block_size=block_size))

    pools: dict[str, Any] = {}
    for name, arrays in (("mono", mono_arrays), ("mul", mul_arrays)):
        pools[name] = _pool_summary(arrays, q_lang, c_lang, langs, seen, mono=name == "mono")
        for m in TYDI_METRICS:
            per_query[f"{name}_{_SHORT[m]}"] = arrays[m]

    result = result_header("tydi", rset, model_name, params, block_size)
    result.update(
        {
            "languages": langs,
            "seen_languages": sorted(x for x in langs if x in seen),
            "unseen_languages": sorted(x for x in langs if x not in seen),
            "counts": {
                "questions": n_q,
                "candidates": n_c,
                "questions_without_gold": int(np.isnan(mono_arrays["mAP"]).sum()),
            },
            "metric_names": list(TYDI_METRICS),
            "pools": pools,
        }
    )
    result = json_ready(result)
    result["per_query"] = per_query
    return result


def _monolingual_arrays(
    q_emb: np.ndarray,
    c_emb: np.ndarray,
    gold: np.ndarray,
    q_lang: np.ndarray,
    c_lang: np.ndarray,
    langs: list[str],
    block_size: int,
) -> dict[str, np.ndarray]:
    """Per-query metrics of each question in its own language's pool (NaN where that pool is empty)."""
    n_c = len(c_emb)
    mono_arrays = {m: np.full(len(q_emb), np.nan) for m in TYDI_METRICS}
    for x in langs:
        pool = np.flatnonzero(c_lang == x)
        rows = np.flatnonzero(q_lang == x)
        if len(pool) == 0:
            continue
        g = restrict_gold(gold[rows], pool, n_c)
        arrays = metric_arrays(rank_golds(q_emb[rows], c_emb[pool], g, block_size=block_size))
        for m in TYDI_METRICS:
            mono_arrays[m][rows] = arrays[m]
    return mono_arrays


def _pool_summary(
    arrays: dict[str, np.ndarray],
    q_lang: np.ndarray,
    c_lang: np.ndarray,
    langs: list[str],
    seen: set[str],
    *,
    mono: bool,
) -> dict[str, Any]:
    """One pool's metrics per question language and their macro averages (all, seen, unseen languages);
    ``mono``: each language's own pool (else the pool of all languages)."""
    per_lang: dict[str, dict[str, Any]] = {}
    for x in langs:
        rows = q_lang == x
        entry: dict[str, Any] = {m: nanmean(arrays[m][rows]) for m in TYDI_METRICS}
        entry["n_questions"] = int((~np.isnan(arrays["mAP"][rows])).sum())
        entry["n_candidates"] = int((c_lang == x).sum()) if mono else len(c_lang)
        entry["seen"] = x in seen
        per_lang[x] = entry
    return {
        "per_language": per_lang,
        "macro": macro_metrics(per_lang, langs),
        "macro_seen": macro_metrics(per_lang, [x for x in langs if x in seen]),
        "macro_unseen": macro_metrics(per_lang, [x for x in langs if x not in seen]),
    }
