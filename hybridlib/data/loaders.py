"""Dataset loaders: every retrieval set becomes a :class:`~hybridlib.data.schema.RetrievalSet`, every
translation set a :class:`~hybridlib.data.schema.ParallelSet` (the one schema, see ``hybridlib.data.schema``).

Where the files come from: ``data_dir`` (argument) > ``$HYBRIDLIB_DATA`` > ``../shared/data`` > the
download folder filled by ``python -m hybridlib.download`` (:func:`hybridlib.config.data_dir`). The
folder is laid out like ``../shared/data`` (``xquad-r/<lang>.json``, ``tatoeba/tatoeba.deu-eng.deu``...).

Rules that decide the published numbers (each is a test):

* **XQuAD-R / MLQA-R** (LAReQA). Every sentence of every paragraph is a candidate. Candidates are
  *not* merged by text: LAReQA's published pool sizes (XQuAD-R ar 1222, zh 1196; MLQA-R en 6264,
  hi 2426...) are exactly the raw sentence counts, while merging identical sentence texts within a
  language gives ar 1220, zh 1192, en 6262, hi 2419, and merging by (paragraph text, sentence) gives
  zh 1195, hi 2424 — neither reproduces them. ``dedup_text=True`` merges identical texts (a question
  whose gold was merged points at the surviving, first-seen candidate) for encoders that see the
  sentence alone, where exact copies would tie. A question's gold in its own language is the sentence
  whose ``[start, end)`` span in ``sentence_breaks`` holds the answer's ``answer_start``; its golds in
  the other loaded languages are the gold sentences of the questions with the same id (``xid``)
  there. ``gold`` lists the own-language gold first, then the other languages in code order.
* **TyDi QA GoldP**: candidates are the distinct gold passages (context texts) of a language; each
  question has one gold, its passage. Questions are not parallel, so ``xid`` is the question id.
* **Parallel sets** are line-aligned files; texts are whitespace-stripped and, by default, pairs with
  an empty side are dropped (XOR-TyDi ``ar-en`` has one line whose English side is empty).

Loading parses each file once per process (``functools.lru_cache`` keyed on the resolved paths, their
size and mtime, and the options) and hands every caller its own copy of the tables, so a caller may
mutate what it gets without corrupting later loads.
"""

from __future__ import annotations

import functools
import json
import os
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hybridlib.config import DataFolderError
from hybridlib.config import data_dir as resolve_data_dir
from hybridlib.data.languages import (
    MLQA_R_LANGUAGES,
    TYDIQA_GOLDP_LANGUAGES,
    XOR_TYDI_LANGUAGES,
    XQUAD_R_LANGUAGES,
    check_languages,
    to_iso1,
)
from hybridlib.data.schema import (
    CANDIDATE_COLUMNS,
    PARALLEL_COLUMNS,
    QUESTION_COLUMNS,
    ParallelSet,
    RetrievalSet,
)

PathLike = str | os.PathLike
LanguageRequest = str | Sequence[str] | None

TYDI_SPLITS = ("dev", "train")


class DatasetFormatError(ValueError):
    """A dataset file exists but does not hold what its loader expects; the message names the file."""


# --------------------------------------------------------------------------------------------------
# locating files


def _fix_hint(dataset: str) -> str:
    return (
        f"Point $HYBRIDLIB_DATA (or the data_dir argument) at a folder laid out like ../shared/data, or "
        f"fetch the canonical files with `python -m hybridlib.download {dataset}`."
    )


def _dataset_folder(data_dir: PathLike | None, folder: str, dataset: str) -> Path:
    path = resolve_data_dir(data_dir) / folder
    if not path.is_dir():
        raise DataFolderError(f"{dataset}: dataset folder {path} does not exist. {_fix_hint(dataset)}")
    return path


def _pick_languages(
    requested: LanguageRequest,
    known: Sequence[str],
    files: Callable[[str], Sequence[Path]],
    what: str,
    dataset: str,
) -> tuple[str, ...]:
    """Validate ``requested`` against ``known`` (ValueError), then require its files (DataFolderError).

    ``None`` means every known language whose files are all present, so a partial download loads.
    """
    langs = check_languages(requested, known, what)
    present = tuple(x for x in langs if all(p.is_file() for p in files(x)))
    if requested is None:
        if not present:
            expected = ", ".join(str(p) for p in files(known[0]))
            raise DataFolderError(
                f"{what}: no language file found (expected e.g. {expected}). {_fix_hint(dataset)}"
            )
        return present
    for lang in langs:
        missing = [p for p in files(lang) if not p.is_file()]
        if missing:
            raise DataFolderError(
                f"{what}: file {missing[0]} for language {lang!r} does not exist. {_fix_hint(dataset)}"
            )
    return langs


