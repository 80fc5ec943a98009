"""Scheduling: which pool's next batch comes at each position of one endless stream.

The pools (:mod:`hybridlib.sampling.pools`) are fixed; this module orders their batches.

* **Pool streams.** Each pool is an endless stream of passes: pass ``r`` is ``K`` key-distinct batches
  built with their own randomness (``[seed, pool, r]``), so a pool that runs out is rebuilt — reshuffled
  with fresh batch-mates — and no row repeats within a pass. A pool's stream continues across epochs.
* **Language draws.** Every mono batch draws its language uniformly over the dataset's mono pools
  (independent draws, also in ``hybrid``'s mono share), then takes the next batch of that language's
  stream; pair-grouped X-Y batches draw their language pair the same way. Small languages therefore
  repeat their passes more often than large ones, and the language mix is uniform at every point of
  training (no epoch-end run of the largest language).
* **Blocks.** The QA (main) stream is a sequence of blocks of ``n_main = Σ_d n_d`` batches. Per
  dataset, ``n_d`` = its mono capacity ``M`` (Σ of its languages' ``K``; monolingual, multilingual)
  or X-Y capacity ``C`` (crosslingual); for hybrid, ``N = max{N : round(alpha·N) ≤ M and
  N − round(alpha·N) ≤ C}`` of which exactly ``round(alpha·N)`` are mono, in a random order — the
  mono fraction is ``alpha`` up to rounding (a without-replacement version of the per-batch coin, with
  less variance). At ``alpha`` = 1 / 0 the block is exactly the monolingual / crosslingual sampler's,
  batch for batch (same seed): the α sweep's endpoints are those arms. A single-pool kind (multilingual,
  mixed X-Y in crosslingual) uses one full pass per block: each row at most once per block.
* **Datasets in proportion to their size.** Each block is a random permutation of ``n_d`` copies of
  each dataset ``d`` (≈ its eligible rows / batch_size), like sentence-transformers'
  ``ProportionalBatchSampler``; a batch never spans datasets.
* **Auxiliary batches by global position.** With an auxiliary dataset, one key-distinct batch of it
  follows every ``aux_every`` QA batches of the *whole stream*: position ``p`` is auxiliary iff
  ``(p + 1) % (aux_every + 1) == 0``, across epoch boundaries. Hence the first ``M + M // aux_every``
  batches hold exactly ``M`` QA batches and ``M // aux_every`` auxiliary ones, whatever the epoch
  length, and the QA batches are exactly those of the sampler without the auxiliary dataset. The aux
  pool is a stream of passes like any pool (its rows repeat once it runs out).

Randomness: every draw comes from its own ``numpy.random.default_rng([seed, purpose, ...])`` keyed by
what it decides (block order, kind order, language draws of a block, a pool's pass), never by how many
draws came before, so any range of the stream is computed directly from the seed (resumed runs replay
the right batches), and the QA stream does not depend on the auxiliary dataset.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hybridlib.sampling.config import SamplerConfig
from hybridlib.sampling.pools import CROSS, MIXED, MONO, DatasetPools, Pool, key_distinct_batches

# RNG purpose tags (first element of every key after the seed).
_ORDER, _KIND, _POOL, _ROUND = 1, 2, 3, 4
_RNG_KEY_LENGTH = 6


@dataclass(frozen=True)
class EpochPlan:
    """A range of the stream: batches (global row indices, shape ``(n_batches, batch_size)``) and what
    each is.

    ``dataset``: index in the ConcatDataset; ``kind``: ``"mono"``, ``"cross"`` or ``"aux"``;
    ``pool``: the language (mono), ``"q->p"`` (pair-grouped X-Y) or ``"*"`` (mixed languages).
    """

    batches: np.ndarray
    dataset: np.ndarray
    kind: np.ndarray
    pool: np.ndarray

    def frame(self) -> pd.DataFrame:
        """One row per batch (for notebooks)."""
        return pd.DataFrame({"dataset": self.dataset, "kind": self.kind, "pool": self.pool})


def _round_half_up(x: float) -> int:
    return int(np.floor(x + 0.5))


def hybrid_batch_counts(mono_capacity: int, cross_capacity: int, alpha: float) -> tuple[int, int]:
    """(mono, X-Y) batches of one dataset's hybrid block: the largest N with both kinds available."""

    def feasible(n: int) -> bool:
        m = _round_half_up(alpha * n)
        return m <= mono_capacity and n - m <= cross_capacity

    lo, hi = 0, mono_capacity + cross_capacity
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if feasible(mid):
            lo = mid
        else:
            hi = mid - 1
    m = _round_half_up(alpha * lo)
    return m, lo - m


