"""Loaders: published counts on the real data, exact gold logic on hand-made files, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from hybridlib.config import DataFolderError
from hybridlib.data import lareqa, leakage, loaders, parallel
from hybridlib.data.files import DatasetFormatError
from hybridlib.data.languages import ISO639_3_TO_1, LANGUAGE_NAMES, check_languages, language_name, to_iso1
from hybridlib.data.schema import CANDIDATE_COLUMNS, PARALLEL_COLUMNS, QUESTION_COLUMNS
from hybridlib.data.tydi import load_tydiqa_goldp

XQUAD_CANDIDATES = {
    "ar": 1222, "de": 1276, "el": 1234, "en": 1180, "es": 1215, "hi": 1244,
    "ru": 1219, "th": 852, "tr": 1167, "vi": 1209, "zh": 1196,
}  # fmt: skip
MLQA_QUESTIONS = {"ar": 517, "de": 512, "en": 1148, "es": 500, "hi": 507, "vi": 511, "zh": 504}
MLQA_CANDIDATES = {"ar": 2545, "de": 2362, "en": 6264, "es": 1787, "hi": 2426, "vi": 2828, "zh": 2322}
TYDI_DEV_QUESTIONS = {
    "ar": 921, "bn": 113, "en": 440, "fi": 782, "id": 565, "ko": 276, "ru": 812, "sw": 499, "te": 669,
}  # fmt: skip
# distinct gold passages (context texts) per language, TyDi QA GoldP v1.1 dev
TYDI_DEV_CANDIDATES = {
    "ar": 842, "bn": 105, "en": 429, "fi": 634, "id": 514, "ko": 228, "ru": 778, "sw": 357, "te": 601,
}  # fmt: skip


@pytest.fixture(scope="module")
def root(data_root) -> Path:
    return data_root


@pytest.fixture(scope="module")
def xquad(root):
    return lareqa.load_xquad_r()


@pytest.fixture(scope="module")
def mlqa(root):
    return lareqa.load_mlqa_r()


@pytest.fixture(scope="module")
def tydi(root):
    return load_tydiqa_goldp("dev")


def _counts(df: pd.DataFrame) -> dict[str, int]:
    return {str(k): int(v) for k, v in df.groupby("lang").size().items()}


def _check_schema(rset) -> None:
    assert tuple(rset.questions.columns) == QUESTION_COLUMNS
    assert tuple(rset.candidates.columns) == CANDIDATE_COLUMNS
    assert rset.questions["qid"].is_unique and rset.candidates["cid"].is_unique
    assert (rset.questions["qid"] == rset.questions["lang"] + "/" + rset.questions["xid"]).all()
    cids = set(rset.candidates["cid"])
    assert all(g and set(g) <= cids for g in rset.questions["gold"])
    assert all(isinstance(g, tuple) for g in rset.questions["gold"])
    # the first gold is the question's own-language one
    assert all(
        g[0].split("/")[0] == lang
        for g, lang in zip(rset.questions["gold"], rset.questions["lang"], strict=True)
    )


# ---------------------------------------------------------------------------------------------- real data


def test_xquad_r_published_counts_and_11_way_golds(xquad):
    _check_schema(xquad)
    assert _counts(xquad.questions) == dict.fromkeys(XQUAD_CANDIDATES, 1190)
    assert _counts(xquad.candidates) == XQUAD_CANDIDATES
    langs = sorted(XQUAD_CANDIDATES)
    assert all(sorted(c.split("/")[0] for c in g) == langs for g in xquad.questions["gold"])
    # golds in other languages are exactly the own golds of the same xid there
    own = {(lang, x): g[0] for lang, x, g in xquad.questions[["lang", "xid", "gold"]].itertuples(index=False)}
    for x, g in xquad.questions[["xid", "gold"]].itertuples(index=False):
        assert {c.split("/")[0]: c for c in g} == {o: own[(o, x)] for o in langs}


@pytest.mark.parametrize("name", ["xquad-r", "mlqa-r"])
def test_own_gold_sentence_holds_the_answer(name, root, xquad, mlqa):
    """An off-by-one in span lookup would break this for most questions; ~1% of answers cross a break."""
    rset = xquad if name == "xquad-r" else mlqa
    text = dict(zip(rset.candidates["cid"], rset.candidates["text"], strict=True))
    for lang in ("en", "de", "zh"):
        raw = json.loads((root / name / f"{lang}.json").read_text(encoding="utf-8"))
        answer = {
            qa["id"]: qa["answers"][0]["text"]
            for art in raw["data"]
            for p in art["paragraphs"]
            for qa in p["qas"]
        }
        q = rset.questions[rset.questions["lang"] == lang]
        hits = sum(answer[x] in text[g[0]] for x, g in zip(q["xid"], q["gold"], strict=True))
        assert hits / len(q) > 0.98, (name, lang, hits, len(q))


def test_mlqa_r_published_counts_and_2_to_4_golds(mlqa):
    _check_schema(mlqa)
    assert _counts(mlqa.questions) == MLQA_QUESTIONS
    assert _counts(mlqa.candidates) == MLQA_CANDIDATES
    n_langs = mlqa.questions.groupby("xid")["lang"].nunique()
    n_gold = mlqa.questions.set_index("qid")["gold"].map(len)
    assert n_gold.between(2, 4).all()
    # every question has a gold in each language its xid exists in, and nowhere else
    for x, g in mlqa.questions[["xid", "gold"]].itertuples(index=False):
        assert len(g) == n_langs[x]
    assert int(n_gold.sum()) == int((n_langs**2).sum())


def test_language_subset_keeps_ids_and_restricts_golds(xquad):
    sub = lareqa.load_xquad_r(languages=["de", "en"])
    assert sub.languages == ["de", "en"]
    assert all(len(g) == 2 for g in sub.questions["gold"])
    full = xquad.candidates[xquad.candidates["lang"].isin(["de", "en"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(sub.candidates, full)  # cids do not depend on what else was loaded
    assert lareqa.load_xquad_r(languages="en").languages == ["en"]  # a bare string is one language


def test_text_dedup_is_optional_and_remaps_golds(xquad):
    """Merging identical texts does NOT reproduce LAReQA's counts (so it is off by default)."""
    dd = lareqa.load_xquad_r(dedup_text=True)
    _check_schema(dd)
    counts = _counts(dd.candidates)
    assert counts["ar"] == 1220 and counts["zh"] == 1192 and counts["tr"] == 1166
    assert counts["de"] == XQUAD_CANDIDATES["de"]
    for lang in ("ar", "zh", "tr"):
        assert dd.candidates[dd.candidates["lang"] == lang]["text"].is_unique
    # the Turkish question whose gold sentence has a twin elsewhere now points at the survivor
    full_text = dict(zip(xquad.candidates["cid"], xquad.candidates["text"], strict=True))
    dd_text = dict(zip(dd.candidates["cid"], dd.candidates["text"], strict=True))
    for (g_full,), (g_dd,) in zip(
        xquad.questions.loc[xquad.questions["lang"] == "tr", "gold"].map(lambda g: g[:1]),
        dd.questions.loc[dd.questions["lang"] == "tr", "gold"].map(lambda g: g[:1]),
        strict=True,
    ):
        assert full_text[g_full] == dd_text[g_dd]


