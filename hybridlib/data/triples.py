"""(query, positive, negative) training triples in the mMARCO format, from the hub or a local file.

Paper-scale training mixes large triple sets such as mMARCO (``unicamp-dl/mmarco``, one config per
language, columns ``query``, ``positive``, ``negative``). Such a set becomes one more training set
next to the parallel QA pairs: monolingual pairs in its language, chosen per batch in proportion
to its size by the samplers. Locally the same format is read from TSV (``query<TAB>positive<TAB>
negative``, no header) or JSONL (objects with those three keys) files, which is also how it is tested
offline.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from hybridlib.data.files import DatasetFormatError

TRIPLE_COLUMNS = ("query", "positive", "negative")


def _pairs_frame(df: pd.DataFrame, language: str, name: str) -> pd.DataFrame:
    """Triples -> the pair-table layout of :mod:`hybridlib.pairs` (one row per query)."""
    out = pd.DataFrame(
        {
            "xid": [f"{name}/{i}" for i in range(len(df))],
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
    rows: list[tuple[str, str, str]] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if limit is not None and len(rows) >= limit:
                break
            line = line.rstrip("\n")
            if not line.strip():
                continue
            if path.suffix == ".jsonl":
                try:
                    obj = json.loads(line)
                    rows.append(tuple(str(obj[c]) for c in TRIPLE_COLUMNS))
                except (json.JSONDecodeError, KeyError, TypeError) as err:
                    raise DatasetFormatError(
                        f"{path}:{lineno}: expected a JSON object with keys {TRIPLE_COLUMNS} ({err})"
                    ) from None
            elif path.suffix == ".tsv":
                parts = line.split("\t")
                if len(parts) != 3:
                    raise DatasetFormatError(
                        f"{path}:{lineno}: expected 3 tab-separated fields (query, positive, negative), "
                        f"found {len(parts)}"
                    )
                rows.append((parts[0], parts[1], parts[2]))
            else:
                raise DatasetFormatError(f"{path}: unsupported triple file type; use .tsv or .jsonl")
    if not rows:
        raise DatasetFormatError(f"{path}: no triples found")
    return _pairs_frame(pd.DataFrame(rows, columns=list(TRIPLE_COLUMNS)), language, path.stem)


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
