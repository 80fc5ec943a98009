"""The alignment study's finding (hybridlib.analysis.study_finding): each comparison named by its answer,
every number read from the study's table, and no answer claimed below two seeds."""

from __future__ import annotations

import pandas as pd
import pytest
from study_results import COVERAGE, write_seed

from hybridlib.analysis import study as st
from hybridlib.analysis.study_finding import answer_word, study_finding


@pytest.fixture(scope="module")
def table(tmp_path_factory) -> pd.DataFrame:
    """The study's comparisons over three synthetic seeds with planted effects."""
    root = tmp_path_factory.mktemp("finding") / "run"
    write_seed(root, 0, list(st.STUDY_ARMS))
    for seed in (1, 2):
        write_seed(root / f"seed{seed}", seed, [a for a in st.STUDY_ARMS if a != "zero-shot"])
    table, _ = st.study_table(st.load_study(root), st.study_comparisons(COVERAGE))
    return table


def test_each_answer_has_its_word():
    row = {"n_seeds": 3, "answer": "yes", "verdict": "yes (the gain is at least 0.0010)"}
    assert answer_word(row, 0.01) == "raises"
    assert answer_word(
        {**row, "answer": "no", "verdict": "no — worse: the gain is at most -0.0020"}, 0.01
    ) == ("lowers")
    no_gain = {**row, "answer": "no", "verdict": "no — the gain is at most +0.0040, below the smallest"}
    assert answer_word(no_gain, 0.01) == "no gain ≥ 0.01"
    assert answer_word({**row, "answer": "undetermined"}, 0.01) == "undetermined"
    assert answer_word({**row, "n_seeds": 1}, 0.01) == "no interval"


def test_the_finding_reads_every_number_and_answer_from_the_table(table):
    text = study_finding(table, smallest_effect=0.01)
    assert text.startswith(
        f"Why (the alignment study, fold 1, 3 seeds, Holm over its {len(table)} comparisons"
    )
    dose = table[(table["question"] == "dose") & (table["languages"] == "all")]
    assert f"{dose['diff'].min():+.4f} to {dose['diff'].max():+.4f} over λ = 0.1, 0.25, 0.5, 1" in text
    for arm, name in [("hybrid+align", "XOR-TyDi"), ("hybrid+align@source=ntrex", "NTREX-128")]:
        covered = table[
            (table["question"] == "coverage")
            & (table["arm"] == arm)
            & ~table["comparison"].str.contains("not covered")
        ].iloc[0]
        assert f"{name} {covered['diff']:+.4f} ({answer_word(covered, 0.01)})" in text
    probe = table[(table["question"] == "probe") & (table["metric"] == "correct")].iloc[0]
    assert f"accuracy@1 against hybrid's is {probe['diff']:+.4f}" in text
    alone = table[(table["question"] == "decomposition") & (table["arm"] == "align-only")].iloc[0]
    assert f"{alone['diff']:+.4f} ({answer_word(alone, 0.01)}) with alignment alone" in text
    assert "α" not in text.replace("λ", "")  # α is claim C10's, scored in the scorecard
    assert st.TWO_SEEDS not in text and text.endswith(".\n")


def test_one_seed_gives_differences_and_no_answers(table):
    one = table.assign(n_seeds=1, family_size=0, answer="undetermined")
    text = study_finding(one, smallest_effect=0.01)
    assert "1 seed; without an interval these are not answers" in text
    assert "undetermined" not in text and "Holm" not in text
    two = table.assign(n_seeds=2)
    assert study_finding(two, smallest_effect=0.01).rstrip().endswith(st.TWO_SEEDS)
    assert "no comparison yet" in study_finding(table.iloc[0:0], smallest_effect=0.01)
