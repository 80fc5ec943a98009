"""Every published number from committed files (``make results``) and a re-run checked against them
(``make check-results``): docs/reproducing.md.

* :func:`rebuild` regenerates the tables, answers and README parts of the conclusive experiment from the
  result files committed in each fold's seed runs, with no training and no encoding: each fold's
  ``sweep seeds --tables-only`` over the seeds it finds (:func:`found_seeds`), ``sweep folds``, the
  notebooks of :data:`ANSWER_NOTEBOOKS` that exist, ``report``, then ``footprint`` (the committed
  files' sizes, measured last: after every figure is drawn again). Each step is a subprocess with the
  checkout it rebuilds as working folder and first on ``PYTHONPATH``, so that a copy of the repository
  (the CI test, ``tests/experiment/test_results_rebuild.py``) rebuilds with its own code and files.
* :func:`check` compares the numbers of a re-run (the run folders as they are now, in the working tree)
  with the committed ones (read from a git revision, ``HEAD`` by default, or from a copy of the
  repository): every Table 1 cell of each run folder (mAP per arm, dataset and setting, TyDi mAP, rank
  distance) within the measured tolerance (:data:`MAP_TOLERANCE`,
  :data:`RANK_DISTANCE_RELATIVE_TOLERANCE`), and the answer of every comparison over seeds of its fold
  (yes / no / undetermined) unchanged. A re-run overwrites the committed files in place; git still has
  them, so nothing needs to be saved first.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hybridlib.config import REPO_ROOT, run_root, seed_params
from hybridlib.params import Params, load_yaml

#: The notebooks that turn the committed tables into the answers, run by :func:`rebuild` (papermill,
#: kernel ``hybridlib``, default parameters) when they exist, in this order: the alignment study, then
#: the answers with the forest plot, the paper side by side and the claims scorecard. The order matters:
#: the scorecard's C10 reads the study's ``study_comparisons.csv``, so the study runs first, and one
#: rebuild gives the same files whether or not an earlier rebuild left that table behind. The one list
#: the rebuild and its CI test read.
ANSWER_NOTEBOOKS = ("notebooks/10_alignment_study.ipynb", "notebooks/09_answers.ipynb")
#: The committed outputs that :func:`rebuild` does not make again, because they are not made from result
#: files: each run's training-loss curves (the training logs stay on the machine that trained), its pair
#: counts (``02_pairs`` reads the datasets), and the budget pilot's table and figure (``make pilot``,
#: whose per-step results are not committed: docs/provenance.md). Everything else in the figures folders
#: is remade from the result files; the CI test deletes it first to show that.
NOT_REBUILT = (
    "loss_curves.png",
    "pair_counts.png",
    "pilot_validation.csv",
    "pilot_validation.png",
    "table_pilot.md",
)
#: Where :func:`rebuild` writes the executed copies of :data:`ANSWER_NOTEBOOKS` (ignored by git: an
#: executed notebook records run times, so it is not a reproducible output).
EXECUTED_NOTEBOOKS = "runs/reproduce"

# Tolerances, measured: fold 2's seeds 0, 1 and 2 were each run twice with the same code and training
# identities, once on an AMD EPYC (committed at 0b2934e / 8a44600) and once on an Intel Xeon (74cabfd,
# 5075065, 91979c6); bf16 kernels differ between the two CPUs. Over the 54 Table 1 mAP cells (3 seeds ×
# 6 arms × Mo./Cr./Mul. on MLQA-R) the largest difference was 0.000995 (seed 1, hybrid+align, Mo.),
# and over the 18 macro rank distances 0.088 % of the value (seed 1, hybrid: 397.41 vs 397.76; the
# largest absolute one 0.75 on 1658). Each tolerance is about twice the largest difference seen, the
# margin for CPUs not yet compared. TyDi mAP has no cross-CPU pair yet (fold 1's first files were
# lost): it takes the mAP tolerance. docs/reproducing.md shows the measurement.
#: Largest accepted |re-run − committed| of an mAP (LAReQA Mo./Cr./Mul., TyDi QA macro).
MAP_TOLERANCE = 0.002
#: Largest accepted |re-run − committed| / committed of a macro rank distance.
RANK_DISTANCE_RELATIVE_TOLERANCE = 0.002


# --------------------------------------------------------------------------------------------- rebuild


def fold_files() -> tuple[str, ...]:
    """The folds' parameter files (:data:`hybridlib.experiment.folds.FOLD_FILES`)."""
    from hybridlib.experiment.folds import FOLD_FILES

    return FOLD_FILES


