"""Analysis of result files: statistics, seeds, tables, plots and the research comparisons."""
