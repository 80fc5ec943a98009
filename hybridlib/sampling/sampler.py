"""Language-aware batch samplers for contrastive (InfoNCE, in-batch negatives) training.

Batch kinds (arXiv 2408.10536):

* ``"monolingual"`` (X-X-mono) — every pair of a batch has query and passage in ONE language; the language
  is drawn uniformly over the dataset's languages for every batch, whatever their sizes.
* ``"crosslingual"`` (X-Y) — every pair has ``q_lang != p_lang``. By default (``cross_grouping="mixed"``)
  a batch mixes language pairs, which gives the most varied negatives; ``cross_grouping="pair"`` makes
  every batch a single (q_lang, p_lang) pair, drawn uniformly over the pairs for every batch.
* ``"hybrid"`` — X-X-mono batches with share ``alpha``, X-Y otherwise, interleaved at random.
* ``"multilingual"`` (baseline) — monolingual pairs with languages mixed inside a batch (a uniform
  shuffle of all mono pairs).

Every batch has exactly ``batch_size`` rows (partial batches are never produced: a constant number of
in-batch negatives), from one dataset (sentence-transformers takes the dataset name — hence loss and
prompts — from a batch's first row), and no two rows with the same key (no false negatives).

How it is done, each where it is implemented:

* :mod:`hybridlib.sampling.config` — the parameters, validated once (:class:`SamplerConfig`);
* :mod:`hybridlib.sampling.pools` — rows → pools per dataset / kind / language, their capacities, and
  one pass of key-distinct batches (pure functions, shared with the "no batch fits" diagnostics);
* :mod:`hybridlib.sampling.schedule` — one endless stream: blocks, kinds, dataset interleave,
  per-language streams, auxiliary alignment batches by global stream position, and the seeding.

**Epochs** are consecutive windows of ``len(sampler)`` positions of the stream (QA and auxiliary batches
together): ``epoch_plan(e)`` = positions ``[e·len, (e+1)·len)``, ``stream_plan(a, b)`` any range. ``len``
is nominal (≈ one pass over the QA rows; with an auxiliary dataset ``n_main + n_main // aux_every``);
compare samplers at equal ``max_steps``. ``set_epoch``, called by the trainer each epoch, selects the
window, so resumed runs replay the right batches.

Plugging into sentence-transformers 6.2: the trainer calls
``args.multi_dataset_batch_sampler(dataset, batch_samplers=..., generator=..., seed=...)`` with
``dataset = ConcatDataset(train_dataset_dict.values())`` (insertion order) whenever the value is a
non-class callable; :func:`make_st_batch_sampler` returns such a callable with our side arrays bound.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from hybridlib.params import SAMPLERS
from hybridlib.sampling.config import CROSS_GROUPINGS, SamplerConfig, check_fields
from hybridlib.sampling.pools import DatasetPools, PairMeta, dataset_pools, make_pool, no_batch_message
from hybridlib.sampling.schedule import EpochPlan, StreamSchedule

__all__ = [
    "CROSS_GROUPINGS",
    "SAMPLERS",
    "EpochPlan",
    "LanguageBatchSampler",
    "PairMeta",
    "STLanguageBatchSampler",
    "SamplerConfig",
    "make_st_batch_sampler",
]


class LanguageBatchSampler:
    """Batches of ``batch_size`` training pairs whose languages follow the ``sampler`` kind, with no
    key twice in a batch, one dataset per batch, datasets in proportion to their size.

    A batch holds: monolingual — pairs of ONE language, q_lang = p_lang (the language drawn uniformly);
    crosslingual — pairs with q_lang ≠ p_lang (mixed language pairs, or one pair with
    ``cross_grouping="pair"``); hybrid — one of those two, the monolingual kind with share ``alpha``;
    multilingual — monolingual pairs of mixed languages. With an auxiliary dataset, one batch of it
    (e.g. parallel sentences for an alignment loss) follows every ``aux_every`` QA batches.

    Args:
        datasets (Sequence[PairMeta] | Mapping[str, PairMeta]): one :class:`PairMeta` per dataset of the
            ConcatDataset, in its order (a mapping keeps insertion order, like a ``DatasetDict``).
        sampler (str): ``"monolingual"``, ``"crosslingual"``, ``"hybrid"`` or ``"multilingual"``.
        batch_size (int): rows per batch; every batch is full (always ``drop_last``).
        alpha (float): share of monolingual batches of ``hybrid``, in [0, 1]. Defaults to 0.5.
        seed (int): root of every random draw; the stream is a function of the seed only. Defaults to 0.
        aux_dataset (int | str, optional): index or name of the auxiliary dataset, kept out of the QA
            schedule (best placed last, so the QA datasets' indices do not move). Defaults to None.
        aux_every (int): one auxiliary batch after every ``aux_every`` QA batches; 0 = never.
        cross_grouping (str): ``"mixed"`` (default) or ``"pair"`` (one language pair per X-Y batch).

    Recommended with in-batch-negative losses, e.g.
    :class:`~sentence_transformers.sentence_transformer.losses.MultipleNegativesRankingLoss`: the key
    (question group) makes sure no other row of the batch is a hidden positive.

    Relation to sentence-transformers' samplers: it plays the part of ``NoDuplicatesBatchSampler`` (no
    duplicate within a batch, by a key instead of the texts) and ``ProportionalBatchSampler`` (datasets
    in proportion to their size) at once, and adds the language constraints; use it through
    :func:`make_st_batch_sampler` as ``multi_dataset_batch_sampler``. It is framework-free: it yields
    lists of GLOBAL row indices (offset by each dataset's cumulative start) and works directly as a
    ``torch`` ``DataLoader`` ``batch_sampler``.

    Example::

        metas = {"mlqa": PairMeta.from_pairs(pairs, name="mlqa")}
        sampler = LanguageBatchSampler(metas, sampler="hybrid", alpha=0.5, batch_size=32, seed=0)
        sampler.epoch_plan(0).frame().value_counts("kind")  # ≈ half "mono", half "cross"
        batch = next(iter(sampler))  # 32 row indices
    """

    def __init__(
        self,
        datasets: Sequence[PairMeta] | Mapping[str, PairMeta],
        *,
        sampler: str,
        batch_size: int,
        alpha: float = 0.5,
        seed: int = 0,
        aux_dataset: int | str | None = None,
        aux_every: int = 0,
        cross_grouping: str = "mixed",
    ) -> None:
        self.config = SamplerConfig(
            sampler=sampler,
            batch_size=batch_size,
            alpha=alpha,
            seed=seed,
            aux_dataset=aux_dataset,
            aux_every=aux_every,
            cross_grouping=cross_grouping,
        )
        if isinstance(datasets, Mapping):
            self.names = [str(k) for k in datasets]
            self.metas = list(datasets.values())
        else:
            self.metas = list(datasets)
            self.names = [m.name or str(i) for i, m in enumerate(self.metas)]
        if not self.metas:
            raise ValueError("no datasets given")
        self.drop_last = True  # partial batches are never produced
        self.epoch = 0
        self.offsets = np.r_[0, np.cumsum([len(m) for m in self.metas])].astype(np.int64)
        self.aux_dataset = self.config.aux_index(self.names)
        self.main_datasets = [d for d in range(len(self.metas)) if d != self.aux_dataset]
        if not self.main_datasets:
            raise ValueError("the only dataset is the auxiliary one; nothing to train on")
        self._schedule = self._build_schedule()

    def _build_schedule(self) -> StreamSchedule:
        c = self.config
        pools = {d: dataset_pools(self.metas[d], c) for d in self.main_datasets}
        schedule = StreamSchedule(c, pools, self.offsets)
        if schedule.n_main == 0:
            main = [self.metas[d] for d in self.main_datasets]
            names = [self.names[d] for d in self.main_datasets]
            raise ValueError(no_batch_message(main, names, c))
        for d, counts in schedule.counts.items():
            if sum(counts) == 0:
                warnings.warn(
                    f"dataset {self.names[d]!r} yields no {c.sampler} batch of size {c.batch_size}; skipped",
                    stacklevel=3,
                )
        if self.aux_dataset is not None and c.aux_every:
            aux_meta = self.metas[self.aux_dataset]
            aux_pool = make_pool(aux_meta, np.arange(len(aux_meta)), c.batch_size)
            if aux_pool.capacity == 0:
                raise ValueError(
                    f"auxiliary dataset {self.names[self.aux_dataset]!r} has fewer than batch_size="
                    f"{c.batch_size} distinct keys; lower batch_size or use a larger parallel set"
                )
            schedule.aux = (self.aux_dataset, aux_pool)
        return schedule

    # -- the parameters and the plan, read-only ----------------------------------------------------------

    @property
    def sampler(self) -> str:
        return self.config.sampler

    @property
    def batch_size(self) -> int:
        return self.config.batch_size

    @property
    def alpha(self) -> float:
        return self.config.alpha

    @property
    def seed(self) -> int:
        return self.config.seed

    @property
    def aux_every(self) -> int:
        return self.config.aux_every

    @property
    def cross_grouping(self) -> str:
        return self.config.cross_grouping

    @property
    def pools(self) -> dict[int, DatasetPools]:
        """Each main dataset's usable pools, by ConcatDataset index."""
        return self._schedule.pools

    @property
    def n_main(self) -> int:
        """QA batches per block (= per epoch)."""
        return self._schedule.n_main

    @property
    def batches_per_dataset(self) -> dict[str, int]:
        """QA batches per block of each main dataset, by name (0: skipped)."""
        return {self.names[d]: sum(c) for d, c in self._schedule.counts.items()}

    # -- the stream -----------------------------------------------------------------------------------

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose window of the stream ``__iter__`` yields (the trainer calls this)."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self._schedule)

    def __iter__(self) -> Iterator[list[int]]:
        yield from self.epoch_plan(self.epoch).batches.tolist()

    def epoch_plan(self, epoch: int | None = None) -> EpochPlan:
        """Batches of ``epoch`` (default: the current one): positions ``[e·len, (e+1)·len)`` of the stream."""
        epoch = self.epoch if epoch is None else int(epoch)
        if epoch < 0:
            raise ValueError(f"epoch must be >= 0, got {epoch}")
        n = len(self)
        return self.stream_plan(epoch * n, (epoch + 1) * n)

    def stream_plan(self, start: int, stop: int) -> EpochPlan:
        """Positions ``[start, stop)`` of the sampler's endless stream (QA and auxiliary batches)."""
        start, stop = int(start), int(stop)
        if not 0 <= start <= stop:
            raise ValueError(f"need 0 <= start <= stop, got {start}, {stop}")
        return self._schedule.plan(start, stop)


# -- sentence-transformers adapter --------------------------------------------------------------------------


class STLanguageBatchSampler(LanguageBatchSampler):
    """:class:`LanguageBatchSampler` built the way sentence-transformers builds a multi-dataset sampler.

    The trainer (``SentenceTransformerTrainer.get_multi_dataset_batch_sampler``, v6.2) calls
    ``multi_dataset_batch_sampler(dataset, batch_samplers=..., generator=..., seed=...)`` where
    ``dataset`` is ``ConcatDataset(train_dataset.values())``. The per-dataset ``batch_samplers`` only
    tell us the trainer's batch size; ``generator`` is unused (our RNG is numpy, seeded from
    ``seed`` and the epoch). Sizes are checked against the bound metadata so a mismatched order fails
    loudly instead of silently training on wrong languages.
    """

    def __init__(
        self,
        dataset: Any,
        batch_samplers: Sequence[Any],
        generator: Any = None,
        seed: int | None = 0,
        *,
        metas: Sequence[PairMeta] | Mapping[str, PairMeta],
        sampler: str,
        batch_size: int | None = None,
        alpha: float = 0.5,
        sampler_seed: int | None = None,
        aux_dataset: int | str | None = None,
        aux_every: int = 0,
        cross_grouping: str = "mixed",
    ) -> None:
        meta_list = list(metas.values()) if isinstance(metas, Mapping) else list(metas)
        meta_names = [str(k) for k in metas] if isinstance(metas, Mapping) else [m.name for m in meta_list]
        parts = list(getattr(dataset, "datasets", [dataset]))
        got, want = [len(p) for p in parts], [len(m) for m in meta_list]
        if got != want:
            raise ValueError(
                f"the trainer's datasets have sizes {got} but the bound metadata {meta_names} has {want}; "
                "pass one PairMeta per DatasetDict entry, in the same order, built from the same rows"
            )
        if batch_size is None:
            batch_size = int(batch_samplers[0].batch_size) if batch_samplers else None
            if batch_size is None:
                raise ValueError("no batch_size given and none found on the trainer's batch samplers")
        super().__init__(
            metas,
            sampler=sampler,
            batch_size=batch_size,
            alpha=alpha,
            seed=sampler_seed if sampler_seed is not None else (seed or 0),
            aux_dataset=aux_dataset,
            aux_every=aux_every,
            cross_grouping=cross_grouping,
        )
        self.dataset = dataset
        self.batch_samplers = list(batch_samplers)
        self.generator = generator

    def set_epoch(self, epoch: int) -> None:
        super().set_epoch(epoch)
        for child in self.batch_samplers:  # keep the trainer's contract (children are unused)
            if hasattr(child, "set_epoch"):
                child.set_epoch(epoch)


def make_st_batch_sampler(
    metas: Sequence[PairMeta] | Mapping[str, PairMeta],
    *,
    sampler: str,
    batch_size: int | None = None,
    alpha: float = 0.5,
    seed: int | None = None,
    aux_dataset: int | str | None = None,
    aux_every: int = 0,
    cross_grouping: str = "mixed",
) -> Callable[..., STLanguageBatchSampler]:
    """Value for ``SentenceTransformerTrainingArguments(multi_dataset_batch_sampler=...)``.

    ``metas``: one :class:`PairMeta` per entry of the training ``DatasetDict``, same order (a dict with
    the same keys is clearest). ``batch_size=None`` uses the trainer's ``per_device_train_batch_size``;
    ``seed=None`` uses the trainer's ``args.seed``. The parameters known here are validated here (the
    rules of :class:`SamplerConfig`); the rest when the trainer builds its dataloader.
    """
    fields = {"sampler": sampler, "alpha": alpha, "cross_grouping": cross_grouping, "aux_every": aux_every}
    check_fields(**fields, batch_size=batch_size, seed=seed, aux_dataset=aux_dataset)
    return functools.partial(
        STLanguageBatchSampler,
        metas=metas,
        batch_size=batch_size,
        sampler_seed=seed,
        aux_dataset=aux_dataset,
        **fields,
    )
