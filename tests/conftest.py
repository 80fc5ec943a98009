"""Shared fixtures. Tests never touch a model hub: HF_HUB_OFFLINE is forced before any import."""

from __future__ import annotations

import os
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # `make test` runs two pytest workers on the 2 cores: one torch thread each (the kernels they
    # start inherit it), so that torch's threads never outnumber the cores.
    os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def embedded_model_dir():
    """The converted embedded encoder (converted once into the cache, then reused)."""
    from hybridlib.model.encoder import embedded_model_dir as convert_once

    return convert_once()


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, embedded_model_dir) -> str:
    """A tiny random encoder folder (LaBSE-like: 2 layers of width 32 over a 4,000-piece cut of the e5
    vocabulary, ``tests/tiny_models.py``) for the tests of training mechanics (batches, counts,
    checkpoints, resuming, several processes), which no model size changes: the embedded e5 would load,
    checkpoint and save 470 MB of weights each time, and its 250k-piece tokenizer alone takes ~2 s to
    load. What only the real encoder can show (frozen embeddings, its outputs) is tested on the
    embedded e5."""
    from tiny_models import small_vocabulary_tokenizer, tiny_labse_folder

    root = tmp_path_factory.mktemp("tiny-model")
    tokenizer = small_vocabulary_tokenizer(root / "tokenizer", embedded_model_dir)
    return str(tiny_labse_folder(root / "labse-like", tokenizer))


@pytest.fixture(scope="session")
def embedded_encoder():
    from hybridlib.model.encoder import load_encoder

    return load_encoder(precision="fp32")


def skip_or_fail_without_data(err: Exception) -> None:
    """No dataset folder: skip on a developer's laptop, but fail in CI where ../shared must exist."""
    if os.environ.get("CI"):
        pytest.fail(f"CI needs the dataset folder: {err}")
    pytest.skip(f"no dataset folder: {err}")


@pytest.fixture(scope="session")
def data_root():
    """The dataset folder (../shared/data in CI); see :func:`skip_or_fail_without_data`."""
    from hybridlib.config import DataFolderError, data_dir

    try:
        return data_dir()
    except DataFolderError as err:  # pragma: no cover - only on machines without the mirror
        skip_or_fail_without_data(err)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """The whole pipeline on ``params/tiny.yaml``, run once per test session and shared by every test
    that needs trained models or result files: ``(params, root, --set overrides)``. Those tests live in
    ``tests/experiment/test_notebooks.py``: `make test` (``--dist loadfile``) keeps a file in one worker,
    which builds the pipeline once."""
    import shutil

    from hybridlib.experiment.pipeline import main as pipeline_main
    from hybridlib.params import load_yaml

    root = tmp_path_factory.mktemp("tiny")
    overrides = [f"run_dir={root / 'run'}", f"figures_dir={root / 'figures'}"]
    # two stages at a time: the tiny stages are mostly kernel start-up, which two cores halve
    pipeline_main(["--params", "params/tiny.yaml", "--no-readme", "--jobs", "2", "--set", *overrides])
    # later tests re-run the pipeline (which rewrites pipeline.json): keep the first run's report
    shutil.copy(root / "run" / "pipeline.json", root / "first_pipeline.json")
    params = load_yaml(
        REPO / "params" / "tiny.yaml", run_dir=str(root / "run"), figures_dir=str(root / "figures")
    )
    return params, root, overrides


@pytest.fixture(scope="session")
def tiny_run_dir(tmp_path_factory, data_root):
    """A run folder with two arms evaluated on the tiny pools (``params/tiny.yaml``): ``zero-shot`` (the
    embedded encoder) and ``hybrid``, a copy of its results (a second arm without training anything).
    For the search and exploration tests (hybridlib.search, notebooks/08_explore)."""
    import shutil

    from hybridlib.evaluation.run import evaluate_model
    from hybridlib.params import load_yaml

    root = tmp_path_factory.mktemp("search")
    tiny = Path(__file__).resolve().parent.parent / "params" / "tiny.yaml"
    params = load_yaml(tiny, run_dir=str(root / "run"), figures_dir=str(root / "figures"))
    evaluate_model(params.replace(precision="fp32"), arm="zero-shot")
    results = root / "run" / "results"
    shutil.copytree(results / "zero-shot", results / "hybrid")
    return root / "run"
