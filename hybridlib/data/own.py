"""Your own data, by path: a folder named in ``train_sets`` / ``eval_sets``, or a file or folder named in
``align_data``, instead of a dataset name (README "Use your own data").

A parameter is a path when it holds a ``/`` or starts with ``.`` or ``~``
(:func:`hybridlib.dataset_names.is_set_path`); a relative path is taken from the repository root
(:func:`hybridlib.dataset_names.set_path`), and ``data_dir`` plays no part. What a folder holds
decides what it is:

* ``<lang>.json`` SQuAD files, one per language, question ids shared by a question's translations (like
  XQuAD-R and MLQA-R) — a retrieval set, read by the XQuAD-R / MLQA-R code
  (:func:`hybridlib.data.lareqa.load_squad_files`): trains and evaluates (Mo./Cr./Mul. mAP, rank distance);
* ``<lang>.tsv`` / ``<lang>.jsonl`` mMARCO-style triples (query, positive, negative) — monolingual
  training pairs with their negative (:func:`hybridlib.data.triples.read_triples_file`): trains only;
* parallel text for ``align_data``: a ``.tsv`` file of ``src_lang<TAB>src<TAB>tgt_lang<TAB>tgt`` lines,
  or a folder of such files and/or line-aligned pairs ``<name>.<lang>`` (``news.de`` + ``news.en``).

Languages come from file names: ISO 639-1 codes (``de.json``); a 639-3 code is mapped to 639-1 where
one exists (``deu.json`` is ``de``); any other two- or three-letter code is kept as written (a language
hybridlib has no name for). Hidden files, sub-folders and other files (``README.md``, ``LICENSE``) are
not read. Every problem raises once, naming the file (and line, record or position) and the fix,
before anything is returned: nothing is half-loaded.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hybridlib.config import DataFolderError
from hybridlib.data.files import DatasetFormatError, LanguageRequest, PathLike
from hybridlib.data.languages import check_languages, parse_language_code
from hybridlib.data.lareqa import load_squad_files
from hybridlib.data.parallel import aligned_pairs, read_parallel_tsv
from hybridlib.data.schema import PARALLEL_COLUMNS, ParallelSet, RetrievalSet
from hybridlib.data.triples import read_triples_file
from hybridlib.dataset_names import SQUAD_SUFFIX, TRIPLE_SUFFIXES, is_set_path, set_label, set_path

#: The two kinds of retrieval-set folder.
SQUAD, TRIPLES = "squad", "triples"
#: Files of a parallel folder that are documentation, not ``<name>.<lang>`` text.
_DOC_SUFFIXES = ("", ".md", ".txt")
_HELP = "README 'Use your own data' shows the layouts"


def _visible_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def own_folder(name: str) -> Path:
    """The folder a path-valued set names; DataFolderError when there is none."""
    path = set_path(name)
    if not path.is_dir():
        raise DataFolderError(
            f"{name!r}: {path} is no folder (relative paths start at the repository root). Give the "
            f"folder holding the files; {_HELP}."
        )
    return path


def _language_files(folder: Path, suffixes: tuple[str, ...]) -> dict[str, Path]:
    """``{language: file}`` of the files of ``folder`` with one of ``suffixes``, languages from names."""
    out: dict[str, Path] = {}
    for path in _visible_files(folder):
        if path.suffix not in suffixes:
            continue
        lang = parse_language_code(path.stem)
        if lang is None:
            raise DatasetFormatError(
                f"{path}: the file name must be the language's ISO 639-1 code, e.g. de{path.suffix} "
                f"(or 639-3, deu{path.suffix}); rename the file or move it out of the folder"
            )
        if lang in out:
            raise DatasetFormatError(
                f"{out[lang]} and {path} are both language {lang!r}; keep one file per language"
            )
        out[lang] = path
    return dict(sorted(out.items()))


def set_kind(name: str) -> str:
    """:data:`SQUAD` or :data:`TRIPLES`: what folder ``name`` holds (DatasetFormatError: neither, both)."""
    folder = own_folder(name)
    squad = _language_files(folder, (SQUAD_SUFFIX,))
    triples = _language_files(folder, TRIPLE_SUFFIXES)
    if squad and triples:
        raise DatasetFormatError(
            f"{folder} holds both SQuAD files ({', '.join(p.name for p in squad.values())}) and triple files "
            f"({', '.join(p.name for p in triples.values())}); a set is one kind: split them into two folders"
        )
    if not squad and not triples:
        raise DatasetFormatError(
            f"{folder} holds no <lang>.json SQuAD file and no <lang>.tsv / <lang>.jsonl triple file; {_HELP}"
        )
    return SQUAD if squad else TRIPLES


def is_triple_set(name: str) -> bool:
    """Whether the training set ``name`` (a name or a path) is a folder of triples."""
    return is_set_path(name) and set_kind(name) == TRIPLES


def _files_of(name: str, kind: str, languages: LanguageRequest) -> list[tuple[str, Path]]:
    folder = own_folder(name)
    suffixes = (SQUAD_SUFFIX,) if kind == SQUAD else TRIPLE_SUFFIXES
    files = _language_files(folder, suffixes)
    langs = check_languages(languages, list(files), str(folder))
    return [(lang, files[lang]) for lang in langs]


def own_languages(name: str) -> list[str]:
    """Languages of the set ``name``, read from its file names (nothing is parsed)."""
    return [lang for lang, _ in _files_of(name, set_kind(name), None)]


def load_own_retrieval_set(
    name: str,
    data_dir: PathLike | None = None,
    languages: LanguageRequest = None,
    *,
    dedup_text: bool = False,
) -> RetrievalSet:
    """The SQuAD folder ``name`` as a retrieval set named :func:`hybridlib.dataset_names.set_label`
    (``data_dir`` is accepted for the registry's signature and unused: a path names its own folder)."""
    del data_dir
    if set_kind(name) == TRIPLES:
        raise DatasetFormatError(
            f"{own_folder(name)} holds triple files (query, positive, negative): they train (train_sets) "
            "but cannot be evaluated or read as a retrieval set, which needs a candidate pool with golds. "
            "Move it to train_sets, or use a folder of <lang>.json SQuAD files."
        )
    return load_squad_files(set_label(name), _files_of(name, SQUAD, languages), dedup_text=dedup_text)


def load_own_triples(name: str, languages: LanguageRequest = None) -> pd.DataFrame:
    """Training pairs of the triple folder ``name``: the mMARCO pair table of every language file
    (``q_lang == p_lang`` = the file's language, ``kind`` mono, ``negative`` the given negative)."""
    if set_kind(name) != TRIPLES:
        raise DatasetFormatError(
            f"{own_folder(name)} holds SQuAD files, not triples: load it as a retrieval set"
        )
    tables = [read_triples_file(path, language=lang) for lang, path in _files_of(name, TRIPLES, languages)]
    return pd.concat(tables, ignore_index=True)


def _parallel_rows(path: Path) -> list[tuple[str, str, str, str, str]]:
    """Rows (pair_id, src_lang, src, tgt_lang, tgt) of a parallel TSV file."""
    return [(f"{path.name}/{i}", a, s, b, t) for i, a, s, b, t in read_parallel_tsv(path)]


def _aligned_rows(folder: Path, stem: str, files: dict[str, Path]) -> list[tuple[str, str, str, str, str]]:
    """Rows of one ``<stem>.<lang>`` pair: English (when present) is the target, else code order."""
    if len(files) != 2:
        raise DatasetFormatError(
            f"{folder}: {', '.join(p.name for p in files.values())} are {len(files)} line-aligned files "
            f"named {stem!r}; a name pairs exactly two languages ({stem}.de + {stem}.en): rename the others"
        )
    src, tgt = sorted(files, key=lambda lang: (lang == "en", lang))
    return [(f"{stem}.{src}-{tgt}/{i}", src, s, tgt, t) for i, s, t in aligned_pairs(files[src], files[tgt])]


def load_own_parallel(name: str, languages: LanguageRequest = None) -> ParallelSet:
    """Parallel pairs of a ``.tsv`` file or a folder (module docstring), whitespace-stripped, pairs with
    an empty side dropped; ``languages`` keeps the pairs with a side in one of them (like the
    ``align_languages`` of the built-in sources)."""
    path = set_path(name)
    if path.is_file():
        if path.suffix != ".tsv":
            raise DatasetFormatError(
                f"{path}: a parallel file is a .tsv of src_lang, src, tgt_lang, tgt lines"
            )
        rows = _parallel_rows(path)
    else:
        folder = own_folder(name)
        rows, stems = [], {}
        for file in _visible_files(folder):
            if file.suffix == ".tsv":
                rows += _parallel_rows(file)
            elif file.suffix not in _DOC_SUFFIXES:
                lang = parse_language_code(file.suffix[1:])
                if lang is None:
                    raise DatasetFormatError(
                        f"{file}: expected <name>.<lang> (news.de) or a .tsv file; rename or move it"
                    )
                stems.setdefault(file.stem, {})[lang] = file
        for stem, files in stems.items():
            rows += _aligned_rows(folder, stem, files)
    pairs = pd.DataFrame(rows, columns=list(PARALLEL_COLUMNS))
    pairs = pairs[(pairs["src"] != "") & (pairs["tgt"] != "")]
    if languages is not None:
        present = sorted(set(pairs["src_lang"]) | set(pairs["tgt_lang"]))
        keep = set(check_languages(languages, present, str(path)))
        pairs = pairs[pairs["src_lang"].isin(keep) | pairs["tgt_lang"].isin(keep)]
    if pairs.empty:
        raise DatasetFormatError(f"{path}: no parallel pair found (with a text on both sides); {_HELP}")
    return ParallelSet(set_label(name), pairs.reset_index(drop=True))
