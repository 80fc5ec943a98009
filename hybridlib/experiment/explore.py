"""Display for ``notebooks/08_explore``: arms side by side for one question, their language mix, and
the questions where two arms differ most in one cell of the X_Q × X_C heatmap.

The search itself is :class:`hybridlib.experiment.search.Explorer`; this module turns its tables into notebook
output. Every view exists twice: a static one driven by the notebook's parameters (what papermill and
CI render) and the same view behind widgets (:func:`search_panel`, :func:`drilldown_panel`) for
JupyterLab, which call the very same ``show_*`` functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import yaml

from hybridlib.experiment.notebook_parameters import declared_values
from hybridlib.experiment.search import Explorer, SearchError, language_mix, side_by_side
from hybridlib.params import ParameterError

MULTILINGUAL = "multilingual"  # the X_C choice meaning "the pool of all languages"


@dataclass(frozen=True)
class ExploreParams:
    """The parameters of ``08_explore`` (not experiment parameters: validated here, not in Params)."""

    run_dir: str = "runs/default"
    arms: list[str] | None = None
    dataset: str = "xquad-r"
    query: str = ""
    qid: str | None = None
    k: int = 10
    drill_arms: list[str] | None = None
    drill_x_q: str | None = None
    drill_x_c: str | None = None
    n_questions: int = 3
    interactive: bool = True


def _as_list(name: str, value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):  # papermill -p arms "[a, b]" or "a,b"
        text = value.strip()
        value = (
            yaml.safe_load(text)
            if text.startswith("[")
            else [v.strip() for v in text.split(",") if v.strip()]
        )
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ParameterError(f"parameter {name!r} = {value!r} must be a list of names (or 'a,b')")
    return list(value)


def parameters_from_notebook(namespace: Mapping[str, Any], before: Iterable[str]) -> ExploreParams:
    """Validate the names the parameters cell (and papermill) added to ``namespace`` since ``before``."""
    v = declared_values(namespace, before, ExploreParams.__dataclass_fields__)
    for name in ("arms", "drill_arms"):
        if name in v:
            v[name] = _as_list(name, v[name])
    for name in ("k", "n_questions"):
        if name in v:
            try:
                v[name] = int(v[name])
            except (TypeError, ValueError):
                raise ParameterError(f"parameter {name!r} = {v[name]!r} must be an integer") from None
            if v[name] < 1:
                raise ParameterError(f"parameter {name!r} = {v[name]} must be at least 1")
    if "interactive" in v and isinstance(v["interactive"], str):
        v["interactive"] = v["interactive"].lower() == "true"
    for name in ("run_dir", "dataset", "query"):
        if name in v and not isinstance(v[name], str):
            raise ParameterError(f"parameter {name!r} = {v[name]!r} must be a string")
    for name in ("arms", "drill_arms"):
        if v.get(name) is not None and len(v[name]) < (2 if name == "drill_arms" else 1):
            raise ParameterError(
                f"parameter {name!r} = {v[name]} needs {'two arms' if name == 'drill_arms' else 'an arm'}"
            )
    return ExploreParams(**v)


# --------------------------------------------------------------------------- views


def _display(obj: Any) -> None:
    from IPython.display import display

    display(obj)


def _markdown(text: str) -> None:
    from IPython.display import Markdown

    _display(Markdown(text))


def hits_table(hits: dict[str, pd.DataFrame], width: int = 70) -> Any:
    """Side-by-side hit lists, gold candidates (✓) highlighted."""
    table = side_by_side(hits, width=width)

    def gold(col: pd.Series) -> list[str]:
        return ["background-color: #d9f2d9" if str(t).startswith("✓") else "" for t in col]

    text_cols = [c for c in table.columns if c[1] == "text"]
    return (
        table.style.apply(gold, subset=text_cols)
        .format({c: "{:.3f}" for c in table.columns if c[1] == "score"})
        .set_properties(subset=text_cols, **{"text-align": "left", "white-space": "normal"})
    )


def language_mix_figure(mix: pd.DataFrame, title: str = "languages of the top-k"):
    """Stacked bars: for each arm, how many of its top-k candidates are in each language."""
    import matplotlib.pyplot as plt

    langs = [c for c in mix.columns if c != "gold@k"]
    fig, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * len(mix)))
    mix[langs].plot.barh(stacked=True, ax=ax, colormap="tab20", width=0.7)
    ax.invert_yaxis()
    ax.set_xlabel("candidates in the top-k")
    ax.set_ylabel("")
    ax.set_title(title)
    ax.legend(ncol=min(len(langs), 11), fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.25))
    fig.tight_layout()
    plt.close(fig)
    return fig


def show_search(
    ex: Explorer,
    dataset: str,
    query: str | None = None,
    *,
    qid: str | None = None,
    arms: Sequence[str] | None = None,
    k: int = 10,
    pool_lang: str | None = None,
) -> dict[str, pd.DataFrame]:
    """Display the arms' top-k side by side, then their language mix. Returns ``{arm: hits}``."""
    hits = ex.compare(dataset, query, qid=qid, arms=arms, k=k, pool_lang=pool_lang)
    if qid is not None:
        q = ex.question(dataset, qid)
        _markdown(f"**{dataset}** question `{qid}` [{q['lang']}]: {q['text']} — ✓ = gold")
    else:
        _markdown(f"**{dataset}**, typed question: {query}")
    pool = f"the {pool_lang} pool" if pool_lang else "the multilingual pool"
    _markdown(f"Top {k} of {pool} ({ex.retrieval_set(dataset).candidates.shape[0]} candidates in all):")
    _display(hits_table(hits))
    if pool_lang is None:
        mix = language_mix(hits)
        _display(mix)
        _display(language_mix_figure(mix, f"{dataset}: languages of each arm's top {k}"))
    return hits


