"""The research question's comparisons, defined once.

Each :class:`Comparison` is one claim of the paper tested on our results: an arm against a baseline
on one metric of one kind of dataset. The single-run answers (:func:`hybridlib.analysis.answers.
research_answers`) and the over-seeds table (:func:`hybridlib.analysis.answers.seed_comparisons`) both
read them from :data:`COMPARISONS`, and the claims scorecard (:mod:`hybridlib.analysis.paper`) maps
each of the paper's claims to them by label.

Each comparison belongs to a **family** (:data:`FAMILIES`): the comparisons whose family-wise error the
answers over seeds control together (Holm over the family's p-values,
:func:`hybridlib.analysis.answers.seed_comparisons`). A new family is one line in :data:`FAMILIES`, and
its comparisons name it; nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass

LAREQA = "lareqa"  #: parallel sets with Mo./Cr./Mul. pools and rank distance (XQuAD-R, MLQA-R)
TYDI = "tydi"  #: TyDi QA GoldP, monolingual pools, some languages unseen in fine-tuning

LAREQA_CLAIMS = "lareqa claims"  #: family: the paper's claims on the LAReQA sets
#: family: the paper's other claims, kept apart so that the families above keep their Holm sizes: its
#: baselines against each other (claims C1, C2: X-X-mono against X-Y) and hybrid on TyDi QA languages
#: absent from fine-tuning (C8)
PAPER_BASELINES = "paper baselines"
RESEARCH_QUESTION = "research question"  #: family: the research question's TyDi QA comparisons
ALIGNMENT_STUDY = "alignment study"  #: family: the follow-up study of the alignment objective

#: Family key → what the family is, as the answers name it. Order: the order of the answers.
FAMILIES: dict[str, str] = {
    LAREQA_CLAIMS: "the paper's claims on the LAReQA sets (Mo., Cr., Mul., rank distance)",
    PAPER_BASELINES: (
        "the paper's baselines against each other (X-X-mono vs X-Y) and hybrid on TyDi QA languages "
        "unseen in fine-tuning"
    ),
    RESEARCH_QUESTION: "the research question on TyDi QA (hybrid+align against multilingual and hybrid)",
    ALIGNMENT_STUDY: "the alignment study (λ dose-response, alignment sources, align-only, α)",
}


@dataclass(frozen=True)
class Comparison:
    """``arm`` against ``baseline`` on ``metric`` of every dataset of kind ``task``.

    ``metric`` names the per-query vector and the significance table's ``metric``
    (:func:`hybridlib.analysis.tables.per_query_vectors`); ``table_metric`` the column of the seed
    runs' long table after the dataset name (``"xquad-r mo mAP"``). ``lower_is_better`` for rank
    distance. ``label`` names the comparison in the seed table and its answers. ``family`` (a key of
    :data:`FAMILIES`) names the comparisons whose family-wise error is controlled with it.
    """

    task: str
    metric: str
    table_metric: str
    arm: str
    baseline: str
    lower_is_better: bool
    label: str
    family: str

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"{self.label}: family {self.family!r} is none of {sorted(FAMILIES)}")


#: LAReQA sets first, then TyDi QA: the order of the research questions (README).
COMPARISONS: tuple[Comparison, ...] = (
    # 1. hybrid keeps X-X-mono's monolingual strength and X-Y's cross-lingual one, with less bias
    Comparison(
        LAREQA, "mo", "mo mAP", "hybrid", "monolingual", False, "hybrid vs X-X-mono on Mo.", LAREQA_CLAIMS,
    ),
    Comparison(
        LAREQA, "cr", "cr mAP", "hybrid", "crosslingual", False, "hybrid vs X-Y on Cr.", LAREQA_CLAIMS,
    ),
    Comparison(
        LAREQA, "mul", "mul mAP", "hybrid", "crosslingual", False, "hybrid vs X-Y on Mul.", LAREQA_CLAIMS,
    ),
    Comparison(
        LAREQA, "rank_distance", "rank distance", "hybrid", "monolingual", True,
        "hybrid vs X-X-mono, rank distance", LAREQA_CLAIMS,
    ),
    Comparison(
        LAREQA, "rank_distance", "rank distance", "hybrid", "crosslingual", True,
        "hybrid vs X-Y, rank distance", LAREQA_CLAIMS,
    ),
    # the paper's baselines (claims C1, C2): X-X-mono is the monolingual specialist, X-Y the cross-lingual one
    Comparison(
        LAREQA, "mo", "mo mAP", "monolingual", "crosslingual", False, "X-X-mono vs X-Y on Mo.",
        PAPER_BASELINES,
    ),
    Comparison(
        LAREQA, "cr", "cr mAP", "crosslingual", "monolingual", False, "X-Y vs X-X-mono on Cr.",
        PAPER_BASELINES,
    ),
    Comparison(
        LAREQA, "mul", "mul mAP", "crosslingual", "monolingual", False, "X-Y vs X-X-mono on Mul.",
        PAPER_BASELINES,
    ),
    # 2. hybrid + alignment beats multilingual fine-tuning on TyDi QA, above all on unseen languages
    Comparison(
        TYDI, "mono_mAP", "mAP", "hybrid+align", "multilingual", False,
        "hybrid+align vs multilingual, all languages", RESEARCH_QUESTION,
    ),
    Comparison(
        TYDI, "mono_mAP_unseen", "mAP unseen", "hybrid+align", "multilingual", False,
        "hybrid+align vs multilingual, unseen languages", RESEARCH_QUESTION,
    ),
    Comparison(
        TYDI, "mono_mAP", "mAP", "hybrid+align", "hybrid", False,
        "hybrid+align vs hybrid (the alignment term alone)", RESEARCH_QUESTION,
    ),
    # 3. the paper's zero-shot transfer claim (C8) on the languages fine-tuning never saw
    Comparison(
        TYDI, "mono_mAP_unseen", "mAP unseen", "hybrid", "monolingual", False,
        "hybrid vs X-X-mono, unseen languages", PAPER_BASELINES,
    ),
    Comparison(
        TYDI, "mono_mAP_unseen", "mAP unseen", "hybrid", "crosslingual", False,
        "hybrid vs X-Y, unseen languages", PAPER_BASELINES,
    ),
)  # fmt: skip


def comparisons_for(task: str) -> tuple[Comparison, ...]:
    """The comparisons made on datasets of kind ``task`` (:data:`LAREQA` or :data:`TYDI`)."""
    return tuple(c for c in COMPARISONS if c.task == task)


def comparison(task: str, metric: str, baseline: str) -> Comparison:
    """The one comparison of ``task`` on ``metric`` against ``baseline``."""
    (found,) = (c for c in comparisons_for(task) if c.metric == metric and c.baseline == baseline)
    return found
