"""The README's results, regenerated in part: the conclusive experiment's files are committed and the
default run's are not, so a clone can rebuild the conclusive experiment's part alone (the whole section
is tested on the tiny run in ``test_notebooks.py``)."""

from __future__ import annotations

from hybridlib.experiment import report

README = f"""# A project

## Results

{report.START}
{report.FULL_START}
old conclusive part
{report.FULL_END}

### Default run (`make run`: the quick demo)

the default run's part
{report.END}

## After
"""


def test_only_the_conclusive_part_is_rewritten(tmp_path, monkeypatch):
    readme = tmp_path / "README.md"
    readme.write_text(README)
    new = "### Conclusive experiment\n\nnew tables"
    monkeypatch.setattr(report, "full_markdown", lambda: new)
    assert report.update_readme_full(readme) == readme
    assert readme.read_text() == README.replace("old conclusive part", new)


def test_nothing_is_written_before_the_experiment_has_answers(tmp_path, monkeypatch):
    readme = tmp_path / "README.md"
    readme.write_text(README)
    monkeypatch.setattr(report, "full_markdown", lambda: None)
    assert report.update_readme_full(readme) is None
    assert readme.read_text() == README


def test_the_whole_section_keeps_the_conclusive_part_between_its_markers(tmp_path, monkeypatch):
    """update_readme writes the markers update_readme_full needs."""
    from hybridlib.params import Params

    readme = tmp_path / "README.md"
    readme.write_text(README)
    monkeypatch.setattr(report, "full_markdown", lambda: "FULL")
    monkeypatch.setattr(report, "results_markdown", lambda params, **where: "DEFAULT")
    monkeypatch.setattr(report, "side_by_side_markdown", lambda: None)
    report.update_readme(Params(), readme)
    text = readme.read_text()
    assert f"{report.START}\n{report.FULL_START}\nFULL\n{report.FULL_END}\n\n### Default run" in text
    assert "DEFAULT\n" + report.END in text
    monkeypatch.setattr(report, "full_markdown", lambda: "FULL 2")
    report.update_readme_full(readme)
    assert readme.read_text() == text.replace("\nFULL\n", "\nFULL 2\n")
