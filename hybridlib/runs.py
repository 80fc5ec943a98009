"""The run folder: where each stage of the experiment writes, and the evaluation of one model.

Layout of ``<run_dir>`` (``params.run_dir``, relative paths resolve against the repository root)::

    train/<run name>-<identity>/ one training run (hybridlib.train): model/, train_log.csv, summary.json,
                                 identity.json (what the model depends on; its digest ends the name)
    results/<arm>/<dataset>.json one evaluation (hybridlib.evaluate schema) + .per_query.npz + TREC files
    notebooks/<stage>.ipynb      executed copies of the notebooks (papermill)
    .stamps/<stage>.json         what each pipeline stage was computed from (hybridlib.pipeline)

Embeddings are cached under ``<cache>/embeddings`` keyed by model, text kind and the exact texts.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from hybridlib.config import REPO_ROOT, cache_dir
from hybridlib.params import Params, arm_settings, run_name


def repo_path(path: str | Path) -> Path:
    """``path`` if absolute, else relative to the repository root (notebooks run from notebooks/)."""
    path = Path(path)
    return path if path.is_absolute() else REPO_ROOT / path


def run_root(params: Params) -> Path:
    return repo_path(params.run_dir)


def figures_dir(params: Params) -> Path:
    out = repo_path(params.figures_dir)
    out.mkdir(parents=True, exist_ok=True)
    return out


def train_dir(params: Params) -> Path:
    """Folder of the training run these parameters describe: a readable name, then the digest of the
    training identity (every parameter, module, data file and base model the model depends on)."""
    from hybridlib.fingerprint import training_digest

    return run_root(params) / "train" / f"{run_name(params)}-{training_digest(params)}"


def arm_model_path(params: Params, arm: str) -> str:
    """Model to evaluate for ``arm``: the base model for zero-shot, else that arm's trained model."""
    if arm == "zero-shot":
        return params.model
    return str(train_dir(arm_settings(params, arm)) / "model")


def result_path(params: Params, arm: str, dataset: str) -> Path:
    return run_root(params) / "results" / arm / f"{dataset}.json"


def load_result(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


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


def evaluation_sets(params: Params) -> dict[str, Any]:
    """The evaluation RetrievalSets, cut to ``eval_max_paragraphs`` (XQuAD-R / MLQA-R: whole question
    groups, :func:`hybridlib.data.first_paragraphs`) / ``tydi_max_questions``."""
    from hybridlib.data import first_paragraphs, load_retrieval_set
    from hybridlib.schema import first_questions

    sets = {}
    for name in params.eval_sets:
        rset = load_retrieval_set(name, data_dir=params.data_dir)
        if name.startswith("tydiqa"):
            sets[name] = first_questions(rset, params.tydi_max_questions)
        else:
            sets[name] = first_paragraphs(rset, params.eval_max_paragraphs)
    return sets


def training_parameters(params: Params, model_path: str | None = None) -> Params:
    """``params`` with the training data a model was fine-tuned on (``train_sets``,
    ``train_languages``) taken from the ``params.json`` its training run wrote beside ``model/``
    (``hybridlib.train``) when ``model_path`` is such a run."""
    recorded = Path(model_path).parent / "params.json" if model_path else None
    if recorded is None or not recorded.is_file():
        return params
    values = json.loads(recorded.read_text())
    return dataclasses.replace(
        params,
        train_sets=list(values.get("train_sets", params.train_sets)),
        train_languages=values.get("train_languages", params.train_languages),
    )


def training_languages(params: Params, model_path: str | None = None) -> set[str]:
    """Languages of the QA fine-tuning data (``train_sets`` restricted to ``train_languages``) of
    :func:`training_parameters`: what makes a TyDi language "seen". Alignment languages (λ > 0) are
    not seen: the QA objective never trained on them, and they are what hybrid+align is tested on."""
    from hybridlib.data import load_retrieval_set

    trained = training_parameters(params, model_path)
    langs: set[str] = set()
    for name in trained.train_sets:
        rset = load_retrieval_set(name, data_dir=trained.data_dir, languages=trained.train_languages)
        langs |= set(rset.languages)
    return langs


def evaluate_model(params: Params, *, arm: str, model_path: str | None = None) -> dict[str, Path]:
    """Encode and evaluate one model on every evaluation set; write results, per-query arrays, TREC
    run and qrels under ``results/<arm>/``. Returns ``{dataset: result path}``."""
    from hybridlib.embedding_cache import cached_encode
    from hybridlib.evaluate import (
        evaluate_lareqa,
        evaluate_tydi,
        write_results,
        write_trec_qrels,
        write_trec_run_for,
    )
    from hybridlib.fingerprint import model_fingerprint
    from hybridlib.model import load_encoder
    from hybridlib.provenance import provenance

    model_path = model_path or arm_model_path(params, arm)
    encoder = load_encoder(
        model_path,
        precision=params.precision,
        threads=params.threads,
        max_seq_length=params.eval_max_seq_length,
    )
    key = f"{model_fingerprint(model_path)}|len{params.eval_max_seq_length}|{encoder.precision}"
    emb_cache = cache_dir() / "embeddings"
    # "Seen" = a language of the QA fine-tuning data actually used (the trained run's params.json,
    # else ``params.train_sets``/``train_languages``); zero-shot gets the run's marking too, so that
    # tables compare like with like.
    seen = training_languages(params, model_path)
    out = {}
    for name, rset in evaluation_sets(params).items():
        q_emb = cached_encode(
            lambda t: encoder.encode(t, "query"), rset.questions["text"].tolist(), "query", key, emb_cache
        )
        c_emb = cached_encode(
            lambda t: encoder.encode(t, "passage"),
            rset.candidates["text"].tolist(),
            "passage",
            key,
            emb_cache,
        )
        meta = {**params.to_dict(), "arm": arm, "model_path": model_path}
        if name.startswith("tydiqa"):
            result = evaluate_tydi(
                rset, q_emb, c_emb, model_name=arm, seen_languages=sorted(seen), params=meta
            )
        else:
            result = evaluate_lareqa(rset, q_emb, c_emb, model_name=arm, params=meta)
        # How the embeddings were computed (cached ones were computed with the same key: model,
        # sequence length and resolved precision).
        result["provenance"] = provenance(
            precision=encoder.precision, device=encoder.device, threads=encoder.threads
        )
        path = result_path(params, arm, name)
        write_results(result, path)
        write_trec_run_for(path.with_suffix(".run"), rset, q_emb, c_emb, arm, index_kind=params.index)
        write_trec_qrels(path.with_suffix(".qrels"), rset)
        out[name] = path
    return out


def training_logs(results: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """``{arm: train_log DataFrame}`` for every evaluated arm whose model came from a training run
    (found through the ``model_path`` recorded in its result files, so any parameters work)."""
    import pandas as pd

    logs = {}
    for arm, by_ds in results.items():
        for r in by_ds.values():
            model_path = (r.get("parameters") or {}).get("model_path")
            log = Path(model_path).parent / "train_log.csv" if model_path else None
            if log is not None and log.is_file():
                logs[arm] = pd.read_csv(log)
                break
    return logs
