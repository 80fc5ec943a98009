"""Child process of row 6: do one thing, print ``{"peak_rss_mib": ..., ...}`` as the last line.

``python -m bench.memory {encode,train,train_bare} [--quick] [--threads T]``

Peaks come from ``VmHWM`` (per address space, so it starts afresh at ``exec``). ``ru_maxrss`` is
*not* used: Linux carries it across fork+exec, so a child would report the parent's peak (the
benchmark process holds several models). ``load_peak_rss_mib``: peak while importing and loading the
model; ``work_peak_rss_mib``: peak after the mark is reset once the model is loaded (the loaded model
plus what the work needs); ``peak_rss_mib``: the larger of the two; ``rss_after_load_mib``: resident
size once loaded.
"""

from __future__ import annotations

import argparse
import json

from bench.common import Sizes, current_rss_mib, peak_rss_since_reset_mib, reset_peak_rss


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
        out["load_peak_rss_mib"] = peak_rss_since_reset_mib()
        out["peak_reset"] = reset_peak_rss()

    if ns.what == "encode":
        from bench.encoding import encoding_texts
        from hybridlib.model.encoder import load_encoder

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

            from hybridlib.config import EMBEDDED_MODEL
            from hybridlib.model.encoder import resolve_model_path, settings_for

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
    out["work_peak_rss_mib"] = peak_rss_since_reset_mib()
    out["peak_rss_mib"] = max(float(out["load_peak_rss_mib"]), out["work_peak_rss_mib"])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
