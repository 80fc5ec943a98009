from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from sample_results import RESULTS

from hybridlib.analysis.answers import research_answers, seed_answers
from hybridlib.analysis.comparisons import (
    COMPARISONS,
    FAMILIES,
    LAREQA_CLAIMS,
    PAPER_BASELINES,
    RESEARCH_QUESTION,
)
from hybridlib.analysis.significance import holm_adjust
from hybridlib.params import load_yaml

SMALLEST = {"smallest_effect_map": 0.01, "smallest_effect_rank_distance": 1.0}


def test_research_answers_are_verdicts_read_from_the_numbers():
    """One run's answers: yes / no (bounded) / undetermined from the interval of arm − baseline, never a
    bare sign; a row the table holds the other way round (baseline hybrid) is read flipped."""
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
            {"dataset": "xquad-r", "metric": "cr", "baseline": "hybrid", "arm": "crosslingual", "n": 20,
             "n_clusters": 5, "mean": 0.6, "diff_ci_low": -0.004, "diff_ci_high": 0.006, "diff": 0.001,
             "p_value": 0.8},
            {"dataset": "xquad-r", "metric": "rank_distance", "baseline": "hybrid", "arm": "monolingual",
             "n": 20, "n_clusters": 5, "mean": 30.0, "diff_ci_low": 1.0, "diff_ci_high": 5.0, "diff": 3.0,
             "p_value": 0.04},
        ]
    )  # fmt: skip
    text = research_answers(RESULTS, sig, **SMALLEST)
    lines = text.splitlines()
    assert len(lines) == 6 and lines[0].startswith("- **xquad-r") and lines[-1].startswith("- **tydiqa-goldp")
    assert (
        "- **xquad-r, hybrid vs X-X-mono on Mo.: yes (the gain is at least 0.0100).** Means over questions: "
        "hybrid 0.8200, monolingual 0.8000; hybrid − monolingual +0.0200, 95% interval [+0.0100, +0.0300] "
        "over 5 question clusters, paired permutation p = 0.03." in lines
    )
    assert (
        "- **xquad-r, hybrid vs X-Y on Cr.: no — the gain is at most +0.0040, below the smallest effect of "
        "interest 0.0100.** Means over questions: hybrid 0.5990, crosslingual 0.6000; hybrid − crosslingual "
        "-0.0010" in text
    )
    assert (
        "- **xquad-r, hybrid vs X-X-mono, rank distance: yes (the gain is at least 1.00).** Means over "
        "questions: hybrid 27.00," in text
    )
    assert "hybrid − monolingual -3.00, 95% interval [-5.00, -1.00]" in text
    assert (
        "- **tydiqa-goldp, hybrid+align vs multilingual, all languages: yes (the gain is at least 0.0100).** "
        "Means over questions: hybrid+align 0.6000, multilingual 0.5500; hybrid+align − multilingual "
        "+0.0500, 95% interval [+0.0100, +0.0900] over 90 question clusters, paired permutation p = 0.012."
        in lines
    )
    assert (
        "- **tydiqa-goldp, hybrid+align vs multilingual, unseen languages: undetermined at this power (one "
        "training seed: the interval is over questions only).** Means over questions: hybrid+align 0.5000, "
        "multilingual 0.5100" in text
    )
    assert "the alignment term alone): undetermined" in text and "p = 0.2." in text
    assert " yes (" not in text.replace(": yes (", "")  # every verdict leads its sentence


#: The default run's tables as the session of 2026-12-01 committed them, kept as test input (their result
#: files are gone, so they are no longer shown as results): realistic tables for the answer builders.
FIGURES = Path(__file__).resolve().parents[1] / "fixtures" / "default_run"


def _results_from_committed_tables() -> dict:
    """What ``research_answers`` reads from result files besides the significance table: each dataset's
    task, for every arm of the committed tables."""
    arms = pd.read_csv(FIGURES / "table1_map.csv", header=[0, 1], index_col=0)
    datasets = sorted({c[0] for c in arms.columns})
    return {
        arm: {**{ds: {"task": "lareqa"} for ds in datasets}, "tydiqa-goldp": {"task": "tydi"}}
        for arm in arms.index
    }


