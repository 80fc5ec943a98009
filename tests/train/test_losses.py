"""The alignment objective is LaBSE's bidirectional loss: one softmax per direction."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from hybridlib.train.losses import alignment_loss


class _Embed(nn.Module):
    """A stand-in SentenceTransformer: the batch's "features" are the embeddings themselves."""

    def forward(self, features: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {"sentence_embedding": features["emb"]}


def _loss(src: torch.Tensor, tgt: torch.Tensor, *, weight: float = 1.0, temperature: float = 1.0) -> float:
    loss = alignment_loss(_Embed(), weight=weight, temperature=temperature)
    return float(loss([{"emb": src}, {"emb": tgt}], torch.arange(len(src))))


def test_perfectly_aligned_pairs_cost_almost_nothing():
    # Orthogonal sentences, each identical to its translation: cos = 1 on the diagonal, 0 elsewhere.
    # With scale 20 (temperature 0.05) each direction's loss is log(1 + 3 e^-20) ≈ 6e-9. A joint
    # softmax over both directions would keep log 2 ≈ 0.69 here.
    emb = torch.eye(4)
    assert _loss(emb, emb, temperature=0.05) == pytest.approx(0.0, abs=1e-6)


def test_small_case_matches_hand_computation():
    src = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    tgt = torch.tensor([[1.0, 0.0], [1.0, 1.0]]) / torch.tensor([[1.0], [math.sqrt(2)]])
    c = 1 / math.sqrt(2)  # cos(src_0, tgt_1) = cos(src_1, tgt_1) = cos(tgt_1, src_0)
    # Cosine matrix S[i, j] = cos(src_i, tgt_j) = [[1, c], [0, c]] (scale 1 = temperature 1).
    src_to_tgt = [-(1 - math.log(math.e + math.exp(c))), -(c - math.log(1 + math.exp(c)))]
    tgt_to_src = [-(1 - math.log(math.e + 1)), -(c - math.log(2 * math.exp(c)))]
    expected = (sum(src_to_tgt) / 2 + sum(tgt_to_src) / 2) / 2  # mean over rows, then over directions
    assert _loss(src, tgt) == pytest.approx(expected, rel=1e-5)
    assert _loss(src, tgt, weight=0.5) == pytest.approx(0.5 * expected, rel=1e-5)
