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
