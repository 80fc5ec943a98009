"""The alignment study's training arms: the alignment objective alone, and NTREX-128 as its source."""

from __future__ import annotations

import json

import numpy as np

from hybridlib.params import arm_settings, validate
from hybridlib.train.inputs import ALIGN_SET, alignment_pairs, build_datasets, training_pairs
from hybridlib.train.plan import training_inputs
from hybridlib.train.run import train

TINY = {"batch_size": 4, "max_seq_length": 24, "max_steps": 3, "logging_steps": 1, "precision": "fp32"}


def test_align_only_trains_alignment_batches_only(tmp_path, tiny_model):
    params = arm_settings(
        validate({**TINY, "model": tiny_model, "align_languages": ["bn", "ko"]}), "align-only"
    )
    assert params.train_sets == [] and params.align_weight == 0.5
    result = train(params, run_dir=tmp_path / "run")
    summary = json.loads((result.run_dir / "summary.json").read_text())
    # As many updates as a QA-only arm makes, every one of them an alignment batch.
    assert summary["arm"] == "align-only"
    assert (summary["steps"], summary["qa_steps"], summary["alignment_steps"]) == (3, 0, 3)
    assert summary["training_sets"] == {} and summary["alignment_pairs"] > 0


def test_align_only_batches_are_parallel_pairs_with_distinct_english_sides(tiny_model):
    params = arm_settings(validate({**TINY, "model": tiny_model, "align_data": "ntrex"}), "align-only")
    inputs = training_inputs(params)
    assert list(inputs.datasets) == [ALIGN_SET]
    for batch in list(inputs.sampler)[:5]:
        name, rows = inputs.batch_rows(batch)
        assert name == ALIGN_SET and len(rows) == TINY["batch_size"]
        # NTREX's languages translate one English text per line: never twice in a batch.
        assert rows["positive"].nunique() == len(rows)


def test_ntrex_alignment_never_holds_a_probe_line():
    params = validate({**TINY, "align_data": "ntrex", "align_weight": 0.5, "probe_sentences": 100})
    pairs = alignment_pairs(params)
    lines = pairs["pair_id"].str.rsplit("/", n=1).str[1].astype(int)
    assert lines.max() < 1997 - 100
    assert set(pairs["src_lang"]) == {"ar", "bn", "fi", "id", "ko", "ru", "sw", "te"}
    assert (pairs["tgt_lang"] == "en").all()


def test_the_probe_size_is_part_of_the_identity_only_where_ntrex_trains():
    from hybridlib.train.identity import training_parameters

    base = validate({**TINY, "align_weight": 0.5})
    assert "probe_sentences" not in training_parameters(base)
    assert "probe_sentences" not in training_parameters(base.replace(align_data="ntrex", align_weight=0.0))
    assert training_parameters(base.replace(align_data="ntrex"))["probe_sentences"] == 500


def test_hybrid_align_datasets_key_alignment_batches_by_english_text():
    params = validate({**TINY, "align_weight": 0.5, "train_languages": ["de", "en"]})
    align = alignment_pairs(params).head(50)
    _, metas, _ = build_datasets(params, training_pairs(params), align)
    np.testing.assert_array_equal(metas[ALIGN_SET].xid, align["tgt"].to_numpy().astype(str))