def block_counts(pools: DatasetPools, sampler: str, alpha: float) -> tuple[int, int]:
    """(mono, X-Y) batches of one dataset per block; ``(0, 0)`` when it yields none (it is skipped)."""
    m, c = pools.capacity(MONO), pools.capacity(CROSS)
    if sampler != "hybrid":
        return m, c
    if 0.0 < alpha < 1.0 and (m == 0 or c == 0):
        return 0, 0  # a hybrid block needs both kinds
    return hybrid_batch_counts(m, c, alpha)


class StreamSchedule:
    """The endless stream of one sampler: QA blocks over ``pools`` plus auxiliary batches of ``aux``.

    ``pools``: the main datasets' pools, by ConcatDataset index, in order; ``offsets``: each dataset's
    first global row; ``aux``: ``(index, pool)`` of the auxiliary dataset, or ``None`` (no aux batches).
    """

    def __init__(
        self,
        config: SamplerConfig,
        pools: Mapping[int, DatasetPools],
        offsets: np.ndarray,
        aux: tuple[int, Pool] | None = None,
    ) -> None:
        self.seed, self.batch_size, self.aux_every = config.seed, config.batch_size, config.aux_every
        self.pools = dict(pools)
        self.offsets = offsets
        self.aux = aux
        self.counts = {d: block_counts(p, config.sampler, config.alpha) for d, p in self.pools.items()}
        self.n_main = sum(sum(c) for c in self.counts.values())
        self._use_cache: dict[tuple[int, int], list[np.ndarray]] = {}

    def __len__(self) -> int:
        """Nominal epoch length: one QA block and the auxiliary batches that go with it."""
        return self.n_main + (self.n_main // self.aux_every if self.aux is not None else 0)

    def plan(self, start: int, stop: int) -> EpochPlan:
        """Positions ``[start, stop)`` of the stream (QA and auxiliary batches)."""
        if self.aux is None:
            return self._main_range(start, stop)
        aux_dataset, aux_pool = self.aux
        pos = np.arange(start, stop, dtype=np.int64)
        k1 = self.aux_every + 1
        is_aux = (pos + 1) % k1 == 0  # one aux batch after every aux_every QA batches, globally
        n_aux_before = (pos + 1) // k1  # aux batches at positions <= pos
        main_idx, aux_idx = (pos - n_aux_before)[~is_aux], (n_aux_before - 1)[is_aux]
        n = pos.size
        batches = np.empty((n, self.batch_size), dtype=np.int64)
        dataset = np.full(n, aux_dataset, dtype=np.int64)
        kind = np.full(n, "aux", dtype=object)
        pool = np.full(n, MIXED, dtype=object)
        if main_idx.size:
            main = self._main_range(int(main_idx[0]), int(main_idx[-1]) + 1)
            batches[~is_aux], dataset[~is_aux] = main.batches, main.dataset
            kind[~is_aux], pool[~is_aux] = main.kind, main.pool
        if aux_idx.size:
            batches[is_aux] = self.offsets[aux_dataset] + self._stream_batches(
                aux_pool, (1, 0, 0, 0), int(aux_idx[0]), int(aux_idx[-1]) + 1
            )
        return EpochPlan(batches, dataset, kind, pool)

    def _rng(self, *key: int) -> np.random.Generator:
        # Fixed-length keys: numpy's SeedSequence ignores trailing zeros, so [s, a] == [s, a, 0].
        assert len(key) <= _RNG_KEY_LENGTH
        return np.random.default_rng([self.seed, *key, *([0] * (_RNG_KEY_LENGTH - len(key)))])

    def _stream_batches(self, pool: Pool, key: tuple[int, ...], start: int, stop: int) -> np.ndarray:
        """Batches ``[start, stop)`` of a pool's endless stream: passes of ``capacity`` key-distinct
        batches, pass ``r`` built from its own RNG (a fresh reshuffle each time the pool runs out)."""
        K = pool.capacity
        if stop <= start:
            return np.empty((0, self.batch_size), dtype=np.int64)
        first, last = start // K, (stop - 1) // K
        passes = [
            pool.rows[key_distinct_batches(pool.codes, K, self.batch_size, self._rng(_ROUND, *key, r))]
            for r in range(first, last + 1)
        ]
        return np.concatenate(passes)[start - first * K : stop - first * K]

    def _pool_draws(self, d: int, kind: int, block: int) -> np.ndarray:
        """Pool index of each ``kind`` batch of dataset ``d`` in main block ``block`` (uniform draws)."""
        n_pools = len(self.pools[d].of_kind(kind))
        count = self.counts[d][0 if kind == MONO else 1]
        if n_pools <= 1:
            return np.zeros(count, dtype=np.int64)
        return self._rng(_POOL, block, d, kind).integers(n_pools, size=count)

    def _pool_use_before(self, d: int, kind: int, block: int) -> np.ndarray:
        """Batches taken from each pool of ``(d, kind)`` in blocks ``< block`` (cached running sums)."""
        n_pools = len(self.pools[d].of_kind(kind))
        cum = self._use_cache.setdefault((d, kind), [np.zeros(n_pools, dtype=np.int64)])
        while len(cum) <= block:
            b = len(cum) - 1
            cum.append(cum[-1] + np.bincount(self._pool_draws(d, kind, b), minlength=n_pools))
        return cum[block]

    def _dataset_block(self, d: int, block: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Dataset ``d``'s batches of main block ``block`` in their kind order: (batches, kinds, pools)."""
        n_mono, n_cross = self.counts[d]
        n_d = n_mono + n_cross
        out = np.empty((n_d, self.batch_size), dtype=np.int64)
        is_mono = np.zeros(n_d, dtype=bool)
        is_mono[:n_mono] = True
        if n_mono and n_cross:
            is_mono = self._rng(_KIND, block, d).permutation(is_mono)
        labels = np.empty(n_d, dtype=object)
        for kind, kind_mask in ((MONO, is_mono), (CROSS, ~is_mono)):
            slots = np.flatnonzero(kind_mask)
            if slots.size == 0:
                continue
            which = self._pool_draws(d, kind, block)
            used = self._pool_use_before(d, kind, block)
            for i, (name, p) in enumerate(self.pools[d].of_kind(kind).items()):
                sel = slots[which == i]
                out[sel] = self.offsets[d] + self._stream_batches(
                    p, (0, d, kind, i), int(used[i]), int(used[i]) + sel.size
                )
                labels[sel] = name
        return out, np.where(is_mono, "mono", "cross").astype(object), labels

    def _block_plan(self, block: int) -> EpochPlan:
        """Main block ``block``: ``n_main`` QA batches, the datasets interleaved in a random order."""
        main_datasets = list(self.pools)
        parts, kinds, pools = zip(*(self._dataset_block(d, block) for d in main_datasets), strict=True)
        sizes = [p.shape[0] for p in parts]
        order = self._rng(_ORDER, block).permutation(np.repeat(np.arange(len(parts)), sizes))
        take = np.empty(order.size, dtype=np.int64)
        starts = np.r_[0, np.cumsum(sizes)]
        for j in range(len(parts)):
            take[order == j] = starts[j] + np.arange(sizes[j])  # dataset j's batches keep their order
        ds = np.asarray(main_datasets, dtype=np.int64)
        return EpochPlan(
            np.concatenate(parts)[take], ds[order], np.concatenate(kinds)[take], np.concatenate(pools)[take]
        )

    def _main_range(self, start: int, stop: int) -> EpochPlan:
        """QA batches ``[start, stop)`` of the main stream (consecutive blocks of ``n_main`` batches)."""
        N = self.n_main
        if stop <= start:
            empty = np.empty(0, dtype=object)
            return EpochPlan(
                np.empty((0, self.batch_size), dtype=np.int64), np.empty(0, np.int64), empty, empty
            )
        first, last = start // N, (stop - 1) // N
        blocks = [self._block_plan(b) for b in range(first, last + 1)]
        sl = slice(start - first * N, stop - first * N)
        return EpochPlan(
            *(
                np.concatenate([getattr(p, f) for p in blocks])[sl]
                for f in ("batches", "dataset", "kind", "pool")
            )
        )
