"""Result files: the schema, JSON conversion, writing and reading results and their per-query arrays,
and where a run keeps them (``<run_dir>/results/<arm>/<dataset>.json``).

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
    provenance      dict   (set by ``hybridlib.evaluation.run.evaluate_model``) resolved precision,
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

``cluster`` is the sampling unit of the significance tests (:mod:`hybridlib.analysis.stats`): rows with the
same
cluster are not independent. LAReQA sets: the question's shared id across languages (``xid``, the
LAReQA/SQuAD id), so the translations of one question form one cluster (11 rows in XQuAD-R). TyDi QA:
the row's own ``qid`` (questions are not parallel; each is its own cluster).

The npz is compressed, its strings stored as UTF-8 bytes, its floats as float32 and its integers in the
smallest integer type that holds them (small enough to commit); :func:`load_per_query` gives str, float64
and int64 arrays back, from these files and from older full-width ones alike.

TREC files (:mod:`hybridlib.retrieval.trec`) let trec_eval / ranx / ir_measures
recompute the top-100 metrics independently.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from hybridlib import __version__
from hybridlib.config import TRAIN_LOG_FILE, local_path, run_root
from hybridlib.data.schema import RetrievalSet
from hybridlib.dataset_names import set_label
from hybridlib.io import atomic_path, write_json
from hybridlib.params import Params
from hybridlib.provenance import git_state

SCHEMA_VERSION = 1


def json_ready(obj: Any) -> Any:
    """Recursively convert to plain JSON types; NaN/inf become None."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return json_ready(dataclasses.asdict(obj))
    if isinstance(obj, Mapping):
        return {str(k): json_ready(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return json_ready(obj.tolist())
    if isinstance(obj, list | tuple | set | frozenset):
        items = sorted(obj) if isinstance(obj, set | frozenset) else obj
        return [json_ready(v) for v in items]
    if isinstance(obj, np.generic):
        return json_ready(obj.item())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if obj is None or isinstance(obj, str | int | bool):
        return obj
    return str(obj)


def result_header(
    task: str, rset: RetrievalSet, model_name: str, params: Any, block_size: int
) -> dict[str, Any]:
    commit, dirty = git_state()
    return {
        "schema_version": SCHEMA_VERSION,
        "task": task,
        "model": model_name,
        "dataset": rset.name,
        "parameters": json_ready(params) if params is not None else None,
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
            np.savez_compressed(fh, **{k: _compact(_plain_array(v)) for k, v in per_query.items()})
        out["per_query_file"] = npz.name
    write_json(path, json_ready(out))
    return path


def _plain_array(v: Any) -> np.ndarray:
    """Object arrays (pandas strings) become fixed-width unicode so the npz loads without pickle."""
    arr = np.asarray(v)
    return np.asarray(arr.tolist(), dtype=str) if arr.dtype == object else arr


def _compact(arr: np.ndarray) -> np.ndarray:
    """The array as committed result files keep it: floats as float32 (per-query AP, RR, recall and
    rank distance need no more than its 7 significant digits; tables rebuilt from them agree with
    float64 to 1e-6), integers in the smallest integer type that holds them (ranks, row indices),
    strings (question ids) as UTF-8 bytes rather than numpy's 4 bytes per character."""
    if arr.dtype.kind == "U":
        return np.char.encode(arr, "utf-8")
    if arr.dtype.kind == "f" and arr.dtype.itemsize > 4:
        return arr.astype(np.float32)
    if arr.dtype.kind in "iu" and arr.size:
        return arr.astype(np.result_type(np.min_scalar_type(arr.min()), np.min_scalar_type(arr.max())))
    return arr


class ResultFileError(ValueError):
    """A result file that cannot be read (truncated or damaged): it is never taken as valid."""


def load_per_query(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Per-query arrays of a result written by :func:`write_results` (``path``: the JSON or the npz).

    Strings come back as ``str`` arrays, floating arrays as float64 and integer ones as int64, whether
    the file holds them
    compact (:func:`_compact`) or, written before, at full width: every reader computes as before.
    """
    import zipfile

    path = Path(path)
    npz = path if path.suffix == ".npz" else per_query_path(path)
    try:
        with np.load(npz, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (zipfile.BadZipFile, EOFError, ValueError, OSError) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise ResultFileError(
            f"per-query file {npz} is damaged ({err.__class__.__name__}: {err}); delete it and its "
            f"result {path.with_suffix('.json').name if path.suffix == '.npz' else path.name} and run "
            "the evaluation again"
        ) from err
    return {k: _widen(v) for k, v in arrays.items()}


def _widen(arr: np.ndarray) -> np.ndarray:
    if arr.dtype.kind == "S":
        return np.char.decode(arr, "utf-8")
    if arr.dtype.kind == "f":
        return arr.astype(np.float64, copy=False)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64, copy=False)
    return arr


def result_path(params: Params, arm: str, dataset: str) -> Path:
    """``results/<arm>/<dataset>.json``; a set given by path is filed under its label (last part)."""
    return run_root(params) / "results" / arm / f"{set_label(dataset)}.json"


def load_result(path: str | Path) -> dict[str, Any]:
    """A result file; a truncated or damaged one raises :class:`ResultFileError` naming it (the
    pipeline evaluates again when a stage's result file does not parse)."""
    try:
        return json.loads(Path(path).read_text())
    except (ValueError, UnicodeDecodeError) as err:
        raise ResultFileError(
            f"result file {path} is damaged ({err}); delete it (and its .per_query.npz) and run the "
            "evaluation again (`make run` re-runs that arm's evaluation)"
        ) from err


def collect_results(params: Params, arms: list[str] | None = None) -> dict[str, dict[str, dict[str, Any]]]:
    """``{arm: {dataset: result}}`` for every result file present (arms in ``params.arms`` order)."""
    root = run_root(params) / "results"
    arms = arms or params.arms
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for arm in arms:
        files = sorted((root / arm).glob("*.json")) if (root / arm).is_dir() else []
        if files:
            out[arm] = {f.stem: load_result(f) for f in files}
    return out


def training_logs(
    results: dict[str, dict[str, dict[str, Any]]], run_dir: str | os.PathLike | None = None
) -> dict[str, Any]:
    """``{arm: train_log DataFrame}`` for every evaluated arm whose model came from a training run
    (found through the ``model_path`` recorded in its result files, so any parameters work). A model
    path recorded relative to its run folder is found in ``run_dir`` (default: the ``run_dir`` the
    result recorded), so that a run folder that moved keeps its logs."""
    import pandas as pd

    logs = {}
    for arm, by_ds in results.items():
        for r in by_ds.values():
            recorded = r.get("parameters") or {}
            model_path = recorded.get("model_path")
            where = run_dir if run_dir is not None else recorded.get("run_dir")
            log = Path(local_path(model_path, where)).parent / TRAIN_LOG_FILE if model_path else None
            if log is not None and log.is_file():
                logs[arm] = pd.read_csv(log)
                break
    return logs


def precision_sentence(params: Params) -> str:
    """How the run's numbers were computed (precision, device, threads, whether bf16 is native, torch,
    git), one sentence from the provenance its result files recorded."""
    results = collect_results(params)
    if not results:  # e.g. a clone: result files are not committed, the tables made from them are
        return f"(No result files in {params.run_dir} here, so precision and CPU cannot be stated.)"
    records = [r["provenance"] for by_ds in results.values() for r in by_ds.values() if r.get("provenance")]
    if not records:
        return "(Its result files record no provenance: they predate it; re-run to record it.)"
    precisions = sorted({r["precision"] for r in records})
    features = records[0].get("cpu_features") or []
    native = "avx512_bf16" in features or "amx_bf16" in features
    return (
        f"Evaluation ran in {' and '.join(precisions)} on {records[0]['device']} "
        f"({records[0]['threads']} threads; CPU features {', '.join(features) or 'none recorded'}: "
        f"bf16 {'native' if native else 'emulated'}), torch {records[0]['versions'].get('torch')}, "
        f"git {str(records[0].get('git_commit'))[:7]}{'-dirty' if records[0].get('git_dirty') else ''}."
    )
