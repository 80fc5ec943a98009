"""From parameters to a ready ``SentenceTransformerTrainer``: data, model, losses, arguments, callbacks.

The loop is sentence-transformers' (AdamW, linear warm-up/decay, checkpoints, resume, accelerate-based
DDP); what is configured here is the method's data flow:

    pairs per training set ──► DatasetDict (hybridlib.train.inputs)
    language metadata      ──► LanguageBatchSampler (monolingual / crosslingual / multilingual / hybrid α,
                               + one alignment batch after every ``align_every`` QA batches when λ > 0)
    losses                 ──► InfoNCE per QA set, λ × translation ranking for "align"

Running it and saving the result is :func:`hybridlib.train.run.train`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hybridlib.config import TRAIN_LOG_FILE
from hybridlib.params import ParameterError, Params
from hybridlib.train.callbacks import TrainingRecord, training_callbacks
from hybridlib.train.inputs import ALIGN_SET, alignment_pairs, build_datasets, training_pairs
from hybridlib.train.plan import batch_sampler_factory
from hybridlib.train.processes import world_size

#: Checkpoints of a run go to ``<run_dir>/checkpoints``.
CHECKPOINT_DIR = "checkpoints"


def build_trainer(
    params: Params,
    run_dir: str | Path,
    *,
    record: TrainingRecord | None = None,
    extra_callbacks: list[Any] | None = None,
) -> Any:
    """The ``SentenceTransformerTrainer`` for ``params``, checkpointing to ``<run_dir>/checkpoints``.

    ``record`` (default: a fresh one writing ``<run_dir>/train_log.csv``) receives the loss curve and
    the batch counts; pass one restored from a checkpoint to resume. Seeds everything first, so the
    same parameters build the same model and batches.
    """
    import torch
    from sentence_transformers import SentenceTransformerTrainer
    from transformers import set_seed

    set_seed(params.seed)
    pairs = training_pairs(params)
    align = alignment_pairs(params) if params.align_weight > 0 else None
    datasets, metas, prompts = build_datasets(params, pairs, align)

    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = training_model(params, device)
    losses = training_losses(params, model, pairs, with_alignment=align is not None)
    args = training_arguments(
        params,
        Path(run_dir) / CHECKPOINT_DIR,
        max_steps=total_steps(params, with_alignment=align is not None),
        device=device,
        prompts=prompts,
        multi_dataset_batch_sampler=batch_sampler_factory(params, metas, with_alignment=align is not None),
    )
    record = record if record is not None else TrainingRecord(Path(run_dir) / TRAIN_LOG_FILE)
    for name, loss in losses.items():
        record.meter.attach(loss, "align" if name == ALIGN_SET else "qa")
    return SentenceTransformerTrainer(
        model=model,
        args=args,
        train_dataset=datasets,
        loss=losses,
        callbacks=training_callbacks(record) + list(extra_callbacks or []),
    )


def training_model(params: Params, device: str) -> Any:
    """``params.model`` as a SentenceTransformer on ``device``, word embeddings frozen when asked."""
    from hybridlib.model.encoder import load_sentence_transformer, settings_for

    settings = settings_for(params.model, max_seq_length=params.max_seq_length)
    model = load_sentence_transformer(params.model, settings=settings, device=device)
    if params.freeze_embeddings:
        # The 250k x H word-embedding matrix is most of the model and of the optimiser state; frozen,
        # a CPU step is ~1.8x faster and ~40% lighter (measured on e5-small).
        model[0].auto_model.get_input_embeddings().weight.requires_grad_(False)
    return model


def training_losses(
    params: Params, model: Any, pairs: dict[str, Any], *, with_alignment: bool
) -> dict[str, Any]:
    """One loss per dataset: InfoNCE per QA set, and λ × translation ranking for the alignment set."""
    from hybridlib.train.losses import alignment_loss, retrieval_loss

    gather = params.gather_across_devices
    losses = {
        name: retrieval_loss(
            model,
            temperature=params.temperature,
            cached_mini_batch=params.cached_loss_mini_batch,
            gather_across_devices=gather,
        )
        for name in pairs
    }
    if with_alignment:
        losses[ALIGN_SET] = alignment_loss(
            model, weight=params.align_weight, temperature=params.temperature, gather_across_devices=gather
        )
    return losses


def total_steps(params: Params, *, with_alignment: bool) -> int:
    """Trainer steps: ``max_steps`` QA batches, plus one alignment batch per ``align_every`` of them.

    The sampler puts one alignment batch after every ``align_every`` QA batches of the whole run (not
    per epoch), so hybrid and hybrid+align see exactly the same QA batches and differ only in λ.
    Without a QA set (the align-only arm) the run is ``max_steps`` alignment batches: as many updates
    as a QA-only arm makes. ``summary.json`` counts what actually ran.
    """
    if not params.train_sets:
        return params.max_steps
    return params.max_steps + (params.max_steps // params.align_every if with_alignment else 0)


def training_arguments(
    params: Params, output_dir: str | Path, *, max_steps: int, device: str, **overrides: Any
) -> Any:
    """The trainer's arguments for ``params`` on ``device``; ``overrides`` (the prompts and the batch
    sampler, which depend on the datasets) are added last.

    Under N processes (torchrun / accelerate launch), accelerate hands the sampler's batches out as
    ``params.global_batch`` says: ``per_process`` (accelerate's default) gives process ``r`` the stream's
    batches ``r, r + N, …``, so a step trains on N batches of ``batch_size`` rows whose kinds and
    languages differ; ``split`` (accelerate's ``split_batches``) cuts every sampler batch into N slices
    of ``batch_size / N`` rows, so a step trains on one batch of one kind and language — the stream and
    the steps of a single process.
    """
    from sentence_transformers import SentenceTransformerTrainingArguments

    from hybridlib.model.encoder import resolve_precision

    precision = resolve_precision(params.precision, device)
    split = params.global_batch == "split"
    if split and params.batch_size % world_size():
        raise ParameterError(
            f"global_batch=split cuts each batch of batch_size={params.batch_size} rows into "
            f"{world_size()} equal parts, one per process: make batch_size a multiple of {world_size()} "
            "or use global_batch=per_process"
        )
    arguments = dict(
        output_dir=str(output_dir),
        max_steps=max_steps,
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
    )
    if split:
        arguments["accelerator_config"] = {"split_batches": True}
    return SentenceTransformerTrainingArguments(**{**arguments, **overrides})
