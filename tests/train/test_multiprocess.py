"""Training under several processes, on CPU with torch's gloo backend: ``torchrun --nproc_per_node 2``
runs :func:`hybridlib.train.run.train` (as ``python -m hybridlib.train`` does) at tiny scale, each
process recording what it trained on (``tests/train/ddp_worker.py``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hybridlib.params import ParameterError, load_yaml, parse_overrides

WORKER = Path(__file__).with_name("ddp_worker.py")
REPO = Path(__file__).resolve().parents[2]
PROCESSES = 2
#: hybrid with alignment: X-X-mono, X-Y and alignment batches in 4 QA + 2 alignment steps.
TRAINING = ["sampler=hybrid", "max_steps=4", "align_weight=0.5", "align_every=2"]
#: ... checkpointed at step 5 and at the end (step 6), the two the resume test needs.
SETTINGS = [*TRAINING, "checkpoint_every=5"]


def torchrun(out: Path, settings: list[str]) -> list[dict]:
    """Train with ``PROCESSES`` processes; each process's record (see ``ddp_worker.py``)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    command += [f"--nproc_per_node={PROCESSES}", str(WORKER), str(out), "--set", *settings]
    done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return [json.loads((out / f"rank{r}.json").read_text()) for r in range(PROCESSES)]


def kind(languages: list[list[str]]) -> str:
    return "mono" if all(q == p for q, p in languages) else "cross"


def assert_pure(batch: dict) -> None:
    """X-X-mono: one language; X-Y: query language ≠ passage language in every row."""
    if batch["dataset"] == "align":
        return
    rows = batch["languages"]
    if kind(rows) == "mono":
        assert len({q for q, _ in rows}) == 1, rows
    else:
        assert all(q != p for q, p in rows), rows


@pytest.fixture(scope="module")
def per_process(tmp_path_factory, data_root, tiny_model):
    out = tmp_path_factory.mktemp("ddp")
    return out, torchrun(out, [*SETTINGS, f"model={tiny_model}"])


@pytest.mark.slow
def test_each_process_trains_on_pure_batches_and_the_weights_agree(per_process):
    _, ranks = per_process
    assert [r["torch_backend"] for r in ranks] == ["gloo"] * PROCESSES
    for record in ranks:
        assert record["steps"] == 6 and len(record["batches"]) >= 6
        for batch in record["batches"]:
            assert_pure(batch)
    kinds = {kind(b["languages"]) for r in ranks for b in r["batches"] if b["dataset"] != "align"}
    assert kinds == {"mono", "cross"}
    # without gather_across_devices each query meets its own process's batch only
    assert all(c == a == 4 for r in ranks for c, a in zip(r["candidates"], r["anchors"], strict=True))
    assert len({r["parameters"] for r in ranks}) == 1  # DDP kept one model


@pytest.mark.slow
def test_exactly_one_model_is_saved_with_the_processes_in_its_summary(per_process):
    out, _ = per_process
    run = out / "run"
    # the writer lock's file stays (an flock lock is released with its process, not by deleting it)
    assert sorted(p.name for p in run.iterdir()) == sorted(
        [".lock", "checkpoints", "identity.json", "model", "params.json", "summary.json", "train_log.csv"]
    )
    summary = json.loads((run / "summary.json").read_text())
    assert (summary["processes"], summary["qa_steps"], summary["alignment_steps"]) == (2, 4, 2)
    identity = json.loads((run / "identity.json").read_text())
    assert identity["parameters"]["world_size"] == PROCESSES  # not the single-process model's name


@pytest.mark.slow
def test_an_interrupted_run_resumes_to_the_same_weights(per_process, tiny_model, tmp_path):
    out, ranks = per_process
    shutil.copytree(out / "run", tmp_path / "run")
    # as if killed after step 5: no model, no summary, the newest checkpoint is checkpoint-5
    shutil.rmtree(tmp_path / "run" / "model")
    (tmp_path / "run" / "summary.json").unlink()
    shutil.rmtree(tmp_path / "run" / "checkpoints" / "checkpoint-6")
    resumed = torchrun(tmp_path, [*SETTINGS, f"model={tiny_model}"])
    assert all(len(r["batches"]) < len(ranks[0]["batches"]) for r in resumed)  # it did not start over
    assert {r["parameters"] for r in resumed} == {ranks[0]["parameters"]}
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert (summary["qa_steps"], summary["alignment_steps"]) == (4, 2)


@pytest.mark.slow
def test_split_global_batches_keep_one_kind_and_language_per_step_and_gather_negatives(
    tmp_path, data_root, tiny_model
):
    """``global_batch=split``: a step is one sampler batch cut in two — the single-process stream —
    and ``gather_across_devices`` scores each query against both halves' passages."""
    from hybridlib.train.plan import training_inputs

    settings = [*TRAINING, "global_batch=split", "gather_across_devices=true", f"model={tiny_model}"]
    ranks = torchrun(tmp_path, settings)
    steps = ranks[0]["steps"]
    for step in range(steps):
        halves = [r["batches"][step] for r in ranks]
        assert len({h["dataset"] for h in halves}) == 1
        for half in halves:
            assert len(half["languages"]) == 4 // PROCESSES
            assert_pure(half)
        whole = {
            "dataset": halves[0]["dataset"],
            "languages": [row for h in halves for row in h["languages"]],
        }
        assert_pure(whole)  # one kind (and, for X-X-mono, one language) per step
    assert all(c == PROCESSES * a for r in ranks for c, a in zip(r["candidates"], r["anchors"], strict=True))
    assert len({r["parameters"] for r in ranks}) == 1

    # the same batches, in the same order, as one process trains on
    params = load_yaml(REPO / "params" / "tiny.yaml", **parse_overrides(settings))
    inputs = training_inputs(params)
    inputs.sampler.set_epoch(0)
    for step, batch in zip(range(steps), iter(inputs.sampler), strict=False):
        _, rows = inputs.batch_rows(batch)
        assert [r["batches"][step]["anchors"] for r in ranks] == [
            list(rows["anchor"][: 4 // PROCESSES]),
            list(rows["anchor"][4 // PROCESSES :]),
        ]


def test_gathering_needs_split_batches_and_split_needs_a_divisible_batch(monkeypatch):
    with pytest.raises(ParameterError, match="global_batch=split"):
        load_yaml(REPO / "params" / "tiny.yaml", gather_across_devices=True)
    from hybridlib.train.trainer import training_arguments

    monkeypatch.setenv("WORLD_SIZE", "3")
    params = load_yaml(REPO / "params" / "tiny.yaml", global_batch="split")
    with pytest.raises(ParameterError, match="multiple of 3"):
        training_arguments(params, "unused", max_steps=1, device="cpu")
