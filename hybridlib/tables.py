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
    from hybridlib.evaluate import load_per_query
    from hybridlib.stats import lareqa_setting_vectors

    pq = load_per_query(result_path)
    if result["task"] == "lareqa":
        return lareqa_setting_vectors(pq)
    unseen = set(result["unseen_languages"])
    lang = np.asarray(pq["lang"]).astype(str)
    out = {"qid": pq["qid"], "mono_mAP": pq["mono_ap"], "mul_mAP": pq["mul_ap"]}
    mask = np.isin(lang, sorted(unseen))
    out["mono_mAP_unseen"] = np.where(mask, pq["mono_ap"], np.nan)
    out["mul_mAP_unseen"] = np.where(mask, pq["mul_ap"], np.nan)
    return out


def significance_table(
    result_paths: Mapping[str, Mapping[str, Path]],
    *,
    baselines: Sequence[str] = ("multilingual", "hybrid"),
    permutations: int = 10000,
    seed: int = 0,
) -> pd.DataFrame:
    """Per-query paired permutation tests and bootstrap CIs of every arm against each baseline.

    ``result_paths``: ``{arm: {dataset: path of the result JSON}}``. Metrics: LAReQA Mo./Cr./Mul. AP
    and rank distance; TyDi mono/mul AP (= reciprocal rank, one gold), overall and on the languages
    unseen in fine-tuning. Long format: one row per (dataset, metric, baseline, arm).
    """
    import json

    from hybridlib.stats import compare_arms

    vectors: dict[str, dict[str, dict[str, np.ndarray]]] = {}
    for arm, by_ds in result_paths.items():
        for ds, path in by_ds.items():
            result = json.loads(Path(path).read_text())
            vectors.setdefault(ds, {})[arm] = _per_query_vectors(Path(path), result)
    frames = []
    for ds, by_arm in vectors.items():
        metrics = [m for m in next(iter(by_arm.values())) if m != "qid"]
        for baseline in baselines:
            if baseline not in by_arm:
                continue
            for metric in metrics:
                per_query = {arm: {"qid": v["qid"], metric: v[metric]} for arm, v in by_arm.items()}
                table = compare_arms(
                    per_query, metric, baseline=baseline, permutations=permutations, seed=seed
                )
                table = table.reset_index().assign(dataset=ds, metric=metric, baseline=baseline)
                frames.append(table)
    if not frames:
        return pd.DataFrame()
    cols = [
        "dataset",
        "metric",
        "baseline",
        "arm",
        "n",
        "mean",
        "ci_low",
        "ci_high",
        "diff",
        "p_value",
        "p_holm",
    ]
    return pd.concat(frames, ignore_index=True)[cols]


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
