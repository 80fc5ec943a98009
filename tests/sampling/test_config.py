"""The sampler's parameters are validated once, by the same rules for both constructors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from hybridlib.sampling.config import SamplerConfig, check_fields
from hybridlib.sampling.sampler import LanguageBatchSampler, PairMeta, make_st_batch_sampler

META = PairMeta(np.array(["a", "b", "c", "d"] * 2), np.array(["en"] * 8), np.array(["en"] * 4 + ["de"] * 4))

INVALID = [
    ({"sampler": "mixed"}, "unknown sampler"),
    ({"alpha": 1.5}, "alpha"),
    ({"alpha": "0.5"}, "alpha"),
    ({"cross_grouping": "lang"}, "cross_grouping"),
    ({"batch_size": 0}, "batch_size"),
    ({"seed": -1}, "seed"),
    ({"aux_every": -2}, "aux_every"),
    ({"aux_every": 2}, "needs aux_dataset"),
]


@pytest.mark.parametrize(("bad", "message"), INVALID)
def test_both_constructors_reject_the_same_values(bad, message):
    fields = {"sampler": "hybrid", "batch_size": 2, **bad}
    with pytest.raises(ValueError, match=message):
        SamplerConfig(**fields)
    with pytest.raises(ValueError, match=message):
        LanguageBatchSampler([META], **fields)
    with pytest.raises(ValueError, match=message):  # at once, not when the trainer builds the sampler
        make_st_batch_sampler([META], **fields)


def test_config_is_frozen_and_normalised():
    config = SamplerConfig(sampler="hybrid", batch_size=np.int64(4), alpha=1, seed=np.int32(3))
    assert (type(config.batch_size), type(config.alpha), type(config.seed)) == (int, float, int)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.alpha = 0.3  # type: ignore[misc]
    s = LanguageBatchSampler([META], sampler="hybrid", batch_size=2, alpha=0.5, seed=1)
    assert s.config == SamplerConfig(sampler="hybrid", batch_size=2, alpha=0.5, seed=1)


def test_unknown_fields_are_left_for_later():
    check_fields(sampler="hybrid", batch_size=None, seed=None)  # the trainer supplies these
    assert SamplerConfig(sampler="hybrid", batch_size=2, aux_dataset="aux").aux_index(["qa", "aux"]) == 1
    with pytest.raises(ValueError, match="not one of the datasets"):
        SamplerConfig(sampler="hybrid", batch_size=2, aux_dataset="x").aux_index(["qa"])
    with pytest.raises(ValueError, match="out of range"):
        SamplerConfig(sampler="hybrid", batch_size=2, aux_dataset=3).aux_index(["qa"])
