"""bf16 autocast may replace fp32 only if it leaves the metrics where they were.

``precision: auto`` encodes and trains in bf16 on CPUs with native bf16; this is the check that licenses
it: the embedded e5 scores a fixed TyDi QA pool (the first 50 questions per language, nine languages:
450 questions against their 450 passages, per-language pools and the pool of all nine) in fp32 and in
bf16: each pool's macro mAP agrees within 0.002, and each language's mAP (50 questions, so one swapped
rank moves it by up to 0.01) within 0.02. On a CPU without native bf16 the bf16 run is emulated (slow,
never chosen by ``auto``) but must agree all the same.
"""

from __future__ import annotations

import json

import pytest

from hybridlib.evaluation.results import precision_sentence
from hybridlib.evaluation.run import evaluate_model
from hybridlib.params import Params

TOLERANCE = 0.002


@pytest.mark.slow
def test_bf16_and_fp32_give_the_same_map_on_a_fixed_pool(tmp_path, data_root):
    base = Params(
        run_dir=str(tmp_path / "run"),
        eval_sets=["tydiqa-goldp"],
        tydi_max_questions=50,
        eval_max_seq_length=128,
        probe_sentences=0,  # the check is of the retrieval metrics
    )
    results = {}
    for precision in ("fp32", "bf16"):
        params = base.replace(precision=precision)
        path = evaluate_model(params, arm=f"zero-shot-{precision}", model_path=params.model)["tydiqa-goldp"]
        results[precision] = json.loads(path.read_text())
        assert results[precision]["provenance"]["precision"] == precision
    fp32, bf16 = results["fp32"], results["bf16"]
    assert fp32["counts"]["questions"] == bf16["counts"]["questions"] == 450
    for pool in ("mono", "mul"):
        a, b = fp32["pools"][pool], bf16["pools"][pool]
        assert abs(a["macro"]["mAP"] - b["macro"]["mAP"]) <= TOLERANCE, (pool, a["macro"], b["macro"])
        for lang, metrics in a["per_language"].items():
            # one language has 50 questions: one swapped rank moves its mAP by up to 1/100
            assert abs(metrics["mAP"] - b["per_language"][lang]["mAP"]) <= 0.02, (pool, lang)


def test_the_precision_sentence_reads_the_result_files_or_says_they_are_absent(tmp_path):
    """The README states how a run computed from its result files' provenance; a clone holds a run's
    tables but not its result files (not committed), and then nothing is claimed."""
    params = Params(run_dir=str(tmp_path / "run"))
    absent = precision_sentence(params)
    assert absent == f"(No result files in {tmp_path / 'run'} here, so precision and CPU cannot be stated.)"
    provenance = {
        "precision": "bf16", "device": "cpu", "threads": 2, "cpu_features": ["avx2", "avx512_bf16"],
        "versions": {"torch": "2.13.0+cpu"}, "git_commit": "0123456789", "git_dirty": False,
    }  # fmt: skip
    for arm, precision in (("zero-shot", "fp32"), ("hybrid", "bf16")):
        folder = tmp_path / "run" / "results" / arm
        folder.mkdir(parents=True)
        (folder / "tydiqa-goldp.json").write_text(
            json.dumps({"provenance": {**provenance, "precision": precision}})
        )
    assert precision_sentence(params) == (
        "Evaluation ran in bf16 and fp32 on cpu (2 threads; CPU features avx2, avx512_bf16: bf16 native), "
        "torch 2.13.0+cpu, git 0123456."
    )
