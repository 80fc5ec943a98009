"""The alignment study's finding in plain sentences, for the README's answer (issue "Why no gain?", item
7): why hybrid+align does what it does on TyDi QA, read from the study's comparisons over seeds
(:func:`hybridlib.analysis.study.study_table`, written by ``notebooks/10_alignment_study`` as
``study_comparisons.csv``).

Four of the study's questions explain the research answer, one clause each: the dose (every λ against
λ = 0), the coverage (each alignment source on the languages it covers), the probe (did the languages
align more?) and the decomposition (each objective against zero-shot e5). The fifth, α, tests one of the
paper's claims and is scored with the others (claim C10 of the scorecard), not here.

Each comparison is named by its answer in the family's terms (Holm over the whole study, the smallest
effect of interest): "raises", "lowers" (a Holm-significant loss), "no gain ≥ δ" (the interval
rules out a gain of the smallest effect of interest δ, but not a loss), or "undetermined". Below two
seeds no interval exists: the sentences then give the differences only and say they are not answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from hybridlib.analysis.study import DECOMPOSITION_ARMS, LAMBDA_ARMS, SOURCE_ARMS, TWO_SEEDS, comparison_row

#: Source key → the name the finding prints.
SOURCE_NAMES: dict[str, str] = {"xor-tydi": "XOR-TyDi", "ntrex": "NTREX-128", "tatoeba": "Tatoeba"}
#: Decomposition arm → the name the finding prints.
DECOMPOSITION_NAMES: dict[str, str] = {
    "align-only": "alignment alone",
    "hybrid": "QA batches alone (hybrid)",
    "hybrid+align": "both (hybrid+align)",
}


def answer_word(row: Mapping[str, Any], smallest_effect: float) -> str:
    """One comparison's answer in a word or three (the module docstring's terms)."""
    if int(row["n_seeds"]) < 2:
        return "no interval"
    if row["answer"] == "yes":
        return "raises"
    if row["answer"] == "no":
        return "lowers" if str(row["verdict"]).startswith("no — worse") else f"no gain ≥ {smallest_effect:g}"
    return "undetermined"


def _difference(row: Mapping[str, Any], smallest_effect: float) -> str:
    """The difference, with its answer where an interval exists."""
    if int(row["n_seeds"]) < 2:
        return f"{row['diff']:+.4f}"
    return f"{row['diff']:+.4f} ({answer_word(row, smallest_effect)})"


def _tally(words: list[str]) -> str:
    counts = pd.Series(words).value_counts()
    return ", ".join(f"{n} {word}" for word, n in counts.items())


def study_finding(table: pd.DataFrame, *, smallest_effect: float) -> str:
    """The finding: one paragraph, a lead-in and up to four clauses, every number read from ``table`` (the
    study's comparisons, one row per comparison with ``question, arm, metric, languages, comparison,
    n_seeds, family_size, diff, answer, verdict``). An empty table gives a sentence saying so."""
    if table.empty:
        return "The alignment study has no comparison yet: fold 1 has no seed with its arms' result files.\n"
    k, m = int(table["n_seeds"].max()), int(table["family_size"].max())
    sentences = [
        f"Why (the alignment study, fold 1, {k} seed{'s' if k != 1 else ''}"
        + (f", Holm over its {m} comparisons" if m else "; without an interval these are not answers")
        + "; docs/alignment-study.md):"
    ]
    dose = [
        (lam, r)
        for lam, arm in LAMBDA_ARMS.items()
        if lam and (r := comparison_row(table, "dose", arm, "all languages"))
    ]
    if dose:
        diffs = [r["diff"] for _, r in dose]
        words = [answer_word(r, smallest_effect) for _, r in dose]
        sentences.append(
            f"against hybrid batches alone (λ = 0), TyDi mAP changes by {min(diffs):+.4f} to "
            f"{max(diffs):+.4f} over λ = {', '.join(f'{lam:g}' for lam, _ in dose)}"
            + (f" ({_tally(words)});" if k >= 2 else ";")
        )
    coverage = [
        (s, r)
        for s, arm in SOURCE_ARMS.items()
        if (r := comparison_row(table, "coverage", arm, "languages covered"))
    ]
    if coverage:
        sentences.append(
            "on the TyDi languages its parallel text covers, alignment with "
            + ", ".join(f"{SOURCE_NAMES.get(s, s)} {_difference(r, smallest_effect)}" for s, r in coverage)
            + ";"
        )
    probe = comparison_row(table, "probe", "hybrid+align", "probe accuracy@1")
    if probe:
        sentences.append(
            f"on held-out translations, hybrid+align's bitext accuracy@1 against hybrid's is "
            f"{_difference(probe, smallest_effect)};"
        )
    parts = [(a, r) for a in DECOMPOSITION_ARMS if (r := comparison_row(table, "decomposition", a))]
    if parts:
        sentences.append(
            "against zero-shot e5, TyDi mAP changes by "
            + ", ".join(
                f"{_difference(r, smallest_effect)} with {DECOMPOSITION_NAMES.get(a, a)}" for a, r in parts
            )
            + "."
        )
    text = " ".join(sentences).rstrip(";")
    if not text.endswith("."):
        text += "."
    if k == 2:
        text += f" {TWO_SEEDS}"
    return text + "\n"