def _stamp(paths: Iterable[Path]) -> tuple[tuple[str, int, int], ...]:
    """Cache key part that changes whenever a file is replaced or edited."""
    out = []
    for p in paths:
        st = p.stat()
        out.append((str(p.resolve()), st.st_size, st.st_mtime_ns))
    return tuple(out)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            obj = json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DatasetFormatError(f"{path}: not valid UTF-8 JSON ({err})") from err
    if not isinstance(obj, dict) or not isinstance(obj.get("data"), list):
        raise DatasetFormatError(f"{path}: expected SQuAD format, a JSON object with a 'data' list")
    return obj


def _paragraphs(path: Path, obj: dict[str, Any]) -> Iterable[tuple[int, dict[str, Any]]]:
    """(running paragraph index, paragraph) over all articles, checking the SQuAD nesting."""
    index = 0
    for a, article in enumerate(obj["data"]):
        paragraphs = article.get("paragraphs") if isinstance(article, dict) else None
        if not isinstance(paragraphs, list):
            raise DatasetFormatError(f"{path}: article {a} has no 'paragraphs' list")
        for para in paragraphs:
            if not isinstance(para, dict) or not isinstance(para.get("qas"), list):
                raise DatasetFormatError(f"{path}: paragraph {index} (article {a}) has no 'qas' list")
            yield index, para
            index += 1


def _question(path: Path, pidx: int, qa: Any) -> tuple[str, str, list[Any]]:
    if (
        not isinstance(qa, dict)
        or not isinstance(qa.get("id"), str)
        or not isinstance(qa.get("question"), str)
    ):
        raise DatasetFormatError(f"{path}: paragraph {pidx} holds a question without string 'id'/'question'")
    return qa["id"], qa["question"], qa.get("answers") or []


# --------------------------------------------------------------------------------------------------
# XQuAD-R / MLQA-R


