"""Bad input raises MetricsInputError with a message that says how to fix it."""

from __future__ import annotations

import pandas as pd
import pytest

import metrics
from metrics import MetricsInputError


@pytest.mark.parametrize(
    ("y_true", "y_pred", "message"),
    [
        (
            [0, 1, 7],
            [0, 1, 1],
            r"y_true\[2\] = 7 is not a grade on the scale \[0, 1, 2\]; pass the dataset",
        ),
        ([0, 1, 2], [0, 1.5, 1], r"y_pred\[1\] = 1.5 is not a grade"),
        ([0, 1, 2], [0, None, 1], r"y_pred has 1 missing grades \(first at position 1\); drop"),
        ([0, 1], [0, 1, 1], r"one entry per pair; got lengths \[2, 3\]"),
    ],
)
def test_bad_grades(y_true: list, y_pred: list, message: str) -> None:
    with pytest.raises(MetricsInputError, match=message):
        metrics.confusion_matrix(y_true, y_pred, [0, 1, 2])


def test_nullable_judge_column_names_the_fix() -> None:
    judge = pd.Series([2, pd.NA, 0], dtype="Int64")
    with pytest.raises(MetricsInputError, match=r"frame\[frame.judge.notna\(\)\]"):
        metrics.confusion_matrix([2, 1, 0], judge, [0, 1, 2])
    C = metrics.confusion_matrix([2, 0], judge.dropna(), [0, 1, 2])
    assert C.tolist() == [[1, 0, 0], [0, 0, 0], [0, 0, 1]]


@pytest.mark.parametrize(
    ("labels", "message"),
    [([2, 1, 0], "strictly increasing"), ([1], "two or more"), ([0.0, 0.5, 1.0], "integer")],
)
def test_bad_scale(labels: list, message: str) -> None:
    with pytest.raises(MetricsInputError, match=message):
        metrics.confusion_matrix([0], [0], labels)


def test_confusion_shape_and_scale_must_agree() -> None:
    with pytest.raises(MetricsInputError, match=r"shape \(..., k, k\)"):
        metrics.accuracy([[1, 2, 3]])
    with pytest.raises(MetricsInputError, match=r"is 2 x 2 but the scale \[0, 1, 2\] has 3"):
        metrics.mean_absolute_error([[1, 0], [0, 1]], [0, 1, 2])
    with pytest.raises(MetricsInputError, match="non-negative"):
        metrics.accuracy([[1, -1], [0, 1]])
    with pytest.raises(MetricsInputError, match='"quadratic", "linear" or None'):
        metrics.cohen_kappa([[1, 0], [0, 1]], "cubic")  # type: ignore[arg-type]


def test_public_surface_is_explicit() -> None:
    assert all(not name.startswith("_") for name in metrics.__all__)
    assert all(hasattr(metrics, name) for name in metrics.__all__)


def test_every_docstring_example_runs() -> None:
    import doctest
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(metrics.__path__):
        result = doctest.testmod(importlib.import_module(f"metrics.{module.name}"))
        assert result.failed == 0, module.name
