"""Evidence beyond one run: the α sweep and repeated seeds.

* **α sweep** (``notebooks/07_alpha_sweep``, ``make alpha-sweep``): train ``hybrid`` with each α in
  ``params.alphas`` (0 = X-Y batches only, 1 = X-X-mono only) and each seed in ``params.seeds``,
  evaluate every model, and tabulate Mo./Cr./Mul. mAP, rank distance and TyDi mAP against α.
* **Seeds** (``make seeds``, ``python -m hybridlib.sweep seeds``): the whole pipeline once per seed,
  then mean ± std per arm and metric. The main run (``make run``) *is* the run of its own seed; every
  other seed lives beside it in ``<run_dir>/seed<N>`` (see :func:`hybridlib.config.seed_params`). The
  research comparisons over seeds (:func:`hybridlib.analysis.answers.seed_comparisons`) are one estimate per
  comparison: the mean difference with its interval over seeds and question clusters
  (:mod:`hybridlib.analysis.intervals`, from every seed run's per-query arrays, :func:`seed_vectors`),
  Holm-adjusted within its family. An arm evaluated with the same model in
  every seed (zero-shot) is shown once, "(one model)", not as a spread of 0 over n seeds.

Trained models are found through their training identity (``hybridlib.train.identity.train_dir``; a finished
run of the same identity is reused by ``hybridlib.train.run.train``), the one mechanism for the pipeline,
the seeds and the α sweep. The sweep's ``hybrid`` at the main α is the seed run's ``hybrid`` model, and
at α = 1 / α = 0 it is the seed run's ``monolingual`` / ``crosslingual`` model (the same batches,
:func:`hybridlib.params.same_training`); their result files are read when they were written for that
model with the same evaluation settings (:func:`reusable_results`). Run ``make seeds`` first to train
each such model once.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hybridlib.analysis.seeds import seed_long, seeds_table, summary_metrics
from hybridlib.config import local_path, run_root, seed_params  # seed_params: where a seed's run lives
from hybridlib.evaluation.results import collect_results, load_result, result_path
from hybridlib.evaluation.run import evaluate_model
from hybridlib.lock import FolderBusy, FolderNotWritable, writer_lock
from hybridlib.params import Params, arm_settings, load_yaml, parse_overrides

# What decides an evaluation's numbers besides the model (see hybridlib.evaluation.run.evaluate_model).
EVALUATION_FIELDS = (
    "eval_sets",
    "eval_max_paragraphs",
    "tydi_max_questions",
    "eval_max_seq_length",
    "precision",
)


def same_evaluation(paths: dict[str, Path], params: Params, model_dir: Path) -> bool:
    """Whether every result file exists and was written for the model in ``model_dir`` with the
    evaluation settings of ``params`` (so reusing it cannot mix models or evaluation pools)."""
    for path in paths.values():
        if not path.is_file():
            return False
        written = load_result(path).get("parameters", {})
        # recorded relative to the run folder (hybridlib.config.portable_path): found where it lies now
        recorded = local_path(str(written.get("model_path")), run_root(params))
        if Path(recorded).resolve() != Path(model_dir).resolve():
            return False
        if any(written.get(f) != getattr(params, f) for f in EVALUATION_FIELDS):
            return False
    return True


def reusable_results(params: Params, model_dir: Path, arms: Sequence[str]) -> dict[str, Path] | None:
    """Result files of the first of ``arms`` (in the run folder of ``params``) that were written for
    the model in ``model_dir`` with the evaluation settings of ``params``; None if there are none.
    The α sweep's models at the main α and at α = 0 / 1 are the seed run's own ``hybrid``,
    ``crosslingual`` and ``monolingual`` models (same training identity), so their results are
    read, not recomputed."""
    for arm in arms:
        paths = {ds: result_path(params, arm, ds) for ds in params.eval_sets}
        if same_evaluation(paths, params, model_dir):
            return paths
    return None


def alpha_arm(alpha: float) -> str:
    return f"hybrid-a{alpha:g}"


def alpha_sweep(params: Params, *, alphas: Sequence[float], seeds: Sequence[int]) -> pd.DataFrame:
    """Train and evaluate hybrid for every (α, seed); long table ``alpha, seed, metric, value``.

    Each seed's run folder is held for writing (:mod:`hybridlib.lock`) while its α are trained and
    evaluated: the sweep writes result files there."""
    rows = []
    for seed in seeds:
        with writer_lock(run_root(seed_params(params, seed)), "run folder"):
            rows += _alpha_rows(params, alphas, seed)
    return pd.DataFrame(rows)


def _alpha_rows(params: Params, alphas: Sequence[float], seed: int) -> list[dict[str, Any]]:
    from hybridlib.train.run import train

    rows = []
    for alpha in alphas:
        p = arm_settings(seed_params(params, seed), "hybrid").replace(alpha=float(alpha))
        model_dir = train(p).model_dir  # a finished run of the same identity is reused as it is
        arm = f"{alpha_arm(alpha)}-seed{seed}"
        paths = reusable_results(p, model_dir, [*p.arms, arm])
        if paths is None:
            paths = evaluate_model(p, arm=arm, model_path=str(model_dir))
        metrics = summary_metrics({ds: load_result(path) for ds, path in paths.items()})
        rows += [
            {"alpha": float(alpha), "seed": int(seed), "metric": m, "value": v} for m, v in metrics.items()
        ]
    return rows


def seed_runs(
    params_file: str | Path, seeds: Sequence[int], *, jobs: int = 1, **overrides: Any
) -> pd.DataFrame:
    """Run the whole pipeline once per seed (in the folders of :func:`seed_params`; ``jobs`` stages at
    a time) and collect every arm's headline numbers: long table ``arm, seed, metric, value``."""
    from hybridlib.experiment.pipeline import run

    base = load_yaml(params_file, **overrides)
    frames = []
    for seed in seeds:
        p = seed_params(base, seed)
        run(p, jobs=jobs)
        frames.append(seed_long(collect_results(p), seed))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def seed_significance(params: Params, seeds: Sequence[int]) -> dict[int, pd.DataFrame]:
    """Each seed run's paired significance table (``table_significance_all.csv`` of ``06_compare``)."""
    from hybridlib.config import figures_dir

    out = {}
    for seed in seeds:
        path = figures_dir(seed_params(params, seed)) / "table_significance_all.csv"
        if path.is_file():
            out[int(seed)] = pd.read_csv(path)
    return out


