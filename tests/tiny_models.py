"""Tiny random models of the paper's two encoder families, and an offline hub cache that serves them
under the paper's names.

Why: the paper profiles (``params/paper-xlmr.yaml``, ``params/paper-labse.yaml``) name hub models that
CI cannot download. Models of the same families, built in seconds, run every code path those names
take except the download: a bare XLM-R checkpoint (RoBERTa configuration, SentencePiece tokenizer; hybridlib
adds mean pooling) and a published sentence-transformers folder laid out like LaBSE (BERT, CLS pooling,
Dense(tanh), Normalize). Both use the embedded e5's tokenizer, which is XLM-R's SentencePiece vocabulary.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

#: Hidden size of both tiny transformers: the XLM-R-like model's embedding dimension.
TINY_HIDDEN = 32
#: Output of the LaBSE-like Dense head: that model's embedding dimension (differs from the hidden size,
#: so a result can only have it when the Dense module ran).
TINY_LABSE_DIM = 16
#: Longest input of both: the paper profiles evaluate at 512 tokens.
TINY_MAX_TOKENS = 512
#: What the published LaBSE folder sets (sentence_bert_config.json) and the tiny copy repeats.
LABSE_MAX_SEQ_LENGTH = 256


#: Pieces :func:`small_vocabulary_tokenizer` keeps (of the 250,002 of the embedded e5's tokenizer).
SMALL_VOCABULARY = 4000


def small_vocabulary_tokenizer(path: Path, tokenizer_source: Path, size: int = SMALL_VOCABULARY) -> Path:
    """A folder holding the tokenizer of ``tokenizer_source`` (a SentencePiece Unigram ``tokenizer.json``,
    the embedded e5's) cut to its special tokens and ``size`` most likely pieces, then ``<mask>``.

    It still tokenizes any text (a rarer word falls apart into shorter pieces, or ``<unk>``), and it
    loads in milliseconds where the whole vocabulary takes ~2 s: for tiny models that are loaded again
    and again, whose tests are about batches, steps and files, not about how text is cut."""
    import json

    tokenizer = json.loads((Path(tokenizer_source) / "tokenizer.json").read_text())
    vocab = tokenizer["model"]["vocab"]
    assert tokenizer["model"]["type"] == "Unigram" and vocab[-1][0] == "<mask>", "an XLM-R vocabulary"
    tokenizer["model"]["vocab"] = [*vocab[:size], vocab[-1]]
    for token in tokenizer["added_tokens"]:
        if token["content"] == "<mask>":
            token["id"] = size
    path = Path(path)
    path.mkdir(parents=True)
    (path / "tokenizer.json").write_text(json.dumps(tokenizer, ensure_ascii=False))
    shutil.copy(Path(tokenizer_source) / "tokenizer_config.json", path)
    return path


def _transformer_shape() -> dict[str, int]:
    """The shape both tiny transformers share: 2 layers of 2 heads of width 32."""
    return dict(
        hidden_size=TINY_HIDDEN, num_hidden_layers=2, num_attention_heads=2, intermediate_size=2 * TINY_HIDDEN
    )


def tiny_xlmr_folder(path: Path, tokenizer_source: Path) -> Path:
    """A bare transformers folder (no ``modules.json``) like ``FacebookAI/xlm-roberta-base``: a random
    masked-LM checkpoint (as published: no pooler, an LM head) and an ``XLMRobertaTokenizerFast`` over
    the SentencePiece (Unigram) tokenizer of ``tokenizer_source``. Loaded by name, hybridlib gives it
    Transformer -> mean Pooling -> Normalize."""
    import torch
    from tokenizers import Tokenizer
    from transformers import XLMRobertaConfig, XLMRobertaForMaskedLM, XLMRobertaTokenizerFast

    torch.manual_seed(0)
    tokenizer = XLMRobertaTokenizerFast(
        tokenizer_object=Tokenizer.from_file(str(Path(tokenizer_source) / "tokenizer.json")),
        bos_token="<s>", eos_token="</s>", sep_token="</s>", cls_token="<s>", unk_token="<unk>",
        pad_token="<pad>", mask_token="<mask>", model_max_length=TINY_MAX_TOKENS,
    )  # fmt: skip
    config = XLMRobertaConfig(
        vocab_size=len(tokenizer),
        # RoBERTa numbers positions from pad_token_id + 1: 512 tokens need 514 positions (as XLM-R has).
        max_position_embeddings=TINY_MAX_TOKENS + tokenizer.pad_token_id + 1,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        type_vocab_size=1,
        **_transformer_shape(),
    )
    XLMRobertaForMaskedLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return Path(path)


def tiny_labse_folder(path: Path, tokenizer_source: Path) -> Path:
    """A published sentence-transformers folder laid out like ``sentence-transformers/LaBSE``: a random
    BERT, CLS pooling -> Dense(tanh, 32 -> 16) -> Normalize, no prompts of its own."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import modules
    from transformers import AutoTokenizer, BertConfig, BertModel

    torch.manual_seed(0)
    path = Path(path)
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_source))
    bert_dir = path.parent / (path.name + "-bert")
    config = BertConfig(
        vocab_size=len(tokenizer), max_position_embeddings=TINY_MAX_TOKENS,
        pad_token_id=tokenizer.pad_token_id, **_transformer_shape(),
    )  # fmt: skip
    BertModel(config).save_pretrained(bert_dir)
    tokenizer.save_pretrained(bert_dir)
    transformer = modules.Transformer(str(bert_dir), max_seq_length=LABSE_MAX_SEQ_LENGTH)
    pooling = modules.Pooling(TINY_HIDDEN, pooling_mode="cls")
    dense = modules.Dense(TINY_HIDDEN, TINY_LABSE_DIM, activation_function=torch.nn.Tanh())
    model = SentenceTransformer(modules=[transformer, pooling, dense, modules.Normalize()], device="cpu")
    model.save(str(path))
    shutil.rmtree(bert_dir)
    return path


