"""Training inputs: the pair tables of the QA sets, the alignment pairs and the trainer's datasets.

    pairs per training set ──► DatasetDict {set: (anchor, positive[, negative]), "align": (anchor, positive)}

Metadata (ids, languages) never enters the training rows: sentence-transformers feeds every
non-label column to the loss. It travels to the sampler as side arrays (``PairMeta``) in dataset order.
"""

from __future__ import annotations

import pandas as pd

from hybridlib.data.schema import RetrievalSet
from hybridlib.params import ParameterError, Params

#: The dataset (and loss) name of the alignment pairs beside the QA sets.
ALIGN_SET = "align"


def training_pairs(params: Params) -> dict[str, pd.DataFrame]:
    """Pair tables of every training set, keyed by the set as ``train_sets`` names it; the sampler
    decides which rows it uses. A retrieval set (a name, or one's own SQuAD folder) gives mono and
    cross pairs (:func:`hybridlib.pairs.build_pairs`); a folder of triples gives mono pairs with their
    given negative (:func:`hybridlib.data.own.load_own_triples`; ``hard_negatives`` is for QA sets).
    Every set is read before any is returned, so a bad file stops training before it starts. The
    validation questions of a retrieval set (``validation_fraction``: :mod:`hybridlib.data.split`)
    never reach training, in any arm."""
    from hybridlib.data.own import is_triple_set, load_own_triples
    from hybridlib.pairs import build_pairs

    out = {}
    for name in params.train_sets:
        if is_triple_set(name):
            out[name] = load_own_triples(name, languages=params.train_languages)
            continue
        rset = training_questions(params, name)
        out[name] = build_pairs(rset, hard_negatives=params.hard_negatives, seed=params.seed)
    return out


def training_set(params: Params, name: str) -> RetrievalSet:
    """Training set ``name`` (a retrieval set) in the training languages, validation questions included
    (:func:`training_questions` holds them out; the validation pilot reads only them)."""
    from hybridlib.data.loaders import load_retrieval_set

    return load_retrieval_set(name, data_dir=params.data_dir, languages=params.train_languages)


def training_questions(params: Params, name: str) -> RetrievalSet:
    """Training set ``name`` as training reads it: its languages, without its validation questions."""
    from hybridlib.data.split import without_validation

    return without_validation(training_set(params, name), params.validation_fraction)


def alignment_pairs(params: Params) -> pd.DataFrame:
    """Parallel sentences for the alignment objective (``pair_id, src_lang, src, tgt_lang, tgt``).

    ``xor-tydi``: XOR-TyDi human translations of TyDi *train* questions. ``ntrex``: NTREX-128 news
    sentences, all but the bitext probe's held-out lines (default languages: the TyDi QA languages
    other than English, as for Tatoeba). ``tatoeba``: LASER's Tatoeba pairs (default languages: the TyDi
    QA languages other than English). ``train-questions``:
    the training sets' own parallel questions (two languages of one question id), i.e. no new
    languages (triple folders have no shared ids and add none). A path: one's own parallel text
    (:func:`hybridlib.data.own.load_own_parallel`; ``align_languages`` keeps pairs with a side in
    them). Whatever the source, every pair whose source or target text equals a question of any
    set in ``eval_sets`` (:func:`hybridlib.data.leakage.without_evaluation_questions`: NFKC, casefold,
    whitespace collapsed) is dropped (no test leakage); how many is printed and kept in
    ``attrs["dropped_eval_questions"]`` of the returned table.
    """
    from hybridlib.data import leakage, loaders
    from hybridlib.data.languages import TYDI_NON_ENGLISH
    from hybridlib.data.own import is_triple_set
    from hybridlib.dataset_names import is_set_path

    if is_set_path(params.align_data):
        raw = loaders.load_parallel_set(params.align_data, languages=params.align_languages).pairs
    elif params.align_data == "xor-tydi":
        raw = loaders.load_xor_tydi_translations(params.align_languages, data_dir=params.data_dir).pairs
    elif params.align_data == "ntrex":
        # Every line but the bitext probe's held-out ones (hybridlib.evaluation.probe).
        langs = params.align_languages or list(TYDI_NON_ENGLISH)
        raw = loaders.load_ntrex(
            langs, data_dir=params.data_dir, part="train", held_out=params.probe_sentences
        ).pairs
    elif params.align_data == "tatoeba":
        langs = params.align_languages or list(TYDI_NON_ENGLISH)
        raw = loaders.load_tatoeba(langs, data_dir=params.data_dir).pairs
    else:
        frames = []
        for name in [x for x in params.train_sets if not is_triple_set(x)]:
            qs = training_questions(params, name).questions
            first = qs.drop_duplicates("xid")[["xid", "lang", "text"]]
            other = qs.merge(first, on="xid", suffixes=("", "_src"))
            other = other[other["lang"] != other["lang_src"]]
            frames.append(
                pd.DataFrame(
                    {
                        "pair_id": name + "/" + other["xid"],
                        "src_lang": other["lang_src"].to_numpy(),
                        "src": other["text_src"].to_numpy(),
                        "tgt_lang": other["lang"].to_numpy(),
                        "tgt": other["text"].to_numpy(),
                    }
                )
            )
        if not frames:
            raise ParameterError(
                f"align_data: train-questions takes the parallel questions of SQuAD training sets, and "
                f"train_sets {params.train_sets} hold only triples; choose another align_data"
            )
        raw = pd.concat(frames, ignore_index=True)
    kept, dropped = leakage.without_evaluation_questions(raw, params.eval_sets, data_dir=params.data_dir)
    print(
        f"alignment data {params.align_data}: {len(kept)} pairs kept, {len(dropped)} dropped because a "
        f"side equals a question of the evaluation sets {', '.join(params.eval_sets)}"
    )
    kept.attrs["dropped_eval_questions"] = len(dropped)
    return kept


def build_datasets(params: Params, pairs: dict[str, pd.DataFrame], align: pd.DataFrame | None):
    """``DatasetDict`` of text-only rows, the sampler metadata in the same order, and the prompts."""
    from datasets import Dataset, DatasetDict

    from hybridlib.model.encoder import settings_for
    from hybridlib.pairs import training_frame
    from hybridlib.sampling.sampler import PairMeta

    settings = settings_for(params.model)
    q, p = settings.query_prefix, settings.passage_prefix
    parts, metas, prompts = {}, {}, {}
    for name, table in pairs.items():
        rows = training_frame(table).rename(columns={"query": "anchor"})
        parts[name] = Dataset.from_pandas(rows, preserve_index=False)
        metas[name] = PairMeta.from_pairs(table, name=name)
        prompts[name] = {"anchor": q, "positive": p, "negative": p}
    if align is not None:
        rows = pd.DataFrame({"anchor": align["src"].to_numpy(), "positive": align["tgt"].to_numpy()})
        parts[ALIGN_SET] = Dataset.from_pandas(rows, preserve_index=False)
        # No two pairs with one English side in a batch: NTREX's languages translate the same English
        # lines, and a repeated text would be a hidden positive among the in-batch negatives.
        keyed = align.assign(english=align["tgt"])
        metas[ALIGN_SET] = PairMeta.from_parallel(keyed, name=ALIGN_SET, key="english")
        # Both sides are questions/sentences of the same kind: the symmetric "query: " prefix.
        prompts[ALIGN_SET] = {"anchor": q, "positive": q}
    return DatasetDict(parts), metas, prompts
