"""Training: one function from parameters to a saved model, on sentence-transformers' trainer.

The loop is ``SentenceTransformerTrainer``'s (AdamW, linear warm-up/decay, checkpoints, resume,
accelerate-based DDP); what this module adds is the method's data flow:

    pairs per training set ──► DatasetDict {set: (anchor, positive[, negative]), "align": (anchor, positive)}
    language metadata      ──► LanguageBatchSampler (monolingual / crosslingual / multilingual / hybrid α,
                               + one alignment batch after every ``align_every`` QA batches when λ > 0)
    losses                 ──► InfoNCE per QA set, λ × translation ranking for "align"

Metadata (ids, languages) never enters the training rows: sentence-transformers feeds every
non-label column to the loss. It travels to the sampler as side arrays in dataset order.

Run from Python (``train(params)``), from ``notebooks/03_train`` or from the command line, which is
also the multi-GPU entry point::

    python -m hybridlib.train --params params/default.yaml --set sampler=hybrid
    torchrun --nproc_per_node 4 -m hybridlib.train --params params/paper-xlmr.yaml
"""

from __future__ import annotations

import json
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from hybridlib.io import write_json, write_text
from hybridlib.params import Params, arm_name
from hybridlib.provenance import provenance
from hybridlib.train.identity import train_dir, training_identity

LOG_FILE = "train_log.csv"
#: ``loss`` is the trainer's total objective; ``qa_loss`` the mean retrieval (InfoNCE) loss of the QA batches
#: and ``align_loss`` the mean λ-weighted alignment loss (what was added to the objective) of the
#: alignment batches since the previous row (empty when the window held none of that kind).
LOG_COLUMNS = ["step", "loss", "qa_loss", "align_loss", "learning_rate"]
#: Per checkpoint: the QA / alignment batches consumed up to it (so a resumed run's summary counts all).
COUNTS_FILE = "batch_counts.json"
#: What the model depends on (hybridlib.train.identity.training_identity); the folder name ends with its
#: digest.
IDENTITY_FILE = "identity.json"
#: Written last: a folder holding it is a finished run.
SUMMARY_FILE = "summary.json"
MODEL_DIR = "model"
ALIGN_SET = "align"
#: A logged loss above this multiple of the first logged loss counts as exploding.
EXPLODING_FACTOR = 10.0


class TrainingDivergedError(RuntimeError):
    """The loss became NaN/inf or exploded; the run was stopped."""


@dataclass(frozen=True)
class TrainResult:
    run_dir: Path
    model_dir: Path
    log: pd.DataFrame
    seconds: float
    steps: int


# ---------------------------------------------------------------- data


def training_pairs(params: Params) -> dict[str, pd.DataFrame]:
    """Pair tables (mono + cross) of every training set; the sampler decides which rows it uses."""
    from hybridlib.data.loaders import load_retrieval_set
    from hybridlib.pairs import build_pairs

    out = {}
    for name in params.train_sets:
        rset = load_retrieval_set(name, data_dir=params.data_dir, languages=params.train_languages)
        out[name] = build_pairs(rset, hard_negatives=params.hard_negatives, seed=params.seed)
    return out


