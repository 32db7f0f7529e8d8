"""Errors raised by the metrics: each says what was wrong with the input and how to fix it."""

from __future__ import annotations


class MetricsInputError(ValueError):
    """Arrays or a confusion matrix that a metric cannot be computed from.

    A subclass of `ValueError`, so callers that already catch bad values keep working.
    """
