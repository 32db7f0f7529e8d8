"""Training exports: the store's curated pairs, in the words the judge reads and answers.

The store curates and writes the files but renders no prompt; the judge owns the prompt and
the answer line but reads no store. They meet here: the template must grade on the
dataset's scale, and every record is built from `judge.render_prompt` and the template's
`judge.AnswerFormat`, so a judge fine-tuned on the file is asked, and answers, exactly as
when it judges. An instruction file is read back the same way: its answers in the
template's answer format. The page and the CLI call these functions and wire nothing
themselves.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import judge
import storage
from grade_scale import ScoreMap
from storage.training import Answer, JudgeText, export_format, selected_dataset, write_export

from ._export_pairwise import export_pairwise_preferences, pairwise_template
from ._rubrics import fill_dataset_rubric

PROMETHEUS_TEMPLATE = "prometheus_1_5"
"""The template a prometheus export uses unless told another."""


@dataclass(frozen=True)
class _Template:
    text: str
    name: str | None
    """None for a template given as text."""
    scale: tuple[int, ...] | None
    """The grades a shipped template's instructions describe; None for a template given as
    text, whose scale only its author knows."""


def export_training(
    db: str | Path,
    out: str | Path,
    *,
    selection: storage.training.Selection = storage.training.Selection(),
    format: storage.training.TrainingFormat = "instruction",
    conversational: bool = False,
    curation: storage.training.Curation = storage.training.Curation(),
    template_name: str | None = None,
    template_text: str | None = None,
) -> storage.training.ExportResult:
    """Write the selected, curated pairs as fine-tuning JSONL in `format` (in TRL's
    conversational form with `conversational`) to the folder `out`, with the prompt and
    answer line of one judge template, and the manifest beside the files.

    The pairwise-preference format writes reviewers' pairwise decisions instead
    (`export_pairwise_preferences`), with a pairwise template.

    The template is a shipped one by name (`template_name`, the default template when
    neither is given) or your own text (`template_text`, taken to grade on the dataset's
    scale). A shipped template whose scale differs from the dataset's is refused: its
    prompt would ask for grades the labels do not use. Each record's prompt is
    `judge.render_prompt(template, pair)` and each answer the template's answer line, as
    the judge's parser reads it (see `storage.training` for the record shapes). A
    template's `{rubric}` shows the dataset's rubric in force.

    The prometheus format writes reviewed pairs with a note as `Feedback: <note> [RESULT] N`
    with the prometheus_1_5 template unless told another; N is the grade's score
    (`_prometheus_scores`).
    """
    answer_kind = export_format(format).answer  # an unknown format is refused here
    if answer_kind is Answer.CHOICE:
        return export_pairwise_preferences(
            db,
            out,
            selection=selection,
            conversational=conversational,
            curation=curation,
            template_name=template_name,
            template_text=template_text,
        )
    feedback = answer_kind is Answer.FEEDBACK
    if feedback and template_name is None and template_text is None:
        template_name = PROMETHEUS_TEMPLATE
    template = _template(template_name, template_text)
    dataset, grades, _ = selected_dataset(db, selection)
    score_map = None
    if feedback:
        score_map = _prometheus_scores(template, grades)
    elif template.scale is not None and template.scale != tuple(grades):
        raise judge.TemplateError(
            f"template {template.name} grades {_span(template.scale)}, dataset {dataset} "
            f"grades {_span(grades)}: pick a template on the dataset's scale or import with "
            "--scale"
        )
    text, _ = fill_dataset_rubric(db, dataset, template.text)
    answer = judge.answer_format(text, grades if score_map is None else score_map.scores)

    @functools.cache  # every record ends with one of a few lines: each is made once
    def answer_line(grade: int) -> str:
        return answer.render(grade if score_map is None else score_map.score_of(grade))

    # A query's and a document's fields are fenced once, not once per pair they are in.
    render = functools.partial(judge.render_prompt, text, fence=judge.fenced_once())
    judge_text = JudgeText(
        render=render,
        messages=lambda pair: judge.chat_messages(render(pair)),
        answer=answer_line,
        completion=lambda prompt, grade: _completion(answer, prompt, answer_line(grade)),
        template_name=template.name,
        template_sha256=judge.template_sha256(text),
        feedback=lambda note, grade: judge.feedback_answer(note, answer_line(grade)),
    )
    return write_export(
        db,
        out,
        judge=judge_text,
        selection=selection,
        format=format,
        conversational=conversational,
        curation=curation,
    )


def _completion(answer: judge.AnswerFormat, prompt: str, line: str) -> str:
    """What follows `prompt` up to the grade when the judge reads raw text: the answer
    prefix where the judge puts it (`AnswerFormat.after`), then the answer `line`."""
    return answer.after(prompt)[len(prompt) : -len(answer.prefix)] + line


def _prometheus_scores(template: _Template, grades: Sequence[int]) -> ScoreMap:
    """The score map of a prometheus export: a grade is written as the middle score of
    those the judge's default map reads as that grade (`ScoreMap.score_of`), so the judge
    reads back the grade the reviewer gave."""
    if judge.answer_prefix(template.text) != "[RESULT] ":
        raise judge.TemplateError(
            "the prometheus format writes 'Feedback: <note> [RESULT] N': choose a template "
            f"that asks for [RESULT] N, such as {PROMETHEUS_TEMPLATE}"
        )
    scores = template.scale if template.scale is not None else tuple(judge.RUBRIC_SCORES)
    return ScoreMap.default(scores, grades)  # the identity on the dataset's own scale


def validate_training(
    path: str | Path,
    other: str | Path | None = None,
    *,
    template_name: str | None = None,
    template_text: str | None = None,
    scale: Sequence[int] | None = None,
) -> storage.training.ValidationReport:
    """Check a training file by the seed's rules (`storage.training.validate_training_file`), its
    answers being the answer lines of the template it was exported with.

    `scale` defaults to a shipped template's own; your own template's text needs it.
    """
    answers = _answers(template_name, template_text, scale)
    return storage.training.validate_training_file(path, other, answers=answers)


def validate_export(
    folder: str | Path,
    *,
    template_name: str | None = None,
    template_text: str | None = None,
    scale: Sequence[int] | None = None,
) -> list[storage.training.ValidationReport]:
    """Check an export folder (`storage.training.validate_export_folder`): its train file
    against its validation file, then the validation file, with the template's answer lines,
    then every file against the manifest. With no template given, the manifest's is taken (its
    pairwise template's A / B answers for a pairwise export)."""
    manifest = storage.training.read_manifest(folder) or {}
    if template_name is None and template_text is None:
        template_name = manifest.get("prompt_template")
    named = manifest.get("format")
    if named in storage.training.EXPORT_FORMATS and export_format(named).answer is Answer.CHOICE:
        text, _ = pairwise_template(template_name, template_text)
        answers: tuple[str, ...] = tuple(
            judge.pairwise_answer(c) for c in judge.pairwise_answers(text)
        )
    else:
        answers = _answers(template_name, template_text, scale)
    return storage.training.validate_export_folder(folder, answers=answers)


