"""Every notebook's ``parameters`` cell repeats the defaults of :class:`hybridlib.params.Params`.

``papermill -f params/X.yaml`` injects only the keys the file holds and the files hold only their
differences from ``Params``; a notebook whose cell held another default would silently run with it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from hybridlib.params import Params

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.py"))
#: Names a notebook declares that are not experiment parameters, with the reason they may differ.
OWN_PARAMETERS = {
    # 08_explore validates its own parameters (hybridlib.experiment.explore.ExploreParams); its
    # `arms` means "arms shown side by side" (None: all), not the experiment's arms.
    "08_explore": {"arms", "dataset", "query", "qid", "k", "drill_arms", "drill_x_q", "drill_x_c"}
    | {"n_questions", "interactive"},
    # 09_answers validates its own parameters (hybridlib.experiment.fold_answers.AnswersParams): the
    # folds' parameter files and their planned seeds; figures_dir is the Params field and default.
    "09_answers": {"folds", "planned_seeds"},
    # 10_alignment_study reads fold 1's run (params/full.yaml) by default: the study's arms run there
    # only; its parameters are Params fields (the schema must not change while fold 1 trains).
    "10_alignment_study": {"run_dir", "figures_dir"},
}


def parameters_cell(py: Path) -> dict[str, object]:
    """The literal values assigned in the ``parameters`` cell of a jupytext notebook."""
    marker = '# %% tags=["parameters"]'
    cell = py.read_text().split(marker, 1)[1].split("\n# %%", 1)[0]
    return {
        target.id: ast.literal_eval(node.value)
        for node in ast.parse(cell).body
        if isinstance(node, ast.Assign)
        for target in node.targets
    }


@pytest.mark.parametrize("py", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell_equals_the_params_defaults(py):
    defaults = Params().to_dict()
    cell = parameters_cell(py)
    own = OWN_PARAMETERS.get(py.stem, set())
    differ = {k: (v, defaults[k]) for k, v in cell.items() if k not in own and v != defaults[k]}
    assert not differ, f"{py.name}: parameters cell (value, Params default) differ: {differ}"


def test_exceptions_name_declared_parameters():
    for notebook, names in OWN_PARAMETERS.items():
        assert names <= set(parameters_cell(Path(NOTEBOOKS[0].parent / f"{notebook}.py")))
