from __future__ import annotations

import json

import pytest

from hybridlib.data.files import DatasetFormatError
from hybridlib.data.triples import read_triples_file
from hybridlib.sampling.sampler import PairMeta


def test_tsv_and_jsonl_triples_read_into_pair_tables(tmp_path):
    rows = [("was ist x", "x ist y", "z ist w"), ("wer ist a", "a ist b", "c ist d")]
    tsv = tmp_path / "mmarco-de.tsv"
    tsv.write_text("".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    jsonl = tmp_path / "mmarco-de.jsonl"
    jsonl.write_text(
        "".join(json.dumps(dict(zip(("query", "positive", "negative"), r, strict=True))) + "\n" for r in rows)
    )
    a = read_triples_file(tsv, language="de")
    b = read_triples_file(jsonl, language="de")
    assert a[["query", "positive", "negative"]].equals(b[["query", "positive", "negative"]])
    assert list(a["query"]) == ["was ist x", "wer ist a"]
    assert set(a["q_lang"]) == set(a["p_lang"]) == {"de"}
    assert a["xid"].is_unique
    assert len(PairMeta.from_pairs(a)) == 2  # usable as one more training set
    assert len(read_triples_file(tsv, language="de", limit=1)) == 1


def test_malformed_triples_name_the_line(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("q\tp\tn\nonly two\tfields\n")
    with pytest.raises(DatasetFormatError, match=r"bad\.tsv:2: expected 3 tab-separated fields"):
        read_triples_file(bad, language="en")
    bad_json = tmp_path / "bad.jsonl"
    bad_json.write_text('{"query": "q", "positive": "p"}\n')
    with pytest.raises(DatasetFormatError, match="keys"):
        read_triples_file(bad_json, language="en")
    with pytest.raises(FileNotFoundError):
        read_triples_file(tmp_path / "missing.tsv", language="en")
