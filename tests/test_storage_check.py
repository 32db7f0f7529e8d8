"""`storage.check_store` and `cli.py check`: a full read of the store that names every
broken rule, one line each, and changes nothing."""

from __future__ import annotations

import pytest
from store_damage import damage_table, execute
from test_storage_schema import version_db

import cli
import storage


@pytest.fixture
def judged_db(sample_db):
    """The sample with reviews, an undo, a benchmark split and a judged run."""
    storage.record_review(sample_db, 1, author="ana", grade=0, note="not a match")
    storage.record_review(sample_db, 2, author="ana", grade=2)
    storage.undo_last_review(sample_db, 2, author="ana")
    storage.training.split_benchmark(
        sample_db, "wands-sample", storage.training.BenchmarkRecipe(queries=3, per_query=4)
    )
    run_id = storage.create_run(
        sample_db,
        name="r",
        dataset="wands-sample",
        backend="baseline",
        model="m",
        prompt_template="t",
        prompt_sha256="0",
        scale=[0, 1, 2],
    )
    storage.record_judgments(
        sample_db,
        run_id,
        [{"pair_id": p, "grade": p % 3, "parse_status": "strict"} for p in range(1, 21)],
    )
    return sample_db


def test_a_sound_store_is_clean_and_untouched(judged_db, capsys):
    before, mtime = judged_db.read_bytes(), judged_db.stat().st_mtime_ns
    report = storage.check_store(judged_db)
    assert report.ok and report.problems == ()
    assert report.rows["label_events"] == 177 and report.rows["judgments"] == 20
    assert cli.main(["--db", str(judged_db), "check"]) == 0
    out = capsys.readouterr().out
    rows = sum(report.rows.values())
    assert out == f"store.duckdb: no problems in 26 tables ({rows:,} rows read)\n"
    assert judged_db.read_bytes() == before and judged_db.stat().st_mtime_ns == mtime
    assert [p.name for p in judged_db.parent.iterdir()] == ["store.duckdb"]


