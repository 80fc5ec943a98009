"""Notebooks are first-class: paired with their .py, stripped, and they run headless end to end."""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import jupytext
import nbformat
import numpy as np
import pytest

from hybridlib.config import run_root
from hybridlib.evaluation.results import result_path
from hybridlib.experiment.pipeline import main as pipeline_main
from hybridlib.experiment.stages import build_stages, declared_parameters
from hybridlib.params import ARMS
from hybridlib.train.identity import train_dir

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.py"))
#: A weight of the first transformer layer (the embedded e5's BERT names).
LAYER_0 = "encoder.layer.0.attention.self.query.weight"


@pytest.mark.parametrize("py", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_pairs_are_in_sync_and_stripped(py):
    ipynb = py.with_suffix(".ipynb")
    assert ipynb.is_file(), f"{ipynb.name} missing: run `make sync-notebooks`"
    committed = nbformat.read(ipynb, as_version=4)
    from_py = jupytext.read(py)
    assert [c.source for c in committed.cells] == [c.source for c in from_py.cells], (
        f"{ipynb.name} is out of sync with {py.name}: run `make sync-notebooks`"
    )
    for cell in committed.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{ipynb.name} has outputs"
    assert committed.metadata["kernelspec"]["name"] == "hybridlib"
    assert declared_parameters(py.stem), "every notebook has a papermill parameters cell"


def test_every_declared_parameter_is_in_the_schema():
    from hybridlib.experiment.explore import ExploreParams
    from hybridlib.experiment.fold_answers import AnswersParams
    from hybridlib.params import Params

    known = set(Params.__dataclass_fields__)
    # Notebooks outside the pipeline validate their own parameters (not experiment parameters).
    own = {
        "08_explore": set(ExploreParams.__dataclass_fields__),
        "09_answers": set(AnswersParams.__dataclass_fields__),
    }
    for py in NOTEBOOKS:
        assert set(declared_parameters(py.stem)) <= own.get(py.stem, known), py.name


def test_a_notebook_declaring_train_sets_declares_eval_sets_too():
    """Each notebook validates its parameters, and the leakage check compares ``train_sets`` with
    ``eval_sets``: a notebook that received the real ``train_sets`` (say XQuAD-R, the second fold) but
    the default ``eval_sets`` (XQuAD-R among them) would stop on a leak that is not there."""
    for py in NOTEBOOKS:
        declared = set(declared_parameters(py.stem))
        if "train_sets" in declared:
            assert "eval_sets" in declared, py.name


def test_pipeline_trains_every_arm_and_writes_sane_results(tiny_run):
    params, root, _ = tiny_run
    report = json.loads((root / "first_pipeline.json").read_text())
    assert all(s["status"] == "ran" for s in report["stages"].values())
    from hybridlib.params import arm_base, arm_settings

    # Every base arm and one arm of each study variant ran (params/tiny.yaml).
    assert set(ARMS) <= set(params.arms) and any("@" in arm for arm in params.arms)
    alignment_batches = params.max_steps // params.align_every
    expected = {  # (QA batches, alignment batches) by base arm
        "align-only": (0, params.max_steps),
        "hybrid+align": (params.max_steps, alignment_batches),
    }
    for arm in params.arms[1:]:
        summary = json.loads((train_dir(arm_settings(params, arm)) / "summary.json").read_text())
        assert summary["arm"] == arm_base(arm)
        counts = (summary["qa_steps"], summary["alignment_steps"])
        assert counts == expected.get(arm_base(arm), (params.max_steps, 0)), arm
    # The embedded e5 trained with frozen word embeddings (the default): those stay exactly the base
    # model's, the layers above them moved.
    from safetensors import safe_open

    from hybridlib.model.encoder import embedded_model_dir

    def tensors(folder: Path) -> dict:
        with safe_open(str(folder / "model.safetensors"), "np") as weights:
            return {key: weights.get_tensor(key) for key in ("embeddings.word_embeddings.weight", LAYER_0)}

    base = tensors(embedded_model_dir())
    tuned = tensors(train_dir(arm_settings(params, "hybrid+align")) / "model")
    assert (base["embeddings.word_embeddings.weight"] == tuned["embeddings.word_embeddings.weight"]).all()
    assert not np.allclose(base[LAYER_0], tuned[LAYER_0])
    from hybridlib.evaluation.probe import PROBE_LANGUAGES, probe_path

    for arm in params.arms:
        xq = json.loads(result_path(params, arm, "xquad-r").read_text())
        assert len(xq["languages"]["query"]) == 11
        assert xq["counts"]["settings"] == {"mo": 11, "cr": 110, "mul": 11}
        for value in xq["mAP"].values():
            assert 0.0 < value <= 1.0
        assert all(v is None or v >= 0 for v in xq["rank_distance"]["per_language"].values())
        ty = json.loads(result_path(params, arm, "tydiqa-goldp").read_text())
        # Unseen: absent from the QA fine-tuning data (align-only has none, so every language).
        unseen = {"bn", "fi", "id", "ko", "ru", "sw", "te"} | ({"ar", "en"} if arm == "align-only" else set())
        assert set(ty["unseen_languages"]) == unseen, arm
        probe = json.loads(probe_path(params, arm).read_text())
        assert (
            probe["languages"] == list(PROBE_LANGUAGES)
            and probe["counts"]["sentences"] == params.probe_sentences
        )
        assert all(0.0 <= a["mean"] <= 1.0 for a in probe["accuracy"].values())
        for m in ty["pools"]["mono"]["macro"].values():
            assert math.isfinite(m) and 0.0 <= m <= 1.0
        assert result_path(params, arm, "xquad-r").with_suffix(".run").stat().st_size > 0
    figures = root / "figures"
    for name in [
        "pair_counts.png",
        "heatmaps_xquad-r.png",
        "rank_distance_xquad-r.png",
        "tydi_map.png",
        "loss_curves.png",
        "table1_map.md",
        "table2_rank_distance.csv",
        "table_tydi.md",
        "table_significance.md",
    ]:
        assert (figures / name).stat().st_size > 0, name
    assert "hybrid+align" in (figures / "table1_map.md").read_text()


def test_second_run_recomputes_nothing(tiny_run):
    params, root, overrides = tiny_run
    pipeline_main(["--params", "params/tiny.yaml", "--no-readme", "--set", *overrides])
    report = json.loads((root / "run" / "pipeline.json").read_text())
    assert {s["status"] for s in report["stages"].values()} == {"up to date"}
    assert len(report["stages"]) == len(build_stages(params))


def _statuses(params) -> dict[str, str]:
    """Each stage's status when nothing may run: ``up to date`` or ``not selected`` (= stale)."""
    from hybridlib.experiment.pipeline import run

    return {sid: s["status"] for sid, s in run(params, only=[])["stages"].items()}


def test_editing_a_module_reruns_the_stages_that_import_it(tiny_run, tmp_path, monkeypatch):
    from hybridlib import fingerprint
    from hybridlib.experiment.pipeline import run
    from hybridlib.experiment.stages import NOTEBOOKS
    from hybridlib.fingerprint import code_closure

    params, _, _ = tiny_run
    copy = tmp_path / "hybridlib"
    shutil.copytree(REPO / "hybridlib", copy, ignore=shutil.ignore_patterns("__pycache__"))
    with (copy / "analysis" / "stats.py").open("a") as f:
        f.write("\n# an edit\n")
    monkeypatch.setattr(fingerprint, "_PACKAGE_DIR", copy)
    stages = build_stages(params)
    importing = {
        s.id for s in stages if "hybridlib.analysis.stats" in code_closure(NOTEBOOKS / f"{s.notebook}.py")
    }
    stale = set(importing)
    for s in stages:  # and every stage downstream of one
        if set(s.deps) & stale:
            stale.add(s.id)
    statuses = _statuses(params)
    assert {sid for sid, status in statuses.items() if status != "up to date"} == stale
    assert "06_compare" in stale and "03_train-hybrid" not in stale
    stamp_file = run_root(params) / ".stamps" / "05_language_bias.json"
    real_stamp = stamp_file.read_bytes()
    report = run(params, only=["05_language_bias"])
    assert report["stages"]["05_language_bias"]["status"] == "ran"
    monkeypatch.undo()
    # With the real code again, only the stage computed under the edit is stale.
    after = _statuses(params)
    assert {sid for sid, status in after.items() if status != "up to date"} == {"05_language_bias"}
    # Back to the real code's stamp for the tests after this one without running the stage again: the
    # edit was a comment, so the figures it wrote are the real code's.
    stamp_file.write_bytes(real_stamp)
    assert set(_statuses(params).values()) == {"up to date"}


def test_changing_the_learning_rate_retrains_every_arm(tiny_run):
    params, _, _ = tiny_run
    statuses = _statuses(params.replace(learning_rate=params.learning_rate * 2))
    stale = {sid for sid, status in statuses.items() if status != "up to date"}
    trained = {f"03_train-{arm}" for arm in ARMS[1:]}
    assert trained <= stale
    assert "04_evaluate-zero-shot" not in stale and "01_data" not in stale


def test_report_fills_the_readme_between_its_markers(tiny_run, tmp_path):
    from hybridlib.experiment.report import END, START, update_readme

    params, _, _ = tiny_run
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{START}\nstale numbers\n{END}\ntail\n")
    update_readme(params, readme)
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith(f"{END}\ntail\n") and "stale" not in text
    assert f"Its {len(build_stages(params))} stages took" in text
    assert "Its last whole run (every stage) took " in text and " 2 stage(s) at a time" in text
    assert "| hybrid+align | 2 | 1 | fp32 |" in text and "#### Table 1" in text
    assert "Evaluation ran in fp32 on cpu" in text
    readme.write_text("no markers")
    with pytest.raises(ValueError, match="has no markers"):
        update_readme(params, readme)


def test_results_file_holds_the_readme_section_beside_the_run(tiny_run, tmp_path):
    """``make gpu``'s report: the README's results section, written as a file of its own (the tiny run's
    results; no new pipeline), with figure links relative to that file; README.md is left alone."""
    import yaml

    from hybridlib.config import RESULTS_FILE
    from hybridlib.experiment.report import main, results_markdown, write_results_file

    params, root, _ = tiny_run
    readme_before = (REPO / "README.md").read_text()
    assert results_markdown(params).startswith(f"Default run (`make run`, seed {params.seed}): last invoked")

    beside_figures = write_results_file(params, root / "RESULTS.md", label="The tiny run")
    text = beside_figures.read_text()
    assert text.startswith("# Results · The tiny run\n") and "The tiny run (seed 0): last invoked" in text
    assert "| hybrid+align | 2 | 1 | fp32 |" in text and "#### Table 1" in text
    assert "](figures/heatmaps_xquad-r.png)" in text and (root / "figures" / "heatmaps_xquad-r.png").is_file()
    assert "Device:" not in text  # no device check ran for this run

    profile = tmp_path / "tiny-here.yaml"
    values = yaml.safe_load((REPO / "params" / "tiny.yaml").read_text())
    values.update(run_dir=params.run_dir, figures_dir=params.figures_dir)
    profile.write_text(yaml.safe_dump(values))
    default_path = Path(params.run_dir) / RESULTS_FILE
    try:
        main(["--params", str(profile), "--results-file"])
        text = default_path.read_text()
        assert text.startswith(f"# Results · Run of `{profile}`") and "#### Table 1" in text
        # Figures outside the run folder: linked relative to the file, so the link survives a move of both.
        rel = os.path.relpath(params.figures_dir, params.run_dir)
        assert f"]({rel}/tydi_map.png)" in text and (Path(params.run_dir) / rel / "tydi_map.png").is_file()
    finally:
        default_path.unlink(missing_ok=True)  # the tiny run is shared by other tests: leave it as found
    assert (REPO / "README.md").read_text() == readme_before


#: The arms of the tiny seed 1: what a comparison over two seeds needs (hybrid vs X-X-mono), also the
#: α sweep's models at the main α and α = 1; the other arms' seed runs are the same pipeline with other
#: samplers, and add time, not coverage.
SEED1_ARMS = ["monolingual", "hybrid"]


@pytest.fixture(scope="module")
def seeded_run(tiny_run):
    """``make seeds`` on top of the tiny run (seed 0, every arm): seed 1 with :data:`SEED1_ARMS`, then the
    tables over seeds 0 and 1 from the result files (``--tables-only``)."""
    from hybridlib.experiment.sweep import main as sweep_main

    _, _, overrides = tiny_run
    seed1 = [*overrides, f"arms=[{','.join(SEED1_ARMS)}]"]
    sweep_main(["seeds", "--params", "params/tiny.yaml", "--seeds", "1", "--jobs", "2", "--set", *seed1])
    sweep_main(
        ["seeds", "--params", "params/tiny.yaml", "--seeds", "0", "1", "--tables-only", "--set", *overrides]
    )
    return tiny_run


def test_seeds_reuse_the_main_run_and_aggregate_over_seeds(seeded_run):
    _, root, _ = seeded_run
    # Seed 0 is the main run itself (no folder of its own); seed 1 ran beside it, with its arms only.
    assert not (root / "run" / "seed0").exists()
    assert sorted(p.name for p in (root / "run" / "seed1" / "results").iterdir()) == sorted(SEED1_ARMS)
    seeds = (root / "figures" / "table_seeds.md").read_text()
    hybrid, align = (
        next(x for x in seeds.splitlines() if x.startswith(f"| {arm} ")) for arm in ("hybrid", "hybrid+align")
    )
    assert "(n=2)" in hybrid and "(n=1)" in align and "(n=2)" not in align
    answers = (root / "figures" / "answers_seeds.md").read_text()
    line = next(x for x in answers.splitlines() if "hybrid vs X-X-mono on Mo.: " in x)
    assert line.split(": ", 1)[1].startswith(("yes", "no", "undetermined"))  # the verdict leads
    assert "** hybrid better in" in line and "of 2 seeds" in line
    # a comparison whose arms ran in seed 0 only is made over that one seed
    line = next(x for x in answers.splitlines() if "hybrid+align vs multilingual, all languages: " in x)
    assert "of 1 seeds" in line


def test_readme_leaves_out_seed_tables_that_disagree_with_the_run(seeded_run, tmp_path):
    import pandas as pd

    from hybridlib.experiment.report import matches_main_run

    params, root, _ = seeded_run
    long_csv = root / "run" / "seeds_long.csv"
    assert matches_main_run(long_csv, params, by="arm") is True
    long = pd.read_csv(long_csv)
    long.loc[(long["seed"] == params.seed) & (long["arm"] == "hybrid"), "value"] += 0.01
    long.to_csv(tmp_path / "stale.csv", index=False)
    assert matches_main_run(tmp_path / "stale.csv", params, by="arm") is False
    assert matches_main_run(tmp_path / "missing.csv", params, by="arm") is None


def test_alpha_sweep_at_the_main_alpha_and_the_endpoints_reuses_the_seed_runs(seeded_run):
    import pandas as pd

    from hybridlib.analysis.seeds import summary_metrics
    from hybridlib.evaluation.results import load_result
    from hybridlib.experiment.sweep import alpha_sweep, same_evaluation, seed_params
    from hybridlib.params import arm_settings

    params, root, _ = seeded_run
    before = sorted(p.name for p in (root / "run").rglob("*") if p.is_dir())
    # α = 0 and α = 1 are the crosslingual and monolingual runs (same batches, same training identity).
    # Seed 1 ran without crosslingual (SEED1_ARMS): its α = 0 would train a model, so it is left out.
    arm_of = {0.0: "crosslingual", params.alpha: "hybrid", 1.0: "monolingual"}
    alphas_of = {0: list(arm_of), 1: [params.alpha, 1.0]}
    long = pd.concat([alpha_sweep(params, alphas=alphas, seeds=[seed]) for seed, alphas in alphas_of.items()])
    assert sorted(p.name for p in (root / "run").rglob("*") if p.is_dir()) == before  # nothing new
    for seed, alphas in alphas_of.items():
        p = seed_params(params, seed)
        for alpha in alphas:
            arm = arm_of[alpha]
            expected = summary_metrics({ds: load_result(result_path(p, arm, ds)) for ds in p.eval_sets})
            rows = long[(long["seed"] == seed) & (long["alpha"] == alpha)]
            assert rows.set_index("metric")["value"].to_dict() == expected
    # Results of another evaluation pool or another model are not reused.
    hybrid = arm_settings(params, "hybrid")
    paths = {ds: result_path(hybrid, "hybrid", ds) for ds in hybrid.eval_sets}
    model_dir = train_dir(hybrid) / "model"
    assert same_evaluation(paths, hybrid, model_dir)
    assert not same_evaluation(paths, hybrid.replace(eval_max_paragraphs=2), model_dir)
    assert not same_evaluation(paths, hybrid, train_dir(arm_settings(params, "multilingual")) / "model")


def test_side_by_side_compares_each_setting_from_its_seed_runs(seeded_run, monkeypatch):
    """``sweep side-by-side`` (``make gradcache``) on the tiny seed runs, set against themselves under
    another label: every comparison is kept with the same numbers as ``sweep seeds`` wrote, and every
    answer is the same."""
    import pandas as pd

    from hybridlib.experiment import side_by_side
    from hybridlib.experiment.sweep import side_by_side_tables

    params, root, _ = seeded_run
    monkeypatch.setattr(side_by_side, "setting_params", lambda: [params, params.replace(batch_size=8)])
    side_by_side_tables([0, 1])
    table = pd.read_csv(root / "figures" / "table_side_by_side.csv")
    over_seeds = pd.read_csv(root / "figures" / "table_seed_comparisons.csv")
    assert table[["dataset", "comparison"]].equals(over_seeds[["dataset", "comparison"]])
    assert table["batch_size=4: diff"].tolist() == table["batch_size=8: diff"].tolist()
    assert table["batch_size=4: diff"].tolist() == pytest.approx(over_seeds["diff"].tolist())
    assert set(table["same answer"]) == {"yes"}
    summary = (root / "figures" / "answers_side_by_side.md").read_text()
    assert f"The answer is the same in {len(table)} of {len(table)} comparisons" in summary


def test_09_answers_runs_under_papermill_on_the_tiny_run_as_its_only_fold(seeded_run, tmp_path):
    """``09_answers`` at CI scale (issue 22: it runs under papermill in CI): the tiny run as the one fold,
    planned with seeds 0, 1 and 2. Seed 0 has every arm, seed 1 two (:data:`SEED1_ARMS`), seed 2 none, so
    the notebook must count seed 0, name seed 1 as incomplete and seed 2 as missing, write every output
    from that one seed, and end with its "what this shows" summary."""
    import subprocess
    import sys

    import pandas as pd
    import yaml

    from hybridlib.analysis.paper import VERDICTS
    from hybridlib.experiment.fold_answers import OUTPUTS
    from hybridlib.experiment.folds import fold_name

    params, _, _ = seeded_run
    fold = tmp_path / "tiny-fold.yaml"
    values = yaml.safe_load((REPO / "params" / "tiny.yaml").read_text())
    values.update(run_dir=params.run_dir, figures_dir=params.figures_dir)
    fold.write_text(yaml.safe_dump(values))
    figs, executed = tmp_path / "answers", tmp_path / "09_answers.ipynb"
    lists = yaml.safe_dump({"folds": [str(fold)], "planned_seeds": [0, 1, 2]})  # papermill -p reads no lists
    proc = subprocess.run(
        [sys.executable, "-m", "papermill", "notebooks/09_answers.ipynb", str(executed), "-k", "hybridlib",
         "-y", lists, "-p", "figures_dir", str(figs)],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert all((figs / name).stat().st_size > 0 for name in OUTPUTS)
    status = (figs / "seeds_status.md").read_text()
    assert f"fold 1 ({fold_name(params)}): seeds with every arm's result files: 0; " in status
    assert "seed 1 lacks zero-shot" in status and "no result files: seed 2." in status
    answer = (figs / "answer.md").read_text()
    # One complete seed: no interval over seeds, so no answer yet, and the answer says so.
    assert answer.startswith("Fold 1 (") and "has 1 of 3 planned seeds so far" in answer
    assert "not answered yet" in answer
    card = pd.read_csv(figs / "claims_scorecard.csv")
    assert list(card["claim"]) == [f"C{i}" for i in range(1, 11)]
    assert set(card["fold 1: verdict"]) <= set(VERDICTS)
    last = [c for c in nbformat.read(executed, as_version=4).cells if c.cell_type == "code"][-1]
    shown = "".join(str(o.get("data", {}).get("text/markdown", "")) for o in last.outputs)
    assert f"- Fold 1 ({fold_name(params)}): 1 complete seed(s); " in shown, shown
    assert "- Claims scorecard, fold 1: " in shown
