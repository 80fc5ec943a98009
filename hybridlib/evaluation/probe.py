"""The bitext probe: did an arm align the languages? Translation retrieval in the XTREME Tatoeba style.

For each language X of :data:`PROBE_LANGUAGES`, every held-out NTREX-128 sentence in X is a query whose
one correct answer is its English source among all ``n`` English sources, and every English sentence a
query whose answer is its X translation among all ``n`` X translations; a query is right when its
translation has the highest cosine similarity (accuracy@1, ties counted against the model). XTREME
scores Tatoeba the same way (one direction there; both here, as LASER reports).

The sentences are the last ``probe_sentences`` lines of NTREX-128 (:func:`hybridlib.data.parallel.load_ntrex`,
``part="probe"``), which no run trains on: the alignment objective on NTREX reads only the lines before
them, and XOR-TyDi and Tatoeba hold other texts. English is the pivot because NTREX translates one
English source into every language.

Result file (``<run_dir>/probe/<arm>.json``, :func:`probe_path`; ``task`` ``"bitext"``)::

    languages  [X...]; counts {"sentences": n}
    accuracy   {X: {"x_to_en", "en_to_x", "mean" (of the two), "margin" (mean ratio margin)}}
    macro      the same keys, averaged over the languages
    per_query (npz): qid "<X>/<line>", cluster "<line>" (one English sentence: shared by the languages),
        lang X, correct (float: the mean of the two directions' hits, 0, 0.5 or 1), margin (the line's
        ratio margin, :func:`ratio_margin`)

``cluster`` is the line, the unit the seed-level statistics resample: a line's translations are not
independent questions.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hybridlib.config import run_root
from hybridlib.data.languages import TYDI_NON_ENGLISH
from hybridlib.params import Params

#: The probe's languages: every TyDi QA GoldP language but English (NTREX-128 covers them all).
PROBE_LANGUAGES: tuple[str, ...] = TYDI_NON_ENGLISH


def probe_path(params: Params, arm: str) -> Path:
    """``<run_dir>/probe/<arm>.json`` (beside ``results/``, whose files are retrieval results)."""
    return run_root(params) / "probe" / f"{arm}.json"


def top1_hits(queries: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """``hits[i]``: whether ``targets[i]`` is the one most similar target of ``queries[i]`` (unit rows;
    a tie with another target counts as a miss)."""
    sims = queries @ targets.T
    own = np.diag(sims)
    others = sims.copy()
    np.fill_diagonal(others, -np.inf)
    return own > others.max(axis=1)


#: Neighbours of the ratio margin (Artetxe & Schwenk 2019 use k = 4 for bitext mining).
MARGIN_NEIGHBOURS = 4


def ratio_margin(queries: np.ndarray, targets: np.ndarray, k: int = MARGIN_NEIGHBOURS) -> np.ndarray:
    """Each true pair's ratio margin: ``cos(x_i, y_i)`` over the mean of the average similarity of
    ``x_i`` to its ``k`` nearest targets and of ``y_i`` to its ``k`` nearest queries (Artetxe & Schwenk
    2019). Above 1 the pair stands out from its neighbourhoods. Unlike accuracy@1 it still moves when
    nearly every sentence is found already (news sentences are long and distinctive)."""
    sims = queries @ targets.T
    k = min(k, sims.shape[1])
    row = -np.sort(-sims, axis=1)[:, :k].mean(axis=1)
    col = -np.sort(-sims, axis=0)[:k, :].mean(axis=0)
    return np.diag(sims) / ((row + col) / 2)


def bitext_accuracy(
    english: np.ndarray, translations: dict[str, np.ndarray]
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, np.ndarray]]]:
    """Per language: accuracy@1 in both directions and the mean ratio margin; per line and language:
    ``correct`` (the mean hit of the two directions: 0, 0.5 or 1) and ``margin``."""
    accuracy, per_line = {}, {}
    for lang, emb in translations.items():
        x_to_en = top1_hits(emb, english)
        en_to_x = top1_hits(english, emb)
        correct = (x_to_en.astype(np.float32) + en_to_x.astype(np.float32)) / 2
        margin = ratio_margin(emb, english).astype(np.float32)
        per_line[lang] = {"correct": correct, "margin": margin}
        accuracy[lang] = {
            "x_to_en": float(x_to_en.mean()),
            "en_to_x": float(en_to_x.mean()),
            "mean": float(correct.mean()),
            "margin": float(margin.mean()),
        }
    return accuracy, per_line


def _line_of(pairs: pd.DataFrame) -> pd.Series:
    """Each NTREX-128 pair's line in its line-aligned files (``pair_id`` is ``<lang>-en/<line>``, as
    :func:`hybridlib.data.parallel.load_ntrex` writes it and reads it for its held-out split).

    Why a second reading of the same id here, not one shared helper in ``hybridlib.data.parallel``:
    that module is part of every training folder's code fingerprint, and moving the reading there
    would retrain every arm of the conclusive experiment for an edit that changes no model. Fold the
    two into one when training code next changes for a reason of its own."""
    return pairs["pair_id"].str.rsplit("/", n=1).str[1].astype(int)


def run_probe(
    params: Params,
    encode: Any,
    *,
    arm: str,
    languages: Sequence[str] = PROBE_LANGUAGES,
) -> dict[str, Any]:
    """The probe's result for one model: ``encode(texts)`` embeds texts as unit rows (the symmetric
    query prefix, as the alignment objective trains them)."""
    from hybridlib.data.parallel import load_ntrex

    pairs = load_ntrex(
        list(languages), data_dir=params.data_dir, part="probe", held_out=params.probe_sentences
    ).pairs
    pairs = pairs.assign(line=_line_of(pairs))
    # One English row per line, in line order; each language's translations in the same order.
    order = sorted(set(pairs["line"]))
    en_text = pairs.drop_duplicates("line").set_index("line").loc[order, "tgt"]
    english = encode(en_text.tolist())
    translations, ids, clusters, langs = {}, [], [], []
    for lang in languages:
        rows = pairs[pairs["src_lang"] == lang].set_index("line")
        missing = sorted(set(order) - set(rows.index))
        if missing:
            raise ValueError(
                f"NTREX-128 {lang}: lines {missing[:5]} of the probe are empty, so the probe would not "
                "compare like with like; check the data folder's newstest2019 files"
            )
        translations[lang] = encode(rows.loc[order, "src"].tolist())
        ids += [f"{lang}/{i}" for i in order]
        clusters += [str(i) for i in order]
        langs += [lang] * len(order)
    accuracy, per_line = bitext_accuracy(english, translations)
    keys = ("x_to_en", "en_to_x", "mean", "margin")
    macro = {k: float(np.mean([a[k] for a in accuracy.values()])) for k in keys}
    return {
        "task": "bitext",
        "model": arm,
        "dataset": "ntrex-128 (held-out lines)",
        "languages": list(languages),
        "counts": {"sentences": len(order)},
        "lines": [int(order[0]), int(order[-1])] if order else [],
        "accuracy": accuracy,
        "macro": macro,
        "per_query": {
            "qid": np.asarray(ids),
            "cluster": np.asarray(clusters),
            "lang": np.asarray(langs),
            "correct": np.concatenate([per_line[x]["correct"] for x in languages]),
            "margin": np.concatenate([per_line[x]["margin"] for x in languages]),
        },
    }
