"""The study of the alignment objective (issue "Why no gain?"): its dose, its coverage, what it aligned,
its decomposition, and α — every answer over seeds, in the family "alignment study".

Fold 1 (``params/full.yaml``) trains, per seed, hybrid+align at λ ∈ {0.1, 0.25, 0.5, 1} (λ = 0 is
hybrid), hybrid+align with three alignment sources (XOR-TyDi, NTREX-128, Tatoeba), the alignment
objective alone (``align-only``) and hybrid at α ∈ {0.25, 0.75} (α = 0 and 1 are the crosslingual and
monolingual arms). This module reads those arms' result files and bitext-probe files from every seed's
run folder and answers five questions:

1. **Dose** — TyDi mAP (all languages, unseen ones) of each λ against hybrid (λ = 0).
2. **Coverage** — the TyDi effect of alignment (source arm − hybrid) on the languages the source covers,
   and on those it does not (XOR-TyDi lacks id and sw); per language, coloured by coverage.
3. **Probe** — does hybrid+align retrieve held-out translations better than hybrid (accuracy@1 and the
   ratio margin per NTREX line; a cluster is a line), and does the per-language probe gain predict the
   per-language TyDi gain (a correlation over 8 languages, exploratory: see :class:`Correlation`)?
4. **Decomposition** — align-only, hybrid (QA only) and hybrid+align (both) against zero-shot on TyDi.
5. **α** — is the change of Mo., Cr., Mul. mAP and rank distance from α = 0.5 to 0.25 and to 0.75
   within the smallest effect of interest (an equivalence question: :func:`equivalence_p`)?

Why one family: the study asks its questions together, after the research question's answer, so a
"yes" anywhere in it must survive the number of questions asked. Every comparison's estimate and
interval is :func:`hybridlib.analysis.intervals.seed_t_interval` (mean over seeds of each seed's paired
difference, ``± t(ν)·SE`` with the seed variance and the question sampling the seeds share), and the
p-values are Holm-adjusted over the whole family (``hybridlib.analysis.comparisons.ALIGNMENT_STUDY``).
The α comparisons test equivalence (H0: ``|Δ| ≥ δ``, two one-sided tests with the same ``SE`` and
``ν``), the others difference (H0: ``Δ = 0``); Holm controls the family-wise error over any set of
hypotheses with valid p-values, so both kinds share one family.

The study's comparisons are :class:`StudyComparison` objects of this module, not entries of
:data:`hybridlib.analysis.comparisons.COMPARISONS`: they restrict rows to languages (coverage), read the
probe's files, and test equivalence, none of which the research question's comparisons do.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from hybridlib.analysis.comparisons import ALIGNMENT_STUDY, FAMILIES
from hybridlib.analysis.intervals import seed_t_interval
from hybridlib.analysis.power import ALPHA, POWER, minimum_detectable_effect, verdict
from hybridlib.analysis.significance import holm_adjust
from hybridlib.analysis.stats import lareqa_setting_vectors
from hybridlib.config import repo_path
from hybridlib.data.languages import NTREX_LANGUAGES, TYDI_NON_ENGLISH, XOR_TYDI_LANGUAGES
from hybridlib.evaluation.results import load_per_query, load_result

#: The evaluation sets the study reads (fold 1: XQuAD-R for the LAReQA metrics, TyDi QA GoldP).
TYDI_SET = "tydiqa-goldp"
LAREQA_SET = "xquad-r"

#: λ → arm: the dose-response (λ = 0 is hybrid, 0.5 the research question's hybrid+align).
LAMBDA_ARMS: dict[float, str] = {
    0.0: "hybrid",
    0.1: "hybrid+align@lambda=0.1",
    0.25: "hybrid+align@lambda=0.25",
    0.5: "hybrid+align",
    1.0: "hybrid+align@lambda=1",
}
#: Alignment source → arm (hybrid+align trains on XOR-TyDi).
SOURCE_ARMS: dict[str, str] = {
    "xor-tydi": "hybrid+align",
    "ntrex": "hybrid+align@source=ntrex",
    "tatoeba": "hybrid+align@source=tatoeba",
}
#: α → arm (α = 0: X-Y batches only, the crosslingual arm; α = 1: X-X-mono only, the monolingual arm).
ALPHA_ARMS: dict[float, str] = {
    0.0: "crosslingual",
    0.25: "hybrid@alpha=0.25",
    0.5: "hybrid",
    0.75: "hybrid@alpha=0.75",
    1.0: "monolingual",
}
#: The decomposition: the alignment objective alone, QA only, both — each against zero-shot.
DECOMPOSITION_ARMS: tuple[str, ...] = ("align-only", "hybrid", "hybrid+align")
ZERO_SHOT = "zero-shot"
#: Every arm the study reads, in the order its tables show them.
STUDY_ARMS: tuple[str, ...] = tuple(
    dict.fromkeys(
        [
            ZERO_SHOT,
            "multilingual",
            *ALPHA_ARMS.values(),
            *LAMBDA_ARMS.values(),
            *SOURCE_ARMS.values(),
            "align-only",
        ]
    )
)
#: The LAReQA metrics of the α question: per-query vector key → the name the tables use.
ALPHA_METRICS: dict[str, str] = {
    "mo": "Mo. mAP",
    "cr": "Cr. mAP",
    "mul": "Mul. mAP",
    "rank_distance": "rank distance",
}
#: The probe's per-line metrics → names.
PROBE_METRICS: dict[str, str] = {"correct": "probe accuracy@1", "margin": "probe ratio margin"}
#: Per-row metric keys → the names the answers use.
METRIC_NAMES: dict[str, str] = {"mono_ap": "TyDi mono mAP", **ALPHA_METRICS, **PROBE_METRICS}
QUESTIONS: dict[str, str] = {
    "dose": "Dose-response: TyDi mAP against λ (hybrid+align@λ − hybrid)",
    "coverage": "Coverage: does alignment help the languages its source covers?",
    "probe": "Probe: does hybrid+align align the languages more than hybrid?",
    "decomposition": "Decomposition: each arm against zero-shot on TyDi",
    "alpha": "α: is the change from α = 0.5 within the smallest effect of interest?",
}


# --------------------------------------------------------------------------------------------- coverage
def source_coverage(
    align_languages: Sequence[str] | None = None, *, tatoeba: Sequence[str] | None = None
) -> dict[str, tuple[str, ...]]:
    """Source → the TyDi languages other than English its parallel text covers, as training reads it
    (:func:`hybridlib.train.inputs.alignment_pairs`): XOR-TyDi holds its own seven languages; Tatoeba
    and NTREX-128 are loaded in ``align_languages`` or, by default, every TyDi language but English, and
    a missing language file stops training. So the coverage follows from the parameters, with no data
    folder to read (``make results`` rebuilds from committed files alone). English is in every pair
    (the pivot), so it is neither covered nor uncovered: :func:`coverage_of` calls it ``pivot``.
    ``tatoeba`` given: those languages (tests)."""
    tydi = TYDI_NON_ENGLISH
    requested = tuple(align_languages) if align_languages else tydi
    tat = tuple(tatoeba) if tatoeba is not None else requested
    return {
        "xor-tydi": tuple(x for x in tydi if x in XOR_TYDI_LANGUAGES and x in requested),
        "ntrex": tuple(x for x in tydi if x in NTREX_LANGUAGES and x in requested),
        "tatoeba": tuple(x for x in tydi if x in tat),
    }


def coverage_of(language: str, covered: Iterable[str]) -> str:
    """``covered`` / ``not covered`` / ``pivot`` (English: one side of every alignment pair)."""
    if language == "en":
        return "pivot"
    return "covered" if language in set(covered) else "not covered"


# ------------------------------------------------------------------------------------------ the runs
@dataclass
class Study:
    """The study's inputs: per seed (``seeds``: seed → run folder), per kind (``tydi``, ``lareqa``,
    ``probe``) and arm, the result JSON (``results``) and the per-row vectors (``vectors``: ``qid``,
    ``cluster``, ``lang`` and the metrics). ``unseen``: the TyDi languages unseen in QA fine-tuning
    (read from hybrid's result, shared by every arm that fine-tunes on QA)."""

    seeds: dict[int, Path]
    results: dict[int, dict[str, dict[str, dict[str, Any]]]]
    vectors: dict[int, dict[str, dict[str, dict[str, np.ndarray]]]]
    unseen: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)

    def arms(self, kind: str) -> list[str]:
        """Arms with a result of ``kind`` in any seed, in :data:`STUDY_ARMS` order."""
        have = {a for by_kind in self.vectors.values() for a in by_kind.get(kind, {})}
        return [a for a in STUDY_ARMS if a in have] + sorted(have - set(STUDY_ARMS))


