"""What a seeds × questions design can detect, and the answer it allows: yes, no (bounded), undetermined.

An interval that contains 0 is not an answer by itself: it may be narrow (the effect is at most a
small bound — "no") or wide (the design could not have seen an effect that matters — "undetermined").
Two numbers tell them apart:

* the **minimum detectable effect** (MDE) of the design at the observed variance: the true difference
  a two-sided test at level ``alpha`` would detect with probability ``power``,
  ``MDE = (t_{1-alpha/2, ν} + t_{power, ν}) × SE``, where ``SE`` is the standard error of the mean
  difference over ``k`` seeds and ``ν`` its degrees of freedom — the very ``SE`` and ``ν`` of the
  interval the answer reads (:mod:`hybridlib.analysis.intervals`: seed variance plus the question
  sampling the seeds share); without ``ν``, ``k − 1`` (the seed variance is estimated from ``k``
  seeds: a normal quantile would claim too much for 3–5 seeds). Over seeds the answers pass
  ``alpha`` = 5 % / (comparisons in the family): the level a lone effect must reach under Holm;
* the **smallest effect of interest** — a choice, not a measurement (parameters
  ``smallest_effect_map``, ``smallest_effect_rank_distance``; README "Statistics").

The verdict (:func:`verdict`), with "better" meaning higher mAP or lower rank distance:

* ``yes`` — the 95 % interval lies entirely on the better side of 0;
* ``no`` — the interval lies entirely on the worse side, or it contains 0 but its better-side bound is
  below the smallest effect of interest: "the gain is at most <bound>";
* with ``significant`` given (a multiplicity-adjusted test, e.g. Holm's p < 5 %), an interval that
  excludes 0 counts as excluding it only when the test agrees; otherwise it is read as one that holds
  0 ("no" with its bound, or "undetermined");
* ``undetermined`` — the interval contains 0 and reaches an effect of interest; the MDE says how
  large an effect this design would have caught.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from scipy import stats

#: Level and power of the minimum detectable effect.
ALPHA = 0.05
POWER = 0.80


def minimum_detectable_effect(
    se: float, n_seeds: int, *, alpha: float = ALPHA, power: float = POWER, dof: float | None = None
) -> float:
    """``(t_{1-alpha/2, ν} + t_{power, ν}) × se`` with ``ν = dof`` (the interval's degrees of freedom,
    so that the MDE and the answer agree on what the design can tell), ``n_seeds − 1`` without it;
    infinite with one seed (no seed variance is known) or without a finite ``se`` / ``dof``."""
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError(f"alpha = {alpha} and power = {power} must lie in (0, 1)")
    nu = n_seeds - 1 if dof is None else dof
    if n_seeds < 2 or not math.isfinite(se) or not nu > 0:
        return math.inf
    return float((stats.t.ppf(1 - alpha / 2, nu) + stats.t.ppf(power, nu)) * se)


class Verdict(NamedTuple):
    """``answer`` (``yes`` / ``no`` / ``undetermined``), ``bound`` (the better-side limit of the interval,
    as a gain for the arm: "the gain is at most ``bound``"), and the sentence saying so."""

    answer: str
    bound: float
    text: str


def verdict(
    ci_low: float,
    ci_high: float,
    *,
    mde: float | None,
    smallest_effect: float,
    lower_is_better: bool = False,
    decimals: int = 4,
    significant: bool | None = None,
) -> Verdict:
    """The answer an interval of arm − baseline allows (see the module docstring); numbers in the
    sentence have ``decimals`` decimals (4 for mAP, 2 for ranks). ``mde`` None: one training seed, whose
    interval is over questions only, so no detectable effect of the design is known. ``significant``:
    the verdict of a multiplicity-adjusted test of the same difference (None: the interval alone
    decides); an interval that excludes 0 without it is read as holding 0."""
    if not (math.isfinite(ci_low) and math.isfinite(ci_high)):
        return Verdict("undetermined", math.nan, "undetermined (no interval)")
    # as gains for the arm: positive = better
    low, high = (-ci_high, -ci_low) if lower_is_better else (ci_low, ci_high)
    d = decimals
    detectable = (
        f"detectable effect at {POWER:.0%} power: {mde:.{d}f}"
        if mde is not None
        else "one training seed: the interval is over questions only"
    )
    excludes_zero = significant is not False
    if low > 0 and excludes_zero:
        return Verdict("yes", high, f"yes (the gain is at least {low:.{d}f})")
    if high < 0 and excludes_zero:
        return Verdict("no", high, f"no — worse: the gain is at most {high:+.{d}f}")
    if high < smallest_effect:
        return Verdict(
            "no",
            high,
            f"no — the gain is at most {high:+.{d}f}, below the smallest effect of interest "
            f"{smallest_effect:.{d}f}",
        )
    if significant is False and (low > 0 or high < 0):
        return Verdict(
            "undetermined",
            high,
            f"undetermined: the interval excludes 0, but not after the family's multiplicity "
            f"adjustment ({detectable})",
        )
    return Verdict("undetermined", high, f"undetermined at this power ({detectable})")
