"""Downloads without network: file:// copies of the mirror stand in for the upstream URLs."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from hybridlib.data import download, sources
from hybridlib.data import loaders as data
from hybridlib.data.fetch import ChecksumError, DownloadError
from hybridlib.data.tydi_release import split_tydi

PINNED = re.compile(r"^https://raw\.githubusercontent\.com/[\w.-]+/[\w.-]+/[0-9a-f]{40}/\S+$")


@pytest.fixture(scope="module")
def shared(data_root) -> Path:
    return data_root


@pytest.fixture(scope="module")
def mirror(shared, tmp_path_factory) -> Path:
    """A small copy of the mirror (two XQuAD-R languages, two Tatoeba pairs) served over file://."""
    root = tmp_path_factory.mktemp("mirror")
    files = ["xquad-r/en.json", "xquad-r/de.json", "tatoeba/README.upstream.md"]
    files += [f"tatoeba/tatoeba.{x}-eng.{s}" for x in ("deu", "ara") for s in (x, "eng")]
    for rel in files:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shared / rel, root / rel)
    return root


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_xquad_r_and_tatoeba_via_file_urls_match_the_mirror(mirror, tmp_path):
    dest = tmp_path / "data"
    out = download.download(
        ["xquad-r"], dest, languages=["en", "de"], base_url=download.mirror_urls(mirror), progress=False
    )
    assert out == dest
    # the mapping form of base_url: replace the pinned LASER prefix by the local folder
    laser = sources.pinned_url("tatoeba", "data/tatoeba/v1/")
    download.download(
        ["tatoeba"],
        dest,
        languages=["deu", "ar"],
        base_url={
            laser: (mirror / "tatoeba").as_uri() + "/",
            laser + "README.md": (mirror / "tatoeba").as_uri() + "/README.upstream.md",
        },
        progress=False,
    )
    assert _files(dest) == [
        "tatoeba/MANIFEST.json",
        "tatoeba/README.upstream.md",
        "tatoeba/tatoeba.ara-eng.ara",
        "tatoeba/tatoeba.ara-eng.eng",
        "tatoeba/tatoeba.deu-eng.deu",
        "tatoeba/tatoeba.deu-eng.eng",
        "xquad-r/MANIFEST.json",
        "xquad-r/de.json",
        "xquad-r/en.json",
    ]
    manifest = json.loads((dest / "xquad-r" / "MANIFEST.json").read_text(encoding="utf-8"))["files"]
    en_sha = hashlib.sha256((mirror / "xquad-r" / "en.json").read_bytes()).hexdigest()
    assert manifest["en.json"]["sha256"] == en_sha and "verified" in manifest["en.json"]["checksum"]
    assert PINNED.match(manifest["en.json"]["url"])

    got, ref = data.load_xquad_r(dest), data.load_xquad_r(languages=["de", "en"])
    assert got.candidates.groupby("lang").size().to_dict() == {"de": 1276, "en": 1180}
    assert got.questions.equals(ref.questions) and got.candidates.equals(ref.candidates)
    tat = data.load_tatoeba(data_dir=dest)
    assert tat.pairs.equals(data.load_tatoeba(["ar", "de"]).pairs) and len(tat.pairs) == 2000


def test_present_files_are_skipped_and_damaged_ones_replaced(mirror, tmp_path):
    kw = {"languages": ["en"], "base_url": download.mirror_urls(mirror), "progress": False}
    download.download(["xquad-r"], tmp_path, **kw)
    target = tmp_path / "xquad-r" / "en.json"
    stamp = target.stat().st_mtime_ns
    download.download(["xquad-r"], tmp_path, **kw)
    assert target.stat().st_mtime_ns == stamp  # checksum matched: not fetched again
    target.write_bytes(b"damaged")
    download.download(["xquad-r"], tmp_path, **kw)
    assert target.read_bytes() == (mirror / "xquad-r" / "en.json").read_bytes()


