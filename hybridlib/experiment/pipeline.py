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
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hybridlib.config import (
    COMPLETE_RUN_REPORT,
    PIPELINE_REPORT,
    REPO_ROOT,
    figures_dir,
    repo_path,
    run_root,
)
from hybridlib.evaluation.results import result_path
from hybridlib.experiment.run_records import is_complete, keep_complete_run
from hybridlib.experiment.stages import KERNEL, NOTEBOOKS, Stage, build_stages, result_reading_stages
from hybridlib.experiment.stamps import stage_fingerprint, stamp_of
from hybridlib.io import write_json
from hybridlib.lock import FolderBusy, FolderNotWritable, check_writable, writer_lock
from hybridlib.params import Params, load_yaml, parse_overrides
from hybridlib.provenance import machine_description


def run(
    params: Params, *, force: bool = False, only: list[str] | None = None, jobs: int = 1
) -> dict[str, Any]:
    """Execute the DAG; returns (and writes to ``<run_dir>/pipeline.json``) what ran and how long.

    ``jobs > 1`` runs up to ``jobs`` stages at a time, each as soon as the stages it depends on are
    done, each kernel with ``cores // jobs`` torch threads (``OMP_NUM_THREADS``) so that they do not
    oversubscribe the cores. A failed stage stops new stages from starting; the ones running finish.
    Raises :class:`hybridlib.lock.FolderBusy` when another process writes the run folder.
    """
    if jobs < 1:
        raise ValueError(f"jobs = {jobs} must be at least 1 (stages run at a time)")
    # One writer per run folder, for the whole run and before anything is written (hybridlib.lock):
    # a second pipeline, or `make seeds` on the same folder, stops here naming the holder; an
    # unwritable folder stops here too, before any training.
    with writer_lock(run_root(params), "run folder"):
        check_writable(run_root(params), "run folder")
        check_writable(repo_path(params.figures_dir), "figures folder")
        return _run(params, force=force, only=only, jobs=jobs)


def rerun_result_readers(params: Params) -> list[str]:
    """Run the result-reading stages of ``params``' run (:func:`hybridlib.experiment.stages.
    result_reading_stages`: language bias, Table 1, significance and TyDi tables) again from its result
    files as they are, without stamps: no dataset is hashed or read, nothing is trained or encoded, and
    no other stage runs. ``make results`` runs them for every committed seed, so each seed's own tables
    come from the committed files too. Holds the run folder's writer lock (:mod:`hybridlib.lock`).
    Returns the stage ids run (none when no arm has result files).

    They read the arms of ``params.arms`` that have every result file, as the run that wrote them did: a
    seed run with fewer arms (``--set arms=[…]``) is rebuilt with those arms, not failed on the others.

    The loss curves of ``06_compare`` read the training logs, which only the machine that trained keeps:
    elsewhere the notebook skips them, and the committed figure stays as it is."""
    with writer_lock(run_root(params), "run folder"):
        nb_dir = run_root(params) / "notebooks"
        nb_dir.mkdir(parents=True, exist_ok=True)

        def evaluated_fully(arm: str) -> bool:
            return all(result_path(params, arm, ds).is_file() for ds in params.eval_sets)

        evaluated = [arm for arm in params.arms if evaluated_fully(arm)]
        if not evaluated:
            return []
        ran = []
        for stage in result_reading_stages(params.replace(arms=evaluated)):
            _execute_stage(stage, nb_dir)
            ran.append(stage.id)
    return ran


def _stamp_matches(stamp_file: Path, stamp: str) -> bool:
    """Whether ``stamp_file`` records ``stamp``; a damaged (truncated) stamp file matches nothing, so
    its stage runs again."""
    try:
        return json.loads(stamp_file.read_text()).get("stamp") == stamp
    except (OSError, ValueError, AttributeError):
        return False


def _output_done(path: Path) -> bool:
    """Whether a stage's output is there and whole: a JSON output (a result file) must parse, so a
    damaged one is computed again, never read as valid."""
    if not path.exists():
        return False
    if path.suffix == ".json":
        try:
            json.loads(path.read_text())
        except (OSError, ValueError):
            print(f"{path} is damaged (not valid JSON): its stage runs again", flush=True)
            return False
    return True


