"""The research answers, stated from the tables: one sentence per comparison of
:data:`hybridlib.analysis.comparisons.COMPARISONS`, every number read from result files or tables.

* :func:`research_answers` — the answers of one run (``figures/answers.md``), from its results and its
  significance table (:func:`hybridlib.analysis.tables.significance_table`).
* :func:`seed_comparisons` — the comparisons over training seeds, one estimate with its interval over
  seeds and question clusters each (:func:`hybridlib.analysis.intervals.seed_t_interval`) and its
  Holm-adjusted p within its family (``figures/table_seed_comparisons.csv``); :func:`seed_answers`
  states them, family by family (``figures/answers_seeds.md``).
* :func:`side_by_side` — several settings' comparisons over the same seeds, row by row, and
  :func:`side_by_side_summary` — in how many comparisons the answer is the same.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from hybridlib.analysis.comparisons import COMPARISONS, FAMILIES, LAREQA, TYDI, Comparison, comparisons_for
from hybridlib.analysis.intervals import seed_t_interval
from hybridlib.analysis.power import ALPHA, minimum_detectable_effect, verdict
from hybridlib.analysis.significance import holm_adjust
from hybridlib.analysis.tables import Results, Vectors, vector_metrics


def _sig_row(sig: pd.DataFrame, dataset: str, metric: str, baseline: str, arm: str) -> pd.Series | None:
    if sig.empty:
        return None
    rows = sig[(sig["dataset"] == dataset) & (sig["metric"] == metric) & (sig["baseline"] == baseline)]
    rows = rows[rows["arm"] == arm]
    return rows.iloc[0] if len(rows) else None


def _run_difference(sig: pd.DataFrame, dataset: str, c: Comparison) -> dict[str, float] | None:
    """The significance row of ``c`` on ``dataset`` as arm − baseline: both arms' means over questions,
    ``diff`` with its interval ``low``/``high``, ``p`` and ``clusters``. The table tests each arm against
    a baseline (multilingual, hybrid), so a comparison whose arm is one of those is read flipped."""
    row = _sig_row(sig, dataset, c.metric, c.baseline, c.arm)
    flipped = row is None
    if flipped and (row := _sig_row(sig, dataset, c.metric, c.arm, c.baseline)) is None:
        return None
    other = row["mean"] - row["diff"]  # the mean of the row's baseline
    sign = -1.0 if flipped else 1.0
    clusters = row.get("n_clusters", np.nan)
    return {
        "arm": other if flipped else row["mean"],
        "baseline": row["mean"] if flipped else other,
        "diff": sign * row["diff"],
        "low": -row["diff_ci_high"] if flipped else row["diff_ci_low"],
        "high": -row["diff_ci_low"] if flipped else row["diff_ci_high"],
        "p": row["p_value"],
        # a table from before cluster counts: one question per cluster
        "clusters": int(row["n"] if pd.isna(clusters) else clusters),
    }


def research_answers(
    results: Results,
    sig: pd.DataFrame,
    *,
    smallest_effect_map: float,
    smallest_effect_rank_distance: float,
) -> str:
    """The answers of one run, one sentence per comparison of
    :data:`hybridlib.analysis.comparisons.COMPARISONS` on every dataset of its kind that the significance
    table ``sig`` holds (LAReQA sets first, then TyDi QA): the verdict
    (:func:`hybridlib.analysis.power.verdict`: yes / no with its bound / undetermined, never a bare
    sign), both arms' means over questions, and arm − baseline with its 95 % cluster-bootstrap interval and
    the paired sign-flip p over question clusters. One training seed: the interval carries the
    sampling of questions, not the training noise (the answers over seeds carry both), so no minimum
    detectable effect is stated."""
    lines = []
    # a dataset's kind is its results' task ("lareqa" / "tydi", the kinds of the comparisons)
    tasks = {ds: r[ds]["task"] for r in results.values() for ds in r}
    datasets = sorted(set(sig["dataset"])) if not sig.empty else []
    for task in (LAREQA, TYDI):
        for ds in (ds for ds in datasets if tasks.get(ds) == task):
            for c in comparisons_for(task):
                row = _run_difference(sig, ds, c)
                if row is None:
                    continue
                ranks = c.metric == "rank_distance"
                d = 2 if ranks else 4  # decimals: ranks, mAP
                answer = verdict(
                    row["low"],
                    row["high"],
                    mde=None,
                    smallest_effect=smallest_effect_rank_distance if ranks else smallest_effect_map,
                    lower_is_better=c.lower_is_better,
                    decimals=d,
                )
                lines.append(
                    f"- **{ds}, {c.label}: {answer.text}.** Means over questions: {c.arm} "
                    f"{row['arm']:.{d}f}, {c.baseline} {row['baseline']:.{d}f}; {c.arm} − {c.baseline} "
                    f"{row['diff']:+.{d}f}, 95% "
                    f"interval [{row['low']:+.{d}f}, {row['high']:+.{d}f}] over {row['clusters']} question "
                    f"clusters, paired permutation p = {row['p']:.3g}."
                )
    return "\n".join(lines) + "\n"


def seed_comparisons(
    long: pd.DataFrame,
    sig_by_seed: Mapping[int, pd.DataFrame],
    vectors_by_seed: Mapping[int, Vectors],
    *,
    smallest_effect_map: float = 0.01,
    smallest_effect_rank_distance: float = 1.0,
) -> pd.DataFrame:
    """The research question's comparisons (:data:`hybridlib.analysis.comparisons.COMPARISONS`) over
    training seeds, as one estimate with its interval, and each family's multiplicity control.

    ``vectors_by_seed`` maps a seed to that seed run's per-query vectors
    (:func:`hybridlib.analysis.tables.per_query_vectors`); ``long`` (columns ``arm, seed, metric, value``,
    :func:`hybridlib.experiment.sweep.seed_runs`) gives the table (macro) numbers; ``sig_by_seed`` maps a
    seed to that run's significance table (:func:`hybridlib.analysis.tables.significance_table`).

    Per comparison, over the seeds whose runs hold both arms:

    * ``diff``       mean over seeds of each seed's paired mean difference arm − baseline (over questions)
    * ``ci_low``, ``ci_high``  its 95 % interval ``diff ± t(ν)·se``
      (:func:`hybridlib.analysis.intervals.seed_t_interval`): ``se² = s²(seeds)/k`` + the question
      sampling the seeds share (cross-seed cluster covariance), so it carries both the training noise
      and the sampling of questions — the one interval to read; unadjusted for multiplicity
    * ``se``, ``dof``  its standard error and degrees of freedom ν; ``p`` the two-sided p of
      ``diff = 0`` from the same t and ν (``p < 0.05`` exactly when the interval excludes 0)
    * ``family``, ``family_size``, ``p_holm``  the comparison's family
      (:data:`hybridlib.analysis.comparisons.FAMILIES`), how many of its comparisons this table holds
      with a p, and ``p`` Holm-adjusted over them (family-wise error 5 %)
    * ``n_seeds``, ``n_favour_arm``  seeds, and seeds whose difference favours the arm (higher mAP, lower
      rank distance); ``diff_std`` the sample std of the per-seed differences; ``n_clusters`` clusters
    * ``diff_tables``  mean over seeds of the difference of the tables' (macro-averaged) numbers; equal to
      ``diff`` on balanced parallel sets, it may differ slightly where languages have unequal counts
    * ``p_values``   each seed's clustered paired permutation p-value (detail; not pooled)
    * ``mde``  the minimum detectable effect at 80 % power from the same ``se`` and ``ν``, at level
      5 % / ``family_size`` (what a lone effect must reach under Holm;
      :func:`hybridlib.analysis.power.minimum_detectable_effect`)
    * ``answer``, ``bound``, ``verdict``  yes / no / undetermined against the smallest effect of
      interest (``smallest_effect_map``, or ``smallest_effect_rank_distance`` for rank distance), the
      better-side bound of the interval, and the sentence (:func:`hybridlib.analysis.power.verdict`,
      significant only where ``p_holm < 0.05``)

    One seed: no interval (the seed variance is unknown), so "undetermined (no interval)".
    """
    rows, comparisons = [], []
    for ds, task in _datasets_in_question_order(vectors_by_seed):
        for c in comparisons_for(task):
            seeds, diffs = _per_seed_differences(vectors_by_seed, ds, c)
            if not seeds:
                continue
            est = seed_t_interval(diffs)
            per_seed = est.per_seed
            p_values = _per_seed_p_values(sig_by_seed, ds, c, seeds)
            comparisons.append((c, est))
            rows.append(
                {
                    "dataset": ds,
                    "comparison": c.label,
                    "arm": c.arm,
                    "baseline": c.baseline,
                    "metric": c.table_metric,
                    "family": c.family,
                    "n_seeds": len(seeds),
                    "n_favour_arm": int(((per_seed < 0) if c.lower_is_better else (per_seed > 0)).sum()),
                    "diff": est.diff,
                    "ci_low": est.ci_low,
                    "ci_high": est.ci_high,
                    "diff_std": float(per_seed.std(ddof=1)) if len(seeds) > 1 else np.nan,
                    "n_clusters": est.n_clusters,
                    "diff_tables": _mean_table_difference(long, ds, c, seeds),
                    "p_values": " ".join(f"{p:.3g}" for p in p_values),
                    "se": est.se,
                    "dof": est.dof,
                    "p": est.p_value,
                }
            )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table["p_holm"], table["family_size"] = np.nan, 0
    for _, idx in table.groupby("family", sort=False).groups.items():
        table.loc[idx, "p_holm"] = holm_adjust(table.loc[idx, "p"].to_numpy())
        table.loc[idx, "family_size"] = int(table.loc[idx, "p"].notna().sum())
    answers = []
    for (c, est), r in zip(comparisons, table.itertuples(index=False), strict=True):
        mde = minimum_detectable_effect(est.se, r.n_seeds, alpha=ALPHA / max(r.family_size, 1), dof=est.dof)
        ranks = c.metric == "rank_distance"
        answer = verdict(
            est.ci_low,
            est.ci_high,
            mde=mde,
            smallest_effect=smallest_effect_rank_distance if ranks else smallest_effect_map,
            lower_is_better=c.lower_is_better,
            decimals=2 if ranks else 4,
            significant=bool(r.p_holm < ALPHA) if np.isfinite(r.p_holm) else None,
        )
        answers.append({"mde": mde, "answer": answer.answer, "bound": answer.bound, "verdict": answer.text})
    return pd.concat([table, pd.DataFrame(answers)], axis=1)


def _datasets_in_question_order(vectors_by_seed: Mapping[int, Vectors]) -> list[tuple[str, str]]:
    """``(dataset, task)`` of every dataset in any seed's vectors: LAReQA sets first, then TyDi QA (the
    order of the research questions), each by name. A dataset is TyDi QA when its vectors are TyDi's."""
    datasets = sorted({ds for vectors in vectors_by_seed.values() for ds in vectors})
    is_tydi = {}
    for ds in datasets:
        by_arm = next(v[ds] for v in vectors_by_seed.values() if ds in v)
        is_tydi[ds] = "mono_mAP" in vector_metrics(by_arm)
    return [
        (ds, TYDI if is_tydi[ds] else LAREQA) for ds in sorted(datasets, key=lambda ds: (is_tydi[ds], ds))
    ]


