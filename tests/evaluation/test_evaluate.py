"""LAReQA and TyDi evaluation on synthetic RetrievalSets with random embeddings; result files; TREC files;
the embedding cache."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score

from hybridlib.data.schema import RetrievalSet
from hybridlib.evaluation.common import gold_matrix
from hybridlib.evaluation.lareqa import evaluate_lareqa, matrix_frame
from hybridlib.evaluation.metrics import rank_golds
from hybridlib.evaluation.results import load_per_query, write_results
from hybridlib.evaluation.tydi import evaluate_tydi
from hybridlib.retrieval.cache import cache_path, cached_encode
from hybridlib.retrieval.exact import l2_normalize
from hybridlib.retrieval.index import build_index, search
from hybridlib.retrieval.trec import write_trec_qrels, write_trec_run, write_trec_run_for

LANGS_11 = ("ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh")
LANGS_7 = ("ar", "de", "en", "es", "hi", "vi", "zh")


def synthetic_lareqa(langs, xid_langs, n_distractors=3, dim=16, noise=0.6, seed=0):
    """One question per (xid, language it exists in), one gold sentence per such language plus
    distractor sentences per paragraph; embeddings = shared latent per xid + noise."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(len(xid_langs), dim))
    qrows, crows, q_emb, c_emb = [], [], [], []
    counters = dict.fromkeys(langs, 0)
    for x, present in enumerate(xid_langs):
        golds = {}
        for lang in present:
            for d in range(1 + n_distractors):
                cid = f"{lang}/{counters[lang]}"
                counters[lang] += 1
                crows.append(
                    {"cid": cid, "lang": lang, "text": f"s{x}-{d} {lang}", "paragraph": f"{lang}/{x}"}
                )
                c_emb.append(latent[x] + noise * rng.normal(size=dim) if d == 0 else rng.normal(size=dim))
                if d == 0:
                    golds[lang] = cid
        for lang in present:
            qrows.append(
                {
                    "qid": f"{lang}/{x}",
                    "xid": str(x),
                    "lang": lang,
                    "text": f"q{x} {lang}",
                    "gold": tuple(golds[g] for g in present),
                }
            )
            q_emb.append(latent[x] + noise * rng.normal(size=dim))
    rset = RetrievalSet("synthetic", pd.DataFrame(qrows), pd.DataFrame(crows))
    return rset, np.array(q_emb, np.float32), np.array(c_emb, np.float32)


@pytest.fixture(scope="module")
def parallel11():
    return synthetic_lareqa(LANGS_11, [LANGS_11] * 12, seed=1)


@pytest.fixture(scope="module")
def subsets7():
    rng = np.random.default_rng(2)
    xid_langs = [pair for pair in itertools.combinations(LANGS_7, 2)]  # every pair occurs at least once
    for _ in range(15):
        xid_langs.append(tuple(sorted(rng.choice(LANGS_7, size=rng.integers(2, 5), replace=False))))
    return synthetic_lareqa(LANGS_7, xid_langs, seed=3)


def _cos(q, c):
    return l2_normalize(q) @ l2_normalize(c).T


