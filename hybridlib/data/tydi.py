"""TyDi QA GoldP (v1.1) as a :class:`~hybridlib.data.schema.RetrievalSet`.

Candidates are the distinct gold passages (context texts) of a language; each question has one gold,
its passage. Questions are not parallel, so ``xid`` is the question id. Where the files come from and
how loads are cached: :mod:`hybridlib.data.files`.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pandas as pd

from hybridlib.data.files import (
    DatasetFormatError,
    LanguageRequest,
    PathLike,
    copy_retrieval,
    dataset_folder,
    file_stamp,
    pick_languages,
    read_squad_json,
    squad_paragraphs,
    squad_question,
)
from hybridlib.data.languages import TYDIQA_GOLDP_LANGUAGES, check_languages
from hybridlib.data.schema import CANDIDATE_COLUMNS, QUESTION_COLUMNS, RetrievalSet

#: The splits of the release (files ``tydiqa-goldp/{split}/<lang>.json``).
TYDI_SPLITS = ("dev", "train")


@functools.lru_cache(maxsize=8)
def _load_tydi_cached(name: str, files: tuple[tuple[str, str], ...], stamp: tuple[Any, ...]) -> RetrievalSet:
    del stamp
    q_rows: list[tuple[str, str, str, str, tuple[str, ...]]] = []
    c_rows: list[tuple[str, str, str, str]] = []
    for lang, path_str in files:
        path = Path(path_str)
        obj = read_squad_json(path)
        by_text: dict[str, str] = {}
        seen: set[str] = set()
        for pidx, para in squad_paragraphs(path, obj):
            context = para.get("context")
            if not isinstance(context, str):
                raise DatasetFormatError(f"{path}: paragraph {pidx} has no string 'context'")
            cid = by_text.get(context)
            if cid is None:
                cid = by_text[context] = f"{lang}/{len(by_text)}"
                c_rows.append((cid, lang, context, f"{lang}/{pidx}"))
            for qa in para["qas"]:
                qid, text, _ = squad_question(path, pidx, qa)
                if qid in seen:
                    raise DatasetFormatError(f"{path}: question id {qid!r} occurs twice")
                seen.add(qid)
                q_rows.append((f"{lang}/{qid}", qid, lang, text, (cid,)))
    return RetrievalSet(
        name,
        pd.DataFrame(q_rows, columns=list(QUESTION_COLUMNS)),
        pd.DataFrame(c_rows, columns=list(CANDIDATE_COLUMNS)),
    )


def load_tydiqa_goldp(
    split: str = "dev", data_dir: PathLike | None = None, languages: LanguageRequest = None
) -> RetrievalSet:
    """TyDi QA GoldP v1.1, one gold passage per question, candidates = distinct passages per language.

    Files ``tydiqa-goldp/{split}/<lang>.json``. The offline mirror's train split holds only en, ko
    and sw (``python -m hybridlib.download tydiqa-goldp`` fetches all nine from the official release).
    The set is named ``"tydiqa-goldp"`` for dev and ``"tydiqa-goldp-train"`` for train.
    """
    if split not in TYDI_SPLITS:
        raise ValueError(f"unknown TyDi QA GoldP split {split!r}; available: {', '.join(TYDI_SPLITS)}")
    check_languages(languages, TYDIQA_GOLDP_LANGUAGES, f"TyDi QA GoldP ({split})")
    folder = dataset_folder(data_dir, "tydiqa-goldp", "tydiqa-goldp") / split
    langs = pick_languages(
        languages,
        TYDIQA_GOLDP_LANGUAGES,
        lambda x: [folder / f"{x}.json"],
        f"TyDi QA GoldP ({split})",
        "tydiqa-goldp",
    )
    paths = [folder / f"{x}.json" for x in langs]
    files = tuple((x, str(p.resolve())) for x, p in zip(langs, paths, strict=True))
    name = "tydiqa-goldp" if split == "dev" else f"tydiqa-goldp-{split}"
    return copy_retrieval(_load_tydi_cached(name, files, file_stamp(paths)))
