"""Batch sampling: which training pairs go into one batch, and which batch comes next."""
