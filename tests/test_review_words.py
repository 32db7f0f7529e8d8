"""The review words (storage/_reviewed.py): reviewed, confirmed and corrected mean the same in
the dataset counts, the export selections and the pair filters."""

from __future__ import annotations

import pandas as pd

import storage

DATASET = "wands-sample"


def _grades(db) -> dict[int, int]:
    with storage.connect(db) as con:
        return dict(con.execute("SELECT pair_id, grade FROM current_labels").fetchall())


def _words(db, dataset=DATASET) -> tuple[int, int, int]:
    stats = storage.dataset_stats(db, dataset)
    return stats.reviewed_pairs, stats.confirmed_pairs, stats.corrected_pairs


def test_each_kind_of_review_counts_once_under_its_word(sample_db):
    grades = _grades(sample_db)
    p = sorted(grades)
    assert _words(sample_db) == (0, 0, 0)
    storage.record_review(sample_db, p[0], author="r", grade=(grades[p[0]] + 1) % 3)  # corrected
    storage.record_review(sample_db, p[1], author="r", grade=grades[p[1]])  # confirmed
    storage.record_review(sample_db, p[2], author="r", note="fine as it is")  # confirmed
    storage.record_review(sample_db, p[3], author="r", unsure=True)  # confirmed
    storage.record_review(sample_db, p[4], author="r", grade=(grades[p[4]] + 1) % 3)
    storage.record_review(sample_db, p[4], author="r", grade=grades[p[4]])  # changed back
    assert _words(sample_db) == (5, 4, 1)
    storage.undo_last_review(sample_db, p[0], author="r")  # back to imported, no review left
    assert _words(sample_db) == (4, 4, 0)
    reviewed = storage.search_pair_ids(
        sample_db, DATASET, run_id=None, filters=storage.PairFilters(reviewed=True)
    )
    assert set(reviewed) == {p[1], p[2], p[3], p[4]}
    assert (
        storage.training.selection_count(sample_db, storage.training.Selection(kind="reviewed"))
        == 4
    )
    assert (
        storage.training.selection_count(sample_db, storage.training.Selection(kind="corrected"))
        == 0
    )


def test_a_pair_graded_only_in_review_is_reviewed_but_neither_confirmed_nor_corrected(db, tmp_path):
    table = tmp_path / "unlabelled.tsv"
    pd.DataFrame({"q": ["oak desk", "oak desk"], "pid": ["d1", "d2"]}).to_csv(
        table, sep="\t", index=False
    )
    storage.importers.import_table(
        db, table, dataset="new", columns=storage.importers.ColumnMap.parse("query=q,doc_id=pid")
    )
    first, second = storage.search_pair_ids(db, "new", run_id=None)
    storage.record_review(db, first, author="r", grade=2)
    assert _words(db, "new") == (1, 0, 0)
    assert storage.dataset_stats(db, "new").labelled_pairs == 1
    assert storage.training.selection_count(db, storage.training.Selection(kind="reviewed")) == 1
    assert storage.training.selection_count(db, storage.training.Selection(kind="corrected")) == 0
    unreviewed = storage.PairFilters(reviewed=False)
    assert storage.search_pair_ids(db, "new", run_id=None, filters=unreviewed) == [second]
