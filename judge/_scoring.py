"""A remote answer read as a judgment: the one place the remote backend and batch results
turn what a server said (text and logprobs) into a grade and its probabilities.

In logprob mode the grade position's top alternatives (``grade_alternatives``) give the
distribution over the grades (``distribution_from_top_logprobs``); an answer without them
is parsed as text (``parse_grade``), as in generation mode. ``prefix_sent`` says the prompt
already ended with the answer prefix (raw-text logprob requests), so the text is read after
it.
"""

from __future__ import annotations

from ._answers import AnswerFormat
from ._exceptions import JudgeBackendError
from ._parsing import distribution_from_top_logprobs, parse_grade
from ._payloads import RemoteAnswer, grade_alternatives
from ._results import Judgment, Reply
from ._settings import JudgeSettings, Mode

__all__ = ["judgment_from_answer"]


def judgment_from_answer(
    pair_id: int,
    answer: RemoteAnswer,
    settings: JudgeSettings,
    *,
    prefix_sent: bool,
    latency_ms: float,
    ended_early: bool = False,
    answer_line: AnswerFormat | None = None,
) -> Judgment:
    """The judgment ``answer`` gives for ``pair_id``. ``ended_early``: the server closed a
    stream before its end, so a logprob answer without the grade failed rather than being
    parsed. ``answer_line`` is ``settings.answer_format()``, given by a caller that reads
    many answers with the same settings."""
    answer_line = answer_line or settings.answer_format()
    preceding = answer_line.prefix if prefix_sent else ""
    reply = Reply(answer.text, latency_ms, answer.prompt_tokens, answer.completion_tokens)
    if settings.mode is Mode.LOGPROBS:
        alternatives = grade_alternatives(answer.tokens, answer_line, preceding)
        dist = distribution_from_top_logprobs(alternatives or {}, answer_line.scale)
        if dist is not None:
            return Judgment.scored(pair_id, dist, reply)
        if ended_early:
            cut_short = JudgeBackendError(
                "the server ended the streamed answer before the grade (llama-cpp-python's "
                "server does when another request waits, unless started with "
                "--interrupt_requests false): use --concurrency 1, then resume the run",
                raw_output=answer.text,
            )
            return Judgment.failed(pair_id, cut_short, latency_ms=latency_ms)
    parsed = parse_grade(preceding + answer.text, answer_line)
    return Judgment.parsed(pair_id, parsed, reply)
