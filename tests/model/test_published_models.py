"""Published sentence-transformers models load with all their modules (e.g. LaBSE's Dense head)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

TEXTS = ["Who wrote the book?", "Wer hat das Buch geschrieben?", "a b c", "the cat sat on the mat"]


def _tiny_st_folder(path, tokenizer_source):
    """CLS pooling -> Dense(tanh) -> Normalize on a tiny random BERT, the layout of LaBSE."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import modules
    from transformers import AutoTokenizer, BertConfig, BertModel

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_source))
    bert_dir = path.parent / (path.name + "-bert")
    config = BertConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=128, pad_token_id=tokenizer.pad_token_id,
    )  # fmt: skip
    BertModel(config).save_pretrained(bert_dir)
    tokenizer.save_pretrained(bert_dir)
    transformer = modules.Transformer(str(bert_dir), max_seq_length=64)
    pooling = modules.Pooling(32, pooling_mode="cls")
    dense = modules.Dense(32, 16, activation_function=torch.nn.Tanh())
    model = SentenceTransformer(modules=[transformer, pooling, dense, modules.Normalize()], device="cpu")
    model.save(str(path))
    shutil.rmtree(bert_dir)
    return path


@pytest.fixture(scope="module")
def st_folder(tmp_path_factory, embedded_model_dir):
    return _tiny_st_folder(tmp_path_factory.mktemp("st") / "tiny-labse", embedded_model_dir)


@pytest.fixture()
def hub_id(st_folder, tmp_path, monkeypatch):
    """``acme/tiny-labse`` as an offline hub cache holds a downloaded model."""
    from huggingface_hub import constants

    repo = tmp_path / "hub" / "models--acme--tiny-labse"
    commit = "0" * 40
    shutil.copytree(st_folder, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    return "acme/tiny-labse"


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
    assert encoder.dim == 16
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
