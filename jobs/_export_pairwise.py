"""Pairwise preference exports built from the pairwise judge's own prompts: the store's
reviewers' decisions (`storage.training.write_pairwise_export`) in the words a pairwise
judge reads (`judge.pairwise_prompt`) and answers (``[RESULT] A`` / ``B``)."""

from __future__ import annotations

from pathlib import Path

import judge
import storage
from storage.training import PairwiseJudgeText, selected_dataset, write_pairwise_export


def export_pairwise_preferences(
    db: str | Path,
    out: str | Path,
    *,
    selection: storage.training.Selection,
    conversational: bool,
    curation: storage.training.Curation,
    template_name: str | None = None,
    template_text: str | None = None,
) -> storage.training.ExportResult:
    """Write the reviewers' pairwise decisions on the selection's dataset as DPO rows in
    both orders (see `storage.training.write_pairwise_export`) with a pairwise template's
    prompt and answer lines: `template_text`, or a shipped one by name (default
    ``pairwise``; the default grading template's name also means ``pairwise``).

    Only the dataset of `selection` and the validation share and seed of `curation` apply:
    the other filters choose labelled pairs, which a decision between two products is not."""
    if selection != storage.training.Selection(dataset=selection.dataset):
        raise storage.StoreError(
            "the pairwise-preference format exports the reviewers' decisions between two "
            "products of a dataset: choose no pair selection, run, cell, split or query class"
        )
    if curation.cap_per_query is not None or curation.label_shares is not None:
        raise storage.StoreError(
            "the pairwise-preference format keeps every decision: leave out the cap per "
            "query and the label rebalancing"
        )
    text, name = pairwise_template(template_name, template_text)
    judge.pairwise_answers(text)  # a template that names no answer lines is refused
    dataset, _, _ = selected_dataset(db, selection)
    judge_text = PairwiseJudgeText(
        render=lambda first, second: judge.pairwise_prompt(text, first, second),
        messages=judge.chat_messages,
        answer=judge.pairwise_answer,
        completion=judge.pairwise_completion,
        template_name=name,
        template_sha256=judge.template_sha256(text),
    )
    return write_pairwise_export(
        db,
        out,
        judge=judge_text,
        dataset=dataset,
        conversational=conversational,
        validation_share=curation.validation_share,
        seed=curation.seed,
    )


def pairwise_template(name: str | None, text: str | None) -> tuple[str, str | None]:
    """The pairwise template's text and name: `text`, or a shipped one by name (default
    ``pairwise``; the default grading template's name also means ``pairwise``)."""
    if text is not None:
        if name is not None:
            raise judge.TemplateError(
                f"both a template name ({name}) and a template's text were given: give one"
            )
        return text, None
    shipped = {t.name: t for t in judge.list_pairwise_templates()}
    chosen = "pairwise" if name in (None, judge.DEFAULT_TEMPLATE) else name
    if chosen not in shipped:
        raise judge.TemplateError(
            f"{chosen!r} is not a pairwise template: choose one of {', '.join(shipped)}"
        )
    return shipped[chosen].text, chosen
