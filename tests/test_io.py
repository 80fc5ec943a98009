"""Generated README sections: only the text between the markers changes."""

from __future__ import annotations

import pytest

from hybridlib.io import replace_between_markers


def test_replace_between_markers_keeps_everything_outside(tmp_path):
    path = tmp_path / "README.md"
    path.write_text("intro\n<!-- a -->\nold\nlines\n<!-- b -->\ntail\n")
    replace_between_markers(path, "<!-- a -->", "<!-- b -->", "new")
    assert path.read_text() == "intro\n<!-- a -->\nnew\n<!-- b -->\ntail\n"
    replace_between_markers(path, "<!-- a -->", "<!-- b -->", "newer")  # idempotent shape
    assert path.read_text() == "intro\n<!-- a -->\nnewer\n<!-- b -->\ntail\n"


def test_missing_markers_raise_and_leave_the_file_alone(tmp_path):
    path = tmp_path / "README.md"
    path.write_text("no markers here\n")
    with pytest.raises(ValueError, match="has no markers"):
        replace_between_markers(path, "<!-- a -->", "<!-- b -->", "new")
    assert path.read_text() == "no markers here\n"
