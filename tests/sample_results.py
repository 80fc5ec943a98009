"""Hand-made result dicts shared by the analysis and experiment tests."""

from __future__ import annotations


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
