"""Runs: start a judge run (scope, template with a live preview, backend) in the background
with progress, cancel and resume, graded or pairwise (a sampled plan, or a confusion cell
against an Exact of each query); follow the runs another process judges; list the runs of
both kinds (graded ones with their headline metrics), resume, rename and delete them; compare
two graded runs. Only a graded run ever becomes the active run of the other pages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

import jobs
import judge
import storage
from grade_scale import ScoreMap
from views import _common as common
from views import _selection as selection
from views._background import BackgroundRun

JOBS = "judge-jobs"  # dataset -> its BackgroundRun: a job's banner shows on its dataset only
GRADED, PAIRWISE = "Graded", "Pairwise"
SAMPLED, CELL = "Sampled per query", "Confusion cell vs an Exact"
CELL_REQUEST = "pairwise-cell"  # (run, human, judge) the Confusion page asks to compare
PAIRWISE_PAGE = str(Path(__file__).resolve().parent / "pairwise.py")
WHOLE = "whole dataset"
RESUMABLE = ("running", "cancelled", "failed")  # not done, nor imported from another tool
DISAGREEMENTS_SHOWN = 500
OTHERS_EVERY_S = 2.0  # how often the progress of runs judged elsewhere is read from the store
HEADLINE = {
    "kappa_quadratic": "kappa",
    "accuracy": "accuracy",
    "macro_f1": "macro-F1",
    "severe_error_rate": "severe",
}

db = common.database()
dataset = common.require_dataset()
scale = storage.dataset_scale(db, dataset)
grades, grade_names = list(scale.grades), list(scale.names)
st.title("Runs")
common.show_announcement()


@st.cache_resource(show_spinner="Finding the bundled model…")
def _default_model() -> str:
    return str(judge.default_model_path())


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
    template: str, template_scale: tuple[int, ...]
) -> tuple[ScoreMap | None, bool] | None:
    """How the template's scores become the dataset's grades (shown, overridable) and
    whether each pair is shown a reference product; None when the map given is wrong."""
    try:
        has_reference = judge.REFERENCE in judge.placeholders(template)
    except judge.TemplateError:
        has_reference = False  # the preview says what is wrong with the template
    reference = st.checkbox(
        "Reference-guided: show each pair a product of its query the humans graded "
        f"{grade_names[-1]}",
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


def _preview(template: str, score_map: ScoreMap | None, reference: bool) -> bool:
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
        answer_scale = score_map.scores if score_map is not None else grades
        judge.validate_template(filled, answer_scale, pair.keys())
        if reference:
            [pair], _ = jobs.with_references(db, dataset, [pair], seed=judge.JudgeSettings.seed)
            shown = pair[judge.REFERENCE]
            st.caption(
                "No other pair of this query is graded "
                f"{grade_names[-1]}: this pair is judged without a reference."
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


def _model_input(col, spec: judge.BackendSpec) -> str:
    if spec.model_file:
        return col.text_input("GGUF model path", value=_default_model(), key="run-model")
    return col.text_input("Model name", key="run-remote-model")


_DEFAULTS = judge.JudgeSettings()
# A widget for each setting this form offers; a backend's declaration says which it reads.
_WIDGETS: dict[str, Callable[[Any, judge.BackendSpec], Any]] = {
    "model": _model_input,
    "base_url": lambda col, spec: (
        col.text_input(
            "Endpoint base URL", key="run-base-url", placeholder=f"empty: {spec.default_base_url}"
        )
        or None
    ),
    "n_gpu_layers": lambda col, spec: col.number_input(
        "GPU offload layers",
        -1,
        999,
        _DEFAULTS.n_gpu_layers,
        key="run-gpu-layers",
        help="-1 offloads every layer (Metal/CUDA builds only)",
    ),
    "endpoint": lambda col, spec: col.selectbox(
        "API",
        [e.value for e in judge.Endpoint],
        key="run-endpoint",
        help="auto: a probe on the first pair picks chat or completions and says why "
        "(completions sends the raw prompt, as the in-process judge reads it)",
    ),
    "concurrency": lambda col, spec: col.number_input(
        "Concurrent requests", 1, 64, _DEFAULTS.concurrency, key="run-concurrency"
    ),
    "timeout_s": lambda col, spec: col.number_input(
        "Timeout per request (s)",
        1.0,
        3600.0,
        _DEFAULTS.timeout_s,
        key="run-timeout",
        help="one attempt, from sending the request to the last byte of the answer",
    ),
    "max_tokens": lambda col, spec: col.number_input(
        "Max tokens",
        1,
        32768,
        _DEFAULTS.max_tokens,
        key="run-max-tokens",
        help="what a generating model may write"
        + ("; in logprob mode the probe sets it" if spec.remote else ""),
    ),
    "max_retries": lambda col, spec: col.number_input(
        "Retries",
        0,
        20,
        _DEFAULTS.max_retries,
        key="run-retries",
        help="after a timeout, a refused connection, HTTP 429 or 5xx, with backoff",
    ),
}
_API_KEY = "api key"  # not a setting: kept in this session only, next to the model name


def _backend_settings(*, pairwise: bool = False) -> tuple[dict, str | None]:
    """The backend's settings fields (those its declaration says it reads and this form
    offers), and the API key (kept in this session only)."""
    specs = {
        spec.name.value: spec
        for spec in judge.BACKENDS
        if spec.reads_prompts and (spec.pairwise or not pairwise)
    }
    backend = st.segmented_control(
        "Backend",
        list(specs),
        default=judge.DEFAULT_BACKEND.value,
        required=True,
        key="run-backend",
        help="\n\n".join(f"{name}: {spec.help}" for name, spec in specs.items()),
    )
    spec = specs[backend]
    can = {judge.Mode.LOGPROBS: spec.logprobs, judge.Mode.GENERATE: spec.generation}
    mode = st.segmented_control(
        "Scoring",
        [m.value for m in judge.Mode if can[m]],
        default=judge.Mode.LOGPROBS.value if spec.logprobs else judge.Mode.GENERATE.value,
        required=True,
        key="run-mode",
    )
    slots = []
    for name in spec.settings:
        if name in _WIDGETS:
            slots.append(name)
        if name == "model" and spec.remote:
            slots.append(_API_KEY)
    fields: dict[str, Any] = {"backend": backend, "mode": mode}
    api_key = None
    for start in range(0, len(slots), 3):
        row = slots[start : start + 3]
        for name, col in zip(row, st.columns(3), strict=False):
            if name == _API_KEY:
                api_key = col.text_input(
                    "API key (this session only, never stored)", type="password", key="api-key"
                )
            else:
                fields[name] = _WIDGETS[name](col, spec)
    return fields, api_key or None


def _jobs() -> dict[str, BackgroundRun]:
    return st.session_state.setdefault(JOBS, {})


def _busy() -> str | None:
    """Why no run can start now: one in-process model judges one run at a time per session."""
    running = [name for name, job in _jobs().items() if job.running]
    if not running:
        return None
    if running[0] == dataset:
        return "a run of this dataset is judging: wait for it or cancel it"
    return "another dataset's run is judging in this session: wait for it or cancel it there"


def _start(work, label: str, kind: storage.RunKind = storage.RunKind.GRADED) -> None:
    _jobs()[dataset] = BackgroundRun(label, kind).start(work)
    st.rerun()


def start_section() -> None:
    if (request := st.session_state.pop(CELL_REQUEST, None)) is not None:
        # The Confusion page's "Compare with an Exact": this form, set to that cell.
        run, human, judged = request
        st.session_state.update(
            {"run-kind": PAIRWISE, "pw-plan": CELL, "pw-cell-run": run}
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
        pairwise_start_section()
    else:
        graded_start_section()


def graded_start_section() -> None:
    busy = _busy()
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
        options = _grading_options(template, template_scale)
    with right:
        usable = options is not None and _preview(template, *options)
    fields, api_key = _backend_settings()
    if busy:
        st.caption(busy)
    if not st.button(
        "Start judging", type="primary", key="start-run", disabled=not usable or busy is not None
    ):
        return
    try:
        assert options is not None  # the button is disabled otherwise
        score_map, reference = options
        settings = judge.JudgeSettings(
            template=template, scale=scale, score_map=score_map, reference=reference, **fields
        )
        split = None if scope == WHOLE else scope
        work = _work(
            settings,
            api_key,
            lambda control: jobs.judge_dataset(
                db,
                dataset=dataset,
                settings=settings,
                split=split,
                name=name or None,
                control=control,
            ),
        )
    except judge.JudgeError as error:
        st.error(common.md(error))
        return
    _start(work, f"judging {dataset} ({scope})")


def _pairwise_plan() -> tuple[judge.ComparisonPlan, jobs.CellTarget | None, int | None] | None:
    """The comparison plan the form says: its budget, or a confusion cell of a graded run;
    and how many queries a sampled plan covers. None when a cell plan has no run to use."""
    how = st.segmented_control(
        "Compare",
        [SAMPLED, CELL],
        default=None if "pw-plan" in st.session_state else SAMPLED,
        required=True,
        key="pw-plan",
    )
    c1, c2, c3 = st.columns(3)
    if how == SAMPLED:
        per_product = c1.number_input(
            "Comparisons per product", 0.5, 10.0, judge.ComparisonPlan().per_product, step=0.5,
            key="pw-per-product", help="a query of n products gets at most this many x n",
        )  # fmt: skip
        queries = c2.number_input(
            "Queries (first by id)", 1, 100_000, 3, key="pw-max-queries",
            help="each comparison is judged twice: start small on a CPU",
        )  # fmt: skip
        seed = c3.number_input("Seed", 0, 2**31 - 1, 0, key="pw-seed")
        plan = judge.ComparisonPlan(per_product=float(per_product), seed=int(seed))
        return plan, None, int(queries)
    graded = storage.list_runs(db, dataset)
    labels = {int(r["run_id"]): common.run_label(r) for r in graded.to_dict("records")}
    if not labels:
        st.info("A cell plan needs a graded run of this dataset: start one first.")
        return None
    run = c1.selectbox("Graded run", list(labels), format_func=labels.get, key="pw-cell-run")
    human = c2.selectbox("Humans graded", grades, format_func=_grade_name, key="pw-cell-human")
    judged = c3.selectbox("The run graded", grades, format_func=_grade_name, key="pw-cell-judge")
    seed = st.number_input("Seed (which Exact is the reference)", 0, 2**31 - 1, 0, key="pw-seed")
    st.caption(
        "Each pair of the cell is compared with another product of its query that the humans "
        "graded Exact (never itself), in both orders; queries without one are skipped and "
        "counted."
    )
    return judge.ComparisonPlan(seed=int(seed)), jobs.CellTarget(run, human, judged), None


def _grade_name(grade: int) -> str:
    return f"{grade} {grade_names[grades.index(grade)]}"


def pairwise_start_section() -> None:
    busy = _busy()
    templates = {t.name: t for t in judge.list_pairwise_templates()}
    left, right = st.columns(2)
    name = left.selectbox("Pairwise template", list(templates), key="pw-template")
    run_name = right.text_input(
        "Run name", key="pw-name", placeholder="empty: a name from the plan"
    )
    st.caption(templates[name].description)
    planned = _pairwise_plan()
    if planned is None:
        return
    plan, cell, max_queries = planned
    fields, api_key = _backend_settings(pairwise=True)
    if busy:
        st.caption(busy)
    if not st.button(
        "Start pairwise run", type="primary", key="pw-start", disabled=busy is not None
    ):
        return
    try:
        settings = judge.JudgeSettings(template=templates[name].text, **fields)
        work = _work(
            settings,
            api_key,
            lambda control: jobs.judge_pairwise(
                db,
                dataset=dataset,
                settings=settings,
                plan=plan,
                cell=cell,
                max_queries=max_queries,
                name=run_name or None,
                control=control,
            ),
        )
    except judge.JudgeError as error:
        st.error(common.md(error))
        return
    what = "a sampled plan" if cell is None else f"cell {cell.human},{cell.judge} of #{cell.run_id}"
    _start(work, f"pairwise run on {dataset} ({what})", storage.RunKind.PAIRWISE)


def _work(
    settings: judge.JudgeSettings,
    api_key: str | None,
    run: Callable[[jobs.RunControl], Any],
) -> Callable[..., Any]:
    """The background work of a run, started or resumed: `run` given the job's controls and
    the session's model, or no model for a remote endpoint, whose client jobs builds with the
    key. Raises JudgeError when the model cannot be loaded."""
    shared = common.backend_for(settings)

    def work(**control) -> Any:
        return run(jobs.RunControl(backend=shared, api_key=api_key, **control))

    return work


def baseline_section(runs) -> None:
    """The lexical baseline and a learned head over a run: seconds of work, no model."""
    st.subheader("Baseline and learned head")
    st.caption(
        "Not an LLM: lexical features and a logistic regression trained on this "
        "dataset's current labels, cross-fitted by query (no pair is graded by a model "
        "that saw its query; benchmark queries are never trained on). The yardstick an "
        "LLM judge has to beat; a learned head adds a run's grade probabilities to it."
    )
    left, right = st.columns(2)
    if left.button("Train the baseline on the current labels", key="baseline-run"):
        _train(lambda: jobs.baseline_run(db, dataset), "Baseline")
    stackable = {
        r["run_id"]: common.run_label(r)
        for r in runs.to_dict("records")
        if jobs.why_not_stackable(r) is None
    }
    if not stackable:
        right.caption("A learned head stacks on a finished LLM or imported run: none yet.")
        return
    base = right.selectbox(
        "Stack a learned head on", list(stackable), key="stack-on", format_func=stackable.get
    )
    if right.button("Train the head", key="stack-run"):
        _train(lambda: jobs.stack_run(db, base), f"Head over run #{base}")


def _train(make, label: str) -> None:
    """Train and record a run at once (seconds), then make it the active run."""
    try:
        with st.spinner(f"{label}: training and grading…"):
            run_id = make()
    except (judge.JudgeError, storage.StoreError) as error:
        st.error(common.md(error))
        return
    selection.set_run(run_id)
    common.announce(f"{label}: run #{run_id} recorded, now the active run.")


def _kind_label(run: dict, *, status: bool = False) -> str:
    """A run's label in a choice (with its state, as `common.run_label`), and its kind when
    it is pairwise."""
    pairwise = " · pairwise" * (run["kind"] == storage.RunKind.PAIRWISE)
    return f"{common.run_label(run, status=status)}{pairwise}"


def resume_section(every) -> None:
    """Resume an unfinished run of either kind: it judges only what it has no answer for."""
    unfinished = every[every["status"].isin(RESUMABLE)]
    if unfinished.empty:
        st.caption("Every run of this dataset is finished.")
        return
    records = {r["run_id"]: r for r in unfinished.to_dict("records")}
    labels = {
        run_id: f"{_kind_label(r)}: {r['status']}, {r['judged']:,}"
        + (" orders" * (r["kind"] == storage.RunKind.PAIRWISE))
        + " judged"
        for run_id, r in records.items()
    }
    run_id = st.selectbox("Unfinished run", list(labels), format_func=labels.get, key="resume-run")
    pairwise = records[run_id]["kind"] == storage.RunKind.PAIRWISE
    settings = (
        jobs.pairwise_settings(storage.get_pairwise_run(db, run_id))
        if pairwise
        else jobs.settings_for_run(db, run_id)
    )
    api_key = None
    if settings.spec.remote:
        api_key = (
            st.text_input("API key (this session only)", type="password", key="resume-api-key")
            or None
        )
    if not st.button("Resume", key="resume", disabled=_busy() is not None):
        return
    resume = jobs.resume_pairwise if pairwise else jobs.resume_run
    try:
        work = _work(
            settings,
            api_key,
            lambda control: resume(db, run_id, control=control),
        )
    except judge.JudgeError as error:
        st.error(common.md(error))
        return
    if pairwise:
        _start(work, f"pairwise run #{run_id} resuming", storage.RunKind.PAIRWISE)
    else:
        _start(work, f"resuming run #{run_id}")


def _unit(kind: storage.RunKind) -> str:
    """What a run of `kind` counts: pairs, or orders (a pairwise run judges each comparison
    twice)."""
    return "orders" if kind is storage.RunKind.PAIRWISE else "pairs"


def _report_progress(job: BackgroundRun) -> None:
    p = job.progress
    compared = job.kind is storage.RunKind.PAIRWISE
    unit = _unit(job.kind)
    if job.running:
        if p is None:
            st.progress(0.0, text=common.md(f"{job.label}: loading…"))
        else:
            eta = f", about {p.eta_s:.0f} s left" if p.eta_s is not None else ""
            st.progress(
                p.done / max(p.total, 1),
                text=common.md(
                    f"{job.label}: {p.done:,}/{p.total:,} {unit}, "
                    f"{p.pairs_per_s:.1f} {unit}/s{eta}, "
                    f"{p.failures} failures"
                ),
            )
        st.button("Cancel", key="cancel-run", on_click=job.cancel.set)
    elif job.error:
        st.error(common.md(f"{job.label} failed: {job.error}"))
    else:
        s = job.outcome.summary
        verb = "cancelled" if s.cancelled else "finished"
        probed = job.outcome.endpoint  # a remote run's probed endpoint, and why
        endpoint = (
            "" if probed is None else f" Endpoint {probed.settings.endpoint}: {probed.reason}."
        )
        without = ""
        if compared and job.outcome.skipped_queries:
            skipped = common.plural(job.outcome.skipped_queries, "query")
            without = f" {skipped} had no Exact to compare with."
        elif not compared and job.outcome.without_reference:
            without = (
                f" {job.outcome.without_reference:,} pairs judged without a reference: no "
                f"other pair of their query is graded {grade_names[-1]}."
            )
        st.success(
            common.md(
                f"{job.label} {verb}: run #{job.outcome.run_id}, "
                f"{s.judged:,}{' orders' * compared} judged, {s.skipped:,} skipped, "
                f"{s.errors} errors, "
                f"{s.unparsed} unparsed, {s.pairs_per_s:.1f} {unit}/s.{endpoint}{without}"
            )
        )
        if compared:
            st.page_link(
                PAIRWISE_PAGE,
                label="Open the run on the Pairwise page",
                query_params={"pw_run": str(job.outcome.run_id)},
            )


@st.fragment(run_every=1.0)
def progress_panel(job: BackgroundRun) -> None:
    _report_progress(job)
    if not job.running:
        job.reported = True
        # A finished graded run becomes the active one; a cancelled or failed part-run does
        # not. A pairwise run is the Pairwise page's: the success line links to it.
        finished = job.outcome is not None and not job.outcome.summary.cancelled
        if finished and isinstance(job.outcome, jobs.JudgeOutcome):
            selection.set_run(job.outcome.run_id)
        st.rerun()


def _own_run_id() -> int | None:
    """The run this session's background job is judging, if any: its own panel shows it."""
    job = _jobs().get(dataset)
    return job.run_id if job is not None and job.running else None


