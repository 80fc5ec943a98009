"""The report's tables, built from result files: the paper's Table 1 (Mo./Cr./Mul. mAP per dataset
and arm), Table 2 (rank distance), the TyDi QA table, and paired significance against baselines.

Every number comes from a result JSON or its per-query arrays; nothing is typed in. Tables are
written as CSV and Markdown side by side (:func:`write_table`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hybridlib.analysis.comparisons import LAREQA, TYDI, Comparison, comparison, comparisons_for
from hybridlib.io import write_text

Results = Mapping[str, Mapping[str, Mapping[str, Any]]]  # {arm: {dataset: result}}
SETTINGS = ("mo", "cr", "mul")
SETTING_NAMES = {"mo": "Mo.", "cr": "Cr.", "mul": "Mul."}


def _lareqa(results: Results) -> dict[str, dict[str, Mapping[str, Any]]]:
    return {
        arm: {ds: r for ds, r in by_ds.items() if r.get("task") == "lareqa"} for arm, by_ds in results.items()
    }


def table1_map(results: Results) -> pd.DataFrame:
    """Rows: arms; columns: (dataset, Mo./Cr./Mul.) macro mAP — Table 1 of the paper."""
    rows = {}
    for arm, by_ds in _lareqa(results).items():
        rows[arm] = {(ds, SETTING_NAMES[s]): r["mAP"][s] for ds, r in sorted(by_ds.items()) for s in SETTINGS}
    df = pd.DataFrame.from_dict(rows, orient="index")
    df.columns = pd.MultiIndex.from_tuples(df.columns, names=["dataset", "setting"])
    df.index.name = "arm"
    return df


def table2_rank_distance(results: Results) -> pd.DataFrame:
    """Rows: arms; columns: (dataset, query language | macro) mean rank distance — Table 2 (lower
    is less language-biased)."""
    rows = {}
    for arm, by_ds in _lareqa(results).items():
        row = {}
        for ds, r in sorted(by_ds.items()):
            for lang, value in r["rank_distance"]["per_language"].items():
                row[(ds, lang)] = value
            row[(ds, "macro")] = r["rank_distance"]["macro"]
        rows[arm] = row
    df = pd.DataFrame.from_dict(rows, orient="index")
    df.columns = pd.MultiIndex.from_tuples(df.columns, names=["dataset", "language"])
    df.index.name = "arm"
    return df


def tydi_dataset(results: Results) -> str | None:
    """The name of the TyDi QA dataset among ``results`` (the first arm's first ``tydi`` result), if any."""
    return next((ds for by in results.values() for ds, r in by.items() if r.get("task") == "tydi"), None)


def tydi_table(results: Results, *, metric: str = "mAP", pool: str = "mono") -> pd.DataFrame:
    """Rows: arms; columns: TyDi languages (unseen in fine-tuning marked ``*``) then the macro
    averages over all, seen and unseen languages."""
    rows = {}
    for arm, by_ds in results.items():
        for r in by_ds.values():
            if r.get("task") != "tydi":
                continue
            p = r["pools"][pool]
            row = {}
            for lang, m in p["per_language"].items():
                row[lang + ("" if m["seen"] else "*")] = m[metric]
            for group in ("macro", "macro_seen", "macro_unseen"):
                if p.get(group):
                    row[group.replace("macro", "avg").replace("_", " ")] = p[group][metric]
            rows[arm] = row
    df = pd.DataFrame.from_dict(rows, orient="index")
    df.index.name = "arm"
    return df


def _per_query_vectors(result_path: Path, result: Mapping[str, Any]) -> dict[str, np.ndarray]:
    from hybridlib.analysis.stats import MISSING_CLUSTERS, lareqa_setting_vectors
    from hybridlib.evaluation.results import load_per_query

    pq = load_per_query(result_path)
    if "cluster" not in pq:
        raise ValueError(f"{result_path} {MISSING_CLUSTERS}")
    if result["task"] == "lareqa":
        return lareqa_setting_vectors(pq)
    unseen = set(result["unseen_languages"])
    lang = np.asarray(pq["lang"]).astype(str)
    out = {"qid": pq["qid"], "cluster": pq["cluster"], "mono_mAP": pq["mono_ap"], "mul_mAP": pq["mul_ap"]}
    mask = np.isin(lang, sorted(unseen))
    out["mono_mAP_unseen"] = np.where(mask, pq["mono_ap"], np.nan)
    out["mul_mAP_unseen"] = np.where(mask, pq["mul_ap"], np.nan)
    return out


Vectors = dict[str, dict[str, dict[str, np.ndarray]]]  # {dataset: {arm: {metric | qid | cluster: (Q,)}}}


def per_query_vectors(result_paths: Mapping[str, Mapping[str, Path]]) -> Vectors:
    """``{dataset: {arm: per-query vectors}}`` from ``{arm: {dataset: result JSON path}}``.

    Vectors: LAReQA ``mo``/``cr``/``mul``/``rank_distance``
    (:func:`hybridlib.analysis.stats.lareqa_setting_vectors`);
    TyDi ``mono_mAP``/``mul_mAP`` and their ``_unseen`` variants (NaN outside the unseen languages); each
    with ``qid`` and ``cluster``. A per-query file without ``cluster`` (written before cluster ids were
    stored) raises, asking to re-run the evaluation.
    """
    import json

    vectors: Vectors = {}
    for arm, by_ds in result_paths.items():
        for ds, path in by_ds.items():
            result = json.loads(Path(path).read_text())
            vectors.setdefault(ds, {})[arm] = _per_query_vectors(Path(path), result)
    return vectors


def vector_metrics(by_arm: Mapping[str, Mapping[str, np.ndarray]]) -> list[str]:
    return [m for m in next(iter(by_arm.values())) if m not in ("qid", "cluster")]


SIGNIFICANCE_COLUMNS = [
    "dataset",
    "metric",
    "baseline",
    "arm",
    "n",
    "n_clusters",
    "mean",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "p_value",
    "p_holm",
]


def significance_table(
    result_paths: Mapping[str, Mapping[str, Path]],
    *,
    baselines: Sequence[str] = ("multilingual", "hybrid"),
    permutations: int = 10000,
    seed: int = 0,
    resamples: int = 10000,
) -> pd.DataFrame:
    """Paired cluster permutation tests and cluster-bootstrap intervals of every arm − each baseline.

    ``result_paths``: ``{arm: {dataset: path of the result JSON}}``. Metrics: LAReQA Mo./Cr./Mul. AP
    and rank distance; TyDi mono/mul AP (= reciprocal rank, one gold), overall and on the languages
    unseen in fine-tuning. Long format: one row per (dataset, metric, baseline, arm), columns
    :data:`SIGNIFICANCE_COLUMNS` (see :func:`hybridlib.analysis.stats.compare_arms`): ``n`` rows (questions ×
    languages) and ``n_clusters`` independent units (LAReQA: source questions, whose translations are
    one cluster; TyDi: questions); ``diff`` = arm − baseline with ``diff_ci_low``/``diff_ci_high``, the
    95 % cluster-bootstrap interval *of that difference*; ``p_value`` the two-sided sign-flip test over
    clusters, ``p_holm`` Holm-adjusted over the arms tested against the same baseline and metric.
    """
    from hybridlib.analysis.significance import compare_arms

    vectors = per_query_vectors(result_paths)
    frames = []
    for ds, by_arm in vectors.items():
        for baseline in baselines:
            if baseline not in by_arm:
                continue
            for metric in vector_metrics(by_arm):
                per_query = {
                    arm: {"qid": v["qid"], "cluster": v["cluster"], metric: v[metric]}
                    for arm, v in by_arm.items()
                }
                table = compare_arms(
                    per_query,
                    metric,
                    baseline=baseline,
                    permutations=permutations,
                    seed=seed,
                    resamples=resamples,
                )
                frames.append(table.reset_index().assign(dataset=ds, metric=metric, baseline=baseline))
    if not frames:
        return pd.DataFrame(columns=SIGNIFICANCE_COLUMNS)
    return pd.concat(frames, ignore_index=True)[SIGNIFICANCE_COLUMNS]


def final_losses(log: pd.DataFrame, *, alignment_steps: int = 0) -> dict[str, str]:
    """The last logged QA loss and λ-weighted alignment loss of a ``train_log.csv``, as table cells.

    Logs with ``qa_loss``/``align_loss`` give each column's last non-NaN value ("—" without alignment).
    Older logs have only the total ``loss``: for an arm without alignment steps that *is* its QA loss;
    with alignment it mixes both terms, so it is shown as ``total …`` and the alignment cell says the
    log does not separate them.
    """

    def last(column: str) -> float | None:
        values = log[column].dropna() if column in log else pd.Series(dtype=float)
        return float(values.iloc[-1]) if len(values) else None

    if "qa_loss" in log:
        qa, align = last("qa_loss"), last("align_loss")
        return {
            "qa": f"{qa:.3f}" if qa is not None else "—",
            "align": f"{align:.3f}" if align is not None else "—",
        }
    total = last("loss")
    if total is None:
        return {"qa": "—", "align": "—"}
    if alignment_steps == 0:
        return {"qa": f"{total:.3f}", "align": "—"}
    return {"qa": f"total {total:.3f}", "align": "not logged separately (older run)"}


def to_markdown(df: pd.DataFrame, floatfmt: str = ".4f") -> str:
    flat = df.copy()
    if isinstance(flat.index, pd.RangeIndex):
        return flat.to_markdown(floatfmt=floatfmt, index=False)
    if isinstance(flat.columns, pd.MultiIndex):
        flat.columns = [" ".join(str(c) for c in col if str(c)) for col in flat.columns]
    return flat.to_markdown(floatfmt=floatfmt)


def write_table(df: pd.DataFrame, stem: str | os.PathLike, *, floatfmt: str = ".4f") -> tuple[Path, Path]:
    """Write ``<stem>.csv`` and ``<stem>.md`` atomically."""
    stem = Path(str(stem))
    csv = write_text(stem.with_suffix(".csv"), df.to_csv(index=not isinstance(df.index, pd.RangeIndex)))
    md = write_text(stem.with_suffix(".md"), to_markdown(df, floatfmt) + "\n")
    return csv, md


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
) -> pd.DataFrame:
    """The research question's comparisons (:data:`hybridlib.analysis.comparisons.COMPARISONS`) over
    training seeds, as one estimate with its interval.

    ``vectors_by_seed`` maps a seed to that seed run's per-query vectors (:func:`per_query_vectors`);
    ``long`` (columns ``arm, seed, metric, value``, :func:`hybridlib.experiment.sweep.seed_runs`) gives the
    table
    (macro) numbers; ``sig_by_seed`` maps a seed to that run's significance table
    (:func:`significance_table`).

    Per comparison, over the seeds whose runs hold both arms:

    * ``diff``       mean over seeds of each seed's paired mean difference arm − baseline (over questions)
    * ``ci_low``, ``ci_high``  its 95 % two-level bootstrap interval: seeds resampled, then question
      clusters (:func:`hybridlib.analysis.stats.seed_cluster_bootstrap`), so it carries both the training
      noise
      and the sampling of questions — the one interval to read
    * ``n_seeds``, ``n_favour_arm``  seeds, and seeds whose difference favours the arm (higher mAP, lower
      rank distance); ``diff_std`` the sample std of the per-seed differences; ``n_clusters`` clusters
    * ``diff_tables``  mean over seeds of the difference of the tables' (macro-averaged) numbers; equal to
      ``diff`` on balanced parallel sets, it may differ slightly where languages have unequal counts
    * ``p_values``   each seed's clustered paired permutation p-value (detail; not pooled)
    """
    from hybridlib.analysis.bootstrap import seed_cluster_bootstrap

    rows = []
    datasets = sorted({ds for vectors in vectors_by_seed.values() for ds in vectors})
    kinds = {}
    for ds in datasets:
        by_arm = next(v[ds] for v in vectors_by_seed.values() if ds in v)
        kinds[ds] = "mono_mAP" in vector_metrics(by_arm)
    # LAReQA sets first, then TyDi QA (the order of the research questions)
    for ds in sorted(datasets, key=lambda ds: (kinds[ds], ds)):
        for c in comparisons_for(TYDI if kinds[ds] else LAREQA):
            metric, sig_metric, arm, baseline, lower = (
                c.table_metric,
                c.metric,
                c.arm,
                c.baseline,
                c.lower_is_better,
            )
            seeds, diffs = [], []
            for s_, vectors in sorted(vectors_by_seed.items()):
                by_arm = vectors.get(ds, {})
                if arm in by_arm and baseline in by_arm and sig_metric in by_arm[arm]:
                    a, b = by_arm[arm], by_arm[baseline]
                    if not np.array_equal(a["cluster"], b["cluster"]):
                        raise ValueError(f"seed {s_}, {ds}: {arm} and {baseline} have different clusters")
                    seeds.append(int(s_))
                    diffs.append((a[sig_metric] - b[sig_metric], a["cluster"]))
            if not seeds:
                continue
            boot = seed_cluster_bootstrap(diffs, resamples=resamples, seed=seed)
            per_seed = boot.per_seed
            tables = long[(long["metric"] == f"{ds} {metric}") & long["seed"].isin(seeds)]
            values = tables.pivot(index="seed", columns="arm", values="value")
            diff_tables = (
                float((values[arm] - values[baseline]).mean())
                if arm in values and baseline in values
                else np.nan
            )
            p_values = []
            for s_ in seeds:
                sig = sig_by_seed.get(s_, pd.DataFrame())
                row = _sig_row(sig, ds, sig_metric, baseline, arm)
                row = row if row is not None else _sig_row(sig, ds, sig_metric, arm, baseline)
                p_values.append(float(row["p_value"]) if row is not None else np.nan)
            rows.append(
                {
                    "dataset": ds,
                    "comparison": c.label,
                    "arm": arm,
                    "baseline": baseline,
                    "metric": metric,
                    "n_seeds": len(seeds),
                    "n_favour_arm": int(((per_seed < 0) if lower else (per_seed > 0)).sum()),
                    "diff": boot.diff,
                    "ci_low": boot.ci_low,
                    "ci_high": boot.ci_high,
                    "diff_std": float(per_seed.std(ddof=1)) if len(seeds) > 1 else np.nan,
                    "n_clusters": boot.n_clusters,
                    "diff_tables": diff_tables,
                    "p_values": " ".join(f"{p:.3g}" for p in p_values),
                }
            )
    return pd.DataFrame(rows)


def seed_answers(comparisons: pd.DataFrame) -> str:
    """One sentence per row of :func:`seed_comparisons`, every number read from it."""
    names = {"mo mAP": "Mo. mAP", "cr mAP": "Cr. mAP", "mul mAP": "Mul. mAP", "mAP unseen": "mAP"}
    lines = []
    for r in comparisons.itertuples(index=False):
        lines.append(
            f"- **{r.dataset}, {r.comparison}:** {r.arm} better in {r.n_favour_arm} of {r.n_seeds} seeds; "
            f"{names.get(r.metric, r.metric)} difference {r.diff:+.4f}, 95% interval "
            f"[{r.ci_low:+.4f}, {r.ci_high:+.4f}] (two-level bootstrap over {r.n_seeds} seeds and "
            f"{r.n_clusters} question clusters; per-seed paired permutation p: "
            f"{r.p_values.replace(' ', ', ')})."
        )
    return "\n".join(lines) + "\n"
