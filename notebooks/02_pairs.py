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
# # 02 · Training pairs
# From a parallel retrieval set (default MLQA-R): **monolingual** pairs (question in L, its gold
# sentence in L) and **cross-lingual** pairs (question in L1, the gold of the same question in L2 ≠ L1),
# each with its source question id and languages, optionally with a hard negative (another sentence
# of the gold's paragraph). The samplers of `03_train` pick from these tables.

# %%
import hybridlib.params as hp

_before = set(globals())

# %% tags=["parameters"]
data_dir = None
train_sets = ["mlqa-r"]
train_languages = None
validation_fraction = 0.1
hard_negatives = False
eval_sets = ["xquad-r", "tydiqa-goldp"]  # declared so the leakage check sees the real ones
seed = 0
figures_dir = "figures"

# %%
P = hp.from_notebook(globals(), _before)

from hybridlib.analysis.plots import pair_count_heatmap
from hybridlib.config import figures_dir as figures
from hybridlib.pairs import pair_counts
from hybridlib.train.inputs import training_pairs

# %%
# The trainer's own pair tables: every training set, mono and cross pairs (the sampler picks rows).
pairs = training_pairs(P)
for name, table in pairs.items():
    print(f"{name}: {len(table)} pairs", table["kind"].value_counts().to_dict())

# %% [markdown]
# ## Pairs per (query language × passage language)
# The diagonal feeds X-X-mono and multilingual batches, the rest X-Y batches.

# %%
first = P.train_sets[0]
counts = pair_counts(pairs[first])
fig = pair_count_heatmap(counts, title=f"{first}: training pairs", path=figures(P) / "pair_counts.png")
counts

# %% [markdown]
# ## Examples

# %%
table = pairs[first]
columns = [c for c in ["q_lang", "p_lang", "query", "positive", "negative"] if c in table.columns]
table.groupby("kind", group_keys=False).apply(lambda g: g.sample(3, random_state=P.seed))[columns]

# %% [markdown]
# ## What this shows

# %%
for name, t in pairs.items():
    kinds = t["kind"].value_counts()
    print(
        f"{name}: {len(t)} training pairs, "
        + ", ".join(f"{k} {n} ({n / len(t):.0%})" for k, n in kinds.items())
        + f", over {t['q_lang'].nunique()} query languages."
    )