def _duration(seconds: float) -> str:
    """'45 s', '12 min', '3.5 h': a span at the precision a reader wants."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _stored_progress_text(p: jobs.RunProgress) -> str:
    """A run judged elsewhere, in one line: counts, speed and time left, silence, failures."""
    unit = _unit(p.kind)
    parts = [f"{p.done:,}/{p.planned:,} {unit}"]
    if p.last_at is None:
        parts.append(f"no judgment yet, started {_duration(p.idle_s)} ago")
    else:
        if not p.stalled:  # a stopped run's old speed and time left would mislead
            parts.append(
                "measuring the speed"
                if p.pairs_per_s is None
                else f"{p.pairs_per_s:.1f} {unit}/s, about {_duration(p.eta_s)} left"
            )
        parts.append(f"last judgment {_duration(p.idle_s)} ago")
    failures = p.failed + p.unparsed
    if failures:
        parts.append(f"{failures:,} failure" + ("s" if failures > 1 else ""))
    return ", ".join(parts)


def _stalled_hint(label: str, p: jobs.RunProgress) -> str:
    """What a silent run's reader should know: it may be dead, and how to finish it."""
    silence = (
        f"no judgment since it started {_duration(p.idle_s)} ago"
        if p.last_at is None
        else f"no judgment for {_duration(p.idle_s)}"
    )
    return (
        f"{label}: {silence}. The process judging it may have stopped (a killed CLI or a "
        "crashed server leaves its run “running”). If so, resume it under Resume in the "
        f"“Start a run” tab: a resume skips the {_unit(p.kind)} already judged."
    )


