"""Losses: InfoNCE over in-batch negatives for retrieval, translation ranking for alignment.

* Retrieval (the paper): ``MultipleNegativesRankingLoss`` — softmax over cosine similarities scaled
  by ``1/temperature``; each query's positive against every other passage (and hard negative) of the
  batch. ``CachedMultipleNegativesRankingLoss`` (GradCache) gives the same gradients for large
  batches in small memory, in mini-batches of ``cached_mini_batch`` rows.
* Alignment (this project's extension): translation ranking with in-batch negatives on parallel
  sentences in both directions, as LaBSE's bidirectional dual-encoder loss (Feng et al. 2022, eq. 2-3):
  **one softmax per direction** — src_i against every tgt of the batch, and tgt_i against every src —
  so a perfectly aligned batch has loss → 0 (a single softmax over both directions at once would
  keep ``log 2``). The two directions' losses are averaged (LaBSE sums them: the factor 2 is absorbed
  into λ) and scaled by the weight λ, which multiplies the loss of the alignment batches only.
  LaBSE's additive margin is not used (margin 0): the paper that this repository extends has none.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class WeightedLoss(nn.Module):
    """``weight × loss``: keeps the wrapped loss's ``model`` so the trainer treats it as usual."""

    def __init__(self, loss: nn.Module, weight: float) -> None:
        super().__init__()
        self.loss = loss
        self.weight = float(weight)
        self.model = loss.model

    def forward(self, sentence_features: Any, labels: torch.Tensor | None) -> torch.Tensor:
        return self.weight * self.loss(sentence_features, labels)

    @property
    def citation(self) -> str:
        return getattr(self.loss, "citation", "")


def retrieval_loss(
    model: Any, *, temperature: float, cached_mini_batch: int = 0, gather_across_devices: bool = False
) -> nn.Module:
    """InfoNCE with in-batch negatives (the paper's objective). ``gather_across_devices``: under N
    processes, every query is scored against the passages of all N processes' batches (N × batch
    candidates, gradients flowing back to each process), not only its own process's batch."""
    from sentence_transformers.sentence_transformer import losses

    if cached_mini_batch > 0:
        return losses.CachedMultipleNegativesRankingLoss(
            model,
            scale=1.0 / temperature,
            mini_batch_size=cached_mini_batch,
            gather_across_devices=gather_across_devices,
        )
    return losses.MultipleNegativesRankingLoss(
        model, scale=1.0 / temperature, gather_across_devices=gather_across_devices
    )


def alignment_loss(
    model: Any, *, weight: float, temperature: float, gather_across_devices: bool = False
) -> nn.Module:
    """Bidirectional translation ranking on (source, translation) pairs, scaled by ``weight`` (λ)."""
    from sentence_transformers.sentence_transformer import losses

    ranking = losses.MultipleNegativesRankingLoss(
        model,
        scale=1.0 / temperature,
        directions=("query_to_doc", "doc_to_query"),
        partition_mode="per_direction",  # LaBSE: one softmax per direction (not one joint softmax)
        gather_across_devices=gather_across_devices,
    )
    return WeightedLoss(ranking, weight)
