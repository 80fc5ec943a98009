"""``python -m hybridlib.train``: train one arm (single process, or under torchrun/accelerate).

python -m hybridlib.train --params params/default.yaml --set sampler=hybrid
"""

from __future__ import annotations

import argparse
import json

from hybridlib.params import ParameterError, load_yaml, parse_overrides, validate
from hybridlib.train.run import train


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Train one arm (single process, or under torchrun/accelerate)."
    )
    parser.add_argument("--params", default=None, help="params/*.yaml file (default: built-in defaults)")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="override parameters")
    parser.add_argument("--run-dir", default=None)
    ns = parser.parse_args(argv)
    try:
        overrides = parse_overrides(ns.set)
    except ParameterError as err:
        parser.error(str(err))
    params = load_yaml(ns.params, **overrides) if ns.params else validate(overrides)
    result = train(params, run_dir=ns.run_dir)
    print(
        json.dumps(
            {"run_dir": str(result.run_dir), "steps": result.steps, "seconds": round(result.seconds, 1)}
        )
    )


if __name__ == "__main__":
    main()
