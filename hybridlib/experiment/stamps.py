"""Stage stamps: what a stage's outputs were computed from, hashed (``<run_dir>/.stamps/<stage>.json``).

A stamp hashes the notebook, its parameters, the stamps of the stages it depends on and what the stage
reads (:func:`stage_inputs`): every ``hybridlib`` module the notebook can import, the dataset folders
its parameters name and the base model. :func:`stage_seconds` reads the recorded stamps back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hybridlib.config import run_root
from hybridlib.data.loaders import alignment_source
from hybridlib.experiment.stages import NOTEBOOKS, Stage, build_stages
from hybridlib.fingerprint import code_fingerprint, data_fingerprint, model_fingerprint
from hybridlib.params import Params


def stage_inputs(parameters: Mapping[str, Any], notebook: Path, *, model: str | None) -> dict[str, Any]:
    """What a pipeline stage reads besides its parameters: the code its notebook can run, the dataset
    folders its parameters name, and ``model`` (the base model a stage loads by name; ``None`` for a
    model trained by an earlier stage, whose identity is in that stage's stamp)."""
    names = [*parameters.get("train_sets", []), *parameters.get("eval_sets", [])]
    # A stage reads the alignment data when it trains with λ > 0, or always when it has no λ (01_data).
    source = alignment_source(parameters["align_data"]) if "align_data" in parameters else None
    if source is not None and parameters.get("align_weight", 1) > 0:
        names.append(source)
    return {
        "code": code_fingerprint(notebook),
        "data": data_fingerprint(names, parameters.get("data_dir")) if names else {},
        "model": model_fingerprint(model) if model is not None else None,
    }


def stage_fingerprint(stage: Stage, dep_stamps: list[str]) -> dict[str, Any]:
    """Everything a stage's outputs are computed from (hashed into its stamp, recorded beside it)."""
    # The .py pair is the source of truth (the .ipynb carries random cell ids that change on re-pairing).
    notebook = NOTEBOOKS / f"{stage.notebook}.py"
    return {
        "notebook": hashlib.sha256(notebook.read_bytes()).hexdigest()[:16],
        "parameters": stage.parameters,
        "inputs": stage_inputs(stage.parameters, notebook, model=stage.model),
        "dependencies": dep_stamps,
    }


def stamp_of(fingerprint: Mapping[str, Any]) -> str:
    """The stamp: sha256 of a :func:`stage_fingerprint`."""
    return hashlib.sha256(json.dumps(fingerprint, sort_keys=True, default=str).encode()).hexdigest()


def stage_stamp(stage: Stage, dep_stamps: list[str]) -> str:
    return stamp_of(stage_fingerprint(stage, dep_stamps))


def stage_seconds(params: Params) -> dict[str, float]:
    """Notebook seconds of each stage's last run, for stages whose stamp matches ``params`` now
    (a stage never run, or last run with other inputs, is left out)."""
    out: dict[str, float] = {}
    stamps: dict[str, str] = {}
    for stage in build_stages(params):
        stamps[stage.id] = stage_stamp(stage, [stamps[d] for d in stage.deps])
        stamp_file = run_root(params) / ".stamps" / f"{stage.id}.json"
        if stamp_file.is_file():
            try:
                recorded = json.loads(stamp_file.read_text())
            except ValueError:  # damaged: the pipeline runs that stage again
                continue
            if recorded.get("stamp") == stamps[stage.id] and "seconds" in recorded:
                out[stage.id] = float(recorded["seconds"])
    return out
