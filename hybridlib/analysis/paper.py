"""The paper beside this repository: its published numbers as data, and a scorecard of its claims.

The paper's Table 1, Table 2 and MIRACL means are files under ``data/paper/`` (copied with their source
from the project's shared folder; see its README), so that no paper number is typed into code or docs.
They come from other models (XLM-R, LaBSE), other training data and another scale: they are set beside
ours for direction, never compared for level.

The **claims scorecard** gives each claim of ``data/paper/claims.md`` (C1–C10) one verdict per fold,
read from the answers over seeds (:func:`hybridlib.analysis.answers.seed_comparisons`):

* ``supported``, ``contradicted``, ``not separable at this power`` or ``not tested here``.

A claim is a conjunction of *parts* (:data:`CLAIMS`); each part names one comparison of
:data:`hybridlib.analysis.comparisons.COMPARISONS` by label (the one definition of what is compared) and
the kind of statement the paper makes about it (:func:`part_verdict`):

* ``better`` — the arm beats the baseline: supported when the interval lies on the arm's side and the
  Holm-adjusted p (within the comparison's family) is below 5 %; contradicted when it is significantly
  worse or the interval excludes a gain as large as the smallest effect of interest ("no" in the
  answers); otherwise not separable at this power.
* ``not worse`` — "matches or beats", "comparable": supported when the interval excludes a loss as
  large as the smallest effect of interest; contradicted when the arm is significantly worse (Holm) and
  the interval does not rule out such a loss; otherwise not separable at this power.

A claim is contradicted when any tested part is, supported when every tested part is, not separable
otherwise, and not tested here when no part's comparison was made in that fold (a set the fold does not
evaluate). C9 (MIRACL) is not evaluated here. C10 (α) is answered by the alignment study's α arms: its
verdict comes from that study's comparisons table when it exists (:func:`alpha_claim_verdict`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hybridlib.analysis.comparisons import COMPARISONS
from hybridlib.analysis.power import ALPHA
from hybridlib.config import REPO_ROOT

#: Where the paper's numbers live (a data folder of the repository, with its source in its README).
PAPER_DIR = REPO_ROOT / "data" / "paper"

SUPPORTED = "supported"
CONTRADICTED = "contradicted"
NOT_SEPARABLE = "not separable at this power"
NOT_TESTED = "not tested here"
VERDICTS = (SUPPORTED, CONTRADICTED, NOT_SEPARABLE, NOT_TESTED)

BETTER = "better"
NOT_WORSE = "not worse"

#: The paper's sampling names for our arms (the paper trains these three).
PAPER_ARMS = {"monolingual": "X-X-mono", "crosslingual": "X-Y", "hybrid": "hybrid"}


@dataclass(frozen=True)
class ClaimPart:
    """One statement of a claim: ``kind`` (:data:`BETTER` or :data:`NOT_WORSE`) about the comparison
    whose label is ``comparison`` (arm against baseline, as :data:`COMPARISONS` defines it)."""

    comparison: str
    kind: str

    def __post_init__(self) -> None:
        if self.comparison not in {c.label for c in COMPARISONS}:
            raise ValueError(f"claim part {self.comparison!r} names no comparison of COMPARISONS")
        if self.kind not in (BETTER, NOT_WORSE):
            raise ValueError(f"claim part kind {self.kind!r} is neither {BETTER!r} nor {NOT_WORSE!r}")


@dataclass(frozen=True)
class Claim:
    """A claim of ``data/paper/claims.md``: its ``parts``, or why it is not tested here."""

    id: str
    parts: tuple[ClaimPart, ...] = ()
    not_tested: str = ""


#: Every claim of ``data/paper/claims.md``, mapped once onto the comparisons that test it.
CLAIMS: tuple[Claim, ...] = (
    # C1 and C2 are one statement from either side: X-X-mono wins Mo., X-Y wins Cr. and Mul.
    Claim("C1", (ClaimPart("X-X-mono vs X-Y on Mo.", BETTER), ClaimPart("X-Y vs X-X-mono on Cr.", BETTER),
                 ClaimPart("X-Y vs X-X-mono on Mul.", BETTER))),
    Claim("C2", (ClaimPart("X-Y vs X-X-mono on Cr.", BETTER), ClaimPart("X-Y vs X-X-mono on Mul.", BETTER),
                 ClaimPart("X-X-mono vs X-Y on Mo.", BETTER))),
    Claim("C3", (ClaimPart("hybrid vs X-X-mono on Mo.", NOT_WORSE),)),
    Claim("C4", (ClaimPart("hybrid vs X-Y on Cr.", NOT_WORSE),)),
    Claim("C5", (ClaimPart("hybrid vs X-Y on Mul.", NOT_WORSE),)),
    Claim("C6", (ClaimPart("hybrid vs X-X-mono, rank distance", BETTER),)),
    Claim("C7", (ClaimPart("hybrid vs X-Y, rank distance", NOT_WORSE),)),
    # Languages absent from fine-tuning: TyDi QA's unseen languages (fold 1; fold 2 evaluates MLQA-R,
    # whose languages XQuAD-R training all covers)
    Claim("C8", (ClaimPart("hybrid vs X-X-mono, unseen languages", NOT_WORSE),
                 ClaimPart("hybrid vs X-Y, unseen languages", NOT_WORSE))),
    Claim("C9", not_tested="MIRACL is not evaluated by this repository"),
    Claim("C10", not_tested="answered by the alignment study's α arms (fold 1)"),
)  # fmt: skip


def read_paper_claims(path: Path | None = None) -> dict[str, str]:
    """``{id: claim text}`` from ``claims.md``'s table (the paper's claims, paraphrased one per line)."""
    text = (path or PAPER_DIR / "claims.md").read_text()
    claims = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].startswith("C") and cells[0][1:].isdigit():
            claims[cells[0]] = cells[1]
    return claims


def paper_table(name: str, folder: Path | None = None) -> pd.DataFrame:
    """One of the paper's CSV files (``table1_map``, ``table2_rank_distance``, ``miracl_dev_means``)."""
    return pd.read_csv((folder or PAPER_DIR) / f"{name}.csv")


