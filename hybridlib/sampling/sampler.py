"""Language-aware batch samplers for contrastive (InfoNCE, in-batch negatives) training.

Batch kinds (arXiv 2408.10536):

* ``"monolingual"`` (X-X-mono) — every pair of a batch has query and passage in ONE language; the language
  is drawn uniformly over the dataset's languages for every batch, whatever their sizes.
* ``"crosslingual"`` (X-Y) — every pair has ``q_lang != p_lang``. By default (``cross_grouping="mixed"``)
  a batch mixes language pairs, which gives the most varied negatives; ``cross_grouping="pair"`` makes
  every batch a single (q_lang, p_lang) pair, drawn uniformly over the pairs for every batch.
* ``"hybrid"`` — per batch, X-X-mono with probability ``alpha``, X-Y otherwise.
* ``"multilingual"`` (baseline) — monolingual pairs with languages mixed inside a batch (a uniform
  shuffle of all mono pairs).

Rules that hold for every batch:

* **Exactly ``batch_size`` rows, from one dataset.** Partial batches are never produced (always
  ``drop_last``): a constant number of in-batch negatives, and sentence-transformers takes the dataset
  name (→ loss, prompts) from a batch's first row, so a batch must not span datasets.
* **No two rows with the same key** (no false negatives: two translations of one question are each
  other's positives). The key is ``PairMeta.xid``; :meth:`PairMeta.from_pairs` fills it with the pairs'
  ``group`` column (questions sharing an answer sentence) when present, else ``xid``. Keys are per
  dataset (batches never span datasets, so equal ids in different datasets never meet).
* **Datasets are chosen in proportion to their size**: each block of ``n_main`` QA batches (below) is a
  random permutation of ``n_d`` copies of each dataset ``d``, ``n_d`` = its batch count (≈ eligible
  rows / batch_size), like sentence-transformers' ``ProportionalBatchSampler``.

One endless stream, cut into epochs. Rows are grouped into *pools* (per dataset: one per language for
mono batches, one for X-Y — or one per language pair — and one for multilingual). A pool whose keys have
counts ``c_k`` yields ``K = max{K : Σ_k min(c_k, K) ≥ K·batch_size}`` full key-distinct batches per
*pass* — the maximum possible; the remaining rows (fewer than a batch, or surplus copies of a key that
occurs in more than ``K`` rows) sit out that pass, and which rows sit out changes every pass.

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
* **Epochs** are consecutive windows of ``len(sampler)`` positions of the stream (QA and auxiliary
  batches together): ``epoch_plan(e)`` = positions ``[e·len, (e+1)·len)``, ``stream_plan(a, b)`` any
  range. ``len`` is nominal (≈ one pass over the QA rows); compare samplers at equal ``max_steps``.

Batch construction inside a pool pass (vectorised numpy, ~O(n log n)): keys in random order with their
rows contiguous (each key truncated to ``K`` rows) are laid out in ``batch_size`` windows of ``K``
positions; batch ``j`` takes one row from each window (position ``j`` of the window, after a random
permutation of each window's rows whose key lies entirely inside the window; the ≤2 keys straddling a
window boundary keep the column layout, which already puts their rows in distinct batches). Rows of one
key land in distinct batches, and a row's batch-mates are drawn from all other windows afresh each pass.

Randomness: every draw comes from its own ``numpy.random.default_rng([seed, purpose, ...])`` keyed by
what it decides (block order, kind order, language draws of a block, a pool's pass), never by how many
draws came before, so any range of the stream is computed directly from the seed: resumed runs replay
the right batches (``set_epoch``, called by the trainer each epoch, selects the window), and the QA
stream does not depend on the auxiliary dataset.

Auxiliary dataset (alignment objective): one dataset of the ConcatDataset (``aux_dataset``, an index or
name, best placed last so main indices do not move) is kept out of the main schedule. One key-distinct
batch of it follows every ``aux_every`` QA batches of the *whole stream* (``0`` = never): stream
position ``p`` is auxiliary iff ``(p + 1) % (aux_every + 1) == 0``, across epoch boundaries. Hence the
first ``M + M // aux_every`` batches hold exactly ``M`` QA batches and ``M // aux_every`` auxiliary
ones, whatever the epoch length, and the QA batches are exactly those of the sampler without the
auxiliary dataset. The aux pool is a stream of passes like any pool (its rows repeat once it runs out).
``len = n_main + n_main // aux_every``.

Plugging into sentence-transformers 6.2: the trainer calls
``args.multi_dataset_batch_sampler(dataset, batch_samplers=..., generator=..., seed=...)`` with
``dataset = ConcatDataset(train_dataset_dict.values())`` (insertion order) whenever the value is a
non-class callable; :func:`make_st_batch_sampler` returns such a callable with our side arrays bound.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hybridlib.params import SAMPLERS

CROSS_GROUPINGS = ("mixed", "pair")
MIXED = "*"
# RNG stream tags (``LanguageBatchSampler._rng``) and kind codes.
_ORDER, _KIND, _POOL, _ROUND = 1, 2, 3, 4
_MONO, _CROSS = 0, 1


@dataclass(frozen=True)
class PairMeta:
    """Side arrays for one training dataset, aligned with its row order (never training columns).

    ``xid``: the no-duplicate key (question group / ``pair_id``); ``q_lang`` / ``p_lang``: languages.
    """

    xid: np.ndarray
    q_lang: np.ndarray
    p_lang: np.ndarray
    name: str = ""

    def __post_init__(self) -> None:
        arrays = {k: np.asarray(getattr(self, k)).astype(str) for k in ("xid", "q_lang", "p_lang")}
        sizes = {k: a.shape for k, a in arrays.items()}
        if len(set(sizes.values())) != 1 or arrays["xid"].ndim != 1:
            raise ValueError(f"PairMeta arrays must be 1-d and of equal length, got shapes {sizes}")
        for k, a in arrays.items():
            object.__setattr__(self, k, a)

    def __len__(self) -> int:
        return int(self.xid.shape[0])

    @classmethod
    def from_pairs(cls, pairs: pd.DataFrame, name: str = "", key: str | None = None) -> PairMeta:
        """From a :func:`hybridlib.pairs.build_pairs` table; key = ``group`` if present, else ``xid``."""
        key = key or ("group" if "group" in pairs.columns else "xid")
        return cls(pairs[key].to_numpy(), pairs["q_lang"].to_numpy(), pairs["p_lang"].to_numpy(), name)

    @classmethod
    def from_parallel(cls, pairs: pd.DataFrame, name: str = "", key: str = "pair_id") -> PairMeta:
        """From a parallel-text table (``pair_id``, ``src_lang``, ``tgt_lang``) for the aux dataset."""
        return cls(pairs[key].to_numpy(), pairs["src_lang"].to_numpy(), pairs["tgt_lang"].to_numpy(), name)


@dataclass(frozen=True)
class EpochPlan:
    """One epoch's batches (global row indices, shape ``(n_batches, batch_size)``) and what each is.

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


