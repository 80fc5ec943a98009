"""The conclusive experiment's two folds read together (:mod:`hybridlib.experiment.folds`), on
hand-made run folders: Table 1 over folds, each seed run's wall time, and the README section."""

from __future__ import annotations

import json

import pandas as pd

from hybridlib.config import COMPLETE_RUN_REPORT, PIPELINE_REPORT, seed_params
from hybridlib.experiment import folds as folds_module
from hybridlib.experiment.folds import FOLD_FILES, fold_params, results_markdown, seed_times, write_tables
from hybridlib.params import Params


def _long(dataset: str, seeds: list[int]) -> pd.DataFrame:
    rows = [
        {"arm": arm, "seed": s, "metric": f"{dataset} {setting} mAP", "value": 0.5 + 0.01 * s + bonus}
        for s in seeds
        for arm, bonus in (("multilingual", 0.0), ("hybrid", 0.1))
        for setting in ("mo", "cr", "mul")
    ]
    return pd.DataFrame(rows)


def _report(wall_seconds: float, status: str = "ran") -> dict:
    return {
        "stages": {"01_data": {"status": status}, "06_compare": {"status": status}},
        "wall_seconds": wall_seconds,
        "jobs": 2,
        "finished": "2026-11-30T23:00:00+00:00",
        "machine": "AMD EPYC, 2 cores",
    }


def test_the_folds_are_the_full_profiles_and_never_evaluate_what_they_trained_on():
    first, second = fold_params()
    assert FOLD_FILES[0] == "params/full.yaml" and first.run_dir == "runs/full"
    assert (
        first.train_sets == ["mlqa-r"] and "xquad-r" in first.eval_sets and "tydiqa-goldp" in first.eval_sets
    )
    assert second.train_sets == ["xquad-r"] and second.eval_sets == ["mlqa-r"]
    # the same budget and whole pools in both folds: only the data differ
    same = ("batch_size", "max_steps", "eval_max_paragraphs", "max_seq_length", "learning_rate")
    assert all(getattr(first, f) == getattr(second, f) for f in same)
    # fold 2 runs the research arms; fold 1 runs them too, then the alignment study's
    assert first.arms[: len(second.arms)] == second.arms


def test_tables_and_readme_section_from_both_folds(tmp_path, monkeypatch):
    fold1 = Params(run_dir=str(tmp_path / "full"), figures_dir=str(tmp_path / "full" / "figures"))
    fold2 = Params(
        run_dir=str(tmp_path / "full2"),
        figures_dir=str(tmp_path / "full2" / "figures"),
        train_sets=["xquad-r"],
        eval_sets=["mlqa-r"],
    )
    folds = [fold1, fold2]
    assert write_tables(folds) == [] and results_markdown(folds=folds) is None  # nothing has run

    (tmp_path / "full" / "figures").mkdir(parents=True, exist_ok=True)
    _long("xquad-r", [0, 1]).to_csv(tmp_path / "full" / "seeds_long.csv", index=False)
    (tmp_path / "full2").mkdir(exist_ok=True)
    _long("mlqa-r", [0]).to_csv(tmp_path / "full2" / "seeds_long.csv", index=False)
    # fold 1 seed 0: a whole run, then a no-op invocation; seed 1: a run made before complete_run.json
    (tmp_path / "full" / COMPLETE_RUN_REPORT).write_text(json.dumps(_report(3000.0)))
    (tmp_path / "full" / PIPELINE_REPORT).write_text(json.dumps(_report(1.0, "up to date")))
    seed1 = tmp_path / "full" / "seed1"
    seed1.mkdir()
    (seed1 / PIPELINE_REPORT).write_text(json.dumps(_report(2400.0)))
    # fold 2 seed 0 never ran whole (resumed): no wall time is claimed for it
    (tmp_path / "full2" / PIPELINE_REPORT).write_text(json.dumps(_report(60.0, "up to date")))

    times = seed_times(folds)
    assert times[["seed", "wall time (min)"]].values.tolist() == [[0, 50.0], [1, 40.0]]
    assert set(times["fold"]) == {"mlqa-r → xquad-r, tydiqa-goldp"}
    assert seed_params(fold1, 1).run_dir == str(seed1)

    written = write_tables(folds)
    assert json.loads((seed1 / COMPLETE_RUN_REPORT).read_text())["wall_seconds"] == 2400.0  # kept to commit
    assert {p.name for p in written} == {
        "table1_folds.md", "table1_folds.csv", "table_seed_times.md", "table_seed_times.csv",
    }  # fmt: skip
    table1 = (tmp_path / "full" / "figures" / "table1_folds.md").read_text()
    header = table1.splitlines()[0]
    assert header.index("xquad-r Mo.") < header.index("mlqa-r Mo.")  # fold 1's set first
    assert "0.6050 ± 0.0071 (n=2)" in table1 and "0.6000 (n=1)" in table1

    assert results_markdown(folds=folds) is None  # no answers over seeds yet: no section
    (tmp_path / "full" / "figures" / "answers_seeds.md").write_text("- **the answer.**\n")
    monkeypatch.setattr(folds_module, "REPO_ROOT", tmp_path)
    text = results_markdown(folds=folds, base=tmp_path)
    assert text.startswith("### Conclusive experiment (`make full`)")
    assert "seeds [0, 1]" in text and "seeds [0]" in text
    assert text.index("- **the answer.**") < text.index("#### Table 1") < text.index("#### Wall time")
    assert "| xquad-r Mo." in text and "50.0" in text
    assert "Every figure of fold 1's seed 0 is in `full/figures/`." in text
