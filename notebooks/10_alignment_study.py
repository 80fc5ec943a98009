# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python (hybridlib)
#     language: python
#     name: hybridlib
# ---

# %% [markdown]
# # 10 · The alignment study: why no gain?
# Fold 1 answered the research question with "no" at one setting (λ = 0.5, XOR-TyDi, batch 32, 200
# steps). This notebook reads fold 1's study arms from every seed that has finished and asks: was λ
# wrong (dose-response)? Did the parallel text cover the languages that matter (coverage)? Did the
# objective align the languages at all (the held-out NTREX bitext probe)? What does each objective do
# alone, from zero-shot (decomposition)? And α, the ablation the paper does not show. Every answer is a
# comparison over seeds (`hybridlib.analysis.intervals.seed_t_interval`) in the family "alignment
# study", Holm-adjusted over the family (`hybridlib.analysis.study`, `docs/alignment-study.md`).
# Nothing is trained or evaluated here; a part whose arms have no result files yet is listed, not
# computed.

# %%
import hybridlib.params as hp

_before = set(globals())

# %% tags=["parameters"]
run_dir = "runs/full"
figures_dir = "runs/full/figures"
seed = 0
align_languages = None
smallest_effect_map = 0.01
smallest_effect_rank_distance = 1.0

# %%
P = hp.from_notebook(globals(), _before)

from IPython.display import Markdown, display

from hybridlib.analysis import study as st
from hybridlib.analysis import study_plots
from hybridlib.analysis.tables import write_table
from hybridlib.config import figures_dir as figures
from hybridlib.dataset_names import REPO_ROOT
from hybridlib.io import write_text

study = st.load_study(P.run_dir, seed=P.seed)
seeds = list(study.seeds)
print("seeds with result files:", seeds)
for note in study.notes:
    print(note)
coverage = st.source_coverage(P.align_languages)
print("languages each alignment source covers (TyDi, not English):", coverage)
table, missing = st.study_table(
    study,
    st.study_comparisons(coverage),
    smallest_effect_map=P.smallest_effect_map,
    smallest_effect_rank_distance=P.smallest_effect_rank_distance,
)
long = st.study_long(study)
write_text(figures(P) / "study_long.csv", long.to_csv(index=False))
if not table.empty:
    write_table(table, figures(P) / "study_comparisons")
print(
    f"{len(table)} comparisons computed; not computable here:"
    if missing
    else f"{len(table)} comparisons computed"
)
for line in missing:
    print(" -", line)

# %% [markdown]
# ## 1 · Dose-response: TyDi mAP against λ
# Top: each seed's TyDi mono mAP (grey) and the mean (blue), all languages and the languages unseen in
# QA fine-tuning. Bottom: hybrid+align@λ − hybrid with its 95 % interval over seeds and questions; the
# green band is ± the smallest effect of interest.

# %%
dose = st.dose_table(long, table)
write_table(dose, figures(P) / "study_dose")
display(dose)
study_plots.dose_plot(long, table, margin=P.smallest_effect_map, path=figures(P) / "study_lambda.png")

# %% [markdown]
# ## 2 · Coverage: does alignment help the languages it covers?
# Per TyDi language, the source arm − hybrid (unadjusted 95 % intervals; the family tests the covered
# and the uncovered languages as groups). English is the pivot of every pair: neither covered nor not.

# %%
effects = st.coverage_effects(study, coverage)
if not effects.empty:
    write_table(effects, figures(P) / "study_coverage")
display(effects)
study_plots.coverage_plot(effects, margin=P.smallest_effect_map, path=figures(P) / "study_coverage.png")

# %% [markdown]
# ## 3 · Did it align anything? The bitext probe
# Accuracy@1 in both directions and the ratio margin on the last NTREX lines, held out of every run,
# for zero-shot and every arm; then the per-language probe gain of hybrid+align − hybrid against its
# TyDi gain.

# %%
probe = st.probe_table(long)
write_table(probe, figures(P) / "study_probe")
display(probe)
correlation = st.probe_correlation(study)  # on the ratio margin where the files hold it
print(st.correlation_sentence(correlation))
probe_arms = [a for a in st.STUDY_ARMS if a in set(probe["arm"])]
study_plots.probe_plot(long, probe_arms, correlation, path=figures(P) / "study_probe.png")

# %% [markdown]
# ## 4 · Decomposition: each objective alone, from zero-shot
# Zero-shot is one model, the same in every seed: each seed's difference is that seed's arm − zero-shot.

# %%
decomposition = st.decomposition_table(long, table)
write_table(decomposition, figures(P) / "study_decomposition")
decomposition

# %% [markdown]
# ## 5 · α: Mo., Cr., Mul. and rank distance
# The paper claims stability for α in [0.4, 0.6] (C10); the grid holds only 0.5 inside it, so the
# answer is the one the grid allows: does moving α from 0.5 to 0.25 or 0.75 change any metric by less
# than the smallest effect of interest (an equivalence test in the family)?

# %%
alpha = st.alpha_table(long)
write_table(alpha, figures(P) / "study_alpha")
display(alpha)
study_plots.alpha_plot(long, path=figures(P) / "study_alpha.png")

# %% [markdown]
# ## The answers (family "alignment study", Holm)

# %%
answers = st.study_answers(table, missing, correlation, seeds=seeds)
write_text(figures(P) / "study_answers.md", answers)
if st.describes_fold1(P.run_dir):  # the docs describe fold 1 only; another run leaves them alone
    st.fill_docs(REPO_ROOT / "docs" / "alignment-study.md", answers.split("\n", 1)[1])
display(Markdown(answers))

# %% [markdown]
# ## What this shows

# %%
print(st.what_this_shows(table, missing, correlation, seeds=seeds))
