"""Counts in words, the one way every room says them: '1 query', '2 queries', '1,204 pairs'.

    >>> plural(1, "query"), plural(2, "query"), plural(1204, "pair"), plural(0, "judgment")
    ('1 query', '2 queries', '1,204 pairs', '0 judgments')
    >>> plural(3, "child", "children")
    '3 children'
    >>> span(0.55, 0.68), span(0.68, 0.68)
    ('from 0.55 to 0.68', '0.68')

This module imports nothing of ours, so every room may use it.
"""

from __future__ import annotations

__all__ = ["plural", "span"]


def plural(n: int, noun: str, plural_noun: str | None = None) -> str:
    """`n` with thousands separators and `noun` in the right number: a consonant and "y"
    make "ies", anything else takes an "s", and `plural_noun` overrides both."""
    if n == 1:
        return f"1 {noun}"
    if plural_noun is None:
        plural_noun = (
            noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else noun + "s"
        )
    return f"{n:,} {plural_noun}"


def span(low: float, high: float, digits: int = 2) -> str:
    """The values from `low` to `high` at `digits` decimals, or the one value when the two
    read the same: a range with equal ends is a point."""
    a, b = f"{low:.{digits}f}", f"{high:.{digits}f}"
    return a if a == b else f"from {a} to {b}"
