"""Fetch the datasets from their canonical upstream locations into a folder laid out like ../shared/data.

For machines without the offline mirror: ``python -m hybridlib.download [--dest DIR] [datasets...]``
writes ``<dest>/<dataset>/...`` (default ``<cache>/data``, which :func:`hybridlib.config.data_dir`
falls back to when neither ``$HYBRIDLIB_DATA`` nor ``../shared/data`` exists), so the loaders in
:mod:`hybridlib.data.loaders` read the result unchanged.

Every file is pinned to an upstream commit (GitHub raw URLs ``raw.githubusercontent.com/<repo>/<commit>/
<path>``) and checked before it lands:

* The mirror's ``SOURCES.md`` tables publish only a **16-hex-character prefix** (64 bits) of each
  file's sha256; those prefixes are embedded here and the download must start with it. A prefix
  catches truncated, corrupted or swapped files; it is not a full cryptographic pin.
* XQuAD-R has no ``SOURCES.md`` in the mirror; its prefixes were computed from the mirror's copies
  (whose ``th.json`` was checked to be as long as the file at the pinned LAReQA commit).
* Files with no published checksum (the official TyDi QA GoldP release) are recorded with their full
  computed sha256 in ``<dest>/<dataset>/MANIFEST.json`` (as is every other file), so a later run can
  tell whether they changed.

A download goes to a temporary file beside its destination and is renamed into place only after the
check passed (:func:`hybridlib.io.atomic_path`): a failed or corrupt download leaves no file behind.
``base_url`` (a mapping of URL prefixes to replacements, or a callable) redirects URLs, e.g. to
``file://`` copies; :func:`mirror_urls` builds that redirection from a folder laid out like the mirror.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from hybridlib.config import cache_dir
from hybridlib.data.languages import TYDI_ID_PREFIXES, to_iso1
from hybridlib.io import atomic_path, write_json, write_text

PathLike = str | os.PathLike
UrlOverride = Mapping[str, str] | Callable[[str], str] | None

LAREQA_REPO = "google-research-datasets/lareqa"
#: XQuAD-R was added to LAReQA in this commit and is unchanged up to the current HEAD.
XQUAD_R_COMMIT = "5405d2a77e83d5ccb47623a3f9e5604c3f103193"
#: MLQA-R lives only in LAReQA's history: added in 5405d2a7 (as mlqa-dev-r/), renamed here, removed later.
MLQA_R_COMMIT = "354d67d1cd066854cdfbf5ad0e6105528976141d"
LASER_REPO = "facebookresearch/LASER"
LASER_COMMIT = "74bc6ae7ffb7cba670fe0f428d0ede9f666fb821"
#: Third-party re-upload of the XOR-TyDi release files (see xor-tydi/SOURCES.md).
XOR_TYDI_REPO = "grt812/lcm-cross-lingual-question-answering"
XOR_TYDI_COMMIT = "360ad33f0bd9e79b669029f1ca011bfa98089a68"
NTREX_REPO = "MicrosoftTranslator/NTREX"
NTREX_COMMIT = "8561f6a622db9edad1217683e5c83daefd8bb2bf"
#: Official TyDi QA GoldP v1.1 release (all languages in one SQuAD file per split).
TYDIQA_GOLDP_URL = "https://storage.googleapis.com/tydiqa/v1.1/tydiqa-goldp-v1.1-{split}.json"
#: Published TyDi QA GoldP v1.1 dev question counts, checked after splitting the official file.
TYDIQA_GOLDP_DEV_COUNTS: dict[str, int] = {
    "ar": 921, "bn": 113, "en": 440, "fi": 782, "id": 565, "ko": 276, "ru": 812, "sw": 499, "te": 669,
}  # fmt: skip

DATASETS: tuple[str, ...] = ("xquad-r", "mlqa-r", "tydiqa-goldp", "tatoeba", "xor-tydi", "ntrex-128")
MANIFEST = "MANIFEST.json"


class DownloadError(RuntimeError):
    """A file could not be fetched, or what was fetched is not what was expected."""


class ChecksumError(DownloadError):
    """A fetched file's sha256 does not start with the published prefix; nothing was written."""


