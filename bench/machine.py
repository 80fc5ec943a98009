"""Row 5: the machine's measured matmul limit; row 6: peak memory of encoding and of a training step."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from bench.common import Sizes, time_repeats

BF16_EMULATED_N = 512


def _native_bf16() -> bool:
    from hybridlib.model.encoder import cpu_has_native_bf16

    return cpu_has_native_bf16()


def bench_matmul(sizes: Sizes, threads: int) -> dict[str, Any]:
    """GFLOP/s of an ``n³`` torch matmul in fp32 and bf16 (bf16 is emulated on CPUs without it)."""
    import torch

    out: dict[str, Any] = {}
    gen = torch.Generator().manual_seed(0)
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        # emulated bf16 runs at ~0.3 GFLOP/s on AVX2 (a minute per 2048³ product): smaller there
        n = sizes.matmul_n if name == "fp32" or _native_bf16() else min(sizes.matmul_n, BF16_EMULATED_N)
        a = torch.randn(n, n, generator=gen).to(dtype)
        b = torch.randn(n, n, generator=gen).to(dtype)
        timing = time_repeats(lambda a=a, b=b: torch.mm(a, b), max(3, sizes.repeats))
        out[name] = {"n": n, "timing": timing.to_json(), "gflops": timing.rate(2.0 * n**3 / 1e9)}
    return out


def start_child(what: str, sizes_quick: bool, threads: int) -> subprocess.Popen:
    """Measure ``what`` in a fresh interpreter (so the rows do not contaminate each other's peak)."""
    cmd = [sys.executable, "-m", "bench.memory", what, "--threads", str(threads)]
    if sizes_quick:
        cmd.append("--quick")
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "TOKENIZERS_PARALLELISM": "false"}
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def child_result(what: str, proc: subprocess.Popen) -> dict[str, Any]:
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"memory child {what!r} failed:\n{stderr[-4000:]}")
    return json.loads(stdout.strip().splitlines()[-1])


MEMORY_CHILDREN = ("encode", "train", "train_bare")


def bench_memory(sizes: Sizes, quick: bool, threads: int) -> dict[str, Any]:
    """Peak RSS of each child. A full run measures them one after another with the benchmark's threads;
    ``--quick`` (the smoke test) starts all three at once with one thread each: peaks are per process,
    so only the wall time changes, and most of a toy child's time is importing torch and loading."""
    if quick:
        procs = {what: start_child(what, quick, 1) for what in MEMORY_CHILDREN}
        try:
            children = {what: child_result(what, proc) for what, proc in procs.items()}
        finally:  # one failed child: do not leave the others running
            for proc in procs.values():
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    else:
        children = {what: child_result(what, start_child(what, quick, threads)) for what in MEMORY_CHILDREN}
    return {"encode_texts_per_kind": sizes.memory_texts, "train_pairs": sizes.train_batch, **children}
