"""`cli.py import`, `split` and `stats`: labelled pairs into the store, query-level splits,
and what a dataset holds."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

import jobs
import storage
from words import plural

from ._common import dataset_of, grade_shares, print_json, subcommand
from .batch import add_import_batch_results
from .manage import ask_for_yes
from .ranking import add_import_run
from .training import add_template, template_args


def _import(args: argparse.Namespace) -> int:
    print(args.importer(args))
    return 0


def _import_table(args: argparse.Namespace) -> int:
    """`import table`: with --map as it says; without, the mapping the file's header
    suggests, printed first (on stderr) and used only with --yes."""
    if args.map:
        args.columns = storage.importers.ColumnMap.parse(args.map)
        return _import(args)
    suggestion = storage.importers.preview_table(args.file, args.format).suggestion()
    said = f"--map {suggestion.text()}" if suggestion.columns else "none (no header matched)"
    print(f"suggested mapping: {said}", file=sys.stderr)
    for note in suggestion.notes:
        print(f"  {note}", file=sys.stderr)
    columns = suggestion.column_map()
    if columns is None:
        raise storage.StoreError(
            f"no column of {args.file.name} reads as {' or '.join(suggestion.missing)}: "
            "name it with --map, e.g. --map query=search_term,doc_id=product_uid"
        )
    if not args.yes:
        return ask_for_yes("nothing imported yet: check the suggested mapping above")
    args.columns = columns
    return _import(args)


def _scale_map(text: str) -> dict[int, int]:
    try:
        return storage.importers.parse_scale_map(text)
    except storage.StoreError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _scale_of(args: argparse.Namespace) -> storage.Scale | None:
    return storage.Scale.parse(args.scale) if args.scale else None


def _add_annotator(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--annotator",
        metavar="NAME",
        help="who graded the file's labels, recorded with each label (several annotators "
        "of one dataset give the human-human agreement)",
    )


def add_import(commands: argparse._SubParsersAction) -> None:
    sub = subcommand(
        commands,
        "import",
        "Import labelled pairs into a dataset of the store, all or nothing: a bad file "
        "imports nothing and the error names its file, line and column. Importing the same "
        "file again changes nothing; a changed label is recorded as a new label event.",
        "python cli.py import wands ~/WANDS/dataset --dataset wands",
        _import,
    )
    forms = sub.add_subparsers(dest="import_format", required=True, metavar="FORMAT")
    scale_help = "the dataset's grades and names, e.g. 0=Irrelevant,1=Partial,2=Exact"

    wands = subcommand(
        forms,
        "wands",
        "A WANDS folder (query.csv, product.csv, label.csv, tab-separated): the bundled "
        "sample or the full download. Grades: Irrelevant 0, Partial 1, Exact 2.",
        "python cli.py import wands ~/WANDS/dataset --dataset wands",
        _import,
    )
    wands.add_argument("folder", type=Path)
    wands.add_argument("--dataset", default="wands", help="dataset name (default: wands)")
    _add_annotator(wands)
    wands.set_defaults(
        importer=lambda a: storage.importers.import_wands(
            a.db, a.folder, dataset=a.dataset, author=a.annotator
        )
    )

    table = subcommand(
        forms,
        "table",
        "A CSV, TSV, JSONL or Parquet file with one pair a row, read through a column "
        "mapping (our name=your column; query and doc_id required; query_id, query_class, "
        "title, doc_class, category, description, label optional), given with --map or, "
        "without it, suggested from the header (WANDS, TREC and common names) and printed; "
        "--yes imports with the suggestion. Other columns that read the same on every "
        "row of a document are kept with it (the summary lists them; "
        "--drop-columns or --keep-columns choose), and one that gives the label away (named "
        "like a grade or score, or the same value on every row of a label) is flagged and "
        "never shown on a blind review card.",
        "python cli.py import table pairs.csv --dataset shop "
        "--map query=search_term,doc_id=product_uid,title=name,label=relevance "
        "--labels Exact=2,Partial=1,Irrelevant=0",
        _import_table,
    )
    table.add_argument("file", type=Path)
    table.add_argument("--dataset", required=True)
    table.add_argument(
        "--map",
        metavar="NAME=COLUMN,...",
        help="the column mapping (default: the one suggested from the file's header, "
        "printed first and used only with --yes)",
    )
    table.add_argument(
        "--yes", action="store_true", help="import with the suggested mapping (without --map)"
    )
    table.add_argument(
        "--labels",
        metavar="LABEL=GRADE,...",
        help="label values to grades (default: the scale's names or the grades themselves)",
    )
    table.add_argument("--scale", help=scale_help + " (default: the WANDS scale)")
    table.add_argument(
        "--format",
        choices=["csv", "tsv", "jsonl", "parquet"],
        help="file format (default: from the extension)",
    )
    _add_annotator(table)
    other = table.add_mutually_exclusive_group()
    other.add_argument(
        "--drop-columns",
        metavar="COLUMN,...",
        help="other columns not to keep as document fields (the summary lists those kept)",
    )
    other.add_argument(
        "--keep-columns",
        metavar="COLUMN,...",
        help="keep only these of the other columns as document fields",
    )
    table.set_defaults(
        importer=lambda a: storage.importers.import_table(
            a.db,
            a.file,
            dataset=a.dataset,
            columns=a.columns,
            labels=storage.importers.parse_label_map(a.labels) if a.labels else None,
            scale=_scale_of(a) or storage.WANDS_SCALE,
            format=a.format,
            author=a.annotator,
            extra=storage.importers.ExtraColumns.parse(drop=a.drop_columns, keep=a.keep_columns),
        )
    )

    instruction = subcommand(
        forms,
        "instruction",
        "An instruction-tuning JSONL file in the seed's format (query_id, product_id, "
        "instruction, input{query, product_name, ...}, output), such as a train.jsonl "
        "`export --format instruction` wrote; output is read in the answer format of the "
        "template it was written with (SCORE: N, or [RESULT] N for prometheus_1_5).",
        "python cli.py import instruction out/curated/train.jsonl --dataset curated",
        _import,
    )
    instruction.add_argument("file", type=Path)
    instruction.add_argument("--dataset", required=True)
    instruction.add_argument(
        "--scale", help=scale_help + " (default: the template's, WANDS for the default)"
    )
    add_template(instruction, "the file was written with")
    _add_annotator(instruction)
    instruction.set_defaults(
        importer=lambda a: jobs.import_instruction(
            a.db,
            a.file,
            dataset=a.dataset,
            scale=_scale_of(a),
            author=a.annotator,
            **template_args(a),
        )
    )

    trec = subcommand(
        forms,
        "trec",
        "TREC qrels (qid 0 docid grade) with a topics file (qid<TAB>text with an optional "
        "header, the classic <top><num>..<title>.. format with or without closing tags, or "
        "XML <topic number=..><query>..) and optionally a documents file (docid<TAB>text or "
        "JSONL with docid, text, title). The scale is --scale or the qrels' lowest..highest grade.",
        "python cli.py import trec qrels.txt --topics topics.txt --documents docs.tsv "
        "--dataset robust04",
        _import,
    )
    trec.add_argument("qrels", type=Path)
    trec.add_argument("--topics", type=Path, required=True)
    trec.add_argument("--documents", type=Path)
    trec.add_argument("--dataset", required=True)
    trec.add_argument("--scale", help=scale_help)
    _add_annotator(trec)
    trec.set_defaults(
        importer=lambda a: storage.importers.import_trec(
            a.db,
            a.qrels,
            topics=a.topics,
            documents=a.documents,
            dataset=a.dataset,
            scale=_scale_of(a),
            author=a.annotator,
        )
    )

    judgement = subcommand(
        forms,
        "judgement-ai",
        "A judgement-ai results file (a JSON list of query, doc_id, score, reasoning, rank) "
        "as a judge run over an imported dataset, matched by query text (trimmed) and doc_id, "
        "with its failures file (results-failures.json beside it) as failed judgments; then "
        "`metrics RUN` measures it against the human labels. Scores are grades of the "
        "dataset, or mapped onto them with --scale-map (judgement-ai grades 0-3).",
        "python cli.py import judgement-ai results.json --dataset wands-sample --model gpt-5.5 "
        "--scale-map 0=0,1=1,2=1,3=2",
        _import,
    )
    judgement.add_argument("file", type=Path)
    judgement.add_argument("--dataset", help="dataset name (default: the only one in the store)")
    judgement.add_argument("--name", help="run name (default: the file name)")
    judgement.add_argument("--model", default="unknown", help="the model that judged")
    judgement.add_argument(
        "--scale-map",
        type=_scale_map,
        metavar="SCORE=GRADE,...",
        help="judgement-ai scores onto the dataset's grades, e.g. 0=0,1=1,2=1,3=2 "
        "(default: the scores are the dataset's grades)",
    )
    judgement.add_argument(
        "--failures",
        type=Path,
        help="judgement-ai's failures file (default: <results>-failures.json beside the "
        "results, when it is there)",
    )
    judgement.add_argument(
        "--unknown",
        choices=storage.importers.UNKNOWN_PAIRS,
        default="add",
        help="pairs the dataset lacks: add them unlabelled (default) or skip them (counted)",
    )
    judgement.set_defaults(
        importer=lambda a: storage.importers.import_judgement_ai(
            a.db,
            a.file,
            dataset=dataset_of(a),
            name=a.name,
            model=a.model,
            scale_map=a.scale_map,
            failures=a.failures,
            unknown=a.unknown,
        )
    )
    add_import_run(forms)
    add_import_batch_results(forms)


def _split(args: argparse.Namespace) -> int:
    dataset, recipe = dataset_of(args), args.recipe_of(args)
    warnings = storage.training.split_warnings(args.db, dataset, recipe)
    if warnings and not args.yes:
        return ask_for_yes("; ".join(warnings))
    print(args.split_with(args.db, dataset, recipe))
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def add_split(commands: argparse._SubParsersAction) -> None:
    sub = subcommand(
        commands,
        "split",
        "Assign pairs to splits, always by query (a query is never in two splits): "
        "`benchmark` holds out N queries x M pairs with every grade represented, `train` "
        "splits the remaining queries into train and validation. A split that would hold "
        "out more than half of the labelled queries, or leave a split empty, is refused "
        "with the reason unless --yes is given.",
        "python cli.py split benchmark --queries 50 --per-query 10 --seed 0",
        _split,
    )
    recipes = sub.add_subparsers(dest="recipe", required=True, metavar="RECIPE")
    bench = subcommand(
        recipes,
        "benchmark",
        "Pick the benchmark anew (the seed's recipe): N queries, M labelled pairs each, at "
        "least --min-per-label of every grade a query has; queries with every grade first. "
        "Clears every earlier split of the dataset. Unpicked pairs of a benchmark query stay "
        "unassigned.",
        "python cli.py split benchmark --queries 50 --per-query 10 --min-per-label 2 --seed 0",
        _split,
    )
    bench.add_argument("--dataset", help="dataset name (default: the only one in the store)")
    bench.add_argument("--queries", type=int, default=50, help="held-out queries (default 50)")
    bench.add_argument("--per-query", type=int, default=10, help="pairs per query (default 10)")
    bench.add_argument(
        "--min-per-label", type=int, default=2, help="at least this many of each grade (default 2)"
    )
    bench.add_argument("--seed", type=int, default=0)
    bench.add_argument("--yes", action="store_true", help="split even when warned")
    bench.set_defaults(
        split_with=storage.training.split_benchmark,
        recipe_of=lambda a: storage.training.BenchmarkRecipe(
            queries=a.queries,
            per_query=a.per_query,
            min_per_label=a.min_per_label,
            seed=a.seed,
        ),
    )

    train = subcommand(
        recipes,
        "train",
        "Make the train and validation splits from the queries with no benchmark pair (the "
        "seed's recipe): a cap per query, optional rebalancing to target label shares, a "
        "share of the queries as validation. Reports what it left out.",
        "python cli.py split train --cap 12 --shares 0=0.3,1=0.45,2=0.25 --validation 0.1",
        _split,
    )
    train.add_argument("--dataset", help="dataset name (default: the only one in the store)")
    train.add_argument(
        "--cap", type=int, default=12, help="pairs per query at most (0: no cap; default 12)"
    )
    train.add_argument(
        "--shares",
        type=grade_shares,
        metavar="G=SHARE,...",
        help="target label shares as weights, e.g. 0=0.3,1=0.45,2=0.25 (default: as they come)",
    )
    train.add_argument(
        "--validation",
        type=float,
        default=0.1,
        help="share of queries for validation (default 0.1)",
    )
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--yes", action="store_true", help="split even when warned")
    train.set_defaults(
        split_with=storage.training.split_training,
        recipe_of=lambda a: storage.training.TrainingRecipe(
            cap_per_query=a.cap or None,
            label_shares=a.shares,
            validation_share=a.validation,
            seed=a.seed,
        ),
    )


def _stats(args: argparse.Namespace) -> int:
    names = (
        [args.dataset] if args.dataset else [d["dataset"] for d in storage.list_datasets(args.db)]
    )
    stats = [storage.dataset_stats(args.db, name) for name in names]
    if args.json:
        print_json([_stats_json(s) for s in stats])
        return 0
    if not stats:
        print("the store is empty: import a dataset with `python cli.py import`")
    for s in stats:
        print(
            f"{s.dataset}: {plural(s.queries, 'query')} ({s.queries_with_pairs:,} with pairs), "
            f"{plural(s.documents, 'document')}, {plural(s.pairs, 'pair')}, "
            f"{s.labelled_pairs:,} labelled, {s.reviewed_pairs:,} reviewed "
            f"({s.confirmed_pairs:,} confirmed, {s.corrected_pairs:,} corrected)"
        )
        total = max(sum(s.labels.values()), 1)
        for grade, name in zip(s.scale.grades, s.scale.names):
            count = s.labels[grade]
            print(f"  {grade} {name:<12} {count:>8}  {100 * count / total:5.1f}%")
        for split, counts in s.splits.items():
            shown = f"{plural(counts.queries, 'query')}, {plural(counts.pairs, 'pair')}"
            print(f"  split {split:<11} {shown}")
    return 0


def _stats_json(stats: storage.DatasetStats) -> dict[str, Any]:
    """A dataset's counts as `stats --json` prints them: the scale as its grades and names."""
    fields = {f.name: getattr(stats, f.name) for f in dataclasses.fields(stats)}
    scale = fields.pop("scale")
    return {
        "dataset": fields.pop("dataset"),
        "grades": list(scale.grades),
        "grade_names": list(scale.names),
        **fields,
        "splits": {split: vars(counts) for split, counts in stats.splits.items()},
    }


def add_stats(commands: argparse._SubParsersAction) -> None:
    sub = subcommand(
        commands,
        "stats",
        "Show each dataset's counts (queries, documents, pairs, labelled pairs, and reviewed "
        "pairs: a review in force; of those, confirmed: the imported grade kept; corrected: "
        "the imported grade changed), its label distribution and its splits.",
        "python cli.py stats --dataset wands-sample --json",
        _stats,
    )
    sub.add_argument("--dataset", help="only this dataset")
    sub.add_argument("--json", action="store_true", help="print JSON instead of text")
