"""The official TyDi QA GoldP release, one SQuAD file per split with every language in it: fetched,
checked against the published dev question counts, and split per language (``<split>/<lang>.json``,
the layout :mod:`hybridlib.data.tydi` reads). The release publishes no checksum, so the official file
and every split-off language file are recorded with their full sha256 in ``MANIFEST.json``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hybridlib.data.fetch import DownloadError, fetch_to, manifest_entry, sha256_file
from hybridlib.data.languages import TYDI_ID_PREFIXES
from hybridlib.data.sources import TYDIQA_GOLDP_DEV_COUNTS, RemoteFile
from hybridlib.io import write_text


def split_tydi(obj: dict[str, Any], languages: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """Split an official TyDi QA GoldP SQuAD object per language by question-id prefix (``"arabic-…"``).

    Each language keeps the SQuAD nesting (articles → paragraphs → qas) that :mod:`hybridlib.data.tydi`
    reads; paragraphs are copied with only that language's questions. Top-level keys other than
    ``data`` (e.g. ``version``) are kept.
    """
    wanted = None if languages is None else set(languages)
    out: dict[str, dict[str, Any]] = {}
    extra = {k: v for k, v in obj.items() if k != "data"}
    for a, article in enumerate(obj.get("data", [])):
        per_lang: dict[str, list[dict[str, Any]]] = {}
        for para in article.get("paragraphs", []):
            groups: dict[str, list[Any]] = {}
            for qa in para.get("qas", []):
                prefix = str(qa.get("id", "")).split("-", 1)[0]
                if prefix not in TYDI_ID_PREFIXES:
                    raise DownloadError(
                        f"TyDi QA article {a}: question id {qa.get('id')!r} has no language prefix"
                    )
                groups.setdefault(TYDI_ID_PREFIXES[prefix], []).append(qa)
            for lang, qas in groups.items():
                per_lang.setdefault(lang, []).append({**para, "qas": qas})
        for lang, paras in per_lang.items():
            if wanted is None or lang in wanted:
                out.setdefault(lang, {"data": [], **extra})["data"].append({**article, "paragraphs": paras})
    return dict(sorted(out.items()))


def download_tydi_split(
    rf: RemoteFile, folder: Path, url: str, languages: set[str] | None, progress: bool
) -> dict[str, dict[str, Any]]:
    """Fetch one official split, check it, write ``<split>/<lang>.json`` atomically; manifest entries."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{rf.path}-official.", suffix=".tmp", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        digest = fetch_to(url, tmp, f"{rf.dataset}/{rf.path}", progress)
        size = tmp.stat().st_size
        try:
            obj = json.loads(tmp.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise DownloadError(f"{url}: not valid UTF-8 JSON ({err})") from err
    finally:
        tmp.unlink(missing_ok=True)
    parts = split_tydi(obj)
    if rf.path == "dev":
        counts = {k: sum(len(p["qas"]) for a in v["data"] for p in a["paragraphs"]) for k, v in parts.items()}
        if counts != TYDIQA_GOLDP_DEV_COUNTS:
            raise DownloadError(
                f"{url}: per-language question counts {counts} differ from the published "
                f"TyDi QA GoldP v1.1 dev counts {TYDIQA_GOLDP_DEV_COUNTS}"
            )
    entries = {tydi_official_key(rf): {**manifest_entry(rf, url, digest, size), "languages": list(parts)}}
    for lang, part in parts.items():
        if languages is not None and lang not in languages:
            continue
        path = folder / rf.path / f"{lang}.json"
        write_text(path, json.dumps(part, ensure_ascii=False))
        entries[f"{rf.path}/{lang}.json"] = {
            "derived_from": rf.url,
            "sha256": sha256_file(path),
            "bytes": path.stat().st_size,
            "checksum": "split from the official file by question-id prefix; recorded",
        }
    return entries


def tydi_split_up_to_date(
    rf: RemoteFile, folder: Path, manifest: dict[str, Any], wanted: set[str] | None
) -> bool:
    """The official TyDi split was fetched before and each wanted language file is still as recorded."""
    official = manifest.get(tydi_official_key(rf), {})
    if official.get("url") != rf.url:
        return False
    langs = [x for x in official.get("languages", []) if wanted is None or x in wanted]
    parts = [f"{rf.path}/{x}.json" for x in langs]
    return bool(parts) and all(
        k in manifest and (folder / k).is_file() and sha256_file(folder / k) == manifest[k].get("sha256")
        for k in parts
    )


def tydi_official_key(rf: RemoteFile) -> str:
    """The ``MANIFEST.json`` key of the official file a split was cut from."""
    return f"{rf.path}/(official {rf.url.rsplit('/', 1)[-1]})"