def place_in_hub_cache(folder: Path, repo_id: str, hub_cache: Path) -> str:
    """Copy ``folder`` into ``hub_cache`` the way ``huggingface_hub`` stores a downloaded snapshot
    (``models--<org>--<name>/snapshots/<commit>`` and ``refs/main``), so that ``repo_id`` loads offline.
    The commit is derived from the folder's content: two different tiny models never share one."""
    from hybridlib.fingerprint import folder_fingerprint

    commit = hashlib.sha1(folder_fingerprint(Path(folder)).encode()).hexdigest()
    repo = Path(hub_cache) / ("models--" + repo_id.replace("/", "--"))
    shutil.copytree(folder, repo / "snapshots" / commit)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    return repo_id


@contextlib.contextmanager
def offline_hub(hub_cache: Path, **extra_env: str) -> Iterator[None]:
    """Serve models from ``hub_cache`` only, in this process and in every process it starts (papermill
    kernels inherit the environment), then restore the previous settings.

    ``huggingface_hub`` reads its cache folder and offline flag from the environment once, at import, so
    the module constants of this process are set too. ``extra_env`` adds variables for the same span.
    """
    from huggingface_hub import constants

    env = {"HF_HUB_CACHE": str(hub_cache), "HF_HUB_OFFLINE": "1", **extra_env}
    saved_env = {name: os.environ.get(name) for name in env}
    saved_constants = (constants.HF_HUB_CACHE, constants.HF_HUB_OFFLINE)
    os.environ.update(env)
    constants.HF_HUB_CACHE, constants.HF_HUB_OFFLINE = str(hub_cache), True
    try:
        yield
    finally:
        constants.HF_HUB_CACHE, constants.HF_HUB_OFFLINE = saved_constants
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