@pytest.mark.skipif(not (FIGURES / "answers.md").is_file(), reason="no fixture tables")
def test_research_answers_regenerate_the_committed_answers():
    sig = pd.read_csv(FIGURES / "table_significance_all.csv")
    default = load_yaml(Path(__file__).resolve().parents[2] / "params" / "default.yaml")
    text = research_answers(
        _results_from_committed_tables(),
        sig,
        smallest_effect_map=default.smallest_effect_map,
        smallest_effect_rank_distance=default.smallest_effect_rank_distance,
    )
    # the committed answers predate the family "paper baselines": every other comparison, as committed
    later = tuple(f", {c.label}:" for c in COMPARISONS if c.family == PAPER_BASELINES)
    kept = "".join(line for line in text.splitlines(keepends=True) if not any(s in line for s in later))
    assert kept == (FIGURES / "answers.md").read_text()


#: The run whose answers over seeds come from the interval of ``hybridlib.analysis.intervals`` (its
#: per-query files are committed: ``python -m hybridlib.sweep seeds --params params/full-fold2.yaml
#: --seeds 0 1 2 --tables-only`` rebuilds them). The other committed seed tables are the old
#: bootstrap's, without families; their files are gone, so they cannot be rebuilt.
FOLD2 = Path(__file__).resolve().parents[2] / "runs" / "full-fold2" / "figures"


@pytest.mark.skipif(not (FOLD2 / "answers_seeds.md").is_file(), reason="no fixture tables")
def test_seed_answers_regenerate_the_committed_answers():
    comparisons = pd.read_csv(FOLD2 / "table_seed_comparisons.csv", dtype={"p_values": str})
    assert seed_answers(comparisons) == (FOLD2 / "answers_seeds.md").read_text()


@pytest.mark.skipif(not (FOLD2 / "answers_seeds.md").is_file(), reason="no fixture tables")
def test_seed_answers_state_the_family_and_its_multiplicity_control():
    """Each family's answers are headed by the family and the method (Holm, unadjusted intervals); a
    comparison is significant only where its Holm-adjusted p is, and its MDE is at level 5 %/m."""
    comparisons = pd.read_csv(FOLD2 / "table_seed_comparisons.csv", dtype={"p_values": str})
    text = (FOLD2 / "answers_seeds.md").read_text()
    assert text.startswith(f"Family: {FAMILIES['lareqa claims']} — 5 comparisons tested. ")
    assert "Holm" in text and "unadjusted 95 % interval" in text and "level 5 %/5" in text
    # Holm within each family, never across them
    assert set(comparisons["family"]) == {LAREQA_CLAIMS, PAPER_BASELINES}
    for _, family in comparisons.groupby("family"):
        assert family["p_holm"].to_numpy() == pytest.approx(holm_adjust(family["p"].to_numpy()))
    for r in comparisons.itertuples():
        significant = r.p_holm < 0.05
        assert (r.answer == "yes" or r.verdict.startswith("no — worse")) <= significant, r.comparison
        assert (r.p < 0.05) == (r.ci_low > 0 or r.ci_high < 0)


def test_every_comparison_names_a_family_and_a_family_is_one_line():
    assert {c.family for c in COMPARISONS} == {LAREQA_CLAIMS, PAPER_BASELINES, RESEARCH_QUESTION}
    assert [c.label for c in COMPARISONS if c.family == RESEARCH_QUESTION] == [
        "hybrid+align vs multilingual, all languages",
        "hybrid+align vs multilingual, unseen languages",
        "hybrid+align vs hybrid (the alignment term alone)",
    ]
    assert len([c for c in COMPARISONS if c.family == LAREQA_CLAIMS]) == 5
    # the paper's other claims (C1, C2, C8) are a family of their own: the two above keep their Holm sizes
    assert len([c for c in COMPARISONS if c.family == PAPER_BASELINES]) == 5
    with pytest.raises(ValueError, match="family"):
        replace(COMPARISONS[0], family="no such family")


