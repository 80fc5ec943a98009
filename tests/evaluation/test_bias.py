"""Rank distance on hand-built examples with known ranks."""

from __future__ import annotations

import numpy as np
import pytest

from hybridlib.evaluation.bias import macro_mean, rank_distance, rank_distance_by_language
from hybridlib.evaluation.metrics import gold_ranks, rank_golds


def test_rank_distance_from_known_ranks():
    ranks = np.array([[1, 3, 6], [2, 0, 0], [4, 5, 0], [0, 0, 0]])
    rd = rank_distance(ranks)
    assert rd[0] == 5 and rd[2] == 1
    assert np.isnan(rd[1]) and np.isnan(rd[3])  # fewer than two golds: no distance


def test_rank_distance_takes_best_gold_per_language():
    ranks = np.array([[1, 9, 4]])
    assert rank_distance(ranks, np.array([["en", "de", "de"]]))[0] == 3  # de's best gold is rank 4
    assert rank_distance(ranks)[0] == 8
    assert np.isnan(rank_distance(ranks, np.array([["en", "en", "en"]]))[0])


def test_rank_distance_in_a_hand_built_multilingual_pool():
    # pool of 6 candidates in 3 languages; q0's golds (one per language) sit at ranks 1, 3 and 6
    scores = np.array([[0.9, 0.8, 0.7, 0.6, 0.5, 0.4], [0.1, 0.2, 0.9, 0.85, 0.3, 0.8]])
    relevant = np.zeros_like(scores, dtype=bool)
    relevant[0, [0, 2, 5]] = True  # ranks 1, 3, 6
    relevant[1, [2, 3, 5]] = True  # ranks 1, 2, 3
    rd = rank_distance(gold_ranks(scores, relevant))
    assert rd.tolist() == [5.0, 2.0]
    per_lang = rank_distance_by_language(rd, ["en", "de"])
    assert per_lang == {"de": 2.0, "en": 5.0}
    assert macro_mean(per_lang) == pytest.approx(3.5)


def test_rank_distance_from_embeddings_with_known_geometry():
    # candidates on the unit circle; the query at angle 0 ranks them by angle
    angles = np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    cands = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    query = np.array([[1.0, 0.0]])
    res = rank_golds(query, cands, [[1, 4, 6]])
    assert sorted(res.ranks[0].tolist()) == [2, 5, 7]
    assert rank_distance(res.ranks)[0] == 5


def test_macro_mean_is_unweighted_and_skips_nan():
    assert macro_mean({"a": 1.0, "b": 3.0, "c": float("nan")}) == 2.0
