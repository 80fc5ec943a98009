"""What a training run records beside the trainer's own state, and the callbacks that record it.

:class:`TrainingRecord` holds the loss curve (``train_log.csv``, rewritten at every log row so a killed
run keeps its curve) and a :class:`BatchMeter` counting QA and alignment batches. Its
:meth:`TrainingRecord.resume_from` restores both from a checkpoint, so a resumed run's log and summary
count every step. :func:`training_callbacks` turns a record into the trainer's callbacks: one that
logs each loss and stops on NaN/inf or explosion, one that stores the batch counts beside each
checkpoint.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from hybridlib.io import write_json, write_text

#: ``loss`` is the trainer's total objective; ``qa_loss`` the mean retrieval (InfoNCE) loss of the QA batches
#: and ``align_loss`` the mean λ-weighted alignment loss (what was added to the objective) of the
#: alignment batches since the previous row (empty when the window held none of that kind).
LOG_COLUMNS = ["step", "loss", "qa_loss", "align_loss", "learning_rate"]
#: Per checkpoint: the QA / alignment batches consumed up to it (so a resumed run's summary counts all).
COUNTS_FILE = "batch_counts.json"
#: A logged loss above this multiple of the first logged loss counts as exploding.
EXPLODING_FACTOR = 10.0


class TrainingDivergedError(RuntimeError):
    """The loss became NaN/inf or exploded; the run was stopped."""


class BatchMeter:
    """Counts QA and alignment batches as they are consumed, and averages each kind's loss per log row.

    :meth:`attach` registers a forward hook on each loss module: the trainer calls exactly one loss per
    batch (the one of the batch's dataset), so the hooks see every consumed batch once, with the value
    that entered the objective. Sums stay on the device until a log row needs them (no extra sync).
    Under DDP the counts and losses are those of this process.
    """

    KINDS = ("qa", "align")

    def __init__(self, qa_batches: int = 0, align_batches: int = 0) -> None:
        self.batches = {"qa": int(qa_batches), "align": int(align_batches)}
        self._sum: dict[str, Any] = {k: None for k in self.KINDS}
        self._n = {k: 0 for k in self.KINDS}

    def attach(self, loss: Any, kind: str) -> Any:
        if kind not in self.KINDS:
            raise ValueError(f"kind must be one of {self.KINDS}, got {kind!r}")

        def hook(module, args, output):
            self.record(kind, output)

        return loss.register_forward_hook(hook)

    def record(self, kind: str, value: Any) -> None:
        value = value.detach().float() if hasattr(value, "detach") else float(value)
        self.batches[kind] += 1
        self._n[kind] += 1
        self._sum[kind] = value if self._sum[kind] is None else self._sum[kind] + value

    def pop_means(self) -> dict[str, float]:
        """``{"qa_loss", "align_loss"}``: means since the previous call (NaN for a kind not seen)."""
        out = {}
        for k in self.KINDS:
            total = self._sum[k]
            out[f"{k}_loss"] = float(total) / self._n[k] if self._n[k] else math.nan
            self._sum[k], self._n[k] = None, 0
        return out


class TrainingRecord:
    """The loss curve (rows of :data:`LOG_COLUMNS`, written to ``log_path`` when given) and the batch
    meter of one run."""

    def __init__(self, log_path: Path | None = None) -> None:
        self.log_path = log_path
        self.rows: list[dict[str, Any]] = []
        self.meter = BatchMeter()

    def resume_from(self, checkpoint: Path) -> None:
        """Keep the curve up to ``checkpoint`` and continue from the batch counts stored beside it."""
        if self.log_path is not None and self.log_path.is_file():
            resumed_at = int(checkpoint.name.split("-")[-1])
            old = pd.read_csv(self.log_path)
            self.rows = old[old["step"] <= resumed_at].to_dict("records")
        counts_file = checkpoint / COUNTS_FILE
        if counts_file.is_file():
            counts = json.loads(counts_file.read_text())
            self.meter.batches["qa"] = int(counts.get("qa_batches", 0))
            self.meter.batches["align"] = int(counts.get("align_batches", 0))

    def add(self, step: int, loss: float, learning_rate: float | None) -> None:
        """One log row: the total loss and each kind's mean loss since the previous row."""
        self.rows.append(
            {"step": step, "loss": loss, **self.meter.pop_means(), "learning_rate": learning_rate}
        )
        self.write_log()

    def log(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=LOG_COLUMNS)

    def write_log(self) -> None:
        if self.log_path is not None:
            write_text(self.log_path, self.log().to_csv(index=False))

    def counts(self) -> dict[str, int]:
        return {"qa_batches": self.meter.batches["qa"], "align_batches": self.meter.batches["align"]}


def training_callbacks(record: TrainingRecord) -> list[Any]:
    """The trainer's callbacks writing ``record``: ``LossGuard`` and ``SaveCounts``.

    Defined here, not at module level, so that importing this module does not import transformers.
    """
    from transformers import TrainerCallback

    class LossGuard(TrainerCallback):
        """Record every logged loss (rewriting the CSV, so a killed run keeps its curve); stop with a
        clear message on NaN/inf or explosion."""

        first: float | None = None

        def on_log(self, args, state, control, logs=None, **kwargs):
            if not logs or "loss" not in logs:
                return
            loss = float(logs["loss"])
            record.add(state.global_step, loss, logs.get("learning_rate"))
            if not math.isfinite(loss):
                raise TrainingDivergedError(
                    f"loss became {loss} at step {state.global_step}; lower learning_rate, raise temperature "
                    "or use precision=fp32"
                )
            if self.first is None:
                self.first = loss
            elif loss > EXPLODING_FACTOR * max(self.first, 1e-3):
                raise TrainingDivergedError(
                    f"loss exploded to {loss:.3g} at step {state.global_step} "
                    f"(first logged {self.first:.3g}); lower learning_rate or raise warmup_ratio"
                )

    class SaveCounts(TrainerCallback):
        """Store the consumed batch counts beside each checkpoint, for a resumed run's summary."""

        def on_save(self, args, state, control, **kwargs):
            folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if folder.is_dir() and state.is_world_process_zero:
                write_json(folder / COUNTS_FILE, record.counts())

    return [LossGuard(), SaveCounts()]
