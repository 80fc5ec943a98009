"""Training pairs (query, positive passage[, hard negative]) built from a :class:`RetrievalSet`.

One row per (question row, gold candidate):

* **mono** pair — query in language L with its gold candidate in L (``q_lang == p_lang``);
* **cross** pair — query in L1 with the gold of the *same question* (same ``xid``) in L2 ≠ L1. The
  question's ``gold`` tuple already lists its answer sentence in every language where the question
  exists, so cross pairs come straight from it (no join over translations needed).

Columns (row order deterministic: questions in table order, then golds in tuple order):

``xid``       source question id shared by translations — the sampler's no-false-negative key
``group``     smallest ``xid`` of the connected component of questions that share a gold candidate.
              It equals ``xid`` unless two questions are answered by the same sentence; then both
              positives are the same text and must not meet in one batch either, so the sampler keys
              on ``group`` when present (see :mod:`hybridlib.sampling.sampler`).
``q_lang``, ``p_lang``  languages of query and passage
``pid``       candidate id of the positive (traceability; not a training column)
``query``, ``positive``  texts
``negative``  only with ``hard_negatives=True`` (see below)
``kind``      ``"mono"`` or ``"cross"``

A question with several gold sentences in one language yields several pairs with the same ``xid``;
the sampler never puts them in one batch.

Hard negatives (``hard_negatives=True``): another sentence of the positive's paragraph (so the same
language as the positive, topically close, but not an answer), excluding every gold of the question.
If the paragraph has no such sentence, a random non-gold candidate of the positive's language is used
instead. The choice is a hash of ``(seed, qid, pid)``, so it is deterministic and the *same pair gets the
same negative* whatever language filters or kinds were used to build the table (runs with different
samplers see identical negatives). A language with no non-gold candidate at all raises ``ValueError``.

Metadata (ids, languages, kind) must not reach the loss: sentence-transformers feeds every non-label
column to it. Use :func:`training_frame` for the dataset and keep the metadata in side arrays
(:meth:`hybridlib.sampling.sampler.PairMeta.from_pairs`), aligned by row order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import pandas as pd

from hybridlib.data.schema import RetrievalSet

PAIR_KINDS = ("mono", "cross")
PAIR_COLUMNS = ("xid", "group", "q_lang", "p_lang", "pid", "query", "positive", "kind")
TEXT_COLUMNS = ("query", "positive")


def _check_languages(requested: Iterable[str] | None, available: Sequence[str], what: str) -> set[str] | None:
    if requested is None:
        return None
    requested = [requested] if isinstance(requested, str) else list(requested)
    unknown = sorted(set(requested) - set(available))
    if unknown:
        raise ValueError(f"{what} language(s) {unknown} not in this set; available: {sorted(available)}")
    return set(requested)


def _unit_hash(*parts: object) -> float:
    """Deterministic uniform number in [0, 1) from ``parts`` (independent of table order/filters)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") / 2.0**64