def github_raw(repo: str, commit: str, path: str) -> str:
    """Raw URL of ``path`` in GitHub repository ``repo`` at ``commit`` (pinned, so content is fixed)."""
    return f"https://raw.githubusercontent.com/{repo}/{commit}/{path}"


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


# --------------------------------------------------------------------------------------------------
# pinned files and their published sha256 prefixes (from the mirror's SOURCES.md tables)

_TATOEBA_README_SHA = "5fbce42e75e8f220"
_TATOEBA_SHA: dict[str, tuple[str, str]] = {  # 639-3 code: (XXX side, eng side)
    "afr": ("7bb9e073ad8422d6", "0b700c125efb4030"), "amh": ("ffd4b09d5d677313", "37fe0d20ece58309"),
    "ang": ("f489d684ff088a0d", "b5c9ac7e664dd2b0"), "ara": ("e67a0ae072b79cd9", "3c11838c963f598a"),
    "arq": ("cf0b5fc39a19e328", "207118ea873a5149"), "arz": ("49e2a2a33eda3b0f", "08b5b66d6b0f7657"),
    "ast": ("6e2106cdff0105dc", "a2ee8eefb796fae9"), "awa": ("c9c7fcb5a3f2efec", "d9898a996db3edd7"),
    "aze": ("b0daccaaebeaa60a", "7c428a247940252d"), "bel": ("f474ca1836859780", "e34d5dffdc15cb27"),
    "ben": ("ac3385695d6a6c7e", "67fbe75fec549d43"), "ber": ("cfa3f8751c0944ab", "70d5d8d83c199592"),
    "bos": ("66f1cf9d09259841", "cabfe870a406cad3"), "bre": ("1d7f931af5e47f7a", "41979358a546813c"),
    "bul": ("f9fa90cf3599d8c8", "4b03b3b52ffb7cf4"), "cat": ("512c42703dc6ff6c", "84cce1bb2e1feb81"),
    "cbk": ("912143ae56184420", "ef6d617bd806906d"), "ceb": ("767be046e4361601", "655d1001266ac56d"),
    "ces": ("0ca1f07a72f547df", "ac195f54f697faaa"), "cha": ("235129c1e28ae24d", "0e5d75335a30f858"),
    "cmn": ("965d033966fcd186", "29ba36232488f580"), "cor": ("ffbbe24eabf47eb2", "8375121e5b98cbe8"),
    "csb": ("65348b9235480a70", "89260657ab4b2249"), "cym": ("9b39ea9bd8088c76", "6b78a8e6537e177e"),
    "dan": ("8d8b3c0d8156532c", "5fee23e7bf548810"), "deu": ("edfa6f75a42554df", "eb9cc83a42f2c4b2"),
    "dsb": ("cb328fa5948d7d93", "3aa1d341d875496f"), "dtp": ("d61a4559f6a0d251", "1ada19a5e424e334"),
    "ell": ("4fb3d3d30bdafd15", "1f630710e718e2f8"), "epo": ("a0f49a8402248a23", "f446c78b332c9c78"),
    "est": ("94856999ef35e535", "bb033b1059617845"), "eus": ("4255fb70a6c268b0", "1e80f0174ad54469"),
    "fao": ("299abb1658b865ae", "5481a99b039b43ca"), "fin": ("8db3c734f755d578", "322e610359f4d248"),
    "fra": ("644172ff9642fefa", "5634220f8a26a9a2"), "fry": ("2fc95443e777f6a8", "222ef1b50e42d6bc"),
    "gla": ("58a3647950c07f90", "248f651a1c1717d4"), "gle": ("d5f33fb7a98aa616", "da1952830c7d7d89"),
    "glg": ("b165fd7ca2534338", "509066bbb1631f8a"), "gsw": ("6007a6e277321ea9", "dafa199e25bfbc0f"),
    "heb": ("4a07ca4b8a6fb7ab", "73c27ed0f76c1d2d"), "hin": ("15e4fb0a394be443", "adfce2269a55dbac"),
    "hrv": ("be6bb15973e3c8eb", "e937275feb381479"), "hsb": ("05ddb2c8866c5109", "9bc9399674d90125"),
    "hun": ("56bd0682be8c1db6", "5323266e91ddee67"), "hye": ("5030d8ad769e6fd1", "f95ae935c26ab7ab"),
    "ido": ("6751b92a655f6324", "d16dc2e53deeaa0f"), "ile": ("a5e4f9304110c7b9", "5743127146b2cc8b"),
    "ina": ("f4f5952c0b009daf", "a71b750144c5a6e6"), "ind": ("4f03cd70cba071f7", "62a3f5127b60eb35"),
    "isl": ("fd0ba00d801bc40b", "3e12960758a3892f"), "ita": ("9b3f369d0ed92273", "738bf8f981e42d28"),
    "jav": ("ad88399db8f94c2a", "172776353690f6c0"), "jpn": ("56040bd6949170a6", "b42129b34e1bf225"),
    "kab": ("a912470ad96c8361", "f4e9d9e6d6e3eba1"), "kat": ("6ef69b5efbf35559", "d70a14aa64fd7c6b"),
    "kaz": ("f20c682582a80b6a", "0ab684e7032c6520"), "khm": ("45c41f8ea2f5ef38", "fea8fabec2641063"),
    "kor": ("e550c84184ec35b1", "f900cf3c9b72ed5a"), "kur": ("478b0fd516eb779a", "7cec4358a4efaa87"),
    "kzj": ("94eaec42d55cdd0e", "23d41e6211b283f4"), "lat": ("dc8bf14fe0dbe88b", "5d9982f67de2c230"),
    "lfn": ("df11cbb84fc0c7da", "de3b206d5dc1e207"), "lit": ("1fa3d054d66dae6f", "5dfc3ef9437f0a84"),
    "lvs": ("04032a8c22640a77", "c380ec2f70065ff3"), "mal": ("1a896f54f85a454f", "4d80cdbb844cd4e3"),
    "mar": ("b2931584fbe62062", "709d09b697dca053"), "max": ("1b76deb555867c7f", "7b8ca880b1b9920a"),
    "mhr": ("a882b273da472c4a", "ee054454943169b7"), "mkd": ("8dde3dc54e5bfda5", "0f6275c29c993ab1"),
    "mon": ("559722662c36ba75", "f8a75164467fec93"), "nds": ("87742c2dd6dc1761", "5c34dfa60d159f39"),
    "nld": ("d564d4ce1c621cca", "3b8836749df573a5"), "nno": ("5a1c185fe5e56264", "30a795ce448d6a18"),
    "nob": ("0b67d741b2af3589", "deedb3cebc89b59c"), "nov": ("8877783074fea036", "7f3a5abd333843b8"),
    "oci": ("2b21da72dbe09a64", "a8b7e855fbcee467"), "orv": ("f2e50ada1fcdacfd", "7ebde69cccbf1b69"),
    "pam": ("1e518a5ce369d9d5", "40b46cdce45d38d8"), "pes": ("f1553713723491fe", "b5c6cf8c8d93ff8f"),
    "pms": ("78313c26a46876ec", "e9e88117fda8c06e"), "pol": ("93e1378a66dfc83f", "d21cca6c6c28a9df"),
    "por": ("b0c926a232c9889a", "deb4568cfb7b7cbb"), "ron": ("ad5c4a9f49207182", "1064c638220dc9de"),
    "rus": ("446ff2cae66053c2", "7b26f52d6085b7c4"), "slk": ("7f8c6a3b47f44f03", "3f2639abbbd80ccd"),
    "slv": ("d5da94df8c2dc15c", "2acd8423aab2b78e"), "spa": ("f9628cea40481e82", "89e4470f4572040b"),
    "sqi": ("8c21a43c42534799", "3c6bb4206f56e072"), "srp": ("cf94fd118b84a967", "1ca4b0be067cdb87"),
    "swe": ("9b2a15609f8c35b0", "50fdff247854beaa"), "swg": ("145d8b70802f68bb", "d7390e0640b1b1fd"),
    "swh": ("1c672915446c336c", "e8539647caff9e32"), "tam": ("bde87fb1ddedccf6", "e7c5106acdd10021"),
    "tat": ("26bd52530c114483", "8c74036c1d7095e8"), "tel": ("7e1a1bcd106cce65", "1efc2ef57d9b1ece"),
    "tgl": ("f99165dc05190b99", "e7c9beda3f3072a9"), "tha": ("65c7b3c01a56a1ac", "2881c82d2c5fa59c"),
    "tuk": ("de146697aea59ae3", "e9050787bd9d3612"), "tur": ("1ffa0acc006018b3", "a768df7dd3d1344f"),
    "tzl": ("543d203fc3ab62b3", "66cdcc2566954314"), "uig": ("0d69dc4f7bea3b1f", "186b73449aca11da"),
    "ukr": ("7d11ce1654600e3a", "f0df48c6911ca71b"), "urd": ("2efc22dc61885a94", "dab35fda3f73b3fd"),
    "uzb": ("553247158454078f", "2517369841286e4c"), "vie": ("6dbb02d778b0bfc8", "a1f60bd8ae6c4222"),
    "war": ("3349a3c8c229b7e0", "6e377e03ee293242"), "wuu": ("72b3261f8acdcd6d", "576cbe9a76445f06"),
    "xho": ("a98016214a4ecff2", "88bc39204f332b48"), "yid": ("cfbf9d77cb47278e", "d6c5c87e0a3d9b31"),
    "yue": ("09c6fb4a35e25bb6", "a96000ddf71d3717"), "zsm": ("d722747706934536", "ff0d1e56b9a19030"),
}  # fmt: skip

