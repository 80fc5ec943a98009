"""Where data, models and caches live. Every location can be overridden by an environment variable."""

from __future__ import annotations

import os
from pathlib import Path

#: Repository root (the folder holding ``pyproject.toml``) when hybridlib runs from a checkout.
REPO_ROOT = Path(__file__).resolve().parent.parent

DATA_ENV = "HYBRIDLIB_DATA"
CACHE_ENV = "HYBRIDLIB_CACHE"


class DataFolderError(FileNotFoundError):
    """The dataset folder is missing or does not hold what hybridlib expects."""


def data_dir(path: str | os.PathLike | None = None) -> Path:
    """Resolve the dataset folder.

    Order: the explicit ``path``; ``$HYBRIDLIB_DATA``; ``../shared/data`` beside the checkout; the
    download folder ``<cache>/data`` (filled by ``hybridlib.download``).
    """
    candidates: list[tuple[str, Path]] = []
    if path is not None:
        candidates.append(("the path given", Path(path)))
    elif os.environ.get(DATA_ENV):
        candidates.append((f"${DATA_ENV}", Path(os.environ[DATA_ENV])))
    else:
        candidates.append(("../shared/data beside the checkout", REPO_ROOT.parent / "shared" / "data"))
        candidates.append(("the download folder", cache_dir() / "data"))
    for _, candidate in candidates:
        if candidate.is_dir():
            return candidate.resolve()
    tried = "; ".join(f"{how}: {where}" for how, where in candidates)
    raise DataFolderError(
        f"No dataset folder found (tried {tried}). Point ${DATA_ENV} or the `data_dir` parameter at a "
        "folder laid out like ../shared/data, or fetch the canonical files with "
        "`python -m hybridlib.download`."
    )


def cache_dir() -> Path:
    """Folder for converted models, embedding caches and downloads (``$HYBRIDLIB_CACHE``, default
    ``<repo>/.cache`` in a checkout, else ``~/.cache/hybridlib``)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    if (REPO_ROOT / "pyproject.toml").is_file():
        return REPO_ROOT / ".cache"
    return Path.home() / ".cache" / "hybridlib"