def test_tydiqa_goldp_dev_counts(tydi):
    _check_schema(tydi)
    assert tydi.name == "tydiqa-goldp"
    assert _counts(tydi.questions) == TYDI_DEV_QUESTIONS and len(tydi.questions) == 5077
    assert _counts(tydi.candidates) == TYDI_DEV_CANDIDATES and len(tydi.candidates) == 4488
    assert (tydi.questions["gold"].map(len) == 1).all()
    assert tydi.candidates.groupby("lang")["text"].apply(lambda s: s.is_unique).all()
    assert tydi.questions["xid"].str.split("-").str[0].isin(["arabic", "bengali", "english"]).any()


def test_tydiqa_goldp_train_in_mirror_and_missing_language(root):
    train = load_tydiqa_goldp("train")
    assert train.name == "tydiqa-goldp-train"
    assert _counts(train.questions) == {"en": 3696, "ko": 1625, "sw": 2755}
    assert _counts(train.candidates) == {"en": 3429, "ko": 1269, "sw": 1687}
    assert loaders.available_languages("tydiqa-goldp", split="train") == ["en", "ko", "sw"]
    with pytest.raises(DataFolderError, match=r"train/ar\.json.*hybridlib\.download"):
        load_tydiqa_goldp("train", languages=["ar"])
    with pytest.raises(ValueError, match="split 'test'"):
        load_tydiqa_goldp("test")