@st.fragment(run_every=OTHERS_EVERY_S)
def others_progress(labels: dict[int, str], seen: tuple[int, ...]) -> None:
    """Progress of this dataset's running runs that another process judges (the CLI, another
    browser session), `labels` by run id. It reads the store on every tick, since a fragment
    reruns without the page; when one of them ends or another starts, the whole page reruns
    so that the table and the resume choices follow. With none running it reads nothing
    until the store is written after the page's render (`seen`: its write version), so a run
    started after the page opened shows without a reload, at the cost of a file's status."""
    if not labels and storage.write_version(db) == seen:
        return
    own = _own_run_id()
    progress = [p for p in jobs.running_progress(db, dataset) if p.run_id != own]
    if [p.run_id for p in progress] != list(labels):
        st.rerun()
    for p in progress:
        label = labels[p.run_id]
        st.progress(p.fraction, text=common.md(f"{label}: {_stored_progress_text(p)}"))
        if p.stalled:
            st.warning(common.md(_stalled_hint(label, p)))


def runs_table(every, version) -> None:
    """Runs of both kinds; the graded ones with their headline metrics."""
    table = every[
        [
            "run_id",
            "name",
            "kind",
            "split",
            "backend",
            "model",
            "status",
            "prompt_sha",
            "judged",
            "failed",
            "unparsed",
            "started_at",
        ]
    ].copy()
    table["model"] = table["model"].map(lambda m: Path(str(m)).name)
    # A pairwise run has no grades to measure: its figures are on the Pairwise page.
    values = [
        common.run_report(db, int(r.run_id), version).metrics.set_index("metric")["value"]
        if r.kind == storage.RunKind.GRADED
        else {}
        for r in every.itertuples()
    ]
    for metric, column in HEADLINE.items():
        table[column] = [v.get(metric, float("nan")) for v in values]
    first = ["run_id", "name", "kind", "status", "judged", "failed", "unparsed"]
    first += HEADLINE.values()
    st.dataframe(
        table,
        hide_index=True,
        column_order=[*first, *table.columns.drop(first)],
        column_config={
            "run_id": st.column_config.NumberColumn("run", format="%d", width="small"),
            "name": st.column_config.TextColumn("name", width="medium"),
            "kind": st.column_config.TextColumn(
                "kind", width="small", help="graded: a grade per pair; pairwise: A or B"
            ),
            "status": st.column_config.TextColumn("status", width="small"),
            **{
                c: st.column_config.NumberColumn(c, format="%d", width="small", help=h)
                for c, h in (
                    ("judged", "pairs graded; pairwise: orders answered, two per comparison"),
                    ("failed", "pairs (pairwise: orders) the judge failed on"),
                    ("unparsed", "answers that gave no grade (pairwise: no verdict)"),
                )
            },
            "prompt_sha": st.column_config.TextColumn("template sha256"),
            **{
                c: st.column_config.NumberColumn(format="%.3f", width="small")
                for c in HEADLINE.values()
            },
        },
    )
    if (every["kind"] == storage.RunKind.PAIRWISE).any():
        st.page_link(PAIRWISE_PAGE, label="Pairwise runs' figures: the Pairwise page")