def test_every_damage_done_by_hand_is_named(judged_db, capsys):
    execute(
        judged_db,
        "INSERT INTO judgments (run_id, pair_id, grade, parse_status) "
        "VALUES (1, 99999, 1, 'strict')",
        "UPDATE label_events SET grade = 7 WHERE pair_id = 5",
        "UPDATE judgments SET grade = 9 WHERE pair_id = 6",
        "UPDATE current_labels SET note = 'edited' WHERE pair_id = 8",
        "UPDATE pairs SET split = 'train' WHERE pair_id = (SELECT min(pair_id) FROM pairs "
        "WHERE query_id IN (SELECT query_id FROM pairs WHERE split = 'benchmark') "
        "AND split IS NULL)",
        "DELETE FROM documents WHERE doc_id = (SELECT doc_id FROM pairs WHERE pair_id = 10)",
    )
    before = judged_db.read_bytes()
    problems = [str(p) for p in storage.check_store(judged_db).problems]
    assert problems == [
        "pairs: pair 10: document '42383' does not exist",
        "pairs: query '151' of 'wands-sample' has pairs in several splits (benchmark, train); "
        "a query belongs to one split",
        "label_events: event 5 (pair 5): grade 7 is not on the scale of 'wands-sample' [0, 1, 2]",
        "current_labels: pair 5: the current label is not a rebuild of its label events "
        "(differs in grade, original_grade; cached grade 1, rebuilt 7)",
        "current_labels: pair 8: the current label is not a rebuild of its label events "
        "(differs in note; cached grade 0, rebuilt 0)",
        "judgments: run 1, pair 6: grade 9 is not on the scale of 'wands-sample' [0, 1, 2]",
        "judgments: 1 judgment of pair 99999, which does not exist",
    ]
    assert cli.main(["--db", str(judged_db), "check"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[:-1] == problems and lines[-1].startswith("store.duckdb: 7 problems in 26 tables")
    assert judged_db.read_bytes() == before


def test_a_damaged_block_is_found(judged_db, capsys):
    damage_table(judged_db, "label_events")
    # `stats` reads the label history, so it meets the damage and points at `check`.
    assert cli.main(["--db", str(judged_db), "stats"]) == 2
    assert "`python cli.py check` lists what is wrong" in capsys.readouterr().err
    report = storage.check_store(judged_db)
    assert [p.table for p in report.problems] == ["label_events"]
    assert report.problems[0].text.startswith("cannot be read (Corrupt database file: ")
    assert "label_events" not in report.rows and report.rows["current_labels"] == 174


def test_many_problems_of_one_kind_are_counted_not_listed(judged_db):
    execute(
        judged_db,
        "UPDATE judgments SET grade = 5 WHERE pair_id <= 15",
        "INSERT INTO judgments (run_id, pair_id, grade, parse_status) "
        "SELECT 1, pair_id, 5, 'strict' FROM pairs WHERE pair_id BETWEEN 21 AND 30",
    )
    problems = [str(p) for p in storage.check_store(judged_db).problems]
    assert len(problems) == 21
    assert problems[0] == (
        "judgments: run 1, pair 1: grade 5 is not on the scale of 'wands-sample' [0, 1, 2]"
    )
    assert problems[-1] == "judgments: … and 5 more like these"


def test_ranking_runs_pooled_pairs_and_relabel_batches_are_checked(judged_db):
    storage.rankings.import_run_trec(judged_db, "sample_data/rankings.trec", dataset="wands-sample")
    pooled = storage.rankings.pool_holes(judged_db, "wands-sample", 5)
    assert storage.check_store(judged_db).ok
    first, second = pooled.hole_pair_ids[:2]
    execute(
        judged_db,
        "UPDATE ranked_documents SET rank = rank + 1 WHERE ranking_id = 1 AND query_id = '121'",
        "UPDATE ranked_documents SET doc_id = 'ghost' "
        "WHERE ranking_id = 2 AND rank = 1 AND query_id = '121'",
        "INSERT INTO ranked_documents VALUES (99, '121', '73', 1, 1.0)",
        "UPDATE ranked_documents SET score = -score WHERE ranking_id = 3 AND query_id = '123'",
        f"DELETE FROM pairs WHERE pair_id = {first}",
        "INSERT INTO relabel_batches (dataset, run_id, min_confidence) "
        "VALUES ('wands-sample', 1, 0.5)",
        f"INSERT INTO label_events (pair_id, grade, source, batch_id) "
        f"VALUES ({second}, 1, 'judge', 42)",
        "INSERT INTO rankings (dataset, name) VALUES ('gone', 'x')",
    )
    problems = [str(p) for p in storage.check_store(judged_db).problems]
    assert problems == [
        f"current_labels: pair {second}: the current label is not a rebuild of its label events "
        "(no cached row; cached grade None, rebuilt 1)",
        "ranked_documents: ranking run 2 ('tfidf-name'): document 'ghost' is not a document of "
        "'wands-sample' (ranked rows: 1)",
        "ranked_documents: ranking run 1, query '121': 20 documents ranked 2 to 21; ranks run "
        "1, 2, 3 ... with no gap or repeat",
        "ranked_documents: ranking run 3, query '123': rank 2 is out of trec_eval's order "
        "(score descending, ties by document id descending)",
        "relabel_batches: relabel batch 1 of 'wands-sample' has no judge label event: its "
        "events are gone, so it cannot be undone",
        "label_events: 1 label event of relabel batch 42, which does not exist",
        "rankings: 1 ranking run of dataset 'gone', which does not exist",
        "ranked_documents: 1 ranked document of ranking run 99, which does not exist",
        f"pooled_pairs: 1 row of pair {first}, which does not exist",
    ]


def test_an_older_store_is_not_expected_to_have_the_ranking_tables(db, monkeypatch, capsys):
    version_db(db, 4, monkeypatch)
    before = db.read_bytes()
    assert storage.check_store(db).ok
    assert cli.main(["--db", str(db), "check"]) == 0
    assert capsys.readouterr().out.startswith("store.duckdb: no problems in 9 tables")
    assert db.read_bytes() == before  # read as it is: not brought forward to version 5


def test_pairwise_runs_verdicts_and_preferences_are_checked(judged_db):
    from pairwise_fixtures import pairwise_run

    run_id = pairwise_run(judged_db)
    storage.pairwise.record_preference(judged_db, 3, 4, preferred=3, author="ana")
    storage.pairwise.undo_last_preference(judged_db, 3, 4, author="ana")
    assert storage.check_store(judged_db).ok
    execute(
        judged_db,
        # one order of (3, 6) lost in a done run; probabilities that do not sum to 1
        f"DELETE FROM pairwise_judgments WHERE run_id = {run_id} AND first_pair_id = 6",
        f"UPDATE pairwise_judgments SET p_second = 0.5 WHERE run_id = {run_id} "
        "AND first_pair_id = 4 AND second_pair_id = 5",
        # verdicts of a run that is gone, and across two queries (pair 1 is query 3's)
        "INSERT INTO pairwise_judgments (run_id, first_pair_id, second_pair_id, parse_status) "
        "VALUES (999, 3, 4, 'logprobs')",
        f"INSERT INTO pairwise_judgments (run_id, first_pair_id, second_pair_id, parse_status) "
        f"VALUES ({run_id}, 1, 3, 'error'), ({run_id}, 3, 1, 'error')",
        "INSERT INTO preference_events (pair_a, pair_b, preference, source, author) "
        "VALUES (1, 99999, 'a', 'review', 'ana')",
        "UPDATE preference_events SET reverts = 99 WHERE source = 'revert'",
    )
    problems = [str(p) for p in storage.check_store(judged_db).problems]
    assert problems == [
        f"pairwise_judgments: pairwise run {run_id}, order 1 then 3: the pairs belong to "
        "different queries",
        f"pairwise_judgments: pairwise run {run_id}, order 3 then 1: the pairs belong to "
        "different queries",
        f"pairwise_judgments: pairwise run {run_id} is done but has only the order 3 then 6 "
        "of its comparison; every comparison is judged in both orders",
        f"pairwise_judgments: pairwise run {run_id}, order 4 then 5: P(first) + P(second) + "
        "P(tie) is 1.3, not 1 (or one is missing or below 0)",
        "preference_events: preference event 2 reverts event 99, which is not a review of the "
        "same two pairs",
        "pairwise_judgments: 1 pairwise verdict of pairwise run 999, which does not exist",
        "preference_events: 1 preference event of pair 99999 (by pair_b), which does not exist",
    ]