def test_tatoeba_codes_and_alignment(root):
    tat = parallel.load_tatoeba(["de", "ara", "gsw", "cmn"])
    assert tuple(tat.pairs.columns) == PARALLEL_COLUMNS
    assert _counts(tat.pairs.rename(columns={"src_lang": "lang"})) == {
        "ar": 1000,
        "de": 1000,
        "gsw": 117,  # low-resource pairs are shorter than 1000 lines
        "zh": 1000,
    }
    assert (tat.pairs["tgt_lang"] == "en").all() and tat.pairs["pair_id"].is_unique
    first = (root / "tatoeba" / "tatoeba.deu-eng.deu").read_text(encoding="utf-8").split("\n")[0].strip()
    first_en = (root / "tatoeba" / "tatoeba.deu-eng.eng").read_text(encoding="utf-8").split("\n")[0].strip()
    row = tat.pairs[tat.pairs["pair_id"] == "de-en/0"].iloc[0]
    assert (row["src"], row["tgt"]) == (first, first_en)
    every = loaders.available_languages("tatoeba")
    assert len(every) == 112 and len(set(every)) == 112  # the 639-3 → 639-1 mapping never merges two files
    assert {"sw", "ja", "fa", "ms", "yue", "wuu"} <= set(every)
    with pytest.raises(ValueError, match=r"unknown language 'xx' for Tatoeba; available: af, am, ang"):
        parallel.load_tatoeba(["xx"])


def test_xor_tydi_excluding_tydi_dev_questions(tydi):
    xor = parallel.load_xor_tydi_translations()
    assert _counts(xor.pairs.rename(columns={"src_lang": "lang"})) == {
        "ar": 4648, "bn": 4687, "fi": 4638, "ja": 4700, "ko": 4697, "ru": 4745, "te": 4761,
    }  # fmt: skip
    raw_ar = parallel.load_xor_tydi_translations(["ar"], drop_empty=False)
    assert len(raw_ar.pairs) == 4649  # one upstream line has an empty English side
    clean = parallel.load_xor_tydi_translations(exclude_questions=tydi.questions["text"])
    dropped = xor.pairs[~xor.pairs["pair_id"].isin(clean.pairs["pair_id"])]
    # 10 TyDi dev questions (bn 4, ko 6) occur in trans_data; one bn question is translated twice
    assert dropped["src"].nunique() == 10
    assert dropped.groupby("src_lang")["src"].nunique().to_dict() == {"bn": 4, "ko": 6}
    assert len(dropped) == 11
    assert set(dropped["src"]) <= {t.strip() for t in tydi.questions["text"]}
    # The general check (both sides, normalised) also drops 4 pairs whose English translation is an
    # English dev question (fi 1, ja 1, ru 2): 15 in all.
    conv = leakage.tydi_dev_overlap_free_translations()
    gone = xor.pairs[~xor.pairs["pair_id"].isin(conv.pairs["pair_id"])]
    assert len(gone) == 15 and set(dropped["pair_id"]) <= set(gone["pair_id"])
    extra = gone[~gone["pair_id"].isin(dropped["pair_id"])]
    assert extra["src_lang"].value_counts().to_dict() == {"ru": 2, "fi": 1, "ja": 1}
    assert "Who is the Mayor of Los Angeles?" in set(extra["tgt"])
    assert set(extra["tgt"].str.casefold()) <= set(tydi.questions["text"].str.strip().str.casefold())


