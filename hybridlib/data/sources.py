"""Where every dataset file comes from: the pinned upstream files of ``sources.json`` (shipped with the
package) as :class:`RemoteFile` records.

Every file is pinned to an upstream commit (GitHub raw URLs ``raw.githubusercontent.com/<repo>/<commit>/
<path>``), so its content is fixed, and carries the checksum the download must match:

* The mirror's ``SOURCES.md`` tables publish only a **16-hex-character prefix** (64 bits) of each
  file's sha256; ``sources.json`` holds those prefixes. A prefix catches truncated, corrupted or swapped
  files; it is not a full cryptographic pin.
* XQuAD-R has no ``SOURCES.md`` in the mirror; its prefixes were computed from the mirror's copies
  (whose ``th.json`` was checked to be as long as the file at the pinned LAReQA commit).
* The official TyDi QA GoldP release publishes no checksum; its files are recorded with their full
  computed sha256 in the download's ``MANIFEST.json`` (:mod:`hybridlib.data.download`).

The table is data, not code, so that updating a pin is an edit of ``sources.json`` alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hybridlib.data.languages import to_iso1

#: ``{"datasets": {name: entry}}`` as read from ``sources.json`` (its ``about`` key documents the format).
SOURCES: dict[str, Any] = json.loads(Path(__file__).with_name("sources.json").read_text(encoding="utf-8"))[
    "datasets"
]
DATASETS: tuple[str, ...] = tuple(SOURCES)
#: Names a download also accepts: the parameter's name of a source whose folder is named otherwise
#: (``align_data: ntrex`` is read from the folder ``ntrex-128``, as NTREX-128 ships it).
ALIASES: dict[str, str] = {"ntrex": "ntrex-128"}


def canonical_dataset(name: str) -> str:
    """The :data:`DATASETS` name of ``name`` (an alias resolved); unknown names are returned as given."""
    return ALIASES.get(name, name)


#: Official TyDi QA GoldP v1.1 release (all languages in one SQuAD file per split).
TYDIQA_GOLDP_URL: str = SOURCES["tydiqa-goldp"]["url_template"]
#: Published TyDi QA GoldP v1.1 dev question counts, checked after splitting the official file.
TYDIQA_GOLDP_DEV_COUNTS: dict[str, int] = SOURCES["tydiqa-goldp"]["dev_question_counts"]


def github_raw(repo: str, commit: str, path: str) -> str:
    """Raw URL of ``path`` in GitHub repository ``repo`` at ``commit`` (pinned, so content is fixed)."""
    return f"https://raw.githubusercontent.com/{repo}/{commit}/{path}"


def pinned_url(dataset: str, source: str) -> str:
    """Raw URL of ``source`` (a path in the upstream repository) at the commit ``dataset`` is pinned to."""
    entry = SOURCES[dataset]
    return github_raw(entry["repo"], entry["commit"], source)


@dataclass(frozen=True)
class RemoteFile:
    """One upstream file and where it lands: ``<dest>/<dataset>/<path>``.

    ``sha256_prefix`` is the expected start of its sha256 (``None``: none published); ``origin`` says
    where that prefix comes from. ``language`` (hybridlib code) lets a download be limited to some
    languages; ``None`` marks files every download of the dataset gets (licences, READMEs).
    ``split_tydi`` marks the official TyDi QA file, which is split per language into ``<path>/<lang>.json``.
    """

    dataset: str
    path: str
    url: str
    sha256_prefix: str | None
    origin: str
    language: str | None = None
    split_tydi: bool = False


def remote_files(dataset: str) -> list[RemoteFile]:
    """Every upstream file of ``dataset`` (one of :data:`DATASETS`, or an alias), with its destination and
    checksum."""
    dataset = canonical_dataset(dataset)
    if dataset not in SOURCES:
        raise ValueError(f"unknown dataset {dataset!r}; valid names: {', '.join(DATASETS)}")
    entry = SOURCES[dataset]
    origin = entry["checksum_origin"]
    if "url_template" in entry:
        return [
            RemoteFile(
                dataset, split, entry["url_template"].format(split=split), None, origin, split_tydi=True
            )
            for split in entry["splits"]
        ]
    return [
        RemoteFile(
            dataset,
            f["path"],
            pinned_url(dataset, f["source"]),
            f["sha256_prefix"],
            origin,
            None if f["language"] is None else to_iso1(f["language"]),
        )
        for f in entry["files"]
    ]
