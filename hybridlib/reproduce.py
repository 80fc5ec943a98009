"""``python -m hybridlib.reproduce {rebuild,check}``: ``make results`` and ``make check-results``.

The command-line entry point; the code is in :mod:`hybridlib.experiment.reproduce`.
"""

from hybridlib.experiment.reproduce import main

if __name__ == "__main__":
    raise SystemExit(main())
