"""``python -m hybridlib.download``: download the dataset mirrors with their checksums.

The command-line entry point; the code is in :mod:`hybridlib.data.download`.
"""

from hybridlib.data.download import main

if __name__ == "__main__":
    raise SystemExit(main())
