"""One's own data, by path: SQuAD folders, triple folders and parallel text built on the fly, the
malformed ones included, through the loaders, the parameters, training inputs, evaluation and stamps."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from hybridlib.config import DataFolderError
from hybridlib.data import own
from hybridlib.data.files import DatasetFormatError
from hybridlib.data.loaders import load_parallel_set, load_retrieval_set
from hybridlib.dataset_names import REPO_ROOT, set_label
from hybridlib.params import ParameterError, run_name, validate

#: Two paragraphs per language; question ids shared across languages (like XQuAD-R / MLQA-R).
SENTENCES = {
    "en": [["Paris is in France.", "It has a tower."], ["Rome is old.", "It has a colosseum."]],
    "de": [["Paris liegt in Frankreich.", "Es hat einen Turm."], ["Rom ist alt.", "Es hat ein Kolosseum."]],
}
QUESTIONS = {  # id -> (paragraph, sentence) of its answer
    "q-paris": (0, 0),
    "q-tower": (0, 1),
    "q-rome": (1, 0),
}
TEXTS = {
    "en": {"q-paris": "Where is Paris?", "q-tower": "What does Paris have?", "q-rome": "Is Rome old?"},
    "de": {"q-paris": "Wo liegt Paris?", "q-tower": "Was hat Paris?", "q-rome": "Ist Rom alt?"},
}


def squad_file(lang: str, *, plain: bool = False) -> dict:
    """A LAReQA-style SQuAD file (``sentences`` + ``sentence_breaks``), or plain SQuAD (``context`` only)."""
    paragraphs = []
    for p, sentences in enumerate(SENTENCES[lang]):
        context = " ".join(sentences)
        starts = [context.index(s) for s in sentences]
        qas = [
            {
                "id": xid,
                "question": TEXTS[lang][xid],
                "answers": [{"text": "x", "answer_start": starts[s] + 1}],
            }
            for xid, (para, s) in QUESTIONS.items()
            if para == p
        ]
        para = {"context": context, "qas": qas}
        if not plain:
            para["sentences"] = sentences
            para["sentence_breaks"] = [[b, b + len(s)] for b, s in zip(starts, sentences, strict=True)]
        paragraphs.append(para)
    return {"data": [{"title": "t", "paragraphs": paragraphs}]}


def squad_folder(root: Path, name: str = "qa", *, plain: bool = False, langs=("de", "en")) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    for lang in langs:
        (folder / f"{lang}.json").write_text(json.dumps(squad_file(lang, plain=plain)), encoding="utf-8")
    (folder / "README.md").write_text("not data\n")  # other files are not read
    return folder


TRIPLES = [("wer ist a", "a ist b", "c ist d"), ("wer ist a", "a ist b", "e ist f")]  # a query twice
TRIPLES += [("was ist x", "x ist y", "z"), ("wo ist k", "k ist l", "m"), ("wie ist q", "q ist r", "s")]


def triple_folder(root: Path, name: str = "marco") -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "de.tsv").write_text("".join("\t".join(t) + "\n" for t in TRIPLES), encoding="utf-8")
    keys = ("query", "positive", "negative")
    en = [{k: f"{v} (en)" for k, v in zip(keys, t, strict=True)} for t in TRIPLES]
    (folder / "en.jsonl").write_text("".join(json.dumps(r) + "\n" for r in en), encoding="utf-8")
    return folder


def test_a_squad_folder_loads_like_xquad_r_with_languages_from_file_names(tmp_path):
    folder = squad_folder(tmp_path)
    rset = load_retrieval_set(str(folder))
    assert rset.name == "qa" and rset.languages == ["de", "en"]
    assert own.own_languages(str(folder)) == ["de", "en"]
    assert len(rset.questions) == 6 and len(rset.candidates) == 8  # every sentence is a candidate
    q = rset.questions.set_index("qid")
    cands = rset.candidates.set_index("cid")["text"]
    gold = q.loc["en/q-tower", "gold"]  # own language first, then the others through the shared id
    assert [cands[c] for c in gold] == ["It has a tower.", "Es hat einen Turm."]
    only_de = load_retrieval_set(str(folder), languages=["de"])
    assert only_de.languages == ["de"] and len(only_de.questions) == 3
    with pytest.raises(ValueError, match=r"unknown language 'fr'.*available: de, en"):
        load_retrieval_set(str(folder), languages=["fr"])


def test_plain_squad_paragraphs_are_one_candidate_each(tmp_path):
    rset = load_retrieval_set(str(squad_folder(tmp_path, plain=True)))
    assert len(rset.candidates) == 4
    gold = rset.questions.set_index("qid").loc["en/q-tower", "gold"]
    assert gold == ("en/0", "de/0")  # the whole first paragraph, in both languages


def test_639_3_file_names_map_to_639_1_and_unknown_codes_are_kept(tmp_path):
    folder = tmp_path / "qa"
    folder.mkdir()
    (folder / "deu.json").write_text(json.dumps(squad_file("de")))
    (folder / "yo.json").write_text(json.dumps(squad_file("en")))  # a language hybridlib has no name for
    assert load_retrieval_set(str(folder)).languages == ["de", "yo"]


def test_the_shared_xquad_r_folder_by_path_equals_the_registry_set(data_root):
    by_path = load_retrieval_set(str(data_root / "xquad-r"), languages=["de", "el"])
    by_name = load_retrieval_set("xquad-r", languages=["de", "el"])
    assert by_path.name == by_name.name == "xquad-r"
    assert by_path.questions.equals(by_name.questions) and by_path.candidates.equals(by_name.candidates)


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def _no_id():
    bad = squad_file("en")
    del bad["data"][0]["paragraphs"][1]["qas"][0]["id"]
    return json.dumps(bad)


def _no_answer():
    bad = squad_file("en")
    bad["data"][0]["paragraphs"][0]["qas"][1]["answers"] = []
    return json.dumps(bad)


def _no_context():
    bad = squad_file("en", plain=True)
    del bad["data"][0]["paragraphs"][1]["context"]
    return json.dumps(bad)


@pytest.mark.parametrize(
    ("file", "content", "message"),
    [
        ("en.json", '{"data": [\n  {"title": "t",\n}', r"en\.json: not valid UTF-8 JSON .*line 3 column 1"),
        ("en.json", '{"articles": []}', r"en\.json: expected SQuAD format"),
        ("en.json", _no_id(), r"en\.json: paragraph 1, question 0 lacks a string 'id'/'question'"),
        ("en.json", _no_answer(), r"en\.json: question 'q-tower' \(paragraph 0\) has no answer"),
        ("en.json", _no_context(), r"en\.json: paragraph 1 has neither a 'context' string"),
        ("english.json", json.dumps(squad_file("en")), r"english\.json: the file name must be the language"),
        ("de.tsv", "q\tp\tn\nq2\tp2\n", r"de\.tsv:2: expected 3 tab-separated fields .* found 2"),
        (
            "de.jsonl",
            '{"query": "q", "positive": "p", "negative": "n"}\n["q", "p", "n"]\n',
            r"de\.jsonl:2: .*, no object",
        ),
        ("de.jsonl", '{"query": "q", "positive": "p"}\n', r"de\.jsonl:1: expected a JSON object with keys"),
    ],
)
def test_malformed_files_name_file_and_place_and_load_nothing(tmp_path, file, content, message):
    folder = tmp_path / "own"
    good = "de.json" if file.endswith(".json") and file != "de.json" else "en.tsv"
    _write(folder, good, json.dumps(squad_file("de")) if good.endswith(".json") else "a\tb\tc\n")
    _write(folder, file, content)
    params = validate({"train_sets": [str(folder)]}) if good == "en.tsv" else None
    with pytest.raises(DatasetFormatError, match=message):
        if params is not None:  # triples: through the training inputs
            from hybridlib.train.inputs import training_pairs

            training_pairs(params)
        else:
            load_retrieval_set(str(folder))


def test_a_fixed_file_loads_after_the_error(tmp_path):
    folder = tmp_path / "own"
    bad = _write(folder, "en.json", _no_answer())
    with pytest.raises(DatasetFormatError):
        load_retrieval_set(str(folder))
    bad.write_text(json.dumps(squad_file("en")) + "\n")  # another size: the load cache sees the edit
    assert len(load_retrieval_set(str(folder)).questions) == 3


@pytest.mark.parametrize(
    ("files", "error", "message"),
    [
        ({}, DatasetFormatError, "holds no <lang>.json SQuAD file and no <lang>.tsv"),
        ({"de.json": "{}", "en.tsv": "a\tb\tc\n"}, DatasetFormatError, "one kind: split them into two"),
        ({"de.json": "{}", "deu.json": "{}"}, DatasetFormatError, "are both language 'de'; keep one file"),
    ],
)
def test_folders_of_no_or_mixed_or_doubled_kinds_are_refused(tmp_path, files, error, message):
    folder = tmp_path / "own"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    with pytest.raises(error, match=message):
        load_retrieval_set(str(folder))


def test_a_missing_folder_and_a_triple_folder_are_no_retrieval_sets(tmp_path):
    with pytest.raises(DataFolderError, match="no folder"):
        load_retrieval_set(str(tmp_path / "absent"))
    with pytest.raises(DatasetFormatError, match=r"holds triple files.*Move it to train_sets"):
        load_retrieval_set(str(triple_folder(tmp_path)))


def test_params_take_paths_for_training_and_evaluation(tmp_path):
    train, test = squad_folder(tmp_path, "train-qa"), squad_folder(tmp_path, "test-qa")
    relative = os.path.relpath(test, REPO_ROOT)  # relative paths start at the repository root
    params = validate({"train_sets": [str(train)], "eval_sets": [relative, "tydiqa-goldp"]})
    assert params.eval_sets == [relative, "tydiqa-goldp"]
    assert "_train-qa_" in run_name(params)  # a path's last part, never a nested folder
    with pytest.raises(ParameterError, match="not zero-shot"):  # one folder, however it is written
        validate({"train_sets": [str(test)], "eval_sets": [relative]})
    alias = tmp_path / "alias"
    alias.symlink_to(test)
    assert set_label(str(alias)) == "alias" and set_label(relative) == "test-qa"
    with pytest.raises(ParameterError, match="not zero-shot"):
        validate({"train_sets": [str(alias)], "eval_sets": [str(test)]})
    with pytest.raises(ParameterError, match=r"eval_sets.*holds no <lang>\.json SQuAD file.*train_sets"):
        validate({"eval_sets": [str(triple_folder(tmp_path))]})
    with pytest.raises(ParameterError, match=r"train_sets: '\./no/such' is a path.*no existing folder"):
        validate({"train_sets": ["./no/such"]})
    other = squad_folder(tmp_path / "b", "test-qa")
    with pytest.raises(ParameterError, match="two sets named 'test-qa'"):
        validate({"eval_sets": [str(test), str(other)]})


def test_triple_folders_train_with_their_negatives_and_no_false_negative_in_a_key(tmp_path):
    from hybridlib.evaluation.run import training_languages
    from hybridlib.train.inputs import build_datasets, training_pairs

    triples, qa = str(triple_folder(tmp_path)), str(squad_folder(tmp_path))
    params = validate({"train_sets": [triples, qa], "eval_sets": ["tydiqa-goldp"], "batch_size": 2})
    pairs = training_pairs(params)
    table = pairs[triples]
    assert len(table) == 2 * len(TRIPLES) and set(table["kind"]) == {"mono"}
    assert sorted(set(table["q_lang"])) == ["de", "en"] and (table["q_lang"] == table["p_lang"]).all()
    assert list(table["negative"][:2]) == ["c ist d", "e ist f"]
    assert table["group"][0] == table["group"][1] != table["group"][2]  # one query, one key
    assert set(pairs[qa]["kind"]) == {"mono", "cross"}
    datasets, metas, _ = build_datasets(params, pairs, None)
    assert datasets[triples].column_names == ["anchor", "positive", "negative"]
    assert len(metas[triples]) == len(table)
    assert training_languages(params) == {"de", "en"}
    only_en = validate({"train_sets": [triples], "train_languages": ["en"]})
    assert set(training_pairs(only_en)[triples]["q_lang"]) == {"en"}


def test_parallel_files_give_alignment_pairs_without_evaluation_questions(tmp_path):
    from hybridlib.train.inputs import alignment_pairs

    par = tmp_path / "parallel"
    _write(par, "news.de", "Guten Tag\nWo liegt Paris?\n\n")
    _write(par, "news.en", "Good day\nWhere is Paris?\nEmpty German side\n")
    _write(par, "more.tsv", "fra\tBonjour\ten\tHello\nfi\tKiitos\ten\tThanks\n")
    _write(par, "NOTES.md", "not read\n")
    pairs = load_parallel_set(str(par)).pairs
    assert len(pairs) == 4  # the pair with an empty side is dropped
    directions = set(zip(pairs["src_lang"], pairs["tgt_lang"], strict=True))
    assert directions == {("de", "en"), ("fr", "en"), ("fi", "en")}  # fra is mapped to fr
    assert set(load_parallel_set(str(par), languages=["fi"]).pairs["src"]) == {"Kiitos"}
    evaluated = str(squad_folder(tmp_path))  # holds "Wo liegt Paris?" / "Where is Paris?"
    params = validate({"align_weight": 0.5, "align_data": str(par), "eval_sets": [evaluated]})
    align = alignment_pairs(params)
    assert len(align) == 3 and align.attrs["dropped_eval_questions"] == 1
    assert "Wo liegt Paris?" not in set(align["src"])
    one_file = validate({"align_weight": 0.5, "align_data": str(par / "more.tsv"), "eval_sets": [evaluated]})
    assert len(alignment_pairs(one_file)) == 2
    assert "l0.5-parallel_" in run_name(params)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"news.de": "a\nb\nc\n", "news.en": "A\nB\n"}, r"news\.de has 3 lines but .*news\.en has 2"),
        ({"p.tsv": "de\tHallo\ten\n"}, r"p\.tsv:1: expected 4 tab-separated fields"),
        ({"p.tsv": "german\tHallo\ten\tHello\n"}, r"p\.tsv:1: 'german' is not a language code"),
        ({"n.de": "a\n", "n.en": "A\n", "n.fr": "b\n"}, "a name pairs exactly two languages"),
    ],
)
def test_malformed_parallel_text_is_refused(tmp_path, files, message):
    for name, text in files.items():
        _write(tmp_path / "par", name, text)
    with pytest.raises(DatasetFormatError, match=message):
        load_parallel_set(str(tmp_path / "par"))


def test_an_own_evaluation_set_is_cut_and_scored_like_xquad_r(tmp_path):
    from hybridlib.evaluation.lareqa import evaluate_lareqa
    from hybridlib.evaluation.results import result_path
    from hybridlib.evaluation.run import evaluation_sets

    folder = str(squad_folder(tmp_path))
    params = validate({"eval_sets": [folder], "eval_max_paragraphs": 1})
    rset = evaluation_sets(params)[folder]
    assert sorted(rset.questions["xid"].unique()) == ["q-paris", "q-tower"]  # the first paragraph's group
    assert result_path(params, "hybrid", folder).name == "qa.json"
    rng = np.random.default_rng(0)
    q_emb = rng.normal(size=(len(rset.questions), 8)).astype("float32")
    c_emb = rng.normal(size=(len(rset.candidates), 8)).astype("float32")
    result = evaluate_lareqa(rset, q_emb, c_emb, model_name="random")
    assert result["dataset"] == "qa"
    assert all(0.0 < result["mAP"][s] <= 1.0 for s in ("mo", "cr", "mul"))
    assert result["languages"]["query"] == ["de", "en"]


def test_editing_a_file_of_a_path_set_changes_the_fingerprints(tmp_path):
    from hybridlib.experiment.stages import NOTEBOOKS
    from hybridlib.experiment.stamps import stage_inputs
    from hybridlib.fingerprint import data_fingerprint
    from hybridlib.train.identity import training_datasets

    qa, par = squad_folder(tmp_path), tmp_path / "pairs.tsv"
    par.write_text("de\tHallo\ten\tHello\n")
    params = validate({"train_sets": [str(qa)], "align_weight": 0.5, "align_data": str(par)})
    assert {str(qa), str(par)} <= set(training_datasets(params))
    notebook = NOTEBOOKS / "03_train.py"
    before = stage_inputs(params.to_dict(), notebook, model=None)["data"]
    assert before[str(qa)] is not None and before[str(par)] is not None
    (qa / "de.json").write_text(json.dumps(squad_file("de", plain=True)))
    par.write_text("de\tTschüss\ten\tBye\n")
    after = stage_inputs(params.to_dict(), notebook, model=None)["data"]
    assert after[str(qa)] != before[str(qa)] and after[str(par)] != before[str(par)]
    relative = os.path.relpath(qa, REPO_ROOT)
    assert data_fingerprint([relative])[relative] == after[str(qa)]  # resolved from the repository root
    data_notebook = {"align_data": str(par)}  # 01_data shows the parallel text: no λ, always read
    assert str(par) in stage_inputs(data_notebook, NOTEBOOKS / "01_data.py", model=None)["data"]
    without_alignment = {**params.to_dict(), "align_weight": 0.0}
    assert str(par) not in stage_inputs(without_alignment, notebook, model=None)["data"]


def test_training_runs_on_path_sets_alone(tmp_path, recwarn, tiny_model):
    """End to end: QA pairs from a SQuAD folder, triples and alignment pairs from paths. Monolingual
    batches, because triples hold no X-Y pair, without which the hybrid sampler skips a set. The tiny
    random encoder (``conftest.tiny_model``): what is read and batched does not depend on the model."""
    from hybridlib.train.run import train

    par = tmp_path / "pairs.tsv"
    par.write_text("de\tGuten Tag\ten\tGood day\nfi\tKiitos\ten\tThanks\nfr\tMerci\ten\tThank you\n")
    params = validate(
        {
            "train_sets": [str(squad_folder(tmp_path)), str(triple_folder(tmp_path))],
            "eval_sets": [str(squad_folder(tmp_path, "test-qa"))],
            "align_data": str(par),
            "align_weight": 0.5,
            "align_every": 1,
            "sampler": "monolingual",
            "model": tiny_model,
            "batch_size": 2,
            "max_seq_length": 16,
            "max_steps": 1,
            "precision": "fp32",
            "logging_steps": 1,
        }
    )
    result = train(params, run_dir=tmp_path / "run")
    assert result.steps == 2  # one QA batch, then one alignment batch
    assert (result.model_dir / "config.json").is_file()
    assert np.isfinite(result.log["loss"]).all()
    assert not [w for w in recwarn if "yields no" in str(w.message)]  # every set yields batches
