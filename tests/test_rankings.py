"""Ranking runs in the store (import, rename, delete, pooling, relabel batches) and the CLI."""

from __future__ import annotations

import pytest
from app_fixtures import open_app

import cli
import jobs
import storage

DATASET = "wands-sample"


def _write(path, text: str):
    path.write_text(text)
    return path


def test_trec_run_import_is_idempotent_and_orders_as_trec_eval(sample_db, tmp_path):
    run = _write(tmp_path / "r.trec", "3 Q0 104 1 2.0 a\n3 Q0 39589 2 2.0 a\n3 Q0 73 3 5 b\n")
    first = storage.rankings.import_run_trec(sample_db, run, dataset=DATASET)
    assert (first.runs, first.rows, first.queries) == (("a", "b"), 3, 1)
    again = storage.rankings.import_run_trec(sample_db, run, dataset=DATASET)
    assert again.replaced == ("a", "b")
    ranked = storage.rankings.ranked_documents(sample_db, DATASET).sort_values(
        ["ranking_id", "rank"]
    )
    assert ranked[["doc_id", "rank"]].values.tolist() == [["39589", 1], ["104", 2], ["73", 1]]


@pytest.mark.parametrize(
    "text, message",
    [
        ("3 Q0 104 1 1 a\nzz Q0 104 1 1 a\n", "r.trec line 2, column qid: query 'zz' is not in"),
        ("3 Q0 104 1 x a\n", "r.trec line 1, column score: expected a number, got 'x'"),
        ("3 Q0 104 1 1\n", "r.trec line 1: expected 6 fields"),
        (
            "3 Q0 104 1 1 a\n3 Q0 104 2 1 a\n",
            "r.trec line 2, column docid: document '104' is ranked twice",
        ),
    ],
)
def test_bad_run_files_name_the_line_and_change_nothing(sample_db, tmp_path, text, message):
    with pytest.raises(storage.ImportFormatError, match=message):
        storage.rankings.import_run_trec(
            sample_db, _write(tmp_path / "r.trec", text), dataset=DATASET
        )
    assert storage.rankings.list_rankings(sample_db, DATASET).empty


def test_table_with_query_text_and_rank(sample_db, tmp_path):
    table = _write(
        tmp_path / "sys.csv", "q,product,position\nsalon chair,104,2\nsalon chair,73,1\n"
    )
    columns = storage.rankings.RunColumns.parse("query=q,doc_id=product,rank=position")
    summary = storage.rankings.import_run_table(sample_db, table, dataset=DATASET, columns=columns)
    assert summary.runs == ("sys",)
    ranked = storage.rankings.ranked_documents(sample_db, DATASET).sort_values("rank")
    assert ranked[["query_id", "doc_id", "rank"]].values.tolist() == [
        ["0", "73", 1],
        ["0", "104", 2],
    ]


def test_rename_delete_and_dataset_delete(sample_db, tmp_path):
    storage.rankings.import_run_trec(
        sample_db, _write(tmp_path / "r.trec", "3 Q0 104 1 1 a\n3 Q0 73 1 1 b\n"), dataset=DATASET
    )
    ids = dict(
        zip(
            storage.rankings.list_rankings(sample_db, DATASET)["name"],
            storage.rankings.list_rankings(sample_db, DATASET)["ranking_id"],
        )
    )
    with pytest.raises(storage.StoreError, match="has a ranking run named 'b' already"):
        storage.rankings.rename_ranking(sample_db, DATASET, int(ids["a"]), "b")
    storage.rankings.rename_ranking(sample_db, DATASET, int(ids["a"]), "bm25")
    assert storage.rankings.delete_ranking(sample_db, DATASET, int(ids["b"])) == 1
    assert storage.rankings.list_rankings(sample_db, DATASET)["name"].tolist() == ["bm25"]
    storage.rankings.pool_holes(sample_db, DATASET, 10)
    goes = storage.dataset_footprint(sample_db, DATASET)
    assert (goes["rankings"], goes["ranked_documents"], goes["relabel_batches"]) == (1, 1, 0)
    assert str(goes).endswith("pairs, 174 label events, 1 ranking run, 1 ranked document")
    assert storage.delete_dataset(sample_db, DATASET) == goes
    with storage.connect(sample_db) as con:
        for table in ("rankings", "ranked_documents", "pooled_pairs"):
            assert con.execute(f"SELECT count(*) FROM {table}").fetchall() == [(0,)], table


def test_relabel_batch_applies_and_undoes_as_one(store):
    db, run_id = store
    storage.rankings.import_run_trec(db, "sample_data/rankings.trec", dataset=DATASET)
    what_if = jobs.relabel_what_if(db, DATASET, run_id, 0.5)
    assert what_if.transitions.values.sum() == 174
    assert len(what_if.changes) == 174 - what_if.transitions.values.trace()
    before = storage.rankings.label_sources(db, DATASET)["human"].tolist()
    batch = jobs.apply_relabel(db, DATASET, run_id, 0.5, author="ana")
    assert storage.dataset_footprint(db, DATASET)["relabel_batches"] == 1
    after = storage.rankings.label_sources(db, DATASET, run_id)
    assert (after["human"] == after["judge"]).all()
    assert storage.rankings.undo_relabel(db, DATASET, batch, author="ana") == len(what_if.changes)
    assert storage.rankings.undo_relabel(db, DATASET, batch, author="ana") == 0
    assert storage.rankings.label_sources(db, DATASET)["human"].tolist() == before
    assert storage.check_store(db).problems == ()


