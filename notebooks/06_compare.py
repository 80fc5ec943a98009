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
# # 06 · Comparing the arms
# The paper's Table 1 (Mo./Cr./Mul. mAP) and Table 2 (rank distance), the TyDi QA table, per-language
# TyDi bars (unseen languages hatched), training-loss curves, and paired permutation tests with
# bootstrap 95% confidence intervals against the `multilingual` (standard multilingual fine-tuning)
# and `hybrid` arms. Everything is read from the result files of `04_evaluate`. The tests and intervals
# treat the translations of one question as one unit (a *cluster*): they flip signs and resample per
# cluster, never per row.

# %%
import hybridlib.params as hp

_before = set(globals())

# %% tags=["parameters"]
run_dir = "runs/default"
figures_dir = "figures"
arms = ["zero-shot", "monolingual", "crosslingual", "multilingual", "hybrid", "hybrid+align"]
permutations = 10000
smallest_effect_map = 0.01
smallest_effect_rank_distance = 1.0
seed = 0

# %%
P = hp.from_notebook(globals(), _before)

import pandas as pd
from IPython.display import display

from hybridlib.analysis.plots import loss_curves, tydi_bars
from hybridlib.analysis.tables import (
    significance_table,
    table1_map,
    table2_rank_distance,
    tydi_dataset,
    tydi_table,
    write_table,
)
from hybridlib.config import figures_dir as figures
from hybridlib.evaluation.results import collect_results, result_path, training_logs

results = collect_results(P)
print("arms with results:", list(results))

# %% [markdown]
# ## Table 1 · mAP by setting

# %%
t1 = table1_map(results)
write_table(t1, figures(P) / "table1_map")
t1

# %% [markdown]
# ## Table 2 · rank distance

# %%
t2 = table2_rank_distance(results)
write_table(t2, figures(P) / "table2_rank_distance", floatfmt=".1f")
t2

# %% [markdown]
# ## TyDi QA GoldP (`*` = unseen in fine-tuning)

# %%
tydi = {}
for pool in ("mono", "mul"):
    for metric in ("mAP", "R@10", "nDCG@10"):
        tydi[(pool, metric)] = tydi_table(results, metric=metric, pool=pool)
tydi_all = pd.concat(tydi, axis=1, names=["pool", "metric", "language"])
write_table(tydi_all, figures(P) / "table_tydi_all")
tydi_main = pd.concat(
    {"mono pools": tydi[("mono", "mAP")], "multilingual pool": tydi[("mul", "mAP")]}, axis=1
)
write_table(tydi_main, figures(P) / "table_tydi")
tydi_main

# %%
tydi_name = tydi_dataset(results)
if tydi_name:
    per_lang = {
        arm: {lang: m["mAP"] for lang, m in by_ds[tydi_name]["pools"]["mono"]["per_language"].items()}
        for arm, by_ds in results.items()
        if tydi_name in by_ds
    }
    first = next(iter(results.values()))[tydi_name]
    display(
        tydi_bars(
            per_lang,
            set(first["unseen_languages"]),
            "mAP",
            title="TyDi QA GoldP (monolingual pools)",
            path=figures(P) / "tydi_map.png",
        )
    )

# %% [markdown]
# ## Training-loss curves
# QA loss solid, λ-weighted alignment loss dashed (older logs without the split: the total loss).

# %%
logs = training_logs(results)
if logs:
    display(loss_curves(logs, smooth=3, title="training loss", path=figures(P) / "loss_curves.png"))

# %% [markdown]
# ## Significance: paired permutation tests and bootstrap CIs, over question clusters
# `diff` = arm − baseline on the same rows; `diff_ci_low`/`diff_ci_high` the 95 % bootstrap interval of
# that difference (clusters resampled); `p_value` the two-sided sign-flip test with one sign per cluster,
# `p_holm` Holm-adjusted over arms. `n` counts rows (question × language), `n_clusters` the independent
# units (XQuAD-R / MLQA-R: source questions; TyDi QA: questions).

# %%
paths = {arm: {ds: result_path(P, arm, ds) for ds in by_ds} for arm, by_ds in results.items()}
sig = significance_table(paths, permutations=P.permutations, seed=P.seed, resamples=P.permutations)
write_table(sig, figures(P) / "table_significance_all")
# The comparisons the research question is about: each trained arm vs standard multilingual
# fine-tuning, and hybrid+align vs hybrid (λ alone).
key = sig[
    (sig["arm"] != sig["baseline"]) & ((sig["baseline"] == "multilingual") | (sig["arm"] == "hybrid+align"))
]
key = key[key["arm"] != "zero-shot"].reset_index(drop=True)
write_table(key, figures(P) / "table_significance")
key

# %% [markdown]
# ## Answers, read from the tables above

# %%
from hybridlib.analysis.answers import research_answers
from hybridlib.io import write_text

answers = research_answers(
    results,
    sig,
    smallest_effect_map=P.smallest_effect_map,
    smallest_effect_rank_distance=P.smallest_effect_rank_distance,
)
write_text(figures(P) / "answers.md", answers)
print(answers)

# %% [markdown]
# ## What this shows

# %%
from hybridlib.analysis.comparisons import COMPARISONS, RESEARCH_QUESTION

lines = []
for (ds, setting), column in t1.items():
    by_arm = pd.to_numeric(column, errors="coerce").dropna().sort_values(ascending=False)
    if by_arm.empty:
        continue
    lead = f", {by_arm.iloc[0] - by_arm.iloc[1]:+.3f} ahead of {by_arm.index[1]}" if len(by_arm) > 1 else ""
    lines.append(f"- Table 1, {ds} {setting}: best {by_arm.index[0]} ({by_arm.iloc[0]:.3f} mAP){lead}.")
# the research question's one-run answer: the verdict (bold) of its first comparison, as answers.md says it
question = next(c for c in COMPARISONS if c.family == RESEARCH_QUESTION)
said = [line for line in answers.splitlines() if f", {question.label}: " in line]
lines += [
    f"- Research question, one run (seed {P.seed}): {line.split('**')[1]}" for line in said if "**" in line
] or [f"- Research question: '{question.label}' is not in this run's tables (an arm or TyDi QA is missing)."]
print("\n".join(lines) if lines else "No arm has result files yet, so there is nothing to compare.")
