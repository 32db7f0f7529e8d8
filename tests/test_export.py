"""The training export against a real DuckDB file holding the bundled WANDS sample: what is
selected, curated, written and recorded in the manifest. That the records hold the judge's
own prompt and answer line is tests/test_export_judge.py's business."""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from pathlib import Path

import pytest

import jobs
import judge
import storage
from storage.training import JudgeText, write_export

TRICKY = 'say "hi" \\ to\nthe next line\t→ café 日本 😀 \x01 end'
WANDS = judge.load_template("wands")


def _labels(db):
    with storage.connect(db) as con:
        return dict(con.execute("SELECT pair_id, grade FROM current_labels").fetchall())


def _pair_ids(db):
    with storage.connect(db) as con:
        return {
            (q, d): p
            for p, q, d in con.execute("SELECT pair_id, query_id, doc_id FROM pairs").fetchall()
        }


def _lines(path):
    return [json.loads(line) for line in Path(path).read_text("utf-8").splitlines()]


def _judge(db, wrong_every=2):
    """A run that gets every `wrong_every`-th pair wrong by one grade (mod 3)."""
    run = storage.create_run(
        db,
        name="test",
        dataset=storage.SAMPLE_DATASET,
        backend="fake",
        model="fake",
        prompt_template="wands",
        prompt_sha256="0" * 64,
        scale=[0, 1, 2],
    )
    storage.record_judgments(
        db,
        run,
        [
            {
                "pair_id": p,
                "grade": (g + 1) % 3 if p % wrong_every == 0 else g,
                "parse_status": "ok",
            }
            for p, g in _labels(db).items()
        ],
    )
    return run


@pytest.mark.parametrize(
    ("format", "selection"),
    [
        ("instruction", None),
        ("chat", None),
        ("prompt-completion", None),
        ("preference", "judge_wrong"),
    ],
)
def test_each_format_parses_line_by_line_and_validates(sample_db, tmp_path, format, selection):
    chosen = (
        storage.training.Selection(kind=selection, run_id=_judge(sample_db))
        if selection
        else (storage.training.Selection())
    )
    result = jobs.export_training(
        sample_db,
        tmp_path / "out" / format,
        format=format,
        selection=chosen,
        curation=storage.training.Curation(validation_share=0.2),
    )
    train, validation = result.files
    rows = _lines(train) + _lines(validation)
    assert len(rows) == result.manifest["counts"]["exported"] > 0
    assert jobs.validate_training(train, validation).ok
    assert jobs.validate_training(validation, train).ok
    assert all(report.ok for report in jobs.validate_export(tmp_path / "out" / format))


def test_instruction_rows_follow_the_pairs_in_query_order(sample_db, tmp_path):
    """One line per labelled pair, in the judge's order; `input` keeps the text as stored,
    byte for byte, while the prompt in `instruction` fences it as the judge does."""
    with storage.connect(sample_db) as con:
        con.execute("UPDATE documents SET description = ? WHERE doc_id = '104'", [TRICKY])
        con.execute("UPDATE queries SET query = ? WHERE query_id = '3'", [TRICKY])
    result = jobs.export_training(sample_db, tmp_path / "train")
    labels = _labels(sample_db)
    pairs = storage.pairs_for_judging(sample_db, storage.SAMPLE_DATASET)
    rows = _lines(result.files[0])
    assert [(r["query_id"], r["product_id"]) for r in rows] == [
        (p["query_id"], p["doc_id"]) for p in pairs
    ]
    assert [r["output"] for r in rows] == [f"SCORE: {labels[p['pair_id']]}" for p in pairs]
    (row,) = [r for r in rows if r["product_id"] == "104"]
    assert row["input"]["product_description"] == TRICKY
    assert row["input"]["query"] == TRICKY
    assert judge.field(TRICKY) in row["instruction"]


