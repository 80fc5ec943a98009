"""The answers over folds (``notebooks/09_answers``, :mod:`hybridlib.experiment.fold_answers`) and the
claims scorecard (:mod:`hybridlib.analysis.paper`): parameters, verdict rules, and the notebook run by
papermill on the committed fold 2 files (fold 1 as it stands: missing seeds are named, not invented)."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from hybridlib.analysis import paper
from hybridlib.analysis.comparisons import COMPARISONS
from hybridlib.analysis.study import TWO_SEEDS
from hybridlib.experiment.fold_answers import AnswersParams, parameters_from_notebook
from hybridlib.params import ParameterError

REPO = Path(__file__).resolve().parents[2]
FOLD2 = REPO / "runs" / "full-fold2" / "results"


def test_notebook_parameters_are_validated_with_one_clear_error():
    before = set(globals())
    ns = {"folds": ["params/full-fold2.yaml"], "planned_seeds": [2, 0], "figures_dir": "x"}
    assert parameters_from_notebook(ns, before) == AnswersParams(["params/full-fold2.yaml"], [0, 2], "x")
    assert parameters_from_notebook({}, set()) == AnswersParams()
    with pytest.raises(ParameterError, match=r"unknown parameter 'fold'.*did you mean 'folds'"):
        parameters_from_notebook({"fold": ["params/full.yaml"]}, set())
    with pytest.raises(ParameterError, match="no such parameter file"):
        parameters_from_notebook({"folds": ["params/nope.yaml"]}, set())
    with pytest.raises(ParameterError, match="planned_seeds"):
        parameters_from_notebook({"planned_seeds": ["a"]}, set())


def _row(low: float, high: float, p_holm: float) -> pd.Series:
    return pd.Series({"ci_low": low, "ci_high": high, "p_holm": p_holm})


def test_part_verdicts_follow_the_rules():
    v = paper.part_verdict
    sei = 0.01
    # better: significant on the arm's side; no gain of the SEI possible; otherwise not separable
    assert (
        v(_row(0.002, 0.02, 0.01), paper.BETTER, lower_is_better=False, smallest_effect=sei)
        == paper.SUPPORTED
    )
    assert (
        v(_row(-0.003, 0.006, 0.5), paper.BETTER, lower_is_better=False, smallest_effect=sei)
        == paper.CONTRADICTED
    )
    assert (
        v(_row(-0.003, 0.02, 0.5), paper.BETTER, lower_is_better=False, smallest_effect=sei)
        == paper.NOT_SEPARABLE
    )
    # an interval on the arm's side that Holm does not confirm is not "supported"
    assert (
        v(_row(0.001, 0.02, 0.08), paper.BETTER, lower_is_better=False, smallest_effect=sei)
        == paper.NOT_SEPARABLE
    )
    # rank distance: lower is better, so an interval below 0 favours the arm
    assert (
        v(_row(-40, -10, 0.001), paper.BETTER, lower_is_better=True, smallest_effect=1.0) == paper.SUPPORTED
    )
    # not worse: no loss of the SEI; a significant loss that may reach it contradicts
    assert (
        v(_row(-0.005, 0.004, 0.9), paper.NOT_WORSE, lower_is_better=False, smallest_effect=sei)
        == paper.SUPPORTED
    )
    assert v(_row(-0.016, -0.008, 0.001), paper.NOT_WORSE, lower_is_better=False, smallest_effect=sei) == (
        paper.CONTRADICTED
    )
    assert (
        v(_row(-0.02, 0.01, 0.9), paper.NOT_WORSE, lower_is_better=False, smallest_effect=sei)
        == paper.NOT_SEPARABLE
    )
    assert v(
        _row(math.nan, math.nan, math.nan), paper.BETTER, lower_is_better=False, smallest_effect=sei
    ) == (paper.NOT_SEPARABLE)
    assert v(None, paper.BETTER, lower_is_better=False, smallest_effect=sei) == paper.NOT_TESTED
    assert paper.combine([paper.SUPPORTED, paper.NOT_TESTED]) == paper.SUPPORTED
    assert paper.combine([paper.SUPPORTED, paper.CONTRADICTED]) == paper.CONTRADICTED
    assert paper.combine([paper.NOT_TESTED]) == paper.NOT_TESTED


def test_every_claim_is_mapped_once_and_names_real_comparisons():
    ids = [c.id for c in paper.CLAIMS]
    assert ids == [f"C{i}" for i in range(1, 11)] and set(paper.read_paper_claims()) == set(ids)
    labels = {c.label for c in COMPARISONS}
    assert all(part.comparison in labels for c in paper.CLAIMS for part in c.parts)
    assert [c.id for c in paper.CLAIMS if not c.parts] == ["C9", "C10"]
    # C10 waits for the alignment study's table
    verdict, why = paper.alpha_claim_verdict(REPO / "no-such-table.csv", smallest_effect_map=0.01)
    assert verdict == paper.NOT_TESTED and "no-such-table.csv" in why


def test_the_paper_numbers_are_the_shared_files():
    shared = REPO.parent / "shared" / "paper"
    for name in ("table1_map.csv", "table2_rank_distance.csv", "miracl_dev_means.csv", "claims.md"):
        ours = (paper.PAPER_DIR / name).read_bytes()
        if (shared / name).is_file():
            assert ours == (shared / name).read_bytes(), name


@pytest.mark.skipif(not FOLD2.is_dir(), reason="no committed fold 2 result files")
def test_09_answers_runs_under_papermill_on_the_committed_folds(tmp_path):
    """The notebook, with the committed folds and a figures folder of its own: every output is written;
    fold 2's three seeds count; the scorecard holds one verdict per claim and fold, each one of four."""
    out = tmp_path / "figures"
    subprocess.run(
        [sys.executable, "-m", "papermill", str(REPO / "notebooks" / "09_answers.ipynb"),
         str(tmp_path / "09.ipynb"), "-k", "hybridlib", "-p", "figures_dir", str(out)],
        check=True, cwd=REPO, capture_output=True,
    )  # fmt: skip
    from hybridlib.experiment.fold_answers import OUTPUTS

    assert all((out / name).is_file() for name in OUTPUTS)
    assert (
        "fold 2 (xquad-r → mlqa-r): seeds with every arm's result files: 0, 1, 2"
        in (out / "seeds_status.md").read_text()
    )
    card = pd.read_csv(out / "claims_scorecard.csv")
    verdicts = card[[c for c in card.columns if c.endswith(": verdict")]]
    assert list(card["claim"]) == [f"C{i}" for i in range(1, 11)] and verdicts.shape[1] == 2
    assert set(verdicts.to_numpy().ravel()) <= set(paper.VERDICTS)
    assert (card.set_index("claim").loc["C9", verdicts.columns] == paper.NOT_TESTED).all()
    # the answer, then why: the alignment study's finding, read from fold 1's committed study table
    study_table = REPO / "runs" / "full" / "figures" / "study_comparisons.csv"
    assert ("Why (the alignment study" in (out / "answer.md").read_text()) == study_table.is_file()
    # verdicts resting on exactly two seeds carry the caveat that their intervals under-cover
    status = (out / "seeds_status.md").read_text().splitlines()
    done = [re.search(r"every arm's result files: ([^;]*)", line).group(1).split(", ") for line in status]
    assert (TWO_SEEDS in (out / "claims_scorecard.md").read_text()) == any(len(d) == 2 for d in done)
    table1 = (out / "paper_table1.md").read_text()
    assert "paper: XLM-R" in table1 and "paper: LaBSE" in table1 and "ours: multilingual-e5-small" in table1


