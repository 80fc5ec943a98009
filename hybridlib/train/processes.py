"""Which processes train together: torchrun and accelerate launch describe them in the environment.

Read from the environment (``WORLD_SIZE``, ``RANK``) because the answers are needed before the trainer
starts the distributed state: to name the training identity and to let only one process write the
run's files.
"""

from __future__ import annotations

import os


def world_size() -> int:
    """Processes training together (1 when run alone)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    """Whether this process writes the run's files: global rank 0 (the only process when run alone)."""
    return int(os.environ.get("RANK", "0")) == 0
