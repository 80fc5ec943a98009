"""The run folder: where each stage of the experiment writes, and the evaluation of one model.

Layout of ``<run_dir>`` (``params.run_dir``, relative paths resolve against the repository root)::

    train/<run name>-<identity>/ one training run (hybridlib.train): model/, train_log.csv, summary.json,
                                 identity.json (what the model depends on; its digest ends the name)
    results/<arm>/<dataset>.json one evaluation (hybridlib.evaluate schema) + .per_query.npz + TREC files
    notebooks/<stage>.ipynb      executed copies of the notebooks (papermill)
    .stamps/<stage>.json         what each pipeline stage was computed from (hybridlib.pipeline)

Embeddings are cached under ``<cache>/embeddings`` keyed by model, text kind and the exact texts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hybridlib.config import REPO_ROOT
from hybridlib.params import Params, arm_settings, run_name, same_training


def repo_path(path: str | Path) -> Path:
    """``path`` if absolute, else relative to the repository root (notebooks run from notebooks/)."""
    path = Path(path)
    return path if path.is_absolute() else REPO_ROOT / path


def run_root(params: Params) -> Path:
    return repo_path(params.run_dir)


def figures_dir(params: Params) -> Path:
    out = repo_path(params.figures_dir)
    out.mkdir(parents=True, exist_ok=True)
    return out


def train_dir(params: Params) -> Path:
    """Folder of the training run these parameters describe: a readable name, then the digest of the
    training identity (every parameter, module, data file and base model the model depends on)."""
    from hybridlib.fingerprint import training_digest

    canonical = same_training(params)
    return run_root(params) / "train" / f"{run_name(canonical)}-{training_digest(canonical)}"


def arm_model_path(params: Params, arm: str) -> str:
    """Model to evaluate for ``arm``: the base model for zero-shot, else that arm's trained model."""
    if arm == "zero-shot":
        return params.model
    return str(train_dir(arm_settings(params, arm)) / "model")


def result_path(params: Params, arm: str, dataset: str) -> Path:
    return run_root(params) / "results" / arm / f"{dataset}.json"


def load_result(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


def collect_results(params: Params, arms: list[str] | None = None) -> dict[str, dict[str, dict[str, Any]]]:
    """``{arm: {dataset: result}}`` for every result file present (arms in ``params.arms`` order)."""
    root = run_root(params) / "results"
    arms = arms or params.arms
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for arm in arms:
        files = sorted((root / arm).glob("*.json")) if (root / arm).is_dir() else []
        if files:
            out[arm] = {f.stem: load_result(f) for f in files}
    return out


def training_logs(results: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """``{arm: train_log DataFrame}`` for every evaluated arm whose model came from a training run
    (found through the ``model_path`` recorded in its result files, so any parameters work)."""
    import pandas as pd

    logs = {}
    for arm, by_ds in results.items():
        for r in by_ds.values():
            model_path = (r.get("parameters") or {}).get("model_path")
            log = Path(model_path).parent / "train_log.csv" if model_path else None
            if log is not None and log.is_file():
                logs[arm] = pd.read_csv(log)
                break
    return logs
