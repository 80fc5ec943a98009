"""Mean ± std over seeds: the headline numbers of one model's results, long tables over seeds and their
``mean ± std (n)`` tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd


def summary_metrics(by_dataset: dict[str, dict[str, Any]]) -> dict[str, float]:
    """The headline numbers of one model's results: per LAReQA set Mo./Cr./Mul. mAP and macro rank
    distance; per TyDi set the macro mAP of the monolingual pools (all and unseen languages)."""
    out: dict[str, float] = {}
    for ds, r in sorted(by_dataset.items()):
        if r["task"] == "lareqa":
            for setting in ("mo", "cr", "mul"):
                out[f"{ds} {setting} mAP"] = r["mAP"][setting]
            out[f"{ds} rank distance"] = r["rank_distance"]["macro"]
        else:
            pool = r["pools"]["mono"]
            out[f"{ds} mAP"] = pool["macro"]["mAP"]
            if pool.get("macro_unseen"):
                out[f"{ds} mAP unseen"] = pool["macro_unseen"]["mAP"]
    return out


def mean_std(long: pd.DataFrame, by: str) -> pd.DataFrame:
    """Mean and sample std (ddof=1; NaN with one seed) per ``by`` value and metric."""
    grouped = long.groupby([by, "metric"])["value"]
    table = pd.DataFrame({"mean": grouped.mean(), "std": grouped.std(ddof=1), "n": grouped.count()})
    return table.reset_index()


def seed_long(results: dict[str, dict[str, dict[str, Any]]], seed: int) -> pd.DataFrame:
    """Long rows ``arm, seed, metric, value, model`` of one seed run's results; ``model`` is the model
    path the results were written for (the same in every seed for an arm that is not trained)."""
    rows = []
    for arm, by_ds in results.items():
        models = {str((r.get("parameters") or {}).get("model_path")) for r in by_ds.values()}
        model = models.pop() if len(models) == 1 else ""
        for metric, value in summary_metrics(by_ds).items():
            rows.append({"arm": arm, "seed": int(seed), "metric": metric, "value": value, "model": model})
    return pd.DataFrame(rows, columns=["arm", "seed", "metric", "value", "model"])


def one_model(long: pd.DataFrame, by: str) -> pd.Series:
    """Per ``by`` value (and metric): whether all its seeds show one and the same model, so there is
    no spread over seeds to report. Decided by the recorded ``model`` column when present (one model
    path across all seeds) and, always, by identical results in every seed — not by the arm's name."""
    grouped = long.groupby([by, "metric"])
    same_values = grouped["value"].nunique(dropna=False) == 1
    several = grouped["value"].size() > 1
    out = same_values & several
    if "model" in long:
        models = long.assign(model=long["model"].fillna("").astype(str)).groupby([by, "metric"])["model"]
        out &= (models.nunique() == 1) & (models.first() != "")
    return out


def mean_std_table(long: pd.DataFrame, by: str, order: Sequence[Any] | None = None) -> pd.DataFrame:
    """Rows: ``by`` values (in ``order`` when given); columns: metrics; cells ``mean ± std (n)``.

    A value whose seeds all show the same model and the same result (:func:`one_model`, e.g. the
    zero-shot arm, evaluated once per seed with the base model) is shown once, ``value (one model)``:
    a ``± 0.0000`` over n "seeds" would suggest a stability that was never measured."""
    stats = mean_std(long, by)
    single = one_model(long, by).reindex(pd.MultiIndex.from_frame(stats[[by, "metric"]])).to_numpy()

    def fmt(r: pd.Series, single: bool) -> str:
        if single:
            return f"{r['mean']:.4f} (one model)"
        if r["n"] > 1:
            return f"{r['mean']:.4f} ± {r['std']:.4f} (n={int(r['n'])})"
        return f"{r['mean']:.4f} (n=1)"

    cell = pd.Series([fmt(r, bool(one)) for (_, r), one in zip(stats.iterrows(), single, strict=True)])
    table = stats.assign(cell=cell).pivot(index=by, columns="metric", values="cell")
    return table if order is None else table.reindex([v for v in order if v in table.index])


def seeds_table(long: pd.DataFrame, arms: Sequence[str]) -> pd.DataFrame:
    """Rows: arms (in ``arms`` order); columns: metrics; cells ``mean ± std (n)`` over seeds."""
    return mean_std_table(long, "arm", arms)


#: The LAReQA settings of Table 1 as a seeds long table names them (``"<dataset> mo mAP"``), in order.
LAREQA_MAP_SETTINGS = {"mo mAP": "Mo.", "cr mAP": "Cr.", "mul mAP": "Mul."}


def lareqa_over_folds(longs: Sequence[pd.DataFrame], arms: Sequence[str]) -> pd.DataFrame:
    """Table 1 over folds: rows arms (in ``arms`` order), columns ``"<dataset> Mo./Cr./Mul."`` of every
    LAReQA set in the folds' seeds long tables, each cell ``mean ± std (n)`` over that fold's seeds
    (:func:`mean_std_table`). The folds evaluate different sets (fold 1 XQuAD-R, fold 2 MLQA-R), so each
    column comes from the one fold that evaluated it (columns in fold order); a set evaluated by two
    folds is refused."""
    frames, datasets = [], []  # datasets in fold order, each fold's by name
    for long in longs:
        dataset_setting = long["metric"].str.split(" ", n=1)  # "xquad-r mo mAP" -> xquad-r, mo mAP
        lareqa = dataset_setting.str[1].isin(list(LAREQA_MAP_SETTINGS))
        fold_sets = sorted(set(dataset_setting.str[0][lareqa]))
        if twice := set(datasets) & set(fold_sets):
            raise ValueError(
                f"two folds evaluated {sorted(twice)}: Table 1 over folds needs one fold per set"
            )
        frames.append(long[lareqa])
        datasets += fold_sets
    table = mean_std_table(pd.concat(frames, ignore_index=True), "arm", arms)
    columns = [f"{ds} {s}" for ds in datasets for s in LAREQA_MAP_SETTINGS if f"{ds} {s}" in table]
    return table[columns].set_axis(
        [f"{c.split(' ', 1)[0]} {LAREQA_MAP_SETTINGS[c.split(' ', 1)[1]]}" for c in columns], axis=1
    )
