"""The experiment as a DAG of papermill-executed notebooks (``make run``).

    01_data ─ 02_pairs ─┬─ 03_train[arm] ─ 04_evaluate[arm] ─┬─ 05_language_bias ─ 06_compare
                        └────────────── 04_evaluate[zero-shot] ┘

Each stage is one notebook run with the parameters its ``parameters`` cell declares, taken from the
YAML file (per arm for training and evaluation). A stage is skipped when its stamp
(``<run_dir>/.stamps/<stage>.json``) is unchanged and its outputs exist. The stamp hashes the
notebook, its parameters, the stamps of the stages it depends on, and what the stage reads
(:func:`hybridlib.experiment.stamps.stage_inputs`): every ``hybridlib`` module the notebook can import,
the dataset files its parameters name and the base model. So editing an evaluation parameter does
not retrain, editing a module re-runs the stages that import it, and a second ``make run`` with
nothing changed takes seconds. Training folders are named after the training identity
(:func:`hybridlib.train.identity.training_identity`), so a trained model is never reused for other
training parameters, code or data. Executed notebooks are
kept in ``<run_dir>/notebooks/``; a failed one as ``<stage>.failed.ipynb``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
from pathlib import Path
from typing import Any

from hybridlib.config import PIPELINE_REPORT, REPO_ROOT, figures_dir, run_root
from hybridlib.experiment.stages import KERNEL, NOTEBOOKS, Stage, build_stages
from hybridlib.experiment.stamps import stage_fingerprint, stamp_of
from hybridlib.io import write_json
from hybridlib.params import Params, load_yaml, parse_overrides
from hybridlib.provenance import machine_description


def run(params: Params, *, force: bool = False, only: list[str] | None = None) -> dict[str, Any]:
    """Execute the DAG; returns (and writes to ``<run_dir>/pipeline.json``) what ran and how long."""
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
        # Computed once, before the stage runs: the stamp records the inputs it started from.
        fingerprint = stage_fingerprint(stage, [stamps[d] for d in stage.deps])
        stamp = stamps[stage.id] = stamp_of(fingerprint)
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
        seconds = _execute_stage(stage, nb_dir)
        write_json(stamp_file, {"stamp": stamp, **fingerprint, "seconds": round(seconds, 1)})
        report["stages"][stage.id] = {"status": "ran", "seconds": round(seconds, 1)}
        tqdm.write(f"[{time.strftime('%H:%M:%S')}] {stage.id} done in {seconds:.0f} s")
    report.update(
        wall_seconds=round(time.perf_counter() - start, 1),
        finished=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        machine=machine_description(),
        params=params.to_dict(),
    )
    write_json(root / PIPELINE_REPORT, report)
    return report


def _execute_stage(stage: Stage, nb_dir: Path) -> float:
    """Run ``stage``'s notebook with papermill into ``nb_dir/<stage>.ipynb``; returns its seconds.

    The notebook is written as ``<stage>.running.ipynb`` while it runs and renamed when done, so a kept
    ``<stage>.ipynb`` is always a finished one; a failed run is kept as ``<stage>.failed.ipynb`` and
    raises, as does a run that did not produce the stage's outputs.
    """
    import papermill

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
    return seconds


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
        from hybridlib.experiment.report import update_readme

        update_readme(params)
        print("README.md results section updated")
