"""The DAG scheduler of ``hybridlib.experiment.pipeline``: order, concurrency and failure (no notebooks)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from hybridlib.experiment.pipeline import run_stages
from hybridlib.experiment.stages import Stage


def dag() -> list[Stage]:
    """The pipeline's shape: data → pairs; trainings → evaluations → bias and compare."""

    def stage(sid, deps=()):
        return Stage(sid, sid, {}, [], deps=list(deps))

    return [
        stage("data"),
        stage("pairs"),
        stage("train-a"),
        stage("train-b"),
        stage("eval-zero"),
        stage("eval-a", ["train-a"]),
        stage("eval-b", ["train-b"]),
        stage("bias", ["eval-zero", "eval-a", "eval-b"]),
        stage("compare", ["eval-zero", "eval-a", "eval-b"]),
    ]


class Recorder:
    def __init__(self, fail: str | None = None) -> None:
        self.lock = threading.Lock()
        self.active = 0
        self.most = 0
        self.started: list[str] = []
        self.ended: dict[str, float] = {}
        self.fail = fail

    def __call__(self, stage: Stage) -> float:
        with self.lock:
            self.started.append(stage.id)
            self.active += 1
            self.most = max(self.most, self.active)
            begin = time.perf_counter()
        time.sleep(0.02)
        with self.lock:
            self.active -= 1
            self.ended[stage.id] = time.perf_counter()
        if stage.id == self.fail:
            raise RuntimeError(f"stage {stage.id} failed")
        return time.perf_counter() - begin


@pytest.mark.parametrize("jobs", [1, 2, 4])
def test_every_stage_runs_once_after_its_dependencies_and_at_most_jobs_at_a_time(jobs):
    stages, record = dag(), Recorder()
    done = []
    finished = run_stages(stages, record, jobs, on_done=done.append)
    assert sorted(record.started) == sorted(s.id for s in stages)
    assert [sid for sid, _ in finished] == done and len(done) == len(stages)
    for s in stages:
        started_at = record.started.index(s.id)
        for dep in s.deps:  # a dependency ended before the stage started
            assert record.started.index(dep) < started_at and dep in record.ended
    assert record.most <= jobs
    if jobs > 1:
        assert record.most > 1  # independent stages did run side by side


def test_a_failure_starts_nothing_new_and_is_raised():
    stages, record = dag(), Recorder(fail="train-a")
    with pytest.raises(RuntimeError, match="stage train-a failed"):
        run_stages(stages, record, 1, on_done=lambda _: None)
    assert "eval-a" not in record.started and "bias" not in record.started


def test_stages_up_to_date_are_not_waited_for():
    """A dependency outside the list (up to date, not re-run) does not block its dependants."""
    stages = [s for s in dag() if s.id not in ("train-a", "eval-zero")]
    record = Recorder()
    run_stages(stages, record, 2, on_done=lambda _: None)
    assert sorted(record.started) == sorted(s.id for s in stages)


def test_the_wall_time_of_a_whole_run_outlives_invocations_that_ran_nothing(tmp_path, monkeypatch):
    """``last_complete_run``: the report of the last invocation that ran every stage (the time a whole run
    takes, for the README and ``make bench``); a later no-op invocation rewrites ``pipeline.json`` only."""
    import json

    from hybridlib.config import COMPLETE_RUN_REPORT, PIPELINE_REPORT
    from hybridlib.experiment import pipeline, run_records
    from hybridlib.params import Params

    monkeypatch.setattr(pipeline, "build_stages", lambda params: dag())
    monkeypatch.setattr(pipeline, "stage_fingerprint", lambda stage, deps: {"id": stage.id, "deps": deps})
    monkeypatch.setattr(pipeline, "_execute_stage", lambda stage, nb_dir: 0.01)
    params = Params(run_dir=str(tmp_path / "run"))
    assert run_records.last_complete_run(params) is None
    whole = pipeline.run(params, jobs=2)
    assert run_records.last_complete_run(params) == whole
    noop = pipeline.run(params)
    assert {s["status"] for s in noop["stages"].values()} == {"up to date"}
    assert json.loads((tmp_path / "run" / PIPELINE_REPORT).read_text()) == noop
    assert run_records.last_complete_run(params) == whole
    partial = pipeline.run(params, force=True, only=["bias"])
    assert run_records.last_complete_run(params) == whole != partial
    # A run made before complete_run.json existed: its pipeline.json is kept before a no-op replaces it.
    (tmp_path / "run" / COMPLETE_RUN_REPORT).unlink()
    (tmp_path / "run" / PIPELINE_REPORT).write_text(json.dumps(whole))
    pipeline.run(params)
    assert run_records.last_complete_run(params) == whole


