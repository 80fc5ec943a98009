"""Child process of row 6: do one thing, print ``{"peak_rss_mib": ..., ...}`` as the last line.

``python -m bench.memory {encode,train,train_bare} [--quick] [--threads T]``

Two peaks: ``peak_rss_mib`` (``ru_maxrss``: the whole process, loading included — loading the model
has a transient peak of its own) and ``work_peak_rss_mib`` (``VmHWM`` reset once the model is loaded:
the loaded model plus what the work itself needs). ``rss_after_load_mib`` is the resident size then.

* ``encode``     hybridlib ``Encoder.encode`` of ``memory_texts`` questions and as many sentences;
* ``train``      two steps of hybridlib's training path (the real trainer; AdamW state exists after one);
* ``train_bare`` two steps of the bare PyTorch loop on the same batch.
"""

from __future__ import annotations

import argparse
import json

from bench.common import Sizes, current_rss_mib, peak_rss_mib, peak_rss_since_reset_mib, reset_peak_rss


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=["encode", "train", "train_bare"])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    ns = parser.parse_args(argv)
    sizes = Sizes.quick() if ns.quick else Sizes()

    import torch

    torch.set_num_threads(ns.threads)
    out: dict[str, float | int | str | bool] = {"what": ns.what}

    def loaded() -> None:
        out["rss_after_load_mib"] = current_rss_mib()
        out["peak_reset"] = reset_peak_rss()

    if ns.what == "encode":
        from bench.encoding import encoding_texts
        from hybridlib.model import load_encoder

        queries, passages = encoding_texts(Sizes(n_queries=sizes.memory_texts, n_passages=sizes.memory_texts))
        encoder = load_encoder(threads=ns.threads)
        loaded()
        encoder.encode(queries, "query", show_progress=False)
        encoder.encode(passages, "passage", show_progress=False)
    else:
        from bench.common import training_pairs
        from bench.training import bare_loop, hybridlib_steps

        anchors, positives = training_pairs(sizes.train_batch)
        if ns.what == "train":
            hybridlib_steps(anchors, positives, sizes.train_seq_len, steps=2, on_loaded=loaded)
        else:
            # the same tensors the trainer's collator makes, from the tokenizer alone (no ST model here)
            from transformers import AutoTokenizer

            from hybridlib.model import EMBEDDED_MODEL, resolve_model_path, settings_for

            path = resolve_model_path(EMBEDDED_MODEL)
            tok = AutoTokenizer.from_pretrained(path)
            settings = settings_for(EMBEDDED_MODEL)
            features = [
                dict(
                    tok(
                        [prefix + t for t in texts],
                        padding=True,
                        truncation=True,
                        max_length=sizes.train_seq_len,
                        return_tensors="pt",
                    )
                )
                for prefix, texts in ((settings.query_prefix, anchors), (settings.passage_prefix, positives))
            ]
            bare_loop(features, path, repeats=1, on_loaded=loaded)  # warm-up step + 1 timed step
    out["peak_rss_mib"] = peak_rss_mib()
    out["work_peak_rss_mib"] = peak_rss_since_reset_mib()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