def _per_seed_differences(
    vectors_by_seed: Mapping[int, Vectors], dataset: str, c: Comparison
) -> tuple[list[int], list[tuple[np.ndarray, np.ndarray]]]:
    """The seeds (ascending) whose run holds both arms of ``c`` on ``dataset``, and per seed the per-query
    differences arm − baseline with their cluster ids (the input of ``seed_t_interval``)."""
    seeds, diffs = [], []
    for s_, vectors in sorted(vectors_by_seed.items()):
        by_arm = vectors.get(dataset, {})
        if c.arm in by_arm and c.baseline in by_arm and c.metric in by_arm[c.arm]:
            a, b = by_arm[c.arm], by_arm[c.baseline]
            if not np.array_equal(a["cluster"], b["cluster"]):
                raise ValueError(f"seed {s_}, {dataset}: {c.arm} and {c.baseline} have different clusters")
            seeds.append(int(s_))
            diffs.append((a[c.metric] - b[c.metric], a["cluster"]))
    return seeds, diffs


def _mean_table_difference(long: pd.DataFrame, dataset: str, c: Comparison, seeds: list[int]) -> float:
    """Mean over ``seeds`` of the tables' (macro) number of ``c.arm`` − ``c.baseline``; NaN without both."""
    tables = long[(long["metric"] == f"{dataset} {c.table_metric}") & long["seed"].isin(seeds)]
    values = tables.pivot(index="seed", columns="arm", values="value")
    if c.arm in values and c.baseline in values:
        return float((values[c.arm] - values[c.baseline]).mean())
    return np.nan


