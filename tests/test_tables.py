from __future__ import annotations

import pandas as pd

from hybridlib.tables import (
    research_answers,
    table1_map,
    table2_rank_distance,
    to_markdown,
    tydi_table,
    write_table,
)


def lareqa(mo: float, cr: float, mul: float, rd: float) -> dict:
    return {
        "task": "lareqa",
        "mAP": {"mo": mo, "cr": cr, "mul": mul},
        "rank_distance": {"per_language": {"de": rd - 1, "en": rd + 1}, "macro": rd},
    }


def tydi(value: float) -> dict:
    per = {"en": {"mAP": value, "seen": True}, "bn": {"mAP": value - 0.1, "seen": False}}
    pool = {
        "per_language": per,
        "macro": {"mAP": value - 0.05},
        "macro_seen": {"mAP": value},
        "macro_unseen": {"mAP": value - 0.1},
    }
    return {"task": "tydi", "pools": {"mono": pool, "mul": pool}, "unseen_languages": ["bn"]}


RESULTS = {
    "monolingual": {"xquad-r": lareqa(0.80, 0.50, 0.40, 30.0), "tydiqa-goldp": tydi(0.6)},
    "crosslingual": {"xquad-r": lareqa(0.70, 0.60, 0.45, 20.0), "tydiqa-goldp": tydi(0.6)},
    "multilingual": {"xquad-r": lareqa(0.79, 0.52, 0.41, 28.0), "tydiqa-goldp": tydi(0.6)},
    "hybrid": {"xquad-r": lareqa(0.82, 0.61, 0.47, 15.0), "tydiqa-goldp": tydi(0.62)},
    "hybrid+align": {"xquad-r": lareqa(0.82, 0.62, 0.48, 14.0), "tydiqa-goldp": tydi(0.65)},
}


def test_tables_have_the_papers_shapes(tmp_path):
    t1 = table1_map(RESULTS)
    assert t1.shape == (5, 3) and t1.loc["hybrid", ("xquad-r", "Cr.")] == 0.61
    t2 = table2_rank_distance(RESULTS)
    assert list(t2.columns.get_level_values(1)) == ["de", "en", "macro"]
    ty = tydi_table(RESULTS)
    assert "bn*" in ty.columns and "en" in ty.columns and ty.loc["hybrid+align", "avg unseen"] == 0.55
    csv, md = write_table(t1, tmp_path / "t1")
    assert "xquad-r Mo." in md.read_text() and csv.read_text().count("\n") >= 5
    assert "|" in to_markdown(pd.DataFrame({"a": [1.0]}))


def test_research_answers_are_read_from_the_numbers():
    sig = pd.DataFrame(
        [
            {"dataset": "tydiqa-goldp", "metric": "mono_mAP", "baseline": "multilingual",
             "arm": "hybrid+align", "n": 90, "mean": 0.6, "ci_low": 0.55, "ci_high": 0.65, "diff": 0.05,
             "p_value": 0.012},
            {"dataset": "tydiqa-goldp", "metric": "mono_mAP_unseen", "baseline": "multilingual",
             "arm": "hybrid+align", "n": 70, "mean": 0.5, "ci_low": 0.45, "ci_high": 0.55, "diff": -0.01,
             "p_value": 0.7},
            {"dataset": "tydiqa-goldp", "metric": "mono_mAP", "baseline": "hybrid", "arm": "hybrid+align",
             "n": 90, "mean": 0.6, "ci_low": 0.55, "ci_high": 0.65, "diff": 0.02, "p_value": 0.2},
            {"dataset": "xquad-r", "metric": "mo", "baseline": "hybrid", "arm": "monolingual", "n": 20,
             "mean": 0.8, "ci_low": 0.7, "ci_high": 0.9, "diff": -0.02, "p_value": 0.03},
        ]
    )  # fmt: skip
    text = research_answers(RESULTS, sig)
    assert "hybrid vs X-X-mono on Mo.** yes (0.8200 vs 0.8000, p = 0.03)" in text
    assert "vs X-Y on Cr.** yes (0.6100 vs 0.6000)" in text
    assert "rank distance lower than both?** yes (hybrid 15.0" in text
    assert "all languages: hybrid+align vs multilingual fine-tuning** yes: mAP 0.6000 vs 0.5500" in text
    assert "p = 0.012" in text
    assert "unseen languages: hybrid+align vs multilingual fine-tuning** no: mAP 0.5000 vs 0.5100" in text
    assert "+0.0200 mAP, p = 0.2" in text
