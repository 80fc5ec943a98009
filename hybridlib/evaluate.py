"""Evaluation runs: LAReQA-style (XQuAD-R, MLQA-R) and TyDi QA GoldP, written as JSON result files.

Both evaluations score exactly over whole pools (:func:`hybridlib.metrics.rank_golds`: query blocks ×
all candidates), with cosine similarity (both sides L2-normalised), sklearn-equal AP and pessimistic
ranks (conventions in :mod:`hybridlib.metrics`). Each evaluation returns a JSON-ready ``dict`` plus,
under the key ``"per_query"``, a ``dict[str, np.ndarray]`` of per-query arrays (kept for paired
significance tests). :func:`write_results` writes the JSON (without ``per_query``) atomically and the
arrays beside it as ``<stem>.per_query.npz`` (:func:`load_per_query` reads them back).

LAReQA settings for query language X_Q and candidate language X_C (arXiv 2408.10536):

* **Mo.**  X_Q = X_C; pool = X_C's candidates; relevant = q's golds in X_C.
* **Cr.**  X_Q ≠ X_C; same single-language pool; questions without a gold in X_C are skipped (MLQA-R:
  a question exists in only 2–4 languages).
* **Mul.** questions of X_Q against all languages' candidates together; every gold relevant.

Result schema (``schema_version`` 1). Every result has::

    schema_version  int    1
    task            str    "lareqa" | "tydi"
    model           str    model / arm name given by the caller
    dataset         str    RetrievalSet.name
    parameters      dict   the caller's params (a Params dataclass or mapping), JSON-converted; null if none
    evaluation      dict   {"similarity": "cosine", "ap": "sklearn average_precision_score (ties grouped)",
                            "rank_ties": "pessimistic", "block_size": int}
    counts          dict   see below
    git_commit      str | null   ``git rev-parse HEAD`` of the repo, null if unavailable
    git_dirty       bool | null  uncommitted changes (untracked, non-ignored files included)
    date            str    ISO-8601 UTC time of evaluation
    hybridlib_version str
    per_query_file  str | null   file name of the .npz beside the JSON (set by write_results)
    provenance      dict   (set by ``hybridlib.run_evaluation.evaluate_model``) resolved precision,
                           device, CPU model and flags, torch threads, library versions, git commit
                           (``hybridlib.provenance.provenance``)

Undefined values (no question in a cell, no seen language, ...) are ``null``.

``task == "lareqa"`` adds::

    languages   {"query": [X_Q...], "candidate": [X_C...]}
    counts      {"questions": int, "candidates": int,
                 "settings": {"mo": int, "cr": int, "mul": int},
                 "skipped_cross": int   (question, X_C) pairs skipped for lack of a gold in X_C}
    mAP         {"mo": float, "cr": float, "mul": float}   macro averages: Mo over languages, Cr over
                                                            ordered pairs, Mul over query languages
    map_matrix  {X_Q: {X_C: float | null}}    diagonal = Mo, off-diagonal = Cr
    n_matrix    {X_Q: {X_C: int}}             questions evaluated in each cell
    mo          {X: float}                    the diagonal
    mul         {X_Q: float}                  Mul. mAP per query language
    rank_distance {"per_language": {X_Q: float}, "macro": float, "n_questions": {X_Q: int}}

    per_query (npz): qid (Q,) str, cluster (Q,) str, lang (Q,) str, candidate_languages (L,) str,
        ap_pool (Q, L) float — AP of question i against X_C = candidate_languages[j]'s pool (NaN: skipped;
        the setting is Mo when lang[i] == X_C, else Cr), ap_mul (Q,), rank_distance (Q,),
        mul_ranks (Q, G) int gold ranks in the multilingual pool (0 = padding),
        mul_gold (Q, G) int candidate row indices of those golds (-1 = padding)

``task == "tydi"`` adds::

    languages       [lang...]; seen_languages [...]; unseen_languages [...]
    counts          {"questions": int, "candidates": int, "questions_without_gold": int}
    metric_names    ["mAP", "MRR", "R@1", "R@10", "R@100", "nDCG@10"]
    pools           {"mono": POOL, "mul": POOL}
        POOL = {"per_language": {lang: {metric: float, ..., "n_questions": int, "n_candidates": int,
                                        "seen": bool}},
                "macro": {metric: float}, "macro_seen": {metric: float}, "macro_unseen": {metric: float}}
        mono = each language's questions against its own language's pool; mul = every question against
        all languages' candidates (reported per question language).

    per_query (npz): qid, cluster, lang, and for p in (mono, mul): {p}_ap, {p}_rr, {p}_r1, {p}_r10, {p}_r100,
        {p}_ndcg10 (Q,) float (NaN: no gold in that pool)

``cluster`` is the sampling unit of the significance tests (:mod:`hybridlib.stats`): rows with the same
cluster are not independent. LAReQA sets: the question's shared id across languages (``xid``, the
LAReQA/SQuAD id), so the translations of one question form one cluster (11 rows in XQuAD-R). TyDi QA:
the row's own ``qid`` (questions are not parallel; each is its own cluster).

TREC files (:func:`write_trec_run`, :func:`write_trec_qrels`) let trec_eval / ranx / ir_measures
recompute the top-100 metrics independently.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hybridlib import __version__
from hybridlib.bias import macro_mean, rank_distance, rank_distance_by_language
from hybridlib.io import atomic_path, write_json, write_text
from hybridlib.metrics import DEFAULT_BLOCK_SIZE, RECALL_KS, RankResult, nanmean, rank_golds
from hybridlib.provenance import git_state
from hybridlib.retrieval import build_index, search
from hybridlib.schema import RetrievalSet

SCHEMA_VERSION = 1
TYDI_METRICS = ("mAP", "MRR", "R@1", "R@10", "R@100", "nDCG@10")
TREC_DEPTH = 100


# --------------------------------------------------------------------------- shared helpers


def _check_embeddings(rset: RetrievalSet, q_emb: np.ndarray, c_emb: np.ndarray) -> None:
    if len(q_emb) != len(rset.questions):
        raise ValueError(f"q_emb has {len(q_emb)} rows but the set has {len(rset.questions)} questions")
    if len(c_emb) != len(rset.candidates):
        raise ValueError(f"c_emb has {len(c_emb)} rows but the set has {len(rset.candidates)} candidates")


def _prepare(
    rset: RetrievalSet, q_emb: np.ndarray, c_emb: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Checked inputs shared by both evaluations: tables, gold matrix, question/candidate languages."""
    _check_embeddings(rset, q_emb, c_emb)
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