def _question_groups(questions: pd.DataFrame) -> dict[str, str]:
    """xid -> smallest xid of its component in the question–gold-candidate graph (union-find)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    owner: dict[str, str] = {}
    for xid, gold in zip(questions["xid"].tolist(), questions["gold"].tolist(), strict=True):
        xid = str(xid)
        parent.setdefault(xid, xid)
        for cid in gold:
            other = owner.setdefault(cid, xid)
            a, b = find(xid), find(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return {x: find(x) for x in parent}


def build_pairs(
    rset: RetrievalSet,
    *,
    kinds: Sequence[str] = PAIR_KINDS,
    query_languages: Iterable[str] | None = None,
    passage_languages: Iterable[str] | None = None,
    hard_negatives: bool = False,
    seed: int = 0,
) -> pd.DataFrame:
    """All (query, positive[, negative]) pairs of ``rset``; see the module docstring for the columns.

    ``kinds``: any of ``"mono"`` / ``"cross"``. ``query_languages`` / ``passage_languages`` restrict
    ``q_lang`` / ``p_lang`` (``None`` = all); a language absent from the set raises ``ValueError``
    (a silent empty table would train on nothing).
    """
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    bad = sorted(set(kinds) - set(PAIR_KINDS))
    if bad or not kinds:
        raise ValueError(f"kinds must be a non-empty subset of {PAIR_KINDS}, got {kinds!r}")
    questions, candidates = rset.questions, rset.candidates
    q_keep = _check_languages(query_languages, sorted(questions["lang"].unique()), "query")
    p_keep = _check_languages(passage_languages, sorted(candidates["lang"].unique()), "passage")

    rows, qids, golds = _pair_rows(
        rset, q_keep, p_keep, want_mono="mono" in kinds, want_cross="cross" in kinds
    )
    pairs = pd.DataFrame(rows, columns=["xid", "group", "q_lang", "p_lang", "pid", "query", "positive"])
    pairs["kind"] = [
        "mono" if q == p else "cross"
        for q, p in zip(pairs["q_lang"].tolist(), pairs["p_lang"].tolist(), strict=True)
    ]
    if hard_negatives:
        pairs["negative"] = _hard_negatives(candidates, pairs["pid"].tolist(), qids, golds, seed)
        pairs = pairs[[*PAIR_COLUMNS[:-1], "negative", "kind"]]
    return pairs


def _pair_rows(
    rset: RetrievalSet,
    q_keep: set[str] | None,
    p_keep: set[str] | None,
    *,
    want_mono: bool,
    want_cross: bool,
) -> tuple[list[tuple[str, ...]], list[str], list[tuple[str, ...]]]:
    """One row (xid, group, q_lang, p_lang, pid, query, positive) per kept (question, gold candidate),
    with the question id and the question's golds of each row (for hard negatives).

    Raises ``ValueError`` if a gold id is not a candidate of ``rset``.
    """
    questions, candidates = rset.questions, rset.candidates
    cand_lang = dict(zip(candidates["cid"].tolist(), candidates["lang"].tolist(), strict=True))
    cand_text = dict(zip(candidates["cid"].tolist(), candidates["text"].tolist(), strict=True))
    groups = _question_groups(questions)
    rows: list[tuple[str, ...]] = []
    qids: list[str] = []
    golds: list[tuple[str, ...]] = []
    missing: list[str] = []
    for qid, xid, q_lang, text, gold in zip(
        questions["qid"].tolist(),
        questions["xid"].tolist(),
        questions["lang"].tolist(),
        questions["text"].tolist(),
        questions["gold"].tolist(),
        strict=True,
    ):
        if q_keep is not None and q_lang not in q_keep:
            continue
        xid = str(xid)
        for cid in gold:
            p_lang = cand_lang.get(cid)
            if p_lang is None:
                missing.append(cid)
                continue
            if p_keep is not None and p_lang not in p_keep:
                continue
            if want_mono if p_lang == q_lang else want_cross:
                rows.append((xid, groups[xid], q_lang, p_lang, cid, text, cand_text[cid]))
                qids.append(qid)
                golds.append(tuple(gold))
    if missing:
        raise ValueError(f"{len(missing)} gold id(s) are not in {rset.name!r} candidates, e.g. {missing[:3]}")
    return rows, qids, golds


def _hard_negatives(
    candidates: pd.DataFrame, pids: list[str], qids: list[str], golds: list[tuple[str, ...]], seed: int
) -> list[str]:
    """Per pair: a non-gold sentence of the positive's paragraph, else a non-gold one of its language."""
    by_paragraph: dict[str, list[str]] = {}
    by_lang: dict[str, list[str]] = {}
    paragraph_of: dict[str, str] = {}
    lang_of: dict[str, str] = {}
    text_of: dict[str, str] = {}
    for cid, lang, text, para in zip(
        candidates["cid"].tolist(),
        candidates["lang"].tolist(),
        candidates["text"].tolist(),
        candidates["paragraph"].tolist(),
        strict=True,
    ):
        by_paragraph.setdefault(para, []).append(cid)
        by_lang.setdefault(lang, []).append(cid)
        paragraph_of[cid], lang_of[cid], text_of[cid] = para, lang, text

    out: list[str] = []
    for pid, qid, gold in zip(pids, qids, golds, strict=True):
        u = _unit_hash(seed, qid, pid)
        excluded = set(gold)
        options = [c for c in by_paragraph[paragraph_of[pid]] if c not in excluded]
        if options:
            out.append(text_of[options[int(u * len(options))]])
            continue
        pool = by_lang[lang_of[pid]]
        start = int(u * len(pool))
        for step in range(len(pool)):  # linear probe past golds (a handful at most)
            cid = pool[(start + step) % len(pool)]
            if cid not in excluded:
                out.append(text_of[cid])
                break
        else:
            raise ValueError(f"no non-gold candidate in language {lang_of[pid]!r} to use as a hard negative")
    return out


def training_frame(pairs: pd.DataFrame) -> pd.DataFrame:
    """Only the text columns the loss must see (``query``, ``positive``[, ``negative``]), same row order.

    Build the ``datasets.Dataset`` from this, and the sampler metadata from ``pairs`` itself.
    """
    cols = [*TEXT_COLUMNS, *(["negative"] if "negative" in pairs.columns else [])]
    return pairs[cols].reset_index(drop=True)


def pair_counts(pairs: pd.DataFrame) -> pd.DataFrame:
    """Number of pairs per (query language × passage language); zeros where a combination is absent."""
    langs = sorted(set(pairs["q_lang"]) | set(pairs["p_lang"]))
    if not langs:
        return pd.DataFrame(dtype=int).rename_axis(index="q_lang", columns="p_lang")
    table = pd.crosstab(pairs["q_lang"], pairs["p_lang"]).reindex(index=langs, columns=langs, fill_value=0)
    table.index.name, table.columns.name = "q_lang", "p_lang"
    return table.astype(int)
