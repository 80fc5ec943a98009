"""Language-aware batch samplers: invariants over thousands of seeded batches, epochs, aux, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybridlib.params import SAMPLERS
from hybridlib.sampling.pools import key_distinct_batches, pool_capacity
from hybridlib.sampling.sampler import LanguageBatchSampler, PairMeta, make_st_batch_sampler
from hybridlib.sampling.schedule import hybrid_batch_counts

LANGS7 = ["ar", "de", "en", "es", "hi", "vi", "zh"]


def mlqa_like(n_questions: int, langs=LANGS7, k_range=(2, 4), seed: int = 0, name: str = "") -> PairMeta:
    """All mono and cross pairs of questions that exist in k ∈ k_range languages (as build_pairs makes)."""
    rng = np.random.default_rng(seed)
    present = [
        rng.choice(langs, size=int(rng.integers(k_range[0], k_range[1] + 1)), replace=False)
        for _ in range(n_questions)
    ]
    return all_pairs(present, name)


def all_pairs(present: list, name: str) -> PairMeta:
    """Every (query, passage) language pair of each question ``x`` in its languages ``present[x]``."""
    rows = [(f"x{x}", a, b) for x, langs in enumerate(present) for a in langs for b in langs]
    xid, q, p = zip(*rows, strict=True)
    return PairMeta(np.array(xid), np.array(q), np.array(p), name)


def parallel(n: int, name: str = "aux") -> PairMeta:
    return PairMeta(np.array([f"p{i // 2}" for i in range(n)]), np.full(n, "en"), np.full(n, "de"), name)


@pytest.fixture(scope="module")
def two_sets() -> list[PairMeta]:
    return [mlqa_like(600, seed=1, name="mlqa"), mlqa_like(200, langs=LANGS7[:4], k_range=(4, 4), name="xq")]


def stream(s: LanguageBatchSampler, epochs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    plans = [s.epoch_plan(e) for e in epochs]
    return (
        np.concatenate([p.batches for p in plans]),
        np.concatenate([p.dataset for p in plans]),
        np.concatenate([p.kind for p in plans]),
    )


def meta_of(metas, offsets, batch):
    """(dataset, xid, q_lang, p_lang) of global row indices, looked up independently of the sampler."""
    d = np.searchsorted(offsets, batch, side="right") - 1
    assert (d == d[0]).all(), "a batch spans datasets"
    m, local = metas[d[0]], batch - offsets[d[0]]
    return d[0], m.xid[local], m.q_lang[local], m.p_lang[local]


def check_common(s: LanguageBatchSampler, metas, batches):
    offsets = np.r_[0, np.cumsum([len(m) for m in metas])]
    out = []
    for b in batches:
        assert len(b) == s.batch_size
        d, xid, q, p = meta_of(metas, offsets, b)
        assert len(set(xid)) == len(xid), "duplicate key in a batch"
        out.append((d, q, p))
    return out


@pytest.mark.parametrize("grouping", ["mixed", "pair"])
def test_hybrid_invariants_over_thousands_of_batches(two_sets, grouping):
    s = LanguageBatchSampler(
        two_sets, sampler="hybrid", batch_size=8, alpha=0.3, seed=5, cross_grouping=grouping
    )
    batches, _, kinds = stream(s, range(8))
    assert len(batches) > 2000
    n_mono = 0
    for (_, q, p), kind in zip(check_common(s, two_sets, batches), kinds, strict=True):
        if (q == p).all():
            assert len(set(q)) == 1 and kind == "mono"  # X-X-mono: one language
            n_mono += 1
        else:
            assert (q != p).all() and kind == "cross"  # X-Y: never q == p
            if grouping == "pair":
                assert len(set(q)) == 1 and len(set(p)) == 1
    n = len(batches)
    assert abs(n_mono - 0.3 * n) <= 4 * np.sqrt(n * 0.3 * 0.7)
    for e in range(3):  # the kinds are interleaved through the epoch, not blocked
        head = s.epoch_plan(e).kind[: len(s) // 4]
        assert abs((head == "mono").mean() - 0.3) <= 4 * np.sqrt(0.3 * 0.7 / head.size)
    if grouping == "mixed":  # mixed X-Y batches really mix language pairs
        cross = [
            len(set(zip(q, p, strict=True)))
            for (d, q, p), k in zip(check_common(s, two_sets, batches[:200]), kinds[:200], strict=True)
            if k == "cross"
        ]
        assert np.mean(np.array(cross) >= 2) > 0.9


def test_dataset_proportions(two_sets):
    s = LanguageBatchSampler(two_sets, sampler="crosslingual", batch_size=8, seed=0)
    _, datasets, _ = stream(s, range(4))
    cross_rows = np.array([(m.q_lang != m.p_lang).sum() for m in two_sets])
    share = cross_rows[0] / cross_rows.sum()
    n = len(datasets)
    assert abs((datasets == 0).mean() - share) < 0.02
    # the interleaving is random: dataset 1's batches are not all at the end or start
    first_half = datasets[: n // 8]
    assert 0 < (first_half == 1).mean() < 1
    assert s.batches_per_dataset == {
        "mlqa": int((datasets == 0).sum()) // 4,
        "xq": int((datasets == 1).sum()) // 4,
    }


def unequal_mlqa(n_questions: int, seed: int = 0, name: str = "") -> PairMeta:
    """MLQA-R-like: every question in English, each other language with its own probability, so the
    mono pools are very unequal (en ≈ 3-4x the others), and all mono + cross pairs of each question."""
    share = {"ar": 0.35, "de": 0.25, "es": 0.3, "hi": 0.3, "vi": 0.35, "zh": 0.3}
    rng = np.random.default_rng(seed)
    present = [["en"] + [lang for lang, s in share.items() if rng.random() < s] for _ in range(n_questions)]
    return all_pairs(present, name)


def longest_run(values: np.ndarray) -> int:
    change = np.flatnonzero(np.r_[True, values[1:] != values[:-1], True])
    return int(np.diff(change).max())


@pytest.mark.parametrize(("sampler", "alpha"), [("monolingual", 0.5), ("hybrid", 0.5), ("hybrid", 0.3)])
def test_mono_language_drawn_uniformly_at_every_step(sampler, alpha):
    meta = unequal_mlqa(1200, seed=3)
    is_mono = meta.q_lang == meta.p_lang
    langs, sizes = np.unique(meta.q_lang[is_mono], return_counts=True)
    assert sizes.max() / sizes.min() > 2.5  # really unequal pools (en largest)
    s = LanguageBatchSampler([meta], sampler=sampler, alpha=alpha, batch_size=8, seed=4)
    plans = [s.epoch_plan(e) for e in range(20)]
    batches = np.concatenate([p.batches for p in plans])
    mono = np.concatenate([p.kind for p in plans]) == "mono"
    pool = np.concatenate([p.pool for p in plans])[mono]
    assert mono.sum() > 2500
    # every mono batch: one language (the pool's), distinct keys, exactly batch_size rows
    for b, lang in zip(batches[mono], pool, strict=True):
        assert b.size == 8 and set(meta.q_lang[b]) == {lang} and (meta.p_lang[b] == lang).all()
        assert len(set(meta.xid[b])) == 8
    shares = pd.Series(pool).value_counts(normalize=True)
    assert set(shares.index) == set(langs)
    assert (abs(shares - 1 / len(langs)) < 0.02).all(), shares.to_dict()
    # no tail of single-language batches: the end of every epoch still draws every language ...
    for p in plans:
        tail = p.pool[p.kind == "mono"]
        assert set(tail[-len(tail) // 10 :]) == set(langs)
    # ... and no run of one language longer than uniform draws make plausible (P < 1e-5)
    assert longest_run(pool) <= 12
    # each language's stream is a sequence of reshuffled passes: no row repeats within a pass
    for lang in langs:
        rows = batches[mono][pool == lang]
        K = s.pools[0].mono[str(lang)].capacity
        for r in range(0, len(rows) - K + 1, K):
            assert len(np.unique(rows[r : r + K])) == K * 8
        if len(rows) >= 2 * K:  # the next pass is reshuffled, not a replay
            assert not np.array_equal(rows[:K], rows[K : 2 * K])


@pytest.mark.parametrize("grouping", ["mixed", "pair"])
def test_hybrid_alpha_endpoints_are_the_mono_and_cross_samplers(two_sets, grouping):
    aux = parallel(300)
    for extra in ({}, {"aux_dataset": "aux", "aux_every": 3}):
        metas = [*two_sets, aux] if extra else two_sets
        kw = {"batch_size": 8, "seed": 11, "cross_grouping": grouping, **extra}
        for alpha, other in ((1.0, "monolingual"), (0.0, "crosslingual")):
            h = LanguageBatchSampler(metas, sampler="hybrid", alpha=alpha, **kw)
            o = LanguageBatchSampler(metas, sampler=other, **kw)
            assert len(h) == len(o)
            for e in (0, 1, 4):
                a, b = h.epoch_plan(e), o.epoch_plan(e)
                np.testing.assert_array_equal(a.batches, b.batches)
                assert list(a.pool) == list(b.pool) and list(a.kind) == list(b.kind)


def test_multilingual_mixes_languages(two_sets):
    s = LanguageBatchSampler(two_sets, sampler="multilingual", batch_size=8, seed=0)
    batches, _, kinds = stream(s, range(3))
    info = check_common(s, two_sets, batches)
    assert all((q == p).all() for _, q, p in info)
    assert (kinds == "mono").all()
    assert np.mean([len(set(q)) >= 2 for _, q, _ in info]) > 0.95


def test_every_row_used_at_most_once_per_epoch(two_sets):
    # single-pool kinds: an epoch is one pass over the pool (mono languages / X-Y language pairs are
    # drawn uniformly instead, so small pools repeat within an epoch: see the test above)
    for name in ("crosslingual", "multilingual"):
        s = LanguageBatchSampler(two_sets, sampler=name, batch_size=16, seed=2)
        for e in (0, 1):
            b = s.epoch_plan(e).batches
            assert len(np.unique(b)) == b.size
        assert len(s) == len(b) == len(list(iter(s)))
    for name in SAMPLERS:
        s = LanguageBatchSampler(two_sets, sampler=name, batch_size=16, seed=2)
        assert len(s) == len(s.epoch_plan(3).batches) == len(list(iter(s)))


def test_determinism_and_epochs(two_sets):
    make = lambda seed: LanguageBatchSampler(two_sets, sampler="hybrid", batch_size=8, seed=seed)  # noqa: E731
    a, b, c = make(1), make(1), make(2)
    assert list(a) == list(b)
    assert list(a) != list(c)
    e0 = list(a)
    a.set_epoch(1)
    e1 = list(a)
    assert e1 != e0 and len(e1) == len(e0)
    a.set_epoch(0)
    assert list(a) == e0  # replay (resumed run)
    b.set_epoch(1)
    assert list(b) == e1
    # seed/epoch do not alias (seed 1 epoch 0 vs seed 0 epoch 1)
    d = make(0)
    d.set_epoch(1)
    assert list(d) != e0


def test_aux_interleave_keeps_main_stream(two_sets):
    aux = parallel(300)
    plain = LanguageBatchSampler(two_sets, sampler="hybrid", batch_size=8, seed=3)
    with_aux = LanguageBatchSampler(
        [*two_sets, aux], sampler="hybrid", batch_size=8, seed=3, aux_dataset="aux", aux_every=3
    )
    assert plain.n_main % 3 != 0  # epochs do not hold a whole number of aux periods
    assert len(with_aux) == len(plain) + len(plain) // 3
    aux_lo = sum(len(m) for m in two_sets)
    n_epochs = 4
    mixed = [b for e in range(n_epochs) for b in with_aux.epoch_plan(e).batches.tolist()]
    qa_plain = [b for e in range(n_epochs) for b in plain.epoch_plan(e).batches.tolist()]
    is_aux = np.array([min(b) >= aux_lo for b in mixed])
    # one aux batch after every 3 QA batches of the whole stream, across epoch boundaries
    assert (is_aux == (np.arange(len(mixed)) % 4 == 3)).all()
    qa = [b for b, x in zip(mixed, is_aux, strict=True) if not x]
    assert qa == qa_plain[: len(qa)]  # the same QA batches as without the aux dataset
    for b in (b for b, x in zip(mixed, is_aux, strict=True) if x):
        assert len(set(aux.xid[np.array(b) - aux_lo])) == len(b)  # pair_id distinct
    # a run of T = M + M // 3 batches holds exactly M QA and M // 3 aux batches, whatever M
    for M in (1, 5, len(plain) - 1, len(plain) + 7, 2 * len(plain) + 2):
        T = M + M // 3
        assert (~is_aux[:T]).sum() == M and is_aux[:T].sum() == M // 3
    plan = with_aux.epoch_plan(0)
    assert set(plan.kind[plan.dataset == 2]) == {"aux"}
    # aux_every=0 never inserts; the aux dataset is still excluded from the main schedule
    never = LanguageBatchSampler([*two_sets, aux], sampler="hybrid", batch_size=8, seed=3, aux_dataset=2)
    plain.set_epoch(0)
    assert list(never) == list(plain)


def test_key_distinct_batches_reach_capacity():
    rng = np.random.default_rng(0)
    for trial in range(200):
        counts = rng.integers(1, rng.integers(2, 40), size=rng.integers(2, 60))
        codes = np.repeat(np.arange(counts.size), counts)
        B = int(rng.integers(1, counts.size + 1))
        K = pool_capacity(np.bincount(codes), B)
        assert K * B <= codes.size and K == max(
            k for k in range(codes.size // B + 1) if np.minimum(counts, k).sum() >= k * B
        )
        out = key_distinct_batches(codes, K, B, np.random.default_rng(trial))
        assert out.shape == (K, B) and len(np.unique(out)) == out.size
        assert all(len(set(codes[r])) == B for r in out)


def test_batch_mates_vary_across_epochs():
    # 110 rows per key (XQuAD-R X-Y): a key's batch-mates must not be the same few keys all epoch
    codes = np.repeat(np.arange(200), 110)
    out = key_distinct_batches(codes, pool_capacity(np.bincount(codes), 16), 16, np.random.default_rng(0))
    mates = {int(c) for row in out if 7 in codes[row] for c in codes[row]}
    assert len(mates) > 150


def test_hybrid_batch_counts():
    assert hybrid_batch_counts(10, 100, 0.5) == (10, 10)
    assert hybrid_batch_counts(100, 10, 0.5) == (11, 10)  # round(10.5) = 11 mono
    assert hybrid_batch_counts(3, 100, 0.5) == (3, 3)
    assert hybrid_batch_counts(10, 100, 1.0) == (10, 0)
    assert hybrid_batch_counts(10, 100, 0.0) == (0, 100)
    m, c = hybrid_batch_counts(50, 1000, 0.2)
    assert m <= 50 and abs(m - 0.2 * (m + c)) <= 0.5


def test_alpha_extremes(two_sets):
    for alpha, kind in ((1.0, "mono"), (0.0, "cross")):
        s = LanguageBatchSampler(two_sets, sampler="hybrid", batch_size=8, alpha=alpha)
        assert set(s.epoch_plan(0).kind) == {kind}


def test_errors(two_sets):
    with pytest.raises(ValueError, match=", ".join(SAMPLERS)):  # every valid name, listed
        LanguageBatchSampler(two_sets, sampler="mixed", batch_size=8)
    for alpha in (-0.1, 1.5):
        with pytest.raises(ValueError, match="alpha"):
            LanguageBatchSampler(two_sets, sampler="hybrid", batch_size=8, alpha=alpha)
    mono_only = [PairMeta(np.array(["a", "b"] * 20), np.array(["en"] * 40), np.array(["en"] * 40))]
    with pytest.raises(ValueError, match=r"cross-lingual pairs.*kinds including 'cross'"):
        LanguageBatchSampler(mono_only, sampler="crosslingual", batch_size=2)
    with pytest.raises(ValueError, match="cross-lingual"):
        LanguageBatchSampler(mono_only, sampler="hybrid", batch_size=2)
    with pytest.raises(ValueError, match=r"batch_size=3.*lower batch_size"):
        LanguageBatchSampler(mono_only, sampler="monolingual", batch_size=3)
    with pytest.raises(ValueError, match="lower batch_size"):
        LanguageBatchSampler(two_sets, sampler="monolingual", batch_size=10_000)
    with pytest.raises(ValueError, match="aux_dataset"):
        LanguageBatchSampler(two_sets, sampler="hybrid", batch_size=8, aux_every=2)
    with pytest.raises(ValueError, match="aux_dataset"):
        LanguageBatchSampler(two_sets, sampler="hybrid", batch_size=8, aux_dataset="nope", aux_every=2)
    with pytest.raises(ValueError, match="unknown sampler"):
        make_st_batch_sampler(two_sets, sampler="xx")
    with pytest.raises(ValueError, match="equal length"):
        PairMeta(np.array(["a"]), np.array(["en", "de"]), np.array(["en"]))


def test_from_pairs_uses_group_key():
    pairs = pd.DataFrame(
        {"xid": ["x1", "x2"], "group": ["x1", "x1"], "q_lang": ["en", "en"], "p_lang": ["en", "de"]}
    )
    assert PairMeta.from_pairs(pairs).xid.tolist() == ["x1", "x1"]
    assert PairMeta.from_pairs(pairs.drop(columns="group")).xid.tolist() == ["x1", "x2"]


def test_every_sampler_yields_its_stated_number_of_batches_on_20k_rows():
    """An MLQA-R-sized set (~20k pairs): each sampler yields exactly ``len(sampler)`` batches. (No wall
    time is asserted: timings flake on a shared machine.)"""
    meta = mlqa_like(2200, seed=0)  # ~20k pairs
    assert 18_000 < len(meta) < 26_000
    for name in SAMPLERS:
        s = LanguageBatchSampler([meta], sampler=name, batch_size=32, seed=0)
        batches = list(s)
        assert len(batches) == len(s), name


# -- sentence-transformers 6.2 integration (real trainer, tiny StaticEmbedding model, nothing downloaded) --


def _st_setup(tmp_path, sampler: str, max_steps: int):
    datasets = pytest.importorskip("datasets")
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    from tokenizers import Tokenizer, models, pre_tokenizers

    def table(meta: PairMeta, tag: str) -> pd.DataFrame:  # texts encode the row's metadata
        return pd.DataFrame(
            {
                "query": [f"{tag} {x} {q}" for x, q in zip(meta.xid, meta.q_lang, strict=True)],
                "positive": [f"{tag} {x} {p}" for x, p in zip(meta.xid, meta.p_lang, strict=True)],
            }
        )

    metas = {
        "mlqa": mlqa_like(60, seed=1),
        "xq": mlqa_like(30, langs=LANGS7[:4], k_range=(4, 4)),
        "aux": parallel(40),
    }
    frames = {name: table(m, name) for name, m in metas.items()}
    words = sorted({w for f in frames.values() for col in f for t in f[col] for w in t.split()})
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(["[UNK]", *words])}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    model = SentenceTransformer(modules=[StaticEmbedding(tok, embedding_dim=8)], device="cpu")
    train = datasets.DatasetDict({k: datasets.Dataset.from_pandas(f) for k, f in frames.items()})
    args = SentenceTransformerTrainingArguments(
        output_dir=str(tmp_path),
        per_device_train_batch_size=4,
        max_steps=max_steps,
        seed=7,
        report_to="none",
        save_strategy="no",
        logging_strategy="no",
        dataloader_pin_memory=False,
        multi_dataset_batch_sampler=make_st_batch_sampler(
            metas, sampler=sampler, aux_dataset="aux", aux_every=2
        ),
    )
    trainer = SentenceTransformerTrainer(
        model=model, args=args, train_dataset=train, loss=MultipleNegativesRankingLoss(model)
    )
    return trainer, metas


def test_sentence_transformers_trainer_uses_our_batches(tmp_path):
    trainer, metas = _st_setup(tmp_path, "hybrid", max_steps=2)
    loader = trainer.get_train_dataloader()
    ours = loader.batch_sampler
    ours = getattr(ours, "batch_sampler", ours) if not isinstance(ours, LanguageBatchSampler) else ours
    assert isinstance(ours, LanguageBatchSampler)
    assert ours.batch_size == 4 and ours.seed == 7 and len(loader) == len(ours)
    concat = loader.dataset
    names, offsets = list(metas), [0, *concat.cumulative_sizes]
    for batch in list(ours)[:60]:
        rows = [concat[i] for i in batch]
        tags = {r["query"].split()[0] for r in rows}
        assert len(tags) == 1  # one dataset per batch
        (tag,) = tags
        meta, local = metas[tag], np.array(batch) - offsets[names.index(tag)]
        for r, i in zip(rows, local, strict=True):  # the indices point at the rows the metadata describes
            assert r["query"] == f"{tag} {meta.xid[i]} {meta.q_lang[i]}"
        q = [r["query"].split()[2] for r in rows]
        p = [r["positive"].split()[2] for r in rows]
        if tag != "aux":
            assert (len(set(q)) == 1 and q == p) or all(a != b for a, b in zip(q, p, strict=True))
    trainer.args.max_steps = len(ours) + 2  # cross into the second epoch
    trainer.train()  # the trainer iterates the sampler, calls set_epoch, collates and steps
    assert trainer.state.global_step == len(ours) + 2
    used = trainer._train_dataloader.batch_sampler
    used = used if isinstance(used, LanguageBatchSampler) else used.batch_sampler
    assert used.epoch == 1  # set_epoch reached our sampler


def test_sentence_transformers_mismatched_metadata_fails(tmp_path):
    trainer, metas = _st_setup(tmp_path, "monolingual", max_steps=1)
    trainer.args.multi_dataset_batch_sampler = make_st_batch_sampler(
        {"mlqa": metas["mlqa"], "aux": metas["aux"]}, sampler="monolingual"
    )
    with pytest.raises(ValueError, match="same order"):
        trainer.get_train_dataloader()
