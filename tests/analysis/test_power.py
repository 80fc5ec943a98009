"""Minimum detectable effect and the yes / no / undetermined answer (``hybridlib.analysis.power``)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from hybridlib.analysis.power import minimum_detectable_effect, verdict


def test_the_mde_is_the_effect_a_seed_level_t_test_detects_80_percent_of_the_time():
    """Simulated designs of k seeds whose true difference equals the MDE (from the true standard error):
    the two-sided t-test over seeds at 5 % rejects about 80 % of them (the t approximation of the
    non-central t power is within a few points for k ≥ 3)."""
    rng = np.random.default_rng(0)
    for k in (3, 5, 10):
        sigma = 0.02
        delta = minimum_detectable_effect(sigma / math.sqrt(k), k)
        draws = rng.normal(delta, sigma, size=(20000, k))
        t = draws.mean(axis=1) / (draws.std(axis=1, ddof=1) / math.sqrt(k))
        power = np.mean(np.abs(t) > stats.t.ppf(0.975, k - 1))
        assert 0.74 <= power <= 0.86, (k, power)
    # a 0-effect design rejects at the level (what the MDE's alpha means)
    draws = rng.normal(0, 0.02, size=(20000, 5))
    t = draws.mean(axis=1) / (draws.std(axis=1, ddof=1) / math.sqrt(5))
    assert 0.04 <= np.mean(np.abs(t) > stats.t.ppf(0.975, 4)) <= 0.06


def test_more_seeds_or_less_noise_detect_smaller_effects_and_one_seed_detects_nothing():
    assert minimum_detectable_effect(0.01, 5) < minimum_detectable_effect(0.01, 3)
    assert minimum_detectable_effect(0.005, 5) == pytest.approx(minimum_detectable_effect(0.01, 5) / 2)
    assert minimum_detectable_effect(0.01, 1) == math.inf
    with pytest.raises(ValueError, match="power"):
        minimum_detectable_effect(0.01, 5, power=1.2)


@pytest.mark.parametrize(
    ("interval", "lower_is_better", "answer", "bound"),
    [
        ((0.004, 0.02), False, "yes", 0.02),  # all on the better side
        ((-0.03, -0.001), False, "no", -0.001),  # all on the worse side
        ((-0.006, 0.004), False, "no", 0.004),  # holds 0, excludes a 1-point gain
        ((-0.006, 0.03), False, "undetermined", 0.03),  # holds 0 and a 3-point gain
        ((-5.7, -2.0), True, "yes", 5.7),  # rank distance: lower is better, gains are −difference
        ((-0.5, 0.8), True, "no", 0.5),  # holds 0, excludes a 1-rank gain
        ((-3.0, 0.8), True, "undetermined", 3.0),
    ],
)
def test_verdicts(interval, lower_is_better, answer, bound):
    smallest = 1.0 if lower_is_better else 0.01
    v = verdict(*interval, mde=0.02, smallest_effect=smallest, lower_is_better=lower_is_better)
    assert (v.answer, v.bound) == (answer, pytest.approx(bound))
    assert v.text.startswith(answer)


def test_no_interval_is_undetermined():
    assert verdict(math.nan, math.nan, mde=math.inf, smallest_effect=0.01).answer == "undetermined"


def test_the_mde_uses_the_degrees_of_freedom_of_the_interval():
    """The answer's interval and its MDE share SE and ν: with ν given, the t quantiles use it (more
    degrees of freedom, a smaller MDE), and without it ν = k − 1."""
    assert minimum_detectable_effect(0.01, 3, dof=2) == minimum_detectable_effect(0.01, 3)
    wide = minimum_detectable_effect(0.01, 3, dof=500.0)
    assert wide == pytest.approx((stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * 0.01, rel=0.01)
    assert minimum_detectable_effect(0.01, 3, dof=math.nan) == math.inf


def test_a_multiplicity_adjusted_test_decides_whether_the_interval_excludes_0():
    """``significant=False`` (Holm-adjusted p ≥ 5 %): an interval on one side of 0 is read as holding 0
    — "no" when its better-side bound is below the smallest effect, else "undetermined", saying why."""
    assert verdict(0.004, 0.02, mde=0.02, smallest_effect=0.01, significant=True).answer == "yes"
    v = verdict(0.004, 0.02, mde=0.02, smallest_effect=0.01, significant=False)
    assert v.answer == "undetermined" and "not after the family's multiplicity adjustment" in v.text
    v = verdict(0.001, 0.008, mde=0.02, smallest_effect=0.01, significant=False)
    assert v.answer == "no" and "below the smallest effect of interest" in v.text
    v = verdict(-5.7, -2.0, mde=3.0, smallest_effect=1.0, lower_is_better=True, significant=False)
    assert v.answer == "undetermined"
