"""Speed benchmarks of hybridlib against the alternatives it replaces (``python -m bench.run``).

Every row is a ratio measured side by side in one run on one machine, on the same inputs and the
same thread count: medians over ``--repeats`` repetitions after a warm-up, with their min–max.
"""
