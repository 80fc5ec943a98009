"""Row 3: one training step — hybridlib's path (``SentenceTransformerTrainer`` with the arguments, model
and loss of ``hybridlib.train.trainer``) vs a bare PyTorch loop, on the same batch.

hybridlib's side runs the *real* trainer for ``repeats + 1`` steps on one fixed batch (a batch sampler
that yields the same 32 indices every step) and times the interval between consecutive ``on_step_end``
callbacks, so every per-step cost of the real path counts: data loading and collation (tokenisation
with the prompts), MNRL forward and backward, gradient clipping (the trainer's default
``max_grad_norm=1.0``), the AdamW step, the LR scheduler and the callbacks. The first step is the
warm-up. The bare loop gets the collator's tokenised tensors once and times forward (``AutoModel``,
manual mean pooling, cosine × 20, cross-entropy) + backward + ``torch.optim.AdamW`` step + zero_grad.
Both: the library's defaults (fp32, frozen word embeddings, lr 3e-5, weight decay 0.01, τ 0.05), train
mode (dropout on).
"""

from __future__ import annotations

import functools
import itertools
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

from bench.common import Sizes, Timing, non_embedding_params, time_repeats, training_pairs
from hybridlib.params import Params, validate

GOAL_RATIO = 1.1


class SameBatchSampler:
    """Batch sampler yielding the first ``batch_size`` rows ``steps`` times (one fixed batch)."""

    def __init__(self, dataset: Any, batch_size: int, steps: int, **_: Any) -> None:
        self.indices = list(range(min(batch_size, len(dataset))))
        self.steps = steps

    def __iter__(self) -> Iterator[list[int]]:
        for _ in range(self.steps):
            yield list(self.indices)

    def __len__(self) -> int:
        return self.steps


def training_params(batch_size: int, seq_len: int) -> Params:
    """The library's parameters for the measured step: its defaults (embedded model, lr 3e-5, weight
    decay 0.01, warm-up 0.1, τ 0.05, frozen word embeddings) at fp32, one batch of ``batch_size``."""
    return validate(
        {
            "precision": "fp32",
            "batch_size": batch_size,
            "max_seq_length": seq_len,
            "seed": 0,
            "logging_steps": 5,
        }
    )


def fixed_batch_trainer(
    params: Params, model: Any, anchors: list[str], positives: list[str], steps: int, out_dir: str
) -> Any:
    """The trainer with ``hybridlib.train.trainer``'s arguments and loss (CPU, single dataset), fed
    one fixed batch ``steps`` times."""
    from datasets import Dataset
    from sentence_transformers import SentenceTransformerTrainer

    from hybridlib.model.encoder import settings_for
    from hybridlib.train.losses import retrieval_loss
    from hybridlib.train.trainer import training_arguments

    settings = settings_for(params.model)
    args = training_arguments(
        params,
        out_dir,
        max_steps=steps,
        device="cpu",
        disable_tqdm=True,
        prompts={"anchor": settings.query_prefix, "positive": settings.passage_prefix},
        batch_sampler=functools.partial(SameBatchSampler, steps=steps),
    )
    dataset = Dataset.from_dict({"anchor": anchors, "positive": positives})
    loss = retrieval_loss(
        model, temperature=params.temperature, cached_mini_batch=params.cached_loss_mini_batch
    )
    return SentenceTransformerTrainer(model=model, args=args, train_dataset=dataset, loss=loss)


