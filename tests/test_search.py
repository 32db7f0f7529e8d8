"""Finding pairs: the new pair filters in the confusion browser's queries, the dataset search,
the per-query view, the query picker and the jump to a pair id, on real DuckDB files."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from app_fixtures import DATASET, build_store

import storage

# (query, title, description, label) rows of a small table dataset with LIKE wildcards in it.
WILDCARD_ROWS = [
    ("desk 50% off", "Oak desk", "solid oak", "2"),
    ("desk 500 off", "Pine desk", "", "1"),
    ("a_b lamp", "Brass lamp", "warm light", "0"),
    ("axb lamp", "Steel lamp", "cold light", "1"),
    ("rug", "Wool rug", "fits a_b rooms and 50% of halls", "2"),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The judged sample with known reviews, and a second dataset `shop` with wildcards."""
    folder = tmp_path_factory.mktemp("search")
    db = folder / "search.duckdb"
    run_id = build_store(db)
    pairs = sorted(storage.judged_pair_ids(db, run_id))
    a, b, c, d = pairs[:4]
    storage.record_review(db, a, author="ann", grade=0)
    storage.record_review(db, b, author="bob", note="check the size")
    storage.record_review(db, c, author="carol", grade=1)
    storage.undo_last_review(db, c, author="carol")
    storage.record_review(db, d, author="ann", unsure=True)
    table = folder / "shop.tsv"
    pd.DataFrame(WILDCARD_ROWS, columns=["q", "title", "desc", "rel"]).assign(
        pid=[f"p{i}" for i in range(len(WILDCARD_ROWS))]
    ).to_csv(table, sep="\t", index=False)
    storage.importers.import_table(
        db,
        table,
        dataset="shop",
        columns=storage.importers.ColumnMap.parse(
            "query=q,doc_id=pid,title=title,description=desc,label=rel"
        ),
    )
    return db, run_id, {"ann-graded": a, "bob-noted": b, "carol-undone": c, "ann-unsure": d}


@pytest.fixture
def store(built, tmp_path):
    db = tmp_path / "copy.duckdb"
    shutil.copy(built[0], db)
    return db, built[1]


def _texts(db) -> pd.DataFrame:
    frame = pd.DataFrame(storage.pairs_for_judging(db, DATASET))
    return frame[["pair_id", "query", "product_name", "product_description"]]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (storage.PairFilters(reviewed=True), {"ann-graded", "bob-noted", "ann-unsure"}),
        (storage.PairFilters(reviewer="ann"), {"ann-graded", "ann-unsure"}),
        (storage.PairFilters(reviewer="carol"), set()),
        (storage.PairFilters(has_note=True), {"bob-noted"}),
        (storage.PairFilters(unsure=True), {"ann-unsure"}),
        (storage.PairFilters(reviewer="ann", unsure=False), {"ann-graded"}),
    ],
)
def test_review_filters_pick_the_reviewed_pairs(built, filters, expected):
    db, run_id, named = built
    ids = {named[name] for name in expected}
    assert set(storage.cell_pair_ids(db, run_id, filters=filters)) == ids
    assert int(storage.confusion_counts(db, run_id, filters=filters).to_numpy().sum()) == len(ids)
    found = storage.search_pair_ids(db, DATASET, run_id=None, filters=filters)
    assert set(found) == ids


def test_negated_review_filters_are_the_complement(built):
    db, run_id, _ = built
    every = set(storage.cell_pair_ids(db, run_id))
    for field in ("reviewed", "has_note", "unsure"):
        yes = set(storage.cell_pair_ids(db, run_id, filters=storage.PairFilters(**{field: True})))
        no = set(storage.cell_pair_ids(db, run_id, filters=storage.PairFilters(**{field: False})))
        assert yes and not yes & no and yes | no == every


@pytest.mark.parametrize("text", ["chair", "CHAIR", "velvet", "  oak  ", "nothing-matches-this"])
def test_text_filter_matches_query_title_or_description(built, text):
    db, run_id, _ = built
    texts = _texts(db)
    needle = text.strip().lower()
    hit = texts.apply(lambda r: any(needle in str(r[c]).lower() for c in r.index[1:]), axis=1)
    expected = set(texts.loc[hit, "pair_id"])
    filters = storage.PairFilters(text=text)
    assert set(storage.cell_pair_ids(db, run_id, filters=filters)) == expected
    assert set(storage.search_pair_ids(db, DATASET, run_id=run_id, filters=filters)) == expected
    if text == "chair":
        assert len(expected) > 10


@pytest.mark.parametrize(
    ("text", "queries"),
    [
        ("50%", {"desk 50% off", "rug"}),
        ("a_b", {"a_b lamp", "rug"}),
        ("%", {"desk 50% off", "rug"}),
        ("_", {"a_b lamp", "rug"}),
        ("LAMP", {"a_b lamp", "axb lamp"}),
    ],
)
def test_search_text_is_literal_not_a_like_pattern(built, text, queries):
    db = built[0]
    page = storage.search_pairs(db, "shop", run_id=None, filters=storage.PairFilters(text=text))
    assert set(page.rows["query"]) == queries and page.total == len(queries)


