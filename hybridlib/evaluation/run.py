"""Evaluating one model of a run: the evaluation sets as the parameters cut them, which TyDi languages
count as seen, and :func:`evaluate_model`, which writes a model's result files into the run folder.

Kept apart from :mod:`hybridlib.evaluation.results` (the folder layout) so that training, which needs the
layout,
does not import the evaluation code: a training folder's identity hashes the code training can run
(:mod:`hybridlib.fingerprint`), and an edit of a metric must not retrain every model.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from hybridlib.config import cache_dir, local_path, portable_path, run_root
from hybridlib.dataset_names import is_set_path
from hybridlib.evaluation.results import result_path
from hybridlib.params import Params
from hybridlib.train.identity import arm_model_path


def evaluation_sets(params: Params) -> dict[str, Any]:
    """The evaluation RetrievalSets by ``eval_sets`` entry, cut to ``eval_max_paragraphs`` (XQuAD-R,
    MLQA-R and one's own SQuAD folders: whole question groups,
    :func:`hybridlib.data.lareqa.first_paragraphs`) / ``tydi_max_questions`` (TyDi QA)."""
    from hybridlib.data.lareqa import first_paragraphs
    from hybridlib.data.loaders import load_retrieval_set
    from hybridlib.data.schema import first_questions

    sets = {}
    for name in params.eval_sets:
        rset = load_retrieval_set(name, data_dir=params.data_dir)
        if not is_set_path(name) and name.startswith("tydiqa"):
            sets[name] = first_questions(rset, params.tydi_max_questions)
        else:
            sets[name] = first_paragraphs(rset, params.eval_max_paragraphs)
    return sets


def trained_on(params: Params, model_path: str | None = None) -> Params:
    """``params`` with the training data a model was fine-tuned on (``train_sets``,
    ``train_languages``) taken from the ``params.json`` its training run wrote beside ``model/``
    (``hybridlib.train.run``) when ``model_path`` is such a run."""
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
    :func:`trained_on`: what makes a TyDi language "seen". Alignment languages (λ > 0) are
    not seen: the QA objective never trained on them, and they are what hybrid+align is tested on."""
    from hybridlib.data.languages import check_languages
    from hybridlib.data.loaders import load_retrieval_set
    from hybridlib.data.own import is_triple_set, own_languages

    trained = trained_on(params, model_path)
    langs: set[str] = set()
    for name in trained.train_sets:
        if is_triple_set(name):  # its languages are its file names; its files may be large
            langs |= set(check_languages(trained.train_languages, own_languages(name), name))
            continue
        rset = load_retrieval_set(name, data_dir=trained.data_dir, languages=trained.train_languages)
        langs |= set(rset.languages)
    return langs


def embedding_key(model_path: str, eval_max_seq_length: int, precision: str) -> str:
    """The embedding-cache ``model_key`` of an evaluation (:mod:`hybridlib.retrieval.cache`): the model's
    content (:func:`hybridlib.fingerprint.model_fingerprint`), the sequence length and the *resolved*
    precision (``Encoder.precision``; a result records it as ``provenance.precision``)."""
    from hybridlib.fingerprint import model_fingerprint

    return f"{model_fingerprint(model_path)}|len{eval_max_seq_length}|{precision}"


def embedding_cache_dir() -> Path:
    """Folder of the evaluation embedding cache."""
    return cache_dir() / "embeddings"


def evaluate_model(
    params: Params, *, arm: str, model_path: str | None = None, embedding_cache: Path | None = None
) -> dict[str, Path]:
    """Encode and evaluate one model on every evaluation set; write results, per-query arrays, TREC
    run and qrels under ``results/<arm>/``. Returns ``{dataset: result path}``. Embeddings are read from
    and written to ``embedding_cache`` (default: the shared cache, :func:`embedding_cache_dir`; ``make
    bench`` passes an empty folder to time the encoding too)."""
    import torch

    from hybridlib.evaluation.lareqa import evaluate_lareqa
    from hybridlib.evaluation.results import write_results
    from hybridlib.evaluation.tydi import evaluate_tydi
    from hybridlib.model.encoder import load_encoder
    from hybridlib.provenance import provenance
    from hybridlib.retrieval.cache import cached_encode
    from hybridlib.retrieval.trec import write_trec_qrels, write_trec_run_for

    # Recorded as given relative to the run folder or the repository (a run folder that moves keeps
    # valid results); loaded from where it lies on this machine.
    recorded = portable_path(model_path or arm_model_path(params, arm), run_root(params))
    model_path = local_path(recorded, run_root(params))
    encoder = load_encoder(
        model_path,
        device="cuda" if torch.cuda.is_available() else "cpu",
        precision=params.precision,
        threads=params.threads,
        max_seq_length=params.eval_max_seq_length,
    )
    key = embedding_key(model_path, params.eval_max_seq_length, encoder.precision)
    emb_cache = embedding_cache if embedding_cache is not None else embedding_cache_dir()
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
        meta = {**params.to_dict(), "arm": arm, "model_path": recorded}
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
    if params.probe_sentences > 0:
        write_probe(params, arm=arm, model_path=recorded, encoder=encoder)
    return out


def write_probe(params: Params, *, arm: str, model_path: str, encoder: Any) -> Path:
    """Run the bitext probe (:mod:`hybridlib.evaluation.probe`) on ``encoder`` and write its result to
    :func:`hybridlib.evaluation.probe.probe_path`; returns the path. ``model_path`` is recorded as given."""
    from hybridlib.evaluation.probe import probe_path, run_probe
    from hybridlib.evaluation.results import write_results
    from hybridlib.provenance import provenance

    result = run_probe(params, lambda texts: encoder.encode(texts, "query"), arm=arm)
    result["parameters"] = {**params.to_dict(), "arm": arm, "model_path": model_path}
    result["provenance"] = provenance(
        precision=encoder.precision, device=encoder.device, threads=encoder.threads
    )
    path = probe_path(params, arm)
    write_results(result, path)
    return path