_XQUAD_R_SHA: dict[str, str] = {
    "ar": "c52922d3b8ac1ae0",
    "de": "16fb0f4bf4916154",
    "el": "163fd43ee785a30e",
    "en": "7b0954f39297c27a",
    "es": "f8e836b2d91009c4",
    "hi": "ea45ba8ae4513d15",
    "ru": "7f4dff853538b9a5",
    "th": "c3a041864c3a9fb0",
    "tr": "f3e8c13002bbce15",
    "vi": "e35926bf5cc6fc6e",
    "zh": "80c2cde7b9c2fb13",
}

_MLQA_R_FILES: tuple[tuple[str, str, str], ...] = (
    ("LICENSE", "mlqa-r/LICENSE", "336255dc30193e8e"),
    ("ar.json", "mlqa-r/ar.json", "2132fbc03208535c"),
    ("de.json", "mlqa-r/de.json", "ce9454dc5aa6f2d8"),
    ("en.json", "mlqa-r/en.json", "fedd9a5cc0848dda"),
    ("es.json", "mlqa-r/es.json", "70ecba276b8c96a6"),
    ("hi.json", "mlqa-r/hi.json", "4dd0fb3c06f737a5"),
    ("vi.json", "mlqa-r/vi.json", "9d3baff6ba03e679"),
    ("zh.json", "mlqa-r/zh.json", "57f01d2fff50cf33"),
)
_XOR_TYDI_FILES: tuple[tuple[str, str, str], ...] = (
    ("xor_dev_retrieve_eng_span_v1_1.jsonl", "xor_dev_retrieve_eng_span_v1_1.jsonl", "cfe569e4c6d3539c"),
    ("xor_train_retrieve_eng_span.jsonl", "xor_train_retrieve_eng_span.jsonl", "f0c8202eebcef9fc"),
    ("trans_data/ru-en/en.txt", "ru-en/en.txt", "dee0e34cd02d5bb8"),
    ("trans_data/ru-en/ru.txt", "ru-en/ru.txt", "d5c7b4e470a6bc4e"),
    ("trans_data/bn-en/bn.txt", "bn-en/bn.txt", "402137d5f373544c"),
    ("trans_data/bn-en/en.txt", "bn-en/en.txt", "ceab0a742c43b4cf"),
    ("trans_data/fi-en/en.txt", "fi-en/en.txt", "fb49be3335380433"),
    ("trans_data/fi-en/fi.txt", "fi-en/fi.txt", "fb3499cbbcb54556"),
    ("trans_data/ar-en/ar.txt", "ar-en/ar.txt", "e40076c364e26a3d"),
    ("trans_data/ar-en/en.txt", "ar-en/en.txt", "341538db1da48943"),
    ("trans_data/ja-en/en.txt", "ja-en/en.txt", "5e2818f3c52348eb"),
    ("trans_data/ja-en/ja.txt", "ja-en/ja.txt", "7ead92af7652802f"),
    ("trans_data/ko-en/en.txt", "ko-en/en.txt", "402a5134d21f80c8"),
    ("trans_data/ko-en/ko.txt", "ko-en/ko.txt", "3c7fd814a236433d"),
    ("trans_data/te-en/en.txt", "te-en/en.txt", "3aada00886d159c9"),
    ("trans_data/te-en/te.txt", "te-en/te.txt", "ed225f55d5a10d6b"),
)
_NTREX_FILES: tuple[tuple[str, str, str], ...] = (
    ("LANGUAGES.tsv", "LANGUAGES.tsv", "06b295e71976aa7a"),
    ("LICENSE.md", "LICENSE.md", "5e436ff8ffbb77d8"),
    ("newstest2019-ref.arb.txt", "NTREX-128/newstest2019-ref.arb.txt", "d271c8645933421f"),
    ("newstest2019-ref.ben.txt", "NTREX-128/newstest2019-ref.ben.txt", "7fae73a2d1d24fdc"),
    ("newstest2019-ref.deu.txt", "NTREX-128/newstest2019-ref.deu.txt", "259d7406a07b63e6"),
    ("newstest2019-ref.ell.txt", "NTREX-128/newstest2019-ref.ell.txt", "cd9c8eda1b54f4b5"),
    ("newstest2019-ref.eng-US.txt", "NTREX-128/newstest2019-ref.eng-US.txt", "a163045804ddb5e9"),
    ("newstest2019-ref.fin.txt", "NTREX-128/newstest2019-ref.fin.txt", "81582e84f53af188"),
    ("newstest2019-ref.hin.txt", "NTREX-128/newstest2019-ref.hin.txt", "10d612b3960dc1f9"),
    ("newstest2019-ref.ind.txt", "NTREX-128/newstest2019-ref.ind.txt", "a28ea049cc73a704"),
    ("newstest2019-ref.jpn.txt", "NTREX-128/newstest2019-ref.jpn.txt", "4debd275d04414b7"),
    ("newstest2019-ref.kor.txt", "NTREX-128/newstest2019-ref.kor.txt", "2b50fa9a121b595a"),
    ("newstest2019-ref.ron.txt", "NTREX-128/newstest2019-ref.ron.txt", "ad8f396735ffe78f"),
    ("newstest2019-ref.rus.txt", "NTREX-128/newstest2019-ref.rus.txt", "a7e3601298b03686"),
    ("newstest2019-ref.spa.txt", "NTREX-128/newstest2019-ref.spa.txt", "0ad8129e5ce0bea8"),
    ("newstest2019-ref.swa.txt", "NTREX-128/newstest2019-ref.swa.txt", "076cec7296ec0d45"),
    ("newstest2019-ref.tel.txt", "NTREX-128/newstest2019-ref.tel.txt", "c719e216f47b4497"),
    ("newstest2019-ref.tha.txt", "NTREX-128/newstest2019-ref.tha.txt", "45a57c4f9fdbae28"),
    ("newstest2019-ref.tur.txt", "NTREX-128/newstest2019-ref.tur.txt", "bd0c3978cb7d283e"),
    ("newstest2019-ref.vie.txt", "NTREX-128/newstest2019-ref.vie.txt", "dd5d16cf246da57f"),
    ("newstest2019-ref.zho-CN.txt", "NTREX-128/newstest2019-ref.zho-CN.txt", "8bcd6f0868d33f26"),
    ("newstest2019-src.eng.txt", "NTREX-128/newstest2019-src.eng.txt", "389e8f5796c66db4"),
)


