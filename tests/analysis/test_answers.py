from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sample_results import RESULTS

from hybridlib.analysis.answers import research_answers, seed_answers
from hybridlib.analysis.comparisons import COMPARISONS


def test_research_answers_are_read_from_the_numbers():
    sig = pd.DataFrame(
        [
            {"dataset": "tydiqa-goldp", "metric": "mono_mAP", "baseline": "multilingual",
             "arm": "hybrid+align", "n": 90, "mean": 0.6, "diff_ci_low": 0.01, "diff_ci_high": 0.09,
             "diff": 0.05, "p_value": 0.012},
            {"dataset": "tydiqa-goldp", "metric": "mono_mAP_unseen", "baseline": "multilingual",
             "arm": "hybrid+align", "n": 70, "mean": 0.5, "diff_ci_low": -0.04, "diff_ci_high": 0.02,
             "diff": -0.01, "p_value": 0.7},
            {"dataset": "tydiqa-goldp", "metric": "mono_mAP", "baseline": "hybrid", "arm": "hybrid+align",
             "n": 90, "mean": 0.6, "diff_ci_low": -0.01, "diff_ci_high": 0.05, "diff": 0.02, "p_value": 0.2},
            {"dataset": "xquad-r", "metric": "mo", "baseline": "hybrid", "arm": "monolingual", "n": 20,
             "n_clusters": 5, "mean": 0.8, "diff_ci_low": -0.03, "diff_ci_high": -0.01, "diff": -0.02,
             "p_value": 0.03},
        ]
    )  # fmt: skip
    text = research_answers(RESULTS, sig)
    assert (
        "hybrid vs X-X-mono on Mo.** yes (0.8200 vs 0.8000; hybrid − monolingual +0.0200 "
        "[+0.0100, +0.0300], p = 0.03 over 5 question clusters)" in text
    )
    assert "vs X-Y on Cr.** yes (0.6100 vs 0.6000)" in text
    assert "rank distance lower than both?** yes (hybrid 15.0" in text
    assert "all languages: hybrid+align vs multilingual fine-tuning** yes: mAP 0.6000 vs 0.5500" in text
    assert "(difference +0.0500, 95% CI of the difference [+0.0100, +0.0900], over 90 questions" in text
    assert "p = 0.012" in text
    assert "unseen languages: hybrid+align vs multilingual fine-tuning** no: mAP 0.5000 vs 0.5100" in text
    assert "+0.0200 mAP [-0.0100, +0.0500], p = 0.2" in text


FIGURES = Path(__file__).resolve().parents[2] / "figures"


def _results_from_committed_tables() -> dict:
    """The numbers ``research_answers`` reads from result files, rebuilt from the committed tables."""
    t1 = pd.read_csv(FIGURES / "table1_map.csv", header=[0, 1], index_col=0)
    t2 = pd.read_csv(FIGURES / "table2_rank_distance.csv", header=[0, 1], index_col=0)
    results: dict = {}
    for arm in t1.index:
        for ds in sorted({c[0] for c in t1.columns}):
            results.setdefault(arm, {})[ds] = {
                "task": "lareqa",
                "mAP": {
                    s: t1.loc[arm, (ds, name)] for s, name in (("mo", "Mo."), ("cr", "Cr."), ("mul", "Mul."))
                },
                "rank_distance": {"macro": t2.loc[arm, (ds, "macro")]},
            }
        results[arm]["tydiqa-goldp"] = {"task": "tydi"}
    return results


@pytest.mark.skipif(not (FIGURES / "answers.md").is_file(), reason="no committed results")
def test_research_answers_regenerate_the_committed_answers():
    sig = pd.read_csv(FIGURES / "table_significance_all.csv")
    text = research_answers(_results_from_committed_tables(), sig)
    assert text == (FIGURES / "answers.md").read_text()


@pytest.mark.skipif(not (FIGURES / "answers_seeds.md").is_file(), reason="no committed results")
def test_seed_answers_regenerate_the_committed_answers():
    comparisons = pd.read_csv(FIGURES / "table_seed_comparisons.csv", dtype={"p_values": str})
    assert seed_answers(comparisons) == (FIGURES / "answers_seeds.md").read_text()


@pytest.mark.skipif(not (FIGURES / "table_seed_comparisons.csv").is_file(), reason="no committed results")
def test_the_comparisons_are_those_of_the_committed_seed_table():
    committed = pd.read_csv(FIGURES / "table_seed_comparisons.csv")
    rows = [(r.comparison, r.arm, r.baseline, r.metric) for r in committed.itertuples()]
    assert rows == [(c.label, c.arm, c.baseline, c.table_metric) for c in COMPARISONS]