def rebased(params: Params, base: Path) -> Params:
    """``params`` with its run and figures folders inside ``base`` (another checkout, or a copy of a
    git revision's run folders), so the same readers find that checkout's files."""
    return params.replace(run_dir=str(base / params.run_dir), figures_dir=str(base / params.figures_dir))


def found_seeds(params: Params) -> list[int]:
    """The seeds of ``params`` whose run folder holds result files: its own seed in ``run_dir`` and
    seed N in ``<run_dir>/seed<N>`` (:func:`hybridlib.config.seed_params`). Found from the files, not
    from a list: folds gain seeds as they are committed one at a time."""
    root = run_root(params)
    candidates = {params.seed} | {
        int(d.name[4:]) for d in root.glob("seed*") if d.is_dir() and d.name[4:].isdigit()
    }
    return sorted(
        s for s in candidates if any((run_root(seed_params(params, s)) / "results").glob("*/*.json"))
    )


def rebuild_commands(root: Path = REPO_ROOT) -> list[list[str]]:
    """The commands of :func:`rebuild` for the checkout at ``root``, in order (arguments only: run with
    ``root`` as working folder)."""
    py = sys.executable
    commands = []
    for name in fold_files():
        seeds = found_seeds(rebased(load_yaml(root / name), root))
        if seeds:
            commands.append(
                [
                    py,
                    "-m",
                    "hybridlib.sweep",
                    "seeds",
                    "--params",
                    name,
                    "--seeds",
                    *map(str, seeds),
                    "--tables-only",
                ]
            )
    commands.append([py, "-m", "hybridlib.sweep", "folds"])
    for notebook in ANSWER_NOTEBOOKS:
        if (root / notebook).is_file():
            executed = f"{EXECUTED_NOTEBOOKS}/{Path(notebook).name}"
            commands.append(
                [py, "-m", "papermill", "-k", "hybridlib", "--cwd", "notebooks", "--no-progress-bar",
                 notebook, executed]
            )  # fmt: skip
    commands.append([py, "-m", "hybridlib.report"])
    commands.append([py, "-m", "hybridlib.experiment.footprint"])
    return commands


def remove_rebuilt_outputs(root: Path) -> list[Path]:
    """Delete, in the checkout at ``root``, every file that :func:`rebuild` writes into the figures
    folders (``figures/`` and each run's and seed run's ``figures/``, all but :data:`NOT_REBUILT`) and
    each run's ``seeds_long.csv``: what a rebuild must then make from the result files alone. Returns the
    files deleted. For a copy of the repository (the CI test), never the checkout an experiment runs in."""
    folders = [root / "figures", *root.glob("runs/*/figures"), *root.glob("runs/*/seed*/figures")]
    files = [
        f for d in folders if d.is_dir() for f in d.iterdir() if f.is_file() and f.name not in NOT_REBUILT
    ]
    files += list(root.glob("runs/*/seeds_long.csv"))
    for f in files:
        f.unlink()
    return files


def checkout_env(root: Path) -> dict[str, str]:
    """The environment of a step run in the checkout at ``root``: its own ``hybridlib`` first on the
    path (before the editable install's), also in the notebooks' kernels, which inherit it."""
    path = os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def rebuild(root: Path = REPO_ROOT) -> None:
    """Run :func:`rebuild_commands` in the checkout at ``root``; stops at the first failing step."""
    root = Path(root).resolve()
    (root / EXECUTED_NOTEBOOKS).mkdir(parents=True, exist_ok=True)
    for command in rebuild_commands(root):
        shown = " ".join(["python", *command[1:]])
        print(f"$ {shown}", flush=True)
        done = subprocess.run(command, cwd=root, env=checkout_env(root), check=False)
        if done.returncode != 0:
            raise SystemExit(f"hybridlib.reproduce rebuild: `{shown}` failed (exit {done.returncode})")


def copy_tracked(
    dest: Path, *, source: Path = REPO_ROOT, results_rev: str = "HEAD", with_runs: bool = True
) -> Path:
    """A copy of the checkout's tracked files at ``dest``, made a git repository of its own with one
    commit (its ``git status`` after a rebuild lists what the rebuild changed; the source repository is
    never written). Code, notebooks and docs come from the working tree (uncommitted edits are tested);
    the run folders come from ``results_rev``: a running experiment rewrites them in place (none with
    ``with_runs=False``: a copy for a run of its own)."""
    dest.mkdir(parents=True, exist_ok=True)
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=source, check=True, capture_output=True
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        src = source / rel
        if rel.startswith("runs/") or not src.is_file():
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(src.read_bytes())
    if with_runs:
        extract(results_rev, ["runs"], dest, source=source)
    git = [
        "git",
        "-c",
        "user.name=reproduce",
        "-c",
        "user.email=reproduce@localhost",
        "-c",
        "commit.gpgsign=false",
    ]
    subprocess.run([*git, "init", "-q"], cwd=dest, check=True)
    subprocess.run([*git, "add", "-A"], cwd=dest, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "committed files"], cwd=dest, check=True)
    return dest