def test_manifest_records_files_checksums_and_provenance(sample_db, tmp_path):
    run = _judge(sample_db)
    selection = storage.training.Selection(kind="judge_wrong", run_id=run, cell=(2, 0))
    result = jobs.export_training(
        sample_db,
        tmp_path / "pref",
        format="preference",
        selection=selection,
        template_name="wands",
    )
    manifest = json.loads(result.manifest_path.read_text("utf-8"))
    assert manifest == result.manifest
    assert result.manifest_path == tmp_path / "pref" / "manifest.json"
    (entry,) = manifest["files"]
    assert entry["name"] == "train.jsonl"
    assert entry["sha256"] == hashlib.sha256(result.files[0].read_bytes()).hexdigest()
    assert manifest["format"] == "preference"
    assert manifest["prompt_template"] == "wands"
    assert manifest["prompt_sha256"] == judge.template_sha256(WANDS)
    assert manifest["selection"] == {
        "kind": "judge_wrong",
        "dataset": None,
        "run_id": run,
        "cell": [2, 0],
        "split": None,
        "query_classes": [],
        "blind_to": None,  # made from the page, the reviewer whose owed pairs were left out
    }
    assert manifest["source_run"]["run_id"] == run
    assert manifest["label_snapshot_at"]
    assert manifest["counts"]["exported"] == entry["rows"] == entry["labels"]["2"]
    rows = _lines(result.files[0])
    assert {(r["chosen"], r["rejected"]) for r in rows} == {("SCORE: 2", "SCORE: 0")}


def test_corrected_labels_are_exported_not_the_original_ones(sample_db, tmp_path):
    ids = _pair_ids(sample_db)
    labels = _labels(sample_db)
    corrections = {pair: (labels[pair] + 1) % 3 for pair in list(ids.values())[:5]}
    for pair, grade in corrections.items():
        storage.record_review(sample_db, pair, author="reviewer", grade=grade)
    # A note alone is a review event but not a correction.
    storage.record_review(sample_db, list(ids.values())[6], author="reviewer", note="looked fine")
    result = jobs.export_training(
        sample_db, tmp_path / "fixed", selection=storage.training.Selection(kind="corrected")
    )
    rows = _lines(result.files[0])
    exported = {ids[(r["query_id"], r["product_id"])]: r["output"] for r in rows}
    assert exported == {pair: f"SCORE: {grade}" for pair, grade in corrections.items()}
    everything = _lines(jobs.export_training(sample_db, tmp_path / "all").files[0])
    assert {ids[(r["query_id"], r["product_id"])]: r["output"] for r in everything}.items() >= (
        exported.items()
    )


def test_no_query_crosses_train_and_validation(sample_db, tmp_path):
    result = jobs.export_training(
        sample_db,
        tmp_path / "train",
        curation=storage.training.Curation(validation_share=0.3, seed=4),
    )
    train, validation = (_lines(path) for path in result.files)
    assert validation and train
    assert not {r["query_id"] for r in train} & {r["query_id"] for r in validation}
    queries = len({r["query_id"] for r in train + validation})
    assert len({r["query_id"] for r in validation}) == math.floor(0.3 * queries + 0.5)
    assert [path.name for path in result.files] == ["train.jsonl", "validation.jsonl"]


def test_exporting_again_without_a_split_removes_the_old_validation_file(sample_db, tmp_path):
    out = tmp_path / "train"
    jobs.export_training(sample_db, out, curation=storage.training.Curation(validation_share=0.2))
    result = jobs.export_training(sample_db, out)
    assert result.files == (out / "train.jsonl",)
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "train.jsonl"]


def test_split_is_seeded(sample_db, tmp_path):
    curation = storage.training.Curation(validation_share=0.3, seed=9)
    first = jobs.export_training(sample_db, tmp_path / "a", curation=curation)
    second = jobs.export_training(sample_db, tmp_path / "b", curation=curation)
    assert [f["sha256"] for f in first.manifest["files"]] == [
        f["sha256"] for f in second.manifest["files"]
    ]


@pytest.mark.parametrize(
    "shares", [{0: 0.3, 1: 0.4, 2: 0.3}, {0: 0.5, 2: 0.5}, {0: 0.2, 1: 0.2, 2: 0.6}]
)
def test_rebalancing_hits_target_shares_within_one_row(sample_db, tmp_path, shares):
    result = jobs.export_training(
        sample_db,
        tmp_path / "balanced",
        curation=storage.training.Curation(label_shares=shares, cap_per_query=6),
    )
    counts = Counter(r["output"] for r in _lines(result.files[0]))
    total = sum(counts.values())
    for grade in (0, 1, 2):
        assert abs(counts[f"SCORE: {grade}"] - shares.get(grade, 0) * total) <= 1
    manifest = result.manifest
    before, after = manifest["labels_before_rebalance"], manifest["labels_after_rebalance"]
    assert after == {str(g): counts[f"SCORE: {g}"] for g in (0, 1, 2)}
    assert manifest["counts"]["dropped"]["rebalance"] == {g: before[g] - after[g] for g in before}


