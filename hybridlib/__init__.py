"""hybridlib: hybrid batch training for multilingual dense retrieval (arXiv 2408.10536).

The sub-packages are the pipeline's stages, in layer order (a module imports only its own layer and
the ones before it; ``tests/test_layering.py`` checks it):

``params``, ``config``, ``io``, ``provenance``, ``fingerprint`` (the core) → ``data`` → ``pairs`` →
``sampling`` → ``model`` → ``train`` → ``retrieval`` → ``evaluation`` → ``analysis`` → ``experiment``.

``pipeline``, ``sweep``, ``report`` and ``download`` at the top level are the command-line entry
points (``python -m hybridlib.pipeline`` …); ``python -m hybridlib.train`` is ``train/__main__.py``.
"""

__version__ = "0.1.0"
