"""hybridlib: hybrid batch training for multilingual dense retrieval (arXiv 2408.10536).

Stages, each in its own module (Tevatron-style train -> encode -> search):
data loading (`data`, `download`), pair construction (`pairs`), batch sampling (`sampling`),
encoder loading and encoding (`model`), training (`train`, `losses`), FAISS retrieval
(`retrieval`), metrics (`metrics`, `bias`), evaluation runs (`evaluate`) and plots (`plots`).
"""

__version__ = "0.1.0"