def test_search_lists_every_pair_of_the_dataset_in_query_order(built):
    db, run_id, named = built
    ids = storage.search_pair_ids(db, DATASET, run_id=run_id)
    assert len(ids) == 174
    pages = [
        storage.search_pairs(db, DATASET, run_id=run_id, offset=o, limit=50)
        for o in range(0, 174, 50)
    ]
    rows = pd.concat([p.rows for p in pages], ignore_index=True)
    assert {p.total for p in pages} == {174}
    assert rows["pair_id"].tolist() == ids
    assert list(rows.columns) == [
        "pair_id",
        "query_id",
        "query",
        "product_name",
        "split",
        "human",
        "judge",
        "confidence",
        "stale",
    ]
    assert rows["query"].tolist() == sorted(rows["query"])
    labels = storage.run_labels(db, run_id).set_index("pair_id")
    joined = rows.set_index("pair_id")
    assert joined["judge"].eq(labels["judge"]).all()
    assert joined.loc[named["ann-graded"], "human"] == 0
    assert bool(joined.loc[named["ann-graded"], "stale"]) is True


def test_search_without_a_run_has_no_judge_columns_and_refuses_run_filters(built):
    db, run_id, _ = built
    page = storage.search_pairs(db, DATASET, run_id=None, limit=5)
    assert page.total == 174
    assert page.rows[["judge", "confidence", "stale"]].isna().all().all()
    with pytest.raises(storage.StoreError, match="confidence and stale filters read a judge run"):
        storage.search_pairs(db, DATASET, run_id=None, filters=storage.PairFilters(stale=True))
    with pytest.raises(
        storage.StoreError, match=f"run {run_id} judged dataset 'wands-sample', not 'shop'"
    ):
        storage.search_pairs(db, "shop", run_id=run_id)
    with pytest.raises(storage.NotFoundError, match="no judge run 999"):
        storage.search_pair_ids(db, DATASET, run_id=999)


def test_search_filters_by_confidence_in_the_run(built):
    db, run_id, _ = built
    filters = storage.PairFilters(min_confidence=0.9, split=None)
    labels = storage.run_labels(db, run_id)
    expected = set(labels.loc[labels["confidence"] >= 0.9, "pair_id"])
    assert set(storage.search_pair_ids(db, DATASET, run_id=run_id, filters=filters)) == expected


def test_query_pairs_sets_human_and_judge_side_by_side(built):
    db, run_id, named = built
    query_id = storage.review_card(db, named["bob-noted"]).query_id
    frame = storage.query_pairs(db, DATASET, query_id, run_id=run_id)
    assert list(frame.columns) == [
        "pair_id",
        "doc_id",
        "product_name",
        "product_class",
        "human",
        "judge",
        "confidence",
        "stale",
        "unsure",
        "note",
        "split",
    ]
    with storage.connect(db) as con:
        expected = {
            p
            for (p,) in con.execute(
                "SELECT pair_id FROM pairs WHERE dataset = ? AND query_id = ?", [DATASET, query_id]
            ).fetchall()
        }
    assert set(frame["pair_id"]) == expected
    keys = list(zip(-frame["human"], -frame["judge"], frame["pair_id"]))
    assert keys == sorted(keys)
    assert frame.set_index("pair_id").loc[named["bob-noted"], "note"] == "check the size"
    unjudged = storage.query_pairs(db, DATASET, query_id, run_id=None)
    assert unjudged["judge"].isna().all() and set(unjudged["pair_id"]) == expected
    with pytest.raises(storage.NotFoundError, match="query 'nope' is not in dataset"):
        storage.query_pairs(db, DATASET, "nope", run_id=None)


def test_query_choices_filter_literally_and_count_pairs(built):
    db = built[0]
    choices = storage.query_choices(db, DATASET)
    assert list(choices.columns) == ["query_id", "query", "pairs"]
    assert len(choices) == 36 and choices["pairs"].sum() == 174
    assert choices["query"].tolist() == sorted(choices["query"])
    chairs = storage.query_choices(db, DATASET, "Chair")
    assert len(chairs) > 3 and chairs["query"].str.contains("chair", case=False).all()
    assert len(storage.query_choices(db, DATASET, limit=5)) == 5
    assert storage.query_choices(db, "shop", "50%")["query"].tolist() == ["desk 50% off"]


def test_pair_dataset_names_the_dataset_or_says_the_pair_is_missing(built):
    db, _, named = built
    assert storage.pair_dataset(db, named["ann-graded"]) == DATASET
    shop_pair = storage.search_pair_ids(db, "shop", run_id=None)[0]
    assert storage.pair_dataset(db, shop_pair) == "shop"
    with pytest.raises(storage.NotFoundError, match="^pair 99999 does not exist$"):
        storage.pair_dataset(db, 99999)


def test_reviewers_are_the_authors_of_reviews_in_force(store):
    db, _ = store
    assert storage.reviewers(db, DATASET) == ["ann", "bob"]
    assert storage.reviewers(db, "shop") == []
    shop_pair = storage.search_pair_ids(db, "shop", run_id=None)[0]
    storage.record_review(db, shop_pair, author="zoe", note="ok")
    assert storage.reviewers(db, "shop") == ["zoe"]
    assert storage.reviewers(db, DATASET) == ["ann", "bob"]
