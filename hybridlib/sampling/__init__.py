"""Batch sampling: which training pairs go into one batch, and which batch comes next.

:mod:`~hybridlib.sampling.sampler` holds the samplers (and the overview); :mod:`~hybridlib.sampling.config`
their validated parameters, :mod:`~hybridlib.sampling.pools` the pools of rows a batch may draw from, and
:mod:`~hybridlib.sampling.schedule` the order of the batches in one endless stream.
"""
