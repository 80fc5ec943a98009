"""Pools: which rows may share a batch, and how many full key-distinct batches one pass over them makes.

Rows of one dataset are grouped into *pools* by :func:`pool_rows`, according to the sampler kind:

* ``monolingual`` / ``hybrid``: one pool per language of the mono pairs (``q_lang == p_lang``);
* ``multilingual``: one pool of all mono pairs, languages mixed (label :data:`MIXED`);
* ``crosslingual`` / ``hybrid``: the X-Y pairs (``q_lang != p_lang``), in one pool (``cross_grouping=
  "mixed"``, label :data:`MIXED`) or one per language pair (``"pair"``, label ``"q->p"``).

**No two rows of a batch share a key** (no false negatives: two translations of one question are each
other's positives). The key is ``PairMeta.xid``; :meth:`PairMeta.from_pairs` fills it with the pairs'
``group`` column (questions sharing an answer sentence) when present, else ``xid``. Keys are per dataset
(batches never span datasets, so equal ids in different datasets never meet).

**Capacity.** A pool whose keys have counts ``c_k`` yields ``K = max{K : Σ_k min(c_k, K) ≥ K·batch_size}``
full key-distinct batches per *pass* (:func:`pool_capacity`) — the maximum possible; the remaining rows
(fewer than a batch, or surplus copies of a key that occurs in more than ``K`` rows) sit out that pass.

**One pass** (:func:`key_distinct_batches`, vectorised numpy, ~O(n log n)): keys in random order with
their rows contiguous (each key truncated to ``K`` rows) are laid out in ``batch_size`` windows of ``K``
positions; batch ``j`` takes one row from each window (position ``j`` of the window, after a random
permutation of each window's rows whose key lies entirely inside the window; the ≤2 keys straddling a
window boundary keep the column layout, which already puts their rows in distinct batches). Rows of one
key land in distinct batches, and a row's batch-mates are drawn from all other windows afresh each pass;
which rows sit out changes every pass.

Everything here is a pure function of the rows and the parameters; the "no batch fits" diagnostics
(:func:`no_batch_message`) read the same :func:`pool_rows` as the sampler.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hybridlib.sampling.config import SamplerConfig

#: Pool label of a pool whose batches mix languages (multilingual, mixed X-Y, auxiliary).
MIXED = "*"
#: Kind codes (they enter the random-number keys of :mod:`hybridlib.sampling.schedule`).
MONO, CROSS = 0, 1


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


@dataclass
class Pool:
    """Rows that may share a batch, with their dense key codes and full batches per pass."""

    rows: np.ndarray  # dataset-local row indices
    codes: np.ndarray  # dense key codes of those rows
    capacity: int  # full key-distinct batches per pass


@dataclass(frozen=True)
class DatasetPools:
    """One dataset's usable pools (capacity > 0) by kind, each keyed by its label, in label order."""

    mono: dict[str, Pool]
    cross: dict[str, Pool]

    def of_kind(self, kind: int) -> dict[str, Pool]:
        return self.mono if kind == MONO else self.cross

    def capacity(self, kind: int) -> int:
        """Full batches of one pass over every pool of ``kind``."""
        return sum(p.capacity for p in self.of_kind(kind).values())


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


def pool_rows(meta: PairMeta, sampler: str, cross_grouping: str) -> list[tuple[int, str, np.ndarray]]:
    """``(kind, label, rows)`` of every pool of ``meta`` for ``sampler`` (see the module docstring):
    mono pools first, each kind in label order."""
    is_mono = meta.q_lang == meta.p_lang
    found: list[tuple[int, str, np.ndarray]] = []
    if sampler in ("monolingual", "hybrid"):
        for lang in np.unique(meta.q_lang[is_mono]):
            found.append((MONO, str(lang), np.flatnonzero(is_mono & (meta.q_lang == lang))))
    elif sampler == "multilingual":
        found.append((MONO, MIXED, np.flatnonzero(is_mono)))
    if sampler in ("crosslingual", "hybrid"):
        if cross_grouping == "mixed":
            found.append((CROSS, MIXED, np.flatnonzero(~is_mono)))
        else:
            pair_label = np.char.add(np.char.add(meta.q_lang, "->"), meta.p_lang)
            for label in np.unique(pair_label[~is_mono]):
                found.append((CROSS, str(label), np.flatnonzero(~is_mono & (pair_label == label))))
    return found


def make_pool(meta: PairMeta, rows: np.ndarray, batch_size: int) -> Pool:
    """The pool of ``meta``'s ``rows``: their key codes and capacity."""
    _, codes = np.unique(meta.xid[rows], return_inverse=True)
    codes = codes.astype(np.int64)
    capacity = pool_capacity(np.bincount(codes), batch_size) if rows.size else 0
    return Pool(rows.astype(np.int64), codes, capacity)


def dataset_pools(meta: PairMeta, config: SamplerConfig) -> DatasetPools:
    """The usable pools of one dataset (those that make at least one full batch)."""
    by_kind: dict[int, dict[str, Pool]] = {MONO: {}, CROSS: {}}
    for kind, label, rows in pool_rows(meta, config.sampler, config.cross_grouping):
        pool = make_pool(meta, rows, config.batch_size)
        if pool.capacity > 0:
            by_kind[kind][label] = pool
    return DatasetPools(mono=by_kind[MONO], cross=by_kind[CROSS])


# -- "no batch fits" diagnostics ------------------------------------------------------------------------


def no_batch_message(metas: Sequence[PairMeta], names: Sequence[str], config: SamplerConfig) -> str:
    """Why ``config.sampler`` forms no batch at all from ``metas`` (the main datasets), and what to do."""
    B, s, alpha = config.batch_size, config.sampler, config.alpha
    n_mono = sum(int((m.q_lang == m.p_lang).sum()) for m in metas)
    n_cross = sum(len(m) for m in metas) - n_mono
    need_mono = s in ("monolingual", "multilingual") or (s == "hybrid" and alpha > 0)
    need_cross = s == "crosslingual" or (s == "hybrid" and alpha < 1)
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
    return (
        f"sampler {s!r} cannot form a single batch of batch_size={B}: every batch needs {B} distinct "
        f"question ids from one pool, and the largest pools have {largest_pools(metas, names, s)}; "
        "lower batch_size"
        + (" or use cross_grouping='mixed'" if config.cross_grouping == "pair" and need_cross else "")
    )


def largest_pools(metas: Sequence[PairMeta], names: Sequence[str], sampler: str) -> str:
    """The three pools with the most distinct keys, e.g. ``"300 (X-Y mixed in 'mlqa'), 142 (…)"``.

    X-Y pools are counted mixed whatever the grouping: the mixed pool is the largest X-Y pool a batch can
    draw from (the message then suggests ``cross_grouping='mixed'``).
    """
    found: list[tuple[int, str]] = []
    for meta, name in zip(metas, names, strict=True):
        for kind, label, rows in pool_rows(meta, sampler, "mixed"):
            what = ("mono " if kind == MONO else "X-Y ") + ("mixed" if label == MIXED else label)
            found.append((len(np.unique(meta.xid[rows])), f"{what} in {name!r}"))
    best = sorted(found, reverse=True)[:3]
    return ", ".join(f"{n} ({label})" for n, label in best) or "no rows"
