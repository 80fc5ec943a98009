"""Faults tried on purpose (issue 24): a pipeline killed at a random moment and run again, a second
pipeline on a busy run folder, damaged stamp and result files, an unwritable run folder.

The cheap ones run the pipeline's command line only up to its lock and checks, or the DAG with a stub in
place of papermill; the kill runs real kernels (one evaluation stage of ``params/tiny.yaml``), so it is
marked slow."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from hybridlib.evaluation.results import load_per_query
from hybridlib.params import load_yaml

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "params" / "tiny.yaml"


def _pipeline(run_dir: Path, *extra: str, **popen: object) -> subprocess.Popen:
    command = [sys.executable, "-m", "hybridlib.pipeline", "--params", "params/tiny.yaml", "--no-readme"]
    command += ["--set", f"run_dir={run_dir}", f"figures_dir={run_dir / 'figures'}", *extra]
    return subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen
    )


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


HOLD = textwrap.dedent(
    """
    import sys, time
    from hybridlib.lock import writer_lock
    with writer_lock(sys.argv[1]):
        print("held", flush=True)
        time.sleep(120)
    """
)


def test_a_second_pipeline_on_a_busy_run_folder_stops_with_one_message_and_changes_nothing(tmp_path):
    run_dir = tmp_path / "run"
    (run_dir / "results" / "zero-shot").mkdir(parents=True)
    (run_dir / "results" / "zero-shot" / "xquad-r.json").write_text('{"mAP": 1}\n')
    # the first writer: a process holding the run folder as the pipeline does for its whole run
    first = subprocess.Popen([sys.executable, "-c", HOLD, str(run_dir)], stdout=subprocess.PIPE, text=True)
    try:
        assert first.stdout.readline().strip() == "held"
        before = _snapshot(run_dir)
        second = _pipeline(run_dir)
        _, err = second.communicate(timeout=300)
        assert second.returncode != 0
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
        assert f"run folder {run_dir.resolve()} is being written by pid {first.pid}" in err
        assert f"kill {first.pid}" in err and "Nothing was changed" in err
        assert _snapshot(run_dir) == before
    finally:
        first.kill()
        first.wait()


def test_an_unwritable_run_folder_is_one_clear_error_before_any_training(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    proc = _pipeline(blocker / "run")
    _, err = proc.communicate(timeout=300)
    assert proc.returncode != 0 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert f"run folder {(blocker / 'run').resolve()} cannot be created or written" in err
    assert blocker.is_file()


@pytest.fixture
def stub_pipeline(tmp_path, monkeypatch, data_root):
    """The DAG of ``params/tiny.yaml`` with a stub in place of papermill: each stage writes its outputs
    (a result file as valid JSON) and is recorded, so what runs again can be checked in seconds."""
    import hybridlib.experiment.pipeline as pipeline

    ran: list[str] = []

    def execute(stage, nb_dir):
        ran.append(stage.id)
        for out in stage.outputs:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps({"stage": stage.id}) if out.suffix == ".json" else stage.id)
        return 0.0

    monkeypatch.setattr(pipeline, "_execute_stage", execute)
    params = load_yaml(TINY, run_dir=str(tmp_path / "run"), figures_dir=str(tmp_path / "run" / "figures"))
    pipeline.run(params)
    ran.clear()
    return pipeline, params, ran


def test_a_truncated_stamp_runs_its_stage_again(stub_pipeline):
    pipeline, params, ran = stub_pipeline
    stamp = Path(params.run_dir) / ".stamps" / "02_pairs.json"
    stamp.write_text(stamp.read_text()[:30])
    pipeline.run(params)
    assert ran == ["02_pairs"]
    json.loads(stamp.read_text())  # whole again


def test_a_truncated_result_file_runs_its_evaluation_again(stub_pipeline):
    from hybridlib.evaluation.results import result_path

    pipeline, params, ran = stub_pipeline
    result = result_path(params, "hybrid", params.eval_sets[0])
    result.write_text(result.read_text()[:5])
    pipeline.run(params)
    # the evaluation runs again, then the stages that read it (their stamps hash its stamp, unchanged,
    # so only the damaged file's stage is stale)
    assert ran == ["04_evaluate-hybrid"]
    json.loads(result.read_text())


def _comparable(run_dir: Path) -> dict[str, object]:
    """Result files without what differs between two runs of the same thing: dates and provenance."""
    out: dict[str, object] = {}
    for path in sorted((run_dir / "results").rglob("*.json")):
        data = json.loads(path.read_text())
        for key in ("date", "provenance", "git_commit", "git_dirty"):
            data.pop(key, None)
        out[path.relative_to(run_dir).as_posix()] = data
        for key, value in load_per_query(path).items():
            out[f"{path.name}:{key}"] = value.tolist()
    return out


@pytest.mark.slow
def test_a_pipeline_killed_at_a_random_moment_then_run_again_equals_an_uninterrupted_run(tmp_path, data_root):
    only = ["--only", "01_data", "04_evaluate-zero-shot"]
    reference = _pipeline(tmp_path / "reference", *only)
    _, err = reference.communicate(timeout=600)
    assert reference.returncode == 0, err
    killed_dir = tmp_path / "killed"
    moment = random.Random(24).uniform(2.0, 20.0)
    proc = _pipeline(killed_dir, *only, start_new_session=True)
    time.sleep(moment)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    time.sleep(3)  # a kernel it started notices its parent is gone and exits (ipykernel's parent poller)
    rerun = _pipeline(killed_dir, *only)
    _, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err
    assert not list(killed_dir.rglob(".*.tmp")), "a kill leaves no temporary file behind a finished run"
    got, want = _comparable(killed_dir), _comparable(tmp_path / "reference")
    assert got.keys() == want.keys() and got
    for key in want:
        if isinstance(want[key], list):
            np.testing.assert_array_equal(np.array(got[key], dtype=object), np.array(want[key], dtype=object))
        else:
            assert _without_location(got[key]) == _without_location(want[key]), key


def _without_location(result: object) -> object:
    """A result without the run folder's own location (the two runs are in different folders)."""
    if isinstance(result, dict) and isinstance(result.get("parameters"), dict):
        parameters = {k: v for k, v in result["parameters"].items() if k not in ("run_dir", "figures_dir")}
        return {**result, "parameters": parameters}
    return result
