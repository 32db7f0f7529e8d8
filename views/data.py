"""Data: import labelled pairs (upload or a path on this machine), the active dataset's
counts, and query-level splits."""

from __future__ import annotations

import enum
import hashlib
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st

import jobs
import judge
import storage
from views import _common as common
from views import _reviewer as reviewing
from views import _selection as selection

db = common.database()
st.title("Data")
common.show_announcement()


class _Same(enum.Enum):
    """The default of `_done`'s `dataset`, where None (no dataset) is a value."""

    SAME = enum.auto()


def _done(message: str, details: object = "", *, dataset: str | None | _Same = _Same.SAME) -> None:
    """`common.announce` the change; `dataset` (a name, or None) becomes the active one
    first, so the message shows on it."""
    if not isinstance(dataset, _Same):
        selection.set_dataset(dataset)
    common.announce(message, details)


def _files(label: str, key: str, *, multiple: bool = False) -> list[Path] | None:
    """The chosen file(s): uploaded (kept in a temporary folder under their own names) or
    typed as a path. None until the user gave them."""
    source = st.segmented_control(
        f"{label}: from", ["upload", "path"], default="upload", required=True, key=f"{key}-source"
    )
    if source == "path":
        text = st.text_input(f"{label} path", key=f"{key}-path")
        return [Path(text).expanduser()] if text else None
    chosen = st.file_uploader(label, key=f"{key}-upload", accept_multiple_files=multiple)
    uploads = chosen if isinstance(chosen, list) else [chosen] if chosen else []
    if not uploads:
        return None
    folder = Path(tempfile.mkdtemp(prefix="workbench-import-"))
    for upload in uploads:
        (folder / Path(upload.name).name).write_bytes(upload.getvalue())
    return [folder / Path(u.name).name for u in uploads]


# An importer made from the form: it takes the dataset name and the annotator's name (None
# when left empty) and imports.
Importer = Callable[[str, str | None], storage.importers.ImportSummary]


def _wands() -> Importer | None:
    files = _files(
        "WANDS folder (or its query.csv, product.csv, label.csv)", "wands", multiple=True
    )
    if not files:
        return None
    folder = files[0] if files[0].is_dir() else files[0].parent
    return lambda dataset, author: storage.importers.import_wands(
        db, folder, dataset=dataset, author=author
    )


_ROW_PX = 35  # Streamlit's row height in a table, the header's too


def _mapping_table(preview: storage.importers.TablePreview) -> dict[str, str]:
    """The suggested mapping as an editable table (our name -> one of the file's columns);
    our name -> column as the user left it."""
    suggestion = preview.suggestion()
    frame = pd.DataFrame(
        {
            "our name": list(storage.importers.HEADERS),
            "required": [n in storage.importers.REQUIRED for n in storage.importers.HEADERS],
            "your column": [suggestion.columns.get(n) for n in storage.importers.HEADERS],
        }
    )
    # Keyed by the file's name and header: another file opens on its own suggestion.
    header = hashlib.sha1("\x1f".join([preview.table.path.name, *preview.headers]).encode())
    edited = st.data_editor(
        frame,
        column_config={
            "our name": st.column_config.TextColumn(disabled=True),
            "required": st.column_config.CheckboxColumn(disabled=True),
            "your column": st.column_config.SelectboxColumn(options=preview.headers),
        },
        hide_index=True,
        height=_ROW_PX * (len(frame) + 1) + 3,  # every name in view, none behind a scroll
        key=f"table-map-{header.hexdigest()[:12]}",
    )
    for note in suggestion.notes:
        st.caption(common.md(note))
    return {
        ours: str(theirs)
        for ours, theirs in zip(edited["our name"], edited["your column"], strict=True)
        if isinstance(theirs, str) and theirs
    }