def part_verdict(row: pd.Series | None, kind: str, *, lower_is_better: bool, smallest_effect: float) -> str:
    """The verdict of one claim part from its over-seeds comparison ``row`` (module docstring); ``None``
    (the fold did not make the comparison) is :data:`NOT_TESTED`; no interval (one seed) is
    :data:`NOT_SEPARABLE`."""
    if row is None:
        return NOT_TESTED
    low, high = float(row["ci_low"]), float(row["ci_high"])
    if not (math.isfinite(low) and math.isfinite(high)):
        return NOT_SEPARABLE
    gain_low, gain_high = (-high, -low) if lower_is_better else (low, high)  # > 0 favours the arm
    p_holm = float(row["p_holm"])
    significant = math.isfinite(p_holm) and p_holm < ALPHA
    if kind == BETTER:
        if significant and gain_low > 0:
            return SUPPORTED
        if (significant and gain_high < 0) or gain_high < smallest_effect:
            return CONTRADICTED
        return NOT_SEPARABLE
    if gain_low > -smallest_effect:
        return SUPPORTED
    if significant and gain_high < 0:
        return CONTRADICTED
    return NOT_SEPARABLE


def combine(verdicts: list[str]) -> str:
    """A claim's verdict from its parts' (module docstring)."""
    tested = [v for v in verdicts if v != NOT_TESTED]
    if not tested:
        return NOT_TESTED
    if CONTRADICTED in tested:
        return CONTRADICTED
    return SUPPORTED if all(v == SUPPORTED for v in tested) else NOT_SEPARABLE


def _difference(diff: float, ci_low: float, ci_high: float, n_seeds: int, *, ranks: bool) -> str:
    """A difference, its interval ("no interval" below two seeds) and its seeds, as every piece of
    scorecard evidence writes them (rank distances to 2 decimals, mAP to 4)."""
    d = 2 if ranks else 4
    interval = f"[{ci_low:+.{d}f}, {ci_high:+.{d}f}]" if np.isfinite(ci_low) else "no interval"
    return f"{diff:+.{d}f} {interval} (n={int(n_seeds)})"


def _evidence(row: pd.Series, dataset_label: bool) -> str:
    where = f"{row['dataset']}, " if dataset_label else ""
    ranks = "rank distance" in str(row["metric"])
    shown = _difference(row["diff"], row["ci_low"], row["ci_high"], row["n_seeds"], ranks=ranks)
    return f"{where}{row['comparison']}: {shown}"


def claim_verdicts(
    comparisons: pd.DataFrame, *, smallest_effect_map: float, smallest_effect_rank_distance: float
) -> pd.DataFrame:
    """One row per claim of :data:`CLAIMS` for one fold: ``claim``, ``verdict`` and ``evidence`` (each
    tested part's difference, interval and seeds), from that fold's :func:`seed_comparisons` table
    (empty: every claim not tested). A comparison made on several datasets of the fold counts on each."""
    lower = {c.label: c.lower_is_better for c in COMPARISONS}
    rows = []
    for claim in CLAIMS:
        if not claim.parts:
            rows.append({"claim": claim.id, "verdict": NOT_TESTED, "evidence": claim.not_tested})
            continue
        verdicts, evidence = [], []
        for part in claim.parts:
            made = (
                comparisons[comparisons["comparison"] == part.comparison]
                if not comparisons.empty
                else comparisons
            )
            if made.empty:
                verdicts.append(NOT_TESTED)
                continue
            for _, row in made.iterrows():
                ranks = lower[part.comparison]  # rank distance is the one lower-is-better metric
                sei = smallest_effect_rank_distance if ranks else smallest_effect_map
                verdicts.append(part_verdict(row, part.kind, lower_is_better=ranks, smallest_effect=sei))
                evidence.append(_evidence(row, dataset_label=False))
        verdict = combine(verdicts)
        rows.append(
            {
                "claim": claim.id,
                "verdict": verdict,
                "evidence": "; ".join(evidence) if evidence else "no comparison of this claim in this fold",
            }
        )
    return pd.DataFrame(rows, columns=["claim", "verdict", "evidence"])


