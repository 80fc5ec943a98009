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


def test_gradcache_gives_the_gradients_of_the_whole_batch(tiny_model):
    """``cached_loss_mini_batch`` (GradCache) is claimed to train as the plain in-batch InfoNCE of the whole
    batch does, in less memory: on one batch of 8 pairs, in mini-batches of 3 (the last one short), the loss
    and every parameter's gradient equal the plain loss's (a tiny random BERT, dropout off)."""
    from sentence_transformers import SentenceTransformer

    from hybridlib.train.losses import retrieval_loss

    model = SentenceTransformer(tiny_model, device="cpu")  # conftest.tiny_model
    # No dropout, so the two losses see one function; float64, so that summing in another order (mini-batches)
    # cannot hide a real difference inside float32 rounding.
    model.eval().double()
    queries = [f"question number {i} about topic {i * 7}" for i in range(8)]
    passages = [f"passage {i}: the answer to question {i} is {i * 7}" for i in range(8)]
    features = [model.preprocess(queries), model.preprocess(passages)]
    labels = torch.arange(8)

    def loss_and_gradients(cached_mini_batch: int) -> tuple[float, dict[str, torch.Tensor]]:
        model.zero_grad()
        loss = retrieval_loss(model, temperature=0.05, cached_mini_batch=cached_mini_batch)
        value = loss([dict(f) for f in features], labels)
        value.backward()
        return value.item(), {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    plain_loss, plain = loss_and_gradients(0)
    cached_loss, cached = loss_and_gradients(3)
    assert cached_loss == pytest.approx(plain_loss, rel=1e-5)
    assert cached.keys() == plain.keys() and len(plain) > 10
    for name, grad in plain.items():
        assert torch.allclose(cached[name], grad, rtol=1e-9, atol=1e-12), name