def test_c10_reads_the_alignment_studys_alpha_equivalence_answers(tmp_path):
    """C10 from the study's α rows: every equivalence test stable → supported; one change beyond the
    margin → contradicted; an interval reaching the margin → not separable."""
    import pandas as pd

    def table(answers: list[str], n_seeds: int = 3) -> Path:
        rows = [
            {
                "question": "alpha",
                "test": "equivalence",
                "arm": f"hybrid@alpha={a}",
                "baseline": "hybrid",
                "metric": "mo",
                "n_seeds": n_seeds,
                "diff": 0.001,
                "ci_low": -0.004 if n_seeds > 1 else float("nan"),
                "ci_high": 0.006 if n_seeds > 1 else float("nan"),
                "margin": 0.01,
                "answer": answer,
            }
            for a, answer in zip(("0.25", "0.75"), answers, strict=True)
        ]
        rows.append({**rows[0], "question": "dose", "test": "difference", "answer": "no"})
        path = tmp_path / f"{'-'.join(answers)}-{n_seeds}.csv"
        pd.DataFrame(rows).to_csv(path, index=False)
        return path

    assert paper.alpha_claim_verdict(table(["yes", "yes"]), smallest_effect_map=0.01)[0] == paper.SUPPORTED
    assert paper.alpha_claim_verdict(table(["yes", "no"]), smallest_effect_map=0.01)[0] == paper.CONTRADICTED
    verdict, why = paper.alpha_claim_verdict(table(["yes", "undetermined"]), smallest_effect_map=0.01)
    assert verdict == paper.NOT_SEPARABLE and "hybrid@alpha=0.75 vs hybrid" in why
    # Written as every other claim's evidence is: the same decimals, and no interval below two seeds.
    assert "hybrid@alpha=0.25 vs hybrid, mo: +0.0010 [-0.0040, +0.0060] (n=3), margin ±0.01 (yes)" in why
    one_seed = paper.alpha_claim_verdict(table(["undetermined"] * 2, n_seeds=1), smallest_effect_map=0.01)
    assert one_seed[0] == paper.NOT_SEPARABLE
    assert "mo: +0.0010 no interval (n=1)" in one_seed[1] and "nan" not in one_seed[1]


