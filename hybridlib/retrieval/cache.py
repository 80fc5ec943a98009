"""Encode each text list once per model; reuse the vectors across settings, arms' notebooks and reruns.

Why: every evaluation setting (Mo./Cr./Mul., TyDi pools) and every notebook scores the same question
and candidate texts with the same encoder; encoding dominates CPU time. The cache key is the sha256 of
``(model_key, kind, the ordered texts)``, so a different model (or checkpoint: put its step or hash in
``model_key``), a different role (``kind``: e.g. ``"query"`` vs ``"passage"``, whose prefixes differ) or
any change to the texts or their order is a miss. Files are ``<cache_dir>/<kind>-<sha256>.npy``, written
atomically, so concurrent notebooks never read half-written arrays.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from hybridlib.io import atomic_path


def cache_key(texts: Sequence[str], kind: str, model_key: str) -> str:
    """sha256 hex digest of ``(model_key, kind, texts in order)`` (JSON-encoded: unambiguous)."""
    h = hashlib.sha256()
    h.update(json.dumps([model_key, kind, len(texts)], ensure_ascii=False).encode("utf-8"))
    for t in texts:  # streamed: no second copy of a large corpus in memory
        h.update(b"\x00")
        h.update(json.dumps(t, ensure_ascii=False).encode("utf-8"))
    return h.hexdigest()


def cache_path(texts: Sequence[str], kind: str, model_key: str, cache_dir: str | Path) -> Path:
    """Where :func:`cached_encode` stores the vectors of ``texts``."""
    safe_kind = re.sub(r"[^A-Za-z0-9_.-]+", "_", kind) or "texts"
    return Path(cache_dir) / f"{safe_kind}-{cache_key(texts, kind, model_key)}.npy"


def cached_encode(
    encode_fn: Callable[[list[str]], np.ndarray],
    texts: list[str],
    kind: str,
    model_key: str,
    cache_dir: Path,
) -> np.ndarray:
    """``encode_fn(texts)``, computed once per ``(model_key, kind, texts)`` and then loaded from disk.

    A cached file whose row count does not match ``texts`` (or that cannot be read) is recomputed.
    """
    texts = list(texts)
    path = cache_path(texts, kind, model_key, cache_dir)
    if path.exists():
        try:
            arr = np.load(path, allow_pickle=False)
            if arr.shape[:1] == (len(texts),):
                return arr
        except (OSError, ValueError):
            pass
    arr = np.asarray(encode_fn(texts))
    if arr.shape[:1] != (len(texts),):
        raise ValueError(f"encode_fn returned {arr.shape} for {len(texts)} texts")
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.save(fh, arr, allow_pickle=False)
    return arr
