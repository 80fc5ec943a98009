"""``python -m hybridlib.pilot``: the validation pilot.

The command-line entry point; the code is in :mod:`hybridlib.experiment.pilot`.
"""

from hybridlib.experiment.pilot import main

if __name__ == "__main__":
    main()