def seed_vectors(params: Params, seeds: Sequence[int]) -> dict[int, Any]:
    """Each seed run's per-query vectors ``{seed: {dataset: {arm: vectors}}}`` (with cluster ids; see
    :func:`hybridlib.analysis.tables.per_query_vectors`), read from the result files of every arm present."""
    from hybridlib.analysis.tables import per_query_vectors

    out = {}
    for seed in seeds:
        p = seed_params(params, seed)
        paths = {
            arm: {ds: result_path(p, arm, ds) for ds in by_ds} for arm, by_ds in collect_results(p).items()
        }
        if paths:
            out[int(seed)] = per_query_vectors(paths)
    return out


def long_from_files(params: Params, seeds: Sequence[int]) -> pd.DataFrame:
    """The long table ``arm, seed, metric, value`` of the seed runs of ``params``, read from their result
    files as they are (nothing runs)."""
    frames = [seed_long(collect_results(seed_params(params, s)), s) for s in seeds]
    return pd.concat(frames, ignore_index=True)


def comparisons_over_seeds(params: Params, seeds: Sequence[int], long: pd.DataFrame) -> pd.DataFrame:
    """The research comparisons over ``seeds`` of the seed runs of ``params``
    (:func:`hybridlib.analysis.answers.seed_comparisons`, with the run's smallest effects of interest;
    the interval is analytic, so no resamples or seed)."""
    from hybridlib.analysis.answers import seed_comparisons

    return seed_comparisons(
        long,
        seed_significance(params, seeds),
        seed_vectors(params, seeds),
        smallest_effect_map=params.smallest_effect_map,
        smallest_effect_rank_distance=params.smallest_effect_rank_distance,
    )


