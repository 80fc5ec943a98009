"""Language bias as rank distance (LAReQA-style multilingual pool; "hybrid batch" paper, arXiv 2408.10536).

In the multilingual pool (every language's candidates together) a question has one gold per language
(its answer sentence and that sentence's translations). A language-agnostic encoder ranks all of them
close together; an encoder biased towards some language (typically the query's own) pushes the others
down. The rank distance of a question is

    RD(q) = max_l r_l(q) − min_l r_l(q),

where ``r_l(q)`` is the 1-based rank of q's gold in language ``l`` (pessimistic ties, see
:mod:`hybridlib.evaluation.metrics`). Lower = less biased; with distinct ranks the minimum is |L| − 1 (the
golds
at consecutive ranks, wherever they are). If a language holds several golds of q, its best-ranked one stands
for it
(the distance is *between languages*). Questions with golds in fewer than two languages have no
distance (NaN, excluded from means). Reported: mean RD per query language and the macro mean over
query languages.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hybridlib.evaluation.metrics import nanmean


def rank_distance(ranks: np.ndarray, gold_groups: np.ndarray | None = None) -> np.ndarray:
    """Per-query rank distance from padded gold ranks ``(Q, G)`` (0 = padding).

    ``gold_groups`` ``(Q, G)`` labels each gold slot with its language (any hashable ints/strings,
    ignored at padding); when given, each language contributes only its best-ranked gold. Without it
    every gold counts as its own language. NaN where fewer than two languages have a gold.
    """
    ranks = np.asarray(ranks, dtype=np.int64)
    valid = ranks > 0
    if gold_groups is None:
        best = np.where(valid, ranks, 0).astype(float)
        best[~valid] = np.nan
    else:
        groups = np.asarray(gold_groups)
        if groups.shape != ranks.shape:
            raise ValueError(f"gold_groups {groups.shape} must match ranks {ranks.shape}")
        labels = np.unique(groups[valid])
        best = np.full((ranks.shape[0], max(len(labels), 1)), np.nan)
        big = np.iinfo(np.int64).max
        for j, lab in enumerate(labels):  # loop over languages, vectorised over queries
            m = valid & (groups == lab)
            b = np.where(m, ranks, big).min(axis=1)
            best[:, j] = np.where(m.any(axis=1), b, np.nan)
    n_lang = (~np.isnan(best)).sum(axis=1)
    hi = np.where(np.isnan(best), -np.inf, best).max(axis=1)
    lo = np.where(np.isnan(best), np.inf, best).min(axis=1)
    return np.where(n_lang >= 2, hi - lo, np.nan)


def rank_distance_by_language(rd: np.ndarray, query_langs: Sequence[str]) -> dict[str, float]:
    """Mean rank distance per query language (NaN rows excluded), languages sorted."""
    rd = np.asarray(rd, dtype=float)
    langs = np.asarray(query_langs)
    return {str(lang): nanmean(rd[langs == lang]) for lang in sorted(set(langs.tolist()))}


def macro_mean(per_language: dict[str, float]) -> float:
    """Unweighted mean over languages (languages whose value is NaN are left out)."""
    return nanmean(np.array(list(per_language.values()), dtype=float))
