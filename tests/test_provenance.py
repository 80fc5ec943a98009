"""Every result records how it was computed; generated outputs do not make the code dirty."""

from __future__ import annotations

import subprocess

import pytest

from hybridlib.provenance import git_state, provenance


def test_provenance_records_resolved_precision_machine_versions_and_commit():
    record = provenance(precision="fp32", device="cpu", threads=2)
    assert record["precision"] == "fp32" and record["device"] == "cpu" and record["threads"] == 2
    assert record["cpu"] and record["versions"]["torch"] and record["versions"]["transformers"]
    assert record["git_commit"] is None or len(record["git_commit"]) == 40
    with pytest.raises(ValueError, match="resolved precision"):
        provenance(precision="auto", device="cpu")


def test_only_code_changes_make_the_tree_dirty(tmp_path):
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "table.md").write_text("old")
    (tmp_path / "code.py").write_text("x = 1\n")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    assert git_state(tmp_path)[1] is False
    (tmp_path / "figures" / "table.md").write_text("new numbers")
    (tmp_path / "README.md").write_text("regenerated")
    assert git_state(tmp_path)[1] is False
    (tmp_path / "code.py").write_text("x = 2\n")
    assert git_state(tmp_path)[1] is True
