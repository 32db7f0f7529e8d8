"""`with storage.session(db) as store:`: one connection for a unit of work, and the storage
functions as its methods.

Each method is the storage function of the same name with the store in place of the path
(`store.confusion_counts(run_id)` is `storage.confusion_counts(store, run_id)`): one
implementation, its signature and docstring. Inside the block, the plain functions given the
same path use the session too (it is the context's ambient session), so code written against
paths, such as the app's pages, joins the unit of work unchanged. The functions of the
training room (`storage.training`) take a store as well; they are not methods here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from . import (
    _browse,
    _card,
    _check,
    _datasets,
    _labels,
    _manage,
    _pairs,
    _reviewed,
    _rubrics,
    _runs,
    _sample,
    _search,
    importers,
)
from ._db import Session, ambient, bind, schema_version


class Store(Session):
    """The store of one unit of work: the storage functions as methods on one connection,
    opened at the first call and closed when the session ends. Made by `session`; used by
    the thread that made it."""

    schema_version = schema_version

    bootstrap_sample = _sample.bootstrap_sample
    check_store = _check.check_store
    probe_tables = _check.probe_tables

    list_datasets = _datasets.list_datasets
    dataset_names = _datasets.dataset_names
    dataset_scale = _datasets.dataset_scale
    dataset_stats = _datasets.dataset_stats
    label_distribution = _browse.label_distribution
    query_classes = _browse.query_classes
    reviewers = _reviewed.reviewers
    data_version = _browse.data_version
    write_version = _browse.write_version

    import_wands = importers.import_wands
    import_table = importers.import_table
    import_trec = importers.import_trec
    import_instruction_jsonl = importers.import_instruction_jsonl
    import_judgement_ai = importers.import_judgement_ai

    current_label = _labels.current_label
    label_history = _labels.label_history
    rater_labels = _labels.rater_labels
    record_review = _labels.record_review
    undo_last_review = _labels.undo_last_review

    create_run = _runs.create_run
    record_judgments = _runs.record_judgments
    finish_run = _runs.finish_run
    reopen_run = _runs.reopen_run
    get_run = _runs.get_run
    list_runs = _runs.list_runs
    judged_pair_ids = _runs.judged_pair_ids
    run_judgments = _runs.run_judgments
    run_tallies = _runs.run_tallies
    pairs_for_judging = _pairs.pairs_for_judging
    current_rubric = _rubrics.current_rubric
    rubric_history = _rubrics.rubric_history
    save_rubric = _rubrics.save_rubric
    top_grade_pairs = _rubrics.top_grade_pairs
    run_labels = _pairs.run_labels

    confusion_counts = _browse.confusion_counts
    confusion_cell_pairs = _browse.confusion_cell_pairs
    cell_pair_ids = _browse.cell_pair_ids
    stale_pair_ids = _browse.stale_pair_ids
    review_card = _card.review_card
    pair_choices = _browse.pair_choices
    search_pairs = _search.search_pairs
    search_pair_ids = _search.search_pair_ids
    query_pairs = _search.query_pairs
    query_choices = _search.query_choices
    pair_dataset = _search.pair_dataset

    rename_dataset = _manage.rename_dataset
    dataset_footprint = _manage.dataset_footprint
    delete_dataset = _manage.delete_dataset
    rename_run = _manage.rename_run
    run_footprint = _manage.run_footprint
    delete_run = _manage.delete_run
    why_run_cannot_be_deleted = _manage.why_run_cannot_be_deleted


@contextmanager
def session(db: str | Path | Store, *, read_only: bool = False) -> Iterator[Store]:
    """One connection to the store at `db` for the block: opened at the first call, closed
    when the block ends, shared by every storage call on `db` in this context and thread.

    Inside a session on the same file (a job's batch inside a CLI command), this joins it and
    leaves it open. `read_only` opens the store as it is, migrating and writing nothing
    (DuckDB refuses a write). A session is for the thread that opens it: a background thread
    opens its own.
    """
    if isinstance(db, Store):
        yield db
        return
    joined = ambient(db)
    if isinstance(joined, Store):
        yield joined
        return
    store = Store(db, read_only=read_only)
    try:
        with bind(store.path, store):
            yield store
    finally:
        store.close()
