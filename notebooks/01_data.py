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
# # 01 · Data
# The retrieval sets of the experiment, read from `../shared/data` (or `$HYBRIDLIB_DATA`, or the
# download folder filled by `python -m hybridlib.download`), in one schema: questions (with a shared
# cross-language id and gold candidates in every language) and candidates (sentences or passages).
#
# * **MLQA-R** (training, default): MLQA dev, 7 languages, each question in 2–4 of them.
# * **XQuAD-R** (zero-shot evaluation): 11-way parallel, el/ru/th/tr absent from MLQA-R.
# * **TyDi QA GoldP** (zero-shot target): 9 typologically diverse languages, not parallel.
# * **XOR-TyDi translations** / **Tatoeba**: parallel sentences for the alignment objective.

# %%
import hybridlib.params as hp

_before = set(globals())

# %% tags=["parameters"]
data_dir = None
train_sets = ["mlqa-r"]
eval_sets = ["xquad-r", "tydiqa-goldp"]
eval_max_paragraphs = 40
tydi_max_questions = None
align_data = "xor-tydi"

# %%
P = hp.from_notebook(globals(), _before)

import pandas as pd

from hybridlib.config import data_dir as resolve_data_dir
from hybridlib.data import loaders as data

print("data folder:", resolve_data_dir(P.data_dir))

# %% [markdown]
# ## Sizes per language

# %%
sets = {
    name: data.load_retrieval_set(name, data_dir=P.data_dir)
    for name in dict.fromkeys(P.train_sets + P.eval_sets)
}
summary = pd.concat({name: data.summarize(rset) for name, rset in sets.items()}, names=["dataset"])
summary

# %% [markdown]
# ## What a question and its golds look like
# The gold of a question is the sentence holding its answer; through the shared id (`xid`) it has
# golds in every language where the question exists.

# %%
for name, rset in sets.items():
    q = rset.questions.iloc[0]
    cands = rset.candidates.set_index("cid")
    print(f"[{name}] {q['lang']}: {q['text']}")
    for cid in q["gold"][:4]:
        print(f"    gold {cid}: {cands.loc[cid, 'text'][:110]}")

# %% [markdown]
# ## Parallel text for the alignment objective

# %%
align_name = "xor-tydi" if P.align_data == "train-questions" else P.align_data
parallel = data.load_parallel_set(align_name, data_dir=P.data_dir)
data.summarize(parallel)

# %% [markdown]
# ## What this shows

# %%
totals = summary.xs("all", level="lang")  # one row per dataset
sizes = [
    f"{name}: {int(r.questions)} questions, {int(r.candidates)} passages" for name, r in totals.iterrows()
]
n_langs = parallel.pairs["src_lang"].nunique()
print("; ".join(sizes) + f". Alignment text {align_name}: {len(parallel.pairs)} pairs, {n_langs} languages.")
