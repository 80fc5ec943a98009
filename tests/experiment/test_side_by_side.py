"""The batch-size check (``make gradcache``): what sets the settings apart, and its README section."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from hybridlib.experiment import side_by_side
from hybridlib.params import Params


def test_a_setting_is_labelled_by_the_training_parameters_that_differ():
    default = Params()
    larger = replace(default, batch_size=64, cached_loss_mini_batch=16, run_dir="elsewhere", arms=["hybrid"])
    assert side_by_side.setting_label(larger, [default]) == "batch_size=64, cached_loss_mini_batch=16"
    assert side_by_side.setting_label(default, [larger]) == "batch_size=16, cached_loss_mini_batch=0"
    assert side_by_side.setting_label(default, [default]) == "the same training"


def test_the_settings_files_are_the_default_and_the_gradcache_profile():
    default, larger = side_by_side.setting_params()
    assert default == Params()
    assert larger.batch_size > default.batch_size and larger.cached_loss_mini_batch > 0
    assert larger.batch_size % larger.cached_loss_mini_batch == 0
    assert {"multilingual", "hybrid", "hybrid+align"} <= set(larger.arms)


def test_written_tables_come_back_in_the_readme_section(tmp_path, monkeypatch):
    columns = [
        "dataset",
        "comparison",
        "diff",
        "ci_low",
        "ci_high",
        "n_favour_arm",
        "n_seeds",
        "answer",
        "verdict",
    ]
    row = [
        "tydiqa-goldp",
        "hybrid+align vs multilingual, all languages",
        -0.01,
        -0.02,
        -0.005,
        0,
        3,
        "no",
        "no",
    ]
    tables = {
        "batch_size=16": pd.DataFrame([row], columns=columns),
        "batch_size=64": pd.DataFrame([row], columns=columns),
    }
    written = side_by_side.write_tables(tables, tmp_path)
    assert {p.name for p in written} == {
        "table_side_by_side.csv",
        "table_side_by_side.md",
        "answers_side_by_side.md",
    }
    monkeypatch.setattr(side_by_side, "figures_dir", lambda params: tmp_path)
    section = side_by_side.results_markdown()
    assert "The answer is the same in 1 of 1 comparisons" in section
    assert (tmp_path / "table_side_by_side.md").read_text().strip() in section
    monkeypatch.setattr(side_by_side, "figures_dir", lambda params: tmp_path / "nothing")
    assert side_by_side.results_markdown() is None


def test_side_by_side_without_seed_runs_says_which_to_run_first():
    import pytest

    from hybridlib.experiment.sweep import side_by_side_tables

    with pytest.raises(
        SystemExit, match=r"no result files for params/default.yaml seed 99, .*make gradcache"
    ):
        side_by_side_tables([99])