def _table() -> Importer | str | None:
    files = _files("Table (CSV, TSV, JSONL or Parquet)", "table")
    if not files:
        return None
    try:
        preview = storage.importers.preview_table(files[0])
    except (storage.StoreError, OSError) as error:
        st.error(common.md(error))
        return "choose a file that reads as a table"
    st.caption(
        "Which of your columns holds what: suggested from the header, change a cell to fix it."
    )
    named = _mapping_table(preview)
    typed = st.text_input(
        "Or the column mapping as text (replaces the table)",
        key="table-columns",
        placeholder="query=search_term,doc_id=product_uid,title=product_name,label=relevance",
    )
    if typed:
        try:
            named = storage.importers.ColumnMap.parse(typed).named()
        except storage.StoreError as error:
            st.error(common.md(error))
            return "fix the column mapping"
    labels = st.text_input(
        "Label mapping (optional)", key="table-labels", placeholder="Exact=2,Partial=1,Irrelevant=0"
    )
    drop, keep = st.columns(2)
    dropped = drop.text_input(
        "Drop other columns (optional)",
        key="table-drop-columns",
        placeholder="internal_notes,grade",
        help="The file's unmapped columns are kept as document fields; the summary lists them.",
    )
    kept = keep.text_input(
        "Keep only these other columns (optional)", key="table-keep-columns", placeholder="brand"
    )
    extra = storage.importers.ExtraColumns.parse(drop=dropped, keep=kept or None)
    st.caption(f"What lands where: the first {common.plural(preview.rows, 'row')}")
    st.dataframe(preview.landing(named), hide_index=True, key="table-landing")
    try:
        others = preview.extra_fields(named, extra)
    except storage.StoreError as error:
        st.error(common.md(error))
        return "fix the columns to drop or keep"
    if not others.empty:
        st.caption(
            "Your other columns: kept as document fields (one that differs between rows of a "
            "document is left out at import)"
        )
        st.dataframe(others, hide_index=True, key="table-extra")
    missing = [name for name in storage.importers.REQUIRED if name not in named]
    if missing:
        return f"map a column to {' and '.join(missing)}"
    return lambda dataset, author: storage.importers.import_table(
        db,
        files[0],
        dataset=dataset,
        columns=storage.importers.ColumnMap(**named),
        labels=storage.importers.parse_label_map(labels) if labels else None,
        author=author,
        extra=extra,
    )


def _instruction() -> Importer | None:
    files = _files("Instruction-tuning JSONL (an export's train.jsonl)", "instruction")
    template = st.selectbox(
        "Template it was written with (its answer line: SCORE: N, [RESULT] N)",
        [t.name for t in judge.list_templates()],
        key="instruction-template",
    )
    if not files:
        return None
    return lambda dataset, author: jobs.import_instruction(
        db, files[0], dataset=dataset, author=author, template_name=template
    )


def _trec() -> Importer | None:
    qrels = _files("TREC qrels", "qrels")
    topics = _files("Topics (qid<TAB>text, <top>…</top> or <topic number=…>)", "topics")
    if not qrels or not topics:
        return None
    return lambda dataset, author: storage.importers.import_trec(
        db, qrels[0], topics=topics[0], dataset=dataset, author=author
    )


UNKNOWN = dict(
    zip(
        ("add them to the dataset, unlabelled", "skip them (counted)"),
        storage.importers.UNKNOWN_PAIRS,  # "add", "skip"
        strict=True,
    )
)


def _judgement_ai() -> Importer | None:
    """A judgement-ai run over an existing dataset: its results, its failures file, the
    scale map and what to do with pairs the dataset lacks, as on the command line."""
    results = _files("judgement-ai results (results.json)", "jai")
    failures = _files(
        "Failures file (optional; by path, results-failures.json beside the results is read "
        "when there)",
        "jai-failures",
    )
    left, right = st.columns(2)
    scale_map = left.text_input(
        "Scale map (empty: the scores are the dataset's grades)",
        key="jai-scale-map",
        placeholder="0=0,1=1,2=1,3=2",
    ).strip()
    model = right.text_input("Model that judged", "unknown", key="jai-model").strip()
    unknown = UNKNOWN[st.radio("Pairs the dataset does not have", list(UNKNOWN), key="jai-unknown")]
    if not results:
        return None
    return lambda dataset, _: storage.importers.import_judgement_ai(
        db,
        results[0],
        dataset=dataset,
        model=model or "unknown",
        scale_map=storage.importers.parse_scale_map(scale_map) if scale_map else None,
        failures=failures[0] if failures else None,
        unknown=unknown,
    )


FORMATS = {
    "WANDS folder": _wands,
    "CSV / TSV / JSONL / Parquet": _table,
    "instruction JSONL (the seed's export)": _instruction,
    "TREC qrels": _trec,
    "judgement-ai results (a judge run over a dataset)": _judgement_ai,
}
# Formats that import a run, not labels: no annotator, and the dataset must exist.
RUN_FORMATS = {"judgement-ai results (a judge run over a dataset)"}


