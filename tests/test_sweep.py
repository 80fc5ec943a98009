from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from test_tables import RESULTS

from hybridlib.params import load_yaml
from hybridlib.sweep import alpha_sweep, mean_std, seeds_table, summary_metrics


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


def test_alpha_sweep_trains_and_evaluates_each_alpha(tmp_path):
    params = load_yaml(
        Path(__file__).resolve().parent.parent / "params" / "tiny.yaml",
        run_dir=str(tmp_path),
        eval_sets=["xquad-r"],
        max_steps=1,
    )
    long = alpha_sweep(params, alphas=[0.0, 1.0], seeds=[0])
    assert set(long["alpha"]) == {0.0, 1.0}
    assert {"xquad-r mo mAP", "xquad-r rank distance"} <= set(long["metric"])
    assert long["value"].notna().all()
    assert len(list((tmp_path / "train").glob("hybrid_*_a0_*"))) == 1
    # A second call reuses models and results instead of recomputing them.
    again = alpha_sweep(params, alphas=[0.0, 1.0], seeds=[0])
    pd.testing.assert_frame_equal(long, again)
