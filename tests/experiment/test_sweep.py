from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sample_results import RESULTS
from scipy import stats

from hybridlib.analysis.answers import seed_answers, seed_comparisons
from hybridlib.analysis.seeds import mean_std, mean_std_table, seed_long, seeds_table, summary_metrics
from hybridlib.experiment.sweep import alpha_sweep, seed_params
from hybridlib.params import load_yaml


def test_summary_metrics_and_seed_aggregation():
    m = summary_metrics(RESULTS["hybrid"])
    assert m["xquad-r cr mAP"] == 0.61 and m["xquad-r rank distance"] == 15.0
    assert m["tydiqa-goldp mAP unseen"] == 0.52
    long = pd.DataFrame(
        [{"arm": "hybrid", "seed": s, "metric": "x", "value": v} for s, v in enumerate([0.5, 0.7, 0.6])]
        + [{"arm": "multilingual", "seed": 0, "metric": "x", "value": 0.4}]
    )
    stats = mean_std(long, "arm").set_index("arm")
    assert np.isclose(stats.loc["hybrid", "mean"], 0.6) and np.isclose(stats.loc["hybrid", "std"], 0.1)
    assert np.isnan(stats.loc["multilingual", "std"])
    table = seeds_table(long, ["multilingual", "hybrid"])
    assert list(table.index) == ["multilingual", "hybrid"]
    assert table.loc["hybrid", "x"] == "0.6000 ± 0.1000 (n=3)"


def test_alpha_sweep_trains_and_evaluates_each_alpha(tmp_path, tiny_model):
    """On the tiny random encoder (``conftest.tiny_model``): which models the sweep trains, names and
    reuses does not depend on the model."""
    params = load_yaml(
        Path(__file__).resolve().parents[2] / "params" / "tiny.yaml",
        run_dir=str(tmp_path),
        model=tiny_model,
        eval_sets=["xquad-r"],
        max_steps=1,
    )
    long = alpha_sweep(params, alphas=[0.0, 1.0], seeds=[0])
    assert set(long["alpha"]) == {0.0, 1.0}
    assert {"xquad-r mo mAP", "xquad-r rank distance"} <= set(long["metric"])
    assert long["value"].notna().all()
    # hybrid at α = 0 / 1 is the crosslingual / monolingual run: trained once, under that name.
    trained = sorted(p.name.split("_")[0] for p in (tmp_path / "train").iterdir())
    assert trained == ["crosslingual", "monolingual"]
    # A second call reuses models and results instead of recomputing them.
    again = alpha_sweep(params, alphas=[0.0, 1.0], seeds=[0])
    pd.testing.assert_frame_equal(long, again)


def test_seed_params_main_run_is_its_own_seed():
    params = load_yaml(Path(__file__).resolve().parents[2] / "params" / "tiny.yaml", seed=0)
    assert seed_params(params, 0) is params
    other = seed_params(params, 2)
    assert other.seed == 2 and Path(other.run_dir) == Path(params.run_dir) / "seed2"
    assert Path(other.figures_dir) == Path(params.run_dir) / "seed2" / "figures"


def test_mean_std_table_single_value_has_no_spread():
    long = pd.DataFrame([{"alpha": 0.5, "metric": "m", "value": 0.25}])
    assert mean_std_table(long, "alpha").loc[0.5, "m"] == "0.2500 (n=1)"


def _long(values: dict[tuple[str, str], list[float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"arm": arm, "seed": seed, "metric": metric, "value": v}
            for (arm, metric), vs in values.items()
            for seed, v in enumerate(vs)
        ]
    )


def _vectors(values: dict[tuple[str, str, str], list[np.ndarray]], clusters: dict[str, np.ndarray]):
    """``{seed: {dataset: {arm: {metric: array, qid, cluster}}}}`` from per-seed arrays."""
    out: dict[int, dict] = {}
    for (ds, arm, metric), per_seed in values.items():
        for seed, arr in enumerate(per_seed):
            entry = out.setdefault(seed, {}).setdefault(ds, {}).setdefault(arm, {})
            entry.update({metric: np.asarray(arr, dtype=float), "cluster": clusters[ds]})
            entry["qid"] = np.arange(len(arr)).astype(str)
    return out


