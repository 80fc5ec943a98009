"""Searching a run folder (hybridlib.search): known answers on a tiny pool, speed, and clear errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from hybridlib.experiment.search import Explorer, SearchError, language_mix
from hybridlib.experiment.search_cli import main

REPO = Path(__file__).resolve().parents[2]  # the repository root
pytestmark = pytest.mark.slow


def _first_ranked_question(run_dir, dataset="xquad-r") -> str:
    """A question whose gold the evaluation ranked first in the multilingual pool."""
    from hybridlib.evaluation.results import load_per_query

    pq = load_per_query(run_dir / "results" / "zero-shot" / f"{dataset}.json")
    ranks = np.where(pq["mul_ranks"] > 0, pq["mul_ranks"], np.iinfo(np.int64).max).min(axis=1)
    return str(pq["qid"][int(np.flatnonzero(ranks == 1)[0])])


def test_known_answer_gold_comes_first(tiny_run_dir):
    ex = Explorer(tiny_run_dir)
    assert list(ex.arms) == ["zero-shot", "hybrid"] and ex.datasets == ["tydiqa-goldp", "xquad-r"]
    qid = _first_ranked_question(tiny_run_dir)
    hits = ex.search("zero-shot", "xquad-r", qid=qid, k=5)
    assert list(hits.columns) == ["rank", "score", "lang", "gold", "text", "cid"]
    assert hits["gold"].iloc[0] and list(hits["rank"]) == [1, 2, 3, 4, 5]
    assert hits["score"].is_monotonic_decreasing
    # Typed, the same question is encoded by the arm's model: same top candidate as the cached vector.
    text = ex.question("xquad-r", qid)["text"]
    typed = ex.search("zero-shot", "xquad-r", text, k=5)
    assert typed["cid"].iloc[0] == hits["cid"].iloc[0] and not typed["gold"].any()
    # Restricted to one language's pool (a LAReQA Mo./Cr. cell), every hit is in that language.
    assert set(ex.search("zero-shot", "xquad-r", qid=qid, k=3, pool_lang="en")["lang"]) == {"en"}


def test_typed_queries_after_the_build_search_one_arm_in_any_language(tiny_run_dir):
    """No timing is asserted (speed belongs in benchmarks): a built explorer answers typed questions in
    three languages with k hits each, from the arm's pool."""
    ex = Explorer(tiny_run_dir)
    built = ex.build()
    assert set(built["arm"]) == {"zero-shot", "hybrid"} and (built["candidates"] > 0).all()
    for question in ("Which team won Super Bowl 50?", "¿Quién ganó el Super Bowl 50?", "谁赢得了超级碗50?"):
        hits = ex.search("hybrid", "xquad-r", question, k=10)
        assert len(hits) == 10
    hits = ex.compare("xquad-r", "Which team won Super Bowl 50?", k=10)
    mix = language_mix(hits)
    assert list(mix.index) == ["zero-shot", "hybrid"] and (mix.drop(columns="gold@k").sum(axis=1) == 10).all()


def test_drilldown_lists_the_questions_where_two_arms_differ(tiny_run_dir):
    ex = Explorer(tiny_run_dir)
    table = ex.differing_questions("zero-shot", "hybrid", "xquad-r", x_q="de", x_c="en", n=2)
    assert list(table.columns) == ["qid", "lang", "text", "AP zero-shot", "AP hybrid", "diff"]
    assert len(table) == 2 and (table["lang"] == "de").all() and (table["diff"] == 0).all()  # same model
    tydi = ex.differing_questions("zero-shot", "hybrid", "tydiqa-goldp", n=3)
    assert len(tydi) == 3