def test_cap_per_query(sample_db, tmp_path):
    result = jobs.export_training(
        sample_db, tmp_path / "capped", curation=storage.training.Curation(cap_per_query=2)
    )
    per_query = Counter(r["query_id"] for r in _lines(result.files[0]))
    assert max(per_query.values()) == 2
    assert result.manifest["counts"]["dropped"]["cap_per_query"] == 174 - sum(per_query.values())


def test_benchmark_split_is_never_exported_as_training(sample_db, tmp_path):
    with storage.connect(sample_db) as con:
        con.execute("UPDATE pairs SET split = 'benchmark' WHERE query_id IN ('3', '9', '14')")
        con.execute("UPDATE pairs SET split = 'train' WHERE split IS NULL")
        held_out = con.execute("SELECT count(*) FROM pairs WHERE split = 'benchmark'").fetchone()[0]
    with pytest.raises(storage.StoreError, match="benchmark split is held out"):
        jobs.export_training(
            sample_db, tmp_path / "bench", selection=storage.training.Selection(split="benchmark")
        )
    assert not (tmp_path / "bench").exists()
    result = jobs.export_training(sample_db, tmp_path / "all")
    assert result.manifest["counts"]["dropped"]["benchmark"] == held_out
    assert not {"3", "9", "14"} & {r["query_id"] for r in _lines(result.files[0])}
    train_only = jobs.export_training(
        sample_db, tmp_path / "train", selection=storage.training.Selection(split="train")
    )
    assert train_only.manifest["counts"]["exported"] == 174 - held_out


def test_unpicked_pairs_of_a_benchmark_query_are_not_training(sample_db, tmp_path):
    """A benchmark query's pairs the benchmark did not pick stay unassigned; they are still
    that query's pairs, so the export leaves them out as the training split recipe does."""
    storage.training.split_benchmark(
        sample_db, storage.SAMPLE_DATASET, storage.training.BenchmarkRecipe(queries=3, per_query=2)
    )
    with storage.connect(sample_db) as con:
        held_out = {
            q
            for (q,) in con.execute(
                "SELECT DISTINCT query_id FROM pairs WHERE split = 'benchmark'"
            ).fetchall()
        }
        pairs = con.execute(
            "SELECT count(*) FROM pairs WHERE query_id IN (SELECT unnest($q::VARCHAR[]))",
            {"q": sorted(held_out)},
        ).fetchone()[0]
    assert len(held_out) == 3 and pairs > 6
    result = jobs.export_training(sample_db, tmp_path / "all")
    assert not held_out & {r["query_id"] for r in _lines(result.files[0])}
    assert result.manifest["counts"]["dropped"]["benchmark"] == pairs
    assert result.manifest["counts"]["exported"] == 174 - pairs


def test_query_class_filter(sample_db, tmp_path):
    with storage.connect(sample_db) as con:
        queries = {
            q
            for (q,) in con.execute(
                "SELECT query_id FROM queries WHERE query_class = 'Accent Chairs'"
            ).fetchall()
        }
    selection = storage.training.Selection(query_classes=("Accent Chairs",))
    result = jobs.export_training(sample_db, tmp_path / "c", selection=selection)
    rows = _lines(result.files[0])
    assert rows and {r["query_id"] for r in rows} <= queries


def test_judge_wrong_exports_only_the_judges_mistakes(sample_db, tmp_path):
    run = _judge(sample_db, wrong_every=3)
    ids = _pair_ids(sample_db)
    selection = storage.training.Selection(kind="judge_wrong", run_id=run)
    result = jobs.export_training(sample_db, tmp_path / "wrong", selection=selection)
    rows = _lines(result.files[0])
    assert rows and all(ids[(r["query_id"], r["product_id"])] % 3 == 0 for r in rows)
    assert len(rows) == sum(1 for p in _labels(sample_db) if p % 3 == 0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"format": "preference"}, "select judge_wrong with a run"),
        ({"format": "yaml"}, "choose one of"),
        (
            {"selection": storage.training.Selection(split="validation")},
            "nothing to export: of the 174 labelled pairs, none is in the validation split",
        ),
        ({"selection": storage.training.Selection(dataset="other")}, "no dataset named 'other'"),
    ],
)
def test_export_errors_say_what_to_do(sample_db, tmp_path, kwargs, message):
    with pytest.raises(storage.StoreError, match=message):
        jobs.export_training(sample_db, tmp_path / "x", **kwargs)
    assert list(tmp_path.glob("x*")) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "judge_wrong"}, "a run is needed"),
        ({"run_id": 1}, "a run is needed"),
        ({"kind": "judge_wrong", "run_id": 1, "cell": (1, 1)}, "two different grades"),
        ({"split": "test"}, "choose one of"),
        ({"kind": "wrong"}, "choose one of"),
    ],
)
def test_selection_checks_its_options(kwargs, message):
    with pytest.raises(storage.StoreError, match=message):
        storage.training.Selection(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cap_per_query": 0}, "at least 1"),
        ({"label_shares": {0: -0.5, 1: 1.5}}, "non-negative"),
        ({"label_shares": {0: 0, 1: 0}}, "all zero"),
        ({"validation_share": 1.0}, "below 1"),
    ],
)
def test_curation_checks_its_options(kwargs, message):
    with pytest.raises(storage.StoreError, match=message):
        storage.training.Curation(**kwargs)


