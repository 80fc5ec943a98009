"""Drill-down: the questions where two arms of a run differ most, from the per-query arrays their
evaluation saved (``results/<arm>/<dataset>.per_query.npz``), in one cell of the X_Q × X_C heatmap.

:class:`DrillDown` is a part of :class:`hybridlib.experiment.search.Explorer` (its base class): it uses
the explorer's ``run_dir``, ``_arm`` (an :class:`~hybridlib.experiment.arms.Arm` by name, or a
:class:`~hybridlib.experiment.arms.SearchError`) and ``retrieval_set`` (the evaluation pool).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hybridlib.experiment.arms import SearchError


class DrillDown:
    """Per-question AP of a run's arms and the questions where two arms differ most."""

    def per_query(self, arm: str, dataset: str) -> dict[str, np.ndarray]:
        """The per-query arrays of ``arm``'s result on ``dataset`` (``.per_query.npz``)."""
        from hybridlib.evaluation.results import load_per_query

        a = self._arm(arm)
        if dataset not in a.results:
            raise SearchError(f"arm {arm!r} has no {dataset} result in {self.run_dir}")
        return load_per_query(self.run_dir / "results" / arm / f"{dataset}.json")

    def question_scores(self, arm: str, dataset: str, x_c: str | None = None) -> pd.Series:
        """Per-question AP of ``arm`` indexed by qid: in ``x_c``'s pool (LAReQA Mo./Cr. cell), or in the
        multilingual pool when ``x_c`` is None (TyDi: ``x_c="mono"`` is the question's own-language pool)."""
        pq = self.per_query(arm, dataset)
        qid = pq["qid"].astype(str)
        if "ap_pool" in pq:  # LAReQA
            if x_c is None:
                values = pq["ap_mul"]
            else:
                langs = [str(x) for x in pq["candidate_languages"]]
                if x_c not in langs:
                    raise SearchError(f"no candidate language {x_c!r} in {dataset}; languages: {langs}")
                values = pq["ap_pool"][:, langs.index(x_c)]
        else:  # TyDi
            values = pq["mono_ap"] if x_c == "mono" else pq["mul_ap"]
        return pd.Series(np.asarray(values, dtype=float), index=qid, name=arm)

    def differing_questions(
        self,
        arm_a: str,
        arm_b: str,
        dataset: str,
        x_q: str | None = None,
        x_c: str | None = None,
        n: int = 5,
    ) -> pd.DataFrame:
        """The ``n`` questions (of language ``x_q``, or all) where the two arms' AP differ most in the
        cell (``x_q``, ``x_c``): ``x_c`` a candidate language (Mo./Cr. pool) or None (multilingual
        pool). Columns: qid, lang, text, AP of each arm, ``diff`` (= b − a), sorted by |diff|."""
        a = self.question_scores(arm_a, dataset, x_c)
        b = self.question_scores(arm_b, dataset, x_c)
        qs = self.retrieval_set(dataset, arm_a).questions.set_index("qid")
        frame = pd.DataFrame({"ap_a": a, "ap_b": b}).dropna()
        frame = frame[frame.index.isin(qs.index)]
        frame.insert(0, "lang", qs.loc[frame.index, "lang"].to_numpy())
        frame.insert(1, "text", qs.loc[frame.index, "text"].to_numpy())
        if x_q is not None:
            frame = frame[frame["lang"] == x_q]
        frame["diff"] = frame["ap_b"] - frame["ap_a"]
        frame = frame.reindex(frame["diff"].abs().sort_values(ascending=False, kind="stable").index)
        frame = frame.rename(columns={"ap_a": f"AP {arm_a}", "ap_b": f"AP {arm_b}"}).head(n)
        return frame.rename_axis("qid").reset_index()