def hybridlib_steps(
    anchors: list[str],
    positives: list[str],
    seq_len: int,
    steps: int,
    on_loaded: Callable[[], Any] | None = None,
) -> dict[str, Any]:
    """Run the real trainer ``steps`` steps; per-step seconds (first = warm-up) and batch facts.
    ``on_loaded`` is called once the model is loaded, before the trainer is built."""
    from transformers import PrinterCallback, TrainerCallback

    ends: list[float] = []

    class StepClock(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            if not ends:
                ends.append(time.perf_counter())

        def on_step_end(self, args, state, control, **kwargs):
            ends.append(time.perf_counter())

    from hybridlib.train.trainer import training_model

    params = training_params(len(anchors), seq_len)
    model = training_model(params, "cpu")
    if on_loaded is not None:
        on_loaded()
    with tempfile.TemporaryDirectory(prefix="bench-train-") as out_dir:
        trainer = fixed_batch_trainer(params, model, anchors, positives, steps, out_dir)
        trainer.remove_callback(PrinterCallback)  # its per-log dict prints would clutter the report
        trainer.add_callback(StepClock())
        trainer.train()
        batch = trainer.data_collator(
            [{"anchor": a, "positive": p} for a, p in zip(anchors, positives, strict=True)]
        )
        features, _ = trainer.collect_features(batch)
        optimizer = type(
            trainer.optimizer.optimizer if hasattr(trainer.optimizer, "optimizer") else trainer.optimizer
        )
        optim_name = f"{optimizer.__module__}.{optimizer.__name__} ({trainer.args.optim})"
    seconds = [b - a for a, b in itertools.pairwise(ends)]
    return {
        "seconds": seconds,
        "features": features,
        "optimizer": optim_name,
        "max_grad_norm": float(trainer.args.max_grad_norm),
        "non_embedding_params": non_embedding_params(model[0].auto_model),
        "model_path": model[0].auto_model.name_or_path,
    }


def bare_loop(
    features: list[dict[str, Any]],
    model_path: str,
    repeats: int,
    on_loaded: Callable[[], Any] | None = None,
) -> tuple[Timing, Any]:
    """Plain PyTorch: AutoModel + mean pooling + cross-entropy on scaled cosine scores + AdamW."""
    import torch
    import torch.nn.functional as F
    from transformers import AutoModel

    model = AutoModel.from_pretrained(model_path, add_pooling_layer=False)
    model.get_input_embeddings().weight.requires_grad_(False)
    model.train()
    if on_loaded is not None:
        on_loaded()
    defaults = validate({})  # the library's optimiser and loss settings
    opt = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad],
        lr=defaults.learning_rate,
        weight_decay=defaults.weight_decay,
    )
    inputs = [{k: f[k] for k in ("input_ids", "attention_mask") if k in f} for f in features]

    def embed(batch: dict[str, torch.Tensor]) -> torch.Tensor:
        hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return F.normalize(pooled, dim=-1)

    def step() -> None:
        q, p = embed(inputs[0]), embed(inputs[1])
        scores = q @ p.T / defaults.temperature
        loss = F.cross_entropy(scores, torch.arange(len(q)))
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    return time_repeats(step, repeats), model


def bench_training(sizes: Sizes, threads: int) -> dict[str, Any]:
    anchors, positives = training_pairs(sizes.train_batch)
    hyb = hybridlib_steps(anchors, positives, sizes.train_seq_len, sizes.repeats + 1)
    hyb_timing = Timing(tuple(hyb["seconds"][1:]))  # drop the warm-up step
    bare, _ = bare_loop(hyb["features"], hyb["model_path"], sizes.repeats)
    masks = [f["attention_mask"] for f in hyb["features"]]
    real_tokens = int(sum(int(m.sum()) for m in masks))
    padded_tokens = int(sum(m.numel() for m in masks))
    flops = 6.0 * hyb["non_embedding_params"] * real_tokens
    ratio = hyb_timing.median / bare.median
    return {
        "pairs": len(anchors),
        "max_seq_length": sizes.train_seq_len,
        "shapes": [list(m.shape) for m in masks],
        "real_tokens": real_tokens,
        "padded_tokens": padded_tokens,
        "hybridlib_optimizer": hyb["optimizer"],
        "hybridlib_max_grad_norm": hyb["max_grad_norm"],
        "timings": {"hybridlib_trainer": hyb_timing.to_json(), "bare_pytorch": bare.to_json()},
        "ratio_hybridlib_over_bare": ratio,
        "ratio_range": [hyb_timing.min / bare.max, hyb_timing.max / bare.min],
        "goal": {"goal": GOAL_RATIO, "pass": ratio <= GOAL_RATIO},
        "gflops_achieved": {
            "hybridlib_trainer": flops / hyb_timing.median / 1e9,
            "bare_pytorch": flops / bare.median / 1e9,
        },
    }