def test_normalize_question():
    assert (
        leakage.normalize_question("  Who  is\tX?\n")
        == leakage.normalize_question("who is x?")
        == "who is x?"
    )
    assert leakage.normalize_question("ＡＢＣ") == "abc"  # NFKC: full-width letters
    assert leakage.normalize_question("Straße") == leakage.normalize_question("STRASSE")  # casefold


def test_planted_evaluation_questions_are_dropped_from_alignment_pairs(xquad, tydi):
    xq = xquad.questions.set_index("qid")["text"]
    ty = tydi.questions.set_index("qid")["text"]
    xid = xquad.questions["xid"].iloc[5]
    pairs = pd.DataFrame(
        {
            "pair_id": ["clean", "src-xquad", "tgt-tydi", "tgt-xquad-de", "both"],
            "src_lang": ["de", "en", "ko", "en", "ar"],
            "src": ["Ein ganz neuer Satz.", "  " + xq.iloc[0].upper() + " ", "무엇?", "Hi", ty.iloc[0]],
            "tgt_lang": ["en"] * 5,
            "tgt": ["A brand new sentence.", "x", ty.iloc[-1].lower(), xq["de/" + xid], "Hi"],
        }
    )  # fmt: skip
    kept, dropped = leakage.without_evaluation_questions(pairs, ["xquad-r", "tydiqa-goldp"])
    assert list(kept["pair_id"]) == ["clean"]
    assert list(dropped["pair_id"]) == ["src-xquad", "tgt-tydi", "tgt-xquad-de", "both"]
    # Only the named evaluation sets count; texts given directly count as well.
    kept, dropped = leakage.without_evaluation_questions(
        pairs, ["tydiqa-goldp"], questions=["a BRAND new sentence."]
    )
    assert list(dropped["pair_id"]) == ["clean", "tgt-tydi", "both"]


def test_registry_and_summary(xquad, tydi):
    assert set(loaders.RETRIEVAL_SETS) == {"xquad-r", "mlqa-r", "tydiqa-goldp"}
    assert set(loaders.PARALLEL_SETS) == {"tatoeba", "xor-tydi", "ntrex"}
    en = loaders.load_retrieval_set("xquad_r", languages=["en"])
    assert len(en.questions) == 1190 and en.name == "xquad-r"
    assert len(loaders.load_parallel_set("xor-tydi", languages=["fi"]).pairs) == 4638
    with pytest.raises(ValueError, match="unknown retrieval set 'squad'; valid names: xquad-r, mlqa-r"):
        loaders.load_retrieval_set("squad")
    with pytest.raises(ValueError, match="valid names: tatoeba, xor-tydi, ntrex"):
        loaders.load_parallel_set("xquad-r")
    assert loaders.available_languages("mlqa-r") == sorted(MLQA_QUESTIONS)
    table = loaders.summarize(xquad)
    assert list(table.columns) == ["questions", "candidates", "golds_per_question"]
    assert table.loc["th", "candidates"] == 852 and table.loc["all", "questions"] == 11 * 1190
    assert table.loc["all", "golds_per_question"] == 11.0
    assert loaders.summarize(tydi).loc["bn"].tolist() == [113, 105, 1.0]
    assert loaders.summarize(parallel.load_tatoeba(["de"])).loc["de", "pairs"] == 1000


def test_returned_tables_are_private_copies(xquad):
    a = lareqa.load_xquad_r(languages=["en"])
    a.questions.loc[0, "text"] = "mutated"
    a.candidates.loc[0, "text"] = "mutated"
    a.questions.at[1, "gold"] = ()
    b = lareqa.load_xquad_r(languages=["en"])
    assert b.questions.loc[0, "text"] != "mutated" and b.candidates.loc[0, "text"] != "mutated"
    assert len(b.questions.loc[1, "gold"]) == 1


# ---------------------------------------------------------------------------------------------- hand-made


