"""Malformed import inputs for bench/chaos.py, for every importer the CLI has.

Each `ImportCase` writes its input into an empty folder and returns the words that follow
`cli.py --db STORE import`. A case starts from a valid layout of its importer (a WANDS
folder, a table in CSV, TSV, JSONL or Parquet, an instruction JSONL file, TREC qrels with
topics and documents, a judgement-ai results file) and breaks one thing in it: the rows
(a grade off the scale, NaN, an empty id, a conflicting repeat, ...), the text (a field too
many, an unterminated quote, invalid JSON, ...) or the bytes (empty, not UTF-8, UTF-16,
random). Every broken case must be refused: exit code 2, one line, the store untouched. The
untouched layouts come along as controls (`valid=True`), which must import, so that a
refusal is known to be for the break and not for the layout.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pa_parquet

Builder = Callable[[Path], list[str]]
Edit = Callable[[bytes], bytes]


@dataclass(frozen=True)
class ImportCase:
    name: str
    build: Builder
    valid: bool = False  # a control: the untouched layout, which must import


# -- layouts: valid inputs -------------------------------------------------------------

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
SAMPLE_DATASET = "wands-sample"

# A table as (columns, rows); the label column holds names, or numbers for the NaN cases.
Table = tuple[list[str], list[list[object]]]
TABLE: Table = (
    ["q", "d", "title", "rel"],
    [
        ["oak desk", "t1", "Solid oak desk", "Exact"],
        ["oak desk", "t2", "Pine bookshelf", "Irrelevant"],
        ["blue rug", "t3", "Navy area rug", "Partial"],
    ],
)
TABLE_MAP = "query=q,doc_id=d,title=title,label=rel"
TABLE_FORMATS = ("csv", "tsv", "jsonl", "parquet")

INSTRUCTION = [
    {
        "query_id": "1",
        "product_id": "p1",
        "instruction": "Grade it.",
        "input": {"query": "oak desk", "product_name": "Solid oak desk"},
        "output": "SCORE: 2",
    },
    {
        "query_id": "1",
        "product_id": "p2",
        "instruction": "Grade it.",
        "input": {"query": "oak desk", "product_name": "Pine bookshelf"},
        "output": "SCORE: 0",
    },
]

TREC_QRELS = "101 0 d1 2\n101 0 d2 0\n102 0 d3 1\n"
TREC_TOPICS = "101\toak desk\n102\tblue rug\n"
TREC_DOCUMENTS = "d1\tSolid oak desk\nd2\tPine bookshelf\nd3\tNavy area rug\n"

# Pairs of the bundled sample (query text, product id), which a judgement-ai file must match.
JUDGEMENT_AI = [
    {"query": "turquoise pillows", "doc_id": "104", "score": 1, "reasoning": "close", "rank": 1},
    {"query": "turquoise pillows", "doc_id": "39589", "score": 2, "reasoning": "exact", "rank": 2},
]


def write_table(table: Table, path: Path) -> None:
    """`table` in the format its file extension names."""
    columns, rows = table
    kind = path.suffix[1:]
    if kind == "parquet":
        pa_parquet.write_table(
            pa.table(
                {c: [r[i] for r in rows] for i, c in enumerate(columns)}
                if rows
                else {c: pa.array([], pa.string()) for c in columns}
            ),
            path,
        )
    elif kind == "jsonl":
        path.write_text("".join(json.dumps(dict(zip(columns, r))) + "\n" for r in rows))
    else:
        text = io.StringIO()
        csv.writer(text, delimiter="," if kind == "csv" else "\t", lineterminator="\n").writerows(
            [columns, *rows]
        )
        path.write_text(text.getvalue())


def table_layout(kind: str, table: Table = TABLE, extra: Sequence[str] = ()) -> Builder:
    def build(folder: Path) -> list[str]:
        path = folder / f"pairs.{kind}"
        write_table(table, path)
        return ["table", str(path), "--dataset", "chaos-table", "--map", TABLE_MAP, *extra]

    return build


def wands_layout(folder: Path) -> list[str]:
    shutil.copytree(SAMPLE, folder / "wands")
    return ["wands", str(folder / "wands"), "--dataset", "chaos-wands"]


def jsonl(records: Sequence[object]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def instruction_layout(records: Sequence[object] = INSTRUCTION) -> Builder:
    def build(folder: Path) -> list[str]:
        (folder / "train.jsonl").write_text(jsonl(records))
        return ["instruction", str(folder / "train.jsonl"), "--dataset", "chaos-instruction"]

    return build


def trec_layout(folder: Path) -> list[str]:
    for name, text in (
        ("qrels.txt", TREC_QRELS),
        ("topics.tsv", TREC_TOPICS),
        ("docs.tsv", TREC_DOCUMENTS),
    ):
        (folder / name).write_text(text)
    return [
        "trec",
        str(folder / "qrels.txt"),
        "--topics",
        str(folder / "topics.tsv"),
        "--documents",
        str(folder / "docs.tsv"),
        "--dataset",
        "chaos-trec",
    ]


def judgement_ai_layout(items: object = JUDGEMENT_AI) -> Builder:
    def build(folder: Path) -> list[str]:
        (folder / "results.json").write_text(json.dumps(items))
        return ["judgement-ai", str(folder / "results.json"), "--dataset", SAMPLE_DATASET]

    return build


def edited(layout: Builder, name: str, edit: Edit) -> Builder:
    """`layout` with its file `name` passed through `edit`."""

    def build(folder: Path) -> list[str]:
        args = layout(folder)
        path = folder / name
        path.write_bytes(edit(path.read_bytes()))
        return args

    return build


def with_args(layout: Builder, *extra: str) -> Builder:
    return lambda folder: [*layout(folder), *extra]


# -- edits -----------------------------------------------------------------------------


def replace(old: str, new: str) -> Edit:
    def edit(data: bytes) -> bytes:
        assert old.encode() in data, f"the layout lacks {old!r}"
        return data.replace(old.encode(), new.encode(), 1)

    return edit


def append(text: str) -> Edit:
    return lambda data: data + text.encode()


def constant(content: bytes) -> Edit:
    return lambda data: content


def not_utf8(data: bytes) -> bytes:
    # Inside the second line's first value, or the middle of a one-line file.
    at = data.index(b"\n") + 3 if b"\n" in data[:-1] else len(data) // 2
    return data[:at] + b"\xff\xfe" + data[at:]


def utf16(data: bytes) -> bytes:
    return data.decode("utf-8").encode("utf-16")


def random_bytes(key: str) -> Edit:
    return lambda data: random.Random(key).randbytes(max(len(data), 64))


def cut_last_line(data: bytes) -> bytes:
    """The file cut in the middle of its last line, as a writer killed mid-line leaves it."""
    start = data.rstrip(b"\n").rfind(b"\n") + 1
    return data[: start + (len(data) - start) // 2]


def byte_damage(key: str) -> dict[str, Edit]:
    return {
        "empty": constant(b""),
        "blank lines": constant(b"\n\n\n"),
        "not UTF-8": not_utf8,
        "UTF-16": utf16,
        "random bytes": random_bytes(key),
    }


# -- table rows ------------------------------------------------------------------------


def set_cell(row: int, column: str, value: object) -> Callable[[Table], Table]:
    def change(table: Table) -> Table:
        columns, rows = table
        rows = [list(r) for r in rows]
        rows[row][columns.index(column)] = value
        return columns, rows

    return change


def numeric_labels(last: float) -> Callable[[Table], Table]:
    """The label column as numbers (a float column in Parquet), the last one `last`."""

    def change(table: Table) -> Table:
        columns, rows = table
        grades = [2, 0, last]
        return columns, [[*r[:-1], g] for r, g in zip(rows, grades)]

    return change


def drop_column(name: str) -> Callable[[Table], Table]:
    def change(table: Table) -> Table:
        columns, rows = table
        keep = [i for i, c in enumerate(columns) if c != name]
        return [columns[i] for i in keep], [[r[i] for i in keep] for r in rows]

    return change


def add_row(*values: object) -> Callable[[Table], Table]:
    return lambda table: (table[0], [*table[1], list(values)])


TABLE_BREAKS: dict[str, Callable[[Table], Table]] = {
    "no rows": lambda table: (table[0], []),
    "no doc_id column": drop_column("d"),
    "grade 7": set_cell(1, "rel", "7"),
    "grade -1": set_cell(1, "rel", "-1"),
    "grade 1.5": set_cell(1, "rel", "1.5"),
    "unknown label": set_cell(1, "rel", "Exakt"),
    "100 KB label": set_cell(1, "rel", "Exakt" * 20_000),
    "NaN grade": numeric_labels(math.nan),
    "Infinity grade": numeric_labels(math.inf),
    "empty doc_id": set_cell(1, "d", ""),
    "blank doc_id": set_cell(1, "d", "   "),
    "empty query": set_cell(2, "q", ""),
    "one pair two grades": add_row("oak desk", "t1", "Solid oak desk", "Irrelevant"),
    "one document two titles": add_row("oak chair", "t1", "Walnut desk", "Exact"),
}


def table_cases() -> list[ImportCase]:
    cases = [
        ImportCase(f"table.{kind}: {name}", table_layout(kind, change(TABLE)))
        for kind in TABLE_FORMATS
        for name, change in TABLE_BREAKS.items()
    ]
    for kind, sep in (("csv", ","), ("tsv", "\t")):
        cases += [
            ImportCase(f"table.{kind}: {name}", edited(table_layout(kind), f"pairs.{kind}", edit))
            for name, edit in {
                "a field too many": append(
                    sep.join(["oak desk", "t4", "Oak", "Exact", "x"]) + "\n"
                ),
                "a field too few": append(sep.join(["oak desk", "t4", "Oak"]) + "\n"),
                "unterminated quote": append(sep.join(['"oak desk', "t4", "Oak", "Exact"]) + "\n"),
                "a column named twice": replace(
                    sep.join(TABLE[0]), sep.join(["q", "d", "q", "rel"])
                ),
                "an empty column name": replace(
                    sep.join(TABLE[0]), sep.join(["q", "d", "", "rel"])
                ),
            }.items()
        ]
    cases += [
        ImportCase(f"table.jsonl: {name}", edited(table_layout("jsonl"), "pairs.jsonl", edit))
        for name, edit in {
            "a line that is a list": append("[1, 2]\n"),
            "a line that is a string": append('"oak desk"\n'),
            "invalid JSON": append('{"q": "oak desk", "d": }\n'),
            "cut in its last line": cut_last_line,
        }.items()
    ]
    cases += [
        ImportCase(
            "table.parquet: cut in half",
            edited(table_layout("parquet"), "pairs.parquet", lambda d: d[: len(d) // 2]),
        ),
        ImportCase(
            "table.parquet: CSV text",
            edited(
                table_layout("parquet"), "pairs.parquet", constant(b"q,d,rel\noak desk,t1,Exact\n")
            ),
        ),
        ImportCase(
            "table.parquet: labels as structs",
            table_layout("parquet", (TABLE[0], [[*r[:-1], {"grade": 1}] for r in TABLE[1]])),
        ),
    ]
    return cases + [
        ImportCase("table: unknown extension", edited_name(table_layout("csv"), "pairs.xlsx")),
        ImportCase(
            "table: --map without doc_id", with_map(table_layout("csv"), "query=q,label=rel")
        ),
        ImportCase(
            "table: --labels with a word grade",
            table_layout("csv", extra=["--labels", "Exact=two"]),
        ),
        ImportCase(
            "table: --scale with a grade twice", table_layout("csv", extra=["--scale", "0=a,0=b"])
        ),
    ]


def edited_name(layout: Builder, name: str) -> Builder:
    """`layout` with its input file renamed to `name`."""

    def build(folder: Path) -> list[str]:
        args = layout(folder)
        path = Path(args[1])
        args[1] = str(path.rename(folder / name))
        return args

    return build


def with_map(layout: Builder, mapping: str) -> Builder:
    def build(folder: Path) -> list[str]:
        args = layout(folder)
        args[args.index("--map") + 1] = mapping
        return args

    return build


# -- WANDS, instruction, TREC, judgement-ai --------------------------------------------


def removed(layout: Builder, name: str) -> Builder:
    def build(folder: Path) -> list[str]:
        args = layout(folder)
        (folder / name).unlink()
        return args

    return build


def wands_cases() -> list[ImportCase]:
    query, product, label = (f"wands/{n}.csv" for n in ("query", "product", "label"))
    edits: dict[str, tuple[str, Edit]] = {
        "query.csv without its query column": (
            query,
            replace("query_id\tquery\t", "query_id\tsearch\t"),
        ),
        "query.csv: one query_id, two texts": (query, append("3\tturquoise curtains\tCurtains\n")),
        "query.csv: an empty query_id": (query, append("\tempty id\tDesks\n")),
        "query.csv: a column named twice": (
            query,
            replace("query_id\tquery\tquery_class", "query_id\tquery\tquery"),
        ),
        "product.csv without product_id": (product, replace("product_id\t", "productid\t")),
        "product.csv: one product_id, two names": (
            product,
            append("104\tanother name\tDesks\t\t\t\t\t\t\n"),
        ),
        "product.csv: an empty product_id": (product, append("\tno id\tDesks\t\t\t\t\t\t\n")),
        # label.csv and product.csv end their lines with CRLF, as the WANDS download does.
        "label.csv: unknown label": (label, replace("\tExact\r\n", "\tExakt\r\n")),
        "label.csv: an empty label": (label, replace("\tExact\r\n", "\t\r\n")),
        "label.csv: an unknown product": (label, append("9000\t3\t99999999\tExact\n")),
        "label.csv: an unknown query": (label, append("9001\t99999\t104\tExact\n")),
        "label.csv without its label column": (label, replace("\tlabel\r\n", "\tgrade\r\n")),
        "label.csv: a field too many": (label, append("9002\t3\t104\tExact\tx\n")),
        "label.csv: unterminated quote": (label, append('9003\t3\t"104\tExact\n')),
    }
    cases = [
        ImportCase(f"wands {name}", edited(wands_layout, path, edit))
        for name, (path, edit) in edits.items()
    ]
    return cases + [
        ImportCase("wands: no label.csv", removed(wands_layout, label)),
        ImportCase("wands: no product.csv", removed(wands_layout, product)),
        ImportCase("wands: no such folder", lambda folder: ["wands", str(folder / "missing")]),
        ImportCase("wands: a file, not a folder", wands_file),
    ]


def wands_file(folder: Path) -> list[str]:
    (folder / "wands.csv").write_text("query_id\tquery\n1\toak desk\n")
    return ["wands", str(folder / "wands.csv")]


def changed_record(index: int, **changes: object) -> list[object]:
    """INSTRUCTION with record `index` changed (a value of None drops the key)."""
    records = json.loads(json.dumps(INSTRUCTION))
    for key, value in changes.items():
        if value is None:
            del records[index][key]
        else:
            records[index][key] = value
    return records


def instruction_cases() -> list[ImportCase]:
    records = {
        **{
            f"no {key}": changed_record(1, **{key: None})
            for key in ("query_id", "product_id", "input", "output")
        },
        "input a string": changed_record(1, input="oak desk"),
        "input without query": changed_record(1, input={"product_name": "Pine bookshelf"}),
        "output SCORE: 7": changed_record(1, output="SCORE: 7"),
        "output a word": changed_record(1, output="Exact"),
        "output SCORE: x": changed_record(1, output="SCORE: x"),
        "NaN description": changed_record(
            1, input={"query": "oak desk", "product_description": math.nan}
        ),
        "Infinity query_id": changed_record(1, query_id=math.inf),
        "an empty query_id": changed_record(1, query_id=""),
        "one pair two outputs": [*INSTRUCTION, {**INSTRUCTION[0], "output": "SCORE: 1"}],
        "a line that is a list": [*INSTRUCTION, [1, 2]],
    }
    cases = [
        ImportCase(f"instruction: {name}", instruction_layout(r)) for name, r in records.items()
    ]
    return cases + [
        ImportCase(
            "instruction: invalid JSON",
            edited(instruction_layout(), "train.jsonl", append('{"query_id": 1,\n')),
        ),
        ImportCase(
            "instruction: CSV text",
            edited(instruction_layout(), "train.jsonl", constant(b"query_id,product_id\n1,p1\n")),
        ),
    ]


def trec_cases() -> list[ImportCase]:
    qrels, topics, docs = "qrels.txt", "topics.tsv", "docs.tsv"
    edits: dict[str, tuple[str, Edit]] = {
        "qrels: 3 fields": (qrels, append("101 0 d4\n")),
        "qrels: 5 fields": (qrels, append("101 0 d4 1 x\n")),
        "qrels: grade x": (qrels, append("101 0 d2 x\n")),
        "qrels: grade 1.5": (qrels, append("101 0 d2 1.5\n")),
        "qrels: grade 12": (qrels, append("101 0 d2 12\n")),
        "qrels: grade -1": (qrels, append("101 0 d2 -1\n")),
        "qrels: an unknown topic": (qrels, append("999 0 d1 1\n")),
        "qrels: an unknown document": (qrels, append("101 0 d999 1\n")),
        "qrels: one pair two grades": (qrels, append("101 0 d1 0\n")),
        "topics: no tab": (topics, append("103 walnut chair\n")),
        "topics: one id two texts": (topics, append("101\twalnut chair\n")),
        "topics: <top> without <num>": (topics, constant(b"<top>\n<title> oak desk\n</top>\n")),
        "topics: <top> without <title>": (topics, constant(b"<top>\n<num> Number: 101\n</top>\n")),
        "topics: <top> never closed": (topics, constant(b"<top>\n<num> 101\n<title> oak desk\n")),
        "documents: no tab": (docs, append("d4 Walnut chair\n")),
        "documents: one id two texts": (docs, append("d1\tWalnut chair\n")),
    }
    cases = [
        ImportCase(f"trec {name}", edited(trec_layout, path, edit))
        for name, (path, edit) in edits.items()
    ]
    return cases + [
        ImportCase("trec: --scale 0,1 with grade 2", with_args(trec_layout, "--scale", "0,1")),
        ImportCase("trec: no topics file", removed(trec_layout, topics)),
        ImportCase(
            "trec documents.jsonl: no docid", trec_jsonl_documents([{"text": "Solid oak desk"}])
        ),
        ImportCase(
            "trec documents.jsonl: invalid JSON", trec_jsonl_documents(['{"docid": "d1", '])
        ),
    ]


def trec_jsonl_documents(lines: Sequence[object]) -> Builder:
    """The TREC layout with a JSONL documents file of `lines` (text lines as they are)."""

    def build(folder: Path) -> list[str]:
        args = trec_layout(folder)
        path = folder / "docs.jsonl"
        path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
        args[args.index("--documents") + 1] = str(path)
        return args

    return build


def judgement_ai_cases() -> list[ImportCase]:
    first = JUDGEMENT_AI[0]
    items: dict[str, object] = {
        "an object, not a list": {"results": JUDGEMENT_AI},
        "null": None,
        "an empty list": [],
        "an item that is a number": [*JUDGEMENT_AI, 3],
        **{
            f"no {key}": [{k: v for k, v in first.items() if k != key}]
            for key in ("query", "doc_id", "score")
        },
        "score a string": [{**first, "score": "2"}],
        "score 1.5": [{**first, "score": 1.5}],
        "score true": [{**first, "score": True}],
        "score NaN": [{**first, "score": math.nan}],
        "score Infinity": [{**first, "score": math.inf}],
        "score -Infinity": [{**first, "score": -math.inf}],
        "score 7": [{**first, "score": 7}],
        "an unknown pair": [{**first, "doc_id": "99999999"}],
        "one pair twice": [first, {**first, "score": 0}],
    }
    cases = [
        ImportCase(f"judgement-ai: {name}", judgement_ai_layout(i)) for name, i in items.items()
    ]
    return cases + [
        ImportCase(
            "judgement-ai: cut in half",
            edited(judgement_ai_layout(), "results.json", lambda d: d[: len(d) // 2]),
        ),
        ImportCase(
            "judgement-ai: an unknown dataset",
            lambda folder: [*judgement_ai_layout()(folder)[:-1], "no-such-dataset"],
        ),
    ]


# -- all of them -----------------------------------------------------------------------

CONTROLS: dict[str, tuple[Builder, str]] = {
    # importer: (its valid layout, the file in it that the byte damage hits)
    "table.csv": (table_layout("csv"), "pairs.csv"),
    "table.tsv": (table_layout("tsv"), "pairs.tsv"),
    "table.jsonl": (table_layout("jsonl"), "pairs.jsonl"),
    "table.parquet": (table_layout("parquet"), ""),
    "wands query.csv": (wands_layout, "wands/query.csv"),
    "wands product.csv": (wands_layout, "wands/product.csv"),
    "wands label.csv": (wands_layout, "wands/label.csv"),
    "instruction": (instruction_layout(), "train.jsonl"),
    "trec qrels": (trec_layout, "qrels.txt"),
    "trec topics": (trec_layout, "topics.tsv"),
    "trec documents": (trec_layout, "docs.tsv"),
    "judgement-ai": (judgement_ai_layout(), "results.json"),
}


def byte_damage_cases(seed: int) -> list[ImportCase]:
    return [
        ImportCase(f"{where}: {name}", edited(layout, path, edit))
        for where, (layout, path) in CONTROLS.items()
        if path
        for name, edit in byte_damage(f"{seed}:{where}").items()
    ]


def control_cases() -> list[ImportCase]:
    """One untouched layout per importer (the WANDS and TREC ones once each)."""
    layouts = {id(layout): (where.split()[0], layout) for where, (layout, _) in CONTROLS.items()}
    return [ImportCase(f"{where}: valid", layout, valid=True) for where, layout in layouts.values()]


def import_cases(seed: int) -> list[ImportCase]:
    """Every control, then every broken case, in a fixed order."""
    return [
        *control_cases(),
        *table_cases(),
        *wands_cases(),
        *instruction_cases(),
        *trec_cases(),
        *judgement_ai_cases(),
        *byte_damage_cases(seed),
    ]