def alignment_pairs(params: Params) -> pd.DataFrame:
    """Parallel sentences for the alignment objective (``pair_id, src_lang, src, tgt_lang, tgt``).

    ``xor-tydi``: XOR-TyDi human translations of TyDi *train* questions. ``tatoeba``: LASER's
    Tatoeba pairs (default languages: the TyDi QA languages other than English). ``train-questions``:
    the training sets' own parallel questions (two languages of one question id), i.e. no new
    languages. Whatever the source, every pair whose source or target text equals a question of any
    set in ``eval_sets`` (:func:`hybridlib.data.leakage.without_evaluation_questions`: NFKC, casefold,
    whitespace collapsed) is dropped (no test leakage); how many is printed and kept in
    ``attrs["dropped_eval_questions"]`` of the returned table.
    """
    from hybridlib.data import leakage, loaders

    if params.align_data == "xor-tydi":
        raw = loaders.load_xor_tydi_translations(params.align_languages, data_dir=params.data_dir).pairs
    elif params.align_data == "tatoeba":
        langs = params.align_languages or ["ar", "bn", "fi", "id", "ko", "ru", "sw", "te"]
        raw = loaders.load_tatoeba(langs, data_dir=params.data_dir).pairs
    else:
        frames = []
        for name in params.train_sets:
            qs = loaders.load_retrieval_set(
                name, data_dir=params.data_dir, languages=params.train_languages
            ).questions
            first = qs.drop_duplicates("xid")[["xid", "lang", "text"]]
            other = qs.merge(first, on="xid", suffixes=("", "_src"))
            other = other[other["lang"] != other["lang_src"]]
            frames.append(
                pd.DataFrame(
                    {
                        "pair_id": name + "/" + other["xid"],
                        "src_lang": other["lang_src"].to_numpy(),
                        "src": other["text_src"].to_numpy(),
                        "tgt_lang": other["lang"].to_numpy(),
                        "tgt": other["text"].to_numpy(),
                    }
                )
            )
        raw = pd.concat(frames, ignore_index=True)
    kept, dropped = leakage.without_evaluation_questions(raw, params.eval_sets, data_dir=params.data_dir)
    print(
        f"alignment data {params.align_data}: {len(kept)} pairs kept, {len(dropped)} dropped because a "
        f"side equals a question of the evaluation sets {', '.join(params.eval_sets)}"
    )
    kept.attrs["dropped_eval_questions"] = len(dropped)
    return kept


def build_datasets(params: Params, pairs: dict[str, pd.DataFrame], align: pd.DataFrame | None):
    """``DatasetDict`` of text-only rows, the sampler metadata in the same order, and the prompts."""
    from datasets import Dataset, DatasetDict

    from hybridlib.model.encoder import settings_for
    from hybridlib.pairs import training_frame
    from hybridlib.sampling.sampler import PairMeta

    settings = settings_for(params.model)
    q, p = settings.query_prefix, settings.passage_prefix
    parts, metas, prompts = {}, {}, {}
    for name, table in pairs.items():
        rows = training_frame(table).rename(columns={"query": "anchor"})
        parts[name] = Dataset.from_pandas(rows, preserve_index=False)
        metas[name] = PairMeta.from_pairs(table, name=name)
        prompts[name] = {"anchor": q, "positive": p, "negative": p}
    if align is not None:
        rows = pd.DataFrame({"anchor": align["src"].to_numpy(), "positive": align["tgt"].to_numpy()})
        parts[ALIGN_SET] = Dataset.from_pandas(rows, preserve_index=False)
        metas[ALIGN_SET] = PairMeta.from_parallel(align, name=ALIGN_SET)
        # Both sides are questions/sentences of the same kind: the symmetric "query: " prefix.
        prompts[ALIGN_SET] = {"anchor": q, "positive": q}
    return DatasetDict(parts), metas, prompts


# ---------------------------------------------------------------- callbacks


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


def _callbacks(log_rows: list[dict[str, Any]], log_path: Path | None = None, meter: BatchMeter | None = None):
    from transformers import TrainerCallback

    class LossGuard(TrainerCallback):
        """Record every logged loss (rewriting the CSV, so a killed run keeps its curve); stop with a
        clear message on NaN/inf or explosion."""

        first: float | None = None

        def on_log(self, args, state, control, logs=None, **kwargs):
            if not logs or "loss" not in logs:
                return
            loss = float(logs["loss"])
            parts = meter.pop_means() if meter is not None else {"qa_loss": math.nan, "align_loss": math.nan}
            log_rows.append(
                {"step": state.global_step, "loss": loss, **parts, "learning_rate": logs.get("learning_rate")}
            )
            if log_path is not None:
                write_text(log_path, pd.DataFrame(log_rows, columns=LOG_COLUMNS).to_csv(index=False))
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
            if meter is not None and folder.is_dir() and state.is_world_process_zero:
                write_json(
                    folder / COUNTS_FILE,
                    {"qa_batches": meter.batches["qa"], "align_batches": meter.batches["align"]},
                )

    return [LossGuard(), SaveCounts()]


