"""Training at tiny scale: every piece of the method wired into sentence-transformers' trainer."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from transformers import TrainerCallback

from hybridlib.params import validate
from hybridlib.train.callbacks import TrainingDivergedError, TrainingRecord, training_callbacks
from hybridlib.train.inputs import ALIGN_SET, alignment_pairs, build_datasets, training_pairs
from hybridlib.train.run import last_checkpoint, train

TINY = {
    "batch_size": 4,
    "max_seq_length": 24,
    "max_steps": 4,
    "logging_steps": 1,
    "precision": "fp32",
    "train_languages": ["de", "en", "es"],
}


def weights(model_dir):
    from hybridlib.model.encoder import load_sentence_transformer

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
    from hybridlib.data.tydi import load_tydiqa_goldp

    align = alignment_pairs(validate({"align_weight": 0.5, "align_data": "xor-tydi"}))
    dev = set(load_tydiqa_goldp().questions["text"].str.strip())
    assert not dev & set(align["src"].str.strip())
    assert {"bn", "fi", "ko", "te"} <= set(align["src_lang"])


def test_loss_guard_stops_on_nan_and_explosion():
    record = TrainingRecord()
    guard = training_callbacks(record)[0]

    class State:
        global_step = 3

    guard.on_log(None, State, None, logs={"loss": 1.0})
    with pytest.raises(TrainingDivergedError, match="exploded"):
        guard.on_log(None, State, None, logs={"loss": 50.0})
    assert list(record.log()["loss"]) == [1.0, 50.0]  # recorded before stopping
    with pytest.raises(TrainingDivergedError, match="nan"):
        training_callbacks(TrainingRecord())[0].on_log(None, State, None, logs={"loss": math.nan})


class StopAt(TrainerCallback):
    """Simulates a run killed after ``step`` (after the checkpoint at step 2 was written)."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.step:
            raise KeyboardInterrupt("simulated kill")


def test_killed_run_resumes_to_the_same_weights(tmp_path, tiny_model):
    params = validate({**TINY, "model": tiny_model, "sampler": "hybrid", "checkpoint_every": 2})
    # The uninterrupted run saves no checkpoints: it also shows that checkpointing changes no weight.
    full = train(params.replace(checkpoint_every=0), run_dir=tmp_path / "full")
    assert full.steps == 4
    assert list(full.log["step"]) == [1, 2, 3, 4]

    with pytest.raises(KeyboardInterrupt):
        train(params, run_dir=tmp_path / "killed", extra_callbacks=[StopAt(3)])
    assert (
        last_checkpoint(tmp_path / "killed" / "checkpoints")
        == tmp_path / "killed" / "checkpoints" / "checkpoint-2"
    )
    assert not (tmp_path / "killed" / "model").exists()
    resumed = train(params, run_dir=tmp_path / "killed")
    assert resumed.steps == 4
    # the batch counts survive the restart (stored beside the checkpoint): the summary counts all 4
    summaries = [json.loads((r.run_dir / "summary.json").read_text()) for r in (full, resumed)]
    assert [(x["qa_steps"], x["alignment_steps"]) for x in summaries] == [(4, 0), (4, 0)]

    a, b = weights(full.model_dir), weights(resumed.model_dir)
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_allclose(a[key], b[key], atol=1e-6, err_msg=key)
    np.testing.assert_allclose(full.log["loss"].to_numpy(), resumed.log["loss"].to_numpy(), rtol=1e-5)


def test_hybrid_align_trains_and_saves_a_loadable_model(tmp_path, tiny_model):
    """On the tiny random encoder (``conftest.tiny_model``); the tiny pipeline checks the same of the
    embedded e5 (``tests/experiment/test_notebooks.py``)."""
    from sentence_transformers import SentenceTransformer
    from tiny_models import TINY_LABSE_DIM

    alignment = {"align_weight": 0.5, "align_every": 1}
    params = validate({**TINY, **alignment, "model": tiny_model, "max_steps": 3, "sampler": "hybrid"})
    result = train(params, run_dir=tmp_path / "run")
    model = SentenceTransformer(str(result.model_dir), device="cpu")
    emb = model.encode(["query: wer?", "query: who?"], normalize_embeddings=True)
    assert emb.shape == (2, TINY_LABSE_DIM) and np.isfinite(emb).all()
    summary = (result.run_dir / "summary.json").read_text()
    assert '"arm": "hybrid+align"' in summary
    # Frozen word embeddings stay exactly the base model's.
    base = SentenceTransformer(tiny_model, device="cpu").state_dict()
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
def test_gradient_checkpointing_parameter_reaches_the_encoder(tmp_path, tiny_model, enabled):
    params = validate(
        {
            **TINY,
            "model": tiny_model,
            "max_steps": 1,
            "sampler": "multilingual",
            "gradient_checkpointing": enabled,
        }
    )
    record = RecordCheckpointing()
    result = train(params, run_dir=tmp_path / "run", extra_callbacks=[record])
    assert record.seen == [enabled]
    assert np.isfinite(result.log["loss"]).all()


