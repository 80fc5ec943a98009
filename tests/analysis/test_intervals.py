"""The interval over seeds (``hybridlib.analysis.intervals``): its coverage at 3 and 5 seeds by
simulation, beside the old two-level percentile bootstrap's, and its formula on inputs whose answer is
known."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from scipy import stats

from hybridlib.analysis.bootstrap import seed_cluster_bootstrap
from hybridlib.analysis.intervals import (
    LEVELS,
    coverage_markdown,
    coverage_table,
    exact_coverage,
    seed_t_interval,
    two_level_percentile,
)
from hybridlib.config import REPO_ROOT


def test_the_new_interval_covers_95_percent_at_3_and_5_seeds_whatever_the_seed_noise():
    """k = 3 and 5 seeds × 5 levels of seed noise (negligible to 100× the question noise, as a seed shift,
    as each seed's own per-question disagreement, or both), 1,000 question clusters of 1–11 rows with a
    shared per-cluster effect, 5,000 experiments per case: the new interval covers the true difference
    in 93–97 % of them in every case. The old estimator's coverage (2,000 experiments, 500 replicates
    each) is printed beside it (run with ``-s``), not asserted."""
    table = coverage_table(seeds=(3, 5), experiments=5000, old_experiments=2000, resamples=500, seed=0)
    print(
        "\n" + coverage_markdown(table, experiments=5000, resamples=500, clusters=1000, old_experiments=2000)
    )
    assert len(table) == 2 * len(LEVELS) and len(LEVELS) >= 3
    bad = table[(table["new"] < 0.93) | (table["new"] > 0.97)]
    assert bad.empty, bad.to_string()


def test_the_vectorised_old_estimator_is_seed_cluster_bootstrap():
    """The simulation's old estimator (one set of draws for many experiments) gives, for one experiment
    with the same generator, the very interval of ``seed_cluster_bootstrap``: the same draws in the same
    order, the same statistic (cluster ids sort as positions here)."""
    rng = np.random.default_rng(3)
    k, n_cl = 3, 40
    sizes = rng.integers(1, 5, size=n_cl)
    ids = np.repeat([f"c{c:03d}" for c in range(n_cl)], sizes)
    diffs = [rng.normal(0.01 * s, 0.1, size=ids.size) for s in range(k)]
    old = seed_cluster_bootstrap([(d, ids) for d in diffs], resamples=300, seed=7)
    codes = np.repeat(np.arange(n_cl), sizes)
    sums = np.stack([np.bincount(codes, weights=d, minlength=n_cl) for d in diffs])[None]
    counts = np.broadcast_to(sizes.astype(float), (k, n_cl))
    low, high = two_level_percentile(sums, counts, resamples=300, rng=np.random.default_rng(7))
    assert (low[0], high[0]) == pytest.approx((old.ci_low, old.ci_high), rel=1e-12, abs=1e-15)


def test_the_degrees_of_freedom_keep_the_exact_coverage_where_welch_satterthwaite_does_not():
    """With the question variance known, the exact coverage over every seed-to-question variance ratio
    stays within 0.935–0.96 at 3–5 seeds; Welch–Satterthwaite's ν falls to about 0.92 at 3 seeds."""
    ratios = np.logspace(-3, 3, 31)
    for k in (3, 4, 5):
        coverage = [exact_coverage(k, r) for r in ratios]
        assert 0.935 <= min(coverage) and max(coverage) <= 0.96, (k, min(coverage), max(coverage))
    assert min(exact_coverage(3, r, exponent=2.0) for r in ratios) < 0.925