def _has_results(root: Path) -> bool:
    results, probe = root / "results", root / "probe"
    return any(results.glob("*/*.json")) or any(probe.glob("*.json"))


def discover_seeds(run_dir: str | Path, seed: int = 0) -> dict[int, Path]:
    """Seed → run folder, for every seed whose result files exist: ``seed`` is ``run_dir`` itself and
    seed N is ``run_dir/seed<N>`` (:func:`hybridlib.experiment.sweep.seed_params`). Read from the disk,
    not from ``seeds``, so that the study states what has finished, while later seeds still run."""
    root = repo_path(run_dir)
    found: dict[int, Path] = {}
    if root.is_dir() and _has_results(root):
        found[int(seed)] = root
    for folder in sorted(root.glob("seed*")) if root.is_dir() else []:
        m = re.fullmatch(r"seed(\d+)", folder.name)
        if m and folder.is_dir() and _has_results(folder) and int(m.group(1)) != int(seed):
            found[int(m.group(1))] = folder
    return dict(sorted(found.items()))


def _tydi_vectors(path: Path) -> dict[str, np.ndarray]:
    pq = load_per_query(path)
    return {
        "qid": pq["qid"],
        "cluster": pq["cluster"],
        "lang": pq["lang"].astype(str),
        "mono_ap": pq["mono_ap"],
    }


def _lareqa_vectors(path: Path) -> dict[str, np.ndarray]:
    pq = load_per_query(path)
    out = lareqa_setting_vectors(pq)
    out["lang"] = pq["lang"].astype(str)
    return out


def _probe_vectors(path: Path) -> dict[str, np.ndarray]:
    pq = load_per_query(path)
    out = {"qid": pq["qid"], "cluster": pq["cluster"], "lang": pq["lang"].astype(str)}
    for key in PROBE_METRICS:
        if key in pq:  # files from before the margin lack it
            out[key] = pq[key]
    return out


