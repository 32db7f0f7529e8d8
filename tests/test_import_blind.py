"""Blind means blind: the table importer says which other columns it kept, can drop them or
keep only named ones, flags those that give the label away, and a blind card shows only the
fields the guideline declares, never a flagged one."""

from __future__ import annotations

import json

import pytest

import cli
import storage

# One pair a row, each product once. `grade` repeats the label under another name; `bucket`
# has one value per label; `color` and `brand` say nothing of it; `source` is one value
# everywhere; `clicks` differs between two rows of product p1.
ROWS = [
    ("oak desk", "p1", "Exact", "2", "top", "red", "acme", "web", "3"),
    ("oak desk", "p2", "Partial", "1", "top", "red", "acme", "web", "5"),
    ("oak desk", "p3", "Irrelevant", "0", "low", "blue", "zed", "web", "1"),
    ("pine bed", "p4", "Exact", "2", "top", "blue", "zed", "web", "2"),
    ("pine bed", "p1", "Exact", "2", "top", "red", "acme", "web", "9"),
]
HEADER = ("q", "pid", "label", "grade", "bucket", "color", "brand", "source", "clicks")
MAP = "query=q,doc_id=pid,label=label"


@pytest.fixture
def pairs_csv(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text("\n".join(",".join(row) for row in [HEADER, *ROWS]) + "\n")
    return path


def import_pairs(db, path, extra=None):
    return storage.importers.import_table(
        db, path, dataset="shop", columns=storage.importers.ColumnMap.parse(MAP), extra=extra
    )


def test_the_summary_lists_the_kept_columns_and_flags_the_revealing_ones(db, pairs_csv):
    summary = import_pairs(db, pairs_csv)
    assert summary.notes == (
        "kept 5 other column(s) as document fields: grade, bucket, color, brand, source (drop "
        "columns, or keep only named ones, to change that)",
        "left out column(s) clicks: they differ between rows of the same document, so they "
        "describe pairs, not documents",
        "column grade gives the label away (named like a label): it is never shown on a blind card",
        "column bucket gives the label away (the same value on every row of a label): it is "
        "never shown on a blind card",
    )
    with storage.connect(db) as con:
        record = con.execute("SELECT document_fields FROM datasets").fetchall()[0][0]
    assert json.loads(record) == {
        "grade": "named like a label",
        "bucket": "the same value on every row of a label",
        "color": None,
        "brand": None,
        "source": None,
    }


def test_a_flag_stays_when_a_later_import_does_not_raise_it(db, pairs_csv, tmp_path):
    import_pairs(db, pairs_csv)
    one_label = tmp_path / "more.csv"
    one_label.write_text("q,pid,label,bucket\nsofa,p9,Exact,top\n")
    summary = import_pairs(db, one_label)
    assert summary.notes[0].startswith("kept 1 other column(s) as document fields: bucket")
    with storage.connect(db) as con:
        record = json.loads(con.execute("SELECT document_fields FROM datasets").fetchone()[0])
    assert record["bucket"] == "the same value on every row of a label"


@pytest.mark.parametrize(
    ("extra", "kept"),
    [
        (storage.importers.ExtraColumns(drop=("grade", "bucket")), {"color", "brand", "source"}),
        (storage.importers.ExtraColumns(keep=("brand",)), {"brand"}),
        (storage.importers.ExtraColumns(keep=()), set()),
    ],
)
def test_columns_can_be_dropped_or_kept_by_name(db, pairs_csv, extra, kept):
    summary = import_pairs(db, pairs_csv, extra)
    assert not any("gives the label away" in note for note in summary.notes)
    with storage.connect(db) as con:
        fields = con.execute("SELECT fields FROM documents WHERE doc_id = 'p2'").fetchone()[0]
        record = con.execute("SELECT document_fields FROM datasets").fetchone()[0]
    assert set(json.loads(fields or "{}")) == kept
    assert set(json.loads(record or "{}")) == kept


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_cli_drops_and_keeps_and_names_a_bad_choice(capsys, db, pairs_csv):
    base = ("--db", db, "import", "table", pairs_csv, "--dataset", "shop", "--map", MAP)
    code, out, err = run(capsys, *base, "--drop-columns", "nope")
    assert (code, out, err) == (
        2,
        "",
        "error: pairs.csv line 1: no column 'nope' to drop or keep (the other columns: grade, "
        "bucket, color, brand, source, clicks)\n",
    )
    code, out, err = run(capsys, *base, "--keep-columns", "label")
    assert (code, err) == (
        2,
        "error: pairs.csv line 1: column 'label' is mapped (label=label): only other columns "
        "are dropped or kept\n",
    )
    with pytest.raises(SystemExit) as usage:
        run(capsys, *base, "--drop-columns", "grade", "--keep-columns", "brand")
    assert usage.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
    assert not db.exists() or storage.list_datasets(db) == []
    code, out, err = run(capsys, *base, "--drop-columns", "grade, bucket")
    assert code == 0, err
    assert (
        "kept 3 other column(s) as document fields: color, brand, source (drop columns, or "
        "keep only named ones, to change that)"
    ) in out
    assert "gives the label away" not in out


def card_fields(db, doc_id, *, blind):
    with storage.connect(db) as con:
        pair_id = con.execute("SELECT min(pair_id) FROM pairs WHERE doc_id = ?", [doc_id])
        pair_id = pair_id.fetchone()[0]
    card = storage.review_card(db, pair_id, blind=blind)
    return card.extra_fields, card.withheld


def test_a_blind_card_shows_only_declared_fields_never_a_flagged_one(db, pairs_csv):
    import_pairs(db, pairs_csv)
    shown, withheld = card_fields(db, "p2", blind=False)
    assert shown == {
        "grade": "1",
        "bucket": "top",
        "color": "red",
        "brand": "acme",
        "source": "web",
    }
    assert withheld == {}
    assert card_fields(db, "p2", blind=True) == ({}, {})  # no guideline: mapped fields only
    storage.team.save_guideline(
        db, "shop", "Grade by fit.\nCard fields: brand, grade, bucket, color, gone\n"
    )
    shown, withheld = card_fields(db, "p2", blind=True)
    assert shown == {"brand": "acme", "color": "red"}
    assert withheld == {
        "grade": "named like a label",
        "bucket": "the same value on every row of a label",
    }


def test_the_name_rule_holds_for_fields_imported_before_the_flags(db, tmp_path):
    path = tmp_path / "rated.csv"
    path.write_text(
        "q,pid,label,average_rating,review_count,rating_count\n"
        "oak desk,p1,Exact,4.5,10,12\noak desk,p2,Exact,3.5,4,4\n"
    )
    import_pairs(db, path)
    storage.team.save_guideline(
        db, "shop", "card fields: average_rating, review_count, rating_count"
    )
    with storage.connect(db) as con:
        con.execute("UPDATE datasets SET document_fields = NULL")  # a store from before
    shown, withheld = card_fields(db, "p1", blind=True)
    assert shown == {"review_count": "10"}
    assert withheld == {
        "average_rating": "named like a label",
        "rating_count": "named like a label",
    }


def test_the_record_follows_a_rename(db, pairs_csv):
    import_pairs(db, pairs_csv)
    storage.rename_dataset(db, "shop", "store")
    with storage.connect(db) as con:
        record = con.execute("SELECT document_fields FROM datasets WHERE dataset = 'store'")
        assert json.loads(record.fetchone()[0])["grade"] == "named like a label"