def manage_section(every) -> None:
    """Rename or delete a run of this dataset, of either kind; a delete says what goes and
    asks first."""
    with st.expander("Rename or delete a run"):
        records = {r["run_id"]: r for r in every.to_dict("records")}
        labels = {run_id: _kind_label(r, status=True) for run_id, r in records.items()}
        run_id = st.selectbox("Run", list(labels), format_func=labels.get, key="manage-run")
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        name = c1.text_input("New name", key=f"rename-run-{run_id}")
        if c2.button("Rename", key="rename-run", disabled=not name.strip()):
            _act(
                lambda: storage.rename_run(db, run_id, name.strip()),
                f"Run #{run_id} renamed to “{name.strip()}”.",
            )
        goes = storage.run_footprint(db, run_id)
        results = (
            common.plural(goes["pairwise_judgments"], "pairwise verdict")
            + " (labels and reviewers' preferences are kept)"
            if records[run_id]["kind"] == storage.RunKind.PAIRWISE
            else f"{common.plural(goes['judgments'], 'judgment')} (labels are kept)"
        )
        refusal = storage.why_run_cannot_be_deleted(db, run_id)
        if refusal:
            st.warning(common.md(refusal))
        sure = st.checkbox(
            f"Delete run #{run_id} and its {results}",
            key=f"delete-run-sure-{run_id}",
            disabled=refusal is not None,
        )
        if st.button("Delete run", key="delete-run", disabled=not sure or _own_run_id() == run_id):
            if selection.current().run_id == run_id:
                selection.set_run(None)
            _act(lambda: storage.delete_run(db, run_id), f"Run #{run_id} deleted.")


