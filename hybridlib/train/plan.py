"""What the trainer feeds the model, without the model: a run's batch sampler and its plan as a table.

    params ──► training datasets + LanguageBatchSampler (built by the trainer's own factory)
    EpochPlan ──► batch counts: batch kind (mono / cross / multilingual / align) × language (pair)

:func:`batch_sampler_factory` is the trainer's ``multi_dataset_batch_sampler``
(:func:`hybridlib.train.trainer.build_trainer` uses it), and :func:`training_inputs` calls it the way
sentence-transformers does, so the plan shown in ``notebooks/03_train`` is the one training runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hybridlib.params import Params
from hybridlib.sampling.pools import MIXED
from hybridlib.sampling.sampler import (
    EpochPlan,
    LanguageBatchSampler,
    PairMeta,
    STLanguageBatchSampler,
    make_st_batch_sampler,
)
from hybridlib.train.inputs import ALIGN_SET, alignment_pairs, build_datasets, training_pairs

#: Batch kinds of a plan, in table order: X-X-mono (one language), X-Y, mono pairs of mixed
#: languages (the multilingual baseline), and the alignment objective's parallel sentences.
BATCH_KINDS = ("mono", "cross", "multilingual", "align")


def batch_sampler_factory(
    params: Params, metas: Mapping[str, PairMeta], *, with_alignment: bool
) -> Callable[..., STLanguageBatchSampler]:
    """The trainer's ``multi_dataset_batch_sampler`` for ``params`` (``metas``: one per training dataset,
    the alignment set last); the batch size is the trainer's, the seed ``params.seed``."""
    # Without a QA set (the align-only arm) the alignment pairs are the one stream, not an aux one.
    aux = with_alignment and bool(params.train_sets)
    return make_st_batch_sampler(
        metas,
        sampler=params.sampler,
        alpha=params.alpha,
        seed=params.seed,
        aux_dataset=ALIGN_SET if aux else None,
        aux_every=params.align_every if aux else 0,
    )


@dataclass(frozen=True)
class TrainingInputs:
    """A run's training datasets (a ``DatasetDict``), their prompts and the batch sampler over them."""

    datasets: Any
    prompts: dict[str, dict[str, str]]
    sampler: LanguageBatchSampler

    @property
    def with_alignment(self) -> bool:
        return ALIGN_SET in self.datasets

    def batch_rows(self, batch: Sequence[int]) -> tuple[str, pd.DataFrame]:
        """The dataset name and the text rows of one batch (global row indices of the ConcatDataset)."""
        batch = np.asarray(batch, dtype=np.int64)
        offsets = self.sampler.offsets
        d = int(np.searchsorted(offsets, batch[0], side="right")) - 1
        name = self.sampler.names[d]
        return name, self.datasets[name].select(batch - offsets[d]).to_pandas()


def training_inputs(params: Params) -> TrainingInputs:
    """The datasets and the batch sampler that :func:`hybridlib.train.trainer.build_trainer` trains on.

    The sampler comes from :func:`batch_sampler_factory`, called as sentence-transformers calls it: on
    the ``ConcatDataset`` of the datasets, with one ``batch_size`` batch sampler per dataset and the
    trainer's seed.
    """
    from torch.utils.data import BatchSampler, ConcatDataset, SequentialSampler

    pairs = training_pairs(params)
    align = alignment_pairs(params) if params.align_weight > 0 else None
    datasets, metas, prompts = build_datasets(params, pairs, align)
    factory = batch_sampler_factory(params, metas, with_alignment=align is not None)
    parts = list(datasets.values())
    children = [BatchSampler(SequentialSampler(part), params.batch_size, drop_last=True) for part in parts]
    sampler = factory(ConcatDataset(parts), batch_samplers=children, generator=None, seed=params.seed)
    return TrainingInputs(datasets, prompts, sampler)


def batch_kinds(plan: EpochPlan) -> np.ndarray:
    """Each batch's kind (:data:`BATCH_KINDS`): the sampler's ``mono`` batches of mixed languages are
    the multilingual baseline's, its auxiliary batches the alignment objective's."""
    kinds = plan.kind.astype(object).copy()
    kinds[(plan.kind == "mono") & (plan.pool == MIXED)] = "multilingual"
    kinds[plan.kind == "aux"] = "align"
    return kinds


def batch_counts(plan: EpochPlan) -> pd.DataFrame:
    """Batches per kind (rows, in :data:`BATCH_KINDS` order) × pool (columns: the language, the
    language pair ``"q->p"``, or ``"*"`` for mixed languages); kinds without a batch are left out."""
    table = pd.crosstab(
        pd.Series(batch_kinds(plan), name="batch kind"), pd.Series(plan.pool, name="language")
    )
    return table.reindex([k for k in BATCH_KINDS if k in table.index])