def _squad(paragraphs: list[dict]) -> dict:
    return {"version": "1.1", "data": [{"title": "t", "paragraphs": paragraphs}]}


def _para(sentences: list[str], qas: list[tuple[str, str, int]]) -> dict:
    breaks, pos = [], 0
    for s in sentences:
        breaks.append([pos, pos + len(s)])
        pos += len(s) + 1
    return {
        "context": " ".join(sentences),
        "sentences": sentences,
        "sentence_breaks": breaks,
        "qas": [{"id": i, "question": q, "answers": [{"answer_start": s, "text": "x"}]} for i, q, s in qas],
    }


@pytest.fixture()
def tiny(tmp_path: Path) -> Path:
    """Two languages; q2 exists only in en; 'Same.' occurs twice in en (two paragraphs)."""
    en = _squad(
        [
            _para(["Alpha one.", "Beta two."], [("q1", "Which beta?", 11)]),  # 11 = start of "Beta two."
            _para(["Same.", "Gamma."], [("q2", "Which gamma?", 6)]),
            _para(["Same."], [("q3", "Same?", 0)]),
        ]
    )
    de = _squad(
        [
            _para(["Alpha eins.", "Beta zwei."], [("q1", "Welches Beta?", 12)]),
            _para(["Gleich."], [("q3", "Gleich?", 0)]),
        ]
    )
    folder = tmp_path / "xquad-r"
    folder.mkdir()
    (folder / "en.json").write_text(json.dumps(en), encoding="utf-8")
    (folder / "de.json").write_text(json.dumps(de), encoding="utf-8")
    return tmp_path


def test_gold_rules_on_a_hand_made_set(tiny):
    rs = lareqa.load_xquad_r(tiny)
    assert rs.languages == ["de", "en"]  # None = every language file present
    assert rs.candidates["cid"].tolist() == ["de/0", "de/1", "de/2", "en/0", "en/1", "en/2", "en/3", "en/4"]
    assert rs.candidates["paragraph"].tolist() == [
        "de/0",
        "de/0",
        "de/1",
        "en/0",
        "en/0",
        "en/1",
        "en/1",
        "en/2",
    ]
    gold = dict(zip(rs.questions["qid"], rs.questions["gold"], strict=True))
    assert gold == {
        "de/q1": ("de/1", "en/1"),
        "de/q3": ("de/2", "en/4"),
        "en/q1": ("en/1", "de/1"),
        "en/q2": ("en/3",),
        "en/q3": ("en/4", "de/2"),
    }
    dd = lareqa.load_xquad_r(tiny, dedup_text=True)
    assert _counts(dd.candidates) == {"de": 3, "en": 4}
    gold = dict(zip(dd.questions["qid"], dd.questions["gold"], strict=True))
    assert gold["en/q3"] == ("en/2", "de/2")  # the second "Same." was merged into the first
    assert loaders.summarize(rs).loc["en"].tolist() == [3, 5, pytest.approx(5 / 3)]


def test_cache_sees_rewritten_files(tiny):
    assert len(lareqa.load_xquad_r(tiny, ["de"]).candidates) == 3
    path = tiny / "xquad-r" / "de.json"
    path.write_text(json.dumps(_squad([_para(["Eins."], [("q1", "?", 0)])])), encoding="utf-8")
    assert len(lareqa.load_xquad_r(tiny, ["de"]).candidates) == 1


# ---------------------------------------------------------------------------------------------- bad input


def test_missing_folders_and_files_name_the_path_and_the_fix(tmp_path, tiny):
    with pytest.raises(DataFolderError, match="No dataset folder found"):
        lareqa.load_xquad_r(tmp_path / "nowhere")
    with pytest.raises(
        DataFolderError, match=r"mlqa-r.*does not exist.*HYBRIDLIB_DATA.*hybridlib\.download mlqa-r"
    ):
        lareqa.load_mlqa_r(tiny)
    with pytest.raises(DataFolderError, match=r"xquad-r/el\.json for language 'el' does not exist"):
        lareqa.load_xquad_r(tiny, ["el"])
    (tmp_path / "empty" / "xquad-r").mkdir(parents=True)
    with pytest.raises(DataFolderError, match="no language file found"):
        lareqa.load_xquad_r(tmp_path / "empty")