def difference_matrix(ex: Explorer, arm_a: str, arm_b: str, dataset: str) -> pd.DataFrame:
    """X_Q × X_C mAP of ``arm_b`` minus ``arm_a`` (LAReQA results), plus a ``multilingual`` column."""
    from hybridlib.evaluation.lareqa import matrix_frame

    ra, rb = ex.arms[arm_a].results[dataset], ex.arms[arm_b].results[dataset]
    diff = matrix_frame(rb) - matrix_frame(ra)
    diff[MULTILINGUAL] = pd.Series(rb["mul"]) - pd.Series(ra["mul"])
    return diff


def show_drilldown(
    ex: Explorer,
    dataset: str,
    arm_a: str,
    arm_b: str,
    x_q: str | None,
    x_c: str | None,
    *,
    n: int = 3,
    k: int = 5,
) -> pd.DataFrame:
    """The ``n`` questions of cell (``x_q``, ``x_c``) where ``arm_a`` and ``arm_b`` differ most (AP),
    each with both arms' retrieved lists from that cell's pool. ``x_c`` None or ``"multilingual"``:
    the multilingual pool (TyDi: ``"mono"`` = each question's own-language pool)."""
    x_c = None if x_c in (None, MULTILINGUAL) else x_c
    table = ex.differing_questions(arm_a, arm_b, dataset, x_q, x_c, n=n)
    cell = f"X_Q = {x_q or 'all'}, X_C = {x_c or MULTILINGUAL}"
    _markdown(f"### {dataset}: {cell} — where {arm_b} and {arm_a} differ most (AP, diff = b − a)")
    if table.empty:
        _markdown("_no question is evaluated in this cell_")
        return table
    _display(table.style.format({c: "{:+.3f}" if c == "diff" else "{:.3f}" for c in table.columns[3:]}))
    pool_lang = x_c if x_c not in (None, "mono") else None
    for row in table.itertuples(index=False):
        lang = row.lang if x_c == "mono" else pool_lang
        hits = ex.compare(dataset, qid=row.qid, arms=[arm_a, arm_b], k=k, pool_lang=lang)
        _markdown(f"**`{row.qid}`** [{row.lang}] {row.text} — diff {row.diff:+.3f}")
        _display(hits_table(hits))
    return table


# --------------------------------------------------------------------------- widgets