def test_rebalance_shares_are_weights(sample_db, tmp_path):
    """0.5/0.6 (summing to 1.1), 5/6 and 0.33 each (the Export page's default) are accepted:
    shares are normalised, so equal ratios write the same file."""

    def export(name, shares):
        curation = storage.training.Curation(label_shares=shares, cap_per_query=6, seed=2)
        return jobs.export_training(sample_db, tmp_path / name, curation=curation)

    first, second = export("a", {0: 0.5, 1: 0.6}), export("b", {0: 5, 1: 6})
    assert first.files[0].read_bytes() == second.files[0].read_bytes()
    assert first.manifest["labels_after_rebalance"]["2"] == 0
    thirds = export("c", {0: 0.33, 1: 0.33, 2: 0.33}).manifest["labels_after_rebalance"]
    assert max(thirds.values()) - min(thirds.values()) <= 1


def test_rebalancing_to_a_grade_the_selection_lacks_says_so(sample_db, tmp_path):
    selection = storage.training.Selection(
        kind="judge_wrong", run_id=_judge(sample_db), cell=(2, 0)
    )
    with pytest.raises(storage.StoreError, match="no pairs have grade 0, which the target"):
        jobs.export_training(
            sample_db,
            tmp_path / "x",
            selection=selection,
            curation=storage.training.Curation(label_shares={0: 1, 2: 1}),
        )
    with pytest.raises(storage.StoreError, match="grade 3, which is not on the dataset's scale"):
        jobs.export_training(
            sample_db, tmp_path / "x", curation=storage.training.Curation(label_shares={0: 1, 3: 1})
        )
    assert list(tmp_path.glob("x*")) == []


