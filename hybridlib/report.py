"""``python -m hybridlib.report``: rewrite README.md's results from the files on disk.

The command-line entry point; the code is in :mod:`hybridlib.experiment.report`.
"""

from hybridlib.experiment.report import main

if __name__ == "__main__":
    main()