def search_panel(ex: Explorer, *, query: str = "", arms: Sequence[str] | None = None, k: int = 10):
    """Widgets: type a question (or pick an id), choose arms, k and the pool; results below."""
    import ipywidgets as w

    datasets = list(ex.datasets)
    q_text = w.Text(
        value=query,
        description="question",
        layout=w.Layout(width="70%"),
        placeholder="a question in any language",
        continuous_update=False,
    )
    q_id = w.Combobox(
        description="or id", placeholder="e.g. de/…", ensure_option=False, layout=w.Layout(width="40%")
    )
    ds = w.Dropdown(options=datasets, value=datasets[0], description="pool")
    lang = w.Dropdown(description="language", layout=w.Layout(width="25%"))
    arm_sel = w.SelectMultiple(
        options=list(ex.arms),
        value=tuple(arms or list(ex.arms)[:2]),
        description="arms",
        rows=min(6, len(ex.arms)),
    )
    k_sel = w.IntSlider(value=k, min=1, max=50, description="k")
    go = w.Button(description="search", button_style="primary")
    out = w.Output()

    def refresh_options(*_: Any) -> None:
        rset = ex.retrieval_set(ds.value)
        q_id.options = list(rset.questions["qid"])
        lang.options = [("all (multilingual)", None)] + [(x, x) for x in rset.languages]
        lang.value = None

    def run(*_: Any) -> None:
        out.clear_output()
        with out:
            try:
                qid = q_id.value.strip() or None
                show_search(
                    ex,
                    ds.value,
                    None if qid else q_text.value,
                    qid=qid,
                    arms=list(arm_sel.value),
                    k=k_sel.value,
                    pool_lang=lang.value,
                )
            except SearchError as err:
                print(f"error: {err}")

    ds.observe(refresh_options, names="value")
    refresh_options()
    go.on_click(run)
    q_text.observe(run, names="value")  # Enter (continuous_update=False) searches too
    return w.VBox([w.HBox([q_text, go]), w.HBox([q_id, ds, lang]), w.HBox([arm_sel, k_sel]), out])


def drilldown_panel(ex: Explorer, *, arms: Sequence[str] | None = None, n: int = 3, k: int = 5):
    """Widgets: two arms, a dataset and a cell (X_Q, X_C); the questions where the arms differ most."""
    import ipywidgets as w

    names = list(ex.arms)
    arms = list(arms or names[:2])
    a = w.Dropdown(options=names, value=arms[0], description="arm a")
    b = w.Dropdown(options=names, value=arms[1] if len(arms) > 1 else names[-1], description="arm b")
    ds = w.Dropdown(options=list(ex.datasets), description="dataset")
    x_q = w.Dropdown(description="X_Q")
    x_c = w.Dropdown(description="X_C")
    n_sel = w.IntSlider(value=n, min=1, max=20, description="questions")
    go = w.Button(description="drill down", button_style="primary")
    out = w.Output()

    def refresh(*_: Any) -> None:
        rset = ex.retrieval_set(ds.value)
        langs = sorted(rset.questions["lang"].unique())
        x_q.options = [("all", None)] + [(x, x) for x in langs]
        if ds.value.startswith("tydiqa"):
            x_c.options = [(MULTILINGUAL, MULTILINGUAL), ("own language", "mono")]
        else:
            x_c.options = [(MULTILINGUAL, MULTILINGUAL)] + [(x, x) for x in rset.languages]

    def run(*_: Any) -> None:
        out.clear_output()
        with out:
            try:
                if not ds.value.startswith("tydiqa"):
                    _display(
                        difference_matrix(ex, a.value, b.value, ds.value)
                        .style.format("{:+.3f}", na_rep="")
                        .background_gradient(cmap="RdBu", vmin=-1, vmax=1)
                    )
                show_drilldown(ex, ds.value, a.value, b.value, x_q.value, x_c.value, n=n_sel.value, k=k)
            except SearchError as err:
                print(f"error: {err}")

    ds.observe(refresh, names="value")
    refresh()
    go.on_click(run)
    return w.VBox([w.HBox([a, b, ds]), w.HBox([x_q, x_c, n_sel, go]), out])
