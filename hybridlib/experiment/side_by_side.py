"""One training setting against another on the same seeds: do the research answers change?

The CPU profiles train at batch 16 (default) or 32 (``full``): in-batch InfoNCE then has 15 or 31
negatives per question, where the paper trains at batch 100. GradCache (``cached_loss_mini_batch``,
``CachedMultipleNegativesRankingLoss``) gives a larger batch's gradients in a small batch's memory (tested
in ``tests/train/test_losses.py``), at the price of a second forward pass. ``params/gradcache-b64.yaml``
trains the research question's arms at batch 64 through GradCache on the default run's data and pools;
``make gradcache`` runs its seeds, then ``python -m hybridlib.sweep side-by-side`` sets its comparisons
over seeds beside the default run's, on the seeds both have (:func:`write_tables`), and the README shows
them (:func:`results_markdown`).

This module reads and writes files only; the comparisons themselves are computed by ``sweep``
(:func:`hybridlib.analysis.answers.seed_comparisons`), so that the README report can import it.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pandas as pd

from hybridlib.analysis.answers import side_by_side, side_by_side_summary
from hybridlib.config import REPO_ROOT, figures_dir
from hybridlib.io import write_text
from hybridlib.params import Params, load_yaml
from hybridlib.train.identity import NOT_TRAINING

#: The settings compared, the reference first; the tables go to the last one's figures folder.
SETTINGS_FILES = ("params/default.yaml", "params/gradcache-b64.yaml")
TABLE_STEM = "table_side_by_side"
SUMMARY_FILE = "answers_side_by_side.md"


def setting_params() -> list[Params]:
    """The parameters of each setting, in :data:`SETTINGS_FILES` order."""
    return [load_yaml(REPO_ROOT / name) for name in SETTINGS_FILES]


def setting_label(params: Params, others: list[Params]) -> str:
    """What sets ``params`` apart from ``others``: its training parameters whose value differs in any of
    them, as ``key=value`` (``batch_size=64, cached_loss_mini_batch=16``)."""
    differing = [
        f.name
        for f in fields(Params)
        if f.name not in NOT_TRAINING and any(getattr(o, f.name) != getattr(params, f.name) for o in others)
    ]
    return ", ".join(f"{name}={getattr(params, name)}" for name in differing) or "the same training"


def write_tables(comparisons: dict[str, pd.DataFrame], figures: Path) -> list[Path]:
    """``table_side_by_side.{csv,md}`` and ``answers_side_by_side.md`` into ``figures`` from each
    setting's comparisons over seeds (``{label: seed_comparisons table}``, the reference first)."""
    from hybridlib.analysis.tables import write_table

    table = side_by_side(comparisons)
    written = [*write_table(table, figures / TABLE_STEM)]
    written.append(write_text(figures / SUMMARY_FILE, side_by_side_summary(table, list(comparisons))))
    return written


def results_markdown() -> str | None:
    """The README section of the side-by-side check, from the files :func:`write_tables` wrote; None
    before it ran."""
    figures = figures_dir(setting_params()[-1])
    summary, table = figures / SUMMARY_FILE, figures / f"{TABLE_STEM}.md"
    if not summary.is_file():
        return None
    return "\n".join(
        [
            f"### Does a larger batch change the answers? (`make gradcache`: {' vs '.join(SETTINGS_FILES)})",
            "",
            "The research comparisons over the same seeds, trained at the default batch and at a larger "
            "batch through GradCache (only the research question's arms are trained at the larger batch; "
            "see `hybridlib/experiment/side_by_side.py`).",
            "",
            summary.read_text().strip(),
            "",
            table.read_text().strip(),
            "",
        ]
    )
