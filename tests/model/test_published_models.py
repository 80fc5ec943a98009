"""Published sentence-transformers models load with all their modules (e.g. LaBSE's Dense head)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tiny_models import TINY_LABSE_DIM, offline_hub, place_in_hub_cache

TEXTS = ["Who wrote the book?", "Wer hat das Buch geschrieben?", "a b c", "the cat sat on the mat"]


@pytest.fixture(scope="module")
def st_folder(tiny_model):
    """A published folder: the tiny LaBSE-like model (``conftest.tiny_model``)."""
    return Path(tiny_model)


@pytest.fixture()
def hub_id(st_folder, tmp_path):
    """``acme/tiny-labse`` as an offline hub cache holds a downloaded model."""
    with offline_hub(tmp_path / "hub"):
        yield place_in_hub_cache(st_folder, "acme/tiny-labse", tmp_path / "hub")


def _reference(folder, kind_prefix=""):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(folder), device="cpu")
    return model.encode([kind_prefix + t for t in TEXTS], convert_to_numpy=True, normalize_embeddings=True)


def _hybridlib(name, **kwargs):
    from hybridlib.model.encoder import load_encoder

    encoder = load_encoder(name, precision="fp32", query_prefix="", passage_prefix="", **kwargs)
    return encoder, encoder.encode(TEXTS, "query", show_progress=False)


@pytest.mark.parametrize("where", ["folder", "hub"])
def test_published_model_loads_with_all_its_modules(where, st_folder, request):
    name = str(st_folder) if where == "folder" else request.getfixturevalue("hub_id")
    encoder, emb = _hybridlib(name)
    kinds = [type(m).__name__ for m in encoder.model]
    assert kinds == ["Transformer", "Pooling", "Dense", "Normalize"]
    assert encoder.dim == TINY_LABSE_DIM
    np.testing.assert_allclose(emb, _reference(st_folder), rtol=0, atol=1e-5)


def test_published_model_keeps_hybridlib_settings(hub_id, st_folder):
    from hybridlib.model.encoder import load_encoder

    encoder = load_encoder(hub_id, precision="fp32", max_seq_length=8)
    assert encoder.model.max_seq_length == 8
    emb = encoder.encode(TEXTS, "passage", show_progress=False)  # the e5 prefixes by default
    from sentence_transformers import SentenceTransformer

    ref = SentenceTransformer(str(st_folder), device="cpu")
    ref.max_seq_length = 8
    expected = ref.encode(["passage: " + t for t in TEXTS], normalize_embeddings=True)
    np.testing.assert_allclose(emb, expected, rtol=0, atol=1e-5)


def test_embedded_e5_loads_exactly_as_before(embedded_encoder, embedded_model_dir):
    """The embedded e5 folder goes through the same path as before (its own modules.json): the
    modules and the embeddings equal those of sentence-transformers' own loading, bit for bit in
    fp32 up to the batching of the reference."""
    from sentence_transformers import SentenceTransformer

    from hybridlib.model.encoder import has_sentence_transformers_config

    assert has_sentence_transformers_config(str(embedded_model_dir))
    assert [type(m).__name__ for m in embedded_encoder.model] == ["Transformer", "Pooling", "Normalize"]
    ref = SentenceTransformer(str(embedded_model_dir), device="cpu")
    for kind in ("query", "passage"):
        emb = embedded_encoder.encode(TEXTS, kind, show_progress=False)
        expected = ref.encode([f"{kind}: {t}" for t in TEXTS], batch_size=1, normalize_embeddings=True)
        np.testing.assert_allclose(emb, expected, rtol=0, atol=1e-5)


def test_unreachable_hub_id_is_not_a_published_model():
    from hybridlib.model.encoder import has_sentence_transformers_config

    assert not has_sentence_transformers_config("nobody/no-such-model-anywhere")
    assert not has_sentence_transformers_config("not a valid repo id//")
