"""The paper profiles train and evaluate as written (paper-xlmr through the notebooks, paper-labse through
the same calls in-process), with their hub models swapped for tiny ones.

``params/paper-xlmr.yaml`` and ``params/paper-labse.yaml`` name hub models CI cannot download. An offline
hub cache serves tiny random models of the same families under those very names (``tests/tiny_models.py``),
so the YAML's ``model:`` is used literally and every path but the download runs: hub-name resolution,
a bare XLM-R checkpoint given mean pooling, a published LaBSE-like folder loaded with its CLS pooling and
Dense head, batch 100, 256/512-token inputs, unfrozen word embeddings, checkpoints, alignment.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tiny_models import (
    TINY_HIDDEN,
    TINY_LABSE_DIM,
    offline_hub,
    place_in_hub_cache,
    tiny_labse_folder,
    tiny_xlmr_folder,
)

from hybridlib.config import MODEL_DIR, SUMMARY_FILE
from hybridlib.evaluation.results import result_path
from hybridlib.experiment.stages import build_stages
from hybridlib.params import arm_settings, load_yaml
from hybridlib.train.identity import train_dir

REPO = Path(__file__).resolve().parents[2]


def _family(builder, pooling: str, modules: list[str], model_type: str, dim: int) -> dict:
    return {"builder": builder, "pooling": pooling, "modules": modules, "model_type": model_type, "dim": dim}


#: What each paper profile's encoder is: how its tiny stand-in is built, and what loading it by the
#: profile's name must give (the paper's pooling; the published module stack; the embedding dimension).
FAMILIES = {
    "paper-xlmr": _family(
        tiny_xlmr_folder, "mean", ["Transformer", "Pooling", "Normalize"], "xlm-roberta", TINY_HIDDEN
    ),
    "paper-labse": _family(
        tiny_labse_folder, "cls", ["Transformer", "Pooling", "Dense", "Normalize"], "bert", TINY_LABSE_DIM
    ),
}
#: The paper's prefixes for every family (README "Method": one shared encoder, prefixed texts).
PAPER_PREFIXES = ("query: ", "passage: ")


def _profile(name: str, **overrides):
    return load_yaml(REPO / "params" / f"{name}.yaml", **overrides)


@pytest.fixture(scope="module")
def paper_hub(tmp_path_factory, embedded_model_dir):
    """One offline hub cache holding a tiny model of each paper family under the paper's name, and the
    tiny folders themselves (to compare trained weights against): ``(hub cache, {profile: folder})``."""
    root = tmp_path_factory.mktemp("paper-hub")
    folders = {}
    for profile, family in FAMILIES.items():
        folders[profile] = family["builder"](root / profile, embedded_model_dir)
        place_in_hub_cache(folders[profile], _profile(profile).model, root / "hub")
    return root / "hub", folders


@pytest.mark.parametrize("profile", FAMILIES)
def test_paper_names_get_the_papers_settings(profile):
    from hybridlib.model.encoder import settings_for

    settings = settings_for(_profile(profile).model)
    assert settings.pooling == FAMILIES[profile]["pooling"]
    assert (settings.query_prefix, settings.passage_prefix) == PAPER_PREFIXES


@pytest.mark.parametrize("profile", FAMILIES)
def test_tiny_model_loads_by_the_paper_name_as_its_family(profile, paper_hub):
    """The name resolves offline to the tiny folder and loads as the family does: modules, pooling,
    dimension. Neither folder carries prompts of its own (nothing of the e5 folder its tokenizer came
    from): the only prefixes are hybridlib's settings, added by the bare checkpoint's prompts or not at
    all (the published folder loads as published; ``Encoder`` and the trainer prefix the texts)."""
    from hybridlib.model.encoder import load_sentence_transformer, settings_for

    hub, _ = paper_hub
    family, name = FAMILIES[profile], _profile(profile).model
    with offline_hub(hub):
        model = load_sentence_transformer(name)
    assert [type(m).__name__ for m in model] == family["modules"]
    assert model[1].get_config_dict()["pooling_mode"] == family["pooling"]
    assert model[0].auto_model.config.model_type == family["model_type"]
    assert model.get_embedding_dimension() == family["dim"]
    own_prompts = {kind: text for kind, text in model.prompts.items() if text}
    settings = settings_for(name)
    expected = {"query": settings.query_prefix, "passage": settings.passage_prefix}
    assert own_prompts == (expected if profile == "paper-xlmr" else {})


#: The only changes to each profile: two steps and tiny pools, a tmp run folder (added per test).
#: ``arms``: hybrid+align only (training with every sampler kind and the alignment loss, then evaluating
#: the trained folder); the training stage loads the hub model by the profile's name, as zero-shot's
#: evaluation would (the same ``load_sentence_transformer``, also checked by
#: :func:`test_tiny_model_loads_by_the_paper_name_as_its_family`), and the other arms' sampler paths run
#: in the tiny pipeline already: they add kernels, nothing model-specific. ``checkpoint_every=1`` keeps
#: the checkpoint path live. ``align_every=2``: with the default 4, two QA steps would run no alignment
#: batch at all (the profiles leave it at the default). A bitext probe of 4 held-out lines per language.
OVERRIDES = {
    "max_steps": "2",
    "eval_max_paragraphs": "1",
    "tydi_max_questions": "5",
    "arms": "[hybrid+align]",
    "checkpoint_every": "1",
    "align_every": "2",
    "probe_sentences": "4",
}


#: The notebooks that load the model (the others read data or result files only).
MODEL_STAGES = ("03_train", "04_evaluate")
#: The profile whose model stages run as notebooks (the paper's main model); the other's run the same
#: library calls in this process (``train``, ``evaluate_model``): a notebook kernel spends several
#: seconds importing, and the notebooks themselves are what the tiny pipeline and this profile run.
THROUGH_NOTEBOOKS = "paper-xlmr"


def _safetensors(folder: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(str(folder / "model.safetensors"))


def _word_embeddings(folder: Path) -> np.ndarray:
    (name,) = [k for k in _safetensors(folder) if k.endswith("word_embeddings.weight")]
    return _safetensors(folder)[name]


def _run_model_stages(profile: str, overrides: dict[str, str], tmp_path: Path) -> None:
    """The profile's model stages with ``overrides``: as notebooks through the pipeline (two at a time)
    for :data:`THROUGH_NOTEBOOKS`, else the calls those notebooks make, in this process."""
    from hybridlib.evaluation.run import evaluate_model
    from hybridlib.experiment.pipeline import main as pipeline_main
    from hybridlib.train.run import train

    if profile == THROUGH_NOTEBOOKS:
        pipeline_main(
            ["--params", f"params/{profile}.yaml", "--no-readme", "--jobs", "2"]
            + ["--only", *MODEL_STAGES, "--set"]
            + [f"{key}={value}" for key, value in overrides.items()]
        )
        report = json.loads((tmp_path / "run" / "pipeline.json").read_text())
        statuses = {stage: entry["status"] for stage, entry in report["stages"].items()}
        assert statuses == {
            s.id: "ran" if s.notebook in MODEL_STAGES else "not selected"
            for s in build_stages(_profile(profile, **overrides))
        }
        return
    params = _profile(profile, **overrides)
    for arm in params.arms:
        train(arm_settings(params, arm))
        evaluate_model(params, arm=arm)


@pytest.mark.slow
@pytest.mark.parametrize("profile", FAMILIES)
def test_paper_profile_runs_every_stage_with_a_tiny_model_of_its_family(profile, paper_hub, tmp_path):
    """The paper YAML, only :data:`OVERRIDES` and the run folders changed, through its stages that load
    the model (``03_train``, ``04_evaluate``; the others read only data or result files and run in the
    tiny pipeline); see :func:`_run_model_stages`. The loaded model really is the tiny one of the
    family: every embedding the evaluations computed has its dimension, and the trained model has its
    modules, pooling and width."""
    hub, folders = paper_hub
    family = FAMILIES[profile]
    overrides = {**OVERRIDES, "run_dir": str(tmp_path / "run"), "figures_dir": str(tmp_path / "figures")}
    cache = tmp_path / "cache"  # the evaluations' embedding cache, apart from the repository's
    with offline_hub(hub, HYBRIDLIB_CACHE=str(cache)):
        _run_model_stages(profile, overrides, tmp_path)
    params = _profile(profile, **overrides)
    as_written = _profile(profile).to_dict()
    changed = {k for k, v in params.to_dict().items() if v != as_written[k]}
    assert changed <= set(overrides) and params.batch_size == 100 and not params.freeze_embeddings

    for arm in params.arms:
        for dataset in params.eval_sets:
            result = json.loads(result_path(params, arm, dataset).read_text())
            assert result["parameters"]["model"] == params.model
    vectors = [np.load(f) for f in sorted((cache / "embeddings").glob("*.npy"))]
    assert len(vectors) == 2 * len(params.arms) * len(params.eval_sets)  # queries, passages
    assert {v.shape[1] for v in vectors} == {family["dim"]}

    run = train_dir(arm_settings(params, "hybrid+align"))
    summary = json.loads((run / SUMMARY_FILE).read_text())
    assert (summary["qa_steps"], summary["alignment_steps"]) == (2, 1)
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["checkpoint-2", "checkpoint-3"]
    model = run / MODEL_DIR
    modules = json.loads((model / "modules.json").read_text())
    assert [m["type"].rsplit(".", 1)[-1] for m in modules] == family["modules"]
    assert json.loads((model / "1_Pooling" / "config.json").read_text())["pooling_mode"] == family["pooling"]
    config = json.loads((model / "config.json").read_text())
    assert (config["model_type"], config["hidden_size"]) == (family["model_type"], TINY_HIDDEN)
    # Unfrozen word embeddings (as the profiles write): training moved them.
    assert not np.array_equal(_word_embeddings(model), _word_embeddings(folders[profile]))


def test_gpu_profile_refuses_to_start_without_cuda_unless_told(tmp_path, monkeypatch):
    """``make gpu`` checks first: no CUDA device (as on every CI machine) fails with a message saying how
    to override, and writes nothing; ALLOW_CPU=1 (``--allow-cpu``) accepts the CPU and records it; a CUDA
    device is recorded by name and named in the results file. torch's CUDA queries are stubbed."""
    import torch

    from hybridlib.experiment.report import DEVICE_FILE, NoCudaError, main, require_cuda

    params = _profile("gpu-e5", run_dir=str(tmp_path / "run"))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    how = r"pass ALLOW_CPU=1 \(`make gpu ALLOW_CPU=1`"
    with pytest.raises(NoCudaError, match=r"no CUDA device is visible.*" + how):
        require_cuda(params)
    assert not (tmp_path / "run").exists()
    with pytest.raises(SystemExit, match=r"params/gpu-e5.yaml: no CUDA device.*--allow-cpu"):
        main(["--params", "params/gpu-e5.yaml", "--check-cuda"])

    assert require_cuda(params, allow_cpu=True).startswith("CPU only, by explicit override")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=0: "NVIDIA Stub H1")
    assert require_cuda(params).startswith("NVIDIA Stub H1 (CUDA ")
    recorded = json.loads((tmp_path / "run" / DEVICE_FILE).read_text())
    assert recorded["device"].startswith("NVIDIA Stub H1") and recorded["checked"]
