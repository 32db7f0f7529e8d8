"""Exceptions raised by the judge room.

Every message says what went wrong and what to do about it, so the CLI can print it as one
line and the app can show it with ``st.error``.
"""

from __future__ import annotations

__all__ = [
    "EndpointDownError",
    "JudgeBackendError",
    "JudgeError",
    "ModelFileError",
    "SettingsError",
    "TemplateError",
    "TrainingDataError",
]


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


class ModelFileError(JudgeError):
    """A model file that cannot be loaded: missing, not a GGUF, or damaged.

    Raised while the backend loads, before a run is recorded, so a bad path leaves nothing
    behind in the store.
    """


class EndpointDownError(JudgeError):
    """A remote endpoint gave no answer to several pairs in a row, so the run was stopped.

    The pairs it failed on are handed on as "error" judgments and the rest are not judged,
    so the run can be resumed once the server is back.
    """


class TrainingDataError(JudgeError):
    """Labels that cannot train a learned judge (the baseline, a stacking head): too few
    labelled queries outside the benchmark, or training folds that hold only one grade."""