def test_a_whole_run_may_find_the_data_stages_up_to_date():
    """A seed run again in its old folder: the data stages (seconds) are up to date, every training and
    evaluation ran. That is a whole run, so its record replaces the older run's ``complete_run.json``."""
    from hybridlib.experiment.run_records import DATA_STAGES, is_complete
    from hybridlib.experiment.stages import build_stages
    from hybridlib.params import Params

    assert DATA_STAGES < {s.id for s in build_stages(Params())}  # the pipeline's own stage ids
    ran, kept = {"status": "ran", "seconds": 1.0}, {"status": "up to date"}
    rerun = {sid: kept for sid in DATA_STAGES} | {"03_train-hybrid": ran, "04_evaluate-hybrid": ran}
    assert is_complete({"stages": rerun})
    assert not is_complete({"stages": rerun | {"04_evaluate-hybrid": kept}})
    assert not is_complete({"stages": {sid: kept for sid in DATA_STAGES}})
    assert not is_complete({"stages": {}})


def _flaky_papermill(failures: list[Exception]):
    """A stand-in for ``papermill.execute_notebook`` that raises ``failures`` in turn, then writes the
    output notebook; it counts its calls."""
    calls = []

    def execute_notebook(input_path, output_path, **kwargs):
        calls.append(output_path)
        if len(calls) <= len(failures):
            Path(output_path).write_text("{}")
            raise failures[len(calls) - 1]
        Path(output_path).write_text("{}")

    return execute_notebook, calls


def test_a_kernel_that_dies_while_starting_is_started_again_but_a_failing_cell_is_not(tmp_path, monkeypatch):
    """The CI failure of 2026-11-30: a kernel died before replying to kernel_info (two kernels started at
    once picked the same port). No cell had run, so the stage starts a new kernel; a cell error, or a kernel
    that keeps dying, still fails the stage with its notebook kept as ``.failed.ipynb``."""
    import papermill

    from hybridlib.experiment import pipeline

    stage = Stage(id="02_pairs", notebook="02_pairs", parameters={}, outputs=[], deps=[])
    died = RuntimeError("Kernel died before replying to kernel_info")

    execute, calls = _flaky_papermill([died, RuntimeError("Kernel didn't respond in 60 seconds")])
    monkeypatch.setattr(papermill, "execute_notebook", execute)
    pipeline._execute_stage(stage, tmp_path)
    assert len(calls) == 3 and (tmp_path / "02_pairs.ipynb").exists()

    execute, calls = _flaky_papermill([died] * pipeline.KERNEL_START_ATTEMPTS)
    monkeypatch.setattr(papermill, "execute_notebook", execute)
    with pytest.raises(RuntimeError, match="stage 02_pairs failed: RuntimeError: Kernel died before"):
        pipeline._execute_stage(stage, tmp_path)
    assert len(calls) == pipeline.KERNEL_START_ATTEMPTS and (tmp_path / "02_pairs.failed.ipynb").exists()

    execute, calls = _flaky_papermill([ValueError("a cell raised")])
    monkeypatch.setattr(papermill, "execute_notebook", execute)
    with pytest.raises(RuntimeError, match="stage 02_pairs failed: ValueError: a cell raised"):
        pipeline._execute_stage(stage, tmp_path)
    assert len(calls) == 1
