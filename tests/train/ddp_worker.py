"""One process of the multi-process training test (``tests/train/test_multiprocess.py``), started by
``torchrun --nproc_per_node N tests/train/ddp_worker.py OUT --set key=value ...``.

It trains through :func:`hybridlib.train.run.train` exactly as ``python -m hybridlib.train`` does, and
records, for this process, what the test checks into ``OUT/rank<r>.json``:

* ``batches`` — each batch this process collated: its dataset and the (query, passage) languages of
  its rows, looked up from the training pairs by their texts (what the process really trained on);
* ``candidates`` / ``anchors`` — per QA loss call, how many passages each query was scored against
  and how many queries this process scored (``gather_across_devices`` multiplies the first by N);
* ``parameters`` — a hash of every model parameter after training (DDP must keep them identical).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def pair_languages(params) -> dict[tuple[str, str], tuple[str, str]]:
    """(query text, passage text) -> (query language, passage language) of every training pair and,
    for the alignment set, (source, target) -> (source language, target language)."""
    from hybridlib.train.inputs import alignment_pairs, training_pairs

    languages = {}
    for table in training_pairs(params).values():
        for q, p, ql, pl in zip(
            table["query"], table["positive"], table["q_lang"], table["p_lang"], strict=True
        ):
            languages[(q, p)] = (ql, pl)
    if params.align_weight > 0:
        align = alignment_pairs(params)
        for s, t, sl, tl in zip(
            align["src"], align["tgt"], align["src_lang"], align["tgt_lang"], strict=True
        ):
            languages[(s, t)] = (sl, tl)
    return languages


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--set", nargs="*", default=[])
    ns = parser.parse_args()
    sys.path.insert(0, str(REPO))

    import torch
    from sentence_transformers.base.data_collator import BaseDataCollator
    from transformers import TrainerCallback

    import hybridlib.train.losses as losses
    from hybridlib.params import load_yaml, parse_overrides
    from hybridlib.train.run import train

    rank = int(os.environ["RANK"])
    out = Path(ns.out)
    params = load_yaml(REPO / "params" / "tiny.yaml", **parse_overrides(ns.set))
    languages = pair_languages(params)
    record: dict = {"rank": rank, "batches": [], "candidates": [], "anchors": []}

    collate = BaseDataCollator.__call__

    def recording_collate(self, features):
        rows = [languages[(row["anchor"], row["positive"])] for row in features]
        record["batches"].append(
            {
                "dataset": features[0].get("dataset_name"),
                "languages": rows,
                "anchors": [row["anchor"] for row in features],
            }
        )
        return collate(self, features)

    BaseDataCollator.__call__ = recording_collate

    retrieval_loss = losses.retrieval_loss

    def recording_retrieval_loss(model, **kwargs):
        loss = retrieval_loss(model, **kwargs)
        similarity = loss.similarity_fct

        def counted(queries, passages):  # the QA loss scores once per batch: queries x passages
            record["anchors"].append(int(queries.shape[0]))
            record["candidates"].append(int(passages.shape[0]))
            return similarity(queries, passages)

        loss.similarity_fct = counted
        return loss

    losses.retrieval_loss = recording_retrieval_loss

    class HashParameters(TrainerCallback):
        def on_train_end(self, args, state, control, model=None, **kwargs):
            h = hashlib.sha256()
            for name, tensor in sorted(model.state_dict().items()):
                h.update(name.encode())
                h.update(tensor.detach().float().cpu().numpy().tobytes())
            record["parameters"] = h.hexdigest()

    result = train(params, run_dir=out / "run", extra_callbacks=[HashParameters()])
    record["steps"] = result.steps
    record["world_size"] = int(os.environ["WORLD_SIZE"])
    record["torch_backend"] = torch.distributed.get_backend() if torch.distributed.is_initialized() else None
    (out / f"rank{rank}.json").write_text(json.dumps(record))


if __name__ == "__main__":
    main()
