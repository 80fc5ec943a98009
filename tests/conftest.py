"""Shared fixtures. Tests never touch a model hub: HF_HUB_OFFLINE is forced before any import."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest


@pytest.fixture(scope="session")
def embedded_model_dir():
    """The converted embedded encoder (converted once into the cache, then reused)."""
    from hybridlib.model.encoder import embedded_model_dir as convert_once

    return convert_once()


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
