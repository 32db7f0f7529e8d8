"""Qrels and runs as trec_eval reads them, through our real importers and leaderboard path,
against ir_measures (the pytrec_eval-terrier wheel underneath): relevant-only qrels, runs
that rank documents the dataset lacks, web-track -2 grades, graded 0-3 and 0-4 qrels, tied
scores, queries with nothing relevant or nothing retrieved; every measure to 1e-9."""

from __future__ import annotations

from pathlib import Path

import ir_measures
import numpy as np
import pytest

import cli
import jobs
import metrics
import storage

DATASET = "trec"
# Every registered measure, so a new one is checked on these files too.
MEASURES = ("nDCG@3", "nDCG@10", "RR", "P@3", "P@10", "R@3", "R@10", "AP", "AP@5")
JUDGED = ("Judged@3", "Judged@10")


def _qrels_text(rows: list[tuple[str, str, int]]) -> str:
    return "".join(f"{q} 0 {d} {g}\n" for q, d, g in rows)


def _random_case(seed: int, grades: list[int], *, ties: bool) -> tuple[str, str, set[str]]:
    """Qrels and a run of two systems over 6 queries: q5 has nothing relevant, q6 is
    graded but no run retrieves it, and every run ranks documents no qrels row names."""
    rng = np.random.default_rng(seed)
    qrels, run = [], []
    for q in range(1, 7):
        docs = [f"D{q}-{i:02d}" for i in range(rng.integers(4, 9))]
        for d in docs:
            grade = int(rng.choice(grades))
            qrels.append((f"q{q}", d, min(grade, 0) if q == 5 else grade))
        if q == 6:
            continue
        pool = docs + [f"X{q}-{i}" for i in range(4)]  # X: in no qrels, not in the dataset
        for system in ("bm25", "dense"):
            picked = rng.permutation(pool)[: rng.integers(3, len(pool))]
            scores = rng.integers(0, 3, len(picked)) if ties else rng.permutation(len(picked))
            run += [f"q{q} Q0 {d} 0 {float(s)} {system}\n" for d, s in zip(picked, scores)]
    return _qrels_text(qrels), "".join(run), {f"q{q}" for q in range(1, 7)}


def _import(tmp_path: Path, qrels: str, run: str, scale: str | None = None) -> Path:
    """Through the CLI, as a user would: `import trec`, then `import run`."""
    db = tmp_path / "store.duckdb"
    (tmp_path / "qrels.txt").write_text(qrels)
    (tmp_path / "run.trec").write_text(run)
    queries = sorted({line.split()[0] for line in qrels.splitlines()})
    (tmp_path / "topics.tsv").write_text("".join(f"{q}\ttopic {q}\n" for q in queries))
    command = ["--db", str(db), "import", "trec", str(tmp_path / "qrels.txt"), "--topics"]
    command += [str(tmp_path / "topics.tsv"), "--dataset", DATASET]
    if scale is not None:
        command += ["--scale", scale]  # the form the error message suggests, not --scale=...
    assert cli.main(command) == 0
    assert cli.main(["--db", str(db), "import", "run", str(tmp_path / "run.trec")]) == 0
    return db


def _library_means(measures, qrels: str, run: str, threshold: int = 1) -> dict[str, dict]:
    """Each system's mean of each measure over the qrels' queries, by ir_measures (a query a
    system did not retrieve for scores 0, as trec_eval -c counts it)."""
    library_qrels = []
    for line in qrels.splitlines():
        q, _, d, g = line.split()
        library_qrels.append(ir_measures.Qrel(q, d, int(g)))
    queries = {qrel.query_id for qrel in library_qrels}
    by_system: dict[str, list] = {}
    for line in run.splitlines():
        q, _, d, _, score, system = line.split()
        by_system.setdefault(system, []).append(ir_measures.ScoredDoc(q, d, float(score)))
    means: dict[str, dict] = {}
    for system, docs in by_system.items():
        for name in measures:
            measure = ir_measures.parse_measure(
                metrics.Measure.parse(name).ir_measures_name(threshold)
            )
            values = {
                m.query_id: m.value for m in ir_measures.iter_calc([measure], library_qrels, docs)
            }
            means.setdefault(system, {})[name] = sum(values.get(q, 0.0) for q in queries) / len(
                queries
            )
    return means


