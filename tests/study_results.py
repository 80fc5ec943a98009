"""Synthetic result and probe files of the alignment study's arms (hybridlib.analysis.study), with planted
effects whose answers are known: λ = 1 helps TyDi by +0.05 everywhere, NTREX by +0.06 on the languages it
covers, align-only costs 0.1 against zero-shot, hybrid+align raises the probe's margin by 0.05, α = 0.25
is hybrid up to noise and α = 0.75 loses 0.05 Cr. mAP. Shared by tests/analysis/test_study.py and the
notebook's smoke test."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hybridlib.evaluation.results import write_results

REPO = Path(__file__).resolve().parents[2]
TYDI_LANGS = ("ar", "bn", "en", "fi", "id", "ko", "ru", "sw", "te")
PROBE_LANGS = ("ar", "bn", "fi", "id", "ko", "ru", "sw", "te")
XQ_LANGS = ("ar", "de", "en")
COVERAGE = {"xor-tydi": ("ar", "bn", "fi", "ko", "ru", "te"), "ntrex": PROBE_LANGS, "tatoeba": PROBE_LANGS}
N_Q = 30  # TyDi questions per language
N_LINES = 40  # probe lines
N_XQ = 25  # XQuAD-R question clusters

#: Planted effects on TyDi mono AP, per arm: a constant, or per language.
TYDI_SHIFT = {
    "hybrid+align@lambda=1": 0.05,
    "hybrid+align@source=ntrex": 0.0,  # set per language below: +0.06 covered, 0 on English
    "align-only": -0.1,
}


def tydi_shift(arm: str, lang: str) -> float:
    if arm == "hybrid+align@source=ntrex":
        return 0.06 if lang != "en" else 0.0
    return TYDI_SHIFT.get(arm, 0.0)


def write_seed(root: Path, seed: int, arms: list[str]) -> None:
    """One seed's result and probe files: a shared question effect (the same in every seed), a seed
    shift and per-row seed noise, and each arm's planted effect."""
    base = np.random.default_rng(0)  # the questions: identical in every seed
    q_tydi = base.uniform(0.4, 0.9, size=(len(TYDI_LANGS), N_Q))
    q_xq = base.uniform(0.4, 0.9, size=(N_XQ, len(XQ_LANGS)))
    q_probe = base.uniform(1.0, 1.2, size=(len(PROBE_LANGS), N_LINES))
    for k, arm in enumerate(arms):
        rng = np.random.default_rng(1000 * seed + k)
        zero = arm == "zero-shot"
        noise = 0.0 if zero else 1.0
        # TyDi
        ap = np.stack(
            [
                q_tydi[i] + tydi_shift(arm, lang) + noise * (rng.normal(0, 0.002) + rng.normal(0, 0.01, N_Q))
                for i, lang in enumerate(TYDI_LANGS)
            ]
        ).clip(0, 1)
        lang = np.repeat(TYDI_LANGS, N_Q)
        qid = np.array([f"{x}/q{j}" for x in TYDI_LANGS for j in range(N_Q)])
        per_language = {
            x: {"mAP": float(ap[i].mean()), "seen": x in ("ar", "en")} for i, x in enumerate(TYDI_LANGS)
        }
        unseen = [x for x in TYDI_LANGS if x not in ("ar", "en")] if arm != "align-only" else list(TYDI_LANGS)
        pool = {
            "per_language": per_language,
            "macro": {"mAP": float(np.mean([v["mAP"] for v in per_language.values()]))},
            "macro_unseen": {"mAP": float(np.mean([per_language[x]["mAP"] for x in unseen]))},
        }
        write_results(
            {
                "task": "tydi", "model": arm, "dataset": "tydiqa-goldp", "languages": list(TYDI_LANGS),
                "unseen_languages": unseen, "pools": {"mono": pool, "mul": pool},
                "per_query": {"qid": qid, "cluster": qid, "lang": lang, "mono_ap": ap.ravel()},
            },
            root / "results" / arm / "tydiqa-goldp.json",
        )  # fmt: skip
        # XQuAD-R: α = 0.25 equals hybrid up to seed noise; α = 0.75 loses 0.05 Cr.
        shift = -0.05 if arm == "hybrid@alpha=0.75" else 0.0
        ap_pool = q_xq[:, None, :] + noise * rng.normal(0, 0.001, (N_XQ, len(XQ_LANGS), len(XQ_LANGS)))
        ap_pool = ap_pool + shift * (1 - np.eye(len(XQ_LANGS)))[None]
        ap_pool = ap_pool.reshape(N_XQ * len(XQ_LANGS), len(XQ_LANGS))
        xq_lang = np.tile(XQ_LANGS, N_XQ)
        cluster = np.repeat([f"x{j}" for j in range(N_XQ)], len(XQ_LANGS))
        write_results(
            {
                "task": "lareqa", "model": arm, "dataset": "xquad-r",
                "mAP": {"mo": 0.8, "cr": 0.6 + shift, "mul": 0.5}, "rank_distance": {"macro": 10.0},
                "per_query": {
                    "qid": np.array([f"{c}/{x}" for c, x in zip(cluster, xq_lang, strict=True)]),
                    "cluster": cluster, "lang": xq_lang, "candidate_languages": np.array(XQ_LANGS),
                    "ap_pool": ap_pool, "ap_mul": ap_pool.mean(axis=1),
                    "rank_distance": 10 + noise * rng.normal(0, 0.01, ap_pool.shape[0]),
                },
            },
            root / "results" / arm / "xquad-r.json",
        )  # fmt: skip
        # probe: hybrid+align raises every line's margin by 0.05
        gain = 0.05 if arm == "hybrid+align" else 0.0
        margin = q_probe + gain + noise * rng.normal(0, 0.005, q_probe.shape)
        correct = (margin > 1.02).astype(float)
        write_results(
            {
                "task": "bitext", "model": arm, "languages": list(PROBE_LANGS),
                "accuracy": {
                    x: {"mean": float(correct[i].mean()), "margin": float(margin[i].mean())}
                    for i, x in enumerate(PROBE_LANGS)
                },
                "macro": {"mean": float(correct.mean()), "margin": float(margin.mean())},
                "per_query": {
                    "qid": np.array([f"{x}/{j}" for x in PROBE_LANGS for j in range(N_LINES)]),
                    "cluster": np.array([str(j) for _ in PROBE_LANGS for j in range(N_LINES)]),
                    "lang": np.repeat(PROBE_LANGS, N_LINES),
                    "correct": correct.ravel(), "margin": margin.ravel(),
                },
            },
            root / "probe" / f"{arm}.json",
        )  # fmt: skip
