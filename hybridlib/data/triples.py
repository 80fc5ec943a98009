"""(query, positive, negative) training triples in the mMARCO format, from the hub or a local file.

Paper-scale training mixes large triple sets such as mMARCO (``unicamp-dl/mmarco``, one config per
language, columns ``query``, ``positive``, ``negative``). Such a set becomes one more training set
next to the parallel QA pairs: monolingual pairs in its language, chosen per batch in proportion
to its size by the samplers. Locally the same format is read from TSV (``query<TAB>positive<TAB>
negative``, no header) or JSONL (objects with those three keys) files, which is also how it is tested
offline; a folder of such files, one per language, is a training set by path (:mod:`hybridlib.data.own`).

The no-false-negative key (``group``) joins every row sharing a query or a positive text with another
(MS MARCO repeats a query once per sampled negative, and some queries share a passage): the sampler
never puts two rows of one group in a batch, where one's positive would be the other's negative.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from hybridlib.data.files import DatasetFormatError
from hybridlib.dataset_names import TRIPLE_SUFFIXES

TRIPLE_COLUMNS = ("query", "positive", "negative")


def _groups(queries: list[str], positives: list[str]) -> list[int]:
    """Per row, the smallest row of its component when rows sharing a query or a positive are linked."""
    parent = list(range(len(queries)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for texts in (queries, positives):
        first: dict[str, int] = {}
        for i, text in enumerate(texts):
            a, b = find(i), find(first.setdefault(text, i))
            parent[max(a, b)] = min(a, b)
    return [find(i) for i in range(len(queries))]


def _pairs_frame(df: pd.DataFrame, language: str, name: str) -> pd.DataFrame:
    """Triples -> the pair-table layout of :mod:`hybridlib.pairs`: ``xid`` one per distinct query,
    ``group`` the sampler's key (module docstring)."""
    queries, positives = df["query"].astype(str).tolist(), df["positive"].astype(str).tolist()
    query_ids = pd.factorize(pd.Series(queries, dtype=object))[0]
    out = pd.DataFrame(
        {
            "xid": [f"{name}/{i}" for i in query_ids],
            "group": [f"{name}/{g}" for g in _groups(queries, positives)],
            "q_lang": language,
            "p_lang": language,
            "query": df["query"].astype(str).to_numpy(),
            "positive": df["positive"].astype(str).to_numpy(),
            "negative": df["negative"].astype(str).to_numpy(),
            "kind": "mono",
        }
    )
    return out


def read_triples_file(path: str | os.PathLike, *, language: str, limit: int | None = None) -> pd.DataFrame:
    """Read a local ``.tsv`` or ``.jsonl`` triple file into a pair table (see module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"triple file {path} does not exist")
    try:
        with path.open(encoding="utf-8") as fh:
            rows = _read_rows(path, fh, limit)
    except UnicodeDecodeError as err:
        raise DatasetFormatError(f"{path}: not valid UTF-8 ({err}); save it as UTF-8") from err
    if not rows:
        raise DatasetFormatError(f"{path}: no triples found (an empty file?)")
    return _pairs_frame(pd.DataFrame(rows, columns=list(TRIPLE_COLUMNS)), language, path.stem)


def _read_rows(path: Path, fh: Iterable[str], limit: int | None) -> list[tuple[str, ...]]:
    """The (query, positive, negative) rows of an open triple file; blank lines are skipped."""
    if path.suffix not in TRIPLE_SUFFIXES:
        raise DatasetFormatError(f"{path}: unsupported triple file type; use .tsv or .jsonl")
    rows: list[tuple[str, ...]] = []
    for lineno, line in enumerate(fh, 1):
        if limit is not None and len(rows) >= limit:
            break
        line = line.rstrip("\n").rstrip("\r")
        if not line.strip():
            continue
        if path.suffix == ".jsonl":
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as err:
                obj = f"not JSON ({err})"
            missing = [c for c in TRIPLE_COLUMNS if c not in obj] if isinstance(obj, dict) else None
            if missing is None or missing:
                problem = obj if isinstance(obj, str) else f"missing {missing}" if missing else "no object"
                raise DatasetFormatError(
                    f"{path}:{lineno}: expected a JSON object with keys {TRIPLE_COLUMNS}, {problem}; "
                    'write one object per line: {"query": ..., "positive": ..., "negative": ...}'
                )
            rows.append(tuple(str(obj[c]) for c in TRIPLE_COLUMNS))
        else:
            parts = line.split("\t")
            if len(parts) != 3:
                raise DatasetFormatError(
                    f"{path}:{lineno}: expected 3 tab-separated fields (query, positive, negative), "
                    f"found {len(parts)}; no header line, and no tab inside a text"
                )
            rows.append((parts[0], parts[1], parts[2]))
    return rows


def load_hub_triples(
    name: str = "unicamp-dl/mmarco",
    *,
    language: str,
    config: str | None = None,
    split: str = "train",
    limit: int | None = None,
) -> pd.DataFrame:
    """Stream triples from a hub dataset (needs a reachable hub; mMARCO configs are language names
    such as ``english``/``spanish``, pass them as ``config``)."""
    from datasets import load_dataset

    try:
        ds = load_dataset(name, config, split=split, streaming=True)
    except Exception as err:  # the hub raises many types; report one clear error
        raise ConnectionError(
            f"cannot load triples {name!r} (config {config!r}) from the hub: {err}. Offline, export "
            "them to a .tsv/.jsonl file and use read_triples_file()."
        ) from err
    rows = []
    for i, row in enumerate(ds):
        if limit is not None and i >= limit:
            break
        missing = [c for c in TRIPLE_COLUMNS if c not in row]
        if missing:
            raise DatasetFormatError(f"hub dataset {name!r} rows lack columns {missing}")
        rows.append(tuple(str(row[c]) for c in TRIPLE_COLUMNS))
    return _pairs_frame(pd.DataFrame(rows, columns=list(TRIPLE_COLUMNS)), language, name.split("/")[-1])
