"""The sampler's parameters, validated once: :class:`SamplerConfig`.

Both ways of building a sampler go through here: :class:`hybridlib.sampling.sampler.LanguageBatchSampler`
builds a :class:`SamplerConfig` from its keyword arguments, and the sentence-transformers factory
:func:`hybridlib.sampling.sampler.make_st_batch_sampler` checks the fields it already knows with
:func:`check_fields` (its ``batch_size`` and ``seed`` may come from the trainer, so they are checked when
the trainer builds the sampler). Each rule is written once, in :data:`_RULES`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hybridlib.params import SAMPLERS

#: ``"mixed"``: an X-Y batch mixes language pairs; ``"pair"``: one (q_lang, p_lang) pair per batch.
CROSS_GROUPINGS = ("mixed", "pair")


def _is_count(value: Any, minimum: int) -> bool:
    return isinstance(value, int | np.integer) and value >= minimum


# field -> (is the value valid, message when not); checked in this order.
_RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "sampler": (lambda v: v in SAMPLERS, "unknown sampler {v!r}; valid names: " + ", ".join(SAMPLERS)),
    "alpha": (
        lambda v: isinstance(v, int | float) and 0.0 <= float(v) <= 1.0,
        "alpha must be in [0, 1], got {v!r}",
    ),
    "cross_grouping": (
        lambda v: v in CROSS_GROUPINGS,
        "cross_grouping must be one of " + str(CROSS_GROUPINGS) + ", got {v!r}",
    ),
    "batch_size": (lambda v: _is_count(v, 1), "batch_size must be a positive int, got {v!r}"),
    "seed": (lambda v: _is_count(v, 0), "seed must be a non-negative int, got {v!r}"),
    "aux_every": (
        lambda v: _is_count(v, 0),
        "aux_every must be a non-negative int (0 = never), got {v!r}",
    ),
}


def check_fields(**fields: Any) -> None:
    """Raise ``ValueError`` for the first invalid field given (``None`` = not known yet, skipped)."""
    for name, (valid, message) in _RULES.items():
        value = fields.get(name)
        if value is not None and not valid(value):
            raise ValueError(message.format(v=value))
    if fields.get("aux_every") and fields.get("aux_dataset") is None:
        raise ValueError("aux_every > 0 needs aux_dataset (index or name of the parallel dataset)")


@dataclass(frozen=True)
class SamplerConfig:
    """What a :class:`~hybridlib.sampling.sampler.LanguageBatchSampler` draws, independent of the data.

    ``sampler``: one of :data:`hybridlib.params.SAMPLERS`; ``batch_size``: rows per batch (every batch is
    full); ``alpha``: the mono share of ``hybrid`` batches; ``seed``: the root of every random draw;
    ``cross_grouping``: one of :data:`CROSS_GROUPINGS`; ``aux_dataset``: the auxiliary (alignment)
    dataset, an index or name, kept out of the QA schedule; ``aux_every``: one auxiliary batch after
    every ``aux_every`` QA batches (0 = never).
    """

    sampler: str
    batch_size: int
    alpha: float = 0.5
    seed: int = 0
    aux_dataset: int | str | None = None
    aux_every: int = 0
    cross_grouping: str = "mixed"

    def __post_init__(self) -> None:
        check_fields(
            sampler=self.sampler,
            alpha=self.alpha,
            cross_grouping=self.cross_grouping,
            batch_size=self.batch_size,
            seed=self.seed,
            aux_every=self.aux_every,
            aux_dataset=self.aux_dataset,
        )
        for name, cast in (("batch_size", int), ("alpha", float), ("seed", int), ("aux_every", int)):
            object.__setattr__(self, name, cast(getattr(self, name)))

    def aux_index(self, names: Sequence[str]) -> int | None:
        """``aux_dataset`` as an index into the datasets called ``names`` (``None``: no aux dataset)."""
        aux = self.aux_dataset
        if aux is None:
            return None
        if isinstance(aux, str):
            if aux not in names:
                raise ValueError(f"aux_dataset {aux!r} is not one of the datasets {list(names)}")
            return list(names).index(aux)
        if not 0 <= int(aux) < len(names):
            raise ValueError(f"aux_dataset index {aux} out of range for {len(names)} datasets")
        return int(aux)
