"""Evaluation: metrics, language bias, the LAReQA and TyDi evaluations, result files, one model's run."""
