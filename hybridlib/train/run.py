"""Training: one function from parameters to a saved model (:func:`train`).

:func:`train` finds or clears the run's folder (named after its training identity), builds the trainer
(:func:`hybridlib.train.trainer.build_trainer`: data, model, losses, arguments, callbacks), resumes from
the newest checkpoint, trains, and saves the model, the loss log and the summary.

Run from Python (``train(params)``), from ``notebooks/03_train`` or from the command line, which is
also the multi-GPU entry point::

    python -m hybridlib.train --params params/default.yaml --set sampler=hybrid
    torchrun --nproc_per_node 4 -m hybridlib.train --params params/paper-xlmr.yaml

This module is the training identity's entry (``hybridlib.train.identity.TRAINING_ENTRY``): its import
closure is everything training runs.
"""

from __future__ import annotations

import json
import shutil
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from hybridlib.config import IDENTITY_FILE, MODEL_DIR, SUMMARY_FILE, TRAIN_LOG_FILE
from hybridlib.io import write_json
from hybridlib.lock import writer_lock
from hybridlib.params import Params, arm_name
from hybridlib.provenance import provenance
from hybridlib.train.callbacks import COUNTS_FILE, TrainingRecord
from hybridlib.train.identity import train_dir, training_identity
from hybridlib.train.inputs import ALIGN_SET
from hybridlib.train.processes import is_main_process, world_size
from hybridlib.train.trainer import CHECKPOINT_DIR, build_trainer


@dataclass(frozen=True)
class TrainResult:
    run_dir: Path
    model_dir: Path
    log: pd.DataFrame
    seconds: float
    steps: int


def train(
    params: Params,
    *,
    run_dir: str | Path | None = None,
    resume: bool = True,
    reuse: bool = True,
    extra_callbacks: list[Any] | None = None,
) -> TrainResult:
    """Fine-tune ``params.model`` with ``params.sampler`` (and λ = ``params.align_weight``).

    Writes ``<run_dir>/model`` (a SentenceTransformer folder), ``train_log.csv`` (``LOG_COLUMNS``: the
    total ``loss`` and, separately, ``qa_loss`` and the λ-weighted ``align_loss``), ``params.json`` and
    ``summary.json`` (``qa_steps`` / ``alignment_steps``: the batches of each kind that actually ran,
    counted by :class:`hybridlib.train.callbacks.BatchMeter`). With ``checkpoint_every > 0``,
    checkpoints go to ``<run_dir>/checkpoints`` and ``resume=True`` continues from the newest one; the
    sampler replays its batch stream from seed and epoch, so a resumed run ends with the same weights
    as an uninterrupted one.

    ``run_dir`` defaults to :func:`hybridlib.train.identity.train_dir`, named after the training identity
    (``identity.json``). With ``reuse=True`` a finished run of the same identity is returned as it is
    (no training); a folder holding another identity's files (an explicit ``run_dir`` reused with
    other parameters or code) is cleared first, so nothing stale is resumed or kept.
    """
    run_dir = Path(run_dir) if run_dir is not None else train_dir(params)
    # One writer per training folder (hybridlib.lock): the pipeline's kernel and a notebook, or two
    # sweeps, training the same identity would swap each other's temporary model folder. A second
    # writer stops here with a message naming the holder. Other processes of a torchrun group only
    # read until the main one has written.
    with writer_lock(run_dir, "training folder") if is_main_process() else nullcontext():
        return _train(params, run_dir, resume=resume, reuse=reuse, extra_callbacks=extra_callbacks)


def _train(
    params: Params, run_dir: Path, *, resume: bool, reuse: bool, extra_callbacks: list[Any] | None
) -> TrainResult:
    from hybridlib.model.encoder import torch_threads

    identity = training_identity(params)
    finished = _finished_run(run_dir, identity)
    if finished is not None and reuse:
        print(f"{run_dir.name}: already trained with this identity; reusing it")
        return finished
    # Under N processes every process trains, but only the main one writes the run's files; the
    # others only read (the checkpoint to resume from) until the trainer's barrier.
    main = is_main_process()
    other_identity = _recorded_identity(run_dir) not in (None, _as_json(identity))
    resumable = resume and params.checkpoint_every and not other_identity
    checkpoint = last_checkpoint(run_dir / CHECKPOINT_DIR) if resumable else None
    record = TrainingRecord(run_dir / TRAIN_LOG_FILE if main else None)
    if checkpoint is not None:
        record.resume_from(checkpoint)
    trainer = build_trainer(params, run_dir, record=record, extra_callbacks=extra_callbacks)
    if main:
        _clear_other_identity(run_dir, identity)
        run_dir.mkdir(parents=True, exist_ok=True)
        write_json(run_dir / IDENTITY_FILE, identity)
        write_json(run_dir / "params.json", {"arm": arm_name(params), **params.to_dict()})
    trainer.accelerator.wait_for_everyone()
    start = time.perf_counter()
    with torch_threads(params.threads):
        trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    seconds = time.perf_counter() - start

    summary = _summary(params, trainer, record, seconds)
    model_dir = run_dir / MODEL_DIR
    if main:
        _save_model(trainer.model, run_dir)
        record.write_log()
        write_json(run_dir / SUMMARY_FILE, summary)
    trainer.accelerator.wait_for_everyone()  # no process returns before the model is saved
    return TrainResult(run_dir, model_dir, record.log(), seconds, int(trainer.state.global_step))


