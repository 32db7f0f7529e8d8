"""Keeping the API key out of everything the judge hands back and everything we log.

A server may echo the request's headers in an error body, in a response header, in a redirect
or even in its answer, and a user may paste a key into ``base_url``. So every text a backend
hands back (a judgment's error and raw output, an exception's message) and the run's params
pass through a ``Redactor`` that replaces the key by ``***``, in each form it can take in a
body, a header, a URL or a log line: as sent; each character JSON-escaped (``\\u0073``,
``\\/``), percent-encoded, as a bytes escape (``\\x73``) or an HTML character reference, in
any mix; and base64-encoded (standard or URL-safe, at any offset inside a longer encoded
text, as in a Basic ``Authorization`` header), its characters escaped in those ways too.

Log lines are covered by ``LogRedaction``: a logging filter that masks every key a backend
was given (``keep_out_of_logs``) in each record's formatted message. The CLI puts it on the
handlers it configures, and on the ``httpx`` and ``httpcore`` loggers, whose DEBUG lines
(``-vv``) carry the request URL and the response headers.
"""

from __future__ import annotations

import base64
import dataclasses
import logging
import re
import threading
from dataclasses import dataclass
from typing import Any

from ._results import Judgment

__all__ = ["MASK", "LogRedaction", "Redactor", "keep_out_of_logs"]

MASK = "***"
# Shorter than this, a key's base64 inner part is too short to tell from other text.
_MIN_BASE64_CHARS = 8


def _character_forms(character: str) -> list[str]:
    """The ways one character of a secret may be written in a body, a header or a URL."""
    code, utf8 = ord(character), character.encode("utf-8")
    forms = [
        re.escape(character),
        "".join(f"%{b:02x}" for b in utf8),
        "".join(rf"\\x{b:02x}" for b in utf8),
        rf"&#{code};",
        rf"&#x0*{code:x};",
    ]
    if code < 0x10000:
        forms.append(rf"\\u{code:04x}")
    else:  # JSON writes it as a surrogate pair
        high, low = divmod(code - 0x10000, 0x400)
        forms.append(rf"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}")
    if character == "/":
        forms.append(r"\\/")
    if character == " ":
        forms.append(r"\+")
    return forms


def _pattern(text: str) -> str:
    """A regular expression for ``text`` with each character in any of its written forms."""
    return "".join("(?:" + "|".join(_character_forms(c)) + ")" for c in text)


def _base64_inner_parts(secret: bytes) -> set[str]:
    """The part of the base64 encoding of ``secret`` that does not depend on what stands
    around it, for each of its three offsets in a longer text, in both alphabets."""
    parts = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + secret).decode()
        skip = -(-offset * 8 // 6)  # characters holding a bit of what comes before
        keep = (offset + len(secret)) * 8 // 6  # characters of whole bits
        inner = encoded[skip:keep]
        if len(inner) >= _MIN_BASE64_CHARS:
            parts |= {inner, inner.replace("+", "-").replace("/", "_")}
    return parts


@dataclass(frozen=True)
class Redactor:
    """Masks one secret in texts, judgments and plain JSON-like values."""

    pattern: re.Pattern[str] | None = None
    """The secret in every form it may take (see the module docstring); None: no secret."""

    @classmethod
    def for_key(cls, key: str | None) -> Redactor:
        """A redactor for ``key``; one that changes nothing when there is no key."""
        if not key:
            return cls()
        texts = sorted({key, *_base64_inner_parts(key.encode("utf-8"))}, key=len, reverse=True)
        return cls(re.compile("|".join(_pattern(t) for t in texts), re.IGNORECASE))

    def text(self, text: str) -> str:
        """``text`` with every occurrence of the secret replaced by ``***``."""
        return text if self.pattern is None else self.pattern.sub(MASK, text)

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
        if self.pattern is None:
            return judgment
        return dataclasses.replace(
            judgment,
            raw_output=self.text(judgment.raw_output),
            error=None if judgment.error is None else self.text(judgment.error),
            feedback=None if judgment.feedback is None else self.text(judgment.feedback),
        )

    def __repr__(self) -> str:
        # The pattern is the secret: never print it.
        return f"Redactor({'a key' if self.pattern is not None else 'nothing'})"


_log_lock = threading.Lock()
_log_redactors: dict[str, Redactor] = {}


def keep_out_of_logs(key: str | None) -> None:
    """Mask ``key`` in every log record that passes a ``LogRedaction`` from now on."""
    if key:
        with _log_lock:
            _log_redactors.setdefault(key, Redactor.for_key(key))


class LogRedaction(logging.Filter):
    """A filter that masks every key given to ``keep_out_of_logs`` in a record's message
    (formatted with its arguments) and in the text of its exception."""

    def filter(self, record: logging.LogRecord) -> bool:
        with _log_lock:
            redactors = list(_log_redactors.values())
        if not redactors:
            return True
        message = record.getMessage()
        masked = message
        for redactor in redactors:
            masked = redactor.text(masked)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            for redactor in redactors:
                record.exc_text = redactor.text(record.exc_text)
        return True

    @classmethod
    def install(cls, *handlers: logging.Handler) -> None:
        """Put the filter on these handlers and on the loggers of the HTTP libraries, whose
        DEBUG lines carry URLs and response headers (a handler's filter sees the records
        that propagate to it; a logger's own, the records it is given)."""
        for target in (*handlers, logging.getLogger("httpx"), logging.getLogger("httpcore")):
            if not any(isinstance(f, cls) for f in target.filters):
                target.addFilter(cls())
