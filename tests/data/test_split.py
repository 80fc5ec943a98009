"""The validation split of a training set (``hybridlib.data.split``) and that training never reads it."""

from __future__ import annotations

import pytest

from hybridlib.data.loaders import load_retrieval_set
from hybridlib.data.split import validation_ids, validation_part, without_validation
from hybridlib.params import Params


@pytest.fixture(scope="module")
def mlqa(data_root):
    return load_retrieval_set("mlqa-r", data_dir=str(data_root))


def test_about_a_tenth_of_the_question_groups_whole_and_the_same_whatever_is_loaded(mlqa, data_root):
    held = validation_ids(mlqa, 0.1)
    share = len(held) / mlqa.questions["xid"].nunique()
    assert 0.08 <= share <= 0.12
    assert validation_ids(mlqa, 0.1) == held  # deterministic
    two = load_retrieval_set("mlqa-r", data_dir=str(data_root), languages=["de", "es"])
    assert validation_ids(two, 0.1) == held & set(two.questions["xid"])  # not a function of what is loaded
    assert validation_ids(mlqa, 0.0) == set()


def test_the_split_partitions_the_questions_and_keeps_every_gold_in_the_validation_pool(mlqa):
    train, val = without_validation(mlqa, 0.1), validation_part(mlqa, 0.1)
    assert not set(train.questions["xid"]) & set(val.questions["xid"])
    assert len(train.questions) + len(val.questions) == len(mlqa.questions)
    pool = set(val.candidates["cid"])
    assert all(set(gold) <= pool for gold in val.questions["gold"])
    assert len(val.candidates) < len(mlqa.candidates)


def test_no_arm_trains_on_a_validation_question(mlqa):
    from hybridlib.train.inputs import alignment_pairs, training_pairs

    held = validation_ids(mlqa, 0.1)
    params = Params(validation_fraction=0.1)
    pairs = training_pairs(params)["mlqa-r"]
    assert not set(pairs["xid"]) & held and len(pairs)
    held_texts = set(mlqa.questions.loc[mlqa.questions["xid"].isin(held), "text"])
    align = alignment_pairs(params.replace(align_weight=0.5, align_data="train-questions"))
    assert not (set(align["src"]) | set(align["tgt"])) & held_texts