def _per_seed_p_values(
    sig_by_seed: Mapping[int, pd.DataFrame], dataset: str, c: Comparison, seeds: list[int]
) -> list[float]:
    """Each seed's permutation p-value of ``c`` from its significance table, which may have tested the
    pair either way round (arm against baseline, or baseline against arm); NaN where it has neither."""
    p_values = []
    for s_ in seeds:
        sig = sig_by_seed.get(s_, pd.DataFrame())
        row = _sig_row(sig, dataset, c.metric, c.baseline, c.arm)
        row = row if row is not None else _sig_row(sig, dataset, c.metric, c.arm, c.baseline)
        p_values.append(float(row["p_value"]) if row is not None else np.nan)
    return p_values


def seed_answers(comparisons: pd.DataFrame) -> str:
    """The answers over seeds, every number read from a :func:`seed_comparisons` table: per family
    (:data:`hybridlib.analysis.comparisons.FAMILIES`, in that order) a line naming it and its
    multiplicity control, then one sentence per comparison: the verdict, the seeds that favour the arm,
    the difference with its unadjusted 95 % interval (``ν``, seeds, clusters), ``p`` and its
    Holm-adjusted value, and the per-seed permutation p-values."""
    names = {"mo mAP": "Mo. mAP", "cr mAP": "Cr. mAP", "mul mAP": "Mul. mAP", "mAP unseen": "mAP"}
    order = {f: i for i, f in enumerate(FAMILIES)}
    lines = []
    families = sorted(comparisons["family"].unique(), key=lambda f: order.get(f, len(order)))
    for family in families:
        rows = comparisons[comparisons["family"] == family]
        m = int(rows["family_size"].max())
        if lines:
            lines.append("")
        name = FAMILIES.get(family, family)
        lines.append(
            f"Family: {name} — {m} comparison{'s' if m != 1 else ''} tested. Family-wise error 5 % by "
            'Holm over their p-values: the answer is yes or "no — worse" only where the Holm-adjusted p '
            "is below 0.05; each interval shown is the unadjusted 95 % interval (mean ± t(ν)·SE over "
            f"seeds and question clusters), and the detectable effect is at level 5 %/{m}."
            if m
            else f"Family: {name} — no comparison over two or more seeds, so none tested."
        )
        lines.append("")
        for r in rows.itertuples(index=False):
            interval = (
                f"95% interval [{r.ci_low:+.4f}, {r.ci_high:+.4f}] (t with ν = {r.dof:.1f}, over "
                f"{r.n_seeds} seeds and {r.n_clusters} question clusters); p = {r.p:.3g}, Holm-adjusted "
                f"{r.p_holm:.3g}"
                if np.isfinite(r.ci_low)
                else f"no interval over {r.n_seeds} seed (the seed variance is unknown)"
            )
            # One run's significance table holds only the pairs 06_compare tests (against multilingual
            # and hybrid, and the research arm's): other comparisons have no per-seed permutation p.
            p_values = str(r.p_values).split()
            per_seed = (
                f"; per-seed paired permutation p: {', '.join(p_values)}"
                if p_values and not all(p == "nan" for p in p_values)
                else ""
            )
            lines.append(
                f"- **{r.dataset}, {r.comparison}: {r.verdict}.** {r.arm} better in {r.n_favour_arm} of "
                f"{r.n_seeds} seeds; {names.get(r.metric, r.metric)} difference {r.diff:+.4f}, "
                f"{interval}{per_seed}."
            )
    return "\n".join(lines) + "\n"


