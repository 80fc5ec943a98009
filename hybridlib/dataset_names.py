"""How a dataset parameter names a set: a registry name (``mlqa-r``) or a path to one's own data.

A ``train_sets`` / ``eval_sets`` entry or ``align_data`` holding ``/`` (or starting with ``.`` or ``~``)
is a path (README "Use your own data"); bare words are always registry names, so a parameter file
means the same whatever folders exist. Part of the core: parameters, fingerprints, loaders and result
paths all ask these questions.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Repository root: relative paths in parameters (``run_dir``, ``figures_dir``, datasets given by path)
#: resolve against it, so a parameter file means the same from the shell, ``make`` and papermill
#: (which runs notebooks in ``notebooks/``).
REPO_ROOT = Path(__file__).resolve().parent.parent
#: Files a dataset folder given by path holds (README "Use your own data"): ``<lang>.json`` SQuAD files
#: (a retrieval set: trains and evaluates) or ``<lang>.tsv`` / ``<lang>.jsonl`` triples (trains only).
SQUAD_SUFFIX = ".json"
TRIPLE_SUFFIXES = (".tsv", ".jsonl")


def is_set_path(name: str) -> bool:
    """Whether a dataset parameter (``train_sets``/``eval_sets`` entry, ``align_data``) is a path to
    one's own data: it holds a path separator or starts with ``.`` or ``~``. Bare words are always
    dataset names, so a parameter file means the same whatever folders exist."""
    text = str(name).strip()
    return "/" in text or os.sep in text or text.startswith((".", "~"))


def set_path(name: str) -> Path:
    """What a path-valued dataset parameter names: ``~`` expanded, relative to :data:`REPO_ROOT`."""
    return (REPO_ROOT / Path(str(name).strip()).expanduser()).resolve()


def set_label(name: str) -> str:
    """A dataset in file names and tables: a name as given, a path's last part as written (``own/qa``
    → ``qa``; a symlink keeps its own name)."""
    if not is_set_path(name):
        return str(name)
    return os.path.basename(os.path.normpath(REPO_ROOT / Path(str(name).strip()).expanduser()))


def canonical_set(name: str) -> str:
    """One set, one key: a name lower-cased with ``_`` as ``-``; a path resolved (one folder, one set)."""
    return str(set_path(name)) if is_set_path(name) else str(name).strip().lower().replace("_", "-")
