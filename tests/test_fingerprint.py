"""What makes a result stale: code, data, model and training-parameter fingerprints."""

from __future__ import annotations

import dataclasses

import pytest

from hybridlib import fingerprint
from hybridlib.fingerprint import code_closure, code_fingerprint, data_fingerprint
from hybridlib.params import Params, arm_settings
from hybridlib.train.identity import NOT_TRAINING, training_digest, training_parameters


@pytest.fixture
def toy_package(tmp_path, monkeypatch):
    """A stand-in ``hybridlib`` package: ``a`` imports ``b`` inside a function, ``b`` imports ``c``."""
    pkg = tmp_path / "hybridlib"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from hybridlib.b import g\n    return g()\n")
    (pkg / "b.py").write_text("import hybridlib.c\n\ndef g():\n    return 1\n")
    (pkg / "c.py").write_text("X = 1\n")
    (pkg / "unrelated.py").write_text("Y = 2\n")
    monkeypatch.setattr(fingerprint, "_PACKAGE_DIR", pkg)
    return pkg


def test_closure_follows_function_local_imports(toy_package, tmp_path):
    assert code_closure("hybridlib.a") == ["hybridlib", "hybridlib.a", "hybridlib.b", "hybridlib.c"]
    notebook = tmp_path / "nb.py"
    notebook.write_text("from hybridlib import b\nimport numpy\n")
    assert code_closure(notebook) == ["hybridlib", "hybridlib.b", "hybridlib.c"]


def test_code_fingerprint_changes_with_any_module_of_the_closure_only(toy_package):
    before = code_fingerprint("hybridlib.a")
    (toy_package / "unrelated.py").write_text("Y = 3\n")
    assert code_fingerprint("hybridlib.a") == before
    (toy_package / "c.py").write_text("X = 2\n")
    after = code_fingerprint("hybridlib.a")
    assert after != before and after["hybridlib.a"] == before["hybridlib.a"]


def test_real_training_closure_holds_the_sampler_and_losses_but_not_the_statistics():
    closure = code_closure("hybridlib.train.run")
    assert {
        "hybridlib.sampling.sampler",
        "hybridlib.train.losses",
        "hybridlib.pairs",
        "hybridlib.model.encoder",
    } <= set(closure)
    assert "hybridlib.analysis.stats" not in closure and "hybridlib.analysis.tables" not in closure


def test_data_fingerprint_follows_file_contents(tmp_path):
    folder = tmp_path / "toy-set"
    folder.mkdir()
    (folder / "en.json").write_text('{"data": []}')
    before = data_fingerprint(["toy-set"], str(tmp_path))
    assert before["toy-set"] is not None
    (folder / "en.json").write_text('{"data": [1]}')
    assert data_fingerprint(["toy-set"], str(tmp_path)) != before
    assert data_fingerprint(["missing-set"], str(tmp_path)) == {"missing-set": None}


def _changed(value):
    """A different valid value of the same type."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value * 0.5 + 0.01
    if value is None:
        return ["en"]
    if isinstance(value, list):
        return [*value, "xquad-r"] if value and isinstance(value[0], str) else [*value, 1]
    return value


def test_every_training_parameter_changes_the_training_folder(data_root, monkeypatch):
    """Learning rate, temperature, sequence length, warm-up, frozen embeddings, training languages,
    align_every... — every field not declared evaluation-only is part of the identity (the
    multi-process settings under several processes: see the next test)."""
    monkeypatch.setenv("WORLD_SIZE", "2")
    base = arm_settings(Params(), "hybrid+align")
    ref = training_digest(base)
    special = {
        "model": "a-different/model",
        "precision": "fp32" if training_parameters(base)["precision"] == "bf16" else "bf16",
        "sampler": "monolingual",
        "align_data": "tatoeba",
        "train_sets": ["xquad-r"],
        "eval_sets": ["tydiqa-goldp"],
        "align_languages": ["bn", "fi"],
        "global_batch": "split",
    }
    for f in dataclasses.fields(Params):
        if f.name in NOT_TRAINING or f.name == "probe_sentences":
            continue
        value = special.get(f.name, _changed(getattr(base, f.name)))
        changed = dataclasses.replace(base, **{f.name: value})
        assert training_digest(changed) != ref, f.name
    # The probe's held-out NTREX lines are cut from NTREX's training text only.
    assert training_digest(dataclasses.replace(base, probe_sentences=100)) == ref
    ntrex = dataclasses.replace(base, align_data="ntrex")
    assert training_digest(dataclasses.replace(ntrex, probe_sentences=100)) != training_digest(ntrex)
    for name in NOT_TRAINING - {"data_dir", "align_arm_weight"}:
        value = getattr(base, name)
        changed = dataclasses.replace(base, **{name: _changed(value) if value is not None else 3})
        assert training_digest(changed) == ref, name


def test_multi_process_settings_name_another_model_only_under_several_processes(data_root, monkeypatch):
    """One process: ``global_batch`` / ``gather_across_devices`` change nothing, so the identity (and the
    folder the pipeline evaluates) is the one it was before they existed; N processes: N is part of it."""
    base = arm_settings(Params(), "hybrid")
    split = dataclasses.replace(base, global_batch="split", gather_across_devices=True)
    alone = training_digest(base)
    assert training_digest(split) == alone
    assert "world_size" not in training_parameters(base)
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert training_parameters(base)["world_size"] == 2
    assert len({alone, training_digest(base), training_digest(split)}) == 3


def test_settings_that_a_sampler_ignores_do_not_split_its_models(data_root):
    mono = arm_settings(Params(), "monolingual")
    assert training_digest(mono) == training_digest(dataclasses.replace(mono, alpha=0.9))
    assert training_digest(mono) == training_digest(dataclasses.replace(mono, align_every=7))
    hybrid = arm_settings(Params(), "hybrid")
    assert training_digest(hybrid) != training_digest(dataclasses.replace(hybrid, alpha=0.9))
