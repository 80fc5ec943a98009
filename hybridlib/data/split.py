"""A validation split of a *training* set: whole question groups, the same in every arm and seed.

The paper stops training on validation loss; the CPU profiles choose ``max_steps`` from a pilot on this
split (``hybridlib.experiment.pilot``). A question id (``xid``, shared by a question's translations)
is held out when the first 8 bytes of ``sha256("<set>/<xid>")``, read as a fraction of 2⁶⁴, fall below
``fraction``: deterministic (independent of the seed, the file order and the languages loaded), so
every arm and seed trains without exactly the same questions, and the translations of a held-out
question are all held out (no question reaches training in another language).
"""

from __future__ import annotations

import hashlib

from hybridlib.data.schema import RetrievalSet


def _held_out(set_name: str, xid: str, fraction: float) -> bool:
    digest = hashlib.sha256(f"{set_name}/{xid}".encode()).digest()
    return int.from_bytes(digest[:8], "big") < fraction * 2**64


def validation_ids(rset: RetrievalSet, fraction: float) -> set[str]:
    """The question ids of ``rset`` held out for validation (about ``fraction`` of them)."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"validation fraction {fraction} must lie in [0, 1)")
    return {x for x in rset.questions["xid"].unique() if _held_out(rset.name, str(x), fraction)}


def without_validation(rset: RetrievalSet, fraction: float) -> RetrievalSet:
    """``rset`` without its validation questions (what training reads); the pool is unchanged."""
    held = validation_ids(rset, fraction)
    questions = rset.questions[~rset.questions["xid"].isin(held)].reset_index(drop=True)
    return RetrievalSet(rset.name, questions, rset.candidates)


def validation_part(rset: RetrievalSet, fraction: float) -> RetrievalSet:
    """The validation questions with the paragraphs that hold their golds as the pool (every gold of
    every kept question is in it, in every language; a pool of the whole set would cost a CPU pilot
    more than the training it checks)."""
    held = validation_ids(rset, fraction)
    questions = rset.questions[rset.questions["xid"].isin(held)].reset_index(drop=True)
    paragraph = dict(zip(rset.candidates["cid"], rset.candidates["paragraph"], strict=True))
    paragraphs = {paragraph[g] for gold in questions["gold"] for g in gold}
    candidates = rset.candidates[rset.candidates["paragraph"].isin(paragraphs)].reset_index(drop=True)
    return RetrievalSet(rset.name, questions, candidates)
