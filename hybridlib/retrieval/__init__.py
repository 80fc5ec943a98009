"""Retrieval: exact scoring, FAISS indexes, the embedding cache and TREC run files."""
