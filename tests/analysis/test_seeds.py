"""Table 1 over folds (:func:`hybridlib.analysis.seeds.lareqa_over_folds`)."""

from __future__ import annotations

import pandas as pd
import pytest

from hybridlib.analysis.seeds import lareqa_over_folds


def long_table(dataset: str, values: dict[str, list[float]], extra: str | None = None) -> pd.DataFrame:
    """A seeds long table: each arm's Mo. mAP = value, Cr. = value / 2, Mul. = value / 4, per seed."""
    rows = []
    for arm, per_seed in values.items():
        for seed, v in enumerate(per_seed):
            for setting, scale in (("mo", 1), ("cr", 2), ("mul", 4)):
                rows.append(
                    {"arm": arm, "seed": seed, "metric": f"{dataset} {setting} mAP", "value": v / scale}
                )
            rows.append(
                {"arm": arm, "seed": seed, "metric": f"{dataset} rank distance", "value": 50.0 + seed}
            )
            if extra:
                rows.append({"arm": arm, "seed": seed, "metric": f"{extra} mAP", "value": 0.9})
    return pd.DataFrame(rows)


def test_each_column_comes_from_the_fold_that_evaluated_it():
    fold1 = long_table("xquad-r", {"hybrid": [0.6, 0.8], "multilingual": [0.4, 0.4]}, extra="tydiqa-goldp")
    fold2 = long_table("mlqa-r", {"hybrid": [0.5, 0.7, 0.9], "multilingual": [0.2, 0.4, 0.6]})
    table = lareqa_over_folds([fold1, fold2], ["zero-shot", "multilingual", "hybrid"])
    assert list(table.index) == ["multilingual", "hybrid"]  # arms order; an arm without rows is left out
    assert list(table.columns) == [
        f"{ds} {s}" for ds in ("xquad-r", "mlqa-r") for s in ("Mo.", "Cr.", "Mul.")
    ]
    assert table.loc["hybrid", "xquad-r Mo."] == "0.7000 ± 0.1414 (n=2)"
    assert table.loc["hybrid", "xquad-r Mul."] == "0.1750 ± 0.0354 (n=2)"
    assert table.loc["hybrid", "mlqa-r Mo."] == "0.7000 ± 0.2000 (n=3)"
    assert table.loc["multilingual", "mlqa-r Cr."] == "0.2000 ± 0.1000 (n=3)"


def test_a_set_evaluated_by_two_folds_is_refused():
    fold = long_table("xquad-r", {"hybrid": [0.6, 0.8]})
    with pytest.raises(ValueError, match=r"two folds evaluated \['xquad-r'\]"):
        lareqa_over_folds([fold, fold], ["hybrid"])
