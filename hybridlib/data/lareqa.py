"""XQuAD-R and MLQA-R (LAReQA) as :class:`~hybridlib.data.schema.RetrievalSet`, and their evaluation subset
of whole question groups (:func:`first_paragraphs`).

Rules that decide the published numbers (each is a test):

* Every sentence of every paragraph is a candidate. Candidates are *not* merged by text: LAReQA's
  published pool sizes (XQuAD-R ar 1222, zh 1196; MLQA-R en 6264, hi 2426...) are exactly the raw
  sentence counts, while merging identical sentence texts within a language gives ar 1220, zh 1192,
  en 6262, hi 2419, and merging by (paragraph text, sentence) gives zh 1195, hi 2424 — neither
  reproduces them. ``dedup_text=True`` merges identical texts (a question whose gold was merged points
  at the surviving, first-seen candidate) for encoders that see the sentence alone, where exact copies
  would tie.
* A question's gold in its own language is the sentence whose ``[start, end)`` span in
  ``sentence_breaks`` holds the answer's ``answer_start``; its golds in the other loaded languages are
  the gold sentences of the questions with the same id (``xid``) there. ``gold`` lists the
  own-language gold first, then the other languages in code order.
* A paragraph without ``sentences`` and ``sentence_breaks`` (plain SQuAD, as one's own data may be:
  :mod:`hybridlib.data.own`) is one candidate, its ``context``; LAReQA's files always have both.

Where the files come from and how loads are cached: :mod:`hybridlib.data.files`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
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
from hybridlib.data.languages import MLQA_R_LANGUAGES, XQUAD_R_LANGUAGES, check_languages
from hybridlib.data.schema import CANDIDATE_COLUMNS, QUESTION_COLUMNS, RetrievalSet


def _parse_lareqa(path: Path) -> tuple[list[tuple[str, int]], list[tuple[str, str, int]]]:
    """Candidates ``(sentence, paragraph index)`` and questions ``(xid, text, gold candidate index)``."""
    obj = read_squad_json(path)
    cands: list[tuple[str, int]] = []
    questions: list[tuple[str, str, int]] = []
    seen: set[str] = set()
    for pidx, para in squad_paragraphs(path, obj):
        sentences, breaks = para.get("sentences"), para.get("sentence_breaks")
        if sentences is None and breaks is None:
            sentences, breaks = _whole_context(path, pidx, para)
        if not isinstance(sentences, list) or not isinstance(breaks, list):
            raise DatasetFormatError(
                f"{path}: paragraph {pidx} lacks 'sentences' or 'sentence_breaks' (not a LAReQA file?); "
                "give both (one candidate per sentence) or neither (the 'context' is one candidate)"
            )
        if len(sentences) != len(breaks):
            raise DatasetFormatError(
                f"{path}: paragraph {pidx} has {len(sentences)} sentences but {len(breaks)} sentence_breaks"
            )
        try:
            spans = [(int(b), int(e)) for b, e in breaks]
        except (TypeError, ValueError) as err:
            raise DatasetFormatError(f"{path}: paragraph {pidx} has malformed sentence_breaks") from err
        base = len(cands)
        cands.extend((str(s), pidx) for s in sentences)
        for q, qa in enumerate(para["qas"]):
            xid, text, answers = squad_question(path, pidx, qa, q)
            if xid in seen:
                raise DatasetFormatError(
                    f"{path}: question id {xid!r} occurs twice; ids must be unique within a language file"
                )
            seen.add(xid)
            try:
                start = int(answers[0]["answer_start"])
            except (IndexError, KeyError, TypeError, ValueError) as err:
                raise DatasetFormatError(
                    f"{path}: question {xid!r} (paragraph {pidx}) has no answer with an answer_start; give "
                    "it 'answers': [{'text': ..., 'answer_start': <character offset in the context>}]"
                ) from err
            hit = next((i for i, (b, e) in enumerate(spans) if b <= start < e), None)
            if hit is None:
                raise DatasetFormatError(
                    f"{path}: question {xid!r}: answer_start {start} lies outside every sentence span "
                    f"{spans} of paragraph {pidx}"
                )
            questions.append((xid, text, base + hit))
    return cands, questions


def _whole_context(path: Path, pidx: int, para: dict[str, Any]) -> tuple[list[str], list[list[int]]]:
    """A plain SQuAD paragraph as one candidate: its ``context``, spanning every answer offset."""
    context = para.get("context")
    if not isinstance(context, str):
        raise DatasetFormatError(
            f"{path}: paragraph {pidx} has neither a 'context' string (SQuAD) nor 'sentences' and "
            "'sentence_breaks' (LAReQA); give it its text as 'context'"
        )
    return [context], [[0, len(context)]]


@functools.lru_cache(maxsize=16)
def _load_lareqa_cached(
    name: str, files: tuple[tuple[str, str], ...], stamp: tuple[Any, ...], dedup_text: bool
) -> RetrievalSet:
    del stamp  # only part of the cache key
    cand_rows: list[tuple[str, str, str, str]] = []
    per_lang: dict[str, dict[str, tuple[str, str]]] = {}  # lang -> xid -> (question text, gold cid)
    for lang, path in files:
        cands, questions = _parse_lareqa(Path(path))
        keep: dict[str, int] = {}  # text -> new index (dedup) ; positional otherwise
        remap: list[int] = []
        for text, pidx in cands:
            if dedup_text and text in keep:
                remap.append(keep[text])
                continue
            new = len(keep) if dedup_text else len(remap)
            if dedup_text:
                keep[text] = new
            remap.append(new)
            cand_rows.append((f"{lang}/{new}", lang, text, f"{lang}/{pidx}"))
        per_lang[lang] = {xid: (text, f"{lang}/{remap[g]}") for xid, text, g in questions}
    q_rows = []
    langs = [lang for lang, _ in files]
    for lang in langs:
        for xid, (text, own) in per_lang[lang].items():
            others = tuple(per_lang[o][xid][1] for o in langs if o != lang and xid in per_lang[o])
            q_rows.append((f"{lang}/{xid}", xid, lang, text, (own, *others)))
    return RetrievalSet(
        name,
        pd.DataFrame(q_rows, columns=list(QUESTION_COLUMNS)),
        pd.DataFrame(cand_rows, columns=list(CANDIDATE_COLUMNS)),
    )


def _load_lareqa(
    name: str,
    known: Sequence[str],
    what: str,
    data_dir: PathLike | None,
    languages: LanguageRequest,
    dedup_text: bool,
) -> RetrievalSet:
    check_languages(languages, known, what)  # a typo fails before any file system access
    folder = dataset_folder(data_dir, name, name)
    langs = pick_languages(languages, known, lambda x: [folder / f"{x}.json"], what, name)
    return load_squad_files(name, [(x, folder / f"{x}.json") for x in langs], dedup_text=dedup_text)


def load_squad_files(
    name: str, files: Sequence[tuple[str, Path]], *, dedup_text: bool = False
) -> RetrievalSet:
    """A retrieval set named ``name`` from SQuAD files, one ``(language, path)`` per language, whose
    questions share ids across languages (the rules of the module docstring); XQuAD-R, MLQA-R and
    one's own folders (:mod:`hybridlib.data.own`) all load through it."""
    paths = [Path(p) for _, p in files]
    key = tuple((lang, str(p.resolve())) for (lang, _), p in zip(files, paths, strict=True))
    return copy_retrieval(_load_lareqa_cached(name, key, file_stamp(paths), bool(dedup_text)))