def test_seed_comparisons_known_differences_intervals_and_p_values():
    long = _long(
        {
            ("hybrid", "xquad-r mo mAP"): [0.60, 0.62, 0.55],
            ("monolingual", "xquad-r mo mAP"): [0.50, 0.52, 0.60],
            ("hybrid+align", "tydiqa-goldp mAP"): [0.9, 0.8, 0.7],
            ("multilingual", "tydiqa-goldp mAP"): [0.8, 0.8, 0.8],
        }
    )
    # xquad-r: 4 questions × 2 languages; each seed's per-row difference hybrid − mono is constant
    # (+0.10, +0.10, −0.05) so each seed's question-level difference is known exactly.
    xq = np.repeat(["q1", "q2", "q3", "q4"], 2)
    ty = np.array(["t1", "t2", "t3"])
    mono = [np.linspace(0.3, 0.7, 8)] * 3
    tydi_base = [np.array([0.8, 0.8, 0.8])] * 3
    vectors = _vectors(
        {
            ("xquad-r", "monolingual", "mo"): mono,
            ("xquad-r", "hybrid", "mo"): [m + d for m, d in zip(mono, [0.10, 0.10, -0.05], strict=True)],
            ("tydiqa-goldp", "multilingual", "mono_mAP"): tydi_base,
            ("tydiqa-goldp", "hybrid+align", "mono_mAP"): [
                t + d for t, d in zip(tydi_base, [0.1, 0, -0.1], strict=True)
            ],
        },
        {"xquad-r": xq, "tydiqa-goldp": ty},
    )

    # Seed 1's table lists the pair the other way round (baseline/arm swapped): p is two-sided, so it counts.
    def sig_row(baseline: str, arm: str, p: float) -> pd.DataFrame:
        row = {"dataset": "xquad-r", "metric": "mo", "baseline": baseline, "arm": arm, "p_value": p}
        return pd.DataFrame([row])

    sig = {0: sig_row("monolingual", "hybrid", 0.01), 1: sig_row("hybrid", "monolingual", 0.2)}
    table = seed_comparisons(long, sig, vectors).set_index("comparison")
    mo = table.loc["hybrid vs X-X-mono on Mo."]
    assert mo["n_seeds"] == 3 and mo["n_favour_arm"] == 2 and mo["n_clusters"] == 4
    assert np.isclose(mo["diff"], (0.10 + 0.10 - 0.05) / 3)
    assert np.isclose(mo["diff_std"], np.std([0.10, 0.10, -0.05], ddof=1))
    assert np.isclose(mo["diff_tables"], (0.10 + 0.10 - 0.05) / 3)
    # Questions add no noise here (constant differences): the interval is the t interval over the 3 seed
    # means, with 2 degrees of freedom, and the MDE uses the same SE and ν (at 5 %/family size).
    se = np.std([0.10, 0.10, -0.05], ddof=1) / np.sqrt(3)
    assert np.isclose(mo["se"], se) and np.isclose(mo["dof"], 2.0)
    assert np.allclose(
        [mo["ci_low"], mo["ci_high"]], mo["diff"] + np.array([-1, 1]) * stats.t.ppf(0.975, 2) * se
    )
    assert mo["p_values"] == "0.01 0.2 nan"
    assert mo["family"] == "lareqa claims" and mo["family_size"] == 1 and mo["p_holm"] == mo["p"]
    alpha = 0.05 / mo["family_size"]
    assert np.isclose(mo["mde"], (stats.t.ppf(1 - alpha / 2, 2) + stats.t.ppf(0.8, 2)) * se)
    # the interval holds 0 and reaches 1 mAP point: too few seeds to say
    assert mo["answer"] == "undetermined" and mo["verdict"].startswith("undetermined at this power")
    tydi = table.loc["hybrid+align vs multilingual, all languages"]
    assert tydi["n_favour_arm"] == 1 and np.isclose(tydi["diff"], 0.0, atol=1e-12)
    assert tydi["ci_low"] < 0 < tydi["ci_high"] and tydi["family"] == "research question"
    # Comparisons whose arms have no values (X-Y, unseen languages, hybrid) are left out, not invented.
    assert "hybrid vs X-Y on Cr." not in table.index
    assert "hybrid+align vs hybrid (the alignment term alone)" not in table.index
    text = seed_answers(seed_comparisons(long, sig, vectors))
    assert "hybrid vs X-X-mono on Mo.: undetermined at this power (detectable effect at 80% power:" in text
    assert "hybrid better in 2 of 3 seeds" in text and "p: 0.01, 0.2, nan" in text
    assert "Mo. mAP difference +0.0500, 95% interval [" in text
    assert "(t with ν = 2.0, over 3 seeds and 4 question clusters); p = " in text
    assert text.count("Family: ") == 2 and "Holm" in text


def test_one_model_arm_is_shown_once_not_as_zero_spread():
    results = {
        "zero-shot": {"xquad-r": {**RESULTS["hybrid"]["xquad-r"], "parameters": {"model_path": "base/e5"}}},
        "hybrid": {"xquad-r": {**RESULTS["hybrid"]["xquad-r"], "parameters": {"model_path": "runs/h"}}},
    }
    long = pd.concat([seed_long(results, seed) for seed in range(3)], ignore_index=True)
    # the trained arm's model differs per seed (its results happen to coincide here)
    long.loc[long["arm"] == "hybrid", "model"] = long["seed"].map(lambda s: f"runs/seed{s}/h")
    table = seeds_table(long, ["zero-shot", "hybrid"])
    assert table.loc["zero-shot", "xquad-r cr mAP"] == "0.6100 (one model)"
    assert table.loc["hybrid", "xquad-r cr mAP"] == "0.6100 ± 0.0000 (n=3)"
    # Without a model column (older seeds_long.csv): identical results in every seed mean one model,
    # whatever the arm is called; differing results never do.
    old = long.drop(columns="model")
    old.loc[(old["arm"] == "hybrid") & (old["seed"] == 1), "value"] += 0.01
    table = seeds_table(old.replace({"zero-shot": "base-encoder"}), ["base-encoder", "hybrid"])
    assert table.loc["base-encoder", "xquad-r mo mAP"] == "0.8200 (one model)"
    assert "± " in table.loc["hybrid", "xquad-r mo mAP"]
