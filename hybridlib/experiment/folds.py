"""The conclusive experiment (``make full``): two folds, each a seeds sweep, read together.

* **Fold 1** (``params/full.yaml``): fine-tune on MLQA-R, evaluate zero-shot on TyDi QA GoldP and the
  whole XQuAD-R pool. Every research comparison over seeds comes from it.
* **Fold 2** (``params/full-fold2.yaml``): fine-tune on XQuAD-R, evaluate on the whole MLQA-R pool
  (the two share no Wikipedia article title), so that each arm fills Table 1's MLQA-R columns from a
  model that never saw MLQA-R.

:func:`write_tables` writes, into fold 1's figures folder, Table 1 over both folds
(:func:`hybridlib.analysis.seeds.lareqa_over_folds`) and the wall time of every seed run
(:func:`seed_times`); :func:`results_markdown` is the README section that leads the results once fold 1
has seed results. Each fold's own seed tables and answers are written by ``sweep seeds``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hybridlib.analysis.seeds import lareqa_over_folds
from hybridlib.config import REPO_ROOT, figures_dir, run_root, seed_params
from hybridlib.evaluation.results import precision_sentence
from hybridlib.experiment.run_records import keep_complete_run, last_complete_run
from hybridlib.params import Params, load_yaml

#: The folds' parameter files, fold 1 first (its figures folder holds the tables over folds).
FOLD_FILES = ("params/full.yaml", "params/full-fold2.yaml")
#: The long table of a seeds sweep (``sweep seeds``), in the fold's run folder.
SEEDS_LONG = "seeds_long.csv"


def fold_params() -> list[Params]:
    """The parameters of each fold, in :data:`FOLD_FILES` order."""
    return [load_yaml(REPO_ROOT / name) for name in FOLD_FILES]


def fold_long(params: Params) -> pd.DataFrame | None:
    """A fold's seeds long table (``arm, seed, metric, value``), or None before its first sweep."""
    path = run_root(params) / SEEDS_LONG
    return pd.read_csv(path) if path.is_file() else None


def fold_name(params: Params) -> str:
    """``"mlqa-r → xquad-r, tydiqa-goldp"``: what a fold trains on and what it evaluates."""
    return f"{'+'.join(params.train_sets)} → {', '.join(params.eval_sets)}"


def seed_times(folds: list[Params]) -> pd.DataFrame:
    """One row per seed run of each fold that ran whole at least once: its wall time, the stages run at a
    time, when it finished and on which machine
    (:func:`hybridlib.experiment.run_records.last_complete_run`)."""
    rows = []
    for params in folds:
        long = fold_long(params)
        for seed in sorted(set(long["seed"])) if long is not None else []:
            report = last_complete_run(seed_params(params, int(seed)))
            if report is None:
                continue
            rows.append(
                {
                    "fold": fold_name(params),
                    "seed": int(seed),
                    "wall time (min)": round(report["wall_seconds"] / 60, 1),
                    "stages at a time": report.get("jobs", 1),
                    "finished": report["finished"],
                    "machine": report["machine"],
                }
            )
    return pd.DataFrame(
        rows, columns=["fold", "seed", "wall time (min)", "stages at a time", "finished", "machine"]
    )


def write_tables(folds: list[Params] | None = None) -> list[Path]:
    """Table 1 over the folds and the seed runs' wall times, into fold 1's figures folder (markdown and
    CSV), and each seed run's ``complete_run.json`` (committed with the tables); nothing before fold 1
    has seed results."""
    from hybridlib.analysis.tables import write_table

    folds = folds if folds is not None else fold_params()
    longs = {fold_name(p): long for p in folds if (long := fold_long(p)) is not None}
    if fold_name(folds[0]) not in longs:
        return []
    for p in folds:  # a run made before complete_run.json: keep its whole run's record (it is committed)
        long = longs.get(fold_name(p))
        for seed in sorted(set(long["seed"])) if long is not None else []:
            keep_complete_run(run_root(seed_params(p, int(seed))))
    figs = figures_dir(folds[0])
    written = [*write_table(lareqa_over_folds(list(longs.values()), folds[0].arms), figs / "table1_folds")]
    written += write_table(seed_times(folds), figs / "table_seed_times", floatfmt=".1f")
    return written


def results_markdown(*, base: Path = REPO_ROOT, folds: list[Params] | None = None) -> str | None:
    """The README section of the conclusive experiment, from the files :func:`write_tables` and each
    fold's ``sweep seeds`` wrote; None until fold 1 has seed answers."""
    folds = folds if folds is not None else fold_params()
    first = figures_dir(folds[0])
    if not (first / "answers_seeds.md").is_file():
        return None
    done = {fold_name(p): sorted(set(long["seed"])) for p in folds if (long := fold_long(p)) is not None}
    parts = [
        "### Conclusive experiment (`make full`)",
        "",
        "Whole evaluation pools, the pilot's training budget, several seeds. "
        + "; ".join(f"fold {fold_name(p)}: seeds {done.get(fold_name(p), 'not run yet')}" for p in folds)
        + ". "
        + " ".join(f"Seed 0 of fold {fold_name(p)}: {precision_sentence(p)}" for p in folds)
        + " The paper's Table 1 numbers are not shown beside ours: no issue states them and they are not "
        "typed from memory (they come from other models, data and scale in any case).",
        "",
    ]
    sections = [
        (f"Answers over seeds, fold {fold_name(folds[0])}", first / "answers_seeds.md"),
        ("Table 1 · mAP over seeds, each column from the fold that never saw it", first / "table1_folds.md"),
        (f"Every arm over seeds, fold {fold_name(folds[0])}", first / "table_seeds.md"),
    ]
    for p in folds[1:]:
        sections += [
            (f"Answers over seeds, fold {fold_name(p)}", figures_dir(p) / "answers_seeds.md"),
            (f"Every arm over seeds, fold {fold_name(p)}", figures_dir(p) / "table_seeds.md"),
        ]
    sections.append(
        ("Wall time of each seed run (whole pipeline, last complete run)", first / "table_seed_times.md")
    )
    for title, path in sections:
        if path.is_file():
            parts += [f"#### {title}", "", path.read_text().strip(), ""]
    rel = first.relative_to(base) if first.is_relative_to(base) else first
    parts.append(f"Every figure of fold 1's seed 0 is in `{rel}/`.")
    return "\n".join(parts)
