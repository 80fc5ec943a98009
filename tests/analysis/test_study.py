"""The alignment study (hybridlib.analysis.study) on synthetic result files of three seeds with planted
effects (tests/study_results.py), and on a run that lacks some arms."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from study_results import COVERAGE, PROBE_LANGS, write_seed

from hybridlib.analysis import study as st
from hybridlib.analysis.comparisons import ALIGNMENT_STUDY
from hybridlib.analysis.significance import holm_adjust


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """Seed 0 in the run folder with every study arm; seeds 1 and 2 without zero-shot (one model for
    every seed: the study takes seed 0's); seed3 is a folder without results (not yet finished)."""
    root = tmp_path_factory.mktemp("study") / "run"
    arms = list(st.STUDY_ARMS)
    write_seed(root, 0, arms)
    for seed in (1, 2):
        write_seed(root / f"seed{seed}", seed, [a for a in arms if a != "zero-shot"])
    (root / "seed3" / "results").mkdir(parents=True)
    return root


@pytest.fixture(scope="module")
def answered(run):
    study = st.load_study(run)
    table, missing = st.study_table(study, st.study_comparisons(COVERAGE))
    return study, table, missing


def test_seeds_are_discovered_from_the_files_and_zero_shot_is_shared(answered):
    study, _, _ = answered
    assert list(study.seeds) == [0, 1, 2]  # seed3 has no result file yet
    assert study.unseen == ("bn", "fi", "id", "ko", "ru", "sw", "te")
    assert any("zero-shot taken from seed 0" in note for note in study.notes)
    zs = [study.vectors[s]["tydi"]["zero-shot"]["mono_ap"] for s in study.seeds]
    assert all(np.array_equal(zs[0], z) for z in zs)


def test_every_comparison_is_in_the_family_and_holm_adjusted_over_it(answered):
    _, table, missing = answered
    assert not missing
    assert set(table["family"]) == {ALIGNMENT_STUDY}
    n = len(st.study_comparisons(COVERAGE))
    assert len(table) == n and set(table["family_size"]) == {n}
    assert table["p_holm"].to_numpy() == pytest.approx(holm_adjust(table["p"].to_numpy()))
    assert set(table["n_seeds"]) == {3}
    assert set(table["question"]) == set(st.QUESTIONS)


def _answer(table: pd.DataFrame, label: str) -> dict:
    (row,) = table[table["comparison"] == label].to_dict("records")
    return row


def test_planted_effects_get_their_answers(answered):
    _, table, _ = answered
    lam1 = _answer(table, "λ = 1 vs λ = 0, all languages")
    assert lam1["answer"] == "yes" and lam1["diff"] == pytest.approx(0.05, abs=0.005)
    assert lam1["ci_low"] < lam1["diff"] < lam1["ci_high"]
    # NTREX helps the languages it covers (+0.06 each); English, its pivot, is in no group
    ntrex = _answer(table, "ntrex vs hybrid, languages covered (ar bn fi id ko ru sw te)")
    assert ntrex["answer"] == "yes" and ntrex["diff"] == pytest.approx(0.06, abs=0.005)
    # XOR-TyDi (= hybrid+align, no planted TyDi effect): its uncovered languages id, sw only
    xor = _answer(table, "xor-tydi vs hybrid, languages not covered (id sw)")
    assert xor["answer"] != "yes" and xor["n_clusters"] == 2 * 30
    assert _answer(table, "hybrid+align vs hybrid, probe ratio margin")["answer"] == "yes"
    only = _answer(table, "align-only vs zero-shot, TyDi mAP")
    assert only["answer"] == "no" and only["verdict"].startswith("no — worse")
    # α: 0.25 is hybrid up to noise (stable), 0.75 loses 0.05 Cr. (changes); Mo. unchanged in both
    assert _answer(table, "α = 0.25 vs α = 0.5, Cr. mAP")["answer"] == "yes"
    assert _answer(table, "α = 0.25 vs α = 0.5, Cr. mAP")["verdict"].startswith("yes — stable")
    assert _answer(table, "α = 0.75 vs α = 0.5, Cr. mAP")["answer"] == "no"
    assert _answer(table, "α = 0.75 vs α = 0.5, Mo. mAP")["answer"] == "yes"


def test_equivalence_p_is_small_only_inside_the_margin():
    assert st.equivalence_p(0.0, 0.001, 10, 0.01) < 1e-4
    assert st.equivalence_p(0.009, 0.01, 10, 0.01) > 0.4
    assert st.equivalence_p(-0.05, 0.001, 10, 0.01) > 0.99
    assert np.isnan(st.equivalence_p(0.0, float("nan"), 10, 0.01))


def test_correlation_states_what_eight_points_can_detect(answered):
    study, _, _ = answered
    corr = st.probe_tydi_correlation(study)
    assert corr is not None and corr.n == 8 and list(corr.points["language"]) == list(PROBE_LANGS)
    assert corr.detectable == pytest.approx(0.85, abs=0.01)
    assert "only |ρ| ≥ 0.85" in st.correlation_sentence(corr)
    assert st.detectable_correlation(3) != st.detectable_correlation(3)  # NaN below 4 points


def test_tables_answers_and_summary_read_the_numbers(answered, tmp_path):
    study, table, missing = answered
    long = st.study_long(study)
    dose = st.dose_table(long, table)
    assert list(dose["λ"]) == list(st.LAMBDA_ARMS) and dose.loc[0, "Δ vs λ=0 [95%]"] == "0 (baseline)"
    row = _answer(table, "λ = 1 vs λ = 0, all languages")
    assert (
        dose.loc[4, "Δ vs λ=0 [95%]"] == f"{row['diff']:+.4f} [{row['ci_low']:+.4f}, {row['ci_high']:+.4f}]"
    )
    assert dose.loc[4, "mAP"].endswith("(n=3)")
    decomposition = st.decomposition_table(long, table)
    assert list(decomposition["arm"]) == ["zero-shot", *st.DECOMPOSITION_ARMS]
    assert "(n=1)" in decomposition.loc[0, "TyDi mAP"]  # zero-shot: one model
    assert set(st.probe_table(long)["arm"]) == set(st.STUDY_ARMS)
    assert list(st.alpha_table(long)["α"]) == list(st.ALPHA_ARMS)
    effects = st.coverage_effects(study, COVERAGE)
    xor = effects[effects["source"] == "xor-tydi"].set_index("language")["coverage"]
    assert xor["id"] == "not covered" and xor["ar"] == "covered" and xor["en"] == "pivot"
    text = st.study_answers(table, missing, st.probe_tydi_correlation(study), seeds=list(study.seeds))
    assert f"{len(table)} comparisons tested" in text and "Holm" in text
    assert f"- **λ = 1 vs λ = 0, all languages: {row['verdict']}.**" in text
    assert "Exploratory, outside the family" in text and "Not computed" not in text
    summary = st.what_this_shows(table, missing, None, seeds=list(study.seeds))
    assert summary.startswith(f"Over seeds 0, 1, 2, {len(table)} comparisons")


def test_plots_are_written(answered, tmp_path):
    from hybridlib.analysis import study_plots

    study, table, _ = answered
    long = st.study_long(study)
    study_plots.dose_plot(long, table, margin=0.01, path=tmp_path / "dose.png")
    study_plots.coverage_plot(st.coverage_effects(study, COVERAGE), margin=0.01, path=tmp_path / "cov.png")
    corr = st.probe_tydi_correlation(study)
    study_plots.probe_plot(long, list(st.STUDY_ARMS), corr, path=tmp_path / "probe.png")
    study_plots.alpha_plot(long, path=tmp_path / "alpha.png")
    for name in ("dose", "cov", "probe", "alpha"):
        assert (tmp_path / f"{name}.png").stat().st_size > 0
    # and with nothing to show: a figure that says so, not an exception
    empty = pd.DataFrame(columns=["seed", "arm", "metric", "value"])
    study_plots.dose_plot(empty, pd.DataFrame(), margin=0.01, path=tmp_path / "e1.png")
    study_plots.coverage_plot(st.coverage_effects(st.Study({}, {}, {}), COVERAGE), margin=0.01)
    study_plots.probe_plot(empty, [], None)


def test_a_run_missing_arms_lists_what_it_cannot_compute(tmp_path):
    root = tmp_path / "run"
    write_seed(root, 0, ["zero-shot", "hybrid", "hybrid+align"])
    study = st.load_study(root)
    table, missing = st.study_table(study, st.study_comparisons(COVERAGE))
    assert set(table["n_seeds"]) == {1} and set(table["answer"]) == {"undetermined"}  # one seed: no interval
    assert any("no results of hybrid+align@lambda=0.1" in m for m in missing)
    assert any("no results of align-only" in m for m in missing)
    text = st.study_answers(table, missing, None, seeds=[0])
    assert "## Not computed" in text and "no interval over 1 seed" in text


def test_answers_over_two_seeds_say_they_are_provisional(answered, tmp_path):
    _, three, missing = answered
    assert st.TWO_SEEDS not in st.study_answers(three, missing, None, seeds=[0, 1, 2])
    assert st.TWO_SEEDS not in st.what_this_shows(three, missing, None, seeds=[0, 1, 2])
    root = tmp_path / "run"
    write_seed(root, 0, list(st.STUDY_ARMS))
    write_seed(root / "seed1", 1, [a for a in st.STUDY_ARMS if a != "zero-shot"])
    table, _ = st.study_table(st.load_study(root), st.study_comparisons(COVERAGE))
    assert set(table["n_seeds"]) == {2}
    assert st.TWO_SEEDS in st.study_answers(table, [], None, seeds=[0, 1])
    assert st.TWO_SEEDS in st.what_this_shows(table, [], None, seeds=[0, 1])


def test_fill_docs_replaces_only_between_the_markers(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(f"head\n{st.DOCS_START}\nold\n{st.DOCS_END}\ntail\n")
    st.fill_docs(doc, "new numbers")
    assert doc.read_text() == f"head\n{st.DOCS_START}\nnew numbers\n{st.DOCS_END}\ntail\n"
    doc.write_text("no markers")
    with pytest.raises(ValueError, match="no markers"):
        st.fill_docs(doc, "x")
    assert st.describes_fold1("runs/full") and not st.describes_fold1("runs/tiny")


def test_coverage_reads_tatoeba_from_the_data_and_en_is_the_pivot():
    cov = st.source_coverage(tatoeba=["ar", "ru", "ja"])
    assert cov["xor-tydi"] == ("ar", "bn", "fi", "ko", "ru", "te")  # ja is no TyDi GoldP language
    assert cov["ntrex"] == PROBE_LANGS and cov["tatoeba"] == ("ar", "ru")
    assert (
        st.coverage_of("en", cov["ntrex"]) == "pivot"
        and st.coverage_of("id", cov["xor-tydi"]) == "not covered"
    )


def test_coverage_follows_the_parameters_and_matches_the_data_training_reads(data_root):
    """No data folder is read to rebuild the study (``make results`` uses committed files alone), so the
    coverage it assumes must be what training loads: every requested language has its files."""
    from hybridlib.data.loaders import available_languages

    cov = st.source_coverage()
    assert cov["xor-tydi"] == ("ar", "bn", "fi", "ko", "ru", "te")
    assert cov["ntrex"] == cov["tatoeba"] == ("ar", "bn", "fi", "id", "ko", "ru", "sw", "te")
    for source in ("ntrex", "tatoeba", "xor-tydi"):
        assert set(cov[source]) <= set(available_languages(source, data_dir=data_root))
    assert st.source_coverage(["bn", "sw"])["xor-tydi"] == ("bn",)
