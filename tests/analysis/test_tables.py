from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sample_results import RESULTS

from hybridlib.analysis.tables import (
    SIGNIFICANCE_COLUMNS,
    per_query_vectors,
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