@dataclass
class _Pool:
    rows: np.ndarray  # dataset-local row indices
    codes: np.ndarray  # dense key codes of those rows
    capacity: int  # full key-distinct batches per epoch


def pool_capacity(key_counts: np.ndarray, batch_size: int) -> int:
    """Max number of full batches with distinct keys: ``max{K : Σ min(c_k, K) ≥ K·batch_size}``.

    ``Σ min(c, K) − K·B`` is concave in K and 0 at K = 0, so the feasible Ks form an interval.
    """
    counts = np.asarray(key_counts, dtype=np.int64)
    lo, hi = 0, int(counts.sum()) // batch_size
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if int(np.minimum(counts, mid).sum()) >= mid * batch_size:
            lo = mid
        else:
            hi = mid - 1
    return lo


def key_distinct_batches(
    codes: np.ndarray, n_batches: int, batch_size: int, rng: np.random.Generator
) -> np.ndarray:
    """``(n_batches, batch_size)`` positions into ``codes`` with no code twice in a batch.

    ``codes`` are dense ints (0..G-1); ``n_batches`` must be ≤ :func:`pool_capacity` of their counts.
    See the module docstring for the layout (windows of ``n_batches`` positions, one row per window).
    """
    K, B = int(n_batches), int(batch_size)
    if K == 0:
        return np.empty((0, B), dtype=np.int64)
    codes = np.asarray(codes, dtype=np.int64)
    n = codes.size
    group_rank = rng.permutation(int(codes.max()) + 1)
    order = np.lexsort((rng.random(n), group_rank[codes]))  # keys in random order, rows shuffled inside
    g = codes[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    occurrence = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    keep = occurrence < K
    seq, g = order[keep], g[keep]
    if seq.size < K * B:
        raise ValueError(f"cannot form {K} key-distinct batches of {B} from {n} rows")
    seq, g = seq[: K * B], g[: K * B]

    pos = np.arange(K * B)
    window = pos // K
    run_change = np.r_[True, g[1:] != g[:-1]]
    run_id = np.cumsum(run_change) - 1
    run_start = pos[run_change]
    run_end = np.r_[run_start[1:], K * B] - 1
    straddles = (run_start // K != run_end // K)[run_id]

    bins = pos % K
    inside = np.flatnonzero(~straddles)  # ascending, hence grouped by window
    shuffled = inside[np.lexsort((rng.random(inside.size), window[inside]))]
    bins[inside] = shuffled % K  # a random bijection inside each window
    return seq[np.lexsort((window, bins))].reshape(K, B)


def _round_half_up(x: float) -> int:
    return int(np.floor(x + 0.5))


def hybrid_batch_counts(mono_capacity: int, cross_capacity: int, alpha: float) -> tuple[int, int]:
    """(mono, X-Y) batches of one dataset's hybrid epoch: the largest N with both kinds available."""

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


class LanguageBatchSampler:
    """Framework-free batch sampler over one or several pair tables (see the module docstring).

    ``datasets``: one :class:`PairMeta` per dataset of the ConcatDataset, in its order (a mapping keeps
    insertion order, like a ``DatasetDict``). Yields lists of GLOBAL row indices (offset by each
    dataset's cumulative start). Usable directly as a ``torch`` ``DataLoader`` ``batch_sampler``.
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
        if sampler not in SAMPLERS:
            raise ValueError(f"unknown sampler {sampler!r}; valid names: {', '.join(SAMPLERS)}")
        if not (isinstance(alpha, int | float) and 0.0 <= float(alpha) <= 1.0):
            raise ValueError(f"alpha must be in [0, 1], got {alpha!r}")
        if cross_grouping not in CROSS_GROUPINGS:
            raise ValueError(f"cross_grouping must be one of {CROSS_GROUPINGS}, got {cross_grouping!r}")
        if not isinstance(batch_size, int | np.integer) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if not isinstance(seed, int | np.integer) or seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed!r}")
        if not isinstance(aux_every, int | np.integer) or aux_every < 0:
            raise ValueError(f"aux_every must be a non-negative int (0 = never), got {aux_every!r}")

        if isinstance(datasets, Mapping):
            names = [str(k) for k in datasets]
            metas = list(datasets.values())
        else:
            metas = list(datasets)
            names = [m.name or str(i) for i, m in enumerate(metas)]
        if not metas:
            raise ValueError("no datasets given")
        self.names = names
        self.metas = metas
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = True  # partial batches are never produced (module docstring)
        self.alpha = float(alpha)
        self.seed = int(seed)
        self.cross_grouping = cross_grouping
        self.epoch = 0
        self._use_cache: dict[tuple[int, int], list[np.ndarray]] = {}
        self.offsets = np.r_[0, np.cumsum([len(m) for m in metas])].astype(np.int64)

        self.aux_dataset = self._resolve_aux(aux_dataset)
        self.aux_every = int(aux_every)
        if self.aux_every and self.aux_dataset is None:
            raise ValueError("aux_every > 0 needs aux_dataset (index or name of the parallel dataset)")
        self.main_datasets = [d for d in range(len(metas)) if d != self.aux_dataset]
        if not self.main_datasets:
            raise ValueError("the only dataset is the auxiliary one; nothing to train on")

        self._mono: dict[int, dict[str, _Pool]] = {}
        self._cross: dict[int, dict[str, _Pool]] = {}
        self._counts: dict[int, tuple[int, int]] = {}  # dataset -> (mono batches, X-Y batches) per epoch
        for d in self.main_datasets:
            self._build_pools(d)
        self.batches_per_dataset = {self.names[d]: sum(self._counts[d]) for d in self.main_datasets}
        self.n_main = sum(self.batches_per_dataset.values())
        if self.n_main == 0:
            raise ValueError(self._no_batch_message())
        for d in self.main_datasets:
            if sum(self._counts[d]) == 0:
                warnings.warn(
                    f"dataset {self.names[d]!r} yields no {sampler} batch of size {self.batch_size}; skipped",
                    stacklevel=2,
                )

        self._aux_pool: _Pool | None = None
        if self.aux_dataset is not None and self.aux_every:
            self._aux_pool = self._make_pool(
                self.metas[self.aux_dataset], np.arange(len(self.metas[self.aux_dataset]))
            )
            if self._aux_pool.capacity == 0:
                raise ValueError(
                    f"auxiliary dataset {self.names[self.aux_dataset]!r} has fewer than batch_size="
                    f"{self.batch_size} distinct keys; lower batch_size or use a larger parallel set"
                )

    # -- construction -----------------------------------------------------------------------------------

    def _resolve_aux(self, aux: int | str | None) -> int | None:
        if aux is None:
            return None
        if isinstance(aux, str):
            if aux not in self.names:
                raise ValueError(f"aux_dataset {aux!r} is not one of the datasets {self.names}")
            return self.names.index(aux)
        if not 0 <= int(aux) < len(self.metas):
            raise ValueError(f"aux_dataset index {aux} out of range for {len(self.metas)} datasets")
        return int(aux)

    def _make_pool(self, meta: PairMeta, rows: np.ndarray) -> _Pool:
        _, codes = np.unique(meta.xid[rows], return_inverse=True)
        codes = codes.astype(np.int64)
        capacity = pool_capacity(np.bincount(codes), self.batch_size) if rows.size else 0
        return _Pool(rows.astype(np.int64), codes, capacity)

    def _build_pools(self, d: int) -> None:
        meta = self.metas[d]
        is_mono = meta.q_lang == meta.p_lang
        mono: dict[str, _Pool] = {}
        cross: dict[str, _Pool] = {}
        if self.sampler in ("monolingual", "hybrid"):
            for lang in np.unique(meta.q_lang[is_mono]):
                mono[str(lang)] = self._make_pool(meta, np.flatnonzero(is_mono & (meta.q_lang == lang)))
        elif self.sampler == "multilingual":
            mono[MIXED] = self._make_pool(meta, np.flatnonzero(is_mono))
        if self.sampler in ("crosslingual", "hybrid"):
            if self.cross_grouping == "mixed":
                cross[MIXED] = self._make_pool(meta, np.flatnonzero(~is_mono))
            else:
                pair_label = np.char.add(np.char.add(meta.q_lang, "->"), meta.p_lang)
                for label in np.unique(pair_label[~is_mono]):
                    cross[str(label)] = self._make_pool(
                        meta, np.flatnonzero(~is_mono & (pair_label == label))
                    )
        self._mono[d] = {k: p for k, p in mono.items() if p.capacity > 0}
        self._cross[d] = {k: p for k, p in cross.items() if p.capacity > 0}
        m = sum(p.capacity for p in self._mono[d].values())
        c = sum(p.capacity for p in self._cross[d].values())
        if self.sampler == "hybrid":
            if 0.0 < self.alpha < 1.0 and (m == 0 or c == 0):
                m, c = 0, 0  # a hybrid epoch needs both kinds; this dataset is skipped (warned)
            else:
                m, c = hybrid_batch_counts(m, c, self.alpha)
        self._counts[d] = (m, c)

    def _no_batch_message(self) -> str:
        B, s = self.batch_size, self.sampler
        n_mono = sum(int((self.metas[d].q_lang == self.metas[d].p_lang).sum()) for d in self.main_datasets)
        n_cross = sum(len(self.metas[d]) for d in self.main_datasets) - n_mono
        need_mono = s in ("monolingual", "multilingual") or (s == "hybrid" and self.alpha > 0)
        need_cross = s == "crosslingual" or (s == "hybrid" and self.alpha < 1)
        if need_mono and n_mono == 0:
            return (
                f"sampler {s!r} needs monolingual pairs (q_lang == p_lang), but there are none; "
                "build pairs with kinds including 'mono'"
            )
        if need_cross and n_cross == 0:
            return (
                f"sampler {s!r} needs cross-lingual pairs (q_lang != p_lang), but there are none; "
                "build pairs with kinds including 'cross' from a set whose questions exist in 2+ languages"
                + (" (or use alpha=1)" if s == "hybrid" else "")
            )
        largest = self._largest_pools()
        return (
            f"sampler {s!r} cannot form a single batch of batch_size={B}: every batch needs {B} distinct "
            f"question ids from one pool, and the largest pools have {largest}; lower batch_size"
            + (" or use cross_grouping='mixed'" if self.cross_grouping == "pair" and need_cross else "")
        )

    def _largest_pools(self) -> str:
        found: list[tuple[int, str]] = []
        for d in self.main_datasets:
            meta, where = self.metas[d], f"in {self.names[d]!r}"
            is_mono = meta.q_lang == meta.p_lang
            if self.sampler in ("monolingual", "hybrid"):
                for lang in np.unique(meta.q_lang[is_mono]):
                    n = len(np.unique(meta.xid[is_mono & (meta.q_lang == lang)]))
                    found.append((n, f"mono {lang} {where}"))
            if self.sampler == "multilingual":
                found.append((len(np.unique(meta.xid[is_mono])), f"mono mixed {where}"))
            if self.sampler in ("crosslingual", "hybrid"):
                found.append((len(np.unique(meta.xid[~is_mono])), f"X-Y mixed {where}"))
        best = sorted(found, reverse=True)[:3]
        return ", ".join(f"{n} ({label})" for n, label in best) or "no rows"

    # -- the stream -----------------------------------------------------------------------------------

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose window of the stream ``__iter__`` yields (the trainer calls this)."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.n_main + (self.n_main // self.aux_every if self._aux_pool is not None else 0)

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
        pos = np.arange(start, stop, dtype=np.int64)
        if self._aux_pool is None:
            return self._main_range(start, stop)
        k1 = self.aux_every + 1
        is_aux = (pos + 1) % k1 == 0  # one aux batch after every aux_every QA batches, globally
        n_aux_before = (pos + 1) // k1  # aux batches at positions <= pos
        main_idx, aux_idx = (pos - n_aux_before)[~is_aux], (n_aux_before - 1)[is_aux]
        n = pos.size
        batches = np.empty((n, self.batch_size), dtype=np.int64)
        dataset = np.full(n, self.aux_dataset, dtype=np.int64)
        kind = np.full(n, "aux", dtype=object)
        pool = np.full(n, MIXED, dtype=object)
        if main_idx.size:
            main = self._main_range(int(main_idx[0]), int(main_idx[-1]) + 1)
            batches[~is_aux], dataset[~is_aux] = main.batches, main.dataset
            kind[~is_aux], pool[~is_aux] = main.kind, main.pool
        if aux_idx.size:
            batches[is_aux] = self.offsets[self.aux_dataset] + self._stream_batches(
                self._aux_pool, (1, 0, 0, 0), int(aux_idx[0]), int(aux_idx[-1]) + 1
            )
        return EpochPlan(batches, dataset, kind, pool)

    def _rng(self, *key: int) -> np.random.Generator:
        # Fixed-length keys: numpy's SeedSequence ignores trailing zeros, so [s, a] == [s, a, 0].
        assert len(key) <= 6
        return np.random.default_rng([self.seed, *key, *([0] * (6 - len(key)))])

    def _stream_batches(self, pool: _Pool, key: tuple[int, ...], start: int, stop: int) -> np.ndarray:
        """Batches ``[start, stop)`` of a pool's endless stream: rounds of ``capacity`` key-distinct
        batches, round ``r`` built from its own RNG (a fresh reshuffle each time the pool runs out)."""
        K = pool.capacity
        if stop <= start:
            return np.empty((0, self.batch_size), dtype=np.int64)
        first, last = start // K, (stop - 1) // K
        rounds = [
            pool.rows[key_distinct_batches(pool.codes, K, self.batch_size, self._rng(_ROUND, *key, r))]
            for r in range(first, last + 1)
        ]
        return np.concatenate(rounds)[start - first * K : stop - first * K]

    def _pool_draws(self, d: int, kind: int, block: int) -> np.ndarray:
        """Pool index of each ``kind`` batch of dataset ``d`` in main block ``block`` (uniform draws)."""
        pools = (self._mono if kind == _MONO else self._cross)[d]
        count = self._counts[d][0 if kind == _MONO else 1]
        if len(pools) <= 1:
            return np.zeros(count, dtype=np.int64)
        return self._rng(_POOL, block, d, kind).integers(len(pools), size=count)

    def _pool_use_before(self, d: int, kind: int, block: int) -> np.ndarray:
        """Batches taken from each pool of ``(d, kind)`` in blocks ``< block`` (cached running sums)."""
        n_pools = len((self._mono if kind == _MONO else self._cross)[d])
        cum = self._use_cache.setdefault((d, kind), [np.zeros(n_pools, dtype=np.int64)])
        while len(cum) <= block:
            b = len(cum) - 1
            cum.append(cum[-1] + np.bincount(self._pool_draws(d, kind, b), minlength=n_pools))
        return cum[block]

    def _block_plan(self, block: int) -> EpochPlan:
        """Main block ``block``: ``n_main`` QA batches (each dataset's share and kind mix fixed)."""
        B = self.batch_size
        parts, kinds, pools = [], [], []
        for d in self.main_datasets:
            n_mono, n_cross = self._counts[d]
            n_d = n_mono + n_cross
            out = np.empty((n_d, B), dtype=np.int64)
            is_mono = np.zeros(n_d, dtype=bool)
            is_mono[:n_mono] = True
            if n_mono and n_cross:
                is_mono = self._rng(_KIND, block, d).permutation(is_mono)
            labels = np.empty(n_d, dtype=object)
            for kind, kind_mask, pools_d in (
                (_MONO, is_mono, self._mono[d]),
                (_CROSS, ~is_mono, self._cross[d]),
            ):
                slots = np.flatnonzero(kind_mask)
                if slots.size == 0:
                    continue
                which = self._pool_draws(d, kind, block)
                used = self._pool_use_before(d, kind, block)
                for i, (name, p) in enumerate(pools_d.items()):
                    sel = slots[which == i]
                    out[sel] = self.offsets[d] + self._stream_batches(
                        p, (0, d, kind, i), int(used[i]), int(used[i]) + sel.size
                    )
                    labels[sel] = name
            parts.append(out)
            kinds.append(np.where(is_mono, "mono", "cross").astype(object))
            pools.append(labels)

        sizes = [p.shape[0] for p in parts]
        order = self._rng(_ORDER, block).permutation(np.repeat(np.arange(len(parts)), sizes))
        take = np.empty(order.size, dtype=np.int64)
        starts = np.r_[0, np.cumsum(sizes)]
        for j in range(len(parts)):
            sel = order == j
            take[sel] = starts[j] + np.arange(sizes[j])
        ds = np.asarray(self.main_datasets, dtype=np.int64)
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
        seed = sampler_seed if sampler_seed is not None else (seed or 0)
        super().__init__(
            metas,
            sampler=sampler,
            batch_size=batch_size,
            alpha=alpha,
            seed=seed,
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
    ``seed=None`` uses the trainer's ``args.seed``. Names and ``alpha`` are validated here, the rest when
    the trainer builds its dataloader.
    """
    if sampler not in SAMPLERS:
        raise ValueError(f"unknown sampler {sampler!r}; valid names: {', '.join(SAMPLERS)}")
    if not 0.0 <= float(alpha) <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha!r}")
    return functools.partial(
        STLanguageBatchSampler,
        metas=metas,
        sampler=sampler,
        batch_size=batch_size,
        alpha=alpha,
        sampler_seed=seed,
        aux_dataset=aux_dataset,
        aux_every=aux_every,
        cross_grouping=cross_grouping,
    )
