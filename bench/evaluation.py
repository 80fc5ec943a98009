"""Row 7: evaluating one arm on the full pools; row 8: the default experiment's wall time.

Row 7 runs :func:`hybridlib.evaluation.run.evaluate_model` for the zero-shot arm (the embedded e5) on the
pools of ``params/full.yaml`` (the whole TyDi QA GoldP dev set and the whole XQuAD-R pool; ``--quick``:
the tiny TyDi pools of ``params/tiny.yaml``) with an empty embedding cache, end to end: encoding, scoring,
metrics and result files. It reports texts/s and the model's GFLOP/s as a share of the matmul peak of
the precision that ran (row 5). Row 8 reads the wall time of the last ``make run`` that ran every stage
(``runs/default/complete_run.json``, :func:`hybridlib.experiment.run_records.last_complete_run`) with the
machine it ran on: running the whole experiment inside the benchmark would take it 10-30 minutes.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from hybridlib.config import REPO_ROOT

PROFILE = "params/full.yaml"  # the pools of the conclusive experiment
QUICK_PROFILE = "params/tiny.yaml"
QUICK_OVERRIDES = {"eval_sets": ["tydiqa-goldp"]}  # the smoke test: 90 texts, seconds even in fp32
DEFAULT_PROFILE = "params/default.yaml"


def bench_evaluation(quick: bool, threads: int) -> dict[str, Any]:
    from bench.common import non_embedding_params, real_tokens
    from hybridlib.evaluation.run import evaluate_model, evaluation_sets
    from hybridlib.model.encoder import load_encoder
    from hybridlib.params import load_yaml

    profile, overrides = (QUICK_PROFILE, QUICK_OVERRIDES) if quick else (PROFILE, {})
    with tempfile.TemporaryDirectory() as tmp:
        params = load_yaml(REPO_ROOT / profile, **overrides).replace(
            run_dir=str(Path(tmp) / "run"),
            figures_dir=str(Path(tmp) / "figures"),
            threads=threads,
            probe_sentences=0,  # the row counts the evaluation sets' texts only: no bitext probe
        )
        sets = evaluation_sets(params)
        texts = {
            "query": [t for r in sets.values() for t in r.questions["text"]],
            "passage": [t for r in sets.values() for t in r.candidates["text"]],
        }
        encoder = load_encoder(
            precision=params.precision, threads=threads, max_seq_length=params.eval_max_seq_length
        )
        tokens = real_tokens(encoder, texts)
        flops = 2.0 * non_embedding_params(encoder.model[0].auto_model) * tokens
        start = time.perf_counter()
        evaluate_model(params, arm="zero-shot", embedding_cache=Path(tmp) / "embeddings")
        seconds = time.perf_counter() - start
    n_texts = sum(len(v) for v in texts.values())
    return {
        "profile": profile,
        "overrides": overrides,
        "sets": {
            name: {"questions": len(r.questions), "candidates": len(r.candidates)} for name, r in sets.items()
        },
        "texts": n_texts,
        "tokens": int(tokens),
        "precision": encoder.precision,
        "seconds": seconds,
        "texts_per_s": n_texts / seconds,
        "gflops_achieved": flops / seconds / 1e9,
    }


def default_experiment_time() -> dict[str, Any] | None:
    """The last whole ``make run`` (every stage ran): wall seconds, stages at a time, when and where."""
    from hybridlib.experiment.run_records import last_complete_run
    from hybridlib.params import load_yaml

    report = last_complete_run(load_yaml(REPO_ROOT / DEFAULT_PROFILE))
    if report is None:
        return None
    return {key: report.get(key) for key in ("wall_seconds", "jobs", "finished", "machine")} | {
        "stages": len(report["stages"])
    }
