"""A run folder's evaluated arms: which arms have result files, and the model, precision and parameters
each arm's evaluation used (read back from its result files), for :mod:`hybridlib.experiment.search`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hybridlib.config import local_path, repo_path
from hybridlib.evaluation.results import ResultFileError, load_result
from hybridlib.params import ARMS, Params, validate


class SearchError(ValueError):
    """A run folder, arm, dataset or question that cannot be searched; the message says how to fix it."""


@dataclass
class Arm:
    """One evaluated arm of a run: the model its results were computed with and how."""

    name: str
    model_path: str
    precision: str
    params: Params
    results: dict[str, dict[str, Any]] = field(repr=False)


def _arm_order(name: str) -> tuple[int, str]:
    return (ARMS.index(name) if name in ARMS else len(ARMS), name)


def result_arms(run_dir: str | Path) -> dict[str, list[Path]]:
    """``{arm: [result JSON files]}`` present under ``<run_dir>/results`` (experiment order)."""
    root = repo_path(run_dir) / "results"
    found = {}
    if root.is_dir():
        for folder in root.iterdir():
            files = sorted(f for f in folder.glob("*.json")) if folder.is_dir() else []
            if files:
                found[folder.name] = files
    return {a: found[a] for a in sorted(found, key=_arm_order)}


def _params_of(result: dict[str, Any], path: Path) -> Params:
    recorded = result.get("parameters") or {}
    known = {k: v for k, v in recorded.items() if k in Params.__dataclass_fields__}
    try:
        return validate(known)
    except ValueError as err:
        raise SearchError(f"{path}: the parameters recorded in this result are not valid: {err}") from None


def load_arms(run_dir: str | Path, arms: Sequence[str] | None = None) -> dict[str, Arm]:
    """The evaluated arms of ``run_dir`` (all, or ``arms`` in that order).

    Raises :class:`SearchError` for a run folder without results (run ``make run`` first) and for an
    arm without results (the message lists the arms present).
    """
    root = repo_path(run_dir)
    present = result_arms(root)
    if not present:
        where = "does not exist" if not root.is_dir() else f"has no result files under {root / 'results'}"
        raise SearchError(
            f"run folder {root} {where}: run `make run` (or `python -m hybridlib.pipeline --params "
            "params/<file>.yaml`) first, or point --run-dir / run_dir at a run folder with results/<arm>/."
        )
    wanted = list(arms) if arms else list(present)
    unknown = [a for a in wanted if a not in present]
    if unknown:
        raise SearchError(
            f"no results for arm(s) {', '.join(map(repr, unknown))} in {root}; arms present: "
            f"{', '.join(present)}"
        )
    out = {}
    for name in wanted:
        try:
            results = {f.stem: load_result(f) for f in present[name]}
        except ResultFileError as err:
            raise SearchError(str(err)) from None
        first_path = present[name][0]
        first = results[first_path.stem]
        params = _params_of(first, first_path)
        # a trained model is recorded relative to its run folder: found in this folder, wherever it lies now
        model_path = local_path((first.get("parameters") or {}).get("model_path") or params.model, root)
        precision = (first.get("provenance") or {}).get("precision")
        if precision is None:  # results written before provenance was recorded: resolve as evaluation did
            from hybridlib.model.encoder import load_encoder

            precision = load_encoder(model_path, precision=params.precision).precision
        out[name] = Arm(name, str(model_path), str(precision), params, results)
    return out