def changed_files(root: Path) -> list[str]:
    """``git status --porcelain`` of the checkout at ``root``: tracked files the rebuild changed and
    files it wrote that git would not ignore (an output that is not committed)."""
    out = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [line for line in out.splitlines() if line.strip()]


# ----------------------------------------------------------------------------------------------- check


def extract(rev: str, paths: Sequence[str], dest: Path, *, source: Path = REPO_ROOT) -> Path:
    """The files under ``paths`` as committed at git revision ``rev`` of ``source``, written into
    ``dest`` (laid out like the repository); a path absent at ``rev`` is skipped."""
    present = subprocess.run(
        ["git", "ls-tree", "--name-only", rev, "--", *paths],
        cwd=source,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    if present:
        archive = subprocess.run(
            ["git", "archive", rev, "--", *present], cwd=source, check=True, capture_output=True
        )
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(dest, filter="data")
    return dest


@dataclass(frozen=True)
class Check:
    """One number (or answer) of a re-run against its committed value."""

    what: str  # the run folder or fold, then the number: "runs/full-fold2/seed1 hybrid mlqa-r mo mAP"
    committed: str
    rerun: str
    ok: bool
    note: str = ""

    def line(self) -> str:
        status = "OK  " if self.ok else "FAIL"
        return f"{status}  {self.what}: {self.rerun} vs committed {self.committed}{self.note}"


def within(metric: str, committed: float, rerun: float) -> tuple[bool, str]:
    """Whether a re-run's value of ``metric`` (a name of :func:`hybridlib.analysis.seeds.summary_metrics`)
    is within the tolerance of the committed one, and the difference as shown."""
    if not (math.isfinite(committed) and math.isfinite(rerun)):
        return committed == rerun or (math.isnan(committed) and math.isnan(rerun)), ""
    diff = rerun - committed
    if metric.endswith("rank distance"):
        rel = abs(diff) / abs(committed) if committed else math.inf
        return rel <= RANK_DISTANCE_RELATIVE_TOLERANCE, (
            f" (Δ {diff:+.3f}, {rel:.3%} of it; tolerance {RANK_DISTANCE_RELATIVE_TOLERANCE:.1%})"
        )
    return abs(diff) <= MAP_TOLERANCE, f" (Δ {diff:+.6f}; tolerance {MAP_TOLERANCE})"


def run_metrics(params: Params) -> dict[str, dict[str, float]]:
    """``{arm: {metric: value}}``: the Table 1 cells of one run folder, from its result files."""
    from hybridlib.analysis.seeds import summary_metrics
    from hybridlib.evaluation.results import collect_results

    return {arm: summary_metrics(by_ds) for arm, by_ds in collect_results(params).items()}


def check_run(label: str, committed: Params, rerun: Params) -> list[Check]:
    """Every Table 1 cell of the committed run folder of ``committed`` against the re-run's."""
    before, after = run_metrics(committed), run_metrics(rerun)
    checks = []
    for arm, metrics in before.items():
        for metric, value in metrics.items():
            what = f"{label} {arm} {metric}"
            new = after.get(arm, {}).get(metric)
            if new is None:
                checks.append(
                    Check(what, f"{value:.6f}", "missing", False, " (no result file in the re-run)")
                )
                continue
            ok, note = within(metric, value, new)
            checks.append(Check(what, f"{value:.6f}", f"{new:.6f}", ok, note))
    return checks


def fold_answers(params: Params, seeds: Sequence[int]) -> pd.DataFrame:
    """The comparisons over ``seeds`` of a fold (:func:`hybridlib.experiment.sweep.comparisons_over_seeds`)
    from the result files of ``params``'s run folders as they are."""
    from hybridlib.experiment.sweep import comparisons_over_seeds, long_from_files

    return comparisons_over_seeds(params, seeds, long_from_files(params, seeds))


def check_answers(label: str, committed: Params, rerun: Params, seeds: Sequence[int]) -> list[Check]:
    """The answer (yes / no / undetermined) of each comparison over ``seeds`` of a fold, committed
    against re-run: the same answer is OK, a changed one is a FAIL (its intervals are shown)."""
    missing = [s for s in seeds if not (run_root(seed_params(rerun, s)) / "results").is_dir()]
    if missing:
        return [
            Check(
                f"{label} answers over seeds {list(seeds)}",
                "present",
                "missing",
                False,
                f" (seeds {missing})",
            )
        ]
    before, after = fold_answers(committed, seeds), fold_answers(rerun, seeds)
    keys = ["dataset", "comparison"]
    merged = before.merge(after, on=keys, how="left", suffixes=("", "_rerun"))

    def shown(answer: object, low: float, high: float) -> str:
        return f"{answer} [{low:+.4f}, {high:+.4f}]"

    checks = []
    for r in merged.itertuples(index=False):
        what = f"{label} answer over seeds {' '.join(map(str, seeds))}: {r.dataset}, {r.comparison}"
        old = shown(r.answer, r.ci_low, r.ci_high)
        if pd.isna(r.answer_rerun):
            checks.append(Check(what, old, "missing", False))
        else:
            checks.append(
                Check(
                    what,
                    old,
                    shown(r.answer_rerun, r.ci_low_rerun, r.ci_high_rerun),
                    r.answer == r.answer_rerun,
                )
            )
    return checks


def check(
    runs: Sequence[str] | None = None, *, reference: str = "HEAD", root: Path = REPO_ROOT
) -> list[Check]:
    """The re-run in the checkout at ``root`` against ``reference`` (a git revision of the repository, or
    a folder laid out like it): each run folder of ``runs`` (paths such as ``runs/full-fold2/seed1``;
    default: every committed seed run of the folds), then the answers over seeds of each fold they
    belong to."""
    root = Path(root).resolve()
    with tempfile.TemporaryDirectory(prefix="reference-") as tmp:
        ref_root = Path(reference) if Path(reference).is_dir() else extract(reference, ["runs"], Path(tmp))
        return _check(runs, ref_root.resolve(), root)


def _check(runs: Sequence[str] | None, ref_root: Path, root: Path) -> list[Check]:
    wanted = {Path(r).as_posix().rstrip("/") for r in runs} if runs else None
    checks: list[Check] = []
    matched: set[str] = set()
    for name in fold_files():
        params = load_yaml(REPO_ROOT / name)
        committed, rerun = rebased(params, ref_root), rebased(params, root)
        seeds = found_seeds(committed)
        chosen = [s for s in seeds if wanted is None or seed_params(params, s).run_dir in wanted]
        for seed in chosen:
            label = seed_params(params, seed).run_dir
            matched.add(label)
            checks += check_run(label, seed_params(committed, seed), seed_params(rerun, seed))
        if chosen:
            checks += check_answers(params.run_dir, committed, rerun, seeds)
    for unknown in sorted((wanted or set()) - matched):
        checks.append(
            Check(unknown, "a committed seed run of a fold", "not one", False, f" (folds: {fold_files()})")
        )
    return checks


# ------------------------------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hybridlib.reproduce",
        description="rebuild: every table, answer and README part of the conclusive experiment from the "
        "committed result files (make results). check: a re-run's numbers against the committed ones, "
        "OK or FAIL per number (make check-results). See docs/reproducing.md.",
    )
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("rebuild", help="rebuild the tables and answers from the result files (no training)")
    chk = sub.add_parser("check", help="compare a re-run with the committed numbers")
    chk.add_argument(
        "runs", nargs="*", metavar="RUN",
        help="run folders to check, e.g. runs/full-fold2/seed1 (default: every committed seed run)",
    )  # fmt: skip
    chk.add_argument(
        "--reference", default="HEAD",
        help="the committed numbers: a git revision (default HEAD) or a folder laid out like the repository",
    )  # fmt: skip
    chk.add_argument(
        "--root", default=str(REPO_ROOT), help="the checkout holding the re-run (default: this one)"
    )
    ns = parser.parse_args(argv)
    if ns.what == "rebuild":
        rebuild()
        return 0
    checks = check(ns.runs, reference=ns.reference, root=Path(ns.root))
    for c in checks:
        print(c.line())
    failed = sum(not c.ok for c in checks)
    print(
        f"{len(checks) - failed} OK, {failed} FAIL (tolerances: mAP {MAP_TOLERANCE}, rank distance "
        f"{RANK_DISTANCE_RELATIVE_TOLERANCE:.1%} of the committed value; answers must not change)"
    )
    if not checks:
        print("nothing checked: no committed seed run matches")
        return 1
    return 1 if failed else 0
