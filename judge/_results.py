"""What a run hands back: one Judgment per pair (read from the model's Reply), Progress while it
runs, a RunSummary at the end."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from grade_scale import ScoreMap

from ._exceptions import JudgeBackendError
from ._parsing import GradeDistribution, ParsedGrade, grade_distribution

__all__ = ["Judgment", "ParseStatus", "Progress", "Reply", "RunSummary", "ms_since"]

ParseStatus = Literal["logprobs", "strict", "fallback", "unparsed", "error"]
"""How the grade was obtained. "unparsed" (the model answered, out of format or scale) is final;
"error" (no answer from the backend) is retried when the run is resumed."""


@dataclass(frozen=True)
class Reply:
    """What one call to a model gave back, before it is read as a grade or a verdict: the text
    kept as ``raw_output``, how long the call took, and its token counts where the backend
    says them. Graded and pairwise judgments store these four as their own columns."""

    raw_output: str
    latency_ms: float
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    @classmethod
    def failed(cls, exc: JudgeBackendError, latency_ms: float) -> Reply:
        """The reply of a call that failed: what the model wrote, else the server's body."""
        raw = exc.raw_output if exc.raw_output is not None else (exc.body or "")
        return cls(raw, latency_ms)

    def fields(self) -> dict[str, Any]:
        """The reply as a judgment's keyword arguments."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Judgment:
    """The judge's verdict on one pair, in the shape of a ``judgments`` row."""

    pair_id: int
    grade: int | None
    probs: list[float] | None
    expected_grade: float | None
    confidence: float | None
    raw_output: str
    parse_status: ParseStatus
    error: str | None
    latency_ms: float
    prompt_tokens: int | None
    completion_tokens: int | None
    feedback: str | None = None
    """What the model wrote before a strict answer line (Prometheus' feedback)."""
    reference_pair_id: int | None = None
    """The pair whose product the prompt showed as the reference, if any."""
    endpoint: str | None = None
    """The remote endpoint that answered (for a pair that got no answer, the last one
    asked), without credentials or query string; None in process."""

    def as_record(self) -> dict[str, Any]:
        """The judgment as a plain dict, keyed by the ``judgments`` column names."""
        return dataclasses.asdict(self)

    def answered_by(self, endpoint: str) -> Judgment:
        """This judgment, recording the endpoint that answered."""
        return dataclasses.replace(self, endpoint=endpoint)

    @classmethod
    def scored(cls, pair_id: int, dist: GradeDistribution, reply: Reply) -> Judgment:
        """A judgment read from the next-token distribution over the grades."""
        return cls(
            pair_id=pair_id,
            grade=dist.grade,
            probs=list(dist.probs),
            expected_grade=dist.expected_grade,
            confidence=dist.confidence,
            parse_status="logprobs",
            error=None,
            **reply.fields(),
        )

    @classmethod
    def parsed(cls, pair_id: int, parsed: ParsedGrade, reply: Reply) -> Judgment:
        """A judgment read from generated text; ``error`` says why when it is unparsed."""
        return cls(
            pair_id=pair_id,
            grade=parsed.grade,
            probs=None,
            expected_grade=None,
            confidence=None,
            parse_status=parsed.status,
            error=parsed.reason,
            feedback=parsed.feedback,
            **reply.fields(),
        )

    def on_grades(self, score_map: ScoreMap, scale: Sequence[int]) -> Judgment:
        """This judgment of a score (1-5) as one of the grades of ``scale``: a parsed score
        becomes its grade, a distribution over the scores is summed per grade
        (``ScoreMap.probs``) and grade, expected grade and confidence follow from the sums.
        """
        if self.probs is not None:
            probs = score_map.probs(self.probs, scale)
            dist = grade_distribution(probs, scale)
            return dataclasses.replace(
                self,
                grade=dist.grade,
                probs=dist.probs,
                expected_grade=dist.expected_grade,
                confidence=dist.confidence,
            )
        if self.grade is None:
            return self
        return dataclasses.replace(self, grade=score_map.grade_of(self.grade))

    @classmethod
    def failed(cls, pair_id: int, exc: JudgeBackendError, *, latency_ms: float) -> Judgment:
        """A judgment for a pair the backend could not answer; the raw output or body is kept."""
        return cls(
            pair_id=pair_id,
            grade=None,
            probs=None,
            expected_grade=None,
            confidence=None,
            parse_status="error",
            error=str(exc),
            **Reply.failed(exc, latency_ms).fields(),
        )


@dataclass(frozen=True)
class Progress:
    """Where a run stands.

    ``total`` counts the pairs to judge in this run (pairs skipped on resume excluded);
    ``failures`` counts errors and unparsed answers so far.
    """

    done: int
    total: int
    pairs_per_s: float
    eta_s: float | None
    failures: int
    per_endpoint: Mapping[str, float] = field(default_factory=dict)
    """Pairs per second each remote endpoint answered so far, by endpoint (a fleet's
    throughput; empty in process)."""


@dataclass(frozen=True)
class RunSummary:
    """How a run ended. ``total`` counts every pair given, ``skipped`` those judged before."""

    total: int
    skipped: int
    judged: int
    errors: int
    unparsed: int
    cancelled: bool
    elapsed_s: float
    pairs_per_s: float


def ms_since(started: float) -> float:
    """Milliseconds since a ``time.perf_counter()`` reading, for ``Judgment.latency_ms``."""
    return (time.perf_counter() - started) * 1000.0