def side_by_side_tables(seeds: Sequence[int]) -> list[Path]:
    """Each setting of :data:`hybridlib.experiment.side_by_side.SETTINGS_FILES` compared over ``seeds``
    from its seed runs' result files, written side by side into the last setting's figures folder."""
    from hybridlib.config import figures_dir
    from hybridlib.experiment import side_by_side

    settings = side_by_side.setting_params()
    missing = [
        f"{name} seed {s}"
        for name, p in zip(side_by_side.SETTINGS_FILES, settings, strict=True)
        for s in seeds
        if not collect_results(seed_params(p, s))
    ]
    if missing:
        raise SystemExit(
            f"no result files for {', '.join(missing)}: run `python -m hybridlib.sweep seeds --params <file> "
            "--seeds ...` for each setting first (`make gradcache` runs both)"
        )
    comparisons = {
        side_by_side.setting_label(p, [o for o in settings if o is not p]): comparisons_over_seeds(
            p, seeds, long_from_files(p, seeds)
        )
        for p in settings
    }
    return side_by_side.write_tables(comparisons, figures_dir(settings[-1]))


def main(argv: list[str] | None = None) -> None:
    from hybridlib.config import REPO_ROOT

    parser = argparse.ArgumentParser(description="Repeated seeds of the whole pipeline.")
    parser.add_argument(
        "what",
        choices=["seeds", "folds", "side-by-side"],
        help="seeds: the pipeline once per seed, then the seed tables; folds: Table 1 over the conclusive "
        "experiment's folds and each seed run's wall time (hybridlib.experiment.folds), from files on disk; "
        "side-by-side: the comparisons over --seeds of each setting of hybridlib.experiment.side_by_side, "
        "from files on disk",
    )
    parser.add_argument("--params", default="params/default.yaml")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="override parameters")
    parser.add_argument("--jobs", type=int, default=1, help="pipeline stages run at a time (default 1)")
    parser.add_argument(
        "--tables-only",
        action="store_true",
        help="train and encode nothing: rebuild each seed run's tables and figures (its result-reading "
        "stages), then the tables and answers over seeds, from the result files as they are",
    )
    ns = parser.parse_args(argv)
    if ns.what == "folds":
        from hybridlib.experiment.folds import FOLD_FILES, write_tables

        written = write_tables()
        print("\n".join(f"wrote {path}" for path in written) or f"no seed results of {FOLD_FILES[0]} yet")
        return
    if ns.what == "side-by-side":
        print("\n".join(f"wrote {path}" for path in side_by_side_tables(ns.seeds)))
        return
    overrides = parse_overrides(ns.set)
    params = load_yaml(REPO_ROOT / ns.params, **overrides)
    # The main run folder is held for the whole sweep (its seed-0 run, then the tables written into
    # it); each seed run holds its own folder, <run_dir>/seed<N>, as well (hybridlib.lock).
    try:
        with writer_lock(run_root(params), "run folder"):
            _seed_tables(ns, params, overrides)
    except (FolderBusy, FolderNotWritable) as err:
        raise SystemExit(f"hybridlib.sweep: {err}") from None


def _seed_tables(ns: argparse.Namespace, params: Params, overrides: dict[str, Any]) -> None:
    from hybridlib.analysis.answers import seed_answers
    from hybridlib.analysis.tables import write_table
    from hybridlib.config import REPO_ROOT, figures_dir
    from hybridlib.io import write_text

    if ns.tables_only:
        from hybridlib.experiment.pipeline import rerun_result_readers

        # Each seed's own tables and figures first, from its result files (what make results rebuilds).
        for seed in ns.seeds:
            rerun_result_readers(seed_params(params, seed))
        long = long_from_files(params, ns.seeds)
    else:
        long = seed_runs(REPO_ROOT / ns.params, ns.seeds, jobs=ns.jobs, **overrides)
    figures = figures_dir(params)
    write_text(run_root(params) / "seeds_long.csv", long.to_csv(index=False))
    table = seeds_table(long, params.arms)
    write_table(table, figures / "table_seeds")
    comparisons = comparisons_over_seeds(params, ns.seeds, long)
    write_table(comparisons, figures / "table_seed_comparisons")
    write_text(figures / "answers_seeds.md", seed_answers(comparisons))
    print(table.to_string())
    print(seed_answers(comparisons))
