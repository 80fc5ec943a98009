"""Locating and reading dataset files: the part every loader shares (:mod:`hybridlib.data.lareqa`,
:mod:`hybridlib.data.tydi`, :mod:`hybridlib.data.parallel`).

Where the files come from: ``data_dir`` (argument) > ``$HYBRIDLIB_DATA`` > ``../shared/data`` > the
download folder filled by ``python -m hybridlib.download`` (:func:`hybridlib.config.data_dir`). The
folder is laid out like ``../shared/data`` (``xquad-r/<lang>.json``, ``tatoeba/tatoeba.deu-eng.deu``...).

Loaders parse each file once per process (``functools.lru_cache`` keyed on the resolved paths, their
size and mtime — :func:`file_stamp` — and the options) and hand every caller its own copy of the tables
(:func:`copy_retrieval`), so a caller may mutate what it gets without corrupting later loads.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from hybridlib.config import DataFolderError
from hybridlib.config import data_dir as resolve_data_dir
from hybridlib.data.languages import check_languages
from hybridlib.data.schema import RetrievalSet

PathLike = str | os.PathLike
LanguageRequest = str | Sequence[str] | None


class DatasetFormatError(ValueError):
    """A dataset file exists but does not hold what its loader expects; the message names the file."""


def fix_hint(dataset: str) -> str:
    """The sentence every missing-file error ends with: how to get the files of ``dataset``."""
    return (
        f"Point $HYBRIDLIB_DATA (or the data_dir argument) at a folder laid out like ../shared/data, or "
        f"fetch the canonical files with `python -m hybridlib.download {dataset}`."
    )


def dataset_folder(data_dir: PathLike | None, folder: str, dataset: str) -> Path:
    """``<data folder>/<folder>``, which must exist (DataFolderError naming ``dataset`` otherwise)."""
    path = resolve_data_dir(data_dir) / folder
    if not path.is_dir():
        raise DataFolderError(f"{dataset}: dataset folder {path} does not exist. {fix_hint(dataset)}")
    return path


def pick_languages(
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
                f"{what}: no language file found (expected e.g. {expected}). {fix_hint(dataset)}"
            )
        return present
    for lang in langs:
        missing = [p for p in files(lang) if not p.is_file()]
        if missing:
            raise DataFolderError(
                f"{what}: file {missing[0]} for language {lang!r} does not exist. {fix_hint(dataset)}"
            )
    return langs


def file_stamp(paths: Iterable[Path]) -> tuple[tuple[str, int, int], ...]:
    """Cache key part that changes whenever a file is replaced or edited."""
    out = []
    for p in paths:
        st = p.stat()
        out.append((str(p.resolve()), st.st_size, st.st_mtime_ns))
    return tuple(out)


def read_squad_json(path: Path) -> dict[str, Any]:
    """A SQuAD-format JSON object (a ``data`` list of articles); DatasetFormatError otherwise."""
    try:
        with open(path, encoding="utf-8") as fh:
            obj = json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        # JSONDecodeError says where: "Expecting ',' delimiter: line 3 column 5 (char 40)".
        raise DatasetFormatError(
            f"{path}: not valid UTF-8 JSON ({err}); fix the file there (a JSON linter shows the spot)"
        ) from err
    if not isinstance(obj, dict) or not isinstance(obj.get("data"), list):
        raise DatasetFormatError(
            f"{path}: expected SQuAD format, a JSON object with a 'data' list of articles, each with "
            "'paragraphs' (README 'Use your own data')"
        )
    return obj


def squad_paragraphs(path: Path, obj: dict[str, Any]) -> Iterable[tuple[int, dict[str, Any]]]:
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


def squad_question(path: Path, pidx: int, qa: Any, index: int = 0) -> tuple[str, str, list[Any]]:
    """``(id, question text, answers)`` of the ``index``-th ``qas`` entry of paragraph ``pidx``."""
    if (
        not isinstance(qa, dict)
        or not isinstance(qa.get("id"), str)
        or not isinstance(qa.get("question"), str)
    ):
        given = f" (id {qa['id']!r})" if isinstance(qa, dict) and "id" in qa else ""
        raise DatasetFormatError(
            f"{path}: paragraph {pidx}, question {index}{given} lacks a string 'id'/'question'; every "
            "'qas' entry needs both (the id is shared by the question's translations)"
        )
    return qa["id"], qa["question"], qa.get("answers") or []


def copy_retrieval(rset: RetrievalSet) -> RetrievalSet:
    """A copy of a (cached) retrieval set whose tables the caller may mutate."""
    return RetrievalSet(rset.name, rset.questions.copy(), rset.candidates.copy())