def load_study(
    run_dir: str | Path, *, seed: int = 0, arms: Sequence[str] = STUDY_ARMS, lareqa_set: str = LAREQA_SET
) -> Study:
    """Every seed's result and probe files of ``arms`` under ``run_dir`` (:func:`discover_seeds`).

    Zero-shot is one model, the same in every seed: a seed folder without its own zero-shot results
    uses the main run's vectors (the per-seed difference is then arm_seed − zero-shot); its ``results``
    stay the main run's only, so the tables show zero-shot as the one model it is (n=1). ``lareqa_set``: the
    LAReQA set of the α question (fold 1 evaluates XQuAD-R)."""
    seeds = discover_seeds(run_dir, seed)
    results: dict[int, dict[str, dict[str, dict[str, Any]]]] = {}
    vectors: dict[int, dict[str, dict[str, dict[str, np.ndarray]]]] = {}
    readers = {"tydi": (TYDI_SET, _tydi_vectors), "lareqa": (lareqa_set, _lareqa_vectors)}
    for s, root in seeds.items():
        res: dict[str, dict[str, dict[str, Any]]] = {"tydi": {}, "lareqa": {}, "probe": {}}
        vec: dict[str, dict[str, dict[str, np.ndarray]]] = {"tydi": {}, "lareqa": {}, "probe": {}}
        for arm in arms:
            for kind, (dataset, read) in readers.items():
                path = root / "results" / arm / f"{dataset}.json"
                if path.is_file():
                    res[kind][arm], vec[kind][arm] = load_result(path), read(path)
            path = root / "probe" / f"{arm}.json"
            if path.is_file():
                res["probe"][arm], vec["probe"][arm] = load_result(path), _probe_vectors(path)
        results[s], vectors[s] = res, vec
    notes = []
    main = int(seed) in seeds
    for s in seeds:
        for kind in ("tydi", "lareqa", "probe"):
            if (
                main
                and s != int(seed)
                and ZERO_SHOT not in vectors[s][kind]
                and ZERO_SHOT in vectors[int(seed)][kind]
            ):
                vectors[s][kind][ZERO_SHOT] = vectors[int(seed)][kind][ZERO_SHOT]
                notes.append(f"seed {s}: {kind} zero-shot taken from seed {seed} (one model for every seed)")
    unseen: tuple[str, ...] = ()
    for s in seeds:
        for arm in ("hybrid", "hybrid+align", "multilingual"):
            if arm in results[s]["tydi"]:
                unseen = tuple(results[s]["tydi"][arm].get("unseen_languages", ()))
                break
        if unseen:
            break
    return Study(seeds=seeds, results=results, vectors=vectors, unseen=unseen, notes=notes)


# ------------------------------------------------------------------------------------- the long table
def study_long(study: Study) -> pd.DataFrame:
    """``seed, arm, metric, value``: the tables' numbers of every seed and arm — TyDi mono mAP (macro
    over languages; ``tydi mAP unseen``: over the unseen languages; ``tydi mAP <lang>``), XQuAD-R
    ``Mo./Cr./Mul. mAP`` and ``rank distance`` (as the result files report them), the probe's macro
    ``probe accuracy`` / ``probe margin`` and per language. The plots' points and means read it."""
    rows = []
    for s in study.seeds:
        for arm, r in study.results[s]["tydi"].items():
            mono = r["pools"]["mono"]
            rows.append((s, arm, "tydi mAP", mono["macro"].get("mAP")))
            if study.unseen:  # macro over the study's unseen languages (align-only calls all unseen)
                vals = [mono["per_language"].get(x, {}).get("mAP") for x in study.unseen]
                vals = [v for v in vals if v is not None]
                rows.append((s, arm, "tydi mAP unseen", float(np.mean(vals)) if vals else None))
            for lang, cell in mono["per_language"].items():
                rows.append((s, arm, f"tydi mAP {lang}", cell.get("mAP")))
        for arm, r in study.results[s]["lareqa"].items():
            for key, name in (("mo", "Mo. mAP"), ("cr", "Cr. mAP"), ("mul", "Mul. mAP")):
                rows.append((s, arm, name, r["mAP"].get(key)))
            rows.append((s, arm, "rank distance", r["rank_distance"].get("macro")))
        for arm, r in study.results[s]["probe"].items():
            macro = r.get("macro", {})
            rows.append((s, arm, "probe accuracy", macro.get("mean")))
            if "margin" in macro:
                rows.append((s, arm, "probe margin", macro["margin"]))
            for lang, acc in r.get("accuracy", {}).items():
                rows.append((s, arm, f"probe accuracy {lang}", acc.get("mean")))
                if "margin" in acc:
                    rows.append((s, arm, f"probe margin {lang}", acc["margin"]))
    long = pd.DataFrame(rows, columns=["seed", "arm", "metric", "value"])
    long["value"] = pd.to_numeric(long["value"], errors="coerce")
    return long


def seed_values(long: pd.DataFrame, arm: str, metric: str) -> pd.Series:
    """``seed → value`` of one arm and metric (empty when absent)."""
    rows = long[(long["arm"] == arm) & (long["metric"] == metric)]
    return rows.set_index("seed")["value"].dropna().sort_index()


def mean_sd(values: pd.Series, decimals: int = 4) -> str:
    """``mean ± sd (n=k)`` over seeds; one seed: ``mean (n=1)``; none: ``—``."""
    v = values.dropna()
    if v.empty:
        return "—"
    if len(v) == 1:
        return f"{v.iloc[0]:.{decimals}f} (n=1)"
    return f"{v.mean():.{decimals}f} ± {v.std(ddof=1):.{decimals}f} (n={len(v)})"


