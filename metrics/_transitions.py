"""How grades moved between two label sources (import vs review, run A vs run B)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from numpy.typing import ArrayLike

from ._confusion import confusion_matrix


def transition_table(
    grades_a: ArrayLike, grades_b: ArrayLike, labels: Sequence[int]
) -> pd.DataFrame:
    """Count pairs by (grade in source a, grade in source b), as relabelling studies report.

    The diagonal holds the pairs that kept their grade; ``table.loc[2, 1]`` is the number of
    pairs that moved from grade 2 to grade 1. Rows are indexed ``from``, columns ``to``.
    Pass the two sources' grades of the same pairs, in the same order.

    Examples
    --------
    >>> transition_table([2, 2, 1, 0], [2, 1, 1, 1], [0, 1, 2]).values.tolist()
    [[0, 1, 0], [0, 1, 0], [0, 1, 1]]
    """
    counts = confusion_matrix(grades_a, grades_b, labels)
    return pd.DataFrame(
        counts,
        index=pd.Index(list(labels), name="from"),
        columns=pd.Index(list(labels), name="to"),
    )