def _run(params: Params, *, force: bool, only: list[str] | None, jobs: int) -> dict[str, Any]:
    from tqdm.auto import tqdm

    root = run_root(params)
    stamps_dir, nb_dir = root / ".stamps", root / "notebooks"
    stamps_dir.mkdir(parents=True, exist_ok=True)
    nb_dir.mkdir(parents=True, exist_ok=True)
    stages = build_stages(params)
    report: dict[str, Any] = {"stages": {}}
    start = time.perf_counter()
    # Every stamp is known before anything runs: a stamp hashes a stage's inputs and its
    # dependencies' stamps, never their outputs (the stamp records the inputs a stage started from).
    stamps: dict[str, str] = {}
    fingerprints: dict[str, dict[str, Any]] = {}
    to_run: list[Stage] = []
    for stage in stages:
        fingerprints[stage.id] = stage_fingerprint(stage, [stamps[d] for d in stage.deps])
        stamps[stage.id] = stamp_of(fingerprints[stage.id])
        stamp_file = stamps_dir / f"{stage.id}.json"
        done = (
            stamp_file.is_file()
            and _stamp_matches(stamp_file, stamps[stage.id])
            and all(_output_done(p) for p in stage.outputs)
        )
        selected = only is None or stage.id in only or stage.notebook in only
        if (done and not force) or not selected:
            report["stages"][stage.id] = {"status": "up to date" if done else "not selected"}
        else:
            to_run.append(stage)

    def execute(stage: Stage) -> float:
        tqdm.write(f"[{time.strftime('%H:%M:%S')}] {stage.id} ...")
        seconds = _execute_stage(stage, nb_dir)
        write_json(
            stamps_dir / f"{stage.id}.json",
            {"stamp": stamps[stage.id], **fingerprints[stage.id], "seconds": round(seconds, 1)},
        )
        tqdm.write(f"[{time.strftime('%H:%M:%S')}] {stage.id} done in {seconds:.0f} s")
        return seconds

    with tqdm(total=len(to_run), desc="pipeline", unit="stage") as bar, _kernel_threads(jobs):
        for stage_id, seconds in run_stages(to_run, execute, jobs, on_done=lambda _: bar.update()):
            report["stages"][stage_id] = {"status": "ran", "seconds": round(seconds, 1)}
    report["stages"] = {s.id: report["stages"][s.id] for s in stages}  # DAG order
    report.update(
        wall_seconds=round(time.perf_counter() - start, 1),
        jobs=jobs,
        finished=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        machine=machine_description(),
        params=params.to_dict(),
    )
    keep_complete_run(root)  # before a no-op invocation replaces the report of a whole run
    write_json(root / PIPELINE_REPORT, report)
    if is_complete(report):
        write_json(root / COMPLETE_RUN_REPORT, report)
    return report


def run_stages(
    stages: list[Stage], execute: Callable[[Stage], float], jobs: int, on_done: Callable[[str], None]
) -> list[tuple[str, float]]:
    """``execute`` every stage once its dependencies among ``stages`` have finished, ``jobs`` at a time;
    ``(stage id, seconds)`` in the order they finished. The first failure is raised once the stages
    already running have finished; nothing new starts after it."""
    pending = {s.id: s for s in stages}
    finished: list[tuple[str, float]] = []
    failure: BaseException | None = None
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        running: dict[Future, str] = {}
        while pending or running:
            if failure is None:
                ready = [
                    s for s in pending.values() if not set(s.deps) & (set(pending) | set(running.values()))
                ]
                for stage in ready[: jobs - len(running)]:
                    running[pool.submit(execute, stage)] = stage.id
                    del pending[stage.id]
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                stage_id = running.pop(future)
                if future.exception() is not None:
                    failure = failure or future.exception()
                    continue
                finished.append((stage_id, future.result()))
                on_done(stage_id)
    if failure is not None:
        raise failure
    return finished


@contextmanager
def _kernel_threads(jobs: int) -> Iterator[None]:
    """With several stages at a time, each kernel gets ``cores // jobs`` torch threads (inherited
    through ``OMP_NUM_THREADS``); a value the user set is kept."""
    if jobs == 1 or "OMP_NUM_THREADS" in os.environ:
        yield
        return
    os.environ["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // jobs))
    try:
        yield
    finally:
        del os.environ["OMP_NUM_THREADS"]


# A kernel can die before it runs a cell: jupyter_client picks free ports by binding and releasing them, so
# two kernels started at the same moment by different processes (two stages, two test workers) can pick the
# same port, and one of them exits with "Address already in use" (nteract/papermill#511). No cell has run
# then, so starting the stage again is safe; a failure inside a cell is never retried.
KERNEL_START_ATTEMPTS = 3
_KERNEL_START_FAILURES = ("Kernel died before replying to kernel_info", "Kernel didn't respond")


def _kernel_did_not_start(err: BaseException) -> bool:
    """Whether ``err`` is nbclient's report of a kernel that failed before it ran any cell."""
    return any(str(err).startswith(message) for message in _KERNEL_START_FAILURES)


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
        for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
            try:
                papermill.execute_notebook(
                    str(NOTEBOOKS / f"{stage.notebook}.ipynb"),
                    str(partial),
                    parameters=stage.parameters,
                    kernel_name=KERNEL,
                    cwd=str(NOTEBOOKS),
                    progress_bar=False,
                )
                break
            except RuntimeError as err:
                if attempt == KERNEL_START_ATTEMPTS or not _kernel_did_not_start(err):
                    raise
                print(f"stage {stage.id}: its kernel did not start ({err}); starting another", flush=True)
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
    parser.add_argument("--jobs", type=int, default=1, help="stages run at a time (default 1)")
    ns = parser.parse_args(argv)
    overrides = parse_overrides(ns.set)
    params = load_yaml(REPO_ROOT / ns.params if not Path(ns.params).is_absolute() else ns.params, **overrides)
    try:
        report = run(params, force=ns.force, only=ns.only, jobs=ns.jobs)
    except (FolderBusy, FolderNotWritable) as err:
        raise SystemExit(f"hybridlib.pipeline: {err}") from None
    print(f"pipeline finished in {report['wall_seconds']:.0f} s; figures in {figures_dir(params)}")
    ran = any(stage.get("status") == "ran" for stage in report["stages"].values())
    # Only a run that computed something rewrites the README (a no-op run changes none of its inputs).
    if ran and not ns.no_readme and Path(params.figures_dir) == Path("figures"):
        from hybridlib.experiment.report import update_readme

        update_readme(params)
        print("README.md results section updated")