def test_exact_counts_and_same_qa_batches_over_several_epochs(tmp_path, monkeypatch, tiny_model):
    """hybrid vs hybrid+align over 2+ sampler epochs whose length is no multiple of align_every."""
    import hybridlib.train.trainer as trainer_module
    from hybridlib.sampling.sampler import LanguageBatchSampler

    full_pairs = trainer_module.training_pairs

    def few_questions(params):  # 8 questions: a 4-batch epoch (2 mono + 2 X-Y) at batch size 4
        out = full_pairs(params)
        return {k: t[t["xid"].isin(sorted(t["xid"].unique())[:8])] for k, t in out.items()}

    monkeypatch.setattr(trainer_module, "training_pairs", few_questions)
    seen: list[tuple[str, tuple[int, ...]]] = []

    def recording_iter(self):  # what the sampler hands the trainer, with each batch's kind
        plan = self.epoch_plan(self.epoch)
        for batch, kind in zip(plan.batches.tolist(), plan.kind, strict=True):
            seen.append((str(kind), tuple(batch)))
            yield batch

    monkeypatch.setattr(LanguageBatchSampler, "__iter__", recording_iter)

    # 13 steps = 2.6 epochs of 5 (4 QA + 1 alignment): a per-epoch schedule would run 11 QA + 2 alignment
    M, k = 10, 3
    base = {
        **TINY,
        "model": tiny_model,
        "max_steps": M,
        "sampler": "hybrid",
        "align_every": k,
        "max_seq_length": 16,
    }
    runs = {}
    for arm, weight in (("hybrid", 0.0), ("hybrid+align", 0.5)):
        seen.clear()
        params = validate({**base, "align_weight": weight, "align_data": "train-questions"})
        result = train(params, run_dir=tmp_path / arm)
        summary = json.loads((result.run_dir / "summary.json").read_text())
        runs[arm] = (list(seen[: result.steps]), summary, result.log)  # the trainer fetches one ahead

    qa_plain, summary, log = runs["hybrid"]
    assert summary["batches_per_epoch"] == 4 and M >= 2 * 4  # the run crosses epoch boundaries
    assert summary["steps"] == summary["qa_steps"] == M and summary["alignment_steps"] == 0
    assert {kind for kind, _ in qa_plain} == {"mono", "cross"}
    assert log["align_loss"].isna().all()
    np.testing.assert_allclose(log["qa_loss"], log["loss"], rtol=1e-5)

    consumed, summary, log = runs["hybrid+align"]
    assert summary["batches_per_epoch"] == 5 and len(consumed) > 2 * 5
    kinds = np.array([kind for kind, _ in consumed])
    assert (kinds == "aux").sum() == M // k == summary["alignment_steps"]
    assert (kinds != "aux").sum() == M == summary["qa_steps"]
    assert summary["steps"] == M + M // k
    assert [b for kind, b in consumed if kind != "aux"] == [b for _, b in qa_plain]  # identical QA batches
    # one alignment batch after every k QA batches, and the log separates the two losses
    is_align = np.arange(1, len(consumed) + 1) % (k + 1) == 0
    assert ((kinds == "aux") == is_align).all()
    assert list(log["step"]) == list(range(1, M + M // k + 1))
    assert (log["align_loss"].notna().to_numpy() == is_align).all()
    assert (log["qa_loss"].notna().to_numpy() == ~is_align).all()
    np.testing.assert_allclose(log["loss"], log["qa_loss"].fillna(log["align_loss"]), rtol=1e-5)
    written = pd.read_csv(result.run_dir / "train_log.csv")
    assert {"loss", "qa_loss", "align_loss"} <= set(written.columns)


def test_resume_record_keeps_the_curve_and_counts_up_to_the_checkpoint(tmp_path):
    log_path = tmp_path / "train_log.csv"
    record = TrainingRecord(log_path)
    for step in (1, 2, 3):
        record.add(step, float(step), 1e-5)
    checkpoint = tmp_path / "checkpoints" / "checkpoint-2"
    checkpoint.mkdir(parents=True)
    (tmp_path / "checkpoints" / "checkpoint-10-tmp").mkdir()  # not a checkpoint name: ignored
    (checkpoint / "batch_counts.json").write_text('{"qa_batches": 2, "align_batches": 1}')
    assert last_checkpoint(tmp_path / "checkpoints") == checkpoint
    assert last_checkpoint(tmp_path / "missing") is None

    resumed = TrainingRecord(log_path)
    resumed.resume_from(checkpoint)
    assert list(resumed.log()["step"]) == [1, 2]
    assert resumed.counts() == {"qa_batches": 2, "align_batches": 1}
