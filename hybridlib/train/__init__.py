"""Training: inputs (pairs, datasets), losses, callbacks, the trainer (``build_trainer``), the training
identity (folder names), and running and saving a training run (``run.train``).

``python -m hybridlib.train`` trains one arm (:mod:`hybridlib.train.__main__`).
"""