def _ours(db: Path, measures, threshold: int = 1) -> dict[str, dict]:
    settings = jobs.RankSettings(measures=tuple(measures), threshold=threshold, n_boot=20)
    board = jobs.leaderboard(db, DATASET, jobs.QrelsSource.parse("human"), settings)
    return {
        run: dict(zip(rows["measure"], rows["estimate"]))
        for run, rows in board.table.groupby("run")
    }


def _assert_equal(ours: dict[str, dict], library: dict[str, dict]) -> None:
    assert set(ours) == set(library)
    for system, values in library.items():
        for name, value in values.items():
            assert ours[system][name] == pytest.approx(value, abs=1e-9), (system, name)


@pytest.mark.parametrize(
    "grades, scale, ties",
    [
        ([1], None, False),  # relevant-only (MS MARCO, BEIR): a binary 0,1 scale is inferred
        ([0, 1, 2, 3], None, True),
        ([0, 1, 2, 3, 4], None, False),
        ([-2, 0, 1, 2, 3, 4], "-2,0,1,2,3,4", True),  # the web track's junk grade
    ],
)
def test_imported_qrels_and_runs_score_as_trec_eval(tmp_path, grades, scale, ties):
    qrels, run, _ = _random_case(len(grades), grades, ties=ties)
    db = _import(tmp_path, qrels, run, scale)
    _assert_equal(_ours(db, MEASURES), _library_means(MEASURES, qrels, run))
    if max(grades) >= 2:
        _assert_equal(_ours(db, MEASURES, 2), _library_means(MEASURES, qrels, run, 2))


def test_judged_at_k_counts_the_documents_the_dataset_lacks(tmp_path):
    """Judged@k: the share of the top k that the qrels grade (ir_measures' definition; its
    ties break the other way, so this run has none)."""
    qrels, run, _ = _random_case(7, [0, 1, 2], ties=False)
    db = _import(tmp_path, qrels, run)
    _assert_equal(_ours(db, JUDGED), _library_means(JUDGED, qrels, run))
    assert all(value < 1 for values in _ours(db, JUDGED).values() for value in values.values())


def test_relevant_only_qrels_say_the_scale_they_inferred(tmp_path, capsys):
    qrels = _qrels_text([("q1", "d1", 1), ("q1", "d2", 1), ("q2", "d3", 1)])
    db = _import(tmp_path, qrels, "q1 Q0 d9 1 3 a\nq1 Q0 d1 2 2 a\nq2 Q0 d3 1 1 a\n")
    out = capsys.readouterr().out
    assert (
        "scale inferred from the qrels: 0,1 (every grade is 1: the qrels list relevant "
        "documents only, as MS MARCO and BEIR do; a document they leave out is not relevant)"
    ) in out
    assert "1 document not in the dataset, kept as unjudged" in out
    assert list(storage.dataset_scale(db, DATASET)) == [0, 1]
    assert _ours(db, ("RR", "P@2"))["a"] == pytest.approx({"RR": 0.75, "P@2": 0.5})


def test_web_track_grades_need_their_scale_named_and_parse_as_the_error_says(tmp_path, capsys):
    (tmp_path / "qrels.txt").write_text(_qrels_text([("q1", "d1", -2), ("q1", "d2", 3)]))
    (tmp_path / "topics.tsv").write_text("q1\tjunk\n")
    command = ["--db", str(tmp_path / "s.duckdb"), "import", "trec", str(tmp_path / "qrels.txt")]
    command += ["--topics", str(tmp_path / "topics.tsv"), "--dataset", DATASET]
    assert cli.main(command) == 2
    assert "(e.g. --scale -2,3)" in capsys.readouterr().err
    assert cli.main([*command, "--scale", "-2,3"]) == 0
    levels = jobs.qrels_for(tmp_path / "s.duckdb", DATASET, jobs.QrelsSource.parse("human"))
    assert dict(zip(levels["doc_id"], levels["level"])) == {"d1": 0, "d2": 3}