def test_unknown_language_lists_the_available_ones(tiny):
    with pytest.raises(
        ValueError,
        match=r"unknown language 'xx' for XQuAD-R; available: ar, de, el, en, es, hi, ru, th, tr, vi, zh",
    ):
        lareqa.load_xquad_r(tiny, ["en", "xx"])
    with pytest.raises(ValueError, match="unknown language 'bn' for MLQA-R"):
        lareqa.load_mlqa_r(tiny, ["bn"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid UTF-8 JSON"),
        ('{"data": 3}', "expected SQuAD format"),
        (
            json.dumps(_squad([{k: v for k, v in _para(["A."], []).items() if k != "sentences"}])),
            "lacks 'sentences'",
        ),
        (json.dumps(_squad([{**_para(["A.", "B."], []), "sentence_breaks": [[0, 2]]}])), "2 sentences but 1"),
        (
            json.dumps(_squad([_para(["A.", "B."], [("q", "?", 2)])])),
            "answer_start 2 lies outside every sentence",
        ),
        (json.dumps(_squad([_para(["A."], [("q", "?", 0), ("q", "?", 0)])])), "'q' occurs twice"),
        (
            json.dumps(_squad([{**_para(["A."], []), "qas": [{"id": "q", "question": "?", "answers": []}]}])),
            "no answer",
        ),
    ],
)
def test_malformed_lareqa_files_raise_format_errors(tmp_path, content, message):
    (tmp_path / "xquad-r").mkdir()
    bad = tmp_path / "xquad-r" / "en.json"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(DatasetFormatError, match=message) as err:
        lareqa.load_xquad_r(tmp_path)
    assert str(bad.resolve()) in str(err.value)
    assert isinstance(err.value, ValueError)


def test_misaligned_parallel_files_raise(tmp_path):
    folder = tmp_path / "xor-tydi" / "trans_data" / "fi-en"
    folder.mkdir(parents=True)
    (folder / "fi.txt").write_text("a\nb\nc\n", encoding="utf-8")
    (folder / "en.txt").write_text("A\nB\n", encoding="utf-8")
    with pytest.raises(DatasetFormatError, match=r"fi\.txt has 3 lines but .*en\.txt has 2"):
        parallel.load_xor_tydi_translations(data_dir=tmp_path)
    (folder / "en.txt").write_text("A\n\nC", encoding="utf-8")  # no final newline; empty middle line
    pairs = parallel.load_xor_tydi_translations(data_dir=tmp_path).pairs
    assert pairs["pair_id"].tolist() == ["fi-en/0", "fi-en/2"] and pairs["tgt"].tolist() == ["A", "C"]
    tat = tmp_path / "tatoeba"
    tat.mkdir()
    (tat / "tatoeba.deu-eng.deu").write_text("x\ny\n", encoding="utf-8")
    (tat / "tatoeba.deu-eng.eng").write_text("x\n", encoding="utf-8")
    with pytest.raises(DatasetFormatError, match="line-aligned"):
        parallel.load_tatoeba(data_dir=tmp_path)


# ---------------------------------------------------------------------------------------------- languages


def test_language_helpers():
    assert (
        to_iso1("deu") == "de"
        and to_iso1("swh") == "sw"
        and to_iso1("cmn") == "zh"
        and to_iso1("gsw") == "gsw"
    )
    assert to_iso1("EN") == "en"
    assert language_name("ell") == "Greek" and language_name("xx") == "xx"
    assert set(ISO639_3_TO_1.values()) <= set(LANGUAGE_NAMES)
    assert check_languages(None, ["a", "b"], "X") == ("a", "b")
    assert check_languages(["b", "a", "b"], ["a", "b"], "X") == ("a", "b")
    with pytest.raises(ValueError, match="unknown languages 'c', 'd' for X; available: a, b"):
        check_languages(["c", "a", "d"], ["a", "b"], "X")
    with pytest.raises(ValueError, match="no language requested"):
        check_languages([], ["a"], "X")