def last_checkpoint(folder: Path) -> Path | None:
    """The newest ``checkpoint-<step>`` folder in ``folder`` (transformers' rule), None when there is none."""
    from transformers.trainer_utils import get_last_checkpoint

    found = get_last_checkpoint(str(folder)) if folder.is_dir() else None
    return Path(found) if found else None


def _save_model(model: Any, run_dir: Path) -> Path:
    """Save to a temporary folder, then swap it in: ``model/`` is never half-written."""
    model_dir = run_dir / MODEL_DIR
    tmp = run_dir / f".{MODEL_DIR}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save(str(tmp))
    shutil.rmtree(model_dir, ignore_errors=True)
    tmp.rename(model_dir)
    return model_dir


def _summary(params: Params, trainer: Any, record: TrainingRecord, seconds: float) -> dict[str, Any]:
    steps = int(trainer.state.global_step)
    device = "cpu" if trainer.args.use_cpu else "cuda"
    precision = "bf16" if trainer.args.bf16 else "fp32"
    log = record.log()
    datasets = trainer.train_dataset
    return {
        "arm": arm_name(params),
        "steps": steps,
        # counted as the batches' losses ran (not from parameters): exactly max_steps and
        # max_steps // align_every (when λ > 0) for a run that completed
        "qa_steps": record.meter.batches["qa"],
        "alignment_steps": record.meter.batches["align"],
        "seconds": round(seconds, 2),
        "seconds_per_step": round(seconds / max(steps, 1), 3),
        "device": device,
        "precision": precision,
        # under N processes the counts above are this (the main) process's batches; a step's global
        # batch is N of them (global_batch=per_process) or one split N ways (split)
        "processes": world_size(),
        "global_batch": params.global_batch,
        "provenance": provenance(precision=precision, device=device, threads=params.threads),
        "final_loss": float(log["loss"].iloc[-1]) if len(log) else None,
        "training_sets": {name: len(rows) for name, rows in datasets.items() if name != ALIGN_SET},
        "alignment_pairs": len(datasets[ALIGN_SET]) if ALIGN_SET in datasets else 0,
        "batches_per_epoch": len(trainer.get_train_dataloader()),
    }


def _recorded_identity(run_dir: Path) -> Any:
    file = run_dir / IDENTITY_FILE
    return json.loads(file.read_text()) if file.is_file() else None


def _as_json(obj: Any) -> Any:
    return json.loads(json.dumps(obj))  # tuples → lists, as the recorded file holds them


def _finished_run(run_dir: Path, identity: dict[str, Any]) -> TrainResult | None:
    """The finished run in ``run_dir`` when it was trained with exactly ``identity``, else None."""
    summary_file = run_dir / SUMMARY_FILE
    if not (summary_file.is_file() and (run_dir / MODEL_DIR).is_dir()):
        return None
    if _recorded_identity(run_dir) != _as_json(identity):
        return None
    summary = json.loads(summary_file.read_text())
    log = pd.read_csv(run_dir / TRAIN_LOG_FILE) if (run_dir / TRAIN_LOG_FILE).is_file() else pd.DataFrame()
    return TrainResult(run_dir, run_dir / MODEL_DIR, log, float(summary["seconds"]), int(summary["steps"]))


def _clear_other_identity(run_dir: Path, identity: dict[str, Any]) -> None:
    recorded = _recorded_identity(run_dir)
    if recorded is None or recorded == _as_json(identity):
        return
    print(f"{run_dir}: holds a run of another training identity; clearing it")
    for name in (SUMMARY_FILE, TRAIN_LOG_FILE, COUNTS_FILE, "params.json", IDENTITY_FILE):
        (run_dir / name).unlink(missing_ok=True)
    for name in (MODEL_DIR, CHECKPOINT_DIR, f".{MODEL_DIR}.tmp"):
        shutil.rmtree(run_dir / name, ignore_errors=True)
