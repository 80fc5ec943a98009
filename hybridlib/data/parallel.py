"""Parallel (translation) sets as :class:`~hybridlib.data.schema.ParallelSet`: Tatoeba, the XOR-TyDi
QA ``trans_data`` and NTREX-128.

Both are line-aligned files; texts are whitespace-stripped and, by default, pairs with an empty side
are dropped (XOR-TyDi ``ar-en`` has one line whose English side is empty). Where the files come from
and how loads are cached: :mod:`hybridlib.data.files`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from hybridlib.config import DataFolderError
from hybridlib.data.files import (
    DatasetFormatError,
    LanguageRequest,
    PathLike,
    dataset_folder,
    file_stamp,
    fix_hint,
    pick_languages,
)
from hybridlib.data.languages import (
    NTREX_LANGUAGES,
    XOR_TYDI_LANGUAGES,
    check_languages,
    parse_language_code,
    to_iso1,
)
from hybridlib.data.schema import PARALLEL_COLUMNS, ParallelSet


def read_lines(path: Path) -> list[str]:
    """Lines of a line-aligned file (``\\n`` only: texts may hold other Unicode line separators)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise DatasetFormatError(f"{path}: not valid UTF-8 ({err})") from err
    if text.endswith("\n"):
        text = text[:-1]
    return [line.rstrip("\r") for line in text.split("\n")] if text else []


def aligned_pairs(src_path: Path, tgt_path: Path) -> list[tuple[int, str, str]]:
    """``(line index, source, target)`` of two line-aligned files (stripped); their line counts must match."""
    src, tgt = read_lines(src_path), read_lines(tgt_path)
    if len(src) != len(tgt):
        raise DatasetFormatError(
            f"{src_path} has {len(src)} lines but {tgt_path} has {len(tgt)}: line-aligned files must match "
            "(line i of one the translation of line i of the other); fix the shorter or longer one"
        )
    return [(i, s.strip(), t.strip()) for i, (s, t) in enumerate(zip(src, tgt, strict=True))]


#: Fields of a line of a parallel TSV file (one's own alignment data, :mod:`hybridlib.data.own`).
PARALLEL_TSV_FIELDS = ("src_lang", "src", "tgt_lang", "tgt")


def read_parallel_tsv(path: Path) -> list[tuple[int, str, str, str, str]]:
    """``(line index, src_lang, src, tgt_lang, tgt)`` per line of a ``src_lang<TAB>src<TAB>tgt_lang<TAB>tgt``
    file (no header; languages as ISO 639-1 or 639-3 codes, the latter mapped to 639-1)."""
    rows = []
    for i, line in enumerate(read_lines(path)):
        fields = line.split("\t")
        if len(fields) != len(PARALLEL_TSV_FIELDS):
            raise DatasetFormatError(
                f"{path}:{i + 1}: expected {len(PARALLEL_TSV_FIELDS)} tab-separated fields "
                f"({', '.join(PARALLEL_TSV_FIELDS)}), found {len(fields)}; no header line, no tab in a text"
            )
        langs = [parse_language_code(fields[0]), parse_language_code(fields[2])]
        if None in langs:
            bad = fields[0] if langs[0] is None else fields[2]
            raise DatasetFormatError(
                f"{path}:{i + 1}: {bad!r} is not a language code; write two or three letters (de, deu)"
            )
        rows.append((i, str(langs[0]), fields[1].strip(), str(langs[1]), fields[3].strip()))
    return rows


@functools.lru_cache(maxsize=16)
def _load_parallel_cached(
    name: str, files: tuple[tuple[str, str, str], ...], stamp: tuple[Any, ...]
) -> pd.DataFrame:
    """All pairs (nothing dropped) of ``files`` = ((src_lang, src path, en path), ...)."""
    del stamp
    rows = []
    for lang, src, tgt in files:
        for i, s, t in aligned_pairs(Path(src), Path(tgt)):
            rows.append((f"{lang}-en/{i}", lang, s, "en", t))
    return pd.DataFrame(rows, columns=list(PARALLEL_COLUMNS))


def _finish_parallel(
    name: str,
    files: list[tuple[str, Path, Path]],
    drop_empty: bool,
    exclude: Iterable[str] = (),
) -> ParallelSet:
    key = tuple((lang, str(s.resolve()), str(t.resolve())) for lang, s, t in files)
    pairs = _load_parallel_cached(name, key, file_stamp(p for _, s, t in files for p in (s, t)))
    keep = pd.Series(True, index=pairs.index)
    if drop_empty:
        keep &= (pairs["src"] != "") & (pairs["tgt"] != "")
    drop = {str(x).strip() for x in exclude}
    if drop:
        keep &= ~pairs["src"].isin(drop)
    return ParallelSet(name, pairs[keep].reset_index(drop=True))