def test_cli_prints_the_top_k_with_languages(tiny_run_dir, capsys):
    qid = _first_ranked_question(tiny_run_dir)
    assert main(["--run-dir", str(tiny_run_dir), "--arm", "hybrid", "--qid", qid, "-k", "3"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.strip()]
    first_hit = lines[lines.index("== hybrid") + 1]
    assert first_hit.split()[:2] == ["1", "*"], out  # the gold, marked, comes first
    assert "languages:" in out
    assert main(["--run-dir", str(tiny_run_dir), "--arm", "zero-shot", "Who won Super Bowl 50?"]) == 0
    out = capsys.readouterr().out
    assert "multilingual pool, top 10" in out and len(re.findall(r"\] ?\s*\S", out)) >= 10
    assert re.search(r"^ +1   \d\.\d{4}  \[[a-z]{2}\]  ", out, flags=re.M), out


def test_unknown_arm_lists_the_arms_present(tiny_run_dir, capsys):
    assert main(["--run-dir", str(tiny_run_dir), "--arm", "hybrid+align", "question"]) == 2
    err = capsys.readouterr().err
    assert "'hybrid+align'" in err and "arms present: zero-shot, hybrid" in err
    with pytest.raises(SearchError, match="arms present: zero-shot, hybrid"):
        Explorer(tiny_run_dir, ["hybird"])


def test_run_folder_without_results_says_to_run_make_run(tmp_path, capsys):
    (tmp_path / "results").mkdir()
    assert main(["--run-dir", str(tmp_path), "question"]) == 2
    assert "run `make run`" in capsys.readouterr().err
    with pytest.raises(SearchError, match="does not exist: run `make run`"):
        Explorer(tmp_path / "missing")


def test_unknown_question_id_shows_what_ids_look_like(tiny_run_dir):
    ex = Explorer(tiny_run_dir, ["zero-shot"])
    with pytest.raises(SearchError, match="ids look like"):
        ex.search("zero-shot", "xquad-r", qid="xx/nope")
    with pytest.raises(SearchError, match="empty question"):
        ex.search("zero-shot", "xquad-r", "  ")


def test_explore_notebook_runs_headless_under_papermill(tiny_run_dir, tmp_path):
    """CI scale, like every other notebook: static output driven by the parameters, no widgets."""
    import subprocess
    import sys

    import nbformat

    out = tmp_path / "08_explore.ipynb"
    proc = subprocess.run(
        [sys.executable, "-m", "papermill", "notebooks/08_explore.ipynb", str(out), "--kernel", "hybridlib",
         "-p", "run_dir", str(tiny_run_dir), "-p", "arms", "[zero-shot, hybrid]", "-p", "k", "3",
         "-p", "query", "Who won Super Bowl 50?", "-p", "interactive", "False"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    outputs = [o for c in nbformat.read(out, as_version=4).cells for o in c.get("outputs", [])]
    kinds = {k for o in outputs for k in o.get("data", {})}
    assert {"text/html", "image/png"} <= kinds
    panels = [o for o in outputs if str(o.get("data", {}).get("text/plain", "")).startswith("VBox(")]
    assert not panels, "interactive=False must not display the widget panels"
    html = " ".join(str(o["data"].get("text/html", "")) for o in outputs if "data" in o)
    assert "Who won Super Bowl 50?" in json.dumps([o.get("data") for o in outputs])
    assert "✓" in html  # the picked dataset question has its gold marked


def test_explore_parameters_are_validated():
    from hybridlib.experiment.explore import ExploreParams, parameters_from_notebook
    from hybridlib.params import ParameterError

    got = parameters_from_notebook(
        {"a": 1, "arms": "zero-shot,hybrid", "k": "3", "interactive": "False"}, {"a"}
    )
    assert got == ExploreParams(arms=["zero-shot", "hybrid"], k=3, interactive=False)
    with pytest.raises(ParameterError, match="did you mean 'k'"):
        parameters_from_notebook({"kk": 3}, set())
    with pytest.raises(ParameterError, match="at least 1"):
        parameters_from_notebook({"k": 0}, set())


def test_the_shell_command_exits_nonzero_on_bad_input(tmp_path):
    import subprocess
    import sys

    command = ["-m", "hybridlib.search", "--run-dir", str(tmp_path / "missing"), "--arm", "hybrid", "q"]
    proc = subprocess.run([sys.executable, *command], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "run `make run`" in proc.stderr