def load_xquad_r(
    data_dir: PathLike | None = None, languages: LanguageRequest = None, *, dedup_text: bool = False
) -> RetrievalSet:
    """XQuAD-R (LAReQA): 1190 questions in each of 11 languages, every one with a gold in all 11.

    ``languages=None`` loads every language whose file is present; golds only point into the loaded
    languages. See the module docstring for the candidate and gold rules and ``dedup_text``.
    """
    return _load_lareqa("xquad-r", XQUAD_R_LANGUAGES, "XQuAD-R", data_dir, languages, dedup_text)


def load_mlqa_r(
    data_dir: PathLike | None = None, languages: LanguageRequest = None, *, dedup_text: bool = False
) -> RetrievalSet:
    """MLQA-R (LAReQA; MLQA v1 dev): 500–1148 questions per language, each with golds in 2–4 languages.

    Licence: CC BY-NC 4.0 (non-commercial). Same rules as :func:`load_xquad_r`.
    """
    return _load_lareqa("mlqa-r", MLQA_R_LANGUAGES, "MLQA-R", data_dir, languages, dedup_text)


def first_paragraphs(rset: RetrievalSet, n: int | None) -> RetrievalSet:
    """A parallel subset of XQuAD-R / MLQA-R made of whole question groups (``eval_max_paragraphs``).

    1. The kept question ids are the ``xid`` of every question whose own gold lies in the first ``n``
       paragraphs (by paragraph index) of its language, over all loaded languages.
    2. Every language keeps all its questions with those ids (and no other), with *all* their golds,
       so every language has the same kept ids (those of the ids it has at all).
    3. The pool of every language is the paragraphs (every sentence of them) that hold a gold of a
       kept question: each kept question finds every one of its golds, in every language, in the pool.

    Deterministic (file order only). On XQuAD-R, whose paragraph ``k`` is the same text in every
    language, this is exactly the first ``n`` paragraphs of every language and their questions. On
    MLQA-R, whose paragraphs are not aligned by index, each language's first ``n`` paragraphs are
    completed with the paragraphs that hold the other golds of their questions' groups (cutting at
    ``n`` alone would leave most kept questions without their golds in other languages). ``None``
    keeps everything.
    """
    if n is None:
        return rset
    qs, cands = rset.questions, rset.candidates
    cand_paragraph = dict(zip(cands["cid"], cands["paragraph"], strict=True))
    ids = {
        xid
        for xid, gold in zip(qs["xid"], qs["gold"], strict=True)
        if int(cand_paragraph[gold[0]].rsplit("/", 1)[1]) < n
    }
    kept_qs = qs[qs["xid"].isin(ids)].reset_index(drop=True)
    paragraphs = {cand_paragraph[g] for gold in kept_qs["gold"] for g in gold}
    kept_cands = cands[cands["paragraph"].isin(paragraphs)].reset_index(drop=True)
    return RetrievalSet(rset.name, kept_qs, kept_cands)
