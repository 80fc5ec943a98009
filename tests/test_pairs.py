"""Pair construction on synthetic MLQA-R-like (partially parallel) and XQuAD-R-like (fully parallel) sets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybridlib.data.schema import RetrievalSet
from hybridlib.pairs import build_pairs, pair_counts, training_frame

LANGS7 = ["ar", "de", "en", "es", "hi", "vi", "zh"]


def make_set(
    n_questions: int = 60, langs=LANGS7, k_range=(2, 4), seed: int = 0, fillers: int = 1
) -> RetrievalSet:
    """Question x exists in k ∈ k_range languages; its answer sentence ``"{l} answer {x}"`` sits in
    paragraph ``{l}/{x // 2}`` (two questions per paragraph) with ``fillers`` filler sentences."""
    rng = np.random.default_rng(seed)
    present = {}
    for x in range(n_questions):
        k = int(rng.integers(k_range[0], k_range[1] + 1))
        present[x] = sorted(rng.choice(langs, size=k, replace=False).tolist())
    crows, cid = [], {}
    for lang in langs:
        xs = [x for x in range(n_questions) if lang in present[x]]
        for x in xs:
            cid[(x, lang)] = f"{lang}/{len(crows)}"
            crows.append((cid[(x, lang)], lang, f"{lang} answer {x}", f"{lang}/{x // 2}"))
        for p in sorted({x // 2 for x in xs}):
            for f in range(fillers):
                crows.append((f"{lang}/{len(crows)}", lang, f"{lang} filler {p}.{f}", f"{lang}/{p}"))
    qrows = [
        (f"{lang}/x{x}", f"x{x}", lang, f"{lang} question {x}", tuple(cid[(x, m)] for m in present[x]))
        for lang in langs
        for x in range(n_questions)
        if lang in present[x]
    ]
    questions = pd.DataFrame(qrows, columns=["qid", "xid", "lang", "text", "gold"])
    candidates = pd.DataFrame(crows, columns=["cid", "lang", "text", "paragraph"])
    return RetrievalSet("synthetic", questions, candidates)


@pytest.fixture(scope="module")
def rset() -> RetrievalSet:
    return make_set()


def _answer_of(text: str) -> tuple[str, str]:
    lang, _, x = text.split(" ")
    return lang, f"x{x}"


def test_counts_and_links(rset):
    pairs = build_pairs(rset)
    n_langs = rset.questions.groupby("xid")["lang"].nunique()
    assert (pairs["kind"] == "mono").sum() == len(rset.questions)
    assert (pairs["kind"] == "cross").sum() == int((n_langs * (n_langs - 1)).sum())
    for row in pairs.itertuples():
        p_lang, x = _answer_of(row.positive)
        assert (p_lang, x) == (row.p_lang, row.xid)  # positive = same question's gold, passage language
        assert row.query == f"{row.q_lang} question {row.xid[1:]}"
        assert row.kind == ("mono" if row.q_lang == row.p_lang else "cross")
    assert list(pairs.columns) == ["xid", "group", "q_lang", "p_lang", "pid", "query", "positive", "kind"]
    assert (pairs["group"] == pairs["xid"]).all()  # no shared answers here


def test_fully_parallel_set_gives_all_language_pairs():
    langs = [f"l{i:02d}" for i in range(11)]
    pairs = build_pairs(make_set(20, langs=langs, k_range=(11, 11)))
    counts = pair_counts(pairs)
    assert counts.shape == (11, 11) and (counts.to_numpy() == 20).all()


def test_kinds_and_language_filters(rset):
    mono = build_pairs(rset, kinds=("mono",))
    cross = build_pairs(rset, kinds="cross")
    assert (mono["q_lang"] == mono["p_lang"]).all() and (cross["q_lang"] != cross["p_lang"]).all()
    both = build_pairs(rset)
    assert len(mono) + len(cross) == len(both)
    sub = build_pairs(rset, query_languages=["de", "en"], passage_languages=["zh"])
    assert set(sub["q_lang"]) == {"de", "en"} and set(sub["p_lang"]) == {"zh"}
    assert len(sub) == ((both["q_lang"].isin(["de", "en"])) & (both["p_lang"] == "zh")).sum()
    with pytest.raises(ValueError, match=r"'fr'.*available: \['ar', 'de'"):
        build_pairs(rset, query_languages=["fr", "en"])
    with pytest.raises(ValueError, match="passage language"):
        build_pairs(rset, passage_languages="xx")
    with pytest.raises(ValueError, match="kinds"):
        build_pairs(rset, kinds=("mono", "bilingual"))


def test_deterministic_order(rset):
    a, b = build_pairs(rset, hard_negatives=True), build_pairs(rset, hard_negatives=True)
    pd.testing.assert_frame_equal(a, b)
    # questions in table order, golds in tuple order
    first_q = rset.questions.iloc[0]
    head = a[a["xid"] == first_q["xid"]].head(len(first_q["gold"]))
    assert head["pid"].tolist() == list(first_q["gold"])


def test_hard_negatives(rset):
    pairs = build_pairs(rset, hard_negatives=True, seed=3)
    cands = rset.candidates.set_index("text")
    assert list(pairs.columns)[-2:] == ["negative", "kind"]
    for row in pairs.itertuples():
        neg = cands.loc[row.negative]
        pos = rset.candidates.set_index("cid").loc[row.pid]
        assert neg["lang"] == row.p_lang
        assert neg["paragraph"] == pos["paragraph"]  # every paragraph has a filler here
        assert row.negative != row.positive
        assert not row.negative.endswith(f"answer {row.xid[1:]}")
    # the same pair gets the same negative whatever the filters
    sub = build_pairs(rset, hard_negatives=True, seed=3, kinds=("cross",), query_languages=["en"])
    merged = sub.merge(pairs, on=["xid", "q_lang", "p_lang"], suffixes=("", "_all"))
    assert len(merged) == len(sub) and (merged["negative"] == merged["negative_all"]).all()
    other = build_pairs(rset, hard_negatives=True, seed=4)
    assert (other["negative"] != pairs["negative"]).any()


def test_hard_negative_fallback_when_paragraph_has_no_other_sentence():
    rset = make_set(9, fillers=0)  # question 8 is alone in paragraph 4 in every language
    pairs = build_pairs(rset, hard_negatives=True)
    by_text = rset.candidates.set_index("text")
    lonely = pairs[pairs["xid"] == "x8"]
    assert len(lonely) > 0
    for row in lonely.itertuples():
        neg = by_text.loc[row.negative]
        assert neg["lang"] == row.p_lang and neg["paragraph"] != f"{row.p_lang}/4"


def test_shared_answer_merges_groups(rset):
    qs = rset.questions.copy()
    # make x1 also answered by x0's sentences: both positives would be identical texts
    x0_gold = qs.loc[qs["xid"] == "x0", "gold"].iloc[0]
    qs["gold"] = [g + x0_gold if x == "x1" else g for x, g in zip(qs["xid"], qs["gold"], strict=True)]
    pairs = build_pairs(RetrievalSet("shared", qs, rset.candidates))
    assert set(pairs.loc[pairs["xid"].isin(["x0", "x1"]), "group"]) == {"x0"}
    rest = pairs[~pairs["xid"].isin(["x0", "x1"])]
    assert (rest["group"] == rest["xid"]).all()


def test_missing_gold_raises(rset):
    qs = rset.questions.copy()
    qs.loc[0, "gold"] = ("zz/404",)
    with pytest.raises(ValueError, match="zz/404"):
        build_pairs(RetrievalSet("broken", qs, rset.candidates))


def test_pair_counts_and_training_frame(rset):
    pairs = build_pairs(rset, hard_negatives=True)
    counts = pair_counts(pairs)
    assert list(counts.index) == sorted(LANGS7) == list(counts.columns)
    ref = pairs.groupby(["q_lang", "p_lang"]).size()
    for (q, p), n in ref.items():
        assert counts.loc[q, p] == n
    assert counts.to_numpy().sum() == len(pairs)
    frame = training_frame(pairs)
    assert list(frame.columns) == ["query", "positive", "negative"]
    assert frame["query"].tolist() == pairs["query"].tolist()
    assert list(training_frame(build_pairs(rset)).columns) == ["query", "positive"]
