"""The confusion browser's queries (storage/_browse.py) against the same answers computed in
pandas from `storage.run_labels`, on the WANDS sample with a judged run."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from app_fixtures import DATASET, EXACT, PARTIAL, build_store

import storage


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    db = tmp_path_factory.mktemp("browse") / "browse.duckdb"
    run_id = build_store(db)
    with storage.connect(db) as con:  # alternate pairs between two splits, to filter on
        con.execute(
            "UPDATE pairs SET split = CASE WHEN pair_id % 2 = 0 THEN 'train' ELSE 'benchmark' END"
        )
    return db, run_id


@pytest.fixture
def store(built, tmp_path):
    db = tmp_path / "copy.duckdb"
    shutil.copy(built[0], db)
    return db, built[1]


def _frame(db, run_id) -> pd.DataFrame:
    return storage.run_labels(db, run_id)


@pytest.mark.parametrize(
    "filters",
    [
        storage.PairFilters(),
        storage.PairFilters(split="train"),
        storage.PairFilters(min_confidence=0.6, max_confidence=0.9),
        storage.PairFilters(query_class="Accent Chairs"),
        storage.PairFilters(stale=False, split="benchmark"),
    ],
)
def test_confusion_counts_match_a_crosstab(built, filters):
    db, run_id = built
    frame = _frame(db, run_id)
    keep = pd.Series(True, index=frame.index)
    if filters.split:
        keep &= frame["split"] == filters.split
    if filters.query_class:
        keep &= frame["query_class"] == filters.query_class
    if filters.min_confidence is not None:
        keep &= frame["confidence"] >= filters.min_confidence
    if filters.max_confidence is not None:
        keep &= frame["confidence"] <= filters.max_confidence
    if filters.stale is not None:
        keep &= frame["stale"] == filters.stale
    expected = pd.crosstab(frame[keep]["human"], frame[keep]["judge"]).reindex(
        index=[0, 1, 2], columns=[0, 1, 2], fill_value=0
    )
    counts = storage.confusion_counts(db, run_id, filters=filters)
    assert counts.to_numpy().tolist() == expected.to_numpy().tolist()
    assert counts.to_numpy().sum() > 0


def test_cell_pages_cover_the_cell_in_order(built):
    db, run_id = built
    ids = storage.cell_pair_ids(db, run_id, human=EXACT, judge=PARTIAL)
    pages = [
        storage.confusion_cell_pairs(db, run_id, human=EXACT, judge=PARTIAL, offset=offset, limit=4)
        for offset in range(0, len(ids), 4)
    ]
    assert {p.total for p in pages} == {len(ids)}
    rows = pd.concat([p.rows for p in pages])
    assert rows["pair_id"].tolist() == ids
    assert (rows["human"] == EXACT).all() and (rows["judge"] == PARTIAL).all()
    assert rows["confidence"].is_monotonic_decreasing
    assert list(rows.columns) == [
        "pair_id",
        "query",
        "query_class",
        "product_name",
        "product_class",
        "split",
        "human",
        "judge",
        "confidence",
        "stale",
    ]


def test_cell_pages_sort_and_filter(built):
    db, run_id = built
    page = storage.confusion_cell_pairs(
        db,
        run_id,
        human=1,
        judge=1,
        sort="query",
        descending=False,
        filters=storage.PairFilters(split="train"),
    )
    assert page.rows["query"].tolist() == sorted(page.rows["query"])
    assert set(page.rows["split"]) == {"train"}
    with pytest.raises(storage.StoreError, match="sort must be one of"):
        storage.confusion_cell_pairs(db, run_id, human=1, judge=1, sort="price")


def test_disagreeing_pairs_are_the_off_diagonal(built):
    db, run_id = built
    frame = _frame(db, run_id)
    expected = set(frame.loc[frame["human"] != frame["judge"], "pair_id"])
    assert set(storage.cell_pair_ids(db, run_id, disagreeing=True)) == expected


def test_a_review_makes_the_judgment_stale_and_moves_the_version(store):
    db, run_id = store
    pair_id = storage.cell_pair_ids(db, run_id, human=EXACT, judge=PARTIAL)[0]
    before = storage.data_version(db)
    assert storage.stale_pair_ids(db, run_id) == []
    storage.record_review(db, pair_id, author="t", grade=PARTIAL, note="a <b>note</b>")
    assert storage.data_version(db) != before
    assert storage.stale_pair_ids(db, run_id) == [pair_id]
    assert (
        storage.confusion_counts(db, run_id, filters=storage.PairFilters(stale=True)).loc[
            PARTIAL, PARTIAL
        ]
        == 1
    )
    card = storage.review_card(db, pair_id, run_id)
    assert card.judgment.stale is True
    assert card.label.grade == PARTIAL and card.label.note == "a <b>note</b>"
    assert [e["source"] for e in card.history] == ["import", "review"]


def test_review_card_has_every_field(built):
    db, run_id = built
    pair_id = storage.cell_pair_ids(db, run_id)[0]
    card = storage.review_card(db, pair_id, run_id)
    text = storage.pairs_for_judging(db, DATASET, pair_ids=[pair_id])[0]
    for field in (
        "query",
        "product_name",
        "product_class",
        "category_hierarchy",
        "product_description",
    ):
        assert (getattr(card, field) or "") == text[field]
    assert card.scale.names == ("Irrelevant", "Partial", "Exact")
    assert card.judgment.raw_output.startswith("SCORE: ")
    assert storage.review_card(db, pair_id).judgment is None
    with pytest.raises(storage.NotFoundError):
        storage.review_card(db, 10**9)


def test_overview_counts(built):
    db, _ = built
    stats = storage.dataset_stats(db, DATASET)
    distribution = storage.label_distribution(db, DATASET)
    assert distribution["pairs"].sum() == stats.pairs
    assert set(distribution["split"]) == {"train", "benchmark"}
    assert "Accent Chairs" in storage.query_classes(db, DATASET)
    assert len(storage.pair_choices(db, DATASET, limit=5)) == 5


def test_an_edited_product_makes_its_judgments_stale(store):
    db, run_id = store
    pair_id = storage.cell_pair_ids(db, run_id)[0]
    with storage.connect(db) as con:
        con.execute(
            "UPDATE documents SET updated_at = current_timestamp + INTERVAL 1 SECOND "
            "WHERE (dataset, doc_id) = (SELECT (dataset, doc_id) FROM pairs WHERE pair_id = ?)",
            [pair_id],
        )
    frame = _frame(db, run_id)
    expected = sorted(frame.loc[frame["stale"], "pair_id"])
    assert pair_id in expected
    assert sorted(storage.stale_pair_ids(db, run_id)) == expected
    fresh = storage.confusion_counts(db, run_id, filters=storage.PairFilters(stale=False))
    assert int(fresh.to_numpy().sum()) == len(frame) - len(expected)


def test_every_reader_says_the_same_pairs_are_stale(store):
    """A relabel and an edited product: the run's frame, the stale list, the stale filter,
    a cell's page, the dataset search, a query's products and the review card all read the
    one rule (the `judgment_staleness` view) and agree."""
    db, run_id = store
    relabelled, edited = storage.cell_pair_ids(db, run_id)[:2]
    storage.record_review(db, relabelled, author="ana", note="looked again", grade=EXACT)
    with storage.connect(db) as con:
        con.execute(
            "UPDATE documents SET updated_at = current_timestamp + INTERVAL 1 SECOND "
            "WHERE (dataset, doc_id) = (SELECT (dataset, doc_id) FROM pairs WHERE pair_id = ?)",
            [edited],
        )
    frame = _frame(db, run_id)
    stale = set(frame.loc[frame["stale"], "pair_id"])
    assert {relabelled, edited} <= stale
    assert set(storage.stale_pair_ids(db, run_id)) == stale
    assert (
        set(
            storage.search_pair_ids(
                db, DATASET, run_id=run_id, filters=storage.PairFilters(stale=True)
            )
        )
        == stale
    )
    for pair_id in frame["pair_id"]:
        assert storage.review_card(db, int(pair_id), run_id).judgment.stale == (pair_id in stale)
    row = frame.set_index("pair_id").loc[edited]
    page = storage.confusion_cell_pairs(
        db, run_id, human=int(row["human"]), judge=int(row["judge"]), limit=500
    ).rows
    assert set(page.loc[page["stale"], "pair_id"]) == stale & set(page["pair_id"])
    query_id = storage.review_card(db, edited).query_id
    products = storage.query_pairs(db, DATASET, query_id, run_id=run_id)
    assert set(products.loc[products["stale"], "pair_id"]) == stale & set(products["pair_id"])
    searched = storage.search_pairs(db, DATASET, run_id=run_id, limit=500).rows
    assert set(searched.loc[searched["stale"].fillna(False), "pair_id"]) == stale


def test_the_write_version_moves_with_every_write_and_no_read(store):
    """Reads leave it; a write moves it while the writing session is still open, after the
    session ends (DuckDB's checkpoint), and for a change `data_version` does not cover."""
    db, run_id = store
    first = storage.write_version(db)
    storage.confusion_counts(db, run_id)
    storage.list_runs(db)
    assert storage.write_version(db) == first
    with storage.session(db) as session:
        storage.record_review(
            session, storage.cell_pair_ids(db, run_id)[0], author="t", note="seen"
        )
        during = storage.write_version(db)
        assert during != first
    after = storage.write_version(db)
    assert after not in (first, during)
    data = storage.data_version(db)
    storage.rename_run(db, run_id, "another name")
    assert storage.data_version(db) == data
    assert storage.write_version(db) != after


def test_the_sidebar_reads_names_and_run_counts(store):
    db, run_id = store
    storage.record_judgments(
        db,
        run_id,
        [
            {"pair_id": p, "grade": g, "parse_status": s}
            for p, g, s in [(1, None, "error"), (2, None, "unparsed"), (3, None, "unparsed")]
        ],
    )
    other = storage.create_run(
        db,
        name="empty",
        dataset=DATASET,
        backend="ollama",
        model="m",
        prompt_template="t",
        prompt_sha256="s",
        scale=[0, 1, 2],
    )
    assert storage.dataset_names(db) == [d["dataset"] for d in storage.list_datasets(db)]
    runs = storage.list_runs(db, DATASET).set_index("run_id")
    graded = [j for j in storage.run_judgments(db, run_id).values() if j["grade"] is not None]
    assert runs.index.tolist() == [other, run_id]
    assert runs.loc[run_id, ["judged", "failed", "unparsed"]].tolist() == [len(graded), 1, 2]
    assert runs.loc[other, ["judged", "failed", "unparsed"]].tolist() == [0, 0, 0]
    assert storage.list_runs(db, "no such dataset").empty
