"""What the pipeline records of its invocations (``<run_dir>/pipeline.json``, ``complete_run.json``) and
how long a whole run took: :func:`last_complete_run`, read by the README's results, the conclusive
experiment's seed times (:mod:`hybridlib.experiment.folds`) and ``make bench``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hybridlib.config import COMPLETE_RUN_REPORT, PIPELINE_REPORT, run_root
from hybridlib.io import write_json
from hybridlib.params import Params

#: The stages that only read the datasets and take seconds. A seed's run folder made earlier by a run of
#: the same data code finds them up to date while every training and evaluation runs again: that is
#: still a whole run's time, and counting it as one keeps an older run's ``complete_run.json`` from
#: outliving the run that replaced its results.
DATA_STAGES = frozenset({"01_data", "02_pairs"})


def is_complete(report: dict[str, Any]) -> bool:
    """Whether a pipeline report is of a whole run: an invocation that ran every stage, the data stages
    (:data:`DATA_STAGES`) excepted, which may have been up to date."""
    stages = report["stages"]
    return any(s.get("status") == "ran" for s in stages.values()) and all(
        s.get("status") == "ran" for sid, s in stages.items() if sid not in DATA_STAGES
    )


def keep_complete_run(root: Path) -> None:
    """Copy a whole run's ``pipeline.json`` to ``complete_run.json`` if that does not exist yet (runs made
    before ``complete_run.json`` was written keep their wall time)."""
    report_file, complete = root / PIPELINE_REPORT, root / COMPLETE_RUN_REPORT
    if report_file.is_file() and not complete.is_file():
        report = json.loads(report_file.read_text())
        if is_complete(report):
            write_json(complete, report)


def last_complete_run(params: Params) -> dict[str, Any] | None:
    """The report of the last invocation that ran every stage of ``params``'s run (its wall time,
    ``jobs``, machine and finishing time), or None if no invocation did: the time a whole run takes."""
    for name in (COMPLETE_RUN_REPORT, PIPELINE_REPORT):  # a run older than complete_run.json: its report
        path = run_root(params) / name
        if path.is_file() and is_complete(report := json.loads(path.read_text())):
            return report
    return None
