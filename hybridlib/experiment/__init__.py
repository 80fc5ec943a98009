"""The experiment: the notebook DAG (stages, stamps, pipeline), seeds and the α sweep, the README report.

Only command-line entry points and notebooks import this layer."""
