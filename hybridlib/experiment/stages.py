"""The experiment's stages: which notebook runs with which parameters, what it depends on and writes.

    01_data ─ 02_pairs ─┬─ 03_train[arm] ─ 04_evaluate[arm] ─┬─ 05_language_bias ─ 06_compare
                        └────────────── 04_evaluate[zero-shot] ┘

Each stage is one notebook run with the parameters its ``parameters`` cell declares
(:func:`declared_parameters`), taken from the YAML file (per arm for training and evaluation).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hybridlib.config import REPO_ROOT, SUMMARY_FILE, figures_dir
from hybridlib.dataset_names import set_label
from hybridlib.evaluation.probe import probe_path
from hybridlib.evaluation.results import result_path
from hybridlib.params import Params, arm_settings
from hybridlib.train.identity import arm_model_path, train_dir

NOTEBOOKS = REPO_ROOT / "notebooks"


KERNEL = "hybridlib"


@dataclass
class Stage:
    id: str
    notebook: str
    parameters: dict[str, Any]
    outputs: list[Path]
    deps: list[str] = field(default_factory=list)
    #: The base model the stage loads by name (None: none, or one trained by a dependency).
    model: str | None = None


def declared_parameters(notebook: str) -> list[str]:
    """Names assigned in the ``parameters`` cell of ``notebooks/<notebook>.py``."""
    text = (NOTEBOOKS / f"{notebook}.py").read_text()
    marker = '# %% tags=["parameters"]'
    if marker not in text:
        raise ValueError(f"notebooks/{notebook}.py has no parameters cell")
    cell = text.split(marker, 1)[1].split("\n# %%", 1)[0]
    return [t.id for node in ast.parse(cell).body if isinstance(node, ast.Assign) for t in node.targets]


def _inject(notebook: str, params: Params, **extra: Any) -> dict[str, Any]:
    values = {**params.to_dict(), **extra}
    return {name: values[name] for name in declared_parameters(notebook)}


def build_stages(params: Params) -> list[Stage]:
    trained = [a for a in params.arms if a != "zero-shot"]
    stages = [
        Stage("01_data", "01_data", _inject("01_data", params), []),
        Stage("02_pairs", "02_pairs", _inject("02_pairs", params), [figures_dir(params) / "pair_counts.png"]),
    ]
    for arm in trained:
        p = arm_settings(params, arm)
        stages.append(
            Stage(
                f"03_train-{arm}",
                "03_train",
                _inject("03_train", p),
                [train_dir(p) / SUMMARY_FILE],  # written last, after the model
                model=p.model,
            )
        )
    evaluations = []
    for arm in params.arms:
        stage_id = f"04_evaluate-{arm}"
        evaluations.append(stage_id)
        stages.append(
            Stage(
                stage_id,
                "04_evaluate",
                _inject("04_evaluate", params, arm=arm, model_path=arm_model_path(params, arm)),
                [result_path(params, arm, ds) for ds in params.eval_sets]
                + ([probe_path(params, arm)] if params.probe_sentences > 0 else []),
                deps=[] if arm == "zero-shot" else [f"03_train-{arm}"],
                model=params.model if arm == "zero-shot" else None,
            )
        )
    return stages + result_reading_stages(params, deps=evaluations)


def result_reading_stages(params: Params, deps: list[str] | None = None) -> list[Stage]:
    """The stages that read only the run's result files and write its tables and figures: language
    bias, then Table 1, significance and TyDi tables. Built without hashing a dataset or a training
    identity, so ``make results`` can run them again where only the committed files are
    (:func:`hybridlib.experiment.pipeline.rerun_result_readers`)."""
    lareqa = [ds for ds in params.eval_sets if not ds.startswith("tydiqa")]
    return [
        Stage(
            "05_language_bias",
            "05_language_bias",
            _inject("05_language_bias", params),
            [figures_dir(params) / f"heatmaps_{set_label(ds)}.png" for ds in lareqa],
            deps=list(deps or []),
        ),
        Stage(
            "06_compare",
            "06_compare",
            _inject("06_compare", params),
            [figures_dir(params) / "table1_map.md", figures_dir(params) / "table_significance.md"],
            deps=list(deps or []),
        ),
    ]