def _parse_lareqa(path: Path) -> tuple[list[tuple[str, int]], list[tuple[str, str, int]]]:
    """Candidates ``(sentence, paragraph index)`` and questions ``(xid, text, gold candidate index)``."""
    obj = _read_json(path)
    cands: list[tuple[str, int]] = []
    questions: list[tuple[str, str, int]] = []
    seen: set[str] = set()
    for pidx, para in _paragraphs(path, obj):
        sentences, breaks = para.get("sentences"), para.get("sentence_breaks")
        if not isinstance(sentences, list) or not isinstance(breaks, list):
            raise DatasetFormatError(
                f"{path}: paragraph {pidx} lacks 'sentences' or 'sentence_breaks' (not a LAReQA file?)"
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
        for qa in para["qas"]:
            xid, text, answers = _question(path, pidx, qa)
            if xid in seen:
                raise DatasetFormatError(f"{path}: question id {xid!r} occurs twice")
            seen.add(xid)
            try:
                start = int(answers[0]["answer_start"])
            except (IndexError, KeyError, TypeError, ValueError) as err:
                raise DatasetFormatError(
                    f"{path}: question {xid!r} has no answer with an answer_start"
                ) from err
            hit = next((i for i, (b, e) in enumerate(spans) if b <= start < e), None)
            if hit is None:
                raise DatasetFormatError(
                    f"{path}: question {xid!r}: answer_start {start} lies outside every sentence span "
                    f"{spans} of paragraph {pidx}"
                )
            questions.append((xid, text, base + hit))
    return cands, questions


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


def _copy_retrieval(rset: RetrievalSet) -> RetrievalSet:
    return RetrievalSet(rset.name, rset.questions.copy(), rset.candidates.copy())


def _load_lareqa(
    name: str,
    known: Sequence[str],
    what: str,
    data_dir: PathLike | None,
    languages: LanguageRequest,
    dedup_text: bool,
) -> RetrievalSet:
    check_languages(languages, known, what)  # a typo fails before any file system access
    folder = _dataset_folder(data_dir, name, name)
    langs = _pick_languages(languages, known, lambda x: [folder / f"{x}.json"], what, name)
    paths = [folder / f"{x}.json" for x in langs]
    files = tuple((x, str(p.resolve())) for x, p in zip(langs, paths, strict=True))
    return _copy_retrieval(_load_lareqa_cached(name, files, _stamp(paths), bool(dedup_text)))


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


# --------------------------------------------------------------------------------------------------
# TyDi QA GoldP


@functools.lru_cache(maxsize=8)
def _load_tydi_cached(name: str, files: tuple[tuple[str, str], ...], stamp: tuple[Any, ...]) -> RetrievalSet:
    del stamp
    q_rows: list[tuple[str, str, str, str, tuple[str, ...]]] = []
    c_rows: list[tuple[str, str, str, str]] = []
    for lang, path_str in files:
        path = Path(path_str)
        obj = _read_json(path)
        by_text: dict[str, str] = {}
        seen: set[str] = set()
        for pidx, para in _paragraphs(path, obj):
            context = para.get("context")
            if not isinstance(context, str):
                raise DatasetFormatError(f"{path}: paragraph {pidx} has no string 'context'")
            cid = by_text.get(context)
            if cid is None:
                cid = by_text[context] = f"{lang}/{len(by_text)}"
                c_rows.append((cid, lang, context, f"{lang}/{pidx}"))
            for qa in para["qas"]:
                qid, text, _ = _question(path, pidx, qa)
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
    folder = _dataset_folder(data_dir, "tydiqa-goldp", "tydiqa-goldp") / split
    langs = _pick_languages(
        languages,
        TYDIQA_GOLDP_LANGUAGES,
        lambda x: [folder / f"{x}.json"],
        f"TyDi QA GoldP ({split})",
        "tydiqa-goldp",
    )
    paths = [folder / f"{x}.json" for x in langs]
    files = tuple((x, str(p.resolve())) for x, p in zip(langs, paths, strict=True))
    name = "tydiqa-goldp" if split == "dev" else f"tydiqa-goldp-{split}"
    return _copy_retrieval(_load_tydi_cached(name, files, _stamp(paths)))


# --------------------------------------------------------------------------------------------------
# parallel sets


def _read_lines(path: Path) -> list[str]:
    """Lines of a line-aligned file (``\\n`` only: texts may hold other Unicode line separators)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise DatasetFormatError(f"{path}: not valid UTF-8 ({err})") from err
    if text.endswith("\n"):
        text = text[:-1]
    return [line.rstrip("\r") for line in text.split("\n")] if text else []


def _aligned_pairs(src_path: Path, tgt_path: Path) -> list[tuple[int, str, str]]:
    src, tgt = _read_lines(src_path), _read_lines(tgt_path)
    if len(src) != len(tgt):
        raise DatasetFormatError(
            f"{src_path} has {len(src)} lines but {tgt_path} has {len(tgt)}: line-aligned files must match"
        )
    return [(i, s.strip(), t.strip()) for i, (s, t) in enumerate(zip(src, tgt, strict=True))]


@functools.lru_cache(maxsize=16)
def _load_parallel_cached(
    name: str, files: tuple[tuple[str, str, str], ...], stamp: tuple[Any, ...]
) -> pd.DataFrame:
    """All pairs (nothing dropped) of ``files`` = ((src_lang, src path, en path), ...)."""
    del stamp
    rows = []
    for lang, src, tgt in files:
        for i, s, t in _aligned_pairs(Path(src), Path(tgt)):
            rows.append((f"{lang}-en/{i}", lang, s, "en", t))
    return pd.DataFrame(rows, columns=list(PARALLEL_COLUMNS))


def _finish_parallel(
    name: str,
    files: list[tuple[str, Path, Path]],
    drop_empty: bool,
    exclude: Iterable[str] = (),
) -> ParallelSet:
    key = tuple((lang, str(s.resolve()), str(t.resolve())) for lang, s, t in files)
    pairs = _load_parallel_cached(name, key, _stamp(p for _, s, t in files for p in (s, t)))
    keep = pd.Series(True, index=pairs.index)
    if drop_empty:
        keep &= (pairs["src"] != "") & (pairs["tgt"] != "")
    drop = {str(x).strip() for x in exclude}
    if drop:
        keep &= ~pairs["src"].isin(drop)
    return ParallelSet(name, pairs[keep].reset_index(drop=True))


def _tatoeba_codes(folder: Path) -> dict[str, str]:
    """hybridlib code (639-1 where one exists) → the 639-3 code in the file names, sorted."""
    codes = {}
    for p in sorted(folder.glob("tatoeba.*-eng.eng")):
        iso3 = p.name[len("tatoeba.") :].split("-eng.")[0]
        codes[to_iso1(iso3)] = iso3
    return dict(sorted(codes.items()))


def load_tatoeba(
    languages: LanguageRequest = None, data_dir: PathLike | None = None, *, drop_empty: bool = True
) -> ParallelSet:
    """Tatoeba (LASER v1 release): 1000 X↔English pairs per language, 112 languages.

    ``languages`` takes ISO 639-1 or 639-3 codes (``"de"`` or ``"deu"``); ``src_lang`` is the 639-1
    code where one exists, else the 639-3 code; ``tgt_lang`` is ``"en"``. Note that the English side
    differs per language (each pair file was sampled separately).
    """
    folder = _dataset_folder(data_dir, "tatoeba", "tatoeba")
    codes = _tatoeba_codes(folder)
    if not codes:
        raise DataFolderError(f"Tatoeba: no tatoeba.XXX-eng.eng file in {folder}. {_fix_hint('tatoeba')}")
    if isinstance(languages, str):
        languages = [languages]
    requested = None if languages is None else [to_iso1(x) for x in languages]
    langs = check_languages(requested, list(codes), "Tatoeba")
    files = []
    for lang in langs:
        iso3 = codes[lang]
        src = folder / f"tatoeba.{iso3}-eng.{iso3}"
        if not src.is_file():
            raise DataFolderError(f"Tatoeba: file {src} does not exist. {_fix_hint('tatoeba')}")
        files.append((lang, src, folder / f"tatoeba.{iso3}-eng.eng"))
    return _finish_parallel("tatoeba", files, drop_empty)


def load_xor_tydi_translations(
    languages: LanguageRequest = None,
    exclude_questions: Iterable[str] = (),
    data_dir: PathLike | None = None,
    *,
    drop_empty: bool = True,
) -> ParallelSet:
    """XOR-TyDi QA ``trans_data``: human English translations of TyDi QA *train* questions.

    ``exclude_questions`` drops every pair whose non-English side equals one of the given texts
    (both whitespace-stripped) — pass the questions you evaluate on so that none is trained on;
    :func:`tydi_dev_overlap_free_translations` does it for TyDi QA GoldP dev.
    """
    check_languages(languages, XOR_TYDI_LANGUAGES, "XOR-TyDi trans_data")
    folder = _dataset_folder(data_dir, "xor-tydi", "xor-tydi") / "trans_data"

    def files_of(lang: str) -> list[Path]:
        return [folder / f"{lang}-en" / f"{lang}.txt", folder / f"{lang}-en" / "en.txt"]

    langs = _pick_languages(languages, XOR_TYDI_LANGUAGES, files_of, "XOR-TyDi trans_data", "xor-tydi")
    files = [(lang, *files_of(lang)) for lang in langs]
    return _finish_parallel("xor-tydi", [(x, s, t) for x, s, t in files], drop_empty, exclude_questions)


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


# --------------------------------------------------------------------------------------------------
# evaluation subsets


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


# --------------------------------------------------------------------------------------------------
# no evaluation question in training text


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


# --------------------------------------------------------------------------------------------------
# registry


RETRIEVAL_SETS: dict[str, Callable[..., RetrievalSet]] = {
    "xquad-r": load_xquad_r,
    "mlqa-r": load_mlqa_r,
    "tydiqa-goldp": load_tydiqa_goldp,
}
PARALLEL_SETS: dict[str, Callable[..., ParallelSet]] = {
    "tatoeba": load_tatoeba,
    "xor-tydi": load_xor_tydi_translations,
}


def _registered(name: str, registry: dict[str, Any], what: str) -> str:
    key = str(name).strip().lower().replace("_", "-")
    if key not in registry:
        raise ValueError(f"unknown {what} {name!r}; valid names: {', '.join(registry)}")
    return key


def load_retrieval_set(name: str, **kwargs: Any) -> RetrievalSet:
    """Load a retrieval set by registry name (``xquad-r``, ``mlqa-r``, ``tydiqa-goldp``)."""
    return RETRIEVAL_SETS[_registered(name, RETRIEVAL_SETS, "retrieval set")](**kwargs)


def load_parallel_set(name: str, **kwargs: Any) -> ParallelSet:
    """Load a parallel set by registry name (``tatoeba``, ``xor-tydi``)."""
    return PARALLEL_SETS[_registered(name, PARALLEL_SETS, "parallel set")](**kwargs)


def available_languages(name: str, data_dir: PathLike | None = None, split: str = "dev") -> list[str]:
    """Languages of set ``name`` whose files are present in the data folder (``split``: TyDi only)."""
    names = {**RETRIEVAL_SETS, **PARALLEL_SETS}
    key = _registered(name, names, "dataset")
    if key == "tatoeba":
        return list(_tatoeba_codes(_dataset_folder(data_dir, "tatoeba", "tatoeba")))
    if key == "xor-tydi":
        folder = _dataset_folder(data_dir, "xor-tydi", "xor-tydi") / "trans_data"
        return [x for x in XOR_TYDI_LANGUAGES if (folder / f"{x}-en" / f"{x}.txt").is_file()]
    if key == "tydiqa-goldp":
        if split not in TYDI_SPLITS:
            raise ValueError(f"unknown TyDi QA GoldP split {split!r}; available: {', '.join(TYDI_SPLITS)}")
        folder = _dataset_folder(data_dir, key, key) / split
        known: Sequence[str] = TYDIQA_GOLDP_LANGUAGES
    else:
        folder = _dataset_folder(data_dir, key, key)
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
PARALLEL_FOLDERS = {"xor-tydi": "xor-tydi", "tatoeba": "tatoeba"}
