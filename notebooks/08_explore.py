# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python (hybridlib)
#     language: python
#     name: hybridlib
# ---

# %% [markdown]
# # 08 · Explore what each arm retrieves
# The tables of `04`–`06` average over thousands of questions; this notebook looks at single
# questions. It loads every evaluated arm of a run folder (`run_dir`, after `make run`) and builds,
# once per arm, an exact FAISS index of the XQuAD-R multilingual pool (all 11 languages together, the
# LAReQA Mul. setting) and of the TyDi QA GoldP pool, from the vectors the evaluation cached (nothing
# is encoded again). Then:
#
# 1. **One question, all arms side by side**: a question typed in any language (`query`, encoded by
#    each arm's own model) or picked by id (`qid`; its golds are marked ✓), the top-`k` candidates of
#    each arm in `arms`, and the language mix of each arm's top-k (language bias on one question).
# 2. **Drill-down**: a cell (X_Q, X_C) of the mAP heatmap (`drill_x_q`, `drill_x_c`; X_C
#    `"multilingual"` = the Mul. pool) and two arms (`drill_arms`): the questions where their AP differs
#    most, each with both arms' retrieved lists from that cell's pool.
# 3. **Interactive**: the same two views behind widgets (JupyterLab). Under papermill (CI, `make run`
#    style runs) the static sections above are the output; `interactive=False` skips the widgets.
#
# The same search from a shell: `python -m hybridlib.search --run-dir runs/default --arm hybrid "…"`.
# Logic: `hybridlib/experiment/search.py` (index, search), `hybridlib/experiment/drilldown.py`
# (drill-down) and `hybridlib/experiment/explore.py` (display).

# %%
_before = set(globals())

# %% tags=["parameters"]
run_dir = "runs/default"
arms = None  # arms compared side by side (None: every arm with results)
dataset = "xquad-r"
query = "Welches Team hat den Super Bowl 50 gewonnen?"
qid = None  # a question id of `dataset` (None: the question where the first two arms differ most)
k = 10
drill_arms = None  # two arms to contrast (None: the first and the last arm)
drill_x_q = "de"
drill_x_c = "en"  # a candidate language, or "multilingual"
n_questions = 3
interactive = True

# %%
from hybridlib.experiment.explore import parameters_from_notebook

E = parameters_from_notebook(globals(), _before)

import time

from IPython.display import display

from hybridlib.experiment.explore import (
    difference_matrix,
    drilldown_panel,
    search_panel,
    show_drilldown,
    show_search,
)
from hybridlib.experiment.search import Explorer

ex = Explorer(E.run_dir)
print("arms with results:", ", ".join(ex.arms), "| datasets:", ", ".join(ex.datasets))
ex.build()

# %% [markdown]
# A query afterwards costs one encoding (typed question) and one index scan:

# %%
compare = E.arms or list(ex.arms)
start = time.perf_counter()
ex.compare(E.dataset, E.query, arms=compare, k=E.k)
print(f"{len(compare)} arms, first query (loads each encoder once): {time.perf_counter() - start:.2f} s")
start = time.perf_counter()
ex.compare(E.dataset, E.query + "?", arms=compare, k=E.k)
print(f"{len(compare)} arms, next query: {time.perf_counter() - start:.3f} s")

# %% [markdown]
# ## 1 · A typed question, every pool

# %%
for ds in ex.datasets:
    show_search(ex, ds, E.query, arms=compare, k=E.k)

# %% [markdown]
# ## A question of the dataset, golds marked

# %%
names = list(ex.arms)
pair = E.drill_arms or [names[0], names[-1]]
picked = E.qid or ex.differing_questions(*pair[:2], E.dataset, n=1)["qid"].iloc[0]
hits = show_search(ex, E.dataset, qid=picked, arms=compare, k=E.k)

# %% [markdown]
# ## 2 · Drill-down: where two arms differ
# mAP difference (second arm − first) per cell, then the questions of the chosen cell.

# %%
if not E.dataset.startswith("tydiqa"):
    display(
        difference_matrix(ex, pair[0], pair[1], E.dataset)
        .style.format("{:+.3f}", na_rep="")
        .background_gradient(cmap="RdBu", vmin=-1, vmax=1)
    )
differ = show_drilldown(ex, E.dataset, *pair[:2], E.drill_x_q, E.drill_x_c, n=E.n_questions, k=5)

# %% [markdown]
# ## 3 · Interactive (JupyterLab)
# Type a question and press Enter or *search*; pick an id, the arms, `k` and a pool language. Below,
# choose two arms and a cell to drill down.

# %%
if E.interactive:
    display(search_panel(ex, query=E.query, arms=compare, k=E.k))

# %%
if E.interactive:
    display(drilldown_panel(ex, arms=pair, n=E.n_questions))

# %% [markdown]
# ## What this shows

# %%
asked = ex.question(E.dataset, picked)
lang, golds = asked["lang"], len(asked["gold"])
lines = [
    f"- {arm}: {int(h['gold'].sum())} of the {golds} gold(s) and {int((h['lang'] == lang).sum())} candidates "
    f"in the question's language ({lang}) among its top {len(h)}."
    for arm, h in hits.items()
]
if not differ.empty:
    top = differ.iloc[0]
    lines.append(
        f"- Drill-down (X_Q = {E.drill_x_q}, X_C = {E.drill_x_c}): the largest AP difference, {pair[1]} − "
        f"{pair[0]}, is {top['diff']:+.3f}, on question `{top['qid']}`."
    )
print(f"Question `{picked}` of {E.dataset}, multilingual pool:\n" + "\n".join(lines))