def test_corrupted_download_fails_checksum_and_leaves_no_file(mirror, tmp_path):
    bad = tmp_path / "bad-mirror"
    shutil.copytree(mirror, bad)
    raw = bytearray((bad / "xquad-r" / "de.json").read_bytes())
    raw[1000] ^= 0x01  # one flipped bit
    (bad / "xquad-r" / "de.json").write_bytes(bytes(raw))
    dest = tmp_path / "data"
    with pytest.raises(
        ChecksumError, match=r"xquad-r/de\.json .*does not start with the expected prefix 16fb0f4b"
    ):
        download.download(
            ["xquad-r"], dest, languages=["de"], base_url=download.mirror_urls(bad), progress=False
        )
    assert _files(dest) == []
    # a truncated file fails the same way
    (bad / "tatoeba" / "tatoeba.deu-eng.eng").write_bytes(
        (mirror / "tatoeba" / "tatoeba.deu-eng.eng").read_bytes()[:-10]
    )
    with pytest.raises(ChecksumError):
        download.download(
            ["tatoeba"], dest, languages=["de"], base_url=download.mirror_urls(bad), progress=False
        )
    assert "tatoeba/tatoeba.deu-eng.eng" not in _files(dest)
    assert not [p for p in dest.rglob("*.tmp")]


def test_missing_source_is_a_download_error(tmp_path):
    with pytest.raises(DownloadError, match="could not fetch"):
        download.download(
            ["xquad-r"],
            tmp_path / "d",
            languages=["en"],
            base_url=download.mirror_urls(tmp_path),
            progress=False,
        )
    assert _files(tmp_path) == []
    with pytest.raises(ValueError, match="unknown dataset 'squad'"):
        download.download(["squad"], tmp_path)
    with pytest.raises(ValueError, match="xx not offered"):
        download.download(["xquad-r"], tmp_path, languages=["xx"])


def _official(shared: Path, split: str, langs: list[str]) -> dict:
    """An official-format TyDi QA GoldP file rebuilt from the mirror's per-language copies."""
    articles = []
    for lang in langs:
        articles += json.loads(
            (shared / "tydiqa-goldp" / split / f"{lang}.json").read_text(encoding="utf-8")
        )["data"]
    return {"data": articles, "version": "v1.1"}


def test_tydi_official_file_is_split_per_language(shared, tmp_path):
    src = tmp_path / "official" / "tydiqa-goldp"
    src.mkdir(parents=True)
    dev_langs = data.available_languages("tydiqa-goldp", split="dev")
    for split, langs in (("dev", dev_langs), ("train", ["en", "ko", "sw"])):
        obj = _official(shared, split, langs)
        (src / f"tydiqa-goldp-v1.1-{split}.json").write_text(
            json.dumps(obj, ensure_ascii=False), encoding="utf-8"
        )
    dest = tmp_path / "data"
    download.download(
        ["tydiqa-goldp"], dest, base_url=download.mirror_urls(tmp_path / "official"), progress=False
    )
    got, ref = data.load_tydiqa_goldp("dev", dest), data.load_tydiqa_goldp("dev")
    assert len(got.questions) == 5077
    assert got.questions.equals(ref.questions) and got.candidates.equals(ref.candidates)
    assert data.load_tydiqa_goldp("train", dest).questions.equals(data.load_tydiqa_goldp("train").questions)
    manifest = json.loads((dest / "tydiqa-goldp" / "MANIFEST.json").read_text(encoding="utf-8"))["files"]
    official = manifest["dev/(official tydiqa-goldp-v1.1-dev.json)"]
    assert official["url"] == sources.TYDIQA_GOLDP_URL.format(split="dev")
    assert official["sha256"] == hashlib.sha256((src / "tydiqa-goldp-v1.1-dev.json").read_bytes()).hexdigest()
    assert official["checksum"] == "none published; recorded" and "dev/bn.json" in manifest
    assert not [p for p in dest.rglob("*.tmp")]
    stamp = (dest / "tydiqa-goldp" / "dev" / "ar.json").stat().st_mtime_ns
    download.download(
        ["tydiqa-goldp"], dest, base_url=download.mirror_urls(tmp_path / "official"), progress=False
    )
    assert (dest / "tydiqa-goldp" / "dev" / "ar.json").stat().st_mtime_ns == stamp  # recorded: not re-split

    # an official dev file that lost a language fails the published-count check and writes nothing
    (src / "tydiqa-goldp-v1.1-dev.json").write_text(
        json.dumps(_official(shared, "dev", ["ar", "bn"])), encoding="utf-8"
    )
    with pytest.raises(DownloadError, match="differ from the published"):
        download.download(
            ["tydiqa-goldp"],
            tmp_path / "d2",
            base_url=download.mirror_urls(tmp_path / "official"),
            progress=False,
        )
    assert _files(tmp_path / "d2") == []


