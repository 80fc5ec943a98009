"""Search a run's evaluation pools: what does each arm actually retrieve for a question?

A run folder holds, per arm, the result files of its evaluation (``results/<arm>/<dataset>.json``);
each records the model it evaluated (``parameters.model_path``), the parameters that cut the pools
and the resolved precision (``provenance.precision``). From these, :class:`Explorer` rebuilds the
exact evaluation pools (:func:`hybridlib.evaluation.run.evaluation_sets`) and loads their vectors from
the embedding cache (the key of :func:`hybridlib.evaluation.run.embedding_key`, so nothing is encoded
again), then builds one exact FAISS index per (arm, dataset): the multilingual pool of XQuAD-R (all
languages together, the LAReQA Mul. setting) and of TyDi QA GoldP. A question is either

* picked by id (``qid`` of the dataset, e.g. ``de/56beb4343aeaaa14008c925b``): its cached vector, with
  its gold candidates marked, or
* typed in any language: encoded with the arm's own model (loaded once per arm, on first use;
  ``query: `` prefix by :meth:`hybridlib.model.encoder.Encoder.encode`).

The same search from a shell::

    python -m hybridlib.search --run-dir runs/default --arm hybrid "Wer gewann den Super Bowl 50?"
    python -m hybridlib.search --run-dir runs/default --arm zero-shot --arm hybrid --qid de/<id> -k 5

Alongside: :mod:`hybridlib.experiment.arms` (a run folder's arms), :mod:`hybridlib.experiment.drilldown`
(where two arms differ, per question) and :mod:`hybridlib.experiment.search_cli` (the command line).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hybridlib.config import repo_path
from hybridlib.experiment.arms import Arm, SearchError, load_arms
from hybridlib.experiment.drilldown import DrillDown
from hybridlib.params import Params

#: Columns of a hit list (one row per retrieved candidate).
HIT_COLUMNS = ("rank", "score", "lang", "gold", "text", "cid")


@dataclass
class PoolIndex:
    """One arm's vectors of one dataset's pool and the exact index over its candidates."""

    q_emb: np.ndarray  # rows align with the RetrievalSet's questions, L2-normalised
    c_emb: np.ndarray  # rows align with its candidates, L2-normalised
    index: Any  # faiss.Index (inner product = cosine)
    seconds: float  # time to load the vectors and build the index


def _pool_key(params: Params, dataset: str) -> tuple[Any, ...]:
    cut = params.tydi_max_questions if dataset.startswith("tydiqa") else params.eval_max_paragraphs
    return (dataset, params.data_dir, cut)


# --------------------------------------------------------------------------- the explorer


class Explorer(DrillDown):
    """Every arm's evaluation pools of one run folder, indexed once, searched in milliseconds.

    ``datasets``: which evaluation sets to index (default: every one the arms were evaluated on).
    Indexes are built on first use (:meth:`build` builds them all at once and reports the time).
    """

    def __init__(
        self,
        run_dir: str | Path,
        arms: Sequence[str] | None = None,
        datasets: Sequence[str] | None = None,
    ):
        self.run_dir = repo_path(run_dir)
        self.arms: dict[str, Arm] = load_arms(run_dir, arms)
        available = sorted({ds for a in self.arms.values() for ds in a.results})
        if datasets:
            missing = [d for d in datasets if d not in available]
            if missing:
                raise SearchError(
                    f"dataset(s) {missing} not evaluated in {self.run_dir}; evaluated: {', '.join(available)}"
                )
        self.datasets: list[str] = list(datasets) if datasets else available
        self._sets: dict[tuple[Any, ...], Any] = {}
        self._indexes: dict[tuple[str, str], PoolIndex] = {}
        self._encoders: dict[str, Any] = {}
        self._query_vectors: dict[tuple[str, str], np.ndarray] = {}

    # ----- pools and vectors

    def _arm(self, arm: str) -> Arm:
        if arm not in self.arms:
            raise SearchError(f"arm {arm!r} is not loaded; loaded arms: {', '.join(self.arms)}")
        return self.arms[arm]

    def _check_dataset(self, dataset: str) -> None:
        if dataset not in self.datasets:
            raise SearchError(f"dataset {dataset!r} is not indexed; indexed: {', '.join(self.datasets)}")

    def retrieval_set(self, dataset: str, arm: str | None = None):
        """The evaluation pool of ``dataset`` exactly as ``arm``'s evaluation cut it (RetrievalSet)."""
        from hybridlib.evaluation.run import evaluation_sets

        self._check_dataset(dataset)
        params = self._arm(arm or next(iter(self.arms))).params
        key = _pool_key(params, dataset)
        if key not in self._sets:
            self._sets[key] = evaluation_sets(dataclasses.replace(params, eval_sets=[dataset]))[dataset]
        return self._sets[key]

    def encoder(self, arm: str):
        """``arm``'s encoder, loaded on first use and kept (same settings as its evaluation)."""
        a = self._arm(arm)
        if arm not in self._encoders:
            from hybridlib.model.encoder import load_encoder

            self._encoders[arm] = load_encoder(
                a.model_path,
                precision=a.precision,
                threads=a.params.threads,
                max_seq_length=a.params.eval_max_seq_length,
            )
        return self._encoders[arm]

    def pool_index(self, arm: str, dataset: str) -> PoolIndex:
        """``arm``'s vectors of ``dataset`` (from the embedding cache; encoded and cached on a miss)
        and an exact FAISS index over the candidates, built once."""
        from hybridlib.evaluation.run import embedding_cache_dir, embedding_key
        from hybridlib.retrieval.cache import cached_encode
        from hybridlib.retrieval.exact import l2_normalize
        from hybridlib.retrieval.index import build_index

        a = self._arm(arm)
        self._check_dataset(dataset)
        if (arm, dataset) not in self._indexes:
            start = time.perf_counter()
            rset = self.retrieval_set(dataset, arm)
            key = embedding_key(a.model_path, a.params.eval_max_seq_length, a.precision)
            cache = embedding_cache_dir()

            def vectors(texts: list[str], kind: str) -> np.ndarray:
                return l2_normalize(
                    cached_encode(lambda t: self.encoder(arm).encode(t, kind), texts, kind, key, cache)
                )

            q_emb = vectors(rset.questions["text"].tolist(), "query")
            c_emb = vectors(rset.candidates["text"].tolist(), "passage")
            index = build_index(c_emb, "flat", normalize=False)
            self._indexes[(arm, dataset)] = PoolIndex(q_emb, c_emb, index, time.perf_counter() - start)
        return self._indexes[(arm, dataset)]

    def build(self) -> pd.DataFrame:
        """Build every (arm, dataset) index now; one row per index with its size and build time."""
        rows = []
        for arm in self.arms:
            for ds in self.datasets:
                if ds not in self.arms[arm].results:
                    continue
                pi = self.pool_index(arm, ds)
                rows.append(
                    {
                        "arm": arm,
                        "dataset": ds,
                        "candidates": pi.index.ntotal,
                        "questions": len(pi.q_emb),
                        "seconds": round(pi.seconds, 2),
                    }
                )
        return pd.DataFrame(rows)

    # ----- questions

    def question(self, dataset: str, qid: str) -> pd.Series:
        """The question row ``qid`` of ``dataset`` (an unknown id lists a few valid ones)."""
        qs = self.retrieval_set(dataset).questions
        match = np.flatnonzero(qs["qid"].to_numpy() == qid)
        if len(match) == 0:
            examples = ", ".join(qs["qid"].head(3))
            raise SearchError(
                f"no question {qid!r} in the {dataset} pool of {self.run_dir} (ids look like {examples}; "
                f"Explorer.questions({dataset!r}) lists them)"
            )
        return qs.iloc[int(match[0])].rename(int(match[0]))  # .name = row of the question vectors

    def questions(self, dataset: str, lang: str | None = None) -> pd.DataFrame:
        """Questions of ``dataset``'s pool (``qid``, ``lang``, ``text``), optionally of one language."""
        qs = self.retrieval_set(dataset).questions
        if lang is not None:
            qs = qs[qs["lang"] == lang]
        return qs[["qid", "lang", "text"]].reset_index(drop=True)

    def query_vector(self, arm: str, query: str) -> np.ndarray:
        """``query`` encoded as a question by ``arm``'s model (remembered per arm and text)."""
        if not query or not query.strip():
            raise SearchError("empty question: type a question, or pick one by id (qid)")
        key = (arm, query)
        if key not in self._query_vectors:
            self._query_vectors[key] = self.encoder(arm).encode([query], "query", show_progress=False)[0]
        return self._query_vectors[key]

    # ----- search

    def search(
        self,
        arm: str,
        dataset: str,
        query: str | None = None,
        *,
        qid: str | None = None,
        k: int = 10,
        pool_lang: str | None = None,
    ) -> pd.DataFrame:
        """Top-``k`` candidates of ``arm`` for a typed ``query`` or the dataset question ``qid``.

        The pool is the whole multilingual pool, or only the candidates in ``pool_lang`` (a LAReQA
        Mo./Cr. pool). Columns :data:`HIT_COLUMNS`; ``gold`` is True for the question's gold
        candidates (always False for a typed question).
        """
        from hybridlib.retrieval.index import search as faiss_search

        if (query is None) == (qid is None):
            raise SearchError("give either a question text or a question id (qid), not both or neither")
        if k < 1:
            raise SearchError(f"k = {k} must be at least 1")
        pi = self.pool_index(arm, dataset)
        rset = self.retrieval_set(dataset, arm)
        cands = rset.candidates
        gold: set[str] = set()
        if qid is not None:
            row = self.question(dataset, qid)
            vec = pi.q_emb[row.name]
            gold = set(row["gold"])
        else:
            vec = self.query_vector(arm, query)
        vec = np.ascontiguousarray(vec, dtype=np.float32)[None, :]
        if pool_lang is None:
            scores, ids = faiss_search(pi.index, vec, k, normalize=True)
            scores, ids = scores[0], ids[0]
            keep = ids >= 0
            scores, ids = scores[keep], ids[keep]
        else:
            pool = np.flatnonzero(cands["lang"].to_numpy() == pool_lang)
            if len(pool) == 0:
                raise SearchError(
                    f"no {pool_lang!r} candidates in {dataset}; languages: {', '.join(rset.languages)}"
                )
            s = pi.c_emb[pool] @ (vec[0] / max(float(np.linalg.norm(vec[0])), 1e-12))
            order = np.lexsort((pool, -s))[:k]  # score descending, ties by row
            scores, ids = s[order], pool[order]
        hits = cands.iloc[ids]
        return pd.DataFrame(
            {
                "rank": np.arange(1, len(ids) + 1),
                "score": np.round(scores.astype(float), 4),
                "lang": hits["lang"].to_numpy(),
                "gold": [c in gold for c in hits["cid"]],
                "text": hits["text"].to_numpy(),
                "cid": hits["cid"].to_numpy(),
            }
        )

    def compare(
        self,
        dataset: str,
        query: str | None = None,
        *,
        qid: str | None = None,
        arms: Sequence[str] | None = None,
        k: int = 10,
        pool_lang: str | None = None,
    ) -> dict[str, pd.DataFrame]:
        """:meth:`search` for several arms (default: all loaded): ``{arm: hits}``."""
        return {
            arm: self.search(arm, dataset, query, qid=qid, k=k, pool_lang=pool_lang)
            for arm in (arms or list(self.arms))
        }


def language_mix(hits: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Languages of each arm's top-k: arms × languages, counts (0 where absent), plus ``gold@k``."""
    mix = pd.DataFrame({arm: h["lang"].value_counts() for arm, h in hits.items()}).T
    mix = mix.fillna(0).astype(int)
    mix = mix[sorted(mix.columns)] if len(mix.columns) else mix
    mix["gold@k"] = [int(h["gold"].sum()) for h in hits.values()]
    mix.index.name = "arm"
    return mix


def side_by_side(hits: dict[str, pd.DataFrame], width: int = 60) -> pd.DataFrame:
    """One table with a column group per arm (lang, score, text with ✓ for gold), rows = ranks."""
    parts = {}
    for arm, h in hits.items():
        text = [("✓ " if g else "") + shorten(t, width) for g, t in zip(h["gold"], h["text"], strict=True)]
        parts[arm] = pd.DataFrame(
            {"lang": h["lang"].to_numpy(), "score": h["score"].to_numpy(), "text": text},
            index=h["rank"].to_numpy(),
        )
    out = pd.concat(parts, axis=1)
    out.index.name = "rank"
    return out


def shorten(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"