def tatoeba_codes(folder: Path) -> dict[str, str]:
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
    folder = dataset_folder(data_dir, "tatoeba", "tatoeba")
    codes = tatoeba_codes(folder)
    if not codes:
        raise DataFolderError(f"Tatoeba: no tatoeba.XXX-eng.eng file in {folder}. {fix_hint('tatoeba')}")
    if isinstance(languages, str):
        languages = [languages]
    requested = None if languages is None else [to_iso1(x) for x in languages]
    langs = check_languages(requested, list(codes), "Tatoeba")
    files = []
    for lang in langs:
        iso3 = codes[lang]
        src = folder / f"tatoeba.{iso3}-eng.{iso3}"
        if not src.is_file():
            raise DataFolderError(f"Tatoeba: file {src} does not exist. {fix_hint('tatoeba')}")
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
    :func:`hybridlib.data.leakage.tydi_dev_overlap_free_translations` does it for TyDi QA GoldP dev.
    """
    check_languages(languages, XOR_TYDI_LANGUAGES, "XOR-TyDi trans_data")
    folder = dataset_folder(data_dir, "xor-tydi", "xor-tydi") / "trans_data"

    def files_of(lang: str) -> list[Path]:
        return [folder / f"{lang}-en" / f"{lang}.txt", folder / f"{lang}-en" / "en.txt"]

    langs = pick_languages(languages, XOR_TYDI_LANGUAGES, files_of, "XOR-TyDi trans_data", "xor-tydi")
    files = [(lang, *files_of(lang)) for lang in langs]
    return _finish_parallel("xor-tydi", [(x, s, t) for x, s, t in files], drop_empty, exclude_questions)


#: NTREX-128's file code of each language of :data:`NTREX_LANGUAGES` (``newstest2019-ref.<code>.txt``).
NTREX_FILE_CODES = {
    "ar": "arb", "bn": "ben", "de": "deu", "el": "ell", "es": "spa", "fi": "fin", "hi": "hin", "id": "ind",
    "ja": "jpn", "ko": "kor", "ro": "ron", "ru": "rus", "sw": "swa", "te": "tel", "th": "tha", "tr": "tur",
    "vi": "vie", "zh": "zho-CN",
}  # fmt: skip
#: The English source every NTREX-128 reference translates.
NTREX_SOURCE_FILE = "newstest2019-src.eng.txt"
#: Parts of NTREX-128: ``train`` (every line before the held-out ones), ``probe`` (the last
#: ``held_out`` lines: the bitext probe's, never trained on) and ``all``.
NTREX_PARTS = ("train", "probe", "all")


def load_ntrex(
    languages: LanguageRequest = None,
    data_dir: PathLike | None = None,
    *,
    part: str = "all",
    held_out: int = 0,
    drop_empty: bool = True,
) -> ParallelSet:
    """NTREX-128 (Federmann et al. 2022): 1,997 English news sentences (WMT19 test) and their human
    translations, line-aligned; one pair per line and language, ``src`` the translation (``src_lang``
    its ISO 639-1 code), ``tgt`` the English source. ``pair_id`` is ``<lang>-en/<line>``: the line is
    shared by the languages, so pairs of one line share their English side.

    ``part="probe"`` keeps the last ``held_out`` lines (whole news documents end the file), ``"train"``
    every line before them, ``"all"`` every line: the bitext probe (:mod:`hybridlib.evaluation.probe`)
    reads the probe part and the alignment objective the train part, so no run trains on a probe line.
    """
    if part not in NTREX_PARTS:
        raise ValueError(f"NTREX-128 part {part!r} is not one of {', '.join(NTREX_PARTS)}")
    if held_out < 0:
        raise ValueError(f"held_out = {held_out} must be >= 0")
    folder = dataset_folder(data_dir, "ntrex-128", "ntrex")
    english = folder / NTREX_SOURCE_FILE

    def files_of(lang: str) -> list[Path]:
        return [folder / f"newstest2019-ref.{NTREX_FILE_CODES[lang]}.txt", english]

    langs = pick_languages(languages, NTREX_LANGUAGES, files_of, "NTREX-128", "ntrex")
    result = _finish_parallel("ntrex", [(x, *files_of(x)) for x in langs], drop_empty)
    pairs = result.pairs
    if part != "all":
        n_lines = len(read_lines(english))
        if held_out >= n_lines:
            raise ValueError(f"held_out = {held_out} leaves no NTREX-128 line to train on ({n_lines} lines)")
        line = pairs["pair_id"].str.rsplit("/", n=1).str[1].astype(int)
        keep = line >= n_lines - held_out if part == "probe" else line < n_lines - held_out
        pairs = pairs[keep.to_numpy()].reset_index(drop=True)
    return ParallelSet("ntrex", pairs)
