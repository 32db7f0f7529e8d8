"""Keeping the API key out of everything the judge hands back.

A server may echo the request's headers in an error body, or even in its answer, and a user
may paste a key into ``base_url``. So every text a backend hands back (a judgment's error and
raw output, an exception's message) and the run's params pass through a ``Redactor`` that
replaces the key by ``***``, in each form it can take in a body or a URL: as sent,
JSON-escaped (``/`` as ``\\/`` too) and percent-encoded.
"""

from __future__ import annotations

import dataclasses
import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

from ._results import Judgment

__all__ = ["MASK", "Redactor"]

MASK = "***"


@dataclass(frozen=True)
class Redactor:
    """Masks one secret in texts, judgments and plain JSON-like values."""

    forms: tuple[str, ...] = ()
    """The secret as it may appear in text, longest first so no form is masked in part."""

    @classmethod
    def for_key(cls, key: str | None) -> Redactor:
        """A redactor for ``key``; one that changes nothing when there is no key."""
        if not key:
            return cls()
        escaped = json.dumps(key, ensure_ascii=False)[1:-1]
        forms = {
            key,
            escaped,
            escaped.replace("/", "\\/"),
            json.dumps(key)[1:-1],  # non-ASCII as \\uXXXX
            urllib.parse.quote(key, safe=""),
            urllib.parse.quote_plus(key, safe=""),
        }
        return cls(tuple(sorted(forms, key=len, reverse=True)))

    def text(self, text: str) -> str:
        """``text`` with every occurrence of the secret replaced by ``***``."""
        for form in self.forms:
            text = text.replace(form, MASK)
        return text

    def value(self, value: Any) -> Any:
        """A string, or the strings inside lists and dicts, masked; other values as given."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.value(k): self.value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.value(v) for v in value)
        return value

    def judgment(self, judgment: Judgment) -> Judgment:
        """The judgment with its raw output, error and feedback masked."""
        if not self.forms:
            return judgment
        return dataclasses.replace(
            judgment,
            raw_output=self.text(judgment.raw_output),
            error=None if judgment.error is None else self.text(judgment.error),
            feedback=None if judgment.feedback is None else self.text(judgment.feedback),
        )

    def __repr__(self) -> str:
        # The forms are the secret: never print them.
        return f"Redactor({len(self.forms)} forms)"