def _act(change, message: str) -> None:
    """Make a store change, then rerun with `message` shown, or show why it failed."""
    try:
        change()
    except storage.StoreError as error:
        st.error(common.md(error))
        return
    common.announce(message)


def compare_section(runs, version) -> None:
    if len(runs) < 2:
        st.caption("Two runs of this dataset are needed for a comparison.")
        return
    labels = {r["run_id"]: common.run_label(r) for r in runs.to_dict("records")}
    ids = list(labels)
    c1, c2 = st.columns(2)
    run_a = c1.selectbox("Run A", ids, index=1, format_func=labels.get, key="compare-a")
    run_b = c2.selectbox("Run B", ids, index=0, format_func=labels.get, key="compare-b")
    if run_a == run_b:
        st.info("Pick two different runs.")
        return
    comparison = common.compare_runs(db, run_a, run_b, version)
    covered = comparison.coverage
    st.caption(
        common.md(
            "Labelled pairs judged, "
            + covered.describe(f"A ({labels[run_a]})", f"B ({labels[run_b]})")
        )
    )
    if not covered.comparable:
        st.warning(
            common.md(
                f"Not comparable: {covered.reason}. A difference on so few shared pairs would "
                "describe those pairs, not the two judges: judge the same pairs with both runs "
                "(resume the shorter one)."
            )
        )
        return
    st.caption(
        f"B − A on the {covered.common.pairs:,} labelled pairs ({covered.common.queries:,} "
        "queries) both runs judged; 95% paired bootstrap over queries."
    )
    st.dataframe(
        comparison.differences,
        hide_index=True,
        column_order=("label", "a", "b", "difference", "low", "high", "excludes_zero"),
        column_config={
            "label": "metric",
            **{
                c: st.column_config.NumberColumn(format="%.3f")
                for c in ("a", "b", "difference", "low", "high")
            },
        },
    )
    disagreements = comparison.disagreements.head(DISAGREEMENTS_SHOWN)
    names = dict(zip(grades, grade_names))
    st.caption(
        f"{len(comparison.disagreements):,} pairs where the two runs disagree"
        + (
            f" (the first {DISAGREEMENTS_SHOWN} shown)"
            if len(comparison.disagreements) > DISAGREEMENTS_SHOWN
            else ""
        )
    )
    st.dataframe(
        disagreements.assign(
            **{c: disagreements[c].map(names) for c in ("human", "judge_a", "judge_b")}
        ),
        hide_index=True,
    )


job = _jobs().get(dataset)
if job is not None and not job.reported:
    progress_panel(job)
elif job is not None:
    _report_progress(job)

seen = storage.write_version(db)  # before the reads: a run started after them is news
runs = storage.list_runs(db, dataset)  # graded: comparisons, heads
every = storage.list_all_runs(db, dataset)  # both kinds: progress, table, resume, rename, delete
others = {
    r["run_id"]: _kind_label(r)
    for r in every.to_dict("records")
    if r["status"] == "running" and r["run_id"] != _own_run_id()
}
others_progress(others, seen)
# The cache key of the reports in the table and of the comparison, read once per render.
version = None if every.empty else storage.data_version(db)
runs_tab, start_tab, compare_tab = st.tabs(
    ["Runs", "Start a run", "Compare two runs"], key="runs-tab", bind="query-params"
)
if start_tab.open:
    with start_tab:
        start_section()
        baseline_section(runs)
        st.subheader("Resume")
        resume_section(every)
if runs_tab.open:
    with runs_tab:
        if every.empty:
            st.info("No judge run yet: start one in the “Start a run” tab.")
        else:
            runs_table(every, version)
            manage_section(every)
if compare_tab.open:
    with compare_tab:
        compare_section(runs, version)