def import_instruction(
    db: str | Path,
    path: str | Path,
    *,
    dataset: str,
    scale: storage.Scale | None = None,
    author: str | None = None,
    template_name: str | None = None,
    template_text: str | None = None,
) -> storage.importers.ImportSummary:
    """Read an instruction-tuning file (the seed's, or an export) back into `dataset`, its
    `output` read in the answer format of the template it was written with (`SCORE: N` for
    the default, `[RESULT] N` for a Prometheus rubric).

    The scale is `scale`, else a shipped template's own (the WANDS names for 0-2), else WANDS.
    """
    template = _template(template_name, template_text)
    if scale is None:
        own = template.scale or storage.WANDS_SCALE.grades
        scale = storage.WANDS_SCALE if own == storage.WANDS_SCALE.grades else storage.Scale.of(own)
    answer = judge.answer_format(template.text, scale.grades)
    answers = {answer.render(grade): grade for grade in scale.grades}
    return storage.importers.import_instruction_jsonl(
        db, path, dataset=dataset, answers=answers, scale=scale, author=author
    )


def _answers(
    template_name: str | None, template_text: str | None, scale: Sequence[int] | None
) -> tuple[str, ...]:
    """Every answer line of the template on `scale` (a shipped template's own by default)."""
    template = _template(template_name, template_text)
    grades = scale if scale is not None else template.scale
    if grades is None:
        raise judge.TemplateError(
            "a template given as text does not say its scale: give the grades it uses "
            "(--scale), for example 0 1 2"
        )
    return judge.answer_format(template.text, grades).answers


def _template(name: str | None, text: str | None) -> _Template:
    if name is not None and text is not None:
        raise judge.TemplateError(
            f"both a template name ({name}) and a template's text were given: give one"
        )
    if text is not None:
        return _Template(text, None, None)
    info = judge.template_info(name or judge.DEFAULT_TEMPLATE)
    return _Template(info.text, info.name, info.scale)


def _span(grades: Sequence[int]) -> str:
    """``1..5`` for a run of grades, ``0, 2, 4`` otherwise."""
    low, high = grades[0], grades[-1]
    if list(grades) == list(range(low, high + 1)):
        return f"{low}..{high}"
    return ", ".join(map(str, grades))
