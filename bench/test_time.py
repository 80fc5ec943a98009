"""``make time-tests``: how long ``make test-all`` takes on this machine, recorded where the README reads it.

Runs ``make test-all`` (ruff and every test, as CI does), times it, and when it passes writes
``bench/results/<date>-test-all.json``: the wall time, the machine, the load average at the start and at
the end (a second CPU-heavy process on 2 cores slows the suite several-fold, so a busy start is stated
beside the time, as the benchmark table does), and the commit. A failing suite records nothing: its time
says nothing about the passing one. ``python -m hybridlib.report`` copies the newest record into the
README's times (:func:`hybridlib.experiment.report.command_times`).

The time is that of ``make test-all`` with ``.venv`` already set up; a fresh clone first spends the setup
(``make setup``) on top of it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

from bench.common import cpu_flags, git_revision, usable_cores
from hybridlib.config import REPO_ROOT
from hybridlib.experiment.report import BENCH_RESULTS, TEST_TIME_SUFFIX
from hybridlib.io import write_json
from hybridlib.provenance import machine_description

DEFAULT_COMMAND = "make test-all"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.test_time", description=__doc__.split("\n\n")[0])
    ap.add_argument("--command", default=DEFAULT_COMMAND, help=f"what to time (default: {DEFAULT_COMMAND})")
    ap.add_argument("--out-dir", type=Path, default=BENCH_RESULTS, help="where the record is written")
    return ap.parse_args(argv)


def time_command(command: str, out_dir: Path, *, cwd: Path = REPO_ROOT) -> Path | None:
    """Run ``command`` in ``cwd`` with its output shown, and write its record into ``out_dir`` when it
    exits 0; None (nothing written) when it fails."""
    load_start = os.getloadavg()[0]
    started = dt.datetime.now().astimezone()
    t0 = time.perf_counter()
    code = subprocess.call(shlex.split(command), cwd=cwd)
    wall = time.perf_counter() - t0
    if code != 0:
        print(
            f"`{command}` failed (exit {code}) after {wall / 60:.1f} min: no time recorded", file=sys.stderr
        )
        return None
    record = {
        "command": command,
        "wall_seconds": round(wall, 1),
        "date": started.isoformat(timespec="seconds"),
        "machine": machine_description(),
        "cpu_flags": cpu_flags(),
        "cores": usable_cores(),
        "load_avg_1m_start": round(load_start, 2),
        "load_avg_1m_end": round(os.getloadavg()[0], 2),
        "git": git_revision(),
    }
    return write_json(out_dir / f"{started:%Y-%m-%d}{TEST_TIME_SUFFIX}", record)


def main(argv: list[str] | None = None) -> int:
    ns = parse_args(argv)
    path = time_command(ns.command, ns.out_dir)
    if path is None:
        return 1
    print(f"recorded {path}; `python -m hybridlib.report` copies it into the README")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
