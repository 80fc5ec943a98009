"""``python -m hybridlib.pipeline``: run the notebooks as a DAG (``make run``).

The command-line entry point; the code is in :mod:`hybridlib.experiment.pipeline`.
"""

from hybridlib.experiment.pipeline import main

if __name__ == "__main__":
    main()
