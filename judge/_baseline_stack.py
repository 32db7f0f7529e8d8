"""A learned head over any run: the run's grade probabilities as features beside the lexical ones.

Each grade g of the scale gives the column ``run_logp_<g>`` = ln(max(p_g, 1e-4)), p_g the
run's probability of g for the pair. An LLM's probabilities are a softmax of its logits, so
their logarithms are the logits up to one constant per pair: the scale on which a logistic
regression adds evidence. The floor keeps a zero from becoming -inf and bounds how far one
near-certain grade can push. A pair the run graded without probabilities (generation mode)
counts as probability 1 on its grade.

The head is ``cross_fit_baseline`` with these columns as ``extra``: the same folds by query,
the same benchmark rule, so its grades are as honest as the baseline's. It is the general
form of tuned thresholds: those move the cut points of one number (the expected grade); the
head weighs every grade's probability, and the text as well.

    extra = run_features(run_probs, run_grades, scale=(0, 1, 2))
    fitted = cross_fit_baseline(pairs, labels, grades=(0, 1, 2), extra=extra)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._exceptions import SettingsError

__all__ = ["LOGP_FLOOR", "run_features"]

LOGP_FLOOR = 1e-4


def run_features(
    probs: Sequence[Sequence[float] | None],
    grades: Sequence[int | None],
    scale: Sequence[int],
) -> pd.DataFrame:
    """One row per pair: ``run_logp_<g>`` for each grade g of ``scale`` (module doc).

    ``probs[i]`` is the run's probability per grade of pair i in scale order (None when the
    run gave none), ``grades[i]`` its grade. Raises SettingsError for a pair with neither,
    or with probabilities of another length than the scale: leave such pairs out.
    """
    scale = [int(g) for g in scale]
    rows = np.empty((len(grades), len(scale)))
    for i, (p, grade) in enumerate(zip(probs, grades, strict=True)):
        if p is not None:
            if len(p) != len(scale):
                raise SettingsError(
                    f"pair {i} has {len(p)} grade probabilities for the {len(scale)} grades "
                    f"{scale}: stack only on a run made on the dataset's scale"
                )
            rows[i] = p
        elif grade is not None and int(grade) in scale:
            rows[i] = np.asarray(scale) == int(grade)
        else:
            raise SettingsError(
                f"pair {i} has no grade in the run: stack only on the pairs the run graded"
            )
    return pd.DataFrame(
        np.log(np.maximum(rows, LOGP_FLOOR)), columns=[f"run_logp_{g}" for g in scale]
    )