def test_lareqa_fully_parallel_counts_and_values(parallel11):
    rset, q, c = parallel11
    res = evaluate_lareqa(rset, q, c, model_name="toy", params={"seed": 0, "langs": ("x",)})
    assert res["counts"]["settings"] == {"mo": 11, "cr": 110, "mul": 11}
    assert res["counts"]["skipped_cross"] == 0
    m = matrix_frame(res)
    assert m.shape == (11, 11) and not m.isna().any().any()
    assert res["mAP"]["mo"] == pytest.approx(np.mean(np.diag(m)))
    assert res["mAP"]["cr"] == pytest.approx(m.to_numpy()[~np.eye(11, dtype=bool)].mean())
    assert res["mAP"]["mul"] == pytest.approx(np.mean(list(res["mul"].values())))
    # one cell and the Mul. setting recomputed from scratch with sklearn
    qs, cs = rset.questions, rset.candidates
    s = _cos(q, c)
    rows = np.flatnonzero(qs["lang"] == "de")
    pool = np.flatnonzero(cs["lang"] == "zh")
    aps, mul_aps = [], []
    for i in rows:
        rel_all = cs["cid"].isin(qs["gold"][i]).to_numpy()
        aps.append(average_precision_score(rel_all[pool], s[i, pool]))
        mul_aps.append(average_precision_score(rel_all, s[i]))
    assert m.loc["de", "zh"] == pytest.approx(np.mean(aps), abs=1e-6)
    assert res["mul"]["de"] == pytest.approx(np.mean(mul_aps), abs=1e-6)
    # the signal is real: Mo. well above chance (4 candidates per gold)
    assert res["mAP"]["mo"] > 0.5
    # rank distance: brute force for the first German question
    i = rows[0]
    order = np.argsort(-s[i], kind="stable")
    gold_pos = np.flatnonzero(np.isin(cs["cid"].to_numpy()[order], qs["gold"][i])) + 1
    pq = res["per_query"]
    assert pq["rank_distance"][i] == gold_pos.max() - gold_pos.min()
    assert res["rank_distance"]["macro"] == pytest.approx(
        np.mean(list(res["rank_distance"]["per_language"].values()))
    )
    assert pq["ap_pool"].shape == (len(qs), 11) and not np.isnan(pq["ap_pool"]).any()


def test_lareqa_language_subsets_skip_questions_without_gold(subsets7):
    rset, q, c = subsets7
    res = evaluate_lareqa(rset, q, c, model_name="toy")
    assert res["counts"]["settings"] == {"mo": 7, "cr": 42, "mul": 7}
    qs = rset.questions
    present = qs.groupby("xid")["lang"].apply(set)
    expected_skips = sum(len(LANGS_7) - len(present[x]) for x in qs["xid"])
    assert res["counts"]["skipped_cross"] == expected_skips
    for xq, xc in [("ar", "de"), ("en", "zh"), ("hi", "hi")]:
        n = sum(1 for langs in present if xq in langs and xc in langs)
        assert res["n_matrix"][xq][xc] == n
    pq = res["per_query"]
    j = list(pq["candidate_languages"]).index("de")
    no_de = ~qs["xid"].map(lambda x: "de" in present[x]).to_numpy()
    assert np.isnan(pq["ap_pool"][no_de, j]).all() and not np.isnan(pq["ap_pool"][~no_de, j]).any()
    # Mul. ranks exist for every gold; rank distance defined since every question has ≥ 2 languages
    assert not np.isnan(pq["rank_distance"]).any()


def test_write_results_json_schema_and_per_query_npz(subsets7, tmp_path):
    rset, q, c = subsets7
    res = evaluate_lareqa(rset, q, c, model_name="toy", params={"alpha": 0.5})
    path = write_results(res, tmp_path / "res" / "xquad.json")
    data = json.loads(path.read_text())
    for key in (
        "schema_version",
        "task",
        "model",
        "dataset",
        "parameters",
        "git_commit",
        "date",
        "counts",
        "mAP",
        "map_matrix",
        "n_matrix",
        "mul",
        "rank_distance",
        "evaluation",
    ):
        assert key in data, key
    assert "per_query" not in data and data["per_query_file"] == "xquad.per_query.npz"
    assert data["parameters"] == {"alpha": 0.5} and data["task"] == "lareqa"
    assert data["git_commit"] is None or len(data["git_commit"]) == 40
    pq = load_per_query(path)
    np.testing.assert_allclose(pq["ap_mul"], res["per_query"]["ap_mul"])
    assert list(pq["qid"]) == list(rset.questions["qid"])
    # The cluster of a row is the shared id of its translations (the sampling unit of the tests).
    assert list(pq["cluster"]) == list(rset.questions["xid"].astype(str))
    assert pq["cluster"].dtype.kind == "U" and len(set(pq["cluster"])) < len(pq["cluster"])
    assert not list(tmp_path.glob("res/.*.tmp"))  # atomic writes leave no temporaries