def test_unknown_documents_are_holes_that_pooling_makes_pairs(tmp_path):
    qrels = _qrels_text([("q1", "d1", 1), ("q1", "d2", 0)])
    db = _import(tmp_path, qrels, "q1 Q0 new-doc 1 9 a\nq1 Q0 d1 2 5 a\nq1 Q0 d2 3 1 b\n")
    holes = storage.rankings.pooling_holes(db, DATASET, 10)
    assert holes["doc_id"].tolist() == ["new-doc"]
    pooled = storage.rankings.pool_holes(db, DATASET, 10)
    assert pooled.new_pairs == 1
    with storage.connect(db) as con:
        assert con.execute(
            "SELECT count(*) FROM documents WHERE dataset = ? AND doc_id = 'new-doc'", [DATASET]
        ).fetchall() == [(1,)]
    assert storage.check_store(db).problems == ()
    (pair,) = storage.pairs_for_judging(db, DATASET, pair_ids=list(pooled.hole_pair_ids))
    assert (pair["doc_id"], pair["product_name"]) == ("new-doc", "")  # judged by its id
    assert _ours(db, ("Judged@2", "P@2"))["a"] == pytest.approx({"Judged@2": 0.5, "P@2": 0.5})
    storage.record_review(db, pair["pair_id"], author="ana", grade=1)  # a reviewer fills it
    assert _ours(db, ("Judged@2", "P@2"))["a"] == pytest.approx({"Judged@2": 1.0, "P@2": 1.0})


@pytest.mark.parametrize(
    "topics, expected, note",
    [
        (
            "q1\tquery one\tlong description\n",
            "query one",
            "topics.tsv read by 3 columns without a header, as BEIR writes them: query text "
            "from column 'query', column 'description' left out",
        ),
        (
            "qid\tquery\tdescription\nq1\tquery one\tlong description\n",
            "query one",
            "topics.tsv read by its header: query text from column 'query', column "
            "'description' left out",
        ),
        (
            "id\tdescription\ttitle\nq1\tlong description\tquery one\n",
            "query one",
            "topics.tsv read by its header: query text from column 'title', column "
            "'description' left out",
        ),
        ("query_id\ttext\nq1\tquery one\n", "query one", None),
        ("q1\tquery one\n", "query one", None),
    ],
)
def test_topics_tsv_of_two_or_three_columns_read_by_header_or_shape(
    tmp_path, topics, expected, note
):
    (tmp_path / "qrels.txt").write_text("q1 0 d1 1\n")
    (tmp_path / "topics.tsv").write_text(topics)
    db = tmp_path / "s.duckdb"
    summary = storage.importers.import_trec(
        db, tmp_path / "qrels.txt", topics=tmp_path / "topics.tsv", dataset="t"
    )
    with storage.connect(db) as con:
        assert con.execute("SELECT query FROM queries").fetchall() == [(expected,)]
    said = [note for note in summary.notes if note.startswith("topics.tsv read by")]
    assert said == ([note] if note else [])


@pytest.mark.parametrize(
    "topics, message",
    [
        ("qid\tdescription\tnarrative\nq1\ta\tb\n", "topics.tsv line 1: the header"),
        ("q1\ta\tb\tc\n", "topics.tsv line 1: expected 2 tab-separated columns"),
        ("q1\ta\tb\nq2\tc\n", "topics.tsv line 2: expected 3 tab-separated columns as on line 1"),
        ("qid\tquery\n", "topics.tsv: no rows: the file is empty or has only a header"),
    ],
)
def test_topics_tsv_of_another_shape_is_an_error_naming_the_line(tmp_path, topics, message):
    (tmp_path / "qrels.txt").write_text("q1 0 d1 1\n")
    (tmp_path / "topics.tsv").write_text(topics)
    with pytest.raises(storage.ImportFormatError, match=message):
        storage.importers.import_trec(
            tmp_path / "s.duckdb",
            tmp_path / "qrels.txt",
            topics=tmp_path / "topics.tsv",
            dataset="t",
        )
