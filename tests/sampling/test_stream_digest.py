"""The exact batch stream of several configurations, pinned by sha256 digests.

The digests were computed by the sampler as it stood before it was split into config / pools / schedule
modules (one 657-line ``sampler.py``); any change to which rows go into which batch, in which order,
with which kind / pool label, changes them. A deliberate change of the stream must update them (and
says so in its commit): the default run's results depend on this stream.
"""

from __future__ import annotations

import hashlib
import warnings

import numpy as np
import pytest

from hybridlib.sampling.sampler import LanguageBatchSampler, PairMeta, make_st_batch_sampler

LANGS = ["ar", "de", "en", "es", "hi", "vi", "zh"]


def synthetic(n_questions: int, langs: list[str], seed: int, name: str, mono_only: bool = False) -> PairMeta:
    """All mono (and, unless ``mono_only``, cross) pairs of questions present in 2-4 of ``langs``."""
    rng = np.random.default_rng(seed)
    xid, q, p = [], [], []
    for x in range(n_questions):
        present = rng.choice(langs, size=int(rng.integers(2, min(4, len(langs)) + 1)), replace=False)
        for a in present:
            for b in present:
                if mono_only and a != b:
                    continue
                xid.append(f"{name}{x}")
                q.append(a)
                p.append(b)
    return PairMeta(np.array(xid), np.array(q), np.array(p), name)


def parallel(n: int, name: str = "aux") -> PairMeta:
    return PairMeta(np.array([f"p{i // 2}" for i in range(n)]), np.full(n, "en"), np.full(n, "de"), name)


MLQA = synthetic(300, LANGS, seed=1, name="mlqa")
XQ = synthetic(120, LANGS[:4], seed=2, name="xq")
MONO = synthetic(80, LANGS[:3], seed=3, name="mono", mono_only=True)
AUX = parallel(90)

# name -> (datasets, keyword arguments)
CONFIGS = {
    "monolingual": ([MLQA], {"sampler": "monolingual", "batch_size": 8, "seed": 5}),
    "crosslingual-mixed": ([MLQA], {"sampler": "crosslingual", "batch_size": 8, "seed": 5}),
    "crosslingual-pair": (
        [MLQA],
        {"sampler": "crosslingual", "batch_size": 4, "seed": 5, "cross_grouping": "pair"},
    ),
    "multilingual": ([MLQA, XQ], {"sampler": "multilingual", "batch_size": 8, "seed": 6}),
    "hybrid-0.3": ([MLQA], {"sampler": "hybrid", "alpha": 0.3, "batch_size": 8, "seed": 7}),
    "hybrid-0.5-two-datasets": ([MLQA, XQ], {"sampler": "hybrid", "alpha": 0.5, "batch_size": 8, "seed": 7}),
    "hybrid-0.5-pair": (
        [MLQA, XQ],
        {"sampler": "hybrid", "alpha": 0.5, "batch_size": 4, "seed": 8, "cross_grouping": "pair"},
    ),
    "hybrid-0.3-aux": (
        [MLQA, XQ, AUX],
        {"sampler": "hybrid", "alpha": 0.3, "batch_size": 8, "seed": 9, "aux_dataset": "aux", "aux_every": 3},
    ),
    "monolingual-aux-index": (
        [MLQA, AUX],
        {"sampler": "monolingual", "batch_size": 8, "seed": 9, "aux_dataset": 1, "aux_every": 5},
    ),
    "hybrid-0.5-skips-mono-only": (
        [MLQA, MONO],
        {"sampler": "hybrid", "alpha": 0.5, "batch_size": 8, "seed": 10},
    ),
}

DIGESTS = {
    "monolingual": "97d75a249c45607a4c7178ff08fc714c4ff410dbd8ab2e81e130f89cf864eb0c",
    "crosslingual-mixed": "08c410d7553648828998b66968f59691b024c7c15ce515e0ade684f426f99388",
    "crosslingual-pair": "6970d4b3d57eccf7bcdf5c4655cef5ff6364d0836531b65a0c445e78280868bb",
    "multilingual": "f6aea7fef009a246b793bafc7c029aaa133664a52d041e1ffbb90980ff42327c",
    "hybrid-0.3": "b1babc94db1bcc0d28b4003ab9c07ed98f18db7a624ae7e1fe07d1e2312c487e",
    "hybrid-0.5-two-datasets": "2f6d08a8f82775a08e4c5c9de997f72e87a8eb52cc993b4c330ea7f580213c68",
    "hybrid-0.5-pair": "57c70faa2d38f7eff39132480383d380c00c5ad125ef096e449f5110ef7f6eb1",
    "hybrid-0.3-aux": "6335e6087679d4a0ea9cff02be7af98b46a21c48f1bc6a1b406fe79460bbaef5",
    "monolingual-aux-index": "bc56a2f4e229da37e5ac5b1aa6acf63930caab07545828e730a73501df62d691",
    "hybrid-0.5-skips-mono-only": "8eb7fd938c4c9a3f9eb442597a59dfbda101e5cbb4cbfc6445642d1af3fb1dee",
}


