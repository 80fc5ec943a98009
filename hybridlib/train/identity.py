"""A trained model's identity and folder: every parameter, module, data file and base model it depends on.

:func:`training_identity` is written to ``identity.json`` beside the model; the training folder's name
(:func:`train_dir`) ends with its digest, so a changed learning rate, a changed sampler module or a
changed data file trains a new model instead of reusing an old one. The code part hashes
:data:`TRAINING_ENTRY` and every ``hybridlib`` module it can import (:mod:`hybridlib.fingerprint`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hybridlib.config import MODEL_DIR, portable_path, run_root
from hybridlib.data.loaders import alignment_source
from hybridlib.fingerprint import code_fingerprint, data_fingerprint, digest, model_fingerprint
from hybridlib.params import Params, arm_settings, run_name, same_training
from hybridlib.train.processes import world_size


def train_dir(params: Params) -> Path:
    """Folder of the training run these parameters describe: a readable name, then the digest of the
    training identity (every parameter, module, data file and base model the model depends on)."""
    canonical = same_training(params)
    return run_root(params) / "train" / f"{run_name(canonical)}-{training_digest(canonical)}"


def arm_model_path(params: Params, arm: str) -> str:
    """Model to evaluate for ``arm``: the base model for zero-shot, else that arm's trained model,
    relative to the run folder (``train/<name>/model``; :func:`hybridlib.config.portable_path`) so that
    the stage parameters and result files that record it stay valid when the run folder or the
    checkout moves. :func:`hybridlib.config.local_path` gives the folder on this machine."""
    if arm == "zero-shot":
        return params.model
    return portable_path(train_dir(arm_settings(params, arm)) / MODEL_DIR, run_root(params))


#: The module that runs training: the code part of the identity is its import closure.
TRAINING_ENTRY = "hybridlib.train.run"

#: Parameters that cannot change a trained model: where things go, how the run is logged and
#: checkpointed (a resumed run ends with the same weights, tested), evaluation and pipeline settings.
#: Every other field of ``Params`` is part of the training identity, so a new parameter counts by
#: default. ``align_arm_weight`` reaches training only through ``align_weight`` (``arm_settings``).
NOT_TRAINING = frozenset(
    {
        "run_dir",
        "figures_dir",
        "data_dir",  # the folder's *content* is fingerprinted instead
        "threads",
        "checkpoint_every",
        "logging_steps",
        "eval_max_seq_length",
        "arm",
        "model_path",
        "eval_max_paragraphs",
        "tydi_max_questions",
        "index",
        "arms",
        "permutations",
        "smallest_effect_map",
        "smallest_effect_rank_distance",
        "alphas",
        "seeds",
        "align_arm_weight",
    }
)


_ALIGNMENT_ONLY = ("align_data", "align_languages", "align_every")
#: Settings of several processes: they cannot change a single-process run.
_MULTI_PROCESS_ONLY = ("global_batch", "gather_across_devices")


def training_parameters(params: Params) -> dict[str, Any]:
    """The parameters that decide a trained model, in a canonical form: hybrid at α = 0 or 1 as the
    sampler it equals (:func:`hybridlib.params.same_training`), alignment settings only when λ > 0,
    α only for the hybrid sampler, the precision resolved for this machine (``auto`` means
    different things on different CPUs), and the number of processes with their settings only when
    there are several (a model trained by N processes is another model)."""
    from hybridlib.model.encoder import resolve_precision

    params = same_training(params)
    values = {k: v for k, v in params.to_dict().items() if k not in NOT_TRAINING}
    if params.align_weight <= 0:
        for key in _ALIGNMENT_ONLY:
            values.pop(key)
    if params.align_weight <= 0 or params.align_data != "ntrex":
        # The probe's held-out lines are cut from NTREX-128 only: they change no other run.
        values.pop("probe_sentences")
    if world_size() == 1:
        for key in _MULTI_PROCESS_ONLY:
            values.pop(key)
    else:
        values["world_size"] = world_size()
    if params.sampler != "hybrid":
        values.pop("alpha")
    values["precision"] = resolve_precision(params.precision, _training_device())
    return values


def _training_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def training_datasets(params: Params) -> list[str]:
    """Dataset folders training reads: the QA sets, the alignment source when λ > 0, and then the
    evaluation sets too (alignment pairs equal to an evaluation question are removed)."""
    names = list(params.train_sets)
    if params.align_weight > 0:
        source = alignment_source(params.align_data)
        names += [source] if source is not None else []
        names += params.eval_sets
        if params.align_data == "xor-tydi":
            names.append("tydiqa-goldp")
    return names


def training_identity(params: Params) -> dict[str, Any]:
    """Everything a trained model depends on (written to ``identity.json`` beside it)."""
    return {
        "parameters": training_parameters(params),
        "code": code_fingerprint(TRAINING_ENTRY),
        "data": data_fingerprint(training_datasets(params), params.data_dir),
        "model": model_fingerprint(params.model),
    }


def training_digest(params: Params) -> str:
    """Short hash of :func:`training_identity`: the suffix of the training folder's name."""
    return digest(training_identity(params))
