"""Dataset loaders: every retrieval set becomes a :class:`~hybridlib.data.schema.RetrievalSet`, every
translation set a :class:`~hybridlib.data.schema.ParallelSet` (the one schema, see ``hybridlib.data.schema``).

This module is the registry: every set by name (:func:`load_retrieval_set`, :func:`load_parallel_set`),
the languages present on disk (:func:`available_languages`) and per-language counts (:func:`summarize`).
The loaders themselves, with the rules that decide the published numbers, are per source:

* :mod:`hybridlib.data.lareqa` — XQuAD-R, MLQA-R and their subset of whole question groups;
* :mod:`hybridlib.data.tydi` — TyDi QA GoldP;
* :mod:`hybridlib.data.parallel` — Tatoeba, XOR-TyDi ``trans_data`` and NTREX-128;
* :mod:`hybridlib.data.own` — one's own data, given by path instead of a name (every function here
  takes such a path wherever it takes a name);
* :mod:`hybridlib.data.leakage` — the filter that keeps evaluation questions out of training text;
* :mod:`hybridlib.data.files` — where the files come from, their format errors, the load cache.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from hybridlib.data.files import PathLike, dataset_folder
from hybridlib.data.languages import (
    MLQA_R_LANGUAGES,
    NTREX_LANGUAGES,
    TYDIQA_GOLDP_LANGUAGES,
    XOR_TYDI_LANGUAGES,
    XQUAD_R_LANGUAGES,
)
from hybridlib.data.lareqa import load_mlqa_r, load_xquad_r
from hybridlib.data.own import load_own_parallel, load_own_retrieval_set, own_languages
from hybridlib.data.parallel import (
    NTREX_FILE_CODES,
    load_ntrex,
    load_tatoeba,
    load_xor_tydi_translations,
    tatoeba_codes,
)
from hybridlib.data.schema import ParallelSet, RetrievalSet
from hybridlib.data.tydi import TYDI_SPLITS, load_tydiqa_goldp
from hybridlib.dataset_names import is_set_path

RETRIEVAL_SETS: dict[str, Callable[..., RetrievalSet]] = {
    "xquad-r": load_xquad_r,
    "mlqa-r": load_mlqa_r,
    "tydiqa-goldp": load_tydiqa_goldp,
}
PARALLEL_SETS: dict[str, Callable[..., ParallelSet]] = {
    "tatoeba": load_tatoeba,
    "xor-tydi": load_xor_tydi_translations,
    "ntrex": load_ntrex,
}


def _registered(name: str, registry: dict[str, Any], what: str) -> str:
    key = str(name).strip().lower().replace("_", "-")
    if key not in registry:
        raise ValueError(
            f"unknown {what} {name!r}; valid names: {', '.join(registry)}, or a path to your own data "
            "(it holds a '/', e.g. ./my-data; README 'Use your own data')"
        )
    return key


def load_retrieval_set(name: str, **kwargs: Any) -> RetrievalSet:
    """Load a retrieval set by registry name (``xquad-r``, ``mlqa-r``, ``tydiqa-goldp``) or by the path
    of a folder of SQuAD files (:func:`hybridlib.data.own.load_own_retrieval_set`)."""
    if is_set_path(name):
        return load_own_retrieval_set(name, **kwargs)
    return RETRIEVAL_SETS[_registered(name, RETRIEVAL_SETS, "retrieval set")](**kwargs)


def load_parallel_set(name: str, **kwargs: Any) -> ParallelSet:
    """Load a parallel set by registry name (``tatoeba``, ``xor-tydi``) or by the path of one's own
    parallel file or folder (:func:`hybridlib.data.own.load_own_parallel`; ``data_dir`` unused)."""
    if is_set_path(name):
        kwargs.pop("data_dir", None)
        return load_own_parallel(name, **kwargs)
    return PARALLEL_SETS[_registered(name, PARALLEL_SETS, "parallel set")](**kwargs)


def available_languages(name: str, data_dir: PathLike | None = None, split: str = "dev") -> list[str]:
    """Languages of set ``name`` whose files are present in the data folder (``split``: TyDi only), or
    of the folder a path names (from its file names)."""
    if is_set_path(name):
        return own_languages(name)
    names = {**RETRIEVAL_SETS, **PARALLEL_SETS}
    key = _registered(name, names, "dataset")
    if key == "tatoeba":
        return list(tatoeba_codes(dataset_folder(data_dir, "tatoeba", "tatoeba")))
    if key == "xor-tydi":
        folder = dataset_folder(data_dir, "xor-tydi", "xor-tydi") / "trans_data"
        return [x for x in XOR_TYDI_LANGUAGES if (folder / f"{x}-en" / f"{x}.txt").is_file()]
    if key == "ntrex":
        folder = dataset_folder(data_dir, "ntrex-128", "ntrex")
        files = {x: folder / f"newstest2019-ref.{NTREX_FILE_CODES[x]}.txt" for x in NTREX_LANGUAGES}
        return [x for x, path in files.items() if path.is_file()]
    if key == "tydiqa-goldp":
        if split not in TYDI_SPLITS:
            raise ValueError(f"unknown TyDi QA GoldP split {split!r}; available: {', '.join(TYDI_SPLITS)}")
        folder = dataset_folder(data_dir, key, key) / split
        known: Sequence[str] = TYDIQA_GOLDP_LANGUAGES
    else:
        folder = dataset_folder(data_dir, key, key)
        known = XQUAD_R_LANGUAGES if key == "xquad-r" else MLQA_R_LANGUAGES
    return [x for x in known if (folder / f"{x}.json").is_file()]


def summarize(dataset: RetrievalSet | ParallelSet) -> pd.DataFrame:
    """Per-language counts for notebooks and the smoke run, with an ``all`` row.

    Retrieval set: ``questions``, ``candidates``, ``golds_per_question`` (mean length of ``gold``:
    11 on full XQuAD-R, 2–4 on MLQA-R, 1 on TyDi). Parallel set: ``pairs`` per source language.
    """
    if isinstance(dataset, ParallelSet):
        counts = dataset.pairs.groupby("src_lang").size().rename("pairs").to_frame()
        counts.loc["all"] = [len(dataset.pairs)]
        counts.index.name = "lang"
        return counts
    qs, cs = dataset.questions, dataset.candidates
    n_gold = qs["gold"].map(len)
    langs = sorted(set(qs["lang"]) | set(cs["lang"]))
    table = pd.DataFrame(
        {
            "questions": qs.groupby("lang").size().reindex(langs, fill_value=0),
            "candidates": cs.groupby("lang").size().reindex(langs, fill_value=0),
            "golds_per_question": n_gold.groupby(qs["lang"]).mean().reindex(langs),
        }
    )
    table.loc["all"] = [len(qs), len(cs), n_gold.mean() if len(qs) else float("nan")]
    table[["questions", "candidates"]] = table[["questions", "candidates"]].astype(int)
    table.index.name = "lang"
    return table


#: ``align_data`` names that are folders of ``data_dir`` with the same names (what training reads).
PARALLEL_FOLDERS = {"xor-tydi": "xor-tydi", "tatoeba": "tatoeba", "ntrex": "ntrex-128"}


def alignment_source(align_data: str) -> str | None:
    """The dataset (folder name, or one's own file or folder by path) whose files the alignment data
    ``align_data`` is read from, for fingerprints; ``None`` for ``train-questions`` (the training sets)."""
    return align_data if is_set_path(align_data) else PARALLEL_FOLDERS.get(align_data)