def remote_files(dataset: str) -> list[RemoteFile]:
    """Every upstream file of ``dataset`` (one of :data:`DATASETS`), with its destination and checksum."""
    if dataset == "xquad-r":
        return [
            RemoteFile(
                dataset,
                f"{x}.json",
                github_raw(LAREQA_REPO, XQUAD_R_COMMIT, f"xquad-r/{x}.json"),
                sha,
                "mirror",
                x,
            )
            for x, sha in _XQUAD_R_SHA.items()
        ]
    if dataset == "mlqa-r":
        return [
            RemoteFile(
                dataset,
                staged,
                github_raw(LAREQA_REPO, MLQA_R_COMMIT, src),
                sha,
                "SOURCES.md",
                staged[: -len(".json")] if staged.endswith(".json") else None,
            )
            for staged, src, sha in _MLQA_R_FILES
        ]
    if dataset == "tydiqa-goldp":
        return [
            RemoteFile(
                dataset, split, TYDIQA_GOLDP_URL.format(split=split), None, "none published", split_tydi=True
            )
            for split in ("dev", "train")
        ]
    if dataset == "tatoeba":
        base = "data/tatoeba/v1"
        files = [
            RemoteFile(
                dataset,
                "README.upstream.md",
                github_raw(LASER_REPO, LASER_COMMIT, f"{base}/README.md"),
                _TATOEBA_README_SHA,
                "SOURCES.md",
            )
        ]
        for iso3, (sha_x, sha_en) in _TATOEBA_SHA.items():
            for side, sha in ((iso3, sha_x), ("eng", sha_en)):
                name = f"tatoeba.{iso3}-eng.{side}"
                url = github_raw(LASER_REPO, LASER_COMMIT, f"{base}/{name}")
                files.append(RemoteFile(dataset, name, url, sha, "SOURCES.md", to_iso1(iso3)))
        return files
    if dataset == "xor-tydi":
        files = []
        for staged, src, sha in _XOR_TYDI_FILES:
            lang = staged.split("/")[1].split("-")[0] if staged.startswith("trans_data/") else None
            url = github_raw(XOR_TYDI_REPO, XOR_TYDI_COMMIT, src)
            files.append(RemoteFile(dataset, staged, url, sha, "SOURCES.md", lang))
        return files
    if dataset == "ntrex-128":
        files = []
        for staged, src, sha in _NTREX_FILES:
            code = staged.split(".")[1].split("-")[0] if staged.startswith("newstest") else "eng"
            lang = None if code == "eng" else to_iso1(code)  # the English source comes with every ref
            url = github_raw(NTREX_REPO, NTREX_COMMIT, src)
            files.append(RemoteFile(dataset, staged, url, sha, "SOURCES.md", lang))
        return files
    raise ValueError(f"unknown dataset {dataset!r}; valid names: {', '.join(DATASETS)}")


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
# fetching


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fetch_to(url: str, out: Path, desc: str, progress: bool) -> str:
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


