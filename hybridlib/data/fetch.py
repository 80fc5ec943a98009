"""Fetching one pinned file: streamed to a temporary file, its sha256 checked against the published
prefix, renamed into place only after the check passed (:func:`hybridlib.io.atomic_path`), so a failed
or corrupt download leaves no file behind; :func:`manifest_entry` is what ``MANIFEST.json`` records.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from hybridlib.data.sources import RemoteFile
from hybridlib.io import atomic_path


class DownloadError(RuntimeError):
    """A file could not be fetched, or what was fetched is not what was expected."""


class ChecksumError(DownloadError):
    """A fetched file's sha256 does not start with the published prefix; nothing was written."""


def sha256_file(path: Path) -> str:
    """Full sha256 hex digest of a file on disk (read in 1 MiB chunks)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch_to(url: str, out: Path, desc: str, progress: bool) -> str:
    """Stream ``url`` into ``out``; return the sha256 hex digest."""
    h = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=120) as resp, open(out, "wb") as fh:
            total = resp.headers.get("Content-Length")
            with tqdm(
                total=int(total) if total else None,
                unit="B",
                unit_scale=True,
                desc=desc,
                disable=not progress,
                leave=False,
            ) as bar:
                for chunk in iter(lambda: resp.read(1 << 20), b""):
                    fh.write(chunk)
                    h.update(chunk)
                    bar.update(len(chunk))
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise DownloadError(f"could not fetch {url}: {err}") from err
    return h.hexdigest()


def check_prefix(digest: str, rf: RemoteFile, url: str) -> None:
    """ChecksumError unless ``digest`` starts with the published prefix of ``rf`` (if one is)."""
    if rf.sha256_prefix and not digest.startswith(rf.sha256_prefix):
        raise ChecksumError(
            f"{rf.dataset}/{rf.path} from {url}: sha256 {digest[:16]}… does not start with the expected "
            f"prefix {rf.sha256_prefix} ({rf.origin}); the file was not written"
        )


def download_file(rf: RemoteFile, folder: Path, url: str, progress: bool) -> dict[str, Any]:
    """Fetch ``rf`` from ``url`` into ``folder / rf.path`` if its checksum passes; its manifest entry."""
    final = folder / rf.path
    with atomic_path(final) as tmp:  # renamed onto `final` only if the check passes
        digest = fetch_to(url, tmp, f"{rf.dataset}/{rf.path}", progress)
        check_prefix(digest, rf, url)
    return manifest_entry(rf, url, digest, final.stat().st_size)


def manifest_entry(rf: RemoteFile, url: str, digest: str, size: int) -> dict[str, Any]:
    """What ``MANIFEST.json`` records of a fetched file: where from, its full sha256, how it was checked."""
    check = f"sha256 prefix verified ({rf.origin})" if rf.sha256_prefix else "none published; recorded"
    return {"url": rf.url, "fetched_from": url, "sha256": digest, "bytes": size, "checksum": check}
