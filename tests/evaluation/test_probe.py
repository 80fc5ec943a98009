"""The bitext probe: translation retrieval accuracy@1 in both directions on held-out NTREX-128 lines."""

from __future__ import annotations

import numpy as np
import pytest

from hybridlib.evaluation.probe import (
    PROBE_LANGUAGES,
    bitext_accuracy,
    ratio_margin,
    run_probe,
    top1_hits,
)
from hybridlib.params import validate


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_top1_hits_counts_a_tie_as_a_miss():
    targets = unit(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]))
    queries = unit(np.array([[1.0, 0.1], [0.1, 1.0], [1.0, 0.0]]))
    # Row 0's own target ties with row 2's (same vector): a miss; row 2 ties with row 0: a miss.
    np.testing.assert_array_equal(top1_hits(queries, targets), [False, True, False])


def test_bitext_accuracy_in_both_directions():
    rng = np.random.default_rng(0)
    english = unit(rng.normal(size=(50, 16)))
    aligned = unit(english + 0.01 * rng.normal(size=english.shape))
    shuffled = aligned[rng.permutation(50)]
    accuracy, per_line = bitext_accuracy(english, {"bn": aligned, "sw": shuffled})
    assert {k: accuracy["bn"][k] for k in ("x_to_en", "en_to_x", "mean")} == {
        "x_to_en": 1.0,
        "en_to_x": 1.0,
        "mean": 1.0,
    }
    assert accuracy["sw"]["mean"] < 0.2
    assert accuracy["bn"]["margin"] > 1.0 > accuracy["sw"]["margin"]
    assert per_line["bn"]["correct"].shape == (50,)
    assert set(np.unique(per_line["sw"]["correct"])) <= {0.0, 0.5, 1.0}


def test_ratio_margin_ranks_a_clear_pair_above_a_crowded_one():
    targets = unit(np.array([[1.0, 0.0, 0.0], [0.9, 0.1, 0.0], [0.0, 0.0, 1.0]]))
    queries = targets.copy()
    margin = ratio_margin(queries, targets, k=2)
    # Rows 0 and 1 crowd each other; row 2 has no close neighbour.
    assert margin[2] > margin[0] and margin[2] > margin[1] and margin[2] > 1.0


def test_run_probe_reads_the_held_out_lines_of_every_tydi_language():
    params = validate({"probe_sentences": 6})
    seen: list[list[str]] = []

    def encode(texts):
        seen.append(list(texts))
        # A perfect "encoder" for the probe: each line's texts map to one direction (the line's own).
        return np.eye(len(texts), 64, dtype=np.float32)

    result = run_probe(params, encode, arm="x")
    assert result["languages"] == list(PROBE_LANGUAGES) and result["counts"]["sentences"] == 6
    assert result["lines"] == [1991, 1996]
    assert len(seen) == 1 + len(PROBE_LANGUAGES) and all(len(t) == 6 for t in seen)
    assert result["macro"]["mean"] == pytest.approx(1.0)
    pq = result["per_query"]
    assert len(pq["qid"]) == 6 * len(PROBE_LANGUAGES) and pq["cluster"][0] == "1991"