def _research_rows(n_seeds: int, ci: tuple[float, float], answer: str, verdict: str) -> pd.DataFrame:
    from hybridlib.analysis.comparisons import RESEARCH_QUESTION

    rows = [
        {
            "comparison": c.label,
            "family": RESEARCH_QUESTION,
            "n_seeds": n_seeds,
            "family_size": 3 if n_seeds > 1 else 0,
            "diff": -0.006,
            "ci_low": ci[0],
            "ci_high": ci[1],
            "answer": answer,
            "verdict": verdict,
            "mde": 0.004,
        }
        for c in COMPARISONS
        if c.family == RESEARCH_QUESTION
    ]
    return pd.DataFrame(rows)


def test_the_headline_says_one_seed_answers_nothing_two_are_provisional_and_three_answer_in_plain_words():
    from hybridlib.experiment.fold_answers import FoldState, headline
    from hybridlib.params import Params

    one = FoldState(Params(), "fold 1", complete=[0], partial={}, missing=[1, 2, 3, 4])
    text = headline(one, _research_rows(1, (math.nan, math.nan), "undetermined", "undetermined"))
    assert "1 of 5 planned seeds" in text and "not answered yet" in text and "-0.0060" in text
    assert "Holm" not in text
    three = FoldState(Params(), "fold 1", complete=[0, 1, 2], partial={}, missing=[3, 4])
    text = headline(
        three, _research_rows(3, (-0.009, -0.003), "no", "no — worse: the gain is at most -0.0030")
    )
    assert text.count("lowers mAP") == 3 and "3 of 5 planned seeds" in text
    assert "[-0.0090, -0.0030]" in text and "Holm over the family's 3 comparisons" in text
    assert "provisional" not in text
    two = FoldState(Params(), "fold 1", complete=[0, 1], partial={}, missing=[2, 3, 4])
    text = headline(two, _research_rows(2, (-0.02, 0.008), "undetermined", "undetermined"))
    assert "2 of 5 planned seeds" in text and "provisional until a third seed" in text
    five = FoldState(Params(), "fold 1", complete=[0, 1, 2, 3, 4], partial={}, missing=[])
    text = headline(five, _research_rows(5, (-0.009, -0.003), "no", "no — worse"))
    assert "over all 5 planned seeds of fold 1" in text and "of 5 planned" not in text


def test_the_seeds_status_names_one_missing_seed_in_the_singular():
    from hybridlib.experiment.fold_answers import FoldState
    from hybridlib.params import Params

    four = FoldState(Params(), "fold 2", complete=[0, 1, 2, 3], partial={}, missing=[4])
    assert four.status() == "seeds with every arm's result files: 0, 1, 2, 3; no result files: seed 4"
    two = FoldState(Params(), "fold 2", complete=[0, 1, 2], partial={}, missing=[3, 4])
    assert two.status().endswith("no result files: seeds 3, 4")
