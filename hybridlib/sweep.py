"""``python -m hybridlib.sweep``: seeds and the α sweep (``make seeds``).

The command-line entry point; the code is in :mod:`hybridlib.experiment.sweep`.
"""

from hybridlib.experiment.sweep import main

if __name__ == "__main__":
    main()
