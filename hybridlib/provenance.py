"""Where and how a result was computed: one helper for every file the project writes.

Timings and numbers are only comparable with the machine, precision and library versions stated, so
every result file (evaluation JSON, training ``summary.json``, the pipeline report) embeds
:func:`provenance`.
"""

from __future__ import annotations

import os
import platform
import subprocess
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from hybridlib import __version__
from hybridlib.config import REPO_ROOT

_VERSIONED = ("torch", "transformers", "sentence-transformers", "faiss-cpu", "numpy")


#: Outputs the experiment itself rewrites in the repository; changes there do not make the *code* dirty.
GENERATED_PATHS = ("figures", "README.md")


def git_state(repo_dir: str | os.PathLike | None = None) -> tuple[str | None, bool | None]:
    """``(git rev-parse HEAD, code has uncommitted changes)``; ``(None, None)`` without git.

    "Dirty" counts every uncommitted change (untracked, non-ignored files included) except in
    :data:`GENERATED_PATHS`, which a running experiment rewrites: a result computed by committed code
    while ``make run`` refreshes ``figures/`` is not dirty."""
    cwd = Path(repo_dir) if repo_dir is not None else REPO_ROOT
    exclude = [f":(exclude){path}" for path in GENERATED_PATHS]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", ".", *exclude],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None, None
    return (head or None), bool(status.strip())


@cache
def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what :mod:`platform` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


@cache
def cpu_features() -> list[str]:
    """The CPU flags that decide encoding speed and bf16 support here (AVX2, AVX-512 BF16, AMX)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    flags = next((ln.split(":", 1)[1].split() for ln in text.splitlines() if ln.startswith("flags")), [])
    wanted = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")
    return [f for f in wanted if f in flags]


def machine_description() -> str:
    """One line: CPU model, cores, memory, Python (for reports and benchmark tables)."""
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024**2:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu_model()}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}"


def library_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def provenance(*, precision: str, device: str, threads: int | None = None) -> dict[str, Any]:
    """What a result file records about how it was computed.

    ``precision`` must be the resolved one (``fp32``/``bf16``, never ``auto``); ``threads`` the torch
    intra-op thread count in force (``None``: read it from torch now).
    """
    if precision not in ("fp32", "bf16"):
        raise ValueError(f"provenance needs the resolved precision (fp32 or bf16), got {precision!r}")
    if threads is None:
        import torch

        threads = torch.get_num_threads()
    commit, dirty = git_state()
    return {
        "precision": precision,
        "device": device,
        "cpu": cpu_model(),
        "cpu_features": cpu_features(),
        "cores": os.cpu_count(),
        "threads": int(threads),
        "python": platform.python_version(),
        "versions": {"hybridlib": __version__, **library_versions()},
        "git_commit": commit,
        "git_dirty": dirty,
    }