def interval_favours(ci_low: float, ci_high: float, *, lower_is_better: bool) -> str:
    """Which side a 95 % interval of arm − baseline excludes 0 for: ``arm``, ``baseline``, or ``neither``
    (it contains 0)."""
    if ci_low <= 0 <= ci_high:
        return "neither"
    return "arm" if (ci_high < 0) == lower_is_better else "baseline"


def side_by_side(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Several settings' :func:`seed_comparisons` (``{label: table}``, the reference setting first), one
    row per comparison that every table holds: per setting the difference with its 95 % interval, the
    seeds that favour the arm, the side the interval favours (:func:`interval_favours`) and the verdict.
    ``same answer`` is ``yes`` when every setting gives the same yes / no / undetermined *and* its
    interval favours the same side: "no — worse" and "no — the gain is at most X" are both "no", but a
    difference that stops being significant is a change. A comparison some setting lacks (an arm it did
    not train) is left out."""
    lower_is_better = {c.label: c.lower_is_better for c in COMPARISONS}
    labels = list(tables)
    keys = ["dataset", "comparison"]
    merged = None
    for label in labels:
        part = tables[label].copy()
        bounds = list(zip(part["ci_low"], part["ci_high"], strict=True))
        part["interval"] = [f"[{lo:+.4f}, {hi:+.4f}]" for lo, hi in bounds]
        part["wins"] = [f"{w} of {n}" for w, n in zip(part["n_favour_arm"], part["n_seeds"], strict=True)]
        part["favours"] = [
            interval_favours(lo, hi, lower_is_better=lower_is_better[c])
            for (lo, hi), c in zip(bounds, part["comparison"], strict=True)
        ]
        part["finding"] = part["answer"] + "/" + part["favours"]
        part = part[[*keys, "diff", "interval", "wins", "favours", "verdict", "finding"]]
        part = part.rename(columns={c: f"{label}: {c}" for c in part.columns if c not in keys})
        merged = part if merged is None else merged.merge(part, on=keys, how="inner")
    findings = merged[[f"{label}: finding" for label in labels]]
    merged["same answer"] = findings.nunique(axis=1).eq(1).map({True: "yes", False: "no"})
    return merged.drop(columns=list(findings.columns)).reset_index(drop=True)


def side_by_side_summary(table: pd.DataFrame, labels: list[str]) -> str:
    """One paragraph from a :func:`side_by_side` table: in how many comparisons every setting gives the
    same answer (and its interval favours the same side), and each comparison that changes, with each
    setting's verdict."""
    same = table["same answer"] == "yes"
    lines = [
        f"Settings: {'; '.join(f'**{label}**' for label in labels)}. The answer is the same in "
        f"{int(same.sum())} of {len(table)} comparisons (the same yes / no / undetermined, and the 95 % "
        "interval favouring the same side: the arm, the baseline, or neither)."
    ]
    for r in table[~same].to_dict("records"):
        by_setting = "; ".join(
            f"{label}: {r[f'{label}: verdict']} (interval favours {r[f'{label}: favours']})"
            for label in labels
        )
        lines.append(f"- **{r['dataset']}, {r['comparison']}** changes — {by_setting}.")
    return "\n".join(lines) + "\n"
