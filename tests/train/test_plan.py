"""A run's batch plan as the notebook shows it: the trainer's own sampler, counted by kind × language."""

from __future__ import annotations

import numpy as np
import pytest

from hybridlib.params import validate
from hybridlib.train.inputs import ALIGN_SET
from hybridlib.train.plan import BATCH_KINDS, batch_counts, batch_kinds, training_inputs
from hybridlib.train.trainer import build_trainer

TINY = {"batch_size": 4, "max_seq_length": 24, "precision": "fp32", "train_languages": ["de", "en", "es"]}
ALIGN = {"align_data": "train-questions"}


@pytest.mark.parametrize(
    ("sampler", "align_weight", "kinds"),
    [
        ("hybrid", 0.0, {"mono", "cross"}),
        ("monolingual", 0.0, {"mono"}),
        ("crosslingual", 0.0, {"cross"}),
        ("multilingual", 0.5, {"multilingual", "align"}),
    ],
)
def test_counts_cover_one_epoch_with_the_kinds_of_the_sampler(data_root, sampler, align_weight, kinds):
    params = validate({**TINY, **ALIGN, "sampler": sampler, "align_weight": align_weight})
    inputs = training_inputs(params)
    counts = batch_counts(inputs.sampler.epoch_plan(0))
    assert counts.to_numpy().sum() == len(inputs.sampler)
    assert set(counts.index) == kinds and list(counts.index) == [k for k in BATCH_KINDS if k in kinds]
    assert inputs.with_alignment == (align_weight > 0)
    if "mono" in kinds:  # one column per training language, the mono batches drawn from each
        assert (counts.loc["mono", ["de", "en", "es"]] > 0).all()
    if "align" in kinds:
        assert inputs.sampler.names[-1] == ALIGN_SET
        assert counts.loc["align"].sum() == inputs.sampler.n_main // params.align_every


def test_batch_rows_are_the_rows_of_the_batch_s_dataset(data_root):
    params = validate({**TINY, **ALIGN, "align_weight": 0.5, "align_every": 1})
    inputs = training_inputs(params)
    plan = inputs.sampler.stream_plan(0, 2)  # a QA batch, then an alignment batch
    assert list(batch_kinds(plan)) in (["mono", "align"], ["cross", "align"])
    for batch, dataset in zip(plan.batches, plan.dataset, strict=True):
        name, rows = inputs.batch_rows(batch)
        assert name == inputs.sampler.names[dataset]
        local = batch - inputs.sampler.offsets[dataset]
        assert rows.equals(inputs.datasets[name].select(local).to_pandas())
        assert len(rows) == params.batch_size


def test_the_trainer_draws_the_same_batches(data_root, tmp_path):
    params = validate({**TINY, **ALIGN, "align_weight": 0.5, "max_steps": 4})
    trainer = build_trainer(params, tmp_path)
    trained = trainer.get_train_dataloader().batch_sampler
    shown = training_inputs(params).sampler
    assert len(trained) == len(shown)
    np.testing.assert_array_equal(trained.epoch_plan(0).batches, shown.epoch_plan(0).batches)
