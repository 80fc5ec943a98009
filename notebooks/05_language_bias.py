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
# # 05 · Language bias
# Heatmaps of the X_Q × X_C mAP matrix per arm (one shared colour scale) and rank distance per query
# language: in the multilingual pool, the distance between the best and the worst rank of a
# question's golds in different languages. A language-neutral retriever ranks all translations of
# the answer together (small distance); a biased one prefers some languages (large distance).

# %%
import hybridlib.params as hp

_before = set(globals())

# %% tags=["parameters"]
run_dir = "runs/default"
figures_dir = "figures"
arms = ["zero-shot", "monolingual", "crosslingual", "multilingual", "hybrid", "hybrid+align"]

# %%
P = hp.from_notebook(globals(), _before)

from IPython.display import display

from hybridlib.analysis.plots import heatmap_grid, map_heatmap, rank_distance_bars
from hybridlib.analysis.tables import table2_rank_distance, write_table
from hybridlib.config import figures_dir as figures
from hybridlib.evaluation.lareqa import matrix_frame
from hybridlib.evaluation.results import collect_results

results = collect_results(P)
print("arms with results:", list(results))
datasets = sorted({ds for by_ds in results.values() for ds, r in by_ds.items() if r["task"] == "lareqa"})

# %% [markdown]
# ## mAP heatmaps

# %%
for ds in datasets:
    matrices = {arm: matrix_frame(by_ds[ds]) for arm, by_ds in results.items() if ds in by_ds}
    for arm, m in matrices.items():
        map_heatmap(m, f"{ds} · {arm}", path=figures(P) / f"heatmap_{ds}_{arm}.png")
    display(
        heatmap_grid(matrices, title=f"{ds}: mAP, X_Q × X_C", ncols=3, path=figures(P) / f"heatmaps_{ds}.png")
    )

# %% [markdown]
# ## Rank distance per query language (lower = less biased)

# %%
for ds in datasets:
    per_lang = {
        arm: by_ds[ds]["rank_distance"]["per_language"] for arm, by_ds in results.items() if ds in by_ds
    }
    display(
        rank_distance_bars(
            per_lang, title=f"{ds}: rank distance", path=figures(P) / f"rank_distance_{ds}.png"
        )
    )

# %%
rd = table2_rank_distance(results)
write_table(rd, figures(P) / "table2_rank_distance", floatfmt=".1f")
rd

# %% [markdown]
# ## What this shows

# %%
import pandas as pd

lines = []
macro = rd.xs("macro", axis=1, level="language") if not rd.empty else pd.DataFrame()
for ds in macro.columns:
    by_arm = pd.to_numeric(macro[ds], errors="coerce").dropna()
    if by_arm.empty:
        continue
    best, worst = by_arm.idxmin(), by_arm.idxmax()
    versus = (
        f", {by_arm['zero-shot'] - by_arm[best]:+.1f} ranks below zero-shot ({by_arm['zero-shot']:.1f})"
        if "zero-shot" in by_arm and best != "zero-shot"
        else ""
    )
    lines.append(
        f"{ds}: {best} has the lowest macro rank distance, {by_arm[best]:.1f}{versus}; the highest is "
        f"{worst} ({by_arm[worst]:.1f}), over {len(by_arm)} arm(s) with a rank distance."
    )
print("\n".join(lines) or "No arm has a rank distance yet (no LAReQA result files), so nothing to compare.")
