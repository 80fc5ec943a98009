"""``python -m hybridlib.search``: the top-k candidates of a run's arms for one question, printed.

The search is :class:`hybridlib.experiment.search.Explorer`; this module parses the command line and
prints its hit lists.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import pandas as pd

from hybridlib.experiment.search import Explorer, SearchError, shorten


def format_hits(arm: str, hits: pd.DataFrame, width: int = 100) -> str:
    lines = [f"== {arm}"]
    for r in hits.itertuples(index=False):
        mark = "*" if r.gold else " "
        lines.append(f"{r.rank:>3} {mark} {r.score:.4f}  [{r.lang}]  {shorten(r.text, width)}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hybridlib.search",
        description="Top-k candidates of a run's arms for a question, from the multilingual pool.",
    )
    parser.add_argument("query", nargs="?", help="the question, in any language (or use --qid)")
    parser.add_argument("--run-dir", default="runs/default", help="run folder (default: runs/default)")
    parser.add_argument(
        "--arm", action="append", dest="arms", help="arm to search (repeatable; default: all)"
    )
    parser.add_argument("--dataset", default=None, help="pool: xquad-r (default) or tydiqa-goldp")
    parser.add_argument(
        "--qid", default=None, help="a question id of the dataset instead of a typed question"
    )
    parser.add_argument("--lang", default=None, help="search only the candidates of this language")
    parser.add_argument("-k", type=int, default=10, help="how many candidates (default 10)")
    args = parser.parse_args(argv)
    if (args.query is None) == (args.qid is None):
        parser.error("give a question (positional) or --qid, not both")
    try:
        ex = Explorer(args.run_dir, args.arms)
        dataset = args.dataset or ("xquad-r" if "xquad-r" in ex.datasets else ex.datasets[0])
        ex._check_dataset(dataset)
        hits = ex.compare(dataset, args.query, qid=args.qid, k=args.k, pool_lang=args.lang)
    except SearchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.qid is not None:
        q = ex.question(dataset, args.qid)
        print(f"question {args.qid} [{q['lang']}]: {q['text']}  (* = gold)")
    print(f"{dataset}, {'pool ' + args.lang if args.lang else 'multilingual pool'}, top {args.k}\n")
    for arm, h in hits.items():
        print(format_hits(arm, h))
        mix = h["lang"].value_counts()
        print("    languages: " + ", ".join(f"{lang} {n}" for lang, n in mix.items()) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
