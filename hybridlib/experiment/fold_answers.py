"""The answers of the conclusive experiment, made from its folds' result files (``notebooks/09_answers``).

The README leads with an answer, and an answer is only as good as the files it can be rebuilt from: a
number whose result files are gone is not shown (issue "Honest answers"). This module therefore reads
nothing but each fold's result files (JSON and per-query arrays, committed under ``runs/``) and states
what is missing:

* :func:`fold_state` — which of the planned seeds of a fold have every arm's result files (a seed still
  running, or one whose files were lost, is named and left out);
* :func:`answers_over_seeds` — the comparisons over a fold's complete seeds
  (:func:`hybridlib.analysis.answers.seed_comparisons`: families, Holm) and each seed's own difference
  (the faint points of the forest plot);
* :func:`headline` — the README's answer in three plain sentences from fold 1's research family;
* :func:`table1_over_folds`, :func:`paper_tables` — Table 1 over folds, and ours beside the paper's;
* :func:`write_answers` — everything above into the figures folder, where ``python -m hybridlib.report``
  copies it into the README and ``docs/results.md`` (:mod:`hybridlib.experiment.report`).

The notebook's own parameters (:class:`AnswersParams`) are not experiment parameters: the schema of
:mod:`hybridlib.params` is hashed into every training run, so they are validated here
(:func:`parameters_from_notebook`), with one clear error for an unknown name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hybridlib.analysis.comparisons import COMPARISONS, FAMILIES, RESEARCH_QUESTION
from hybridlib.analysis.study import TWO_SEEDS
from hybridlib.config import repo_path, seed_params
from hybridlib.evaluation.results import collect_results
from hybridlib.experiment.folds import FOLD_FILES, fold_name
from hybridlib.experiment.notebook_parameters import declared_values
from hybridlib.params import ParameterError, Params, load_yaml

#: The seeds each fold is planned with (``make full``'s FULL_SEEDS; issue "Honest answers": 5 per fold).
PLANNED_SEEDS = [0, 1, 2, 3, 4]
#: The files :func:`write_answers` writes into the figures folder (stem → what it is).
OUTPUTS = {
    "answer.md": "the README's answer: three sentences from fold 1's research family",
    "seeds_status.md": "which planned seeds of each fold have result files",
    "forest_comparisons.png": "the forest plot of every comparison over seeds, per fold",
    "answers_folds.md": "the answers over seeds per fold, family by family (Holm within each)",
    "comparisons_folds.csv": "the comparisons over seeds of every fold, one table",
    "table1_folds.md": "Table 1 over folds: mAP mean ± std over each fold's seeds",
    "paper_table1.md": "our Table 1 beside the paper's XLM-R and LaBSE rows",
    "paper_table2.md": "our Table 2 (rank distance) beside the paper's",
    "claims_scorecard.md": "the paper's claims C1–C10, one verdict per fold",
}


@dataclass(frozen=True)
class AnswersParams:
    """The parameters of ``09_answers``: the folds' parameter files (fold 1 first: it answers the
    research question and runs the alignment study), the seeds each fold is planned with, and the
    figures folder (the README's, ``figures``, by default; relative paths start at the repository)."""

    folds: list[str] = field(default_factory=lambda: list(FOLD_FILES))
    planned_seeds: list[int] = field(default_factory=lambda: list(PLANNED_SEEDS))
    figures_dir: str = "figures"


def parameters_from_notebook(namespace: Mapping[str, Any], before: Iterable[str]) -> AnswersParams:
    """Validate the names the parameters cell (and papermill) added to ``namespace`` since ``before``:
    an unknown name or a value of the wrong kind stops the notebook with a message naming it."""
    v = declared_values(namespace, before, AnswersParams.__dataclass_fields__)
    if "folds" in v:
        folds = v["folds"]
        if isinstance(folds, str):
            folds = [folds]
        if not isinstance(folds, list | tuple) or not folds or not all(isinstance(f, str) for f in folds):
            raise ParameterError(f"parameter 'folds' = {folds!r} must be a non-empty list of parameter files")
        missing = [f for f in folds if not repo_path(f).is_file()]
        if missing:
            raise ParameterError(f"parameter 'folds': no such parameter file {', '.join(missing)}")
        v["folds"] = list(folds)
    if "planned_seeds" in v:
        seeds = v["planned_seeds"]
        if not isinstance(seeds, list | tuple) or not all(isinstance(s, int) and s >= 0 for s in seeds):
            raise ParameterError(f"parameter 'planned_seeds' = {seeds!r} must be a list of seeds (ints ≥ 0)")
        v["planned_seeds"] = sorted(set(seeds))
    if "figures_dir" in v and not isinstance(v["figures_dir"], str):
        raise ParameterError(f"parameter 'figures_dir' = {v['figures_dir']!r} must be a path")
    return AnswersParams(**v)


@dataclass
class FoldState:
    """What one fold has on disk: its parameters and name, the planned seeds whose every arm has result
    files for every evaluation set (``complete``), those with some but not all (``partial``: seed →
    arms missing), and those with none (``missing``)."""

    params: Params
    name: str
    complete: list[int]
    partial: dict[int, list[str]]
    missing: list[int]

    def status(self) -> str:
        """One line: which seeds count, which are partial and which have no result files."""
        done = ", ".join(map(str, self.complete)) or "none"
        parts = [f"seeds with every arm's result files: {done}"]
        if self.partial:
            parts.append(
                "incomplete (left out): "
                + "; ".join(f"seed {s} lacks {', '.join(arms)}" for s, arms in self.partial.items())
            )
        if self.missing:
            seeds = "seeds" if len(self.missing) > 1 else "seed"
            parts.append(f"no result files: {seeds} {', '.join(map(str, self.missing))}")
        return "; ".join(parts)


def fold_state(params: Params, planned: Iterable[int]) -> FoldState:
    """Which of the ``planned`` seeds of a fold count (:class:`FoldState`). A seed counts only whole: a
    seed still running (or partly lost) would compare arms of different seeds."""
    complete, partial, missing = [], {}, []
    for seed in sorted(set(planned)):
        results = collect_results(seed_params(params, seed))
        lacking = [arm for arm in params.arms if set(results.get(arm, {})) < set(params.eval_sets)]
        if not results:
            missing.append(seed)
        elif lacking:
            partial[seed] = lacking
        else:
            complete.append(seed)
    return FoldState(params, fold_name(params), complete, partial, missing)


def answers_over_seeds(
    state: FoldState,
) -> tuple[pd.DataFrame, dict[tuple[str, str], list[float]], pd.DataFrame]:
    """A fold's comparisons over its complete seeds (:func:`hybridlib.analysis.answers.seed_comparisons`
    with the fold's smallest effects of interest), each comparison's per-seed differences
    ``{(dataset, comparison): [arm − baseline per seed]}`` (row means, as the interval's), and the long
    table ``arm, seed, metric, value`` of those seeds; all empty without a complete seed."""
    from hybridlib.analysis.answers import seed_comparisons
    from hybridlib.experiment.sweep import long_from_files, seed_significance, seed_vectors

    if not state.complete:
        return pd.DataFrame(), {}, pd.DataFrame(columns=["arm", "seed", "metric", "value"])
    p = state.params
    long = long_from_files(p, state.complete)
    vectors = seed_vectors(p, state.complete)
    table = seed_comparisons(
        long,
        seed_significance(p, state.complete),
        vectors,
        smallest_effect_map=p.smallest_effect_map,
        smallest_effect_rank_distance=p.smallest_effect_rank_distance,
    )
    per_seed: dict[tuple[str, str], list[float]] = {}
    by_label = {c.label: c for c in COMPARISONS}
    for r in table.itertuples(index=False) if not table.empty else []:
        c = by_label[r.comparison]
        points = []
        for seed in sorted(vectors):
            by_arm = vectors[seed].get(r.dataset, {})
            if c.arm in by_arm and c.baseline in by_arm:
                points.append(float(np.nanmean(by_arm[c.arm][c.metric] - by_arm[c.baseline][c.metric])))
        per_seed[(r.dataset, r.comparison)] = points
    return table, per_seed, long


def _phrase(r: pd.Series, sei: float) -> str:
    """How a research answer reads in a plain sentence."""
    if not np.isfinite(r["ci_low"]):
        return f"cannot be judged yet: {int(r['n_seeds'])} seed so far, and an interval needs two"
    if r["answer"] == "yes":
        return "raises mAP"
    if r["answer"] == "no":
        return (
            "lowers mAP"
            if str(r["verdict"]).startswith("no — worse")
            else (f"does not raise mAP by the smallest effect of interest ({sei:g}) or more")
        )
    return f"cannot be told apart at this power (detectable effect {r['mde']:.4f})"


def headline(state: FoldState, table: pd.DataFrame) -> str:
    """The README's answer: three plain sentences from fold 1's research family (every number read from
    ``table``, its :func:`answers_over_seeds`); without a complete seed, three sentences saying so."""
    planned = len(state.complete) + len(state.partial) + len(state.missing)
    rows = table[table["family"] == RESEARCH_QUESTION] if not table.empty else table
    if rows.empty and state.complete:  # seeds there, but no TyDi QA or no research arm (a fold 2 alone)
        return (
            f"Fold 1 ({state.name}) has {len(state.complete)} of {planned} planned seeds with every arm's "
            "result files, but none of the research question's comparisons (hybrid+align against "
            "multilingual and hybrid on TyDi QA): it does not evaluate TyDi QA or lacks one of those arms, "
            "so it cannot answer the question.\n"
        )
    if rows.empty:
        return (
            f"Fold 1 ({state.name}), which answers the question, has no seed with every arm's result files "
            "yet. It is being re-run with the final code, and each seed's files are "
            "committed as soon as it finishes; earlier answers came from files that were lost, so they are "
            "not shown. `make results` rewrites this paragraph from whatever seeds are committed.\n"
        )
    sei = state.params.smallest_effect_map
    by_label = {r["comparison"]: r for _, r in rows.iterrows()}
    labels = [c.label for c in COMPARISONS if c.family == RESEARCH_QUESTION]
    all_, unseen, alone = (by_label.get(label) for label in labels)
    k, m = int(rows["n_seeds"].max()), int(rows["family_size"].max())

    if k < 2:  # one seed: no seed variance, so no interval and no answer yet
        diffs = [
            f"{what} {r['diff']:+.4f}"
            for what, r in (
                ("against multilingual fine-tuning", all_),
                ("on the unseen languages", unseen),
                ("against hybrid batches alone", alone),
            )
            if r is not None
        ]
        return (
            f"Fold 1 ({state.name}) has {k} of {planned} planned seeds so far, and an interval over seeds "
            "needs at least two (three or more to hold its coverage: docs/statistics.md), so the question "
            "is not answered yet. On that one seed, hybrid+align's TyDi QA mAP differs "
            + "; ".join(diffs)
            + ": one trained model per arm, with no training noise counted, so these are not answers.\n"
        )

    def numbers(r: pd.Series) -> str:
        interval = (
            f", 95 % interval [{r['ci_low']:+.4f}, {r['ci_high']:+.4f}]" if np.isfinite(r["ci_low"]) else ""
        )
        return f"{r['diff']:+.4f} mAP{interval}"

    seeds = f"all {k} planned seeds" if k == planned else f"{k} of {planned} planned seeds"
    sentences = []
    if all_ is not None:
        sentences.append(
            f"On TyDi QA, hybrid batches with the alignment objective (hybrid+align) {_phrase(all_, sei)} "
            f"against standard multilingual fine-tuning: {numbers(all_)} over {seeds} of fold 1."
        )
    if unseen is not None:
        sentences.append(
            f"On the TyDi languages that fine-tuning never saw, it {_phrase(unseen, sei)}: {numbers(unseen)}."
        )
    if alone is not None:
        sentences.append(
            f"Against hybrid batches alone, the alignment term {_phrase(alone, sei)}: {numbers(alone)} "
            f"(answers with Holm over the family's {m} comparisons; "
            f"{FAMILIES[RESEARCH_QUESTION].split(' (')[0]})."
        )
    if k == 2:  # an interval exists, but its coverage is shown by simulation only from 3 seeds
        sentences.append(TWO_SEEDS)
    return " ".join(sentences) + "\n"


def table1_over_folds(longs: Mapping[str, pd.DataFrame], arms: list[str]) -> pd.DataFrame:
    """Table 1 over folds (:func:`hybridlib.analysis.seeds.lareqa_over_folds`) from the long tables of
    the folds that have complete seeds."""
    from hybridlib.analysis.seeds import lareqa_over_folds

    frames = [long for long in longs.values() if not long.empty]
    return lareqa_over_folds(frames, arms) if frames else pd.DataFrame()


def _ours_long(longs: Mapping[str, pd.DataFrame], suffixes: Mapping[str, str], decimals: int) -> pd.DataFrame:
    """Our mean over seeds per arm and column (``<dataset> <setting>``), formatted like the paper's
    tables, with the seeds it averages: ``0.770 (n=5)``."""
    rows = []
    for long in longs.values():
        if long.empty:
            continue
        for (arm, metric), values in long.groupby(["arm", "metric"], sort=False)["value"]:
            dataset, _, rest = metric.partition(" ")
            if rest in suffixes:
                column = f"{dataset} {suffixes[rest]}".strip()
                rows.append(
                    {"arm": arm, "column": column, "cell": f"{values.mean():.{decimals}f} (n={len(values)})"}
                )
    return pd.DataFrame(rows, columns=["arm", "column", "cell"])


def paper_tables(longs: Mapping[str, pd.DataFrame], arms: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Our Table 1 (mAP) and Table 2 (rank distance) beside the paper's XLM-R and LaBSE rows
    (:func:`hybridlib.analysis.paper.paper_beside_ours`), every paper number read from ``data/paper``."""
    from hybridlib.analysis.paper import paper_beside_ours, paper_table

    settings = {"mo": "Mo.", "cr": "Cr.", "mul": "Mul."}
    p1 = paper_table("table1_map")
    p1["column"] = p1["dataset"] + " " + p1["setting"].map(settings)
    columns1 = [f"{ds} {s}" for ds in ("xquad-r", "mlqa-r") for s in settings.values()]
    ours1 = _ours_long(longs, {f"{k} mAP": v for k, v in settings.items()}, 3)
    ours1 = ours1[ours1["arm"].isin(arms)]
    t1 = paper_beside_ours(ours1, p1, "mAP", columns1)
    p2 = paper_table("table2_rank_distance")
    p2["column"] = p2["dataset"]
    ours2 = _ours_long(longs, {"rank distance": ""}, 1)
    ours2 = ours2[ours2["arm"].isin(arms) & (ours2["arm"] != "zero-shot")]
    t2 = paper_beside_ours(ours2, p2, "rank_distance", ["xquad-r", "mlqa-r"], decimals=1)
    return t1, t2


#: Where the alignment study (hybridlib.analysis.study, notebooks/10_alignment_study) writes its
#: comparisons over seeds, relative to fold 1's figures folder; read, never written, here.
STUDY_TABLE = "study_comparisons.csv"


def write_answers(ap: AnswersParams) -> dict[str, Any]:
    """Everything ``09_answers`` shows, written into ``ap.figures_dir`` (the files of :data:`OUTPUTS`,
    markdown and CSV): returns the states, tables and figure for the notebook to display."""
    from hybridlib.analysis.answers import seed_answers
    from hybridlib.analysis.forest import forest_plot
    from hybridlib.analysis.paper import alpha_claim_verdict, scorecard
    from hybridlib.analysis.study_finding import study_finding
    from hybridlib.analysis.tables import to_markdown, write_table
    from hybridlib.io import write_text

    if not ap.folds:  # fold 1 answers the question: without it there is nothing to write
        raise ParameterError("09_answers needs at least one fold: 'folds' lists no parameter file")
    figs = repo_path(ap.figures_dir)
    figs.mkdir(parents=True, exist_ok=True)
    folds = [load_yaml(repo_path(f)) for f in ap.folds]
    states = [fold_state(p, ap.planned_seeds) for p in folds]
    tables, per_seed, longs = {}, {}, {}
    for s in states:
        tables[s.name], per_seed[s.name], longs[s.name] = answers_over_seeds(s)
    labels = {s.name: f"fold {i}: {s.name}" for i, s in enumerate(states, 1)}
    first = states[0]
    # the answer, then why: the alignment study's finding, when 10_alignment_study has written its table
    study_csv = repo_path(first.params.figures_dir) / STUDY_TABLE
    why = (
        "\n" + study_finding(pd.read_csv(study_csv), smallest_effect=first.params.smallest_effect_map)
        if study_csv.is_file()
        else ""
    )
    write_text(figs / "answer.md", headline(first, tables[first.name]) + why)
    status = "\n".join(f"- fold {i} ({s.name}): {s.status()}." for i, s in enumerate(states, 1))
    write_text(figs / "seeds_status.md", status + "\n")

    sections = []
    for i, s in enumerate(states, 1):
        body = seed_answers(tables[s.name]).strip() if not tables[s.name].empty else "No complete seed yet."
        sections += [f"#### Fold {i}: {s.name}", "", f"_{s.status()}._", "", body, ""]
    write_text(figs / "answers_folds.md", "\n".join(sections))
    together = [t.assign(fold=name) for name, t in tables.items() if not t.empty]
    write_text(
        figs / "comparisons_folds.csv", pd.concat(together).to_csv(index=False) if together else "fold\n"
    )

    arms = folds[0].arms
    t1 = table1_over_folds(longs, arms)
    write_table(t1 if not t1.empty else pd.DataFrame({"Table 1": ["no fold has result files yet"]}),
                figs / "table1_folds")  # fmt: skip
    paper1, paper2 = paper_tables(longs, [a for a in arms if "@" not in a and a != "align-only"])
    write_table(paper1, figs / "paper_table1", floatfmt=".3f")
    write_table(paper2, figs / "paper_table2", floatfmt=".1f")

    alpha = alpha_claim_verdict(
        study_csv,
        smallest_effect_map=first.params.smallest_effect_map,
    )
    card = scorecard(
        {f"fold {i}": tables[s.name] for i, s in enumerate(states, 1)},
        smallest_effect_map=first.params.smallest_effect_map,
        smallest_effect_rank_distance=first.params.smallest_effect_rank_distance,
        alpha=alpha,
    )
    write_text(figs / "claims_scorecard.csv", card.to_csv(index=False))
    verdicts = card[["claim", "paper's claim", *[c for c in card.columns if c.endswith(": verdict")]]]
    evidence = card[["claim", *[c for c in card.columns if c.endswith(": evidence")]]]
    two_seeds = [f"fold {i}" for i, s in enumerate(states, 1) if len(s.complete) == 2]
    caveat = f"\n\n{' and '.join(two_seeds)}: {TWO_SEEDS}" if two_seeds else ""
    write_text(
        figs / "claims_scorecard.md",
        to_markdown(verdicts, ".4f")
        + caveat
        + "\n\nEvidence (difference arm − baseline, 95 % interval, seeds):\n\n"
        + to_markdown(evidence, ".4f")
        + "\n",
    )
    fig = forest_plot(
        {labels[name]: t for name, t in tables.items()},
        {labels[name]: points for name, points in per_seed.items()},
        smallest_effect_map=first.params.smallest_effect_map,
        smallest_effect_rank_distance=first.params.smallest_effect_rank_distance,
        lower_is_better={c.label: c.lower_is_better for c in COMPARISONS},
        path=figs / "forest_comparisons.png",
    )
    return {
        "states": states,
        "tables": tables,
        "per_seed": per_seed,
        "longs": longs,
        "table1": t1,
        "paper1": paper1,
        "paper2": paper2,
        "scorecard": card,
        "forest": fig,
    }
