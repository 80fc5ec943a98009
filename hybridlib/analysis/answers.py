"""The research answers, stated from the tables: one sentence per comparison of
:data:`hybridlib.analysis.comparisons.COMPARISONS`, every number read from result files or tables.

* :func:`research_answers` — the answers of one run (``figures/answers.md``), from its results and its
  significance table (:func:`hybridlib.analysis.tables.significance_table`).
* :func:`seed_comparisons` — the comparisons over training seeds, one estimate with its two-level
  interval each (``figures/table_seed_comparisons.csv``); :func:`seed_answers` states them
  (``figures/answers_seeds.md``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from hybridlib.analysis.bootstrap import seed_cluster_bootstrap
from hybridlib.analysis.comparisons import LAREQA, TYDI, Comparison, comparison, comparisons_for
from hybridlib.analysis.power import minimum_detectable_effect, verdict
from hybridlib.analysis.tables import (
    SETTING_NAMES,
    Results,
    Vectors,
    table1_map,
    tydi_dataset,
    vector_metrics,
)


def _sig_row(sig: pd.DataFrame, dataset: str, metric: str, baseline: str, arm: str) -> pd.Series | None:
    if sig.empty:
        return None
    rows = sig[(sig["dataset"] == dataset) & (sig["metric"] == metric) & (sig["baseline"] == baseline)]
    rows = rows[rows["arm"] == arm]
    return rows.iloc[0] if len(rows) else None


def _verdict(value: float, other: float, lower_is_better: bool = False) -> str:
    if not (np.isfinite(value) and np.isfinite(other)):
        return "cannot tell (missing values)"
    better = value < other if lower_is_better else value > other
    return "yes" if better else "no"


def _lareqa_answers(results: Results, sig: pd.DataFrame) -> list[str]:
    """Research question 1, one sentence per LAReQA set (:func:`research_answers`)."""
    mo, cr, mul = (
        comparison(LAREQA, metric, baseline)
        for metric, baseline in (("mo", "monolingual"), ("cr", "crosslingual"), ("mul", "crosslingual"))
    )
    rd_mono, rd_cross = (comparison(LAREQA, "rank_distance", b) for b in ("monolingual", "crosslingual"))
    need = {c.arm for c in comparisons_for(LAREQA)} | {c.baseline for c in comparisons_for(LAREQA)}
    lines = []
    t1 = table1_map(results) if results else pd.DataFrame()
    for ds in sorted({c[0] for c in t1.columns}):
        if not need <= set(t1.index):
            continue
        rd = {arm: results[arm][ds]["rank_distance"]["macro"] for arm in need}

        def answer(c: Comparison, ds: str = ds) -> str:
            value, other = (
                t1.loc[c.arm, (ds, SETTING_NAMES[c.metric])],
                t1.loc[c.baseline, (ds, SETTING_NAMES[c.metric])],
            )
            # the significance table tests every arm against hybrid: the row is baseline − hybrid
            row = _sig_row(sig, ds, c.metric, c.arm, c.baseline)
            test = ""
            if row is not None:
                low, high = -row["diff_ci_high"], -row["diff_ci_low"]
                test = (
                    f"; {c.arm} − {c.baseline} {-row['diff']:+.4f} [{low:+.4f}, {high:+.4f}], "
                    f"p = {row['p_value']:.3g} over {int(row['n_clusters'])} question clusters"
                )
            return f"{_verdict(value, other, c.lower_is_better)} ({value:.4f} vs {other:.4f}{test})"

        lower = _verdict(
            rd[rd_mono.arm], min(rd[rd_mono.baseline], rd[rd_cross.baseline]), lower_is_better=True
        )
        lines.append(
            f"- **{ds}: {mo.label}** {answer(mo)}; **vs X-Y on Cr.** {answer(cr)} and **on Mul.** "
            f"{answer(mul)}; **rank distance lower than both?** {lower} (hybrid {rd[rd_mono.arm]:.1f}, "
            f"mono {rd[rd_mono.baseline]:.1f}, X-Y {rd[rd_cross.baseline]:.1f})."
        )
    return lines


def _tydi_answers(results: Results, sig: pd.DataFrame) -> list[str]:
    """Research question 2 on TyDi QA (:func:`research_answers`)."""
    tydi = tydi_dataset(results)
    alignment_alone = comparison(TYDI, "mono_mAP", "hybrid")
    versus = [c for c in comparisons_for(TYDI) if c != alignment_alone]
    if not tydi or not {c.arm for c in versus} | {c.baseline for c in versus} <= set(results):
        return []
    lines = []
    for c in versus:
        row = _sig_row(sig, tydi, c.metric, c.baseline, c.arm)
        if row is None:
            continue
        base = row["mean"] - row["diff"] if np.isfinite(row["diff"]) else np.nan
        languages = c.label.rsplit(", ", 1)[-1]  # "all languages", "unseen languages"
        lines.append(
            f"- **TyDi QA, {languages}: {c.arm} vs {c.baseline} fine-tuning** "
            f"{_verdict(row['mean'], base, c.lower_is_better)}: mAP {row['mean']:.4f} vs {base:.4f} "
            f"(difference {row['diff']:+.4f}, 95% CI of the difference "
            f"[{row['diff_ci_low']:+.4f}, {row['diff_ci_high']:+.4f}], over {int(row['n'])} questions, "
            f"paired permutation p = {row['p_value']:.3g})."
        )
    row = _sig_row(sig, tydi, alignment_alone.metric, alignment_alone.baseline, alignment_alone.arm)
    if row is not None:
        lines.append(
            f"- **TyDi QA: the alignment term alone** ({alignment_alone.arm} − {alignment_alone.baseline}): "
            f"{row['diff']:+.4f} mAP [{row['diff_ci_low']:+.4f}, {row['diff_ci_high']:+.4f}], "
            f"p = {row['p_value']:.3g}."
        )
    return lines


def research_answers(results: Results, sig: pd.DataFrame) -> str:
    """The README's answers, as sentences whose every number is read from ``results``/``sig``; the
    comparisons are :data:`hybridlib.analysis.comparisons.COMPARISONS`.

    1. Does hybrid beat X-X-mono on Mo. and X-Y on Cr./Mul., with lower rank distance (per LAReQA set)?
       The p-values are the paired permutation tests of those arms against ``hybrid``, with the sign
       flipped per question cluster (the translations of one question together).
    2. Does hybrid+align beat multilingual fine-tuning on TyDi QA (monolingual pools), overall and on
       unseen languages, by how much and with what p?
    """
    return "\n".join([*_lareqa_answers(results, sig), *_tydi_answers(results, sig)]) + "\n"


def seed_comparisons(
    long: pd.DataFrame,
    sig_by_seed: Mapping[int, pd.DataFrame],
    vectors_by_seed: Mapping[int, Vectors],
    *,
    resamples: int = 10000,
    seed: int = 0,
    smallest_effect_map: float = 0.01,
    smallest_effect_rank_distance: float = 1.0,
) -> pd.DataFrame:
    """The research question's comparisons (:data:`hybridlib.analysis.comparisons.COMPARISONS`) over
    training seeds, as one estimate with its interval.

    ``vectors_by_seed`` maps a seed to that seed run's per-query vectors
    (:func:`hybridlib.analysis.tables.per_query_vectors`); ``long`` (columns ``arm, seed, metric, value``,
    :func:`hybridlib.experiment.sweep.seed_runs`) gives the table (macro) numbers; ``sig_by_seed`` maps a
    seed to that run's significance table (:func:`hybridlib.analysis.tables.significance_table`).

    Per comparison, over the seeds whose runs hold both arms:

    * ``diff``       mean over seeds of each seed's paired mean difference arm − baseline (over questions)
    * ``ci_low``, ``ci_high``  its 95 % two-level bootstrap interval: seeds resampled, then question
      clusters (:func:`hybridlib.analysis.bootstrap.seed_cluster_bootstrap`), so it carries both the
      training noise and the sampling of questions — the one interval to read
    * ``n_seeds``, ``n_favour_arm``  seeds, and seeds whose difference favours the arm (higher mAP, lower
      rank distance); ``diff_std`` the sample std of the per-seed differences; ``n_clusters`` clusters
    * ``diff_tables``  mean over seeds of the difference of the tables' (macro-averaged) numbers; equal to
      ``diff`` on balanced parallel sets, it may differ slightly where languages have unequal counts
    * ``p_values``   each seed's clustered paired permutation p-value (detail; not pooled)
    * ``se``, ``mde``  the bootstrap standard error of ``diff`` and the minimum detectable effect at 80 %
      power (:func:`hybridlib.analysis.power.minimum_detectable_effect`)
    * ``answer``, ``bound``, ``verdict``  yes / no / undetermined against the smallest effect of
      interest (``smallest_effect_map``, or ``smallest_effect_rank_distance`` for rank distance), the
      better-side bound of the interval, and the sentence (:func:`hybridlib.analysis.power.verdict`)
    """
    rows = []
    for ds, task in _datasets_in_question_order(vectors_by_seed):
        for c in comparisons_for(task):
            seeds, diffs = _per_seed_differences(vectors_by_seed, ds, c)
            if not seeds:
                continue
            boot = seed_cluster_bootstrap(diffs, resamples=resamples, seed=seed)
            per_seed = boot.per_seed
            p_values = _per_seed_p_values(sig_by_seed, ds, c, seeds)
            mde = minimum_detectable_effect(boot.se, len(seeds))
            ranks = c.metric == "rank_distance"
            answer = verdict(
                boot.ci_low,
                boot.ci_high,
                mde=mde,
                smallest_effect=smallest_effect_rank_distance if ranks else smallest_effect_map,
                lower_is_better=c.lower_is_better,
                decimals=2 if ranks else 4,
            )
            rows.append(
                {
                    "dataset": ds,
                    "comparison": c.label,
                    "arm": c.arm,
                    "baseline": c.baseline,
                    "metric": c.table_metric,
                    "n_seeds": len(seeds),
                    "n_favour_arm": int(((per_seed < 0) if c.lower_is_better else (per_seed > 0)).sum()),
                    "diff": boot.diff,
                    "ci_low": boot.ci_low,
                    "ci_high": boot.ci_high,
                    "diff_std": float(per_seed.std(ddof=1)) if len(seeds) > 1 else np.nan,
                    "n_clusters": boot.n_clusters,
                    "diff_tables": _mean_table_difference(long, ds, c, seeds),
                    "p_values": " ".join(f"{p:.3g}" for p in p_values),
                    "se": boot.se,
                    "mde": mde,
                    "answer": answer.answer,
                    "bound": answer.bound,
                    "verdict": answer.text,
                }
            )
    return pd.DataFrame(rows)


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
    differences arm − baseline with their cluster ids (the input of ``seed_cluster_bootstrap``)."""
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
    """One sentence per row of :func:`seed_comparisons`, every number read from it."""
    names = {"mo mAP": "Mo. mAP", "cr mAP": "Cr. mAP", "mul mAP": "Mul. mAP", "mAP unseen": "mAP"}
    lines = []
    for r in comparisons.itertuples(index=False):
        lines.append(
            f"- **{r.dataset}, {r.comparison}: {r.verdict}.** {r.arm} better in {r.n_favour_arm} of "
            f"{r.n_seeds} seeds; {names.get(r.metric, r.metric)} difference {r.diff:+.4f}, 95% interval "
            f"[{r.ci_low:+.4f}, {r.ci_high:+.4f}] (two-level bootstrap over {r.n_seeds} seeds and "
            f"{r.n_clusters} question clusters; per-seed paired permutation p: "
            f"{r.p_values.replace(' ', ', ')})."
        )
    return "\n".join(lines) + "\n"
