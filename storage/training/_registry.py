"""The export formats, one declaration each: where the product grows.

An `ExportFormat` holds everything the rest of the workbench asks of a format: its record
builder, the check of one record (`cli.py validate`), the judge answer its records end
with, the forms it takes (text, TRL's conversational messages or both), the ids that make
a record unique, and the words the Export page and the CLI's help show. The writer, the
validator, the page, the CLI's choices and its help read this registry; a name it does not
hold is an error, never another format's records.

To add a format: write its record builder (`_formats`) and its check (`_checks`), declare
it below, and add its name to `TrainingFormat`; a test walks the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .._errors import StoreError
from ._checks import (
    Found,
    check_chat,
    check_instruction,
    check_pairwise,
    check_preference,
    check_prometheus,
    check_prompt_completion,
)
from ._formats import (
    JudgeText,
    RecordMaker,
    TrainingFormat,
    chat_record,
    instruction_record,
    preference_record,
    prompt_completion_record,
)
from ._prometheus import prometheus_record


class Answer(StrEnum):
    """The judge answer a format's records end with."""

    GRADE = "grade"
    """The template's answer line for the pair's label: ``SCORE: 2``."""
    FEEDBACK = "feedback"
    """The reviewer's note as feedback, then the answer line: ``Feedback: ... [RESULT] 4``;
    only pairs with a note are written."""
    CHOICE = "choice"
    """Which of two products, from a pairwise template: ``[RESULT] A``."""


Check = Callable[[dict[str, Any], set[str], Found], None]
MakerFactory = Callable[[JudgeText, bool], RecordMaker]
"""Builds the record maker of a format from the judge's text and the conversational flag."""

TEXT, MESSAGES, EITHER = (False,), (True,), (False, True)
PAIR_IDS = ("query_id", "product_id")


@dataclass(frozen=True, kw_only=True)
class ExportFormat:
    """One export format.

    make: the record maker for a labelled pair carrying its `grade` (and `judge_grade`,
        `note`); None for a format whose records are not labelled pairs (the reviewers'
        pairwise decisions, written by `write_pairwise_export`).
    forms: the values of `conversational` the format takes.
    needs_judge_grade: the record holds the judge's wrong grade (a run's failures).
    """

    name: TrainingFormat
    label: str
    help: str
    answer: Answer
    forms: tuple[bool, ...]
    ids: tuple[str, ...]
    check: Check
    make: MakerFactory | None
    needs_judge_grade: bool = False

    @property
    def needs_note(self) -> bool:
        """Whether only pairs with a reviewer's note can be written."""
        return self.answer is Answer.FEEDBACK


_DECLARED = (
    ExportFormat(
        name="instruction",
        label="instruction (the seed's: instruction, input, output)",
        help="the seed's rows: the judge's prompt as instruction, the fields as input, the "
        "answer line as output",
        answer=Answer.GRADE,
        forms=TEXT,
        ids=PAIR_IDS,
        check=check_instruction,
        make=lambda judge, _: lambda pair: instruction_record(pair, pair["grade"], judge),
    ),
    ExportFormat(
        name="chat",
        label="chat (messages: the judge's user message, the assistant's answer)",
        help="TRL's conversational rows: the judge's messages, then the answer as the assistant's",
        answer=Answer.GRADE,
        forms=MESSAGES,
        ids=PAIR_IDS,
        check=check_chat,
        make=lambda judge, _: lambda pair: chat_record(pair, pair["grade"], judge),
    ),
    ExportFormat(
        name="prompt-completion",
        label="prompt-completion (TRL's prompt, completion)",
        help="TRL's prompt-completion rows, text or (--conversational) messages",
        answer=Answer.GRADE,
        forms=EITHER,
        ids=PAIR_IDS,
        check=check_prompt_completion,
        make=lambda judge, conversational: (
            lambda pair: prompt_completion_record(
                pair, pair["grade"], judge, conversational=conversational
            )
        ),
    ),
    ExportFormat(
        name="preference",
        label="preference / DPO (TRL's prompt, chosen, rejected)",
        help="TRL's preference rows for DPO: the label's answer chosen, the judge's wrong "
        "one rejected (select judge_wrong with --run)",
        answer=Answer.GRADE,
        forms=EITHER,
        ids=PAIR_IDS,
        check=check_preference,
        make=lambda judge, conversational: (
            lambda pair: preference_record(
                pair, pair["grade"], pair["judge_grade"], judge, conversational=conversational
            )
        ),
        needs_judge_grade=True,
    ),
    ExportFormat(
        name="prometheus",
        label="prometheus (Feedback: the reviewer's note [RESULT] score; pairs with a note)",
        help="instruction rows answered 'Feedback: <the reviewer's note> [RESULT] N', from "
        "pairs with a note (template prometheus_1_5 unless told another)",
        answer=Answer.FEEDBACK,
        forms=TEXT,
        ids=PAIR_IDS,
        check=check_prometheus,
        make=lambda judge, _: lambda pair: prometheus_record(pair, judge),
    ),
    ExportFormat(
        name="pairwise-preference",
        label="pairwise preference / DPO (the Pairwise page's decisions, both orders)",
        help="the reviewers' pairwise decisions as DPO rows, each in both orders, with a "
        "pairwise template",
        answer=Answer.CHOICE,
        forms=EITHER,
        ids=("query_id", "product_a", "product_b"),
        check=check_pairwise,
        make=None,
    ),
)

EXPORT_FORMATS: dict[str, ExportFormat] = {f.name: f for f in _DECLARED}
"""Every export format, by name, in the order the page and the CLI list them."""


def export_format(name: str) -> ExportFormat:
    """The format called `name`; an unknown name is an error that lists the known ones."""
    try:
        return EXPORT_FORMATS[name]
    except KeyError:
        raise StoreError(
            f"unknown export format {name!r}: choose one of {', '.join(EXPORT_FORMATS)}"
        ) from None


def is_conversational(name: str, conversational: bool) -> bool:
    """Whether records of format `name` hold messages: always or never for a format with
    one form, as asked for the others."""
    forms = export_format(name).forms
    return conversational if forms == EITHER else forms[0]


TRAINING_FORMATS: tuple[TrainingFormat, ...] = tuple(f.name for f in _DECLARED)
PAIRWISE_PREFERENCE: TrainingFormat = "pairwise-preference"
EITHER_STYLE: tuple[TrainingFormat, ...] = tuple(f.name for f in _DECLARED if f.forms == EITHER)
"""The formats whose rows TRL reads as either text or messages."""
