"""`cli.py export` and `cli.py validate`, called in-process on a store holding the sample."""

from __future__ import annotations

import json

import pytest

import cli
import storage


def run(db, *argv):
    return cli.main(["--db", str(db), *argv])


def test_export_then_validate_is_clean(sample_db, tmp_path, capsys):
    out = tmp_path / "out"
    assert (
        run(
            sample_db,
            "export",
            "--out",
            str(out),
            "--cap-per-query",
            "3",
            "--rebalance",
            "0=0.3,1=0.4,2=0.3",
            "--validation-share",
            "0.2",
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert printed.startswith("instruction export of ")
    assert "  validation.jsonl:" in printed and f"manifest: {out / 'manifest.json'}" in printed
    assert f'load: datasets.load_dataset("json", data_dir={str(out)!r})' in printed
    train, validation = out / "train.jsonl", out / "validation.jsonl"
    assert run(sample_db, "validate", str(train), "--against", str(validation)) == 0
    assert capsys.readouterr().out.endswith("no problems\n")
    assert run(sample_db, "validate", str(out)) == 0
    reports = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in reports] == [
        str(train),
        str(validation),
        str(out / "manifest.json"),
    ]


def test_validating_a_folder_finds_a_query_in_both_files(sample_db, tmp_path, capsys):
    out = tmp_path / "out"
    assert run(sample_db, "export", "--out", str(out), "--validation-share", "0.2") == 0
    moved = (out / "validation.jsonl").read_text("utf-8").splitlines()[0]
    with open(out / "train.jsonl", "a", encoding="utf-8") as train:
        train.write(moved + "\n")
    assert run(sample_db, "validate", str(out)) == 2
    printed = capsys.readouterr().out
    assert "is also in validation.jsonl line 1" in printed


def test_an_export_to_a_file_name_says_to_give_a_folder(sample_db, tmp_path, capsys):
    out = tmp_path / "train.jsonl"
    assert run(sample_db, "export", "--out", str(out)) == 2
    assert capsys.readouterr().err == (
        f"error: {out} names a file, but an export writes a folder (train.jsonl, "
        f"validation.jsonl, manifest.json): give a folder, for example {tmp_path / 'train'}\n"
    )


def test_conversational_preference_from_the_cli(sample_db, tmp_path, capsys):
    assert run(sample_db, "export", "--conversational", "--out", str(tmp_path / "x")) == 2
    assert "the instruction format has one form only" in capsys.readouterr().err


def test_cap_of_zero_means_no_cap_as_in_split_and_the_page(sample_db, tmp_path, capsys):
    uncapped, zero = tmp_path / "all", tmp_path / "zero"
    assert run(sample_db, "export", "--out", str(uncapped)) == 0
    assert run(sample_db, "export", "--out", str(zero), "--cap-per-query", "0") == 0
    uncapped, zero = uncapped / "train.jsonl", zero / "train.jsonl"
    assert zero.read_bytes() == uncapped.read_bytes()
    assert len(zero.read_text("utf-8").splitlines()) == 174


def test_chat_export_renders_the_named_template(sample_db, tmp_path, capsys):
    out = tmp_path / "chat"
    assert (
        run(sample_db, "export", "--format", "chat", "--template", "wands", "--out", str(out)) == 0
    )
    first = json.loads((out / "train.jsonl").read_text("utf-8").splitlines()[0])
    assert [m["role"] for m in first["messages"]] == ["user", "assistant"]
    assert first["messages"][0]["content"].startswith("Given a search query")
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["prompt_template"] == "wands"


def test_judge_failures_of_one_cell_as_preference_pairs(sample_db, tmp_path, capsys):
    labels = {p: storage.current_label(sample_db, p).grade for p in range(1, 175)}
    run_id = storage.create_run(
        sample_db,
        name="t",
        dataset=storage.SAMPLE_DATASET,
        backend="fake",
        model="fake",
        prompt_template="wands",
        prompt_sha256="0",
        scale=[0, 1, 2],
    )
    storage.record_judgments(
        sample_db,
        run_id,
        [
            {"pair_id": p, "grade": 1 if g == 2 else g, "parse_status": "ok"}
            for p, g in labels.items()
        ],
    )
    out = tmp_path / "pref"
    assert (
        run(
            sample_db,
            "export",
            "--format",
            "preference",
            "--conversational",
            "--run",
            str(run_id),
            "--cell",
            "2,1",
            "--out",
            str(out),
        )
        == 0
    )
    rows = [json.loads(line) for line in (out / "train.jsonl").read_text("utf-8").splitlines()]
    assert len(rows) == sum(g == 2 for g in labels.values())
    assert {(r["chosen"][0]["content"], r["rejected"][0]["content"]) for r in rows} == {
        ("SCORE: 2", "SCORE: 1")
    }
    assert capsys.readouterr().out.startswith("preference (conversational) export of ")


def test_validate_lists_every_problem_and_exits_2(tmp_path, capsys):
    path = tmp_path / "bad.jsonl"
    good = {
        "query_id": "1",
        "product_id": "2",
        "instruction": "x",
        "output": "SCORE: 1",
        "input": {
            k: "t"
            for k in (
                "query",
                "product_name",
                "product_class",
                "category_hierarchy",
                "product_description",
            )
        },
    }
    rows = [good, {**good, "product_id": "3", "output": "SCORE: 7"}, good]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert run(tmp_path / "unused.duckdb", "validate", str(path)) == 2
    printed = capsys.readouterr().out
    assert "3 rows, format instruction, 2 problems:" in printed
    assert "line 2, field output: 'SCORE: 7' is not one of" in printed
    assert "line 3, field product_id: duplicate of line 1" in printed


def test_export_errors_are_one_line_with_exit_code_2(sample_db, tmp_path, capsys):
    out = tmp_path / "t"
    assert run(sample_db, "export", "--select", "corrected", "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert err == (
        "error: nothing to export: no pair is corrected yet: a pair is corrected when a review "
        "changed its imported grade (review some pairs, or select `reviewed`)\n"
    )


def test_a_template_on_another_scale_is_one_line_with_exit_code_2(sample_db, tmp_path, capsys):
    out = tmp_path / "t"
    assert (
        run(
            sample_db,
            "export",
            "--format",
            "chat",
            "--template",
            "prometheus_1_5",
            "--out",
            str(out),
        )
        == 2
    )
    assert capsys.readouterr().err == (
        "error: template prometheus_1_5 grades 1..5, dataset wands-sample grades 0..2: pick a "
        "template on the dataset's scale or import with --scale\n"
    )
    assert not out.exists()


def test_export_and_validate_with_your_own_template_file(sample_db, tmp_path, capsys):
    template = tmp_path / "mine.txt"
    template.write_text("Query {query}, product {product_name}. Answer [RESULT] N.", "utf-8")
    folder = tmp_path / "mine"
    assert run(sample_db, "export", "--template-file", str(template), "--out", str(folder)) == 0
    out = folder / "train.jsonl"
    assert json.loads(out.read_text("utf-8").splitlines()[0])["output"].startswith("[RESULT] ")
    assert (
        run(
            sample_db,
            "validate",
            str(out),
            "--template-file",
            str(template),
            "--scale",
            "0",
            "1",
            "2",
        )
        == 0
    )
    assert run(sample_db, "validate", str(out)) == 2  # the default template answers SCORE: N


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--rebalance", "0:0.5"], "expected grade=share pairs"),
        (["--cell", "2"], "expected HUMAN,JUDGE grades"),
        (["--split", "benchmark"], "invalid choice: 'benchmark'"),
    ],
)
def test_bad_arguments_are_usage_errors(sample_db, tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as exit:
        run(sample_db, "export", "--out", str(tmp_path / "t.jsonl"), *argv)
    assert exit.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("command", ["export", "validate"])
def test_help_ends_with_an_example(tmp_path, command, capsys):
    with pytest.raises(SystemExit):
        run(tmp_path / "unused.duckdb", command, "--help")
    last = capsys.readouterr().out.rstrip().splitlines()[-1]
    assert last.startswith(f"example: python cli.py {command}")
