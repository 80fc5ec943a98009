from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sample_results import RESULTS

from hybridlib.analysis.tables import (
    SIGNIFICANCE_COLUMNS,
    per_query_vectors,
    research_answers,
    significance_table,
    table1_map,
    table2_rank_distance,
    to_markdown,
    tydi_table,
    write_table,
)
from hybridlib.evaluation.results import write_results


def test_tables_have_the_papers_shapes(tmp_path):
    t1 = table1_map(RESULTS)
    assert t1.shape == (5, 3) and t1.loc["hybrid", ("xquad-r", "Cr.")] == 0.61
    t2 = table2_rank_distance(RESULTS)
    assert list(t2.columns.get_level_values(1)) == ["de", "en", "macro"]
    ty = tydi_table(RESULTS)
    assert "bn*" in ty.columns and "en" in ty.columns and ty.loc["hybrid+align", "avg unseen"] == 0.55
    csv, md = write_table(t1, tmp_path / "t1")
    assert "xquad-r Mo." in md.read_text() and csv.read_text().count("\n") >= 5
    assert "|" in to_markdown(pd.DataFrame({"a": [1.0]}))


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


def write_lareqa(path: Path, ap_mul: np.ndarray, *, clusters: bool = True) -> Path:
    """A minimal LAReQA result with per-query arrays: 2 source questions × 5 languages."""
    langs = np.array(["ar", "de", "en", "es", "zh"])
    lang = np.tile(langs, 2)
    xid = np.repeat(["q1", "q2"], 5)
    per_query = {
        "qid": np.char.add(np.char.add(lang, "/"), xid),
        "lang": lang,
        "candidate_languages": langs,
        "ap_pool": np.where(lang[:, None] == langs[None, :], ap_mul[:, None], 0.5),
        "ap_mul": ap_mul,
        "rank_distance": 10 * ap_mul,
    }
    if clusters:
        per_query["cluster"] = xid
    return write_results({"task": "lareqa", "per_query": per_query}, path)


def test_significance_table_tests_translations_as_one_cluster(tmp_path):
    base = np.linspace(0.2, 0.6, 10)
    paths = {
        "multilingual": {"xquad-r": write_lareqa(tmp_path / "m.json", base)},
        "hybrid": {"xquad-r": write_lareqa(tmp_path / "h.json", base + 0.1)},
    }
    sig = significance_table(paths, baselines=("multilingual",), permutations=1000, resamples=500)
    assert list(sig.columns) == SIGNIFICANCE_COLUMNS
    row = sig[(sig["arm"] == "hybrid") & (sig["metric"] == "mul")].iloc[0]
    # 10 rows all better by 0.1, but only 2 questions: the exact cluster test gives 2/4, not 2/1024.
    assert row["n"] == 10 and row["n_clusters"] == 2 and row["p_value"] == 0.5
    assert row["diff"] == pytest.approx(0.1)
    assert row["diff_ci_low"] == pytest.approx(0.1) and row["diff_ci_high"] == pytest.approx(0.1)
    assert set(sig["metric"]) == {"mo", "cr", "mul", "rank_distance"}


def test_old_per_query_files_without_clusters_fail_clearly(tmp_path):
    path = write_lareqa(tmp_path / "old.json", np.linspace(0.2, 0.6, 10), clusters=False)
    with pytest.raises(ValueError, match="Re-run the evaluation"):
        per_query_vectors({"hybrid": {"xquad-r": path}})


def test_final_losses_separate_qa_and_alignment_and_fall_back_for_old_logs():
    from hybridlib.analysis.tables import final_losses

    new = pd.DataFrame(
        {
            "step": [5, 10, 15],
            "loss": [1.5, 1.1, 0.9],
            "qa_loss": [1.2, 1.0, 0.9],
            "align_loss": [0.3, 0.1, np.nan],
        }
    )
    assert final_losses(new, alignment_steps=10) == {"qa": "0.900", "align": "0.100"}
    no_align = new.assign(align_loss=np.nan)
    assert final_losses(no_align) == {"qa": "0.900", "align": "—"}
    old = new[["step", "loss"]]
    assert final_losses(old, alignment_steps=0) == {"qa": "0.900", "align": "—"}  # total = QA loss
    assert final_losses(old, alignment_steps=10) == {
        "qa": "total 0.900",
        "align": "not logged separately (older run)",
    }


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
    from hybridlib.analysis.tables import seed_answers

    comparisons = pd.read_csv(FIGURES / "table_seed_comparisons.csv", dtype={"p_values": str})
    assert seed_answers(comparisons) == (FIGURES / "answers_seeds.md").read_text()


@pytest.mark.skipif(not (FIGURES / "table_seed_comparisons.csv").is_file(), reason="no committed results")
def test_the_comparisons_are_those_of_the_committed_seed_table():
    from hybridlib.analysis.comparisons import COMPARISONS

    committed = pd.read_csv(FIGURES / "table_seed_comparisons.csv")
    rows = [(r.comparison, r.arm, r.baseline, r.metric) for r in committed.itertuples()]
    assert rows == [(c.label, c.arm, c.baseline, c.table_metric) for c in COMPARISONS]
