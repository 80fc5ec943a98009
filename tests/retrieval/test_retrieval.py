"""FAISS indexes and the exact blockwise scorer."""

from __future__ import annotations

import numpy as np
import pytest

from hybridlib.retrieval.exact import exact_score_blocks, exact_search, l2_normalize
from hybridlib.retrieval.index import build_index, default_nlist, search


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(50, 24)).astype(np.float32), rng.normal(size=(2000, 24)).astype(np.float32) * 3


def _brute(q, c, k):
    s = l2_normalize(q) @ l2_normalize(c).T
    ids = np.argsort(-s, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(s, ids, axis=1), ids


def test_l2_normalize():
    x = l2_normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert x.dtype == np.float32 and x.flags.c_contiguous
    np.testing.assert_allclose(x, [[0.6, 0.8], [0.0, 0.0]])


def test_flat_index_is_exact_cosine(data):
    q, c = data
    scores, ids = search(build_index(c, "flat"), q, 10)
    ref_s, ref_i = _brute(q, c, 10)
    assert ids.dtype == np.int64 and scores.shape == (50, 10)
    np.testing.assert_array_equal(ids, ref_i)
    np.testing.assert_allclose(scores, ref_s, atol=1e-5)


def test_ivf_with_all_lists_probed_is_exact(data):
    q, c = data
    nlist = default_nlist(len(c))
    assert 1 <= nlist <= len(c) // 39
    _, ids = search(build_index(c, "ivf", nprobe=nlist), q, 10)
    np.testing.assert_array_equal(ids, _brute(q, c, 10)[1])
    _, ids_default = search(build_index(c, "ivf"), q, 10)
    assert ids_default.shape == (50, 10)


def test_hnsw_recall_is_high(data):
    q, c = data
    _, ids = search(build_index(c, "hnsw", M=16, ef_search=200), q, 10)
    ref = _brute(q, c, 10)[1]
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids, ref, strict=True)])
    assert recall > 0.95


def test_k_larger_than_pool_is_clamped_and_bad_kind_rejected(data):
    q, c = data
    _, ids = search(build_index(c[:5]), q, 100)
    assert ids.shape == (50, 5) and sorted(ids[0].tolist()) == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="index kind"):
        build_index(c, "lsh")


def test_exact_score_blocks_cover_the_full_matrix(data):
    q, c = data
    blocks = list(exact_score_blocks(q, c, block_size=7))
    assert [b.shape[0] for _, b in blocks] == [7] * 7 + [1]
    full = np.concatenate([b for _, b in blocks])
    np.testing.assert_allclose(full, l2_normalize(q) @ l2_normalize(c).T, atol=1e-6)


def test_exact_search_matches_flat_index_and_breaks_ties_by_index(data):
    q, c = data
    s, i = exact_search(q, c, 10, block_size=16)
    s2, i2 = search(build_index(c), q, 10)
    np.testing.assert_array_equal(i, i2)
    np.testing.assert_allclose(s, s2, atol=1e-5)
    # duplicated candidates tie exactly: lower index first, tie groups cut at k deterministically
    cands = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 0.0], [0.5, 0.5]])
    _, ids = exact_search(np.array([[1.0, 0.0]]), cands, 2)
    assert ids.tolist() == [[0, 2]]
    _, ids = exact_search(np.array([[1.0, 0.0]]), cands, 5)
    assert ids.tolist() == [[0, 2, 3, 4, 1]]