def import_section() -> None:
    kind = st.selectbox("Format", list(FORMATS), key="import-format")
    importer = FORMATS[kind]()
    existing = [d["dataset"] for d in storage.list_datasets(db)]
    dataset = st.text_input(
        "Dataset name",
        key="import-dataset",
        placeholder="a new name, or an existing dataset to add to",
    ).strip()
    annotator = None
    if kind in RUN_FORMATS:
        st.caption("The run is imported over this dataset, which must exist.")
    else:
        annotator = st.text_input(
            "Annotator (optional)",
            key="import-annotator",
            placeholder="who graded these labels; several annotators give human-human kappa",
        ).strip()
        if dataset in existing:
            st.caption(
                f"“{common.md(dataset)}” exists: the import adds to it (pairs already there "
                "are kept, changed labels become new label events)."
            )
    waiting = (
        importer
        if isinstance(importer, str)
        else "choose the file(s)"
        if importer is None
        else "name the dataset"
        if not dataset
        else None
    )
    if waiting is not None:
        st.caption(f"Import waits: {waiting}.")
    if not st.button("Import", type="primary", key="import", disabled=waiting is not None):
        return
    if importer is None or isinstance(importer, str):  # the button is disabled then
        return
    try:
        summary = importer(dataset, annotator or None)
    except (storage.StoreError, judge.JudgeError, OSError) as error:
        st.error(common.md(error))
        return
    if summary.run_id is not None:
        selection.set_dataset(dataset)
        selection.set_run(summary.run_id)
        common.announce(
            f"Imported run {summary.run_id} over “{dataset}”, now the active run.", summary
        )
        return
    _done(f"Imported into “{dataset}”, now the active dataset.", summary, dataset=dataset)


def _guard(
    dataset: str,
    recipe: storage.training.BenchmarkRecipe | storage.training.TrainingRecipe,
    key: str,
) -> bool:
    """True when the split may go ahead: at once, or after the user confirms the warnings
    (a split that takes most of the queries, or leaves nothing to train on)."""
    try:
        warnings = storage.training.split_warnings(db, dataset, recipe)
    except storage.StoreError as error:
        st.error(common.md(error))
        return False
    for warning in warnings:
        st.warning(common.md(warning))
    return not warnings or st.checkbox("Split anyway", key=f"{key}-anyway")


def _report(make_split: Callable[[], storage.training.SplitReport]) -> None:
    try:
        report = make_split()
    except storage.StoreError as error:
        st.error(common.md(error))
        return
    _done("Splits made.", report)


def splits_section(dataset: str) -> None:
    """The seed's two recipes; both assign whole queries, never single pairs."""
    st.subheader("Benchmark: held-out queries")
    c1, c2, c3, c4 = st.columns(4)
    queries = c1.number_input("Queries", 1, 10_000, 50, key="bench-queries")
    per_query = c2.number_input("Pairs per query", 1, 1_000, 10, key="bench-per-query")
    minimum = c3.number_input("At least, of each label", 0, 100, 2, key="bench-min")
    seed = c4.number_input("Seed", 0, 2**31 - 1, 0, key="bench-seed")
    recipe = storage.training.BenchmarkRecipe(
        queries=queries, per_query=per_query, min_per_label=minimum, seed=seed
    )
    allowed = _guard(dataset, recipe, "split-benchmark")
    if st.button(
        "Pick the benchmark (clears the dataset's splits)",
        key="split-benchmark",
        disabled=not allowed,
    ):
        _report(lambda: storage.training.split_benchmark(db, dataset, recipe))

    st.subheader("Training and validation: the other queries")
    scale = storage.dataset_scale(db, dataset)
    grades, names = list(scale.grades), list(scale.names)
    c1, c2, c3 = st.columns(3)
    cap = c1.number_input("Cap per query (0: none)", 0, 10_000, 12, key="train-cap")
    validation = c2.number_input(
        "Validation share of queries", 0.0, 0.9, 0.1, step=0.05, key="train-validation"
    )
    train_seed = c3.number_input("Seed", 0, 2**31 - 1, 0, key="train-seed")
    shares = None
    if st.toggle("Rebalance to target label shares", key="train-rebalance"):
        shares = common.label_share_inputs(grades, names, "train")
    training = storage.training.TrainingRecipe(
        cap_per_query=cap or None, label_shares=shares, validation_share=validation, seed=train_seed
    )
    allowed = _guard(dataset, training, "split-training")
    if st.button("Make train and validation splits", key="split-training", disabled=not allowed):
        _report(lambda: storage.training.split_training(db, dataset, training))


