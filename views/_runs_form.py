"""The Runs page's start form: the kind of run, then for a graded run its pairs, its
template (edited, with the scale map and a live preview of the exact prompt) and its backend;
the pairwise form is `_runs_pairwise_form`."""

from __future__ import annotations

import streamlit as st

import jobs
import judge
import storage
from grade_scale import ScoreMap
from views import _common as common
from views import _runs_batch as runs_batch
from views import _runs_jobs as runs_jobs
from views import _runs_pairwise_form as pairwise_form
from views._runs_backend import backend_settings, priced_model

GRADED, PAIRWISE = "Graded", "Pairwise"
WHOLE = "whole dataset"


def _template_editor() -> tuple[str, tuple[int, ...]]:
    """The template's text as edited, and the scale its instructions ask for."""
    infos = {info.name: info for info in judge.list_templates()}
    name = st.selectbox("Template", list(infos), key="run-template")
    info = infos[name]
    st.caption(info.description)
    text = st.text_area(
        "Prompt template", value=judge.load_template(name), height=260, key=f"template-text-{name}"
    )
    return text, tuple(info.scale)


def _grading_options(
    template: str, template_scale: tuple[int, ...], scale: storage.Scale
) -> tuple[ScoreMap | None, bool] | None:
    """How the template's scores become the dataset's grades (`scale`; shown, overridable)
    and whether each pair is shown a reference product; None when the map given is wrong."""
    grades = list(scale.grades)
    try:
        has_reference = judge.REFERENCE in judge.placeholders(template)
    except judge.TemplateError:
        has_reference = False  # the preview says what is wrong with the template
    reference = st.checkbox(
        "Reference-guided: show each pair a product of its query the humans graded "
        f"{scale.names[-1]}",
        key="run-reference",
        disabled=not has_reference,
        help="Never the pair itself; a query with no other such product is judged without "
        "one, and counted. The template needs {reference}, as prometheus_1_5 has.",
    )
    if template_scale == tuple(grades):
        return None, reference and has_reference
    given = st.text_input(
        "Score map",
        key="run-score-map",
        placeholder="empty: the default below",
        help="score=grade pairs, e.g. 1=0,2=0,3=1,4=1,5=2 (as cli.py judge --score-map)",
    )
    try:
        score_map = jobs.score_map_for(template_scale, grades, given.strip() or None)
    except storage.ScaleError as error:
        st.error(common.md(error))
        return None
    assert score_map is not None  # the scales differ
    st.caption(
        f"This template scores {template_scale[0]}-{template_scale[-1]}; the scores become "
        f"this dataset's grades as {common.md(score_map.describe(scale))}."
    )
    return score_map, reference and has_reference


def _preview(
    db: str,
    dataset: str,
    scale: storage.Scale,
    template: str,
    score_map: ScoreMap | None,
    reference: bool,
) -> bool:
    """Render the exact prompt for a chosen pair (with the dataset's rubric and the pair's
    reference); False when the template cannot be used."""
    choices = storage.pair_choices(db, dataset)
    labels = dict(zip(choices["pair_id"], choices["query"] + " — " + choices["product_name"]))
    pair_id = st.selectbox(
        "Preview on pair", list(labels), format_func=lambda p: labels[p], key="preview-pair"
    )
    if pair_id is None:
        return False
    pair = storage.pairs_for_judging(db, dataset, pair_ids=[pair_id])[0]
    try:
        filled, rubric_version = jobs.fill_dataset_rubric(db, dataset, template)
        answer_scale = score_map.scores if score_map is not None else list(scale.grades)
        judge.validate_template(filled, answer_scale, pair.keys())
        if reference:
            [pair], _ = jobs.with_references(db, dataset, [pair], seed=judge.JudgeSettings.seed)
            shown = pair[judge.REFERENCE]
            st.caption(
                "No other pair of this query is graded "
                f"{scale.names[-1]}: this pair is judged without a reference."
                if shown is None
                else f"Reference: pair #{shown['pair_id']}."
            )
        if rubric_version is not None:
            st.caption(f"Rubric version {rubric_version} (edit it on the Data page, Rubric tab).")
        st.code(judge.render_prompt(filled, pair), language=None, wrap_lines=True)
    except judge.TemplateError as error:
        st.error(common.md(error))
        return False
    return True


def start_section(db: str, dataset: str, scale: storage.Scale) -> None:
    if (request := st.session_state.pop(pairwise_form.CELL_REQUEST, None)) is not None:
        # The Confusion page's "Compare with an Exact": this form, set to that cell.
        run, human, judged = request
        st.session_state.update(
            {"run-kind": PAIRWISE, "pw-plan": pairwise_form.CELL, "pw-cell-run": run}
            | {"pw-cell-human": human, "pw-cell-judge": judged}
        )
    # A default beside a value the cell request set is refused: give one only when unset.
    kind = st.segmented_control(
        "Kind of run",
        [GRADED, PAIRWISE],
        default=None if "run-kind" in st.session_state else GRADED,
        required=True,
        key="run-kind",
        help="graded: a grade per pair; pairwise: which of two products of a query is the "
        "better match, each comparison judged in both orders",
    )
    if kind == PAIRWISE:
        pairwise_form.pairwise_start_section(db, dataset, scale)
    else:
        graded_start_section(db, dataset, scale)


def graded_start_section(db: str, dataset: str, scale: storage.Scale) -> None:
    busy = runs_jobs.busy(dataset)
    stats = storage.dataset_stats(db, dataset)
    scopes = [WHOLE, *(s for s in stats.splits if s != "unassigned")]
    c1, c2 = st.columns(2)
    scope = c1.selectbox(
        "Pairs to judge",
        scopes,
        key="run-scope",
        format_func=lambda s: s if s == WHOLE else f"{s} split ({stats.splits[s].pairs:,} pairs)",
    )
    name = c2.text_input("Run name", key="run-name", placeholder="empty: named after the model")
    left, right = st.columns(2)
    with left:
        template, template_scale = _template_editor()
        options = _grading_options(template, template_scale, scale)
    with right:
        usable = options is not None and _preview(db, dataset, scale, template, *options)
    fields, api_key = backend_settings()
    split = None if scope == WHOLE else storage.Split(scope)
    price = jobs.graded_price(db, dataset=dataset, split=split, **priced_model(fields))
    st.container(key="run-price").caption(common.md(price))
    if busy:
        st.caption(busy)
    score_map, reference = options or (None, False)

    def settings() -> judge.JudgeSettings:
        return judge.JudgeSettings(
            template=template, scale=scale, score_map=score_map, reference=reference, **fields
        )

    if runs_batch.batch_instead():
        runs_batch.write_section(db, dataset, settings, split, name or None, usable=usable)
        return
    if not st.button(
        "Start judging", type="primary", key="start-run", disabled=not usable or busy is not None
    ):
        return
    runs_jobs.launch(
        dataset,
        f"judging {dataset} ({scope})",
        storage.RunKind.GRADED,
        settings,
        api_key,
        lambda settings, control: jobs.judge_dataset(
            db, dataset=dataset, settings=settings, split=split, name=name or None, control=control
        ),
    )
