"""The experiment as a DAG of papermill-executed notebooks (``make run``).

    01_data ─ 02_pairs ─┬─ 03_train[arm] ─ 04_evaluate[arm] ─┬─ 05_language_bias ─ 06_compare
                        └────────────── 04_evaluate[zero-shot] ┘

Each stage is one notebook run with the parameters its ``parameters`` cell declares, taken from the
YAML file (per arm for training and evaluation). A stage is skipped when its stamp
(``<run_dir>/.stamps/<stage>.json``) is unchanged and its outputs exist. The stamp hashes the
notebook, its parameters, the stamps of the stages it depends on, and what the stage reads
(:func:`hybridlib.fingerprint.stage_inputs`): every ``hybridlib`` module the notebook can import,
the dataset files its parameters name and the base model. So editing an evaluation parameter does
not retrain, editing a module re-runs the stages that import it, and a second ``make run`` with
nothing changed takes seconds. Training folders are named after the training identity
(:func:`hybridlib.fingerprint.training_identity`), so a trained model is never reused for other
training parameters, code or data. Executed notebooks are
kept in ``<run_dir>/notebooks/``; a failed one as ``<stage>.failed.ipynb``.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hybridlib.config import REPO_ROOT
from hybridlib.fingerprint import stage_inputs
from hybridlib.io import write_json
from hybridlib.params import Params, arm_settings, load_yaml, parse_overrides
from hybridlib.provenance import machine_description
from hybridlib.runs import arm_model_path, figures_dir, result_path, run_root, train_dir

NOTEBOOKS = REPO_ROOT / "notebooks"
KERNEL = "hybridlib"


@dataclass
class Stage:
    id: str
    notebook: str
    parameters: dict[str, Any]
    outputs: list[Path]
    deps: list[str] = field(default_factory=list)
    #: The base model the stage loads by name (None: none, or one trained by a dependency).
    model: str | None = None


def declared_parameters(notebook: str) -> list[str]:
    """Names assigned in the ``parameters`` cell of ``notebooks/<notebook>.py``."""
    text = (NOTEBOOKS / f"{notebook}.py").read_text()
    marker = '# %% tags=["parameters"]'
    if marker not in text:
        raise ValueError(f"notebooks/{notebook}.py has no parameters cell")
    cell = text.split(marker, 1)[1].split("\n# %%", 1)[0]
    return [t.id for node in ast.parse(cell).body if isinstance(node, ast.Assign) for t in node.targets]


def _inject(notebook: str, params: Params, **extra: Any) -> dict[str, Any]:
    values = {**params.to_dict(), **extra}
    return {name: values[name] for name in declared_parameters(notebook)}


def build_stages(params: Params) -> list[Stage]:
    trained = [a for a in params.arms if a != "zero-shot"]
    stages = [
        Stage("01_data", "01_data", _inject("01_data", params), []),
        Stage("02_pairs", "02_pairs", _inject("02_pairs", params), [figures_dir(params) / "pair_counts.png"]),
    ]
    for arm in trained:
        p = arm_settings(params, arm)
        stages.append(
            Stage(
                f"03_train-{arm}",
                "03_train",
                _inject("03_train", p),
                [train_dir(p) / "summary.json"],  # written last, after the model
                model=p.model,
            )
        )
    evaluations = []
    for arm in params.arms:
        stage_id = f"04_evaluate-{arm}"
        evaluations.append(stage_id)
        stages.append(
            Stage(
                stage_id,
                "04_evaluate",
                _inject("04_evaluate", params, arm=arm, model_path=arm_model_path(params, arm)),
                [result_path(params, arm, ds) for ds in params.eval_sets],
                deps=[] if arm == "zero-shot" else [f"03_train-{arm}"],
                model=params.model if arm == "zero-shot" else None,
            )
        )
    lareqa = [ds for ds in params.eval_sets if not ds.startswith("tydiqa")]
    stages.append(
        Stage(
            "05_language_bias",
            "05_language_bias",
            _inject("05_language_bias", params),
            [figures_dir(params) / f"heatmaps_{ds}.png" for ds in lareqa],
            deps=evaluations,
        )
    )
    stages.append(
        Stage(
            "06_compare",
            "06_compare",
            _inject("06_compare", params),
            [figures_dir(params) / "table1_map.md", figures_dir(params) / "table_significance.md"],
            deps=evaluations,
        )
    )
    return stages


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


def _stamp(stage: Stage, dep_stamps: list[str]) -> str:
    payload = json.dumps(stage_fingerprint(stage, dep_stamps), sort_keys=True, default=str).encode()
    return hashlib.sha256(payload).hexdigest()


def run(params: Params, *, force: bool = False, only: list[str] | None = None) -> dict[str, Any]:
    """Execute the DAG; returns (and writes to ``<run_dir>/pipeline.json``) what ran and how long."""
    import papermill
    from tqdm.auto import tqdm

    root = run_root(params)
    stamps_dir, nb_dir = root / ".stamps", root / "notebooks"
    stamps_dir.mkdir(parents=True, exist_ok=True)
    nb_dir.mkdir(parents=True, exist_ok=True)
    stages = build_stages(params)
    stamps: dict[str, str] = {}
    report: dict[str, Any] = {"stages": {}}
    start = time.perf_counter()
    for stage in tqdm(stages, desc="pipeline", unit="stage"):
        stamp = _stamp(stage, [stamps[d] for d in stage.deps])
        stamps[stage.id] = stamp
        stamp_file = stamps_dir / f"{stage.id}.json"
        done = (
            stamp_file.is_file()
            and json.loads(stamp_file.read_text()).get("stamp") == stamp
            and all(p.exists() for p in stage.outputs)
        )
        selected = only is None or stage.id in only or stage.notebook in only
        if (done and not force) or not selected:
            report["stages"][stage.id] = {"status": "up to date" if done else "not selected"}
            continue
        tqdm.write(f"[{time.strftime('%H:%M:%S')}] {stage.id} ...")
        out_nb = nb_dir / f"{stage.id}.ipynb"
        partial = nb_dir / f"{stage.id}.running.ipynb"
        t0 = time.perf_counter()
        try:
            papermill.execute_notebook(
                str(NOTEBOOKS / f"{stage.notebook}.ipynb"),
                str(partial),
                parameters=stage.parameters,
                kernel_name=KERNEL,
                cwd=str(NOTEBOOKS),
                progress_bar=False,
            )
        except Exception as err:
            failed = nb_dir / f"{stage.id}.failed.ipynb"
            if partial.exists():
                os.replace(partial, failed)
            raise RuntimeError(
                f"stage {stage.id} failed: {err.__class__.__name__}: {str(err).strip().splitlines()[-1]}\n"
                f"The executed notebook with the error is {failed}"
            ) from err
        os.replace(partial, out_nb)
        seconds = time.perf_counter() - t0
        missing = [str(p) for p in stage.outputs if not p.exists()]
        if missing:
            raise RuntimeError(f"stage {stage.id} ran but did not produce {missing}")
        recorded = stage_fingerprint(stage, [stamps[d] for d in stage.deps])
        write_json(stamp_file, {"stamp": stamp, **recorded, "seconds": round(seconds, 1)})
        report["stages"][stage.id] = {"status": "ran", "seconds": round(seconds, 1)}
        tqdm.write(f"[{time.strftime('%H:%M:%S')}] {stage.id} done in {seconds:.0f} s")
    report.update(
        wall_seconds=round(time.perf_counter() - start, 1),
        finished=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        machine=machine_description(),
        params=params.to_dict(),
    )
    write_json(root / "pipeline.json", report)
    return report


def stage_seconds(params: Params) -> dict[str, float]:
    """Notebook seconds of each stage's last run, for stages whose stamp matches ``params`` now
    (a stage never run, or last run with other inputs, is left out)."""
    out: dict[str, float] = {}
    stamps: dict[str, str] = {}
    for stage in build_stages(params):
        stamps[stage.id] = _stamp(stage, [stamps[d] for d in stage.deps])
        stamp_file = run_root(params) / ".stamps" / f"{stage.id}.json"
        if stamp_file.is_file():
            recorded = json.loads(stamp_file.read_text())
            if recorded.get("stamp") == stamps[stage.id] and "seconds" in recorded:
                out[stage.id] = float(recorded["seconds"])
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the notebooks as a DAG through papermill.")
    parser.add_argument("--params", default="params/default.yaml")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="override parameters")
    parser.add_argument("--force", action="store_true", help="re-run every stage")
    parser.add_argument("--only", nargs="*", default=None, help="stage ids or notebook names to run")
    parser.add_argument("--no-readme", action="store_true", help="do not update README.md's results")
    ns = parser.parse_args(argv)
    overrides = parse_overrides(ns.set)
    params = load_yaml(REPO_ROOT / ns.params if not Path(ns.params).is_absolute() else ns.params, **overrides)
    report = run(params, force=ns.force, only=ns.only)
    print(f"pipeline finished in {report['wall_seconds']:.0f} s; figures in {figures_dir(params)}")
    ran = any(stage.get("status") == "ran" for stage in report["stages"].values())
    # Only a run that computed something rewrites the README (a no-op run changes none of its inputs).
    if ran and not ns.no_readme and Path(params.figures_dir) == Path("figures"):
        from hybridlib.report import update_readme

        update_readme(params)
        print("README.md results section updated")


if __name__ == "__main__":
    main()
