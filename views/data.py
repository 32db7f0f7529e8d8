"""Data: import labelled pairs (upload or a path on this machine), the active dataset's
counts, and query-level splits."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import streamlit as st

import storage
from views import _common as common

db = common.database()
st.title("Data")
if done := st.session_state.pop("data-done", None):
    st.success(done[0])
    st.text(done[1])


def _done(message: str, details: object) -> None:
    """Show `message` and `details` (as plain text) after a full rerun, so that the sidebar
    and the counts show the change."""
    st.session_state["data-done"] = (message, str(details))
    st.rerun()


def _files(label: str, key: str, *, multiple: bool = False) -> list[Path] | None:
    """The chosen file(s): uploaded (kept in a temporary folder under their own names) or
    typed as a path. None until the user gave them."""
    source = st.segmented_control(f"{label}: from", ["upload", "path"], default="upload",
                                  required=True, key=f"{key}-source")
    if source == "path":
        text = st.text_input(f"{label} path", key=f"{key}-path")
        return [Path(text).expanduser()] if text else None
    uploads = st.file_uploader(label, key=f"{key}-upload", accept_multiple_files=multiple)
    uploads = uploads if multiple else [uploads] if uploads else []
    if not uploads:
        return None
    folder = Path(tempfile.mkdtemp(prefix="workbench-import-"))
    for upload in uploads:
        (folder / Path(upload.name).name).write_bytes(upload.getvalue())
    return [folder / Path(u.name).name for u in uploads]


def _wands() -> Callable[[str], storage.ImportSummary] | None:
    files = _files("WANDS folder (or its query.csv, product.csv, label.csv)", "wands",
                   multiple=True)
    if not files:
        return None
    folder = files[0] if files[0].is_dir() else files[0].parent
    return lambda dataset: storage.import_wands(db, folder, dataset=dataset)


def _table() -> Callable[[str], storage.ImportSummary] | None:
    files = _files("Table (CSV, TSV, JSONL or Parquet)", "table")
    columns = st.text_input("Column mapping (our name=your column)", key="table-columns",
                            placeholder="query=search_term,doc_id=product_uid,"
                                        "title=product_name,label=relevance")
    labels = st.text_input("Label mapping (optional)", key="table-labels",
                           placeholder="Exact=2,Partial=1,Irrelevant=0")
    if not files or not columns:
        return None
    return lambda dataset: storage.import_table(
        db, files[0], dataset=dataset, columns=storage.ColumnMap.parse(columns),
        labels=storage.parse_label_map(labels) if labels else None)


def _instruction() -> Callable[[str], storage.ImportSummary] | None:
    files = _files("Instruction-tuning JSONL", "instruction")
    if not files:
        return None
    return lambda dataset: storage.import_instruction_jsonl(db, files[0], dataset=dataset)


def _trec() -> Callable[[str], storage.ImportSummary] | None:
    qrels = _files("TREC qrels", "qrels")
    topics = _files("Topics (query text)", "topics")
    if not qrels or not topics:
        return None
    return lambda dataset: storage.import_trec(db, qrels[0], topics=topics[0], dataset=dataset)


FORMATS = {"WANDS folder": _wands, "CSV / TSV / JSONL / Parquet": _table,
           "instruction JSONL (the seed's export)": _instruction, "TREC qrels": _trec}


def import_section() -> None:
    kind = st.selectbox("Format", list(FORMATS), key="import-format")
    importer = FORMATS[kind]()
    dataset = st.text_input("Dataset name", key="import-dataset",
                            value=common.active_dataset() or "wands")
    if not st.button("Import", type="primary", key="import", disabled=importer is None):
        return
    try:
        summary = importer(dataset)
    except (storage.StoreError, OSError) as error:
        st.error(common.md(error))
        return
    _done("Imported.", summary)


def _report(make_split: Callable[[], storage.SplitReport]) -> None:
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
    if st.button("Pick the benchmark (clears the dataset's splits)", key="split-benchmark"):
        _report(lambda: storage.split_benchmark(db, dataset, storage.BenchmarkRecipe(
            queries=queries, per_query=per_query, min_per_label=minimum, seed=seed)))

    st.subheader("Training and validation: the other queries")
    grades, names = storage.dataset_scale(db, dataset)
    c1, c2, c3 = st.columns(3)
    cap = c1.number_input("Cap per query (0: none)", 0, 10_000, 12, key="train-cap")
    validation = c2.number_input("Validation share of queries", 0.0, 0.9, 0.1, step=0.05,
                                 key="train-validation")
    train_seed = c3.number_input("Seed", 0, 2**31 - 1, 0, key="train-seed")
    shares = None
    if st.toggle("Rebalance to target label shares", key="train-rebalance"):
        shares = common.label_share_inputs(grades, names, "train")
    if st.button("Make train and validation splits", key="split-training"):
        _report(lambda: storage.split_training(db, dataset, storage.TrainingRecipe(
            cap_per_query=cap or None, label_shares=shares, validation_share=validation,
            seed=train_seed)))


dataset = common.active_dataset()
stats_tab, splits_tab, import_tab = st.tabs(["Dataset", "Splits", "Import"])
with import_tab:
    import_section()
if dataset is None:
    stats_tab.info("No dataset yet: import one.")
    st.stop()
with stats_tab:
    common.dataset_summary(storage.dataset_stats(db, dataset))
with splits_tab:
    splits_section(dataset)
