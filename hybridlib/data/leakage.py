"""No evaluation question in training text: the leakage filter every alignment source goes through.

Texts are compared after :func:`normalize_question` (NFKC, casefold, whitespace collapsed), so a
translation that differs from an evaluation question only in case or spacing still counts as a hit.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

import pandas as pd

from hybridlib.data.files import LanguageRequest, PathLike
from hybridlib.data.loaders import load_retrieval_set
from hybridlib.data.parallel import load_xor_tydi_translations
from hybridlib.data.schema import ParallelSet


def normalize_question(text: str) -> str:
    """The form in which texts are compared for leakage: Unicode NFKC, ``str.casefold``, every run of
    whitespace collapsed to one space, stripped (``" Who  is X?"`` == ``"who is x?"``)."""
    return " ".join(unicodedata.normalize("NFKC", str(text)).casefold().split())


def evaluation_questions(names: Iterable[str], data_dir: PathLike | None = None) -> frozenset[str]:
    """Normalised (:func:`normalize_question`) texts of every question of the retrieval sets ``names``:
    all languages present and the whole set (not the ``eval_max_paragraphs`` / ``tydi_max_questions``
    subset, so a larger evaluation later stays clean); TyDi QA GoldP is its dev split."""
    out: set[str] = set()
    for name in names:
        out |= {normalize_question(t) for t in load_retrieval_set(name, data_dir=data_dir).questions["text"]}
    return frozenset(out)


def without_evaluation_questions(
    pairs: pd.DataFrame,
    eval_sets: Iterable[str] = (),
    data_dir: PathLike | None = None,
    *,
    questions: Iterable[str] = (),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(kept, dropped)`` rows of a parallel table: a pair is dropped when its ``src`` *or* ``tgt``
    equals, after :func:`normalize_question` on both sides, any question of any retrieval set named
    in ``eval_sets`` (see :func:`evaluation_questions`) or any text in ``questions``.

    Used for every alignment source (XOR-TyDi, Tatoeba, the training sets' own questions) against
    every evaluation set, so the alignment objective never sees a question it is evaluated on.
    """
    banned = evaluation_questions(eval_sets, data_dir=data_dir) | {normalize_question(q) for q in questions}
    src = pairs["src"].map(normalize_question).isin(banned)
    hit = (src | pairs["tgt"].map(normalize_question).isin(banned)).to_numpy(dtype=bool)
    return pairs[~hit].reset_index(drop=True), pairs[hit].reset_index(drop=True)


def tydi_dev_overlap_free_translations(
    languages: LanguageRequest = None, data_dir: PathLike | None = None, *, drop_empty: bool = True
) -> ParallelSet:
    """XOR-TyDi ``trans_data`` minus the pairs that hold a TyDi QA GoldP dev question on either side.

    :func:`without_evaluation_questions` against ``tydiqa-goldp`` (dev, all languages). Ten dev
    questions (bn 4, ko 6) occur among the translated train questions, one of them twice (11 pairs),
    and four English translations (fi 1, ja 1, ru 2) equal an English dev question, so 15 pairs go;
    training on the rest keeps the TyDi evaluation zero-shot with respect to questions.
    """
    pairs = load_xor_tydi_translations(languages, data_dir=data_dir, drop_empty=drop_empty)
    kept, _ = without_evaluation_questions(pairs.pairs, ["tydiqa-goldp"], data_dir=data_dir)
    return ParallelSet(pairs.name, kept)