# ------------------------------------------------------------------------------------ the comparisons
@dataclass(frozen=True)
class StudyComparison:
    """``arm`` − ``baseline`` on the per-row ``metric`` of the ``kind`` files (``tydi``, ``lareqa``,
    ``probe``), rows restricted to ``languages`` (None: all; ``unseen``: the study's unseen
    languages). ``test``: ``difference`` (H0: Δ = 0, the verdict of
    :func:`hybridlib.analysis.power.verdict`) or ``equivalence`` (H0: |Δ| ≥ δ, :func:`equivalence_p`).
    ``question`` groups the answers (:data:`QUESTIONS`); ``family`` is always the alignment study's."""

    question: str
    kind: str
    metric: str
    arm: str
    baseline: str
    label: str
    languages: tuple[str, ...] | None = None
    unseen: bool = False
    lower_is_better: bool = False
    test: str = "difference"
    family: str = ALIGNMENT_STUDY

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"{self.label}: family {self.family!r} is none of {sorted(FAMILIES)}")
        if self.test not in ("difference", "equivalence") or self.question not in QUESTIONS:
            raise ValueError(f"{self.label}: test {self.test!r} / question {self.question!r} unknown")


def study_comparisons(coverage: Mapping[str, Sequence[str]]) -> list[StudyComparison]:
    """The family's comparisons, question by question (``coverage``: :func:`source_coverage`)."""
    out = []
    for lam, arm in LAMBDA_ARMS.items():
        if lam == 0.0:
            continue
        out.append(
            StudyComparison("dose", "tydi", "mono_ap", arm, "hybrid", f"λ = {lam:g} vs λ = 0, all languages")
        )
        out.append(
            StudyComparison(
                "dose",
                "tydi",
                "mono_ap",
                arm,
                "hybrid",
                f"λ = {lam:g} vs λ = 0, unseen languages",
                unseen=True,
            )
        )
    for source, arm in SOURCE_ARMS.items():
        covered = tuple(coverage.get(source, ()))
        uncovered = tuple(x for x in TYDI_NON_ENGLISH if x not in covered)
        for langs, what in ((covered, "covered"), (uncovered, "not covered")):
            if langs:
                out.append(
                    StudyComparison(
                        "coverage", "tydi", "mono_ap", arm, "hybrid",
                        f"{source} vs hybrid, languages {what} ({' '.join(langs)})", languages=langs,
                    )
                )  # fmt: skip
    for metric, name in PROBE_METRICS.items():
        out.append(
            StudyComparison(
                "probe", "probe", metric, "hybrid+align", "hybrid", f"hybrid+align vs hybrid, {name}"
            )
        )
    for arm in DECOMPOSITION_ARMS:
        out.append(
            StudyComparison(
                "decomposition", "tydi", "mono_ap", arm, ZERO_SHOT, f"{arm} vs zero-shot, TyDi mAP"
            )
        )
    for alpha in (0.25, 0.75):
        for metric, name in ALPHA_METRICS.items():
            out.append(
                StudyComparison(
                    "alpha", "lareqa", metric, ALPHA_ARMS[alpha], "hybrid",
                    f"α = {alpha:g} vs α = 0.5, {name}",
                    lower_is_better=metric == "rank_distance", test="equivalence",
                )
            )  # fmt: skip
    return out


def _rows(study: Study, c: StudyComparison, langs: np.ndarray) -> np.ndarray:
    if c.unseen:
        return np.isin(langs, list(study.unseen))
    if c.languages is not None:
        return np.isin(langs, list(c.languages))
    return np.ones(langs.size, dtype=bool)


def per_seed_differences(
    study: Study, c: StudyComparison, *, languages: Sequence[str] | None = None
) -> tuple[list[int], list[tuple[np.ndarray, np.ndarray]]]:
    """The seeds whose runs hold both arms (and the metric), and per seed the per-row differences arm −
    baseline with their cluster ids, rows restricted as ``c`` says (``languages`` overrides: one
    language's rows for the per-language effects). Rows must be the same questions in both arms."""
    seeds, diffs = [], []
    for s in study.seeds:
        by_arm = study.vectors[s].get(c.kind, {})
        a, b = by_arm.get(c.arm), by_arm.get(c.baseline)
        if a is None or b is None or c.metric not in a or c.metric not in b:
            continue
        if not np.array_equal(a["qid"], b["qid"]):
            raise ValueError(f"seed {s}, {c.kind}: {c.arm} and {c.baseline} hold different questions")
        keep = np.isin(a["lang"], list(languages)) if languages is not None else _rows(study, c, a["lang"])
        if not keep.any():
            continue
        seeds.append(int(s))
        diffs.append(((a[c.metric] - b[c.metric])[keep], a["cluster"][keep]))
    return seeds, diffs


def equivalence_p(diff: float, se: float, dof: float, margin: float) -> float:
    """Two one-sided tests of H0 ``|Δ| ≥ margin`` with the interval's ``SE`` and ``ν``: the larger of
    ``P(T > (Δ̂ + margin)/SE)`` and ``P(T > (margin − Δ̂)/SE)``. Small: the change lies within ±margin.
    Why: "stable" is a claim that an effect is small, which a difference test (H0: Δ = 0) cannot make."""
    if not (math.isfinite(se) and math.isfinite(dof) and se > 0):
        return math.nan
    low = stats.t.sf((diff + margin) / se, dof)
    high = stats.t.sf((margin - diff) / se, dof)
    return float(max(low, high))


