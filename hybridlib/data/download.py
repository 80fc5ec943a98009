"""Fetch the datasets from their canonical upstream locations into a folder laid out like ../shared/data.

For machines without the offline mirror: ``python -m hybridlib.download [--dest DIR] [datasets...]``
writes ``<dest>/<dataset>/...`` (default ``<cache>/data``, which :func:`hybridlib.config.data_dir`
falls back to when neither ``$HYBRIDLIB_DATA`` nor ``../shared/data`` exists), so the loaders in
:mod:`hybridlib.data.loaders` read the result unchanged.

Where the files come from and the checksums they must match: :mod:`hybridlib.data.sources` (the pins
live in ``sources.json``); fetching and checking one file: :mod:`hybridlib.data.fetch`; the official
TyDi QA release, split per language: :mod:`hybridlib.data.tydi_release`. Every fetched file's full
sha256 is written to ``<dest>/<dataset>/MANIFEST.json``, so a later run can tell whether files without
a published checksum changed.

``base_url`` (a mapping of URL prefixes to replacements, or a callable) redirects URLs, e.g. to
``file://`` copies; :func:`mirror_urls` builds that redirection from a folder laid out like the mirror.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from hybridlib.config import cache_dir
from hybridlib.data.fetch import DownloadError, download_file, sha256_file
from hybridlib.data.languages import to_iso1
from hybridlib.data.sources import DATASETS, RemoteFile, canonical_dataset, remote_files
from hybridlib.data.tydi_release import download_tydi_split, tydi_split_up_to_date
from hybridlib.io import write_json

PathLike = str | os.PathLike
UrlOverride = Mapping[str, str] | Callable[[str], str] | None

MANIFEST = "MANIFEST.json"


# --------------------------------------------------------------------------------------------------
# URL redirection


def resolve_url(url: str, base_url: UrlOverride = None) -> str:
    """Apply ``base_url``: a callable maps the URL; a mapping replaces its longest matching prefix."""
    if base_url is None:
        return url
    if callable(base_url):
        return base_url(url)
    for prefix in sorted(base_url, key=len, reverse=True):
        if url.startswith(prefix):
            return base_url[prefix] + url[len(prefix) :]
    return url


def mirror_urls(folder: PathLike) -> Callable[[str], str]:
    """A ``base_url`` that serves every pinned file from ``folder`` (laid out like ../shared/data).

    Why: users with the mirror on a shared drive (and tests, which have no network) get the same
    checked, atomic download path. The official TyDi QA files are looked up as
    ``<folder>/tydiqa-goldp/tydiqa-goldp-v1.1-{split}.json``. An URL with no local copy raises.
    """
    root = Path(folder).resolve()
    table: dict[str, Path] = {}
    for dataset in DATASETS:
        for rf in remote_files(dataset):
            name = rf.url.rsplit("/", 1)[1] if rf.split_tydi else rf.path
            table[rf.url] = root / dataset / name

    def redirect(url: str) -> str:
        if url not in table:
            raise DownloadError(f"{url} has no copy in the mirror folder {root}")
        return table[url].as_uri()

    return redirect


# --------------------------------------------------------------------------------------------------
# downloading


def _read_manifest(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("files", {})
    except (OSError, ValueError):
        return {}


def _up_to_date(rf: RemoteFile, folder: Path, manifest: dict[str, Any], wanted: set[str] | None) -> bool:
    """Whether ``rf`` is already in place with the expected (or previously recorded) checksum."""
    path = folder / rf.path
    if rf.split_tydi:
        return tydi_split_up_to_date(rf, folder, manifest, wanted)
    if not path.is_file():
        return False
    digest = sha256_file(path)
    if rf.sha256_prefix:
        return digest.startswith(rf.sha256_prefix)
    return manifest.get(rf.path, {}).get("sha256") == digest


def download(
    datasets: Sequence[str] | None = None,
    dest: PathLike | None = None,
    *,
    languages: Sequence[str] | None = None,
    base_url: UrlOverride = None,
    force: bool = False,
    progress: bool = True,
) -> Path:
    """Download ``datasets`` (default: all of :data:`DATASETS`) into ``dest`` (default ``<cache>/data``).

    ``languages`` (ISO 639-1 or 639-3 codes) limits the per-language files; licence and README files
    always come. Files already present with the right checksum are skipped unless ``force``. Returns
    the destination root, ready for ``data_dir=`` or ``$HYBRIDLIB_DATA``. Raises :class:`ChecksumError`
    (nothing written for that file) or :class:`DownloadError`.
    """
    names = [canonical_dataset(x) for x in (DATASETS if not datasets else datasets)]
    for name in names:
        if name not in DATASETS:
            raise ValueError(f"unknown dataset {name!r}; valid names: {', '.join(DATASETS)}")
    root = Path(dest) if dest is not None else cache_dir() / "data"
    wanted = None if languages is None else {to_iso1(x) for x in languages}
    plan = {name: [rf for rf in remote_files(name) if _selected(rf, wanted)] for name in names}
    if wanted is not None:
        offered = {rf.language for files in plan.values() for rf in files if rf.language}
        unknown = sorted(wanted - offered - {"en"})
        if unknown:
            raise ValueError(f"language(s) {', '.join(unknown)} not offered by {', '.join(names)}")
    for name, files in plan.items():
        folder = root / name
        manifest = _read_manifest(folder)
        try:
            for rf in tqdm(files, desc=name, unit="file", disable=not progress):
                url = resolve_url(rf.url, base_url)
                if not force and _up_to_date(rf, folder, manifest, wanted):
                    continue
                if rf.split_tydi:
                    manifest.update(download_tydi_split(rf, folder, url, wanted, progress))
                else:
                    manifest[rf.path] = download_file(rf, folder, url, progress)
        finally:
            if manifest:
                write_json(folder / MANIFEST, {"dataset": name, "files": dict(sorted(manifest.items()))})
    return root


def _selected(rf: RemoteFile, wanted: set[str] | None) -> bool:
    if wanted is None or rf.language is None or rf.split_tydi:
        return True
    return rf.language in wanted


# --------------------------------------------------------------------------------------------------
# CLI


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m hybridlib.download [--dest DIR] [--languages ...] [datasets...]``."""
    parser = argparse.ArgumentParser(
        prog="python -m hybridlib.download",
        description="Fetch hybridlib's datasets from their pinned upstream URLs, checksum-verified, into a "
        "folder laid out like ../shared/data.",
    )
    parser.add_argument(
        "datasets", nargs="*", help=f"datasets to fetch (default: all of {', '.join(DATASETS)})"
    )
    parser.add_argument("--dest", help="destination folder (default: <cache>/data, found by the loaders)")
    parser.add_argument("--languages", nargs="+", help="only these languages' files (ISO 639-1 or 639-3)")
    parser.add_argument("--mirror", help="copy from a local folder laid out like ../shared/data instead")
    parser.add_argument("--force", action="store_true", help="fetch again even if a file checks out")
    parser.add_argument("--list", action="store_true", help="print the pinned URLs and exit")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    try:
        if args.list:
            for name in args.datasets or DATASETS:
                for rf in remote_files(name):
                    print(f"{rf.dataset}/{rf.path}\t{rf.sha256_prefix or '-'}\t{rf.url}")
            return 0
        root = download(
            args.datasets or None,
            args.dest,
            languages=args.languages,
            base_url=mirror_urls(args.mirror) if args.mirror else None,
            force=args.force,
            progress=not args.quiet,
        )
    except (DownloadError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"done: {root}")
    if args.dest:
        print(f"point the loaders at it: export HYBRIDLIB_DATA={Path(root).resolve()}")
    return 0
