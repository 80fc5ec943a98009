"""Result files as committed: compact per-query arrays (compressed, float32, small integers, UTF-8
strings) read back as before, older full-width files too, and damaged files never read as valid."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from hybridlib.evaluation.results import ResultFileError, load_per_query, load_result, write_results

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "runs" / "full-fold2" / "results" / "hybrid" / "mlqa-r.json"


def _per_query(rng: np.random.Generator) -> dict[str, np.ndarray]:
    ap = rng.random((50, 3))
    ap[::7, 1] = np.nan
    return {
        "qid": np.array([f"de/{i:040x}" for i in range(50)]),
        "lang": np.array(["de", "ελ"] * 25),
        "ap_pool": ap,
        "ap_mul": rng.random(50),
        "mul_ranks": rng.integers(0, 3000, size=(50, 4)),
        "mul_gold": np.where(np.arange(200).reshape(50, 4) % 9 == 0, -1, rng.integers(0, 40000, (50, 4))),
    }


def test_compact_arrays_come_back_wide_and_equal_to_float32_precision(tmp_path):
    pq = _per_query(np.random.default_rng(0))
    path = write_results({"task": "lareqa", "per_query": pq}, tmp_path / "r.json")
    with np.load(tmp_path / "r.per_query.npz") as stored:
        kinds = {k: stored[k].dtype for k in stored.files}
    assert kinds["ap_pool"] == np.float32 and kinds["mul_ranks"] == np.uint16
    assert kinds["mul_gold"] == np.int32 and kinds["qid"].kind == "S"
    back = load_per_query(path)
    assert back["ap_pool"].dtype == np.float64 and back["mul_ranks"].dtype == np.int64
    assert list(back["qid"]) == list(pq["qid"]) and list(back["lang"]) == ["de", "ελ"] * 25
    np.testing.assert_array_equal(back["mul_gold"], pq["mul_gold"])
    np.testing.assert_allclose(back["ap_pool"], pq["ap_pool"], rtol=1e-7, equal_nan=True)
    assert abs(np.nanmean(back["ap_pool"]) - np.nanmean(pq["ap_pool"])) < 1e-6


def test_files_written_before_at_full_width_read_the_same(tmp_path):
    pq = _per_query(np.random.default_rng(1))
    (tmp_path / "r.json").write_text(json.dumps({"per_query_file": "r.per_query.npz"}))
    np.savez(tmp_path / "r.per_query.npz", **pq)
    back = load_per_query(tmp_path / "r.json")
    for key, value in pq.items():
        np.testing.assert_array_equal(back[key], value)
        assert back[key].dtype.kind == value.dtype.kind


@pytest.mark.skipif(not COMMITTED.is_file(), reason="the committed fold-2 results are absent")
def test_the_committed_fold2_result_rewritten_compact_is_smaller_and_its_map_agrees(tmp_path):
    # The full-width file is written here, as result files were before the compact format (np.savez,
    # float64 and int64): the committed file itself may be either, as seeds are re-run one at a time.
    old = load_per_query(COMMITTED)
    result = load_result(COMMITTED)
    np.savez(tmp_path / "wide.npz", **old)
    write_results({**result, "per_query": old}, tmp_path / "mlqa-r.json")
    new = load_per_query(tmp_path / "mlqa-r.json")
    before = (tmp_path / "wide.npz").stat().st_size
    assert (tmp_path / "mlqa-r.per_query.npz").stat().st_size < 0.7 * before

    def mul_map(pq: dict[str, np.ndarray]) -> float:
        return float(np.mean([np.nanmean(pq["ap_mul"][pq["lang"] == x]) for x in np.unique(pq["lang"])]))

    assert mul_map(new) == pytest.approx(result["mAP"]["mul"], abs=1e-6)
    assert mul_map(old) == pytest.approx(mul_map(new), abs=1e-6)
    np.testing.assert_allclose(np.nanmean(new["ap_pool"], 0), np.nanmean(old["ap_pool"], 0), atol=1e-6)
    np.testing.assert_array_equal(new["mul_ranks"], old["mul_ranks"])


def test_a_truncated_result_or_per_query_file_is_an_error_naming_it(tmp_path):
    path = write_results(
        {"task": "lareqa", "per_query": _per_query(np.random.default_rng(2))}, tmp_path / "r.json"
    )
    npz = tmp_path / "r.per_query.npz"
    path.write_text(path.read_text()[:20])
    with pytest.raises(ResultFileError, match=re.escape(str(path))):
        load_result(path)
    npz.write_bytes(npz.read_bytes()[:100])
    with pytest.raises(ResultFileError, match=re.escape("r.per_query.npz")):
        load_per_query(path)
