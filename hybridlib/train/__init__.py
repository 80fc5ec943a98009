"""Training: losses, the training identity (folder names), running and saving a training run.

``python -m hybridlib.train`` trains one arm (:mod:`hybridlib.train.__main__`).
"""
