"""Exceptions raised by the judge room.

Every message says what went wrong and what to do about it, so the CLI can print it as one
line and the app can show it with ``st.error``.
"""

from __future__ import annotations

__all__ = ["JudgeBackendError", "JudgeError", "SettingsError", "TemplateError"]


class JudgeError(Exception):
    """Base class of every error the judge raises on purpose."""


class SettingsError(JudgeError):
    """Run settings that cannot work together, such as a remote backend with no model name."""


class TemplateError(JudgeError):
    """A prompt template cannot be used: unknown placeholder, no answer format, bad scale."""


class JudgeBackendError(JudgeError):
    """A backend could not produce an answer for a prompt.

    Carries what a user needs to diagnose it: the HTTP status and response body for remote
    backends, and the raw model output when there was one.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        body: str | None = None,
        raw_output: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body
        self.raw_output = raw_output
