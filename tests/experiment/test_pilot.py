"""The validation pilot (``hybridlib.experiment.pilot``) at tiny scale: what it probes and that probing
leaves training as it is."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybridlib.params import load_yaml

REPO_TINY = "params/tiny.yaml"


def test_pilot_probes_the_model_being_trained_without_changing_it(tmp_path, data_root, tiny_model):
    """On the tiny random encoder (``conftest.tiny_model``): what the probes record and that they leave
    the weights bit-identical depend on the pilot's wiring, not on the model's size."""
    from safetensors.numpy import load_file

    from hybridlib.config import REPO_ROOT
    from hybridlib.experiment.pilot import probe, run_pilot, validation_batches, validation_sets
    from hybridlib.model.encoder import load_encoder
    from hybridlib.params import arm_settings
    from hybridlib.train.run import train

    params = load_yaml(
        REPO_ROOT / REPO_TINY,
        run_dir=str(tmp_path / "run"),
        figures_dir=str(tmp_path / "fig"),
        model=tiny_model,
        max_seq_length=16,
        eval_max_seq_length=16,  # the probes encode at the evaluation length: short and quick
        validation_fraction=0.01,  # ~12 question groups: a small probe
    )
    table = run_pilot(params, arms=["hybrid"], batch_size=4, max_steps=2, every=1)
    assert table["step"].tolist() == [0, 1, 2]
    assert np.isfinite(table["val_loss"]).all()
    assert table[["mlqa-r val mo mAP", "mlqa-r val mul mAP"]].stack().between(0, 1).all()
    assert pd.read_csv(tmp_path / "fig" / "pilot_validation.csv").shape == table.shape
    assert (tmp_path / "fig" / "pilot_validation.png").stat().st_size > 0

    # step 0 is the base model: the same numbers as probing it directly
    p = arm_settings(params, "hybrid").replace(batch_size=4, max_steps=2)
    vsets = validation_sets(p)
    base = probe(
        load_encoder(p.model, precision=p.precision, max_seq_length=p.eval_max_seq_length),
        validation_batches(p, vsets),
        vsets,
        p.temperature,
    )
    assert base["val_loss"] == pytest.approx(table["val_loss"].iloc[0], rel=1e-5)
    # probing consumed nothing training uses: the same weights as a run without probes
    plain = train(p, run_dir=tmp_path / "plain", reuse=False)
    probed = load_file(str(tmp_path / "run" / "pilot" / "hybrid" / "model" / "model.safetensors"))
    unprobed = load_file(str(plain.model_dir / "model.safetensors"))
    assert probed.keys() == unprobed.keys()
    assert all(np.array_equal(probed[k], unprobed[k]) for k in probed)


def test_pilot_table_names_each_arms_lowest_validation_loss():
    from hybridlib.experiment.pilot import pilot_markdown

    table = pd.DataFrame(
        {
            "arm": ["hybrid"] * 3 + ["multilingual"] * 3,
            "step": [0, 25, 50] * 2,
            "val_loss": [0.9, 0.5, 0.6, 0.9, 0.7, 0.4],
            "mlqa-r val mo mAP": [0.6, 0.7, 0.7, 0.6, 0.65, 0.7],
            "mlqa-r val mul mAP": [0.3, 0.4, 0.4, 0.3, 0.35, 0.4],
        }
    )
    text = pilot_markdown(table, batch_size=32)
    assert "hybrid: step 25 (loss 0.5000); multilingual: step 50 (loss 0.4000)" in text
    assert "at batch 32" in text and "probed every 25 steps" in text
    assert "hybrid val_loss" in text and "multilingual mlqa-r val mul mAP" in text