def equivalence_verdict(
    ci_low: float, ci_high: float, *, margin: float, significant: bool | None, decimals: int
) -> tuple[str, str]:
    """``(answer, sentence)`` of an equivalence comparison: ``yes`` (stable: the Holm-adjusted equivalence
    test rejects ``|Δ| ≥ margin``), ``no`` (the whole interval lies beyond ±margin: it changes), else
    ``undetermined`` (the interval reaches ±margin)."""
    d = decimals
    if not (math.isfinite(ci_low) and math.isfinite(ci_high)):
        return "undetermined", "undetermined (no interval)"
    if significant:
        return (
            "yes",
            f"yes — stable: the change lies within ±{margin:.{d}f} (the smallest effect of interest)",
        )
    if ci_low > margin or ci_high < -margin:
        return "no", f"no — it changes by more than {margin:.{d}f}"
    return (
        "undetermined",
        f"undetermined: the interval [{ci_low:+.{d}f}, {ci_high:+.{d}f}] reaches beyond ±{margin:.{d}f}, "
        "so stability within the smallest effect of interest is not shown",
    )


def study_table(
    study: Study,
    comparisons: Sequence[StudyComparison],
    *,
    smallest_effect_map: float = 0.01,
    smallest_effect_rank_distance: float = 1.0,
) -> tuple[pd.DataFrame, list[str]]:
    """The family's comparisons over seeds, and the ones that could not be computed (with why).

    Columns: ``question, comparison, arm, baseline, metric, languages, test, family, n_seeds, seeds,
    n_favour_arm, diff, ci_low, ci_high, se, dof, n_clusters, p`` (difference: of Δ = 0; equivalence:
    of |Δ| ≥ δ), ``p_holm`` (Holm over every p of the family), ``family_size``, ``margin`` (δ), ``mde``
    (difference only: at 80 % power, level 5 %/family size, the same SE and ν), ``answer``, ``verdict``.
    The probe's margin is a ratio, not an mAP: its smallest effect of interest is taken as the mAP's
    (0.01 of a ratio near 1 is a 1 % stand-out), a choice stated in docs/alignment-study.md."""
    rows, missing = [], []
    for c in comparisons:
        seeds, diffs = per_seed_differences(study, c)
        if not seeds:
            have = {k for s in study.seeds for k in study.vectors[s].get(c.kind, {})}
            absent = [a for a in (c.arm, c.baseline) if a not in have]
            why = f"no results of {', '.join(absent)}" if absent else f"no per-row {c.metric} in the files"
            missing.append(f"{QUESTIONS[c.question].split(':')[0]} — {c.label}: {why}")
            continue
        est = seed_t_interval(diffs)
        per_seed = est.per_seed
        ranks = c.metric == "rank_distance"
        margin = smallest_effect_rank_distance if ranks else smallest_effect_map
        p = est.p_value if c.test == "difference" else equivalence_p(est.diff, est.se, est.dof, margin)
        rows.append(
            {
                "question": c.question,
                "comparison": c.label,
                "arm": c.arm,
                "baseline": c.baseline,
                "metric": c.metric,
                "languages": "unseen: " + " ".join(study.unseen)
                if c.unseen
                else " ".join(c.languages or ()) or "all",
                "test": c.test,
                "family": c.family,
                "n_seeds": len(seeds),
                "seeds": " ".join(map(str, seeds)),
                "n_favour_arm": int(((per_seed < 0) if c.lower_is_better else (per_seed > 0)).sum()),
                "diff": est.diff,
                "ci_low": est.ci_low,
                "ci_high": est.ci_high,
                "se": est.se,
                "dof": est.dof,
                "n_clusters": est.n_clusters,
                "p": p,
                "margin": margin,
                "lower_is_better": c.lower_is_better,
            }
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return table, missing
    table["p_holm"] = np.nan
    table["family_size"] = 0
    for _, idx in table.groupby("family", sort=False).groups.items():
        table.loc[idx, "p_holm"] = holm_adjust(table.loc[idx, "p"].to_numpy(dtype=float))
        table.loc[idx, "family_size"] = int(table.loc[idx, "p"].notna().sum())
    answers = []
    for r in table.itertuples(index=False):
        d = 2 if r.metric == "rank_distance" else 4
        significant = bool(r.p_holm < ALPHA) if np.isfinite(r.p_holm) else None
        if r.test == "equivalence":
            answer, text = equivalence_verdict(
                r.ci_low, r.ci_high, margin=r.margin, significant=significant, decimals=d
            )
            answers.append({"mde": np.nan, "answer": answer, "verdict": text})
            continue
        mde = minimum_detectable_effect(r.se, r.n_seeds, alpha=ALPHA / max(r.family_size, 1), dof=r.dof)
        v = verdict(
            r.ci_low, r.ci_high, mde=mde, smallest_effect=r.margin, lower_is_better=r.lower_is_better,
            decimals=d, significant=significant,
        )  # fmt: skip
        answers.append({"mde": mde, "answer": v.answer, "verdict": v.text})
    return pd.concat([table, pd.DataFrame(answers)], axis=1), missing


# ------------------------------------------------------------------------------- per-language effects
def language_effects(
    study: Study, arm: str, baseline: str, *, kind: str = "tydi", metric: str = "mono_ap"
) -> pd.DataFrame:
    """Per language: ``arm − baseline`` over seeds on that language's rows (``diff``, the mean over
    seeds, with its unadjusted 95 % interval from :func:`seed_t_interval`, and ``n_seeds``). Descriptive:
    these intervals are not in the family (the family tests the covered / uncovered groups)."""
    langs = sorted(
        {x for s in study.seeds for x in study.vectors[s].get(kind, {}).get(arm, {}).get("lang", [])}
    )
    rows = []
    c = StudyComparison("coverage", kind, metric, arm, baseline, f"{arm} per language")
    for lang in langs:
        seeds, diffs = per_seed_differences(study, c, languages=[lang])
        if not seeds:
            continue
        est = seed_t_interval(diffs)
        rows.append(
            {
                "language": lang,
                "diff": est.diff,
                "ci_low": est.ci_low,
                "ci_high": est.ci_high,
                "n_seeds": len(seeds),
            }
        )
    return pd.DataFrame(rows, columns=["language", "diff", "ci_low", "ci_high", "n_seeds"])


def coverage_effects(study: Study, coverage: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Per alignment source and TyDi language: the effect of alignment (source arm − hybrid, TyDi mAP)
    with its coverage (``covered`` / ``not covered`` / ``pivot``). Sources whose arm has no results are
    left out."""
    frames = []
    for source, arm in SOURCE_ARMS.items():
        eff = language_effects(study, arm, "hybrid")
        if eff.empty:
            continue
        eff.insert(0, "source", source)
        eff.insert(1, "arm", arm)
        eff.insert(3, "coverage", [coverage_of(x, coverage.get(source, ())) for x in eff["language"]])
        frames.append(eff)
    cols = ["source", "arm", "language", "coverage", "diff", "ci_low", "ci_high", "n_seeds"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


# ------------------------------------------------------------------------------ probe vs TyDi, by language
@dataclass
class Correlation:
    """Probe gain against TyDi gain across languages (``points``: language, probe_gain, tydi_gain; each
    the mean over seeds of that seed's per-language difference arm − baseline), Pearson ``r`` and
    Spearman ``rho`` with their two-sided p-values, and ``detectable``: the smallest |ρ| that a test at
    5 % would detect with 80 % power from ``n`` points (Fisher z) — with 8 languages about 0.85, so only
    a large correlation can be seen, and a null result says little. Exploratory: not in the family."""

    probe_metric: str
    points: pd.DataFrame
    n: int
    r: float
    p_r: float
    rho: float
    p_rho: float
    detectable: float


def detectable_correlation(n: int, *, alpha: float = ALPHA, power: float = POWER) -> float:
    """The |ρ| a two-sided test at ``alpha`` detects with ``power`` from ``n`` points (Fisher z:
    ``tanh((z_{1−α/2} + z_power)/√(n − 3))``); NaN below 4 points."""
    if n < 4:
        return math.nan
    return float(math.tanh((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) / math.sqrt(n - 3)))


def probe_tydi_correlation(
    study: Study, *, arm: str = "hybrid+align", baseline: str = "hybrid", probe_metric: str = "margin"
) -> Correlation | None:
    """Does the probe gain predict the TyDi gain, language by language? None when either gain is
    missing (no probe file with ``probe_metric``, or no TyDi results of both arms)."""
    probe = language_effects(study, arm, baseline, kind="probe", metric=probe_metric)
    tydi = language_effects(study, arm, baseline)
    if probe.empty or tydi.empty:
        return None
    points = (
        probe[["language", "diff"]]
        .rename(columns={"diff": "probe_gain"})
        .merge(tydi[["language", "diff"]].rename(columns={"diff": "tydi_gain"}), on="language")
    )
    n = len(points)
    nan = math.nan
    if n >= 3 and points["probe_gain"].nunique() > 1 and points["tydi_gain"].nunique() > 1:
        r, p_r = stats.pearsonr(points["probe_gain"], points["tydi_gain"])
        rho, p_rho = stats.spearmanr(points["probe_gain"], points["tydi_gain"])
    else:
        r = p_r = rho = p_rho = nan
    return Correlation(
        probe_metric, points, n, float(r), float(p_r), float(rho), float(p_rho), detectable_correlation(n)
    )


def probe_correlation(
    study: Study, *, arm: str = "hybrid+align", baseline: str = "hybrid"
) -> Correlation | None:
    """:func:`probe_tydi_correlation` on the ratio margin where every seed's probe files of both arms hold
    it, else on accuracy@1: the margin first because accuracy saturates on long news sentences (nearly
    every line is found), so its gains are mostly 0 and say little about how much closer the languages
    came."""
    return probe_tydi_correlation(study, arm=arm, baseline=baseline, probe_metric="margin") or (
        probe_tydi_correlation(study, arm=arm, baseline=baseline, probe_metric="correct")
    )


def correlation_sentence(c: Correlation | None) -> str:
    """The correlation stated with what 8 points can and cannot detect."""
    if c is None:
        return "Probe gain vs TyDi gain by language: not computable (a probe or TyDi result is missing)."
    name = PROBE_METRICS.get(c.probe_metric, c.probe_metric)
    if not math.isfinite(c.r):
        return (
            f"Probe gain ({name}) vs TyDi gain by language: {c.n} languages, no correlation computable "
            "(a gain is constant across languages, or too few languages)."
        )
    return (
        f"Probe gain ({name}) vs TyDi gain of hybrid+align − hybrid across {c.n} languages: Pearson r = "
        f"{c.r:+.2f} (p = {c.p_r:.3g}), Spearman ρ = {c.rho:+.2f} (p = {c.p_rho:.3g}). Exploratory, outside "
        f"the family's Holm control. With {c.n} points a test at 5 % detects only |ρ| ≥ {c.detectable:.2f} "
        "with 80 % power: a non-significant correlation does not show that the probe gain fails to "
        "predict the TyDi gain, only that no large correlation was seen."
    )


# ------------------------------------------------------------------------------------------ the tables
def _interval(r: Mapping[str, Any], d: int = 4) -> str:
    if not math.isfinite(r["ci_low"]):
        return f"{r['diff']:+.{d}f} (no interval)"
    return f"{r['diff']:+.{d}f} [{r['ci_low']:+.{d}f}, {r['ci_high']:+.{d}f}]"


def comparison_row(
    table: pd.DataFrame, question: str, arm: str, label_part: str = ""
) -> dict[str, Any] | None:
    """The one row of ``question`` whose arm is ``arm`` and whose label holds ``label_part``."""
    if table.empty:
        return None
    rows = table[
        (table["question"] == question)
        & (table["arm"] == arm)
        & table["comparison"].str.contains(label_part, regex=False)
    ]
    return rows.iloc[0].to_dict() if len(rows) else None


def dose_table(long: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Per λ: the arm, TyDi mAP (all, unseen) mean ± sd over seeds (tables' macro numbers), and the
    difference vs λ = 0 with its 95 % interval (over questions and seeds: per-row micro mean)."""
    rows = []
    for lam, arm in LAMBDA_ARMS.items():
        all_, unseen = seed_values(long, arm, "tydi mAP"), seed_values(long, arm, "tydi mAP unseen")
        d_all, d_unseen = (
            comparison_row(table, "dose", arm, "all languages"),
            comparison_row(table, "dose", arm, "unseen languages"),
        )
        rows.append(
            {
                "λ": lam,
                "arm": arm,
                "mAP": mean_sd(all_),
                "mAP unseen": mean_sd(unseen),
                "Δ vs λ=0 [95%]": _interval(d_all) if d_all else ("0 (baseline)" if lam == 0.0 else "—"),
                "Δ unseen [95%]": _interval(d_unseen)
                if d_unseen
                else ("0 (baseline)" if lam == 0.0 else "—"),
                "answer": d_all["answer"] if d_all else "",
                "answer unseen": d_unseen["answer"] if d_unseen else "",
            }
        )
    return pd.DataFrame(rows)


def decomposition_table(long: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Zero-shot, align-only, hybrid, hybrid+align: what each trains, TyDi mAP mean ± sd over seeds, and
    the difference vs zero-shot with its 95 % interval and verdict."""
    trains = {
        ZERO_SHOT: "nothing",
        "align-only": "alignment only",
        "hybrid": "QA only",
        "hybrid+align": "QA + alignment",
    }
    rows = []
    for arm, what in trains.items():
        r = comparison_row(table, "decomposition", arm) if arm != ZERO_SHOT else None
        rows.append(
            {
                "arm": arm,
                "trains": what,
                "TyDi mAP": mean_sd(seed_values(long, arm, "tydi mAP")),
                "Δ vs zero-shot [95%]": _interval(r) if r else ("0 (baseline)" if arm == ZERO_SHOT else "—"),
                "p (Holm)": f"{r['p_holm']:.3g}" if r and math.isfinite(r["p_holm"]) else "",
                "verdict": r["verdict"] if r else "",
            }
        )
    return pd.DataFrame(rows)


def probe_table(long: pd.DataFrame) -> pd.DataFrame:
    """Per arm with a probe file: accuracy@1 (mean of both directions, macro over languages) and the
    ratio margin, mean ± sd over seeds."""
    arms = [a for a in STUDY_ARMS if a in set(long.loc[long["metric"] == "probe accuracy", "arm"])]
    return pd.DataFrame(
        [
            {
                "arm": arm,
                "accuracy@1": mean_sd(seed_values(long, arm, "probe accuracy")),
                "ratio margin": mean_sd(seed_values(long, arm, "probe margin")),
            }
            for arm in arms
        ],
        columns=["arm", "accuracy@1", "ratio margin"],
    )


def alpha_table(long: pd.DataFrame) -> pd.DataFrame:
    """Per α: the arm and XQuAD-R Mo./Cr./Mul. mAP and rank distance, mean ± sd over seeds."""
    rows = []
    for alpha, arm in ALPHA_ARMS.items():
        row: dict[str, Any] = {"α": alpha, "arm": arm}
        for name in ALPHA_METRICS.values():
            row[name] = mean_sd(seed_values(long, arm, name), 2 if name == "rank distance" else 4)
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------- the answers
#: Said beside answers over exactly two seeds: the interval's coverage is shown by simulation from 3
#: seeds on (docs/statistics.md); at 2 it falls short of 95 %.
TWO_SEEDS = (
    "With 2 seeds the intervals cover less than their stated 95 % (docs/statistics.md: use at least 3), "
    "so these answers are provisional until a third seed."
)


def study_answers(
    table: pd.DataFrame, missing: Sequence[str], correlation: Correlation | None, *, seeds: Sequence[int]
) -> str:
    """The study's answers, every number read from :func:`study_table`: the family and its Holm control,
    then per question one sentence per comparison (the verdict first), the exploratory correlation, and
    what could not be computed."""
    m = int(table["family_size"].max()) if not table.empty else 0
    control = (
        f"Family: {FAMILIES[ALIGNMENT_STUDY]} — {m} comparison{'s' if m != 1 else ''} tested. Family-wise "
        "error 5 % by Holm over their p-values (difference tests: H0 Δ = 0; the α comparisons: equivalence, "
        "H0 |Δ| ≥ the smallest effect of interest). Each interval is the unadjusted 95 % interval (mean ± "
        't(ν)·SE over seeds and question clusters); the answer is yes, or "no — worse", only where the '
        "Holm-adjusted p is below 0.05; the detectable effect is at level 5 %/"
        f"{max(m, 1)} and 80 % power."
        if m
        else f"Family: {FAMILIES[ALIGNMENT_STUDY]} — no comparison over two or more seeds, so none tested "
        "(one seed: the seed variance, and so the interval, is unknown)."
    )
    if int(table["n_seeds"].max() if not table.empty else 0) == 2:
        control += f" {TWO_SEEDS}"
    lines = [
        "# The alignment study: answers",
        "",
        f"Seeds with result files: {', '.join(map(str, seeds)) or 'none'}.",
    ]
    lines += ["", control]
    for question, title in QUESTIONS.items():
        rows = table[table["question"] == question] if not table.empty else table
        if rows.empty:
            continue
        lines += ["", f"## {title}", ""]
        for r in rows.to_dict("records"):
            d = 2 if r["metric"] == "rank_distance" else 4
            if math.isfinite(r["ci_low"]):
                p_name = "equivalence p" if r["test"] == "equivalence" else "p"
                detail = (
                    f"95% interval [{r['ci_low']:+.{d}f}, {r['ci_high']:+.{d}f}] "
                    f"(t with ν = {r['dof']:.1f}, over {r['n_seeds']} seeds and {r['n_clusters']} clusters); "
                    f"{p_name} = {r['p']:.3g}, "
                    f"Holm-adjusted {r['p_holm']:.3g}"
                )
            else:
                detail = f"no interval over {r['n_seeds']} seed (the seed variance is unknown)"
            lines.append(
                f"- **{r['comparison']}: {r['verdict']}.** {r['arm']} better in {r['n_favour_arm']} of "
                f"{r['n_seeds']} seeds; {METRIC_NAMES.get(r['metric'], r['metric'])} difference "
                f"{r['diff']:+.{d}f}, {detail}."
            )
        if question == "probe":
            lines += ["", correlation_sentence(correlation)]
    if missing:
        lines += ["", "## Not computed (arms or files this run does not have)", ""]
        lines += [f"- {x}" for x in missing]
    return "\n".join(lines) + "\n"


def what_this_shows(
    table: pd.DataFrame, missing: Sequence[str], correlation: Correlation | None, *, seeds: Sequence[int]
) -> str:
    """A short summary, every number from the tables: per question how many comparisons say yes / no /
    undetermined, the largest dose effect, the decomposition's differences, the probe's and α's."""
    if table.empty:
        return f"No study comparison could be computed from seeds {list(seeds)}: {len(missing)} missing."
    parts = [f"Over seeds {', '.join(map(str, seeds))}, {len(table)} comparisons of the family were computed "
             f"({len(missing)} not)."]  # fmt: skip
    if int(table["n_seeds"].max()) < 2:
        parts.append("With one seed no interval exists, so every answer is undetermined.")
    elif int(table["n_seeds"].max()) == 2:
        parts.append(TWO_SEEDS)
    for question, title in QUESTIONS.items():
        rows = table[table["question"] == question]
        if rows.empty:
            continue
        counts = rows["answer"].value_counts()
        tally = ", ".join(f"{counts.get(a, 0)} {a}" for a in ("yes", "no", "undetermined"))
        best = rows.loc[rows["diff"].abs().idxmax()]
        d = 2 if best["metric"] == "rank_distance" else 4
        parts.append(
            f"{title.split(':')[0]}: {tally}; the largest difference is {best['comparison']} "
            f"{best['diff']:+.{d}f}."
        )
    if correlation is not None and math.isfinite(correlation.r):
        parts.append(
            f"Probe gain vs TyDi gain across {correlation.n} languages: r = {correlation.r:+.2f} (only |ρ| ≥ "
            f"{correlation.detectable:.2f} detectable)."
        )
    return " ".join(parts)


# ------------------------------------------------------------------------------------------- the docs
DOCS_START = "<!-- study:start -->"
DOCS_END = "<!-- study:end -->"


def fill_docs(path: str | Path, text: str) -> Path:
    """Replace what lies between :data:`DOCS_START` and :data:`DOCS_END` in ``path`` with ``text``, so
    that the docs' numbers are generated, never typed. Raises when the markers are missing."""
    from hybridlib.io import write_text

    path = Path(path)
    doc = path.read_text(encoding="utf-8")
    if DOCS_START not in doc or DOCS_END not in doc:
        raise ValueError(f"{path} has no markers {DOCS_START} … {DOCS_END}")
    head, rest = doc.split(DOCS_START, 1)
    _, tail = rest.split(DOCS_END, 1)
    return write_text(path, f"{head}{DOCS_START}\n{text.strip()}\n{DOCS_END}{tail}")


def describes_fold1(run_dir: str | Path) -> bool:
    """Whether ``run_dir`` is fold 1's run (``params/full.yaml``): the docs describe that run only, so
    the notebook fills them only then (a tiny or test run leaves them alone)."""
    from hybridlib.dataset_names import REPO_ROOT
    from hybridlib.params import load_yaml

    fold1 = load_yaml(REPO_ROOT / "params" / "full.yaml").run_dir
    return repo_path(run_dir).resolve() == repo_path(fold1).resolve()
