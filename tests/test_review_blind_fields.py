"""A blind task's card through AppTest: of a product's extra fields it shows only those the
guideline declares, never one that gives the label away, and says which it withheld; once
the reviewer has graded the pair, the card shows every field."""

from __future__ import annotations

import json

from app_fixtures import DATASET, click, open_app
from test_review_search_no_run import _blind_task

import storage


def _fields_that_give_the_label_away(db) -> None:
    """Every product of the sample gets `grade` (its label, by name), `bucket` (one value
    per label, flagged at import) and `brand` (nothing of the label)."""
    with storage.connect(db) as con:
        con.execute(
            """
            UPDATE documents d SET fields = json_object(
                'grade', l.grade::VARCHAR, 'bucket', CASE WHEN l.grade = 2 THEN 'top' ELSE 'low' END,
                'brand', 'acme')
            FROM (SELECT p.doc_id, max(c.grade) AS grade FROM pairs p
                  JOIN current_labels c USING (pair_id) GROUP BY p.doc_id) l
            WHERE d.doc_id = l.doc_id
            """
        )
        flags = {"grade": "named like a label", "bucket": "the same value on every row of a label"}
        con.execute(
            "UPDATE datasets SET document_fields = ?", [json.dumps(flags | {"brand": None})]
        )
    storage.team.save_guideline(db, DATASET, "Judge the fit.\nCard fields: brand, grade, bucket\n")


def test_a_blind_card_shows_declared_fields_and_withholds_revealing_ones(sample_db, monkeypatch):
    db = sample_db
    monkeypatch.setenv("WORKBENCH_DB", str(db))
    _fields_that_give_the_label_away(db)
    made = _blind_task(db)  # six pairs of the sample for ana and bo
    first = storage.team.my_queue(db, made.task_id, "ana")["pair_id"].tolist()[0]
    at = open_app("review", {"queue": f"task:{made.task_id}"})
    at.selectbox(key="reviewer-pick").set_value("ana").run()
    captions = [c.value.replace("\\", "") for c in at.caption]
    assert "brand" in captions and "acme" in [t.value for t in at.text]
    assert "grade" not in captions and "bucket" not in captions
    assert (
        "Not shown on a blind card, since it gives the label away: grade (named like a "
        "label), bucket (the same value on every row of a label)"
    ) in captions
    click(at, f"grade-{first}-1")
    at.button(key="previous").click().run()  # graded: the card is no longer blind
    captions = [c.value.replace("\\", "") for c in at.caption]
    assert {"grade", "bucket", "brand"} <= set(captions)