def _restrict_gold(gold: np.ndarray, pool: np.ndarray, n_candidates: int) -> np.ndarray:
    """Map global gold indices to positions in ``pool`` (-1 if outside), valid ones moved left, trimmed."""
    local = np.full(n_candidates + 1, -1, dtype=np.int64)  # last slot: padding (-1) maps to -1
    local[pool] = np.arange(len(pool))
    g = local[np.where(gold >= 0, gold, n_candidates)]
    order = np.argsort(g < 0, axis=1, kind="stable")
    g = np.take_along_axis(g, order, axis=1)
    width = max(int((g >= 0).sum(axis=1).max(initial=0)), 1)
    return g[:, :width]


def _json_ready(obj: Any) -> Any:
    """Recursively convert to plain JSON types; NaN/inf become None."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _json_ready(dataclasses.asdict(obj))
    if isinstance(obj, Mapping):
        return {str(k): _json_ready(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return _json_ready(obj.tolist())
    if isinstance(obj, list | tuple | set | frozenset):
        items = sorted(obj) if isinstance(obj, set | frozenset) else obj
        return [_json_ready(v) for v in items]
    if isinstance(obj, np.generic):
        return _json_ready(obj.item())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if obj is None or isinstance(obj, str | int | bool):
        return obj
    return str(obj)


def _header(task: str, rset: RetrievalSet, model_name: str, params: Any, block_size: int) -> dict[str, Any]:
    commit, dirty = git_state()
    return {
        "schema_version": SCHEMA_VERSION,
        "task": task,
        "model": model_name,
        "dataset": rset.name,
        "parameters": _json_ready(params) if params is not None else None,
        "evaluation": {
            "similarity": "cosine",
            "ap": "sklearn average_precision_score (ties grouped)",
            "rank_ties": "pessimistic",
            "block_size": int(block_size),
        },
        "git_commit": commit,
        "git_dirty": dirty,
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "hybridlib_version": __version__,
        "per_query_file": None,
    }


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
    qs, cs, gold, q_lang, c_lang = _prepare(rset, q_emb, c_emb)
    q_langs = sorted(set(q_lang.tolist()))
    c_langs = sorted(set(c_lang.tolist()))
    n_q, n_c = len(qs), len(cs)

    # Mo./Cr.: one pool per candidate language, all questions that have a gold in it
    ap_pool = np.full((n_q, len(c_langs)), np.nan)
    for j, xc in enumerate(c_langs):
        pool = np.flatnonzero(c_lang == xc)
        g = _restrict_gold(gold, pool, n_c)
        has = (g >= 0).any(axis=1)
        if has.any():
            res = rank_golds(q_emb[has], c_emb[pool], g[has], block_size=block_size)
            ap_pool[has, j] = res.ap
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
    mo = {x: map_matrix[x][x] for x in q_langs if x in c_langs and map_matrix[x][x] is not None}
    cr = [v for xq in q_langs for xc in c_langs if xq != xc and (v := map_matrix[xq][xc]) is not None]
    skipped_cross = int(
        sum(int(((q_lang != xc) & np.isnan(ap_pool[:, j])).sum()) for j, xc in enumerate(c_langs))
    )

    # Mul.: everything together; rank distance from the same ranks
    mul_res: RankResult = rank_golds(q_emb, c_emb, gold, block_size=block_size)
    lang_code = pd.Index(c_langs).get_indexer(c_lang)
    groups = np.where(gold >= 0, lang_code[np.where(gold >= 0, gold, 0)], -1)
    rd = rank_distance(mul_res.ranks, groups)
    mul = {x: nanmean(mul_res.ap[q_lang == x]) for x in q_langs}
    mul = {x: v for x, v in mul.items() if not math.isnan(v)}
    rd_lang = rank_distance_by_language(rd, q_lang)

    result = _header("lareqa", rset, model_name, params, block_size)
    result.update(
        {
            "languages": {"query": q_langs, "candidate": c_langs},
            "counts": {
                "questions": n_q,
                "candidates": n_c,
                "settings": {"mo": len(mo), "cr": len(cr), "mul": len(mul)},
                "skipped_cross": skipped_cross,
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
            "rank_distance": {
                "per_language": rd_lang,
                "macro": macro_mean(rd_lang),
                "n_questions": {x: int((~np.isnan(rd[q_lang == x])).sum()) for x in q_langs},
            },
        }
    )
    result = _json_ready(result)
    result["per_query"] = {
        "qid": np.asarray(qs["qid"].astype(str).tolist(), dtype=str),
        "cluster": np.asarray(qs["xid"].astype(str).tolist(), dtype=str),  # translations share it
        "lang": q_lang,
        "candidate_languages": np.array(c_langs),
        "ap_pool": ap_pool,
        "ap_mul": mul_res.ap,
        "rank_distance": rd,
        "mul_ranks": mul_res.ranks,
        "mul_gold": mul_res.gold,
    }
    return result


def matrix_frame(result: Mapping[str, Any], key: str = "map_matrix") -> pd.DataFrame:
    """The X_Q × X_C matrix of a LAReQA result as a DataFrame (rows X_Q, columns X_C, NaN = undefined)."""
    m = result[key]
    df = pd.DataFrame.from_dict(m, orient="index").astype(float)
    df.index.name, df.columns.name = "X_Q", "X_C"
    return df


# --------------------------------------------------------------------------- TyDi QA GoldP


def _metric_arrays(res: RankResult) -> dict[str, np.ndarray]:
    out = {"mAP": res.ap, "MRR": res.reciprocal_rank()}
    for k in RECALL_KS:
        out[f"R@{k}"] = res.recall(k)
    out["nDCG@10"] = res.ndcg(10)
    return out


def _macro(per_language: Mapping[str, Mapping[str, Any]], langs: Sequence[str]) -> dict[str, float] | None:
    if not langs:
        return None
    return {m: nanmean(np.array([per_language[x][m] for x in langs], dtype=float)) for m in TYDI_METRICS}


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
    qs, cs, gold, q_lang, c_lang = _prepare(rset, q_emb, c_emb)
    langs = sorted(set(q_lang.tolist()))
    n_q, n_c = len(qs), len(cs)
    seen = {str(x) for x in seen_languages}

    qid = np.asarray(qs["qid"].astype(str).tolist(), dtype=str)
    per_query: dict[str, np.ndarray] = {
        "qid": qid,
        "cluster": qid.copy(),  # TyDi questions are independent: each is its own cluster
        "lang": q_lang,
    }
    short = {"mAP": "ap", "MRR": "rr", "R@1": "r1", "R@10": "r10", "R@100": "r100", "nDCG@10": "ndcg10"}
    mono_arrays = {m: np.full(n_q, np.nan) for m in TYDI_METRICS}
    for x in langs:
        pool = np.flatnonzero(c_lang == x)
        rows = np.flatnonzero(q_lang == x)
        if len(pool) == 0:
            continue
        g = _restrict_gold(gold[rows], pool, n_c)
        arrays = _metric_arrays(rank_golds(q_emb[rows], c_emb[pool], g, block_size=block_size))
        for m in TYDI_METRICS:
            mono_arrays[m][rows] = arrays[m]
    mul_arrays = _metric_arrays(rank_golds(q_emb, c_emb, gold, block_size=block_size))

    pools: dict[str, Any] = {}
    for name, arrays in (("mono", mono_arrays), ("mul", mul_arrays)):
        per_lang: dict[str, dict[str, Any]] = {}
        for x in langs:
            rows = q_lang == x
            entry: dict[str, Any] = {m: nanmean(arrays[m][rows]) for m in TYDI_METRICS}
            entry["n_questions"] = int((~np.isnan(arrays["mAP"][rows])).sum())
            entry["n_candidates"] = int((c_lang == x).sum()) if name == "mono" else n_c
            entry["seen"] = x in seen
            per_lang[x] = entry
        pools[name] = {
            "per_language": per_lang,
            "macro": _macro(per_lang, langs),
            "macro_seen": _macro(per_lang, [x for x in langs if x in seen]),
            "macro_unseen": _macro(per_lang, [x for x in langs if x not in seen]),
        }
        for m in TYDI_METRICS:
            per_query[f"{name}_{short[m]}"] = arrays[m]

    result = _header("tydi", rset, model_name, params, block_size)
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
    result = _json_ready(result)
    result["per_query"] = per_query
    return result


# --------------------------------------------------------------------------- writing results


def per_query_path(path: str | os.PathLike) -> Path:
    """Where :func:`write_results` puts the per-query arrays for a result JSON at ``path``."""
    path = Path(path)
    return path.with_name(f"{path.stem}.per_query.npz")


def write_results(result: Mapping[str, Any], path: str | os.PathLike) -> Path:
    """Write ``result`` as JSON atomically; its ``per_query`` arrays go to ``<stem>.per_query.npz`` beside it.

    The npz is written first, so a JSON that exists always has its per-query file.
    """
    path = Path(path)
    out = {k: v for k, v in result.items() if k != "per_query"}
    per_query = result.get("per_query")
    if per_query:
        npz = per_query_path(path)
        with atomic_path(npz) as tmp, open(tmp, "wb") as fh:
            np.savez_compressed(fh, **{k: _plain_array(v) for k, v in per_query.items()})
        out["per_query_file"] = npz.name
    write_json(path, _json_ready(out))
    return path


def _plain_array(v: Any) -> np.ndarray:
    """Object arrays (pandas strings) become fixed-width unicode so the npz loads without pickle."""
    arr = np.asarray(v)
    return np.asarray(arr.tolist(), dtype=str) if arr.dtype == object else arr


def load_per_query(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Per-query arrays of a result written by :func:`write_results` (``path``: the JSON or the npz)."""
    path = Path(path)
    npz = path if path.suffix == ".npz" else per_query_path(path)
    with np.load(npz, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


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

    ``scores``/``ids`` are the ``(Q, k)`` output of :func:`hybridlib.retrieval.search` (ids index
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
    _check_embeddings(rset, q_emb, c_emb)
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
