"""The one schema every retrieval and parallel-text set is loaded into.

A retrieval set is two tables (pandas DataFrames):

``questions`` — one row per (question, language):
    ``qid``   str   unique id of the row, ``"{lang}/{xid}"``
    ``xid``   str   id shared by the translations of one question (XQuAD-R / MLQA-R); for sets that are
                    not parallel (TyDi QA) it equals the source question id
    ``lang``  str   ISO 639-1 code of the question
    ``text``  str   the question
    ``gold``  tuple[str, ...]  candidate ids (``cid``) that answer it, in every language of the pool

``candidates`` — one row per candidate (sentence or passage):
    ``cid``        str  unique id, ``"{lang}/{index}"`` (index in load order)
    ``lang``       str  ISO 639-1 code
    ``text``       str  the sentence / passage text
    ``paragraph``  str  id of the paragraph (context) it comes from, ``"{lang}/{paragraph index}"``

A parallel set is one table ``pairs`` with ``src_lang``, ``src``, ``tgt_lang``, ``tgt`` and ``pair_id``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

QUESTION_COLUMNS = ("qid", "xid", "lang", "text", "gold")
CANDIDATE_COLUMNS = ("cid", "lang", "text", "paragraph")
PARALLEL_COLUMNS = ("pair_id", "src_lang", "src", "tgt_lang", "tgt")


@dataclass(frozen=True)
class RetrievalSet:
    """Questions, candidates and the gold links between them (see the module docstring)."""

    name: str
    questions: pd.DataFrame
    candidates: pd.DataFrame

    @property
    def languages(self) -> list[str]:
        """Languages of the candidate pool, sorted."""
        return sorted(self.candidates["lang"].unique())

    def subset(self, languages: list[str] | tuple[str, ...]) -> RetrievalSet:
        """Keep only questions and candidates in ``languages``; golds are restricted to the kept pool."""
        keep = set(languages)
        cands = self.candidates[self.candidates["lang"].isin(keep)].reset_index(drop=True)
        kept_ids = set(cands["cid"])
        qs = self.questions[self.questions["lang"].isin(keep)].copy()
        qs["gold"] = [tuple(g for g in gold if g in kept_ids) for gold in qs["gold"]]
        return RetrievalSet(self.name, qs.reset_index(drop=True), cands)


@dataclass(frozen=True)
class ParallelSet:
    """Aligned sentence pairs (translations), e.g. Tatoeba or XOR-TyDi ``trans_data``."""

    name: str
    pairs: pd.DataFrame


def first_questions(rset: RetrievalSet, n: int | None) -> RetrievalSet:
    """Keep the first ``n`` questions of every language and only the candidates they point at
    (for TyDi QA, whose pool is the questions' own gold passages). ``None`` keeps everything."""
    if n is None:
        return rset
    qs = rset.questions.groupby("lang", sort=False).head(n).reset_index(drop=True)
    needed = {g for gold in qs["gold"] for g in gold}
    cands = rset.candidates[rset.candidates["cid"].isin(needed)].reset_index(drop=True)
    return RetrievalSet(rset.name, qs, cands)


def check_embeddings(rset: RetrievalSet, q_emb: np.ndarray, c_emb: np.ndarray) -> None:
    if len(q_emb) != len(rset.questions):
        raise ValueError(f"q_emb has {len(q_emb)} rows but the set has {len(rset.questions)} questions")
    if len(c_emb) != len(rset.candidates):
        raise ValueError(f"c_emb has {len(c_emb)} rows but the set has {len(rset.candidates)} candidates")
