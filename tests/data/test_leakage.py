"""Valid evidence: no evaluation question in the alignment data, seen languages from the run."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from hybridlib.data import lareqa, leakage, loaders, parallel
from hybridlib.data.schema import ParallelSet
from hybridlib.evaluation.run import training_languages
from hybridlib.params import validate
from hybridlib.train.inputs import alignment_pairs

TYDI = {"ar", "bn", "en", "fi", "id", "ko", "ru", "sw", "te"}


@pytest.fixture(autouse=True)
def _needs_data(data_root):
    return data_root


def test_default_xor_tydi_alignment_data_drops_exactly_the_evaluation_questions(capsys):
    params = validate({"align_weight": 0.5})  # eval_sets: xquad-r, tydiqa-goldp
    align = alignment_pairs(params)
    raw = parallel.load_xor_tydi_translations().pairs
    assert len(raw) == 32876
    # 11 pairs whose question is a TyDi dev question (bn 4 + ko 6 questions, one translated twice)
    # and 4 whose English translation is an English TyDi dev question (fi 1, ja 1, ru 2).
    assert align.attrs["dropped_eval_questions"] == 15 and len(align) == 32876 - 15
    assert align.groupby("src_lang").size().to_dict() == {
        "ar": 4648, "bn": 4687 - 5, "fi": 4638 - 1, "ja": 4700 - 1, "ko": 4697 - 6, "ru": 4745 - 2,
        "te": 4761,
    }  # fmt: skip
    assert "15 dropped" in capsys.readouterr().out
    banned = leakage.evaluation_questions(params.eval_sets)
    for side in ("src", "tgt"):
        assert not set(align[side].map(leakage.normalize_question)) & banned
    pd.testing.assert_frame_equal(align, leakage.tydi_dev_overlap_free_translations().pairs)


def test_a_planted_evaluation_question_is_removed_from_every_alignment_source(monkeypatch):
    xquad = lareqa.load_xquad_r(languages=["de", "en"]).questions
    de_question = xquad[xquad["lang"] == "de"]["text"].iloc[3]
    en_question = xquad[xquad["lang"] == "en"]["text"].iloc[7]
    planted = pd.DataFrame(
        {
            "pair_id": ["sw-en/0", "sw-en/1", "sw-en/2"],
            "src_lang": ["sw", "sw", "de"],
            "src": ["Habari gani?", "Jina lako nani?", " " + de_question.lower()],
            "tgt_lang": ["en"] * 3,
            "tgt": ["How are you?", en_question.upper() + "  ", "x"],
        }
    )
    monkeypatch.setattr(loaders, "load_tatoeba", lambda *a, **k: ParallelSet("tatoeba", planted))
    align = alignment_pairs(validate({"align_weight": 0.5, "align_data": "tatoeba"}))
    assert list(align["pair_id"]) == ["sw-en/0"] and align.attrs["dropped_eval_questions"] == 2
    # Evaluated on TyDi only, the XQuAD-R questions are no evaluation questions: nothing to drop.
    only_tydi = alignment_pairs(
        validate({"align_weight": 0.5, "align_data": "tatoeba", "eval_sets": ["tydiqa-goldp"]})
    )
    assert len(only_tydi) == 3 and only_tydi.attrs["dropped_eval_questions"] == 0


def test_train_question_alignment_never_holds_an_evaluation_question():
    params = validate({"align_weight": 0.5, "align_data": "train-questions", "train_languages": ["de", "en"]})
    align = alignment_pairs(params)
    assert len(align) > 0 and set(align["src_lang"]) | set(align["tgt_lang"]) == {"de", "en"}
    banned = leakage.evaluation_questions(params.eval_sets)
    assert (
        not (
            set(align["src"].map(leakage.normalize_question))
            | set(align["tgt"].map(leakage.normalize_question))
        )
        & banned
    )


def test_seen_languages_follow_the_training_data():
    mlqa = training_languages(validate({}))
    assert mlqa == {"ar", "de", "en", "es", "hi", "vi", "zh"} and mlqa & TYDI == {"ar", "en"}
    xquad = training_languages(validate({"train_sets": ["xquad-r"], "eval_sets": ["tydiqa-goldp"]}))
    assert xquad & TYDI == {"ar", "en", "ru"}
    assert training_languages(validate({"train_languages": ["de", "en"]})) == {"de", "en"}
    # Alignment languages are not seen by QA training.
    aligned = validate({"align_weight": 0.5, "align_data": "xor-tydi"})
    assert training_languages(aligned) == mlqa


def test_seen_languages_come_from_the_trained_run(tmp_path):
    run = tmp_path / "train" / "hybrid_run"
    (run / "model").mkdir(parents=True)
    recorded = {"arm": "hybrid", **validate({"train_sets": ["xquad-r"], "eval_sets": ["mlqa-r"]}).to_dict()}
    (run / "params.json").write_text(json.dumps(recorded))
    evaluation = validate({})  # the evaluating notebook's own (default) training parameters
    assert training_languages(evaluation, str(run / "model")) & TYDI == {"ar", "en", "ru"}
    assert training_languages(evaluation, str(tmp_path / "elsewhere")) & TYDI == {"ar", "en"}


def test_evaluation_notebook_receives_the_training_data_parameters():
    from hybridlib.experiment.stages import declared_parameters

    assert {"train_sets", "train_languages", "eval_sets"} <= set(declared_parameters("04_evaluate"))