def test_tydi_monolingual_and_multilingual_pools(tmp_path):
    rng = np.random.default_rng(4)
    langs, qrows, crows, q_emb, c_emb = ("en", "fi", "sw", "te"), [], [], [], []
    for lang in langs:
        n_pass = 60 if lang != "te" else 130  # te: pool larger than 100, so R@100 can miss
        pv = rng.normal(size=(n_pass, 8))
        crows += [
            {"cid": f"{lang}/{i}", "lang": lang, "text": "", "paragraph": f"{lang}/{i}"}
            for i in range(n_pass)
        ]
        c_emb.append(pv)
        for i in range(25):
            qrows.append(
                {
                    "qid": f"{lang}/q{i}",
                    "xid": f"{lang}/q{i}",
                    "lang": lang,
                    "text": "",
                    "gold": (f"{lang}/{i}",),
                }
            )
            q_emb.append(pv[i] + rng.normal(size=8) * (0.3 if lang in ("en", "fi") else 2.0))
    rset = RetrievalSet("tydi", pd.DataFrame(qrows), pd.DataFrame(crows))
    q, c = np.array(q_emb), np.vstack(c_emb)
    res = evaluate_tydi(rset, q, c, model_name="toy", seen_languages=("en", "fi"))
    mono, mul = res["pools"]["mono"], res["pools"]["mul"]
    assert res["unseen_languages"] == ["sw", "te"] and mono["per_language"]["en"]["seen"] is True
    assert mono["per_language"]["sw"]["seen"] is False
    for pool in (mono, mul):
        for lang in langs:
            e = pool["per_language"][lang]
            assert e["mAP"] == pytest.approx(e["MRR"])  # one gold: AP = RR exactly
            assert e["R@1"] <= e["R@10"] <= e["R@100"] <= 1
    assert mono["per_language"]["en"]["R@100"] == 1.0 and mono["per_language"]["te"]["n_candidates"] == 130
    assert mul["per_language"]["en"]["n_candidates"] == len(c)
    assert mono["macro_seen"]["mAP"] == pytest.approx(
        np.mean([mono["per_language"][x]["mAP"] for x in ("en", "fi")])
    )
    assert mono["macro_seen"]["mAP"] > mono["macro_unseen"]["mAP"]
    assert mono["macro"]["nDCG@10"] == pytest.approx(
        np.mean([mono["per_language"][x]["nDCG@10"] for x in langs])
    )
    # sklearn on the Finnish monolingual pool
    s = _cos(q, c)
    pool = np.flatnonzero(rset.candidates["lang"] == "fi")
    rows = np.flatnonzero(rset.questions["lang"] == "fi")
    ref = [
        average_precision_score(pool == pool[int(qid.split("q")[1])], s[i, pool])
        for i, qid in zip(rows, rset.questions["qid"][rows], strict=True)
    ]
    assert mono["per_language"]["fi"]["mAP"] == pytest.approx(np.mean(ref), abs=1e-6)
    path = write_results(res, tmp_path / "tydi.json")
    assert json.loads(path.read_text())["pools"]["mul"]["macro"]["R@10"] == pytest.approx(
        mul["macro"]["R@10"]
    )
    pq = load_per_query(path)
    assert set(pq) >= {"qid", "cluster", "mono_ap", "mul_ndcg10"}
    # TyDi questions are independent: every row is its own cluster.
    assert list(pq["cluster"]) == list(pq["qid"]) and len(set(pq["cluster"])) == len(pq["qid"])


def _read_trec(run_path: Path, qrels_path: Path):
    run: dict[str, list[tuple[int, str]]] = {}
    for line in run_path.read_text().splitlines():
        qid, q0, cid, rank, _score, _name = line.split()
        assert q0 == "Q0"
        run.setdefault(qid, []).append((int(rank), cid))
    qrels: dict[str, set[str]] = {}
    for line in qrels_path.read_text().splitlines():
        qid, _, cid, rel = line.split()
        if int(rel) > 0:
            qrels.setdefault(qid, set()).add(cid)
    return run, qrels