def test_split_tydi_keeps_squad_nesting():
    obj = {
        "version": "x",
        "data": [
            {
                "title": "T",
                "paragraphs": [{"context": "c", "qas": [{"id": "korean-1-0"}, {"id": "english-2-0"}]}],
            }
        ],
    }
    parts = split_tydi(obj)
    assert list(parts) == ["en", "ko"]
    assert parts["ko"] == {
        "data": [{"title": "T", "paragraphs": [{"context": "c", "qas": [{"id": "korean-1-0"}]}]}],
        "version": "x",
    }
    with pytest.raises(DownloadError, match="no language prefix"):
        split_tydi({"data": [{"paragraphs": [{"qas": [{"id": "klingon-1"}]}]}]})


def test_embedded_checksums_match_sources_tables_and_mirror(shared):
    """Every file a SOURCES.md lists is pinned here with the same prefix, and the mirror's bytes agree."""
    table = re.compile(r"^\| (\S+) \| (\S+) \| \d+ \| \S+ \(yes\) \| ([0-9a-f]{16}) \|$", re.M)
    for dataset in ("mlqa-r", "tatoeba", "xor-tydi", "ntrex-128"):
        pinned = {rf.path: rf for rf in sources.remote_files(dataset)}
        rows = table.findall((shared / dataset / "SOURCES.md").read_text(encoding="utf-8"))
        listed = {staged: prefix for staged, _, prefix in rows if not staged.startswith("README_lareqa")}
        listed = {("README.upstream.md" if k == "README.md" else k): v for k, v in listed.items()}
        assert {k: rf.sha256_prefix for k, rf in pinned.items()} == listed, dataset
        for rf in pinned.values():
            assert PINNED.match(rf.url), rf.url
            assert rf.origin == "SOURCES.md"
    for dataset in ("xquad-r", "mlqa-r", "tatoeba", "xor-tydi"):
        for rf in sources.remote_files(dataset):
            path = shared / dataset / rf.path
            assert path.is_file(), path
            assert hashlib.sha256(path.read_bytes()).hexdigest().startswith(rf.sha256_prefix), path
    tydi = sources.remote_files("tydiqa-goldp")
    assert [rf.url for rf in tydi] == [
        "https://storage.googleapis.com/tydiqa/v1.1/tydiqa-goldp-v1.1-dev.json",
        "https://storage.googleapis.com/tydiqa/v1.1/tydiqa-goldp-v1.1-train.json",
    ]
    xq = sources.remote_files("xquad-r")[0].url
    commit = sources.SOURCES["xquad-r"]["commit"]
    assert xq == f"https://raw.githubusercontent.com/google-research-datasets/lareqa/{commit}/xquad-r/ar.json"


def test_cli(mirror, tmp_path, capsys):
    assert download.main(["--list", "xquad-r"]) == 0
    assert "xquad-r/ar.json\tc52922d3b8ac1ae0\thttps://raw.githubusercontent.com/" in capsys.readouterr().out
    args = ["--dest", str(tmp_path), "--mirror", str(mirror), "--languages", "en", "--quiet", "xquad-r"]
    assert download.main(args) == 0
    assert f"HYBRIDLIB_DATA={tmp_path.resolve()}" in capsys.readouterr().out
    assert (tmp_path / "xquad-r" / "en.json").is_file()
    assert download.main(["--dest", str(tmp_path), "--quiet", "nope"]) == 1
    assert "unknown dataset 'nope'" in capsys.readouterr().err


def test_ntrex_by_its_alias_matches_the_mirror(shared, tmp_path):
    """NTREX-128's pinned files (``align_data: ntrex``), fetched from the mirror over file:// by the
    parameter's name: two languages' references, the English source and the licence, checksums checked."""
    from hybridlib.data.parallel import load_ntrex

    dest = tmp_path / "data"
    download.download(
        ["ntrex"], dest, languages=["bn", "sw"], base_url=download.mirror_urls(shared), progress=False
    )
    folder = dest / "ntrex-128"
    assert sorted(p.name for p in folder.glob("newstest2019-*")) == [
        "newstest2019-ref.ben.txt",
        "newstest2019-ref.eng-US.txt",
        "newstest2019-ref.swa.txt",
        "newstest2019-src.eng.txt",
    ]
    assert (folder / "LICENSE.md").read_bytes() == (shared / "ntrex-128" / "LICENSE.md").read_bytes()
    assert len(load_ntrex(["bn", "sw"], data_dir=dest).pairs) == 2 * 1997