def test_a_run_whose_relabel_batch_writes_labels_is_deleted_only_after_the_undo(store, capsys):
    """The batch's labels are a user's decision: the delete refuses, in the store, the CLI's
    confirmation and its --yes, until the batch is undone; the undone batch stays as history."""
    db, run_id = store
    batch = jobs.apply_relabel(db, DATASET, run_id, 0.5, author="ana")
    changed = int(storage.rankings.relabel_batches(db, DATASET)["pairs"].iloc[0])
    labels = storage.rankings.label_sources(db, DATASET)["human"].tolist()
    refusal = (
        f"judge run {run_id} still writes labels through relabel batch {batch} ({changed:,} "
        "labels): undo the relabel batch first (on the Rankers page, or `cli.py relabel "
        f"--dataset {DATASET} --undo {batch}`), then delete the run"
    )
    assert storage.why_run_cannot_be_deleted(db, run_id) == refusal
    with pytest.raises(storage.StoreError) as refused:
        storage.delete_run(db, run_id)
    assert str(refused.value) == refusal
    for confirm in ([], ["--yes"]):
        assert cli.main(["--db", str(db), "runs", "delete", str(run_id), *confirm]) == 2
        assert capsys.readouterr().err.strip().splitlines()[-1] == f"error: {refusal}"
    assert storage.get_run(db, run_id).run_id == run_id
    assert storage.rankings.label_sources(db, DATASET)["human"].tolist() == labels
    runs_page = open_app("runs")  # the confirmation says it and cannot be ticked
    assert [w.value.replace("\\", "") for w in runs_page.warning] == [refusal]
    assert runs_page.checkbox(key=f"delete-run-sure-{run_id}").disabled

    undo = ["--db", str(db), "relabel", "--dataset", DATASET, "--undo", str(batch), "--author"]
    assert cli.main([*undo, "bo"]) == 2  # only ana, who applied it, undoes it
    assert "applied by ana: only they undo it (you are bo" in capsys.readouterr().err
    undo.append("ana")
    assert cli.main(undo) == 0
    assert storage.why_run_cannot_be_deleted(db, run_id) is None
    assert storage.delete_run(db, run_id) == storage.Footprint(judge_runs=1, judgments=174)
    history = storage.rankings.relabel_batches(db, DATASET)
    assert history[["batch_id", "run_id", "pairs", "undone"]].values.tolist() == [
        [batch, run_id, changed, True]
    ]
    assert storage.check_store(db).problems == ()


def test_cli_leaderboard_and_errors(store, capsys):
    db, run_id = store
    assert cli.main(["--db", str(db), "import", "run", "sample_data/rankings.trec"]) == 0
    assert (
        cli.main(
            [
                "--db",
                str(db),
                "leaderboard",
                "--vs",
                f"judge:{run_id}",
                "--measures",
                "nDCG@10",
                "--n-boot",
                "50",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "nDCG@10: tau" in out and "tau-AP" in out
    assert cli.main(["--db", str(db), "rank-metrics", "--qrels", "judge:99"]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == "error: no judge run 99"
    assert cli.main(["--db", str(db), "rank-metrics", "--qrels", "robot"]) == 2
    assert "unknown qrels 'robot'" in capsys.readouterr().err


def test_rankers_page_says_what_each_number_means(store):
    db, run_id = store
    storage.rankings.import_run_trec(db, "sample_data/rankings.trec", dataset=DATASET)
    at = open_app("rankers")
    assert not at.error, [e.value for e in at.error]
    tables = {tuple(frame.value.columns): frame.value for frame in at.dataframe}
    agreement = tables[
        (
            "measure",
            "Kendall's tau",
            "tau-AP",
            "flipped pairs",
            "winner",
            "winner changes",
        )
    ]
    assert list(agreement["measure"]) == list(jobs.DEFAULT_MEASURES)
    compared = jobs.compare_leaderboards(
        db, DATASET, jobs.QrelsSource.parse("human"), jobs.QrelsSource.parse(f"judge:{run_id}")
    )
    found = compared.by_measure["nDCG@10"]
    # Leading zeros dropped, so the tables fit a 1280-pixel window (test_rankers_journey).
    tau = [f"{x:.3f}".replace("0.", ".", 1) if abs(x) < 1 else f"{x:.3f}" for x in found.tau]
    assert agreement.loc[0, "Kendall's tau"] == f"{tau[0]} [{tau[1]}, {tau[2]}]"
    winners = agreement.set_index("measure")["winner"]
    for row in compared.summary.itertuples():
        shown = f"{row.winner_a} → {row.winner_b}" if row.winner_changes else row.winner_a
        assert winners[row.measure] == shown
    # Two runs rank the same share of judged documents in their top 10.
    assert winners["Judged@10"] == "tie: noisy-oracle, tfidf-name"
    assert "judge's confidence" in at.slider(key="rank-confidence").help