def test_the_exact_coverage_table_in_the_docs_is_computed():
    """docs/statistics.md quotes the exact coverage range per number of seeds for γ = 1.2 and for
    Welch–Satterthwaite's γ = 2: each range is what :func:`exact_coverage` gives over the stated grid."""
    text = (REPO_ROOT / "docs" / "statistics.md").read_text()
    rows = re.findall(r"^\| (\d) \| (0\.\d{3})–(0\.\d{3}) \| (0\.\d{3})–(0\.\d{3}) \|$", text, re.M)
    assert [int(r[0]) for r in rows] == [2, 3, 4, 5], "the exact coverage table is missing from the docs"
    ratios = np.logspace(-3, 3, 31)  # "31 ratios ... from 10⁻³ to 10³" in the docs
    for k, *quoted in rows:
        ours = [exact_coverage(int(k), r) for r in ratios]
        welch = [exact_coverage(int(k), r, exponent=2.0) for r in ratios]
        computed = [min(ours), max(ours), min(welch), max(welch)]
        assert [f"{c:.3f}" for c in computed] == quoted, (k, computed)


def test_constant_differences_per_seed_give_the_t_test_over_seeds():
    """Every row of a seed differs by the same amount: the questions add no noise (``V_Q = 0``), so the
    interval is the one-sample t interval over the k seed means, with k − 1 degrees of freedom."""
    ids = np.repeat(["a", "b", "c", "d"], 2)
    per_seed = [0.10, 0.10, -0.05]
    res = seed_t_interval([(np.full(ids.size, d), ids) for d in per_seed])
    se = np.std(per_seed, ddof=1) / math.sqrt(3)
    half = stats.t.ppf(0.975, 2) * se
    assert res.var_questions == pytest.approx(0.0, abs=1e-15) and res.dof == pytest.approx(2.0)
    assert (res.diff, res.se) == pytest.approx((np.mean(per_seed), se))
    assert (res.ci_low, res.ci_high) == pytest.approx((np.mean(per_seed) - half, np.mean(per_seed) + half))
    assert res.p_value == pytest.approx(2 * stats.t.sf(np.mean(per_seed) / se, 2))


def test_identical_seeds_give_the_cluster_interval_of_one_seed():
    """One model evaluated k times: no seed variance, and the question sampling the seeds share is the
    one seed's cluster variance (CR1: C/(C−1) Σ z²), with about C − 1 degrees of freedom."""
    rng = np.random.default_rng(0)
    ids = np.repeat(np.arange(50), rng.integers(1, 4, size=50))
    d = rng.normal(0.02, 0.1, size=ids.size)
    res = seed_t_interval([(d, ids)] * 3)
    sums, counts = np.bincount(ids, weights=d), np.bincount(ids)
    z = (sums - d.mean() * counts) / ids.size
    assert res.var_seeds == pytest.approx(0.0, abs=1e-18)
    assert res.var_questions == pytest.approx(50 / 49 * np.sum(z**2))
    assert res.dof == pytest.approx(49.0)


def test_the_p_value_and_the_interval_agree_and_one_seed_has_no_interval():
    rng = np.random.default_rng(1)
    ids = np.repeat(np.arange(200), 2)
    for shift in (0.0, 0.005, 0.02):
        diffs = [(rng.normal(shift, 0.1, size=ids.size) + rng.normal(0, 0.003), ids) for _ in range(4)]
        res = seed_t_interval(diffs)
        assert (res.p_value < 0.05) == (res.ci_low > 0 or res.ci_high < 0)
    one = seed_t_interval([(np.ones(4), ["a", "a", "b", "c"])])
    assert one.diff == 1.0 and math.isnan(one.ci_low) and math.isnan(one.p_value)
    with pytest.raises(ValueError, match="at least one seed"):
        seed_t_interval([])


def test_the_docs_table_is_rewritten_between_its_markers_only(tmp_path):
    """``python -m hybridlib.analysis.intervals --docs docs/statistics.md`` replaces the generated block
    and leaves the prose around it; the committed page has the markers."""
    from pathlib import Path

    from hybridlib.analysis.intervals import END, START, write_docs

    page = tmp_path / "statistics.md"
    page.write_text(f"before\n{START}\nold table\n{END}\nafter\n")
    write_docs(page, "new table\n")
    assert page.read_text() == f"before\n{START}\nnew table\n{END}\nafter\n"
    docs = Path(__file__).resolve().parents[2] / "docs" / "statistics.md"
    text = docs.read_text()
    assert text.index(START) < text.index("| 3 | negligible |") < text.index(END)
