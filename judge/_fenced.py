"""A field's text made once per distinct value, for a caller that renders many prompts.

An export renders the judge's prompt for every pair it writes: a query's fields come back in
each of its pairs, and a document's in each pair it is in, so fencing each value once (and
not once per pair) saves the normalising that ``field`` does on every value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._templates import field


def fenced_once() -> Callable[[Any], str]:
    """``field``, remembering what it made for each value. It keeps every distinct value it
    saw, so one is made per export or run, not kept for ever."""
    made: dict[Any, str] = {}

    def fence(value: Any) -> str:
        try:
            return made[value]
        except KeyError:
            made[value] = fenced = field(value)
            return fenced
        except TypeError:  # a value that cannot be a key (a list from a JSON field)
            return field(value)

    return fence