def _alpha_evidence(row: Any) -> str:
    """One α equivalence test written as every comparison is (:func:`_difference`), with its margin and
    answer."""
    shown = _difference(row.diff, row.ci_low, row.ci_high, row.n_seeds, ranks=row.metric == "rank_distance")
    return f"{row.arm} vs {row.baseline}, {row.metric}: {shown}, margin ±{row.margin:g} ({row.answer})"


def alpha_claim_verdict(study_table: Path, *, smallest_effect_map: float) -> tuple[str, str]:
    """C10's verdict and evidence from the alignment study's comparisons over seeds
    (``study_comparisons.csv``, written by ``notebooks/10_alignment_study``:
    :func:`hybridlib.analysis.study.study_table`). "Results are stable for α in [0.4, 0.6]" is read as
    the study's α question: each equivalence test of α = 0.25 and 0.75 against α = 0.5 (Mo., Cr., Mul.
    mAP and rank distance, Holm within the alignment-study family) says whether the change stays within
    the smallest effect of interest. Every test stable: supported; any change beyond it: contradicted;
    otherwise not separable at this power. The grid has no α inside (0.4, 0.6) but 0.5, so the study
    tests a wider band than the claim: stability there implies it inside. ``smallest_effect_map`` is the
    margin the study used (recorded per row); it is only named in the evidence. No file or no α rows:
    not tested here, naming the file awaited."""
    if not study_table.is_file():
        return NOT_TESTED, f"the alignment study has not written {study_table.name} yet"
    table = pd.read_csv(study_table)
    alpha = table[(table.get("question") == "alpha") & (table.get("test") == "equivalence")]
    if alpha.empty:
        return NOT_TESTED, f"{study_table.name} holds no α comparison"
    parts = {"yes": SUPPORTED, "no": CONTRADICTED}
    verdicts = [parts.get(str(a), NOT_SEPARABLE) for a in alpha["answer"]]
    evidence = [_alpha_evidence(r) for r in alpha.itertuples(index=False)]
    return combine(verdicts), "; ".join(evidence) + f" (smallest effect of mAP {smallest_effect_map:g})"


def scorecard(
    by_fold: dict[str, pd.DataFrame],
    *,
    smallest_effect_map: float,
    smallest_effect_rank_distance: float,
    alpha: tuple[str, str] | None = None,
    claims_text: dict[str, str] | None = None,
) -> pd.DataFrame:
    """The claims scorecard: one row per claim, its text (``claims.md``), then per fold (``by_fold``:
    fold name → that fold's :func:`seed_comparisons` table) its verdict and evidence. ``alpha`` (C10's
    verdict and evidence from :func:`alpha_claim_verdict`) is set in the first fold, the one that runs the
    alignment study; the other folds leave C10 not tested."""
    text = claims_text if claims_text is not None else read_paper_claims()
    table = pd.DataFrame({"claim": [c.id for c in CLAIMS]})
    table["paper's claim"] = table["claim"].map(text).fillna("")
    for i, (fold, comparisons) in enumerate(by_fold.items()):
        verdicts = claim_verdicts(
            comparisons,
            smallest_effect_map=smallest_effect_map,
            smallest_effect_rank_distance=smallest_effect_rank_distance,
        ).set_index("claim")
        if alpha is not None and i == 0:
            verdicts.loc["C10", ["verdict", "evidence"]] = list(alpha)
        table[f"{fold}: verdict"] = table["claim"].map(verdicts["verdict"])
        table[f"{fold}: evidence"] = table["claim"].map(verdicts["evidence"])
    return table


def paper_beside_ours(
    ours: pd.DataFrame, paper: pd.DataFrame, value: str, columns: list[str], *, decimals: int = 3
) -> pd.DataFrame:
    """The paper's rows (``model, sampling``) and ours in one table: ``ours`` is long (``arm, column,
    cell``: our formatted mean over seeds per column), ``paper`` the paper's CSV with ``value`` and a
    ``column`` key (its numbers printed to ``decimals``, as the paper prints them). Rows are labelled
    with their model, so that no one reads them as one experiment: the paper's XLM-R and LaBSE
    (machine-translated QA + mMARCO, batch 100) first, then this repository's multilingual-e5-small
    (MLQA-R or XQuAD-R, batch 32, CPU)."""
    rows = []
    for (model, sampling), part in paper.groupby(["model", "sampling"], sort=False):
        cells = {c: f"{v:.{decimals}f}" for c, v in zip(part["column"], part[value], strict=True)}
        rows.append({"model (data, scale)": f"paper: {model}", "sampling": sampling, **cells})
    for arm, part in ours.groupby("arm", sort=False):
        cells = dict(zip(part["column"], part["cell"], strict=True))
        name = PAPER_ARMS.get(arm, arm)
        rows.append({"model (data, scale)": "ours: multilingual-e5-small", "sampling": name, **cells})
    out = pd.DataFrame(rows)
    return out[["model (data, scale)", "sampling", *[c for c in columns if c in out]]].fillna("—")
