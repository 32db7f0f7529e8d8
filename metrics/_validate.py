"""Input checks shared by every metric: the grade scale, grade arrays, confusion matrices."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ._exceptions import MetricsInputError

# A grade scale as callers hold it: a list of grades, or the int array check_labels returns.
Labels: TypeAlias = Sequence[int] | NDArray[np.integer]


def check_labels(labels: Labels) -> NDArray[np.int64]:
    """Return the scale as an int array; it must be two or more strictly increasing integers."""
    scale = np.asarray(labels)
    if scale.ndim != 1 or scale.size < 2 or not np.issubdtype(scale.dtype, np.integer):
        raise MetricsInputError(
            f"labels must be two or more integer grades, for example [0, 1, 2]; got {labels!r}"
        )
    if np.any(np.diff(scale) <= 0):
        raise MetricsInputError(
            f"labels must be strictly increasing, for example [0, 1, 2]; got {scale.tolist()}"
        )
    return scale.astype(np.int64)


def encode(grades: ArrayLike, scale: NDArray[np.int64], name: str) -> NDArray[np.intp]:
    """Map grades to their positions on `scale` (0..k-1), refusing missing or foreign grades."""
    values = np.asarray(grades)
    if values.ndim != 1:
        raise MetricsInputError(f"{name} must be one-dimensional; got shape {values.shape}")
    missing = pd.isna(values)
    if missing.any():
        raise MetricsInputError(
            f"{name} has {int(missing.sum())} missing grades (first at position "
            f"{int(np.argmax(missing))}); drop unjudged or unparsed pairs first, "
            "for example frame[frame.judge.notna()]"
        )
    try:
        as_int = values.astype(np.int64)
    except (TypeError, ValueError) as error:
        raise MetricsInputError(f"{name} must hold integer grades; {error}") from None
    index = np.searchsorted(scale, as_int)
    foreign = scale[np.minimum(index, scale.size - 1)] != as_int
    foreign |= as_int != values  # 1.5 truncates to 1; a fractional grade is not a grade
    if foreign.any():
        first = int(np.argmax(foreign))
        raise MetricsInputError(
            f"{name}[{first}] = {plain(values[first])!r} is not a grade on the scale "
            f"{scale.tolist()}; pass the dataset's scale as labels"
        )
    return index


def encode_pairs(
    y_true: ArrayLike, y_pred: ArrayLike, scale: NDArray[np.int64]
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Positions of the human and the judge grades of the same pairs."""
    true, pred = encode(y_true, scale, "y_true"), encode(y_pred, scale, "y_pred")
    check_same_length(true, pred)
    return true, pred


def check_same_length(*arrays: NDArray[np.generic]) -> None:
    """Refuse arrays that do not describe the same rows."""
    lengths = {len(array) for array in arrays}
    if len(lengths) > 1:
        raise MetricsInputError(
            f"the arrays must have one entry per pair; got lengths {[len(a) for a in arrays]}"
        )


def as_confusion(
    confusion: ArrayLike, scale: NDArray[np.int64] | None = None
) -> NDArray[np.float64]:
    """Return `confusion` as floats of shape (..., k, k), k >= 2, counts non-negative."""
    matrix = np.asarray(confusion, dtype=np.float64)
    if matrix.ndim < 2 or matrix.shape[-1] != matrix.shape[-2] or matrix.shape[-1] < 2:
        raise MetricsInputError(
            "a confusion matrix has shape (..., k, k) with k >= 2 grades, rows human and "
            f"columns judge; got shape {matrix.shape}"
        )
    if scale is not None and matrix.shape[-1] != scale.size:
        raise MetricsInputError(
            f"the confusion matrix is {matrix.shape[-1]} x {matrix.shape[-1]} but the scale "
            f"{scale.tolist()} has {scale.size} grades; pass the scale it was built with"
        )
    if np.any(matrix < 0) or not np.all(np.isfinite(matrix)):
        raise MetricsInputError("a confusion matrix holds counts: finite and non-negative")
    return matrix


def factorize(keys: ArrayLike, name: str) -> tuple[NDArray[np.intp], NDArray[np.generic]]:
    """Codes 0..G-1 per row and the sorted distinct keys (query ids, raters, classes)."""
    codes, uniques = pd.factorize(np.asarray(keys), sort=True)
    if np.any(codes < 0):
        raise MetricsInputError(f"{name} has missing values; every pair needs one")
    return codes, np.asarray(uniques)


def plain(value: object) -> object:
    """A numpy scalar as the Python value it holds, so messages read 'p1', not np.str_('p1')."""
    return value.item() if isinstance(value, np.generic) else value