@pytest.mark.skipif(not (FIGURES / "table_seed_comparisons.csv").is_file(), reason="no fixture tables")
def test_the_comparisons_are_those_of_the_committed_seed_table():
    committed = pd.read_csv(FIGURES / "table_seed_comparisons.csv")
    rows = [(r.comparison, r.arm, r.baseline, r.metric) for r in committed.itertuples()]
    # made before the family "paper baselines" existed: every other comparison, in order
    made = [c for c in COMPARISONS if c.family != PAPER_BASELINES]
    assert rows == [(c.label, c.arm, c.baseline, c.table_metric) for c in made]


def test_side_by_side_keeps_the_comparisons_every_setting_holds_and_says_where_the_answer_changes():
    """Built from the committed default comparisons over seeds: a second setting that lacks the X-X-mono
    and X-Y arms, whose hybrid+align-vs-multilingual answer on TyDi QA flips to yes, and whose
    alignment-term interval moves onto 0 (still "no", but no longer significantly worse), keeps only the
    comparisons both hold; both changes are named, the unchanged comparison is not."""
    from hybridlib.analysis.answers import interval_favours, side_by_side, side_by_side_summary

    reference = pd.read_csv(FIGURES / "table_seed_comparisons.csv", dtype={"p_values": str})
    larger = reference[~reference["baseline"].isin(["monolingual", "crosslingual"])].copy()
    tydi = larger["dataset"] == "tydiqa-goldp"
    flip = tydi & larger["comparison"].str.endswith("all languages")
    onto_zero = tydi & larger["comparison"].str.contains("alignment term alone")
    assert flip.sum() == onto_zero.sum() == 1 and larger.loc[flip, "answer"].item() != "yes"
    assert larger.loc[onto_zero, "ci_high"].item() < 0  # committed: significantly worse
    larger.loc[flip, ["answer", "verdict", "ci_low", "ci_high"]] = [
        "yes",
        "yes (at least 0.0100)",
        0.01,
        0.02,
    ]
    larger.loc[onto_zero, ["ci_low", "ci_high"]] = [-0.002, 0.001]

    table = side_by_side({"batch_size=16": reference, "batch_size=64": larger})
    assert len(table) == len(larger) < len(reference)
    keys = ["dataset", "comparison"]
    assert table[keys].to_numpy().tolist() == larger[keys].to_numpy().tolist()
    changed = table.loc[table["same answer"] == "no", "comparison"].tolist()
    assert changed == [larger.loc[flip, "comparison"].item(), larger.loc[onto_zero, "comparison"].item()]
    row = table[table["comparison"] == changed[0]].iloc[0]
    assert (row["batch_size=16: favours"], row["batch_size=64: favours"]) == ("baseline", "arm")
    first = reference[reference["comparison"] == changed[0]].iloc[0]
    assert row["batch_size=16: interval"] == f"[{first.ci_low:+.4f}, {first.ci_high:+.4f}]"
    assert row["batch_size=16: wins"] == f"{first.n_favour_arm} of {first.n_seeds}"
    assert table.loc[table["comparison"] == changed[1], "batch_size=64: favours"].item() == "neither"

    summary = side_by_side_summary(table, ["batch_size=16", "batch_size=64"])
    assert f"The answer is the same in {len(table) - 2} of {len(table)} comparisons" in summary
    assert summary.count("\n- ") == 2 and "all languages** changes" in summary
    # rank distance: lower is better, so an interval below 0 favours the arm
    assert interval_favours(-3.0, -1.0, lower_is_better=True) == "arm"
    assert interval_favours(-3.0, -1.0, lower_is_better=False) == "baseline"
    assert interval_favours(-1.0, 1.0, lower_is_better=False) == "neither"