def test_trec_run_and_qrels_recompute_reciprocal_rank(parallel11, tmp_path):
    rset, q, c = parallel11  # pool of 528 candidates: top-100 truncation matters
    run_path, qrels_path = tmp_path / "run.trec", tmp_path / "qrels.trec"
    scores, ids = search(build_index(c), q, 100)
    write_trec_run(
        run_path, rset.questions["qid"].tolist(), rset.candidates["cid"].tolist(), scores, ids, "toy"
    )
    write_trec_qrels(qrels_path, rset)
    run, qrels = _read_trec(run_path, qrels_path)
    assert all(len(v) == 100 for v in run.values()) and len(run) == len(rset.questions)
    plain = []
    for qid in rset.questions["qid"]:
        hits = [rank for rank, cid in sorted(run[qid]) if cid in qrels[qid]]
        plain.append(1 / hits[0] if hits else 0.0)
    rr = rank_golds(q, c, gold_matrix(rset)).reciprocal_rank()
    rr_at_100 = np.where(rr >= 1 / 100, rr, 0.0)
    np.testing.assert_allclose(plain, rr_at_100, atol=1e-12)
    # the convenience wrapper writes the same file
    write_trec_run_for(tmp_path / "run2.trec", rset, q, c, "toy")
    assert (tmp_path / "run2.trec").read_text() == run_path.read_text()


def test_misaligned_embeddings_and_unknown_golds_are_rejected(subsets7):
    rset, q, c = subsets7
    with pytest.raises(ValueError, match="q_emb"):
        evaluate_lareqa(rset, q[:-1], c, model_name="toy")
    bad = rset.questions.copy()
    bad.loc[0, "gold"] = ("xx/1",)
    with pytest.raises(ValueError, match="not candidates"):
        gold_matrix(RetrievalSet("bad", bad, rset.candidates))


def test_cached_encode_reuses_and_misses_correctly(tmp_path):
    calls = []

    def encode(texts):
        calls.append(list(texts))
        return np.array([[len(t), ord(t[0])] for t in texts], dtype=np.float32)

    texts = ["alpha", "beta", "gamma"]
    a = cached_encode(encode, texts, "query", "m1", tmp_path)
    b = cached_encode(encode, texts, "query", "m1", tmp_path)
    assert len(calls) == 1 and np.array_equal(a, b)
    assert cache_path(texts, "query", "m1", tmp_path).exists()
    cached_encode(encode, ["alpha", "beta", "delta"], "query", "m1", tmp_path)  # changed text
    cached_encode(encode, ["beta", "alpha", "gamma"], "query", "m1", tmp_path)  # changed order
    cached_encode(encode, texts, "query", "m2", tmp_path)  # changed model
    cached_encode(encode, texts, "passage", "m1", tmp_path)  # changed kind
    assert len(calls) == 5
    cached_encode(encode, texts, "query", "m1", tmp_path)
    assert len(calls) == 5
    assert not list(tmp_path.glob(".*.tmp"))


def test_setting_counts_on_the_real_lareqa_sets():
    """The paper's setting counts on the real data: 11/110/11 on XQuAD-R, 7/42/7 on MLQA-R."""
    from hybridlib.data.lareqa import load_mlqa_r, load_xquad_r

    rng = np.random.default_rng(0)
    for rset, expected in ((load_xquad_r(), (11, 110, 11)), (load_mlqa_r(), (7, 42, 7))):
        q = rng.standard_normal((len(rset.questions), 8)).astype(np.float32)
        c = rng.standard_normal((len(rset.candidates), 8)).astype(np.float32)
        result = evaluate_lareqa(rset, q, c, model_name="random")
        assert tuple(result["counts"]["settings"][k] for k in ("mo", "cr", "mul")) == expected
