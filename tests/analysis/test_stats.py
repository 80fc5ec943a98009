"""Paired permutation test, bootstrap CI, arm comparison, LAReQA setting vectors, seed aggregation."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from hybridlib.analysis.bootstrap import bootstrap_ci, paired_bootstrap_ci, seed_cluster_bootstrap
from hybridlib.analysis.significance import (
    PermutationResult,
    compare_arms,
    holm_adjust,
    paired_permutation_test,
)
from hybridlib.analysis.stats import lareqa_setting_vectors, mean_std_over_seeds

# --------------------------------------------------------------------------- permutation test


def _brute_force_p(d: np.ndarray) -> float:
    """Exact two-sided sign-flip p-value by itertools (the definition, no vectorisation)."""
    obs = abs(d.sum())
    hits = sum(
        abs(sum(s * x for s, x in zip(signs, d, strict=True))) >= obs - 1e-12
        for signs in itertools.product((1, -1), repeat=len(d))
    )
    return hits / 2 ** len(d)


def test_identical_arms_give_p_one():
    x = np.random.default_rng(1).random(200)
    res = paired_permutation_test(x, x.copy(), permutations=999)
    assert isinstance(res, PermutationResult)
    assert res.p_value == 1.0
    assert res.diff == 0.0 and res.n == 200 and res.permutations == 999 and not res.exact


def test_identical_arms_exact_give_p_one():
    x = np.array([0.1, 0.5, 0.9])
    res = paired_permutation_test(x, x, permutations=100)
    assert res.exact and res.permutations == 8 and res.p_value == 1.0


def test_constant_shift_gives_minimal_p():
    b = np.random.default_rng(2).random(200)
    a = b + 0.1
    res = paired_permutation_test(a, b, permutations=999)
    # only the all-+ / all-− sign vectors reach the observed |sum|: never drawn among 999 of 2^200
    assert res.p_value == pytest.approx(1 / 1000)
    assert res.diff == pytest.approx(0.1)
    # symmetric: swapping the arms only flips the sign of diff
    rev = paired_permutation_test(b, a, permutations=999)
    assert rev.p_value == res.p_value and rev.diff == pytest.approx(-0.1)


def test_exact_hand_computation():
    # d = (3, -1, 1): sums over the 8 sign vectors are ±3, ±5, ±1, ±3 → |sum| ≥ 3 in 6 of 8
    a = np.array([3.0, 0.0, 2.0])
    b = np.array([0.0, 1.0, 1.0])
    res = paired_permutation_test(a, b, permutations=10000)
    assert res.exact and res.permutations == 8 and res.n == 3
    assert res.p_value == 0.75
    assert (res.mean_a, res.mean_b, res.diff) == pytest.approx((5 / 3, 2 / 3, 1.0))
    # d = (1, 2, 3): only all-+ and all-− reach 6 → 2 / 8
    assert paired_permutation_test([1, 2, 3], [0, 0, 0]).p_value == 0.25


@pytest.mark.parametrize("seed", range(5))
def test_exact_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    d = np.round(rng.normal(size=9), 1)  # rounding makes ties between |d| likely
    res = paired_permutation_test(d, np.zeros_like(d), permutations=10000)
    assert res.exact and res.permutations == 512
    assert res.p_value == pytest.approx(_brute_force_p(d))


def test_monte_carlo_approximates_exact():
    rng = np.random.default_rng(7)
    a, b = rng.random(12), rng.random(12)
    exact = paired_permutation_test(a, b, permutations=10000)
    assert exact.exact
    mc = paired_permutation_test(a, b, permutations=20000, exact=False, seed=3)
    assert not mc.exact and mc.permutations == 20000
    # binomial sd of a Monte Carlo p at 20000 draws is ≤ 0.0036
    assert mc.p_value == pytest.approx(exact.p_value, abs=0.015)


def test_exact_forced_and_limit():
    d = np.arange(1.0, 11.0)
    res = paired_permutation_test(d, np.zeros(10), permutations=10, exact=True)
    assert res.exact and res.permutations == 1024
    with pytest.raises(ValueError, match="exact"):
        paired_permutation_test(np.ones(30), np.zeros(30), exact=True)


def test_null_p_values_are_not_small_on_average():
    rng = np.random.default_rng(11)
    ps = []
    for _ in range(100):
        base = rng.random(60)
        noise = rng.normal(scale=0.1, size=60)  # symmetric difference: H0 true
        ps.append(
            paired_permutation_test(base + noise, base, permutations=400, seed=int(rng.integers(1e9))).p_value
        )
    ps = np.array(ps)
    # under H0 p is (close to) uniform: mean ≈ 0.5, about 5% below 0.05
    assert 0.38 < ps.mean() < 0.62
    assert (ps < 0.05).mean() <= 0.15


def test_real_effect_detected():
    rng = np.random.default_rng(12)
    b = rng.random(300)
    a = b + rng.normal(0.05, 0.1, size=300)
    assert paired_permutation_test(a, b, permutations=2000).p_value < 0.01


def test_nan_pairs_dropped():
    a = np.array([1.0, np.nan, 3.0, 4.0, 5.0])
    b = np.array([0.0, 1.0, np.nan, 3.0, 4.0])
    res = paired_permutation_test(a, b)
    assert res.n == 3
    assert res.mean_a == pytest.approx(10 / 3) and res.mean_b == pytest.approx(7 / 3)
    same = paired_permutation_test([1.0, 4.0, 5.0], [0.0, 3.0, 4.0])
    assert res.p_value == same.p_value


def test_all_nan_gives_nan():
    res = paired_permutation_test([np.nan, 1.0], [2.0, np.nan])
    assert res.n == 0 and math.isnan(res.p_value) and math.isnan(res.diff)


def test_permutation_determinism_by_seed():
    rng = np.random.default_rng(5)
    a, b = rng.random(100), rng.random(100) + 0.02
    r1 = paired_permutation_test(a, b, permutations=3000, seed=42)
    r2 = paired_permutation_test(a, b, permutations=3000, seed=42)
    r3 = paired_permutation_test(a, b, permutations=3000, seed=43)
    assert r1 == r2
    assert r1.p_value != r3.p_value


def test_chunking_does_not_change_count(monkeypatch):
    """Small chunks (many loop iterations) give the same exact p as one big chunk."""
    import hybridlib.analysis.stats as stats

    rng = np.random.default_rng(9)
    d = rng.normal(size=11)
    big = paired_permutation_test(d, np.zeros(11), permutations=5000)
    monkeypatch.setattr(stats, "_CHUNK_ELEMENTS", 50)
    small = paired_permutation_test(d, np.zeros(11), permutations=5000)
    assert big.exact and big.p_value == small.p_value


def test_permutation_input_validation():
    with pytest.raises(ValueError, match="aligned"):
        paired_permutation_test(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="1-D"):
        paired_permutation_test(np.ones((2, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="permutations"):
        paired_permutation_test(np.ones(3), np.ones(3), permutations=0)


# --------------------------------------------------------------------------- bootstrap


def test_bootstrap_contains_mean_and_shrinks_with_n():
    rng = np.random.default_rng(3)
    widths = []
    for n in (50, 500, 5000):
        x = rng.random(n)
        low, high = bootstrap_ci(x, resamples=2000)
        assert low < x.mean() < high
        widths.append(high - low)
    assert widths[0] > widths[1] > widths[2]
    # width ≈ 2·1.96·σ/√n with σ = 1/√12 for U(0, 1)
    assert widths[1] == pytest.approx(2 * 1.96 / math.sqrt(12 * 500), rel=0.15)


def test_bootstrap_confidence_orders_intervals():
    x = np.random.default_rng(4).random(200)
    lo90, hi90 = bootstrap_ci(x, confidence=0.90, resamples=3000)
    lo99, hi99 = bootstrap_ci(x, confidence=0.99, resamples=3000)
    assert lo99 < lo90 < hi90 < hi99


def test_bootstrap_nan_and_edge_cases():
    x = np.array([0.2, np.nan, 0.4, 0.6, np.nan])
    assert bootstrap_ci(x, seed=1) == bootstrap_ci([0.2, 0.4, 0.6], seed=1)
    assert bootstrap_ci([0.7]) == (0.7, 0.7)
    low, high = bootstrap_ci([np.nan, np.nan])
    assert math.isnan(low) and math.isnan(high)
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_ci([1.0, 2.0], confidence=1.5)


def test_bootstrap_determinism_by_seed():
    x = np.random.default_rng(6).random(100)
    assert bootstrap_ci(x, seed=8) == bootstrap_ci(x, seed=8)
    assert bootstrap_ci(x, seed=8) != bootstrap_ci(x, seed=9)


# --------------------------------------------------------------------------- compare_arms


def _arms() -> dict[str, dict[str, np.ndarray]]:
    rng = np.random.default_rng(10)
    base = rng.random(150)
    qid = np.array([f"q{i}" for i in range(150)])
    better = np.clip(base + 0.1, 0, 1)
    noisy = base + rng.normal(scale=0.05, size=150)
    noisy[:5] = np.nan
    cluster = np.array([f"x{i // 3}" for i in range(150)])  # 50 questions × 3 translations
    return {
        "base": {"qid": qid, "cluster": cluster, "mono_ap": base},
        "better": {"qid": qid, "cluster": cluster, "mono_ap": better},
        "noisy": {"qid": qid, "cluster": cluster, "mono_ap": noisy},
    }


def test_compare_arms_shape_and_baseline_row():
    arms = _arms()
    df = compare_arms(arms, "mono_ap", baseline="base", permutations=999, resamples=1000)
    assert isinstance(df, pd.DataFrame)
    assert list(df.index) == ["base", "better", "noisy"]
    assert list(df.columns) == [
        "n",
        "mean",
        "n_paired",
        "n_clusters",
        "diff",
        "diff_ci_low",
        "diff_ci_high",
        "p_value",
        "p_holm",
    ]
    assert df.loc["base", ["diff", "diff_ci_low", "diff_ci_high", "p_value", "p_holm"]].isna().all()
    assert df.loc["base", "mean"] == pytest.approx(arms["base"]["mono_ap"].mean())
    assert df.loc["better", "p_value"] == pytest.approx(1 / 1000)
    assert df.loc["better", "diff"] > 0
    assert df.loc["noisy", "n"] == 145 and df.loc["noisy", "n_paired"] == 145
    # rows 0-4 are NaN for noisy: clusters x0 (rows 0-2) gone, x1 keeps row 5
    assert df.loc["base", "n_clusters"] == 50 and df.loc["noisy", "n_clusters"] == 49
    # the interval is of the difference (not of the arm's mean) and holds it
    tested = df.drop(index="base")
    assert (tested["diff_ci_low"] <= tested["diff"]).all() and (
        tested["diff"] <= tested["diff_ci_high"]
    ).all()
    assert tested.loc["better", "diff_ci_high"] < 0.11 and tested.loc["noisy", "diff_ci_low"] < 0.0
    assert (df["p_holm"].dropna() >= df["p_value"].dropna()).all()


def test_compare_arms_deterministic_and_matches_direct_test():
    arms = _arms()
    df1 = compare_arms(arms, "mono_ap", baseline="base", permutations=500, resamples=500, seed=3)
    df2 = compare_arms(arms, "mono_ap", baseline="base", permutations=500, resamples=500, seed=3)
    pd.testing.assert_frame_equal(df1, df2)
    noisy, base, cl = arms["noisy"]["mono_ap"], arms["base"]["mono_ap"], arms["base"]["cluster"]
    direct = paired_permutation_test(noisy, base, clusters=cl, permutations=500, seed=3)
    assert df1.loc["noisy", "p_value"] == direct.p_value
    assert df1.loc["noisy", "diff"] == pytest.approx(direct.diff)
    ci = paired_bootstrap_ci(noisy, base, clusters=cl, resamples=500, seed=3)
    assert (df1.loc["noisy", "diff_ci_low"], df1.loc["noisy", "diff_ci_high"]) == ci


def test_compare_arms_errors():
    arms = _arms()
    with pytest.raises(KeyError, match="baseline"):
        compare_arms(arms, "mono_ap", baseline="nope")
    with pytest.raises(KeyError, match="metric"):
        compare_arms(arms, "mul_ap", baseline="base")
    short = dict(arms, short={"cluster": np.arange(10).astype(str), "mono_ap": np.ones(10)})
    with pytest.raises(ValueError, match="values"):
        compare_arms(short, "mono_ap", baseline="base", permutations=10, resamples=10)
    cl = arms["base"]["cluster"]
    shuffled = dict(arms, shuffled={"qid": arms["base"]["qid"][::-1], "cluster": cl, "mono_ap": np.ones(150)})
    with pytest.raises(ValueError, match="aligned"):
        compare_arms(shuffled, "mono_ap", baseline="base", permutations=10, resamples=10)
    other = dict(arms, other={"qid": arms["base"]["qid"], "cluster": cl[::-1], "mono_ap": np.ones(150)})
    with pytest.raises(ValueError, match="cluster"):
        compare_arms(other, "mono_ap", baseline="base", permutations=10, resamples=10)


def test_compare_arms_refuses_per_query_arrays_without_clusters():
    """Old per-query files (no cluster ids) fail clearly instead of being tested row by row."""
    arms = _arms()
    old = {arm: {k: v for k, v in a.items() if k != "cluster"} for arm, a in arms.items()}
    with pytest.raises(ValueError, match="Re-run the evaluation"):
        compare_arms(old, "mono_ap", baseline="base", permutations=10, resamples=10)
    mixed = dict(arms, noisy=old["noisy"])
    with pytest.raises(ValueError, match="'noisy' has no 'cluster'"):
        compare_arms(mixed, "mono_ap", baseline="base", permutations=10, resamples=10)


def test_holm_adjust():
    p = np.array([0.01, np.nan, 0.04, 0.03])
    # sorted 0.01, 0.03, 0.04 (m = 3) → 0.03, 0.06, max(0.06, 0.04) = 0.06
    np.testing.assert_allclose(holm_adjust(p), [0.03, np.nan, 0.06, 0.06])
    assert np.isnan(holm_adjust([np.nan])).all()
    assert holm_adjust([0.6, 0.7]).max() == 1.0


# --------------------------------------------------------------------------- LAReQA vectors


def test_lareqa_setting_vectors_hand_made():
    nan = np.nan
    pq = {
        "qid": np.array(["a", "b", "c", "d"]),
        "lang": np.array(["de", "en", "es", "en"]),
        "candidate_languages": np.array(["de", "en", "es"]),
        #                  de    en    es
        "ap_pool": np.array(
            [
                [0.9, 0.5, 0.3],  # de question: mo = 0.9, cr = mean(0.5, 0.3)
                [0.2, 1.0, nan],  # en question, no es gold: cr = 0.2 only
                [nan, nan, 0.7],  # es question with no cross gold: cr = NaN
                [0.4, nan, 0.6],  # en question with a skipped Mo. cell: mo = NaN
            ]
        ),
        "ap_mul": np.array([0.8, 0.6, 0.5, 0.3]),
        "rank_distance": np.array([3.0, 10.0, nan, 4.0]),
    }
    v = lareqa_setting_vectors(pq)
    np.testing.assert_allclose(v["mo"], [0.9, 1.0, 0.7, nan])
    np.testing.assert_allclose(v["cr"], [0.4, 0.2, nan, 0.5])
    np.testing.assert_array_equal(v["mul"], pq["ap_mul"])
    np.testing.assert_array_equal(v["rank_distance"], pq["rank_distance"])
    np.testing.assert_array_equal(v["qid"], pq["qid"])
    assert "cluster" not in v
    clustered = lareqa_setting_vectors(dict(pq, cluster=np.array(["x", "x", "y", "y"])))
    np.testing.assert_array_equal(clustered["cluster"], ["x", "x", "y", "y"])


def test_lareqa_setting_vectors_query_language_without_pool():
    pq = {
        "lang": np.array(["th", "en"]),  # th has questions but no candidates of its own
        "candidate_languages": np.array(["en"]),
        "ap_pool": np.array([[0.5], [0.25]]),
        "ap_mul": np.array([0.5, 0.25]),
        "rank_distance": np.array([np.nan, np.nan]),
    }
    v = lareqa_setting_vectors(pq)
    np.testing.assert_allclose(v["mo"], [np.nan, 0.25])
    np.testing.assert_allclose(v["cr"], [0.5, np.nan])
    assert "qid" not in v
    with pytest.raises(ValueError, match="shape"):
        lareqa_setting_vectors(dict(pq, ap_pool=np.ones((2, 2))))


def test_lareqa_vectors_feed_compare_arms():
    rng = np.random.default_rng(13)
    langs = np.array(["de", "en"])
    lang = np.repeat(langs, 40)

    def arm(shift: float) -> dict[str, np.ndarray]:
        return {
            "qid": np.arange(80).astype(str),
            "cluster": np.tile(np.arange(40), 2).astype(str),  # de and en rows of one question
            "lang": lang,
            "candidate_languages": langs,
            "ap_pool": np.clip(rng.random((80, 2)) * 0.5 + shift, 0, 1),
            "ap_mul": rng.random(80),
            "rank_distance": rng.integers(1, 20, 80).astype(float),
        }

    vecs = {"a": lareqa_setting_vectors(arm(0.0)), "b": lareqa_setting_vectors(arm(0.3))}
    df = compare_arms(vecs, "cr", baseline="a", permutations=500, resamples=500)
    assert df.loc["b", "diff"] > 0.2 and df.loc["b", "p_value"] < 0.01


# --------------------------------------------------------------------------- seeds


def test_mean_std_over_seeds():
    res = [{"mo": 0.5, "cr": 0.2}, {"mo": 0.7, "cr": 0.4}, {"mo": 0.6, "cr": 0.3}]
    out = mean_std_over_seeds(res)
    assert list(out) == ["mo", "cr"]
    assert out["mo"] == pytest.approx((0.6, 0.1))  # sample std of (0.5, 0.7, 0.6) is 0.1
    assert out["cr"] == pytest.approx((0.3, 0.1))


def test_mean_std_over_seeds_edge_cases():
    one = mean_std_over_seeds([{"mo": 0.5}])
    assert one["mo"][0] == 0.5 and math.isnan(one["mo"][1])
    with_none = mean_std_over_seeds([{"mo": 0.5}, {"mo": None}])
    assert math.isnan(with_none["mo"][0])
    with pytest.raises(ValueError, match="same"):
        mean_std_over_seeds([{"mo": 0.5}, {"cr": 0.5}])
    with pytest.raises(ValueError, match="at least one"):
        mean_std_over_seeds([])


# --------------------------------------------------------------------------- clusters (translations)


def _translated_null(rng: np.random.Generator, n_questions: int = 40, n_langs: int = 11):
    """A null dataset shaped like XQuAD-R: every question has ``n_langs`` translated rows whose paired
    differences share a per-question effect (symmetric around 0, so no true difference) plus small
    row noise. Returns ``(d, clusters)``."""
    shared = rng.normal(size=n_questions)
    d = np.repeat(shared, n_langs) + rng.normal(scale=0.3, size=n_questions * n_langs)
    return d, np.repeat(np.arange(n_questions), n_langs)


def _rejection_rate(clustered: bool, n_datasets: int = 500) -> float:
    rng = np.random.default_rng(2024)
    rejected = 0
    for i in range(n_datasets):
        d, clusters = _translated_null(rng)
        res = paired_permutation_test(
            d, np.zeros_like(d), clusters=clusters if clustered else None, permutations=199, seed=i
        )
        rejected += res.p_value <= 0.05
    return rejected / n_datasets


def test_clustered_test_holds_its_level_under_intra_cluster_correlation():
    # 500 seeded null datasets with a shared per-question effect: the cluster sign-flip test rejects
    # at about its nominal 5 % (binomial sd ≈ 1 %).
    assert 0.03 <= _rejection_rate(clustered=True) <= 0.07


def test_row_level_test_over_rejects_on_the_same_simulation():
    # Why the clusters: on the very same datasets, flipping rows independently rejects far too often.
    assert _rejection_rate(clustered=False) > 0.25


def test_clustered_exact_known_answer():
    # rows d = (3, 3, -1, 1) in clusters (A, A, B, C): cluster sums D = (6, -1, 1); the 8 sign vectors
    # give |sum| = 6, 4, 8, 6 (and mirrored) → 6 of 8 reach the observed 6 → p = 0.75.
    d = np.array([3.0, 3.0, -1.0, 1.0])
    res = paired_permutation_test(d, np.zeros(4), clusters=["A", "A", "B", "C"])
    assert res.exact and res.permutations == 8 and res.n == 4 and res.n_clusters == 3
    assert res.p_value == 0.75 and res.diff == pytest.approx(1.5)
    # Row by row the same data would give the brute-force row p (16 sign vectors), a different answer.
    assert paired_permutation_test(d, np.zeros(4)).p_value == pytest.approx(_brute_force_p(d))
    assert _brute_force_p(d) == 0.375
    # Two questions × 5 translations, all better: with clusters only the all-+/all-− of 4 sign vectors
    # reach the observed sum (p = 2/4), while rows claim 2/1024.
    ten = np.ones(10)
    two = np.repeat(["q1", "q2"], 5)
    assert paired_permutation_test(ten, np.zeros(10), clusters=two).p_value == 0.5
    assert paired_permutation_test(ten, np.zeros(10)).p_value == pytest.approx(2 / 1024)
    # NaN rows are dropped before summing: a cluster left without rows is not flipped.
    a = np.array([1.0, np.nan, 2.0, 5.0])
    res = paired_permutation_test(a, np.zeros(4), clusters=["A", "B", "C", "C"])
    assert res.n == 3 and res.n_clusters == 2 and res.permutations == 4 and res.p_value == 0.5


@pytest.mark.parametrize("seed", range(3))
def test_clustered_exact_matches_brute_force_on_cluster_sums(seed):
    rng = np.random.default_rng(seed)
    clusters = rng.integers(0, 8, size=30)
    d = np.round(rng.normal(size=30), 1)
    sums = np.array([d[clusters == c].sum() for c in np.unique(clusters)])
    res = paired_permutation_test(d, np.zeros(30), clusters=clusters)
    assert res.exact and res.n_clusters == sums.size
    assert res.p_value == pytest.approx(_brute_force_p(sums))
    mc = paired_permutation_test(d, np.zeros(30), clusters=clusters, permutations=20000, exact=False)
    assert mc.p_value == pytest.approx(res.p_value, abs=0.02)


def test_cluster_bootstrap_degenerate_when_every_cluster_has_the_same_mean():
    # Clusters of different sizes, each with mean difference 0.2: every cluster resample has mean 0.2.
    d = np.array([0.1, 0.3, 0.0, 0.2, 0.4, 0.2])
    clusters = ["A", "A", "B", "B", "B", "C"]
    low, high = paired_bootstrap_ci(d, np.zeros(6), clusters=clusters, resamples=2000)
    assert low == pytest.approx(0.2) and high == pytest.approx(0.2)
    row_low, row_high = paired_bootstrap_ci(d, np.zeros(6), resamples=2000)  # rows vary: not degenerate
    assert row_high - row_low > 0.1
    assert bootstrap_ci(d, clusters=["A"] * 6) == pytest.approx((0.2, 0.2))  # one cluster


def test_cluster_bootstrap_against_brute_force_enumeration():
    # 3 clusters of sizes 1, 2, 3: all 27 ordered resamples are equally likely; the interval ends are the
    # exact quantiles of that discrete distribution (0.1 and 0.9 lie between its jumps at k/27).
    d = np.array([0.0, 1.0, 1.0, 0.5, 0.2, 2.0])
    clusters = np.array([0, 1, 1, 2, 2, 2])
    sums = np.array([0.0, 2.0, 2.7])
    counts = np.array([1.0, 2.0, 3.0])
    means = np.sort(
        [sums[list(r)].sum() / counts[list(r)].sum() for r in itertools.product(range(3), repeat=3)]
    )
    cdf = np.arange(1, 28) / 27
    exact_low, exact_high = means[np.argmax(cdf >= 0.1)], means[np.argmax(cdf >= 0.9)]
    low, high = bootstrap_ci(d, clusters=clusters, confidence=0.8, resamples=40000, seed=5)
    assert low == pytest.approx(exact_low) and high == pytest.approx(exact_high)


def test_paired_bootstrap_is_of_the_difference_and_respects_pairing():
    rng = np.random.default_rng(21)
    base = rng.random(300)  # large per-question spread, shared by both arms
    arm = base + 0.02 + rng.normal(scale=0.01, size=300)
    low, high = paired_bootstrap_ci(arm, base, resamples=2000)
    diff = float((arm - base).mean())
    assert low < diff < high and high - low < 0.01  # narrow: the spread of base cancels
    a_low, a_high = bootstrap_ci(arm, resamples=2000)
    assert a_high - a_low > 5 * (high - low)  # one arm's interval is much wider: not what is tested


def test_seed_bootstrap_widens_with_seed_variance():
    rng = np.random.default_rng(7)
    d0, clusters = _translated_null(rng, n_questions=30, n_langs=3)
    d0 = d0 * 0.05 + 0.01
    shifts = rng.normal(size=5)
    widths = []
    for spread in (0.0, 0.02, 0.1):
        seeds = [(d0 + spread * s, clusters) for s in shifts]
        res = seed_cluster_bootstrap(seeds, resamples=4000, seed=1)
        assert res.ci_low <= res.diff <= res.ci_high
        assert res.diff == pytest.approx(float(np.mean(d0)) + spread * shifts.mean())
        assert res.per_seed.shape == (5,) and res.n_clusters == 30
        widths.append(res.ci_high - res.ci_low)
    assert widths[0] < widths[1] < widths[2]
    # Identical seeds (one model evaluated five times): just the one-seed cluster interval, not narrower.
    one_low, one_high = bootstrap_ci(d0, clusters=clusters, resamples=4000, seed=1)
    assert widths[0] == pytest.approx(one_high - one_low, rel=0.1)


def test_seed_bootstrap_matches_clusters_by_id_and_handles_edges():
    d = np.array([0.1, 0.3, np.nan, 0.5])
    res = seed_cluster_bootstrap([(d, ["a", "a", "b", "c"])], resamples=500)
    assert res.n_clusters == 2 and res.diff == pytest.approx(0.3)  # NaN row dropped, cluster b gone
    # Seeds listing the same clusters in another row order give the same answer.
    one = seed_cluster_bootstrap([(d, ["a", "a", "b", "c"]), (d[::-1], ["c", "b", "a", "a"])], resamples=500)
    assert one.per_seed == pytest.approx([0.3, 0.3])
    with pytest.raises(ValueError, match="at least one"):
        seed_cluster_bootstrap([])
    with pytest.raises(ValueError, match="cluster ids"):
        seed_cluster_bootstrap([(d, ["a"])])