# ---------------------------------------------------------------- training


def latest_checkpoint(folder: Path) -> Path | None:
    ckpts = sorted(folder.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[-1]))
    return ckpts[-1] if ckpts else None


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
    counted by :class:`BatchMeter`). With ``checkpoint_every > 0``, checkpoints go to
    ``<run_dir>/checkpoints`` and ``resume=True`` continues from the newest one; the sampler replays
    its batch stream from seed and epoch, so a resumed run ends with the same weights as an
    uninterrupted one.

    ``run_dir`` defaults to :func:`hybridlib.train.identity.train_dir`, named after the training identity
    (``identity.json``). With ``reuse=True`` a finished run of the same identity is returned as it is
    (no training); a folder holding another identity's files (an explicit ``run_dir`` reused with
    other parameters or code) is cleared first, so nothing stale is resumed or kept.
    """
    import torch
    from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from transformers import set_seed

    from hybridlib.model.encoder import (
        load_sentence_transformer,
        resolve_precision,
        settings_for,
        torch_threads,
    )
    from hybridlib.sampling.sampler import make_st_batch_sampler
    from hybridlib.train.losses import alignment_loss, retrieval_loss

    run_dir = Path(run_dir) if run_dir is not None else train_dir(params)
    identity = training_identity(params)
    finished = _finished_run(run_dir, identity)
    if finished is not None and reuse:
        print(f"{run_dir.name}: already trained with this identity; reusing it")
        return finished
    _clear_other_identity(run_dir, identity)
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json(run_dir / IDENTITY_FILE, identity)
    write_json(run_dir / "params.json", {"arm": arm_name(params), **params.to_dict()})
    set_seed(params.seed)

    pairs = training_pairs(params)
    align = alignment_pairs(params) if params.align_weight > 0 else None
    datasets, metas, prompts = build_datasets(params, pairs, align)

    device = "cuda" if torch.cuda.is_available() else "cpu"
    settings = settings_for(params.model, max_seq_length=params.max_seq_length)
    model = load_sentence_transformer(params.model, settings=settings, device=device)
    if params.freeze_embeddings:
        # The 250k x H word-embedding matrix is most of the model and of the optimiser state; frozen,
        # a CPU step is ~1.8x faster and ~40% lighter (measured on e5-small).
        model[0].auto_model.get_input_embeddings().weight.requires_grad_(False)
    losses = {
        name: retrieval_loss(
            model, temperature=params.temperature, cached_mini_batch=params.cached_loss_mini_batch
        )
        for name in pairs
    }
    if align is not None:
        losses[ALIGN_SET] = alignment_loss(model, weight=params.align_weight, temperature=params.temperature)

    checkpoints = run_dir / "checkpoints"
    precision = resolve_precision(params.precision, device)
    # max_steps counts QA batches; alignment batches come on top: the sampler puts one after every
    # align_every QA batches of the whole run (not per epoch), so these total steps are exactly
    # max_steps QA + max_steps // align_every alignment batches, and hybrid and hybrid+align see
    # exactly the same QA batches and differ only in λ. summary.json counts what actually ran.
    total_steps = params.max_steps + (params.max_steps // params.align_every if align is not None else 0)
    args = SentenceTransformerTrainingArguments(
        output_dir=str(checkpoints),
        max_steps=total_steps,
        per_device_train_batch_size=params.batch_size,
        learning_rate=params.learning_rate,
        weight_decay=params.weight_decay,  # the trainer's default is 0.0; the paper uses 0.01
        warmup_steps=params.warmup_ratio,  # a float < 1 is a fraction of max_steps (transformers v5)
        lr_scheduler_type="linear",
        seed=params.seed,
        data_seed=params.seed,
        bf16=precision == "bf16",
        use_cpu=device == "cpu",
        activation_checkpointing=params.gradient_checkpointing,  # transformers v5 name
        save_strategy="steps" if params.checkpoint_every else "no",
        save_steps=params.checkpoint_every or 500,
        save_total_limit=2,
        logging_steps=params.logging_steps,
        logging_first_step=True,
        report_to="none",
        disable_tqdm=False,
        dataloader_drop_last=True,
        prompts=prompts,
        multi_dataset_batch_sampler=make_st_batch_sampler(
            metas,
            sampler=params.sampler,
            alpha=params.alpha,
            seed=params.seed,
            aux_dataset=ALIGN_SET if align is not None else None,
            aux_every=params.align_every if align is not None else 0,
        ),
    )
    checkpoint = latest_checkpoint(checkpoints) if resume and params.checkpoint_every else None
    log_path = run_dir / LOG_FILE
    log_rows: list[dict[str, Any]] = []
    if checkpoint is not None and log_path.is_file():  # keep the curve up to the checkpoint
        resumed_at = int(checkpoint.name.split("-")[-1])
        old = pd.read_csv(log_path)
        log_rows = old[old["step"] <= resumed_at].to_dict("records")
    counts = {}
    if checkpoint is not None and (checkpoint / COUNTS_FILE).is_file():
        counts = json.loads((checkpoint / COUNTS_FILE).read_text())
    meter = BatchMeter(counts.get("qa_batches", 0), counts.get("align_batches", 0))
    for name, loss in losses.items():
        meter.attach(loss, "align" if name == ALIGN_SET else "qa")
    trainer = SentenceTransformerTrainer(
        model=model,
        args=args,
        train_dataset=datasets,
        loss=losses,
        callbacks=_callbacks(log_rows, log_path, meter) + list(extra_callbacks or []),
    )
    start = time.perf_counter()
    with torch_threads(params.threads):
        trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    seconds = time.perf_counter() - start

    model_dir = run_dir / MODEL_DIR
    tmp = run_dir / f".{MODEL_DIR}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save(str(tmp))
    shutil.rmtree(model_dir, ignore_errors=True)
    tmp.rename(model_dir)

    log = pd.DataFrame(log_rows, columns=LOG_COLUMNS)
    write_text(log_path, log.to_csv(index=False))
    summary = {
        "arm": arm_name(params),
        "steps": int(trainer.state.global_step),
        # counted as the batches' losses ran (not from parameters): exactly max_steps and
        # max_steps // align_every (when λ > 0) for a run that completed
        "qa_steps": meter.batches["qa"],
        "alignment_steps": meter.batches["align"],
        "seconds": round(seconds, 2),
        "seconds_per_step": round(seconds / max(trainer.state.global_step, 1), 3),
        "device": device,
        "precision": precision,
        "provenance": provenance(precision=precision, device=device, threads=params.threads),
        "final_loss": float(log["loss"].iloc[-1]) if len(log) else None,
        "training_sets": {name: len(table) for name, table in pairs.items()},
        "alignment_pairs": len(align) if align is not None else 0,
        "batches_per_epoch": len(trainer.get_train_dataloader()),
    }
    write_json(run_dir / SUMMARY_FILE, summary)
    return TrainResult(run_dir, model_dir, log, seconds, summary["steps"])


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
    log = pd.read_csv(run_dir / LOG_FILE) if (run_dir / LOG_FILE).is_file() else pd.DataFrame()
    return TrainResult(run_dir, run_dir / MODEL_DIR, log, float(summary["seconds"]), int(summary["steps"]))


def _clear_other_identity(run_dir: Path, identity: dict[str, Any]) -> None:
    recorded = _recorded_identity(run_dir)
    if recorded is None or recorded == _as_json(identity):
        return
    print(f"{run_dir}: holds a run of another training identity; clearing it")
    for name in (SUMMARY_FILE, LOG_FILE, COUNTS_FILE, "params.json", IDENTITY_FILE):
        (run_dir / name).unlink(missing_ok=True)
    for name in (MODEL_DIR, "checkpoints", f".{MODEL_DIR}.tmp"):
        shutil.rmtree(run_dir / name, ignore_errors=True)
