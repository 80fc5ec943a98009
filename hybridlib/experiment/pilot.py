"""The validation pilot that justifies a training budget: validation loss and validation Mo./Mul. mAP
against training steps, per arm (``make pilot``; figure ``pilot_validation.png``).

The paper stops training on validation loss. On a CPU the budget is fixed in advance instead, so this
pilot trains each arm once, well past the default budget, and probes the model being trained every
``every`` steps (and before the first) on the held-out questions of the training set
(:mod:`hybridlib.data.split`; never an evaluation set):

* **validation loss** — the InfoNCE loss (temperature ``params.temperature``, in-batch negatives) of
  the same fixed validation batches for every arm and probe: ``batches`` batches of ``batch_size``
  pairs drawn by the hybrid sampler (X-X-mono and X-Y, α = 0.5) from the validation questions' pairs;
* **validation Mo. / Mul. mAP** — LAReQA retrieval of the validation questions in the pool of the
  paragraphs holding their golds (:func:`hybridlib.data.split.validation_part`).

Probing encodes as evaluation does (``eval_max_seq_length`` tokens, the evaluation's precision) and does
not change training: it runs in inference mode and consumes no random numbers, so the trained model is
the one the same parameters train without it (tested).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from hybridlib.config import REPO_ROOT, figures_dir, run_root
from hybridlib.io import write_text
from hybridlib.params import ARMS, Params, arm_settings, load_yaml, parse_overrides

#: What the pilot trains unless told otherwise: the research question's two main arms at batch 32
#: (the largest batch the CPU trains at a few seconds a step), far past the default's 40 steps.
PILOT_ARMS = ("hybrid", "multilingual")
PILOT_BATCH_SIZE = 32
PILOT_MAX_STEPS = 200
PILOT_EVERY = 25
#: Fixed validation batches for the loss (the same for every arm and probe).
VALIDATION_BATCHES = 16
PILOT_FILE = "pilot_validation.csv"


def validation_sets(params: Params) -> dict[str, Any]:
    """The validation retrieval set of every training set (its held-out questions and their paragraphs)."""
    from hybridlib.data.split import validation_part
    from hybridlib.train.inputs import training_set

    return {
        name: validation_part(training_set(params, name), params.validation_fraction)
        for name in params.train_sets
    }


def validation_batches(
    params: Params, vsets: dict[str, Any], *, batches: int = VALIDATION_BATCHES
) -> list[tuple[list, list]]:
    """``batches`` fixed (queries, passages) batches of ``params.batch_size`` pairs of the validation
    sets ``vsets`` (:func:`validation_sets`), drawn as the hybrid sampler draws (X-X-mono and X-Y)."""
    from hybridlib.pairs import build_pairs
    from hybridlib.sampling.sampler import LanguageBatchSampler, PairMeta

    out: list[tuple[list, list]] = []
    for name, vset in vsets.items():
        pairs = build_pairs(vset, seed=params.seed)
        sampler = LanguageBatchSampler(
            {name: PairMeta.from_pairs(pairs, name=name)},
            sampler="hybrid",
            alpha=0.5,
            batch_size=params.batch_size,
            seed=params.seed,
        )
        for rows in sampler.stream_plan(0, batches).batches:
            picked = pairs.iloc[np.asarray(rows)]
            out.append((picked["query"].tolist(), picked["positive"].tolist()))
    return out[:batches]


def probe(encoder: Any, batches: list[tuple[list, list]], vsets: dict[str, Any], temperature: float) -> dict:
    """Validation loss and Mo./Mul. mAP of the model in ``encoder`` (an ``Encoder``)."""
    from hybridlib.evaluation.lareqa import evaluate_lareqa

    losses = []
    for queries, passages in batches:
        q = encoder.encode(queries, "query", show_progress=False)
        p = encoder.encode(passages, "passage", show_progress=False)
        logits = (q @ p.T) / temperature  # unit vectors: cosine similarity / temperature
        logits -= logits.max(axis=1, keepdims=True)
        log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        losses.append(-float(np.mean(np.diag(log_softmax))))
    out = {"val_loss": float(np.mean(losses))}
    for name, vset in vsets.items():
        q = encoder.encode(vset.questions["text"].tolist(), "query", show_progress=False)
        c = encoder.encode(vset.candidates["text"].tolist(), "passage", show_progress=False)
        maps = evaluate_lareqa(vset, q, c, model_name="pilot")["mAP"]
        out[f"{name} val mo mAP"], out[f"{name} val mul mAP"] = maps["mo"], maps["mul"]
    return out


def pilot_callback(params: Params, arm: str, every: int, rows: list[dict]) -> Any:
    """A trainer callback that probes the model before training and every ``every`` steps."""
    from transformers import TrainerCallback

    from hybridlib.model.encoder import Encoder, settings_for

    vsets = validation_sets(params)  # each training set read once for both probes
    batches = validation_batches(params, vsets)

    class ValidationProbe(TrainerCallback):
        def _probe(self, step: int, model: Any) -> None:
            settings = settings_for(params.model, max_seq_length=params.eval_max_seq_length)
            encoder = Encoder(model, name=params.model, settings=settings, precision=params.precision)
            training_length = model.max_seq_length
            model.max_seq_length = params.eval_max_seq_length  # probe as evaluation encodes
            try:
                values = probe(encoder, batches, vsets, params.temperature)
            finally:
                model.max_seq_length = training_length
            rows.append({"arm": arm, "step": step, **values})
            print(f"pilot {arm} step {step}: " + ", ".join(f"{k} {v:.4f}" for k, v in rows[-1].items()
                                                           if isinstance(v, float)))  # fmt: skip

        def on_train_begin(self, args, state, control, model=None, **kwargs):
            if state.global_step == 0:
                self._probe(0, model)

        def on_step_end(self, args, state, control, model=None, **kwargs):
            if state.global_step % every == 0:
                self._probe(state.global_step, model)

    return ValidationProbe()


def run_pilot(
    params: Params,
    *,
    arms: Sequence[str] = PILOT_ARMS,
    batch_size: int = PILOT_BATCH_SIZE,
    max_steps: int = PILOT_MAX_STEPS,
    every: int = PILOT_EVERY,
) -> pd.DataFrame:
    """Train every arm of ``arms`` for ``max_steps`` steps at ``batch_size``, probing every ``every``
    steps; writes ``<run_dir>/pilot/pilot_validation.csv`` and ``<figures_dir>/pilot_validation.png``."""
    from hybridlib.analysis.plots import pilot_curves
    from hybridlib.train.run import train

    rows: list[dict] = []
    for arm in arms:
        p = arm_settings(params, arm).replace(batch_size=batch_size, max_steps=max_steps)
        # reuse=False: a finished run of this identity would skip training, and with it the probes
        train(p, run_dir=run_root(params) / "pilot" / arm, reuse=False,
              extra_callbacks=[pilot_callback(p, arm, every, rows)])  # fmt: skip
    table = pd.DataFrame(rows)
    write_text(run_root(params) / "pilot" / PILOT_FILE, table.to_csv(index=False))
    figures = figures_dir(params)
    write_text(figures / PILOT_FILE, table.to_csv(index=False))
    write_text(figures / "table_pilot.md", pilot_markdown(table, batch_size=batch_size))
    pilot_curves(table, figures / "pilot_validation.png")
    return table


def pilot_markdown(table: pd.DataFrame, *, batch_size: int) -> str:
    """The pilot as the README shows it: per arm and probed step, the validation loss and mAPs, and
    the step of each arm's lowest validation loss (the paper's stopping rule), with the commit."""
    from hybridlib.analysis.tables import to_markdown
    from hybridlib.provenance import git_state

    commit, dirty = git_state()
    wide = table.set_index(["step", "arm"]).unstack("arm")
    wide.columns = [f"{arm} {metric}" for metric, arm in wide.columns]
    best = table.loc[table.groupby("arm", sort=False)["val_loss"].idxmin()]
    lowest = "; ".join(
        f"{r.arm}: step {int(r.step)} (loss {r.val_loss:.4f})" for r in best.itertuples(index=False)
    )
    source = f"commit {commit[:10]}{' + uncommitted changes' if dirty else ''}" if commit else "no git"
    return (
        f"{to_markdown(wide, '.4f')}\n\nLowest validation loss at batch {batch_size}: {lowest} "
        f"(probed every {int(table['step'].diff().max())} steps; {source}).\n"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Validation loss and mAP against training steps, per arm.")
    parser.add_argument("--params", default="params/default.yaml")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="override parameters")
    parser.add_argument("--arms", nargs="+", default=list(PILOT_ARMS))
    parser.add_argument("--batch-size", type=int, default=PILOT_BATCH_SIZE)
    parser.add_argument("--max-steps", type=int, default=PILOT_MAX_STEPS)
    parser.add_argument("--every", type=int, default=PILOT_EVERY)
    ns = parser.parse_args(argv)
    trained = [a for a in ARMS if a != "zero-shot"]
    if not set(ns.arms) <= set(trained):
        parser.error(
            f"unknown arm(s) {sorted(set(ns.arms) - set(trained))}; choose from {', '.join(trained)}"
        )
    params = load_yaml(REPO_ROOT / ns.params, **parse_overrides(ns.set))
    table = run_pilot(params, arms=ns.arms, batch_size=ns.batch_size, max_steps=ns.max_steps, every=ns.every)
    print(table.to_string(index=False))
