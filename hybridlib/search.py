"""``python -m hybridlib.search``: a run's top-k retrievals per arm from a shell.

The command-line entry point; the code is in :mod:`hybridlib.experiment.search_cli`.
"""

from hybridlib.experiment.search_cli import main

if __name__ == "__main__":
    raise SystemExit(main())