def manage_section(dataset: str) -> None:
    """Rename or delete the active dataset; a delete says what goes and asks first."""
    st.subheader("Rename or delete")
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    name = c1.text_input("New name", key=f"rename-dataset-{dataset}").strip()
    if c2.button("Rename", key="rename-dataset", disabled=not name):
        try:
            storage.rename_dataset(db, dataset, name)
        except storage.StoreError as error:
            st.error(common.md(error))
            return
        _done(f"“{dataset}” renamed to “{name}”.", dataset=name)
    goes = str(storage.dataset_footprint(db, dataset))  # "36 queries, 174 pairs, …"
    sure = st.checkbox(
        f"Delete “{common.md(dataset)}” with its {goes}", key=f"delete-dataset-sure-{dataset}"
    )
    if st.button("Delete dataset", key="delete-dataset", disabled=not sure):
        try:
            storage.delete_dataset(db, dataset)
        except storage.StoreError as error:
            st.error(common.md(error))
            return
        remaining = [d["dataset"] for d in storage.list_datasets(db)]
        _done(f"“{dataset}” deleted: {goes}.", dataset=remaining[0] if remaining else None)


def rubric_section(dataset: str) -> None:
    """The dataset's score rubric: edit the criterion and what each score means, save a new
    version, see every version; and how the scores become the dataset's grades."""
    st.subheader("Score rubric")
    st.caption(
        "What a template with {rubric} (prometheus_1_5) shows the judge for this dataset: "
        "the criterion and what each score from 1 to 5 means. Every save is a new version; "
        "a run records the version it used."
    )
    rubric, version = jobs.dataset_rubric(db, dataset)
    st.caption(
        "In force: the default rubric (version 0)."
        if version == jobs.DEFAULT_RUBRIC_VERSION
        else f"In force: version {version}."
    )
    scale = storage.dataset_scale(db, dataset)
    score_map = jobs.score_map_for(judge.RUBRIC_SCORES, scale.grades)
    if score_map is not None:
        st.caption(f"Scores become this dataset's grades: {common.md(score_map.describe(scale))}.")
    # Keyed by dataset and version: another dataset, or a new version, opens on its own text.
    form = f"rubric-{dataset}-{version}"
    with st.form(form, enter_to_submit=False):
        criterion = st.text_input("Criterion", value=rubric.criterion, key=f"{form}-criterion")
        descriptions = [
            st.text_input(f"Score {score}", value=text, key=f"{form}-score-{score}")
            for score, text in zip(judge.RUBRIC_SCORES, rubric.descriptions, strict=True)
        ]
        save = st.form_submit_button("Save as a new version")
    if save:
        try:
            saved = jobs.save_dataset_rubric(
                db,
                dataset,
                judge.Rubric(criterion, tuple(descriptions)),
                author=reviewing.current(),  # the sidebar's reviewer
            )
        except (judge.JudgeError, storage.StoreError) as error:
            st.error(common.md(error))
        else:
            if saved == version:
                st.info("Nothing changed: the rubric in force already says this.")
            else:
                _done(f"Rubric version {saved} saved for “{dataset}”.")
    history = storage.rubric_history(db, dataset)
    if history:
        st.dataframe(
            [
                {
                    "version": r.version,
                    "saved": r.created_at,
                    "by": r.author,
                    "criterion": r.criterion,
                    **{f"score {s}": d for s, d in zip(judge.RUBRIC_SCORES, r.descriptions)},
                }
                for r in history
            ],
            hide_index=True,
            key="rubric-history",
        )


def check_section() -> None:
    """Read the whole store and verify its invariants; nothing is changed."""
    st.subheader("Check the store")
    if not st.button("Check every table", key="check-store"):
        return
    with st.spinner("Reading every table…"):
        report = storage.check_store(db)
    if report.ok:
        st.success("The store is consistent: every table read, every invariant holds.")
        return
    st.error(f"{common.plural(len(report.problems), 'problem')} found; nothing was changed.")
    st.text("\n".join(str(problem) for problem in report.problems))


dataset = common.active_dataset()
stats_tab, splits_tab, import_tab, rubric_tab = st.tabs(
    ["Dataset", "Splits", "Import", "Rubric"], key="data-tab", bind="query-params"
)
if import_tab.open:
    with import_tab:
        import_section()
if dataset is None:
    if not import_tab.open:
        st.info("No dataset yet: import one in the Import tab.")
    st.stop()
if stats_tab.open:
    with stats_tab:
        common.dataset_summary(storage.dataset_stats(db, dataset))
        manage_section(dataset)
        check_section()
if splits_tab.open:
    with splits_tab:
        splits_section(dataset)
if rubric_tab.open:
    with rubric_tab:
        rubric_section(dataset)