def _check(digest: str, rf: RemoteFile, url: str) -> None:
    if rf.sha256_prefix and not digest.startswith(rf.sha256_prefix):
        raise ChecksumError(
            f"{rf.dataset}/{rf.path} from {url}: sha256 {digest[:16]}… does not start with the expected "
            f"prefix {rf.sha256_prefix} ({rf.origin}); the file was not written"
        )


def _download_file(rf: RemoteFile, folder: Path, url: str, progress: bool) -> dict[str, Any]:
    final = folder / rf.path
    with atomic_path(final) as tmp:  # renamed onto `final` only if the check passes
        digest = _fetch_to(url, tmp, f"{rf.dataset}/{rf.path}", progress)
        _check(digest, rf, url)
    return _record(rf, url, digest, final.stat().st_size)


def _record(rf: RemoteFile, url: str, digest: str, size: int) -> dict[str, Any]:
    check = f"sha256 prefix verified ({rf.origin})" if rf.sha256_prefix else "none published; recorded"
    return {"url": rf.url, "fetched_from": url, "sha256": digest, "bytes": size, "checksum": check}


def split_tydi(obj: dict[str, Any], languages: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """Split an official TyDi QA GoldP SQuAD object per language by question-id prefix (``"arabic-…"``).

    Each language keeps the SQuAD nesting (articles → paragraphs → qas) that :mod:`hybridlib.data.loaders`
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


def _download_tydi(
    rf: RemoteFile, folder: Path, url: str, languages: set[str] | None, progress: bool
) -> dict[str, dict[str, Any]]:
    """Fetch one official split, check it, write ``<split>/<lang>.json`` atomically; manifest entries."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{rf.path}-official.", suffix=".tmp", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        digest = _fetch_to(url, tmp, f"{rf.dataset}/{rf.path}", progress)
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
    entries = {_tydi_official_key(rf): {**_record(rf, url, digest, size), "languages": list(parts)}}
    for lang, part in parts.items():
        if languages is not None and lang not in languages:
            continue
        path = folder / rf.path / f"{lang}.json"
        write_text(path, json.dumps(part, ensure_ascii=False))
        entries[f"{rf.path}/{lang}.json"] = {
            "derived_from": rf.url,
            "sha256": _sha256_file(path),
            "bytes": path.stat().st_size,
            "checksum": "split from the official file by question-id prefix; recorded",
        }
    return entries


def _read_manifest(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("files", {})
    except (OSError, ValueError):
        return {}


def _up_to_date(rf: RemoteFile, folder: Path, manifest: dict[str, Any], wanted: set[str] | None) -> bool:
    """Whether ``rf`` is already in place with the expected (or previously recorded) checksum."""
    path = folder / rf.path
    if rf.split_tydi:
        return _tydi_up_to_date(rf, folder, manifest, wanted)
    if not path.is_file():
        return False
    digest = _sha256_file(path)
    if rf.sha256_prefix:
        return digest.startswith(rf.sha256_prefix)
    return manifest.get(rf.path, {}).get("sha256") == digest


def _tydi_up_to_date(rf: RemoteFile, folder: Path, manifest: dict[str, Any], wanted: set[str] | None) -> bool:
    """The official TyDi split was fetched before and each wanted language file is still as recorded."""
    official = manifest.get(_tydi_official_key(rf), {})
    if official.get("url") != rf.url:
        return False
    langs = [x for x in official.get("languages", []) if wanted is None or x in wanted]
    parts = [f"{rf.path}/{x}.json" for x in langs]
    return bool(parts) and all(
        k in manifest and (folder / k).is_file() and _sha256_file(folder / k) == manifest[k].get("sha256")
        for k in parts
    )


def _tydi_official_key(rf: RemoteFile) -> str:
    return f"{rf.path}/(official {rf.url.rsplit('/', 1)[-1]})"


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
    names = list(DATASETS if not datasets else datasets)
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
                    manifest.update(_download_tydi(rf, folder, url, wanted, progress))
                else:
                    manifest[rf.path] = _download_file(rf, folder, url, progress)
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