def _check_parallel_subset(full, sub) -> None:
    full_gold = dict(zip(full.questions["qid"], full.questions["gold"], strict=True))
    pool = set(sub.candidates["cid"])
    for qid, gold in zip(sub.questions["qid"], sub.questions["gold"], strict=True):
        assert gold == full_gold[qid]  # every gold, in every language, kept
        assert set(gold) <= pool
    kept = set(sub.questions["xid"])
    for lang, xids in full.questions.groupby("lang")["xid"]:
        assert set(sub.questions.loc[sub.questions["lang"] == lang, "xid"]) == set(xids) & kept
    # Whole paragraphs, in file order.
    assert (
        set(full.candidates.loc[full.candidates["paragraph"].isin(set(sub.candidates["paragraph"])), "cid"])
        == pool
    )
    assert sub.candidates["cid"].tolist() == [c for c in full.candidates["cid"] if c in pool]


def test_mlqa_r_subset_keeps_whole_question_groups(mlqa):
    sub = lareqa.first_paragraphs(mlqa, 20)
    _check_parallel_subset(mlqa, sub)
    assert sub.questions["xid"].nunique() == 91 and len(sub.questions) == 337
    assert len(sub.candidates) == 1637 and set(sub.questions["lang"]) == set(mlqa.languages)
    # Every language's first 20 paragraphs are in the pool.
    first = lareqa.first_paragraphs(mlqa, 20).candidates["paragraph"]
    assert all(f"{x}/{i}" in set(first) for x in mlqa.languages for i in range(20))
    assert lareqa.first_paragraphs(mlqa, None) is mlqa


def test_xquad_r_subset_is_the_first_paragraphs_of_every_language(xquad):
    sub = lareqa.first_paragraphs(xquad, 20)
    _check_parallel_subset(xquad, sub)
    assert (sub.questions.groupby("lang").size() == 135).all() and len(sub.candidates) == 915
    assert set(sub.candidates["paragraph"].str.rsplit("/", n=1).str[-1].astype(int)) == set(range(20))
    # the default's pool (README "Default scale"): 40 paragraphs, 225 questions per language
    default = lareqa.first_paragraphs(xquad, 40)
    assert (default.questions.groupby("lang").size() == 225).all() and len(default.candidates) == 1656


def test_evaluation_uses_the_parallel_subset(mlqa):
    from hybridlib.evaluation.run import evaluation_sets
    from hybridlib.params import validate

    params = validate({"train_sets": ["xquad-r"], "eval_sets": ["mlqa-r"], "eval_max_paragraphs": 20})
    _check_parallel_subset(mlqa, evaluation_sets(params)["mlqa-r"])


def test_ntrex_pairs_every_reference_with_its_english_source_and_holds_out_the_probe_lines():
    from hybridlib.data.parallel import load_ntrex

    every = load_ntrex(["sw", "te"]).pairs
    assert len(every) == 2 * 1997 and set(every["tgt_lang"]) == {"en"}
    # Line i of a reference translates line i of the English source: both languages share it.
    first = every[every["pair_id"].str.endswith("/0")]
    assert first["tgt"].nunique() == 1 and set(first["src_lang"]) == {"sw", "te"}
    train = load_ntrex(["sw"], part="train", held_out=500).pairs
    probe = load_ntrex(["sw"], part="probe", held_out=500).pairs
    assert (len(train), len(probe)) == (1497, 500)
    assert not set(train["pair_id"]) & set(probe["pair_id"])
    assert loaders.available_languages("ntrex")[:3] == ["ar", "bn", "de"]
    with pytest.raises(ValueError, match="part 'test' is not one of train, probe, all"):
        load_ntrex(["sw"], part="test")
    with pytest.raises(ValueError, match="leaves no NTREX-128 line to train on"):
        load_ntrex(["sw"], part="train", held_out=1997)
