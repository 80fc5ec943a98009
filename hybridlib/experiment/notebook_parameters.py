"""Parameters of the notebooks whose parameters are not experiment settings (``08_explore``: a question
and arms to compare; ``09_answers``: the folds to read): each has a dataclass of its own, and this is the
one check of what a parameters cell and papermill added, as :func:`hybridlib.params.from_notebook` is
for the experiment's :class:`~hybridlib.params.Params`."""

from __future__ import annotations

import types
from collections.abc import Iterable, Mapping
from typing import Any

from hybridlib.params import unknown_name_error


def declared_values(
    namespace: Mapping[str, Any], before: Iterable[str], known: Iterable[str]
) -> dict[str, Any]:
    """The names the parameters cell (and papermill) added to ``namespace`` since ``before``, with their
    values; modules, functions and classes a re-run cell defines are not parameters. A name not in
    ``known`` raises :class:`~hybridlib.params.ParameterError` naming it (a typo such as ``-p fold``)."""
    before = set(before)
    values = {
        k: v
        for k, v in namespace.items()
        if k not in before
        and not k.startswith("_")
        and not isinstance(v, types.ModuleType | types.FunctionType | type)
    }
    known = set(known)
    for name in values:
        if name not in known:
            raise unknown_name_error(name, known)
    return values