def test_a_failing_writer_leaves_the_old_export_and_no_partial_one(sample_db, tmp_path):
    out = tmp_path / "chat"
    jobs.export_training(sample_db, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    calls = []

    def failing_render(pair):
        calls.append(pair)
        if len(calls) == 50:
            raise RuntimeError("disk on fire")
        return judge.render_prompt(WANDS, pair)

    failing = JudgeText(
        render=failing_render,
        messages=lambda pair: [{"role": "user", "content": failing_render(pair)}],
        answer=lambda grade: f"SCORE: {grade}",
        completion=lambda prompt, grade: f"SCORE: {grade}",
        template_name=None,
        template_sha256="0" * 64,
    )
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_export(sample_db, out, judge=failing, format="chat")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_instruction_export_reimports_with_the_same_labels(sample_db, tmp_path):
    with storage.connect(sample_db) as con:
        con.execute("UPDATE documents SET description = ? WHERE doc_id = '104'", [TRICKY])
    ids = _pair_ids(sample_db)
    storage.record_review(sample_db, ids[("3", "104")], author="r", grade=2)
    exported = jobs.export_training(sample_db, tmp_path / "train").files[0]
    copy = tmp_path / "copy.duckdb"
    jobs.import_instruction(copy, exported, dataset=storage.SAMPLE_DATASET)
    assert _labels_and_text(copy) == _labels_and_text(sample_db)
    assert _labels_and_text(copy)[("3", "104")] == (2, TRICKY)


def _labels_and_text(db):
    """(query_id, doc_id) -> (current grade, description)."""
    with storage.connect(db) as con:
        rows = con.execute(
            "SELECT p.query_id, p.doc_id, c.grade, d.description FROM pairs p "
            "JOIN current_labels c USING (pair_id) JOIN documents d USING (dataset, doc_id)"
        ).fetchall()
    return {(q, d): (grade, text) for q, d, grade, text in rows}


def test_reviewed_selection_takes_every_review_in_force(sample_db, tmp_path):
    ids = sorted(_labels(sample_db))
    labels = _labels(sample_db)
    storage.record_review(sample_db, ids[0], author="r", grade=(labels[ids[0]] + 1) % 3)
    storage.record_review(sample_db, ids[1], author="r", note="grade is right")
    storage.record_review(sample_db, ids[2], author="r", grade=labels[ids[2]])
    storage.record_review(sample_db, ids[3], author="r", grade=(labels[ids[3]] + 1) % 3)
    storage.undo_last_review(sample_db, ids[3], author="r")
    for kind, expected in (("reviewed", ids[:3]), ("corrected", ids[:1])):
        selection = storage.training.Selection(kind=kind)
        assert storage.training.selection_count(sample_db, selection) == len(expected)
        result = jobs.export_training(sample_db, tmp_path / kind, selection=selection)
        assert result.manifest["counts"]["exported"] == len(expected)


def test_selection_count_is_what_the_manifest_counts_selected(sample_db, tmp_path):
    storage.training.split_benchmark(
        sample_db, storage.SAMPLE_DATASET, storage.training.BenchmarkRecipe(queries=3, per_query=2)
    )
    with storage.connect(sample_db) as con:
        held = con.execute(
            "SELECT count(*) FROM pairs WHERE query_id IN "
            "(SELECT query_id FROM pairs WHERE split = 'benchmark')"
        ).fetchone()[0]
    assert storage.training.selection_count(sample_db, storage.training.Selection()) == 174
    counts = jobs.export_training(sample_db, tmp_path / "out").manifest["counts"]
    assert (counts["selected"], counts["dropped"]["benchmark"]) == (174, held)
    run = _judge(sample_db, wrong_every=3)
    wrong = storage.training.selection_count(
        sample_db, storage.training.Selection(kind="judge_wrong", run_id=run)
    )
    assert 0 < wrong < 174


def _all_in_benchmark(db):
    storage.training.split_benchmark(
        db, storage.SAMPLE_DATASET, storage.training.BenchmarkRecipe(queries=100, per_query=1)
    )


@pytest.mark.parametrize(
    ("setup", "selection", "message"),
    [
        (
            None,
            {"kind": "reviewed"},
            "no pair is reviewed yet: a pair is reviewed when a reviewer graded it, marked it "
            "unsure or left a note (review some pairs, or select `labelled`)",
        ),
        (
            None,
            {"kind": "corrected"},
            "no pair is corrected yet: a pair is corrected when a review changed its imported "
            "grade (review some pairs, or select `reviewed`)",
        ),
        (
            None,
            {"split": "train", "query_classes": ("Accent Chairs",)},
            "of the 174 labelled pairs, none is in the train split and has the query class "
            "'Accent Chairs'",
        ),
        (
            _all_in_benchmark,
            {},
            "every selected query is in the benchmark split, which exports never include "
            "(174 pairs): make the benchmark smaller or select other pairs",
        ),
    ],
)
def test_an_empty_export_says_why(sample_db, tmp_path, setup, selection, message):
    if setup:
        setup(sample_db)
    with pytest.raises(storage.StoreError) as error:
        jobs.export_training(
            sample_db, tmp_path / "x", selection=storage.training.Selection(**selection)
        )
    assert str(error.value) == f"nothing to export: {message}"


def test_an_empty_judge_wrong_export_names_the_run_and_the_cell(sample_db, tmp_path):
    run = _judge(sample_db, wrong_every=10**9)  # only pair ids divisible by 1e9: none here
    selection = storage.training.Selection(kind="judge_wrong", run_id=run)
    with pytest.raises(
        storage.StoreError, match=f"run {run} graded no labelled pair differently from the humans"
    ):
        jobs.export_training(sample_db, tmp_path / "x", selection=selection)
    run = _judge(sample_db, wrong_every=2)  # wrong by +1: human Exact is judged Irrelevant
    cell = storage.training.Selection(kind="judge_wrong", run_id=run, cell=(0, 2))
    with pytest.raises(storage.StoreError) as error:
        jobs.export_training(sample_db, tmp_path / "x", selection=cell)
    wrong = storage.training.selection_count(
        sample_db, storage.training.Selection(kind="judge_wrong", run_id=run)
    )
    assert str(error.value) == (
        f"nothing to export: of the {wrong} pairs run {run} got wrong, "
        "none is in the cell human Irrelevant, judge Exact"
    )
