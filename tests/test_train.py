"""Training at tiny scale: every piece of the method wired into sentence-transformers' trainer."""

from __future__ import annotations

import math

import numpy as np
import pytest
from transformers import TrainerCallback

from hybridlib.params import validate
from hybridlib.train import (
    ALIGN_SET,
    TrainingDivergedError,
    _callbacks,
    alignment_pairs,
    build_datasets,
    train,
    training_pairs,
)

TINY = {
    "batch_size": 4,
    "max_seq_length": 24,
    "max_steps": 4,
    "logging_steps": 1,
    "precision": "fp32",
    "train_languages": ["de", "en", "es"],
}


def weights(model_dir):
    from hybridlib.model import load_sentence_transformer

    model = load_sentence_transformer(str(model_dir))  # without the (unused, randomly re-made) pooler
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


def test_training_rows_hold_text_only_and_metadata_stays_aside():
    params = validate({**TINY, "align_weight": 0.5, "align_data": "train-questions"})
    pairs = training_pairs(params)
    align = alignment_pairs(params)
    datasets, metas, prompts = build_datasets(params, pairs, align)
    assert list(datasets) == ["mlqa-r", ALIGN_SET]
    assert datasets["mlqa-r"].column_names == ["anchor", "positive"]
    assert datasets[ALIGN_SET].column_names == ["anchor", "positive"]
    assert len(metas["mlqa-r"]) == len(datasets["mlqa-r"])
    assert set(metas["mlqa-r"].q_lang) == {"de", "en", "es"}
    assert prompts["mlqa-r"]["anchor"] == "query: " and prompts["mlqa-r"]["positive"] == "passage: "
    # The training set's own parallel questions: two languages of one question id.
    assert (align["src_lang"] != align["tgt_lang"]).all()


def test_xor_tydi_alignment_data_has_no_tydi_dev_question():
    from hybridlib.data import load_tydiqa_goldp

    align = alignment_pairs(validate({"align_weight": 0.5, "align_data": "xor-tydi"}))
    dev = set(load_tydiqa_goldp().questions["text"].str.strip())
    assert not dev & set(align["src"].str.strip())
    assert {"bn", "fi", "ko", "te"} <= set(align["src_lang"])


def test_loss_guard_stops_on_nan_and_explosion():
    guard = _callbacks([])[0]

    class State:
        global_step = 3

    guard.on_log(None, State, None, logs={"loss": 1.0})
    with pytest.raises(TrainingDivergedError, match="exploded"):
        guard.on_log(None, State, None, logs={"loss": 50.0})
    with pytest.raises(TrainingDivergedError, match="nan"):
        _callbacks([])[0].on_log(None, State, None, logs={"loss": math.nan})


class StopAt(TrainerCallback):
    """Simulates a run killed after ``step`` (after the checkpoint at step 2 was written)."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.step:
            raise KeyboardInterrupt("simulated kill")


def test_killed_run_resumes_to_the_same_weights(tmp_path):
    params = validate({**TINY, "sampler": "hybrid", "checkpoint_every": 2})
    full = train(params, run_dir=tmp_path / "full")
    assert full.steps == 4
    assert list(full.log["step"]) == [1, 2, 3, 4]

    with pytest.raises(KeyboardInterrupt):
        train(params, run_dir=tmp_path / "killed", extra_callbacks=[StopAt(3)])
    assert (tmp_path / "killed" / "checkpoints" / "checkpoint-2").is_dir()
    assert not (tmp_path / "killed" / "model").exists()
    resumed = train(params, run_dir=tmp_path / "killed")
    assert resumed.steps == 4

    a, b = weights(full.model_dir), weights(resumed.model_dir)
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_allclose(a[key], b[key], atol=1e-6, err_msg=key)
    np.testing.assert_allclose(full.log["loss"].to_numpy(), resumed.log["loss"].to_numpy(), rtol=1e-5)


def test_hybrid_align_trains_and_saves_a_loadable_model(tmp_path):
    from sentence_transformers import SentenceTransformer

    params = validate({**TINY, "max_steps": 3, "align_weight": 0.5, "align_every": 1, "sampler": "hybrid"})
    result = train(params, run_dir=tmp_path / "run")
    model = SentenceTransformer(str(result.model_dir), device="cpu")
    emb = model.encode(["query: wer?", "query: who?"], normalize_embeddings=True)
    assert emb.shape == (2, 384) and np.isfinite(emb).all()
    summary = (result.run_dir / "summary.json").read_text()
    assert '"arm": "hybrid+align"' in summary
    # Frozen word embeddings stay exactly the base model's.
    from hybridlib.model import load_sentence_transformer

    base = load_sentence_transformer().state_dict()
    tuned = model.state_dict()
    key = "0.model.embeddings.word_embeddings.weight"
    np.testing.assert_array_equal(base[key].numpy(), tuned[key].numpy())
    layer = "0.model.encoder.layer.0.attention.self.query.weight"
    assert not np.allclose(base[layer].numpy(), tuned[layer].numpy())


class RecordCheckpointing(TrainerCallback):
    def __init__(self):
        self.seen: list[bool] = []

    def on_step_begin(self, args, state, control, model=None, **kwargs):
        encoder = model[0].auto_model
        self.seen.append(bool(encoder.is_activation_checkpointing))  # transformers v5 name


@pytest.mark.parametrize("enabled", [False, True])
def test_gradient_checkpointing_parameter_reaches_the_encoder(tmp_path, enabled):
    params = validate({**TINY, "max_steps": 1, "sampler": "multilingual", "gradient_checkpointing": enabled})
    record = RecordCheckpointing()
    result = train(params, run_dir=tmp_path / "run", extra_callbacks=[record])
    assert record.seen == [enabled]
    assert np.isfinite(result.log["loss"]).all()