def stream_digest(s: LanguageBatchSampler) -> str:
    """sha256 of ``len``, the per-dataset batch counts and positions ``[0, 3·len + 7)`` of the stream."""
    n = len(s)
    plan = s.stream_plan(0, 3 * n + 7)
    h = hashlib.sha256()
    h.update(repr((n, sorted(s.batches_per_dataset.items()))).encode())
    h.update(np.ascontiguousarray(plan.batches, dtype=np.int64).tobytes())
    h.update(np.ascontiguousarray(plan.dataset, dtype=np.int64).tobytes())
    h.update("|".join(map(str, plan.kind)).encode())
    h.update("|".join(map(str, plan.pool)).encode())
    return h.hexdigest()


def build(name: str) -> LanguageBatchSampler:
    metas, kwargs = CONFIGS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return LanguageBatchSampler(metas, **kwargs)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_stream_is_unchanged(name):
    s = build(name)
    assert stream_digest(s) == DIGESTS[name]
    # epochs are windows of the same stream, and iteration yields the current epoch's window
    n = len(s)
    np.testing.assert_array_equal(s.epoch_plan(2).batches, s.stream_plan(2 * n, 3 * n).batches)
    s.set_epoch(1)
    assert list(s) == s.stream_plan(n, 2 * n).batches.tolist()


class _Sized:
    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n


class _Concat:  # what the trainer passes: ConcatDataset(train_dataset.values())
    def __init__(self, sizes: list[int]) -> None:
        self.datasets = [_Sized(n) for n in sizes]


class _Child:
    batch_size = 8


def test_st_adapter_stream_is_unchanged():
    metas = {"mlqa": MLQA, "xq": XQ, "aux": AUX}
    factory = make_st_batch_sampler(metas, sampler="hybrid", alpha=0.3, aux_dataset="aux", aux_every=3)
    s = factory(_Concat([len(m) for m in metas.values()]), batch_samplers=[_Child()] * 3, seed=9)
    assert stream_digest(s) == DIGESTS["hybrid-0.3-aux"]  # the same stream as the direct constructor


def test_no_batch_messages_are_unchanged():
    mono_only = [PairMeta(np.array(["a", "b"] * 20), np.array(["en"] * 40), np.array(["en"] * 40))]
    cross_only = [PairMeta(np.array(["a", "b"] * 20), np.array(["en"] * 40), np.array(["de"] * 40))]
    cases = [
        (mono_only, {"sampler": "crosslingual", "batch_size": 2}),
        (mono_only, {"sampler": "hybrid", "batch_size": 2}),
        (cross_only, {"sampler": "monolingual", "batch_size": 2}),
        (mono_only, {"sampler": "monolingual", "batch_size": 3}),
        ([MLQA, XQ], {"sampler": "hybrid", "batch_size": 10_000}),
        ([MLQA, XQ], {"sampler": "multilingual", "batch_size": 10_000}),
        ([MLQA], {"sampler": "crosslingual", "batch_size": 10_000, "cross_grouping": "pair"}),
    ]
    messages = []
    for metas, kwargs in cases:
        with pytest.raises(ValueError) as err:
            LanguageBatchSampler(metas, **kwargs)
        messages.append(str(err.value))
    assert messages == NO_BATCH_MESSAGES


def test_skipped_dataset_warning_is_unchanged():
    metas, kwargs = CONFIGS["hybrid-0.5-skips-mono-only"]
    with pytest.warns(UserWarning) as record:
        LanguageBatchSampler(metas, **kwargs)
    assert [str(w.message) for w in record] == ["dataset 'mono' yields no hybrid batch of size 8; skipped"]


NO_BATCH_MESSAGES = [
    (
        "sampler 'crosslingual' needs cross-lingual pairs (q_lang != p_lang), but there are none; "
        "build pairs with kinds including 'cross' from a set whose questions exist in 2+ languages"
    ),
    (
        "sampler 'hybrid' needs cross-lingual pairs (q_lang != p_lang), but there are none; build "
        "pairs with kinds including 'cross' from a set whose questions exist in 2+ languages (or "
        "use alpha=1)"
    ),
    (
        "sampler 'monolingual' needs monolingual pairs (q_lang == p_lang), but there are none; "
        "build pairs with kinds including 'mono'"
    ),
    (
        "sampler 'monolingual' cannot form a single batch of batch_size=3: every batch needs 3 "
        "distinct question ids from one pool, and the largest pools have 2 (mono en in '0'); lower "
        "batch_size"
    ),
    (
        "sampler 'hybrid' cannot form a single batch of batch_size=10000: every batch needs 10000 "
        "distinct question ids from one pool, and the largest pools have 300 (X-Y mixed in 'mlqa'),"
        " 142 (mono es in 'mlqa'), 138 (mono hi in 'mlqa'); lower batch_size"
    ),
    (
        "sampler 'multilingual' cannot form a single batch of batch_size=10000: every batch needs "
        "10000 distinct question ids from one pool, and the largest pools have 300 (mono mixed in "
        "'mlqa'), 120 (mono mixed in 'xq'); lower batch_size"
    ),
    (
        "sampler 'crosslingual' cannot form a single batch of batch_size=10000: every batch needs "
        "10000 distinct question ids from one pool, and the largest pools have 300 (X-Y mixed in "
        "'mlqa'); lower batch_size or use cross_grouping='mixed'"
    ),
]
