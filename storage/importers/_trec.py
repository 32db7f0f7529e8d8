"""TREC relevance judgments: a qrels file (`qid 0 docid grade`) with a topics file for the
query text and, optionally, a documents file for the document text.

Topics, in the forms TREC tracks publish them:
- TSV of 2 or 3 columns, with or without a header line (its first field one of `qid`,
  `query_id`, `query-id`, `topic`, `topic_id`, `id`, `num`, `number`). Two columns are
  `qid<TAB>query`. Three are read by the header, which must name the query column (`query`,
  `text`, `title`) and may name a `description` (`desc`, `narrative`); without a header
  they are `qid<TAB>query<TAB>description`, as BEIR and TREC DL write them. The description
  is never the query text. Any other shape is an error naming the line;
- classic SGML-like `<top><num> Number: 301 <title> text ... </top>`, with or without
  closing tags (`<num>301</num>`, `<title>text</title>`);
- XML `<topics><topic number="1"><query>text</query>...</topic></topics>` (the query in
  `<query>`, else `<title>`).
When no qid of the qrels is a topic of the topics file, the topics file is blamed: it was
read in a form it is not in.
Documents: a TSV `docid<TAB>text` or JSONL with `docid` (or `doc_id`), `text` and an
optional `title`. Without a documents file the documents are created as bare ids.

Without a named scale, the scale is 0..the qrels' highest grade, inferred only within 0..4
(TREC's graded scales): a grade outside (12, -1) is far likelier a slip than a scale meant,
and would silently widen the scale every metric is read on, so it is an error that asks for
the scale to be named (`--scale -2,0,1,2,3,4` for the web track's -2). The scale starts at 0
even when no qrels row says 0: qrels that list only relevant documents (every grade 1, as
MS MARCO and BEIR write them) are binary, 0 for every document they leave out, which is what
trec_eval reads; the import says when it inferred so. Grade 0 and grades below it are not
relevant (`metrics.relevance_levels`).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd

from grade_scale import Scale

from .._db import Db
from .._errors import ImportFormatError, excerpt
from ._batch import ROW, ImportBatch, ImportSummary, Part, import_batch
from ._read import SourceTable, as_text, first_row, line_table, read_fields, read_jsonl, text_lines

QRELS_COLUMNS = ("qid", "iteration", "docid", "relevance")
INFERRED_GRADES = range(0, 5)
_TOP = re.compile(r"<top>(.*?)</top>", re.DOTALL | re.IGNORECASE)
_NUM = re.compile(r"<num>\s*(?:Number:)?\s*([^\s<]+)", re.IGNORECASE)
# The title runs to the next tag, opening or closing (`</title>`, `<desc>`), or the end.
_TITLE = re.compile(r"<title>\s*(?:Topic:)?\s*(.*?)\s*(?=</?\w+>|$)", re.DOTALL | re.IGNORECASE)
_XML_TOPIC = re.compile(r"<topic\b([^>]*)>(.*?)</topic>", re.DOTALL | re.IGNORECASE)
_XML_NUMBER = re.compile(r"""\bnumber\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_XML_QUERY = re.compile(r"<(query|title)>(.*?)</\1>", re.DOTALL | re.IGNORECASE)
_HEADER_IDS = {"qid", "query_id", "query-id", "topic", "topic_id", "id", "num", "number"}
_HEADER_QUERIES = {"query", "text", "title", "query_text", "query-text"}


def import_trec(
    db: Db,
    qrels: str | Path,
    *,
    topics: str | Path,
    dataset: str,
    documents: str | Path | None = None,
    scale: Scale | None = None,
    author: str | None = None,
) -> ImportSummary:
    """Import TREC qrels as `dataset`; the scale is `scale` or the qrels' min..max grade."""
    judged = _read_qrels(Path(qrels))
    grades = pd.to_numeric(judged.frame["relevance"]).astype("Int64")
    notes: tuple[str, ...] = ()
    if scale is None:
        scale = _inferred_scale(judged, grades)
        notes = (_scale_note(scale, grades),)
    labels = pd.DataFrame(
        {
            "query_id": judged.frame["qid"],
            "doc_id": judged.frame["docid"],
            "grade": grades,
            ROW: range(len(grades)),
        }
    )
    query_table, read_as = _read_topics(Path(topics))
    notes += read_as
    _check_topics_match(query_table, judged)
    queries = pd.DataFrame(
        {
            "query_id": query_table.frame["qid"],
            "query": query_table.frame["text"],
            "query_class": "",
            ROW: range(len(query_table.frame)),
        }
    )
    if documents is None:
        ids = labels["doc_id"].drop_duplicates()
        docs = pd.DataFrame(
            {
                "doc_id": ids,
                **{c: "" for c in ("title", "doc_class", "category", "description")},
                ROW: labels[ROW][ids.index],
            }
        ).reset_index(drop=True)
        doc_part = Part(judged, docs, {"doc_id": "docid"}, noun="document")
    else:
        doc_part = _read_documents(Path(documents))
    batch = ImportBatch(
        dataset=dataset,
        source=f"TREC qrels {Path(qrels).name}",
        scale=scale,
        queries=Part(
            query_table, queries, {"query_id": "qid", "query": "text"}, unique=True, noun="topic"
        ),
        documents=doc_part,
        labels=Part(
            judged,
            labels,
            {"query_id": "qid", "doc_id": "docid", "grade": "relevance"},
            noun="document",
        ),
        stub_documents=documents is None,
        author=author,
        notes=notes,
    )
    return import_batch(db, batch)


def _check_topics_match(topics: SourceTable, judged: SourceTable) -> None:
    """Blame the topics file when it shares no qid with the qrels: it was read in a form
    it is not in (a wrong topic is the qrels' fault only when others match)."""
    ids = topics.frame["qid"]
    if judged.frame["qid"].isin(set(ids)).any():
        return
    raise ImportFormatError(
        topics.path,
        f"none of its {len(ids)} topic ids (such as {excerpt(ids.iloc[0])}) is a qid of "
        f"{judged.path.name} (such as {excerpt(judged.frame['qid'].iloc[0])}): write the "
        "topics as qid<TAB>text, <top><num>..<title>..</top> or <topic number=..><query>..",
    )


def _inferred_scale(judged: SourceTable, grades: pd.Series) -> Scale:
    outside = first_row(~grades.isin(INFERRED_GRADES))
    if outside is not None:
        seen = ",".join(str(g) for g in sorted(grades.unique()))
        raise judged.error(
            outside,
            "relevance",
            f"grade {grades.iloc[outside]} is outside {INFERRED_GRADES.start}.."
            f"{INFERRED_GRADES.stop - 1}, the grades a scale is inferred from; if it is meant, "
            f"name the scale with --scale (e.g. --scale {seen})",
        )
    return Scale.numeric(0, int(grades.max()))


def _scale_note(scale: Scale, grades: pd.Series) -> str:
    """What the import inferred, in words: the scale, and why it starts at 0 when the qrels
    never say 0."""
    text = f"scale inferred from the qrels: {','.join(map(str, scale))}"
    if int(grades.min()) > 0:
        listed = "every grade is 1" if len(scale) == 2 else "no grade is 0"
        text += (
            f" ({listed}: the qrels list relevant documents only, as MS MARCO and BEIR do; a "
            "document they leave out is not relevant)"
        )
    return text + "; name another with --scale"


def _read_qrels(path: Path) -> SourceTable:
    table = read_fields(path, QRELS_COLUMNS)
    bad = first_row(~table.frame["relevance"].str.fullmatch(r"-?\d+"))
    if bad is not None:
        raise table.error(
            bad,
            "relevance",
            f"expected an integer grade, got {excerpt(table.frame['relevance'].iloc[bad])}",
        )
    return table


def _read_topics(path: Path) -> tuple[SourceTable, tuple[str, ...]]:
    """The topics, and what the import says about how it read them (a TSV's columns)."""
    numbered = text_lines(path)
    text = "\n".join(line for _, line in numbered)
    lowered = text.lower()
    if "<topic" in lowered and "<top>" not in lowered:
        return _read_xml_topics(path, text), ()
    if "<top>" in lowered:
        return _read_classic_topics(path, text), ()
    return _read_tsv_topics(path, [(n, line) for n, line in numbered if line.strip()])


def _read_tsv_topics(
    path: Path, numbered: list[tuple[int, str]]
) -> tuple[SourceTable, tuple[str, ...]]:
    """2 or 3 tab-separated columns, read by the header when there is one (see the module
    docstring); every line must have the columns the first line has. With 3 columns, the
    import says which it took as the query."""
    if not numbered:  # the one "no rows" error every importer gives
        return line_table(path, [], [], ("qid", "text")), ()
    first_line, first = numbered[0][0], numbered[0][1].split("\t")
    width = len(first)
    if width > 3:
        raise ImportFormatError(
            path,
            f"expected 2 tab-separated columns (qid, query) or 3 (qid, query, description), "
            f"found {width}",
            line=first_line,
        )
    has_header = first[0].strip().lower() in _HEADER_IDS
    query_at = _query_column(path, first, first_line) if has_header else 1
    rows: list[list[str]] = []
    lines: list[int] = []
    for number, line in numbered[1:] if has_header else numbered:
        fields = line.split("\t")
        if len(fields) == 1:
            raise ImportFormatError(path, "expected qid<TAB>query text, found no tab", line=number)
        if len(fields) != width:
            raise ImportFormatError(
                path,
                f"expected {width} tab-separated columns as on line {first_line}, found "
                f"{len(fields)}",
                line=number,
            )
        rows.append([fields[0].strip(), fields[query_at].strip()])
        lines.append(number)
    table = line_table(path, rows, lines, ("qid", "text"))
    if width == 2:
        return table, ()
    columns = [c.strip() for c in first] if has_header else ["qid", "query", "description"]
    kept = [c for i, c in enumerate(columns) if i not in (0, query_at)]
    said = "its header" if has_header else "3 columns without a header, as BEIR writes them"
    return table, (
        f"{path.name} read by {said}: query text from column {columns[query_at]!r}, "
        f"column {kept[0]!r} left out",
    )


def _query_column(path: Path, header: list[str], line: int) -> int:
    """The position of the query text in a topics header: 'query', 'text' or 'title'."""
    names = [name.strip().lower() for name in header]
    for position, name in enumerate(names[1:], start=1):
        if name in _HEADER_QUERIES:
            return position
    if len(names) == 2:
        return 1
    raise ImportFormatError(
        path,
        f"the header {' / '.join(header)} names no query column: call it query, text or title "
        "(a description column is not the query text)",
        line=line,
    )


def _read_xml_topics(path: Path, text: str) -> SourceTable:
    rows, lines = [], []
    for block in _XML_TOPIC.finditer(text):
        line = text.count("\n", 0, block.start()) + 1
        number, query = _XML_NUMBER.search(block.group(1)), _XML_QUERY.search(block.group(2))
        if number is None:
            raise ImportFormatError(path, "topic without a number attribute", line=line)
        if query is None:
            raise ImportFormatError(path, "topic without <query> or <title>", line=line)
        qid = number.group(1) if number.group(1) is not None else number.group(2)
        rows.append([qid.strip(), " ".join(html.unescape(query.group(2)).split())])
        lines.append(line)
    if not rows:
        raise ImportFormatError(path, "no <topic number=...> ... </topic> topic found")
    return line_table(path, rows, lines, ("qid", "text"))


def _read_classic_topics(path: Path, text: str) -> SourceTable:
    rows, lines = [], []
    for block in _TOP.finditer(text):
        line = text.count("\n", 0, block.start()) + 1
        num, title = _NUM.search(block.group(1)), _TITLE.search(block.group(1))
        if num is None or title is None:
            tag = "<num>" if num is None else "<title>"
            raise ImportFormatError(path, f"topic without {tag}", line=line, column=tag)
        rows.append([num.group(1), " ".join(title.group(1).split())])
        lines.append(line)
    if not rows:
        raise ImportFormatError(path, "no <top> ... </top> topic found")
    return line_table(path, rows, lines, ("qid", "text"))


def _read_documents(path: Path) -> Part:
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        records, lines = read_jsonl(path)
        rows = []
        for record, line in zip(records, lines):
            docid = record.get("docid", record.get("doc_id"))
            if docid is None or "text" not in record:
                raise ImportFormatError(path, "expected keys docid (or doc_id) and text", line=line)
            rows.append(
                [as_text(docid).strip(), as_text(record.get("title")), as_text(record["text"])]
            )
    else:
        rows, lines = [], []
        for number, text in text_lines(path):
            if not text.strip():
                continue
            docid, tab, body = text.partition("\t")
            if not tab:
                raise ImportFormatError(path, "expected docid<TAB>text, found no tab", line=number)
            rows.append([docid.strip(), "", body])
            lines.append(number)
    table = line_table(path, rows, lines, ("docid", "title", "text"))
    frame = table.frame
    docs = pd.DataFrame(
        {
            "doc_id": frame["docid"],
            "title": frame["title"],
            "doc_class": "",
            "category": "",
            "description": frame["text"],
            ROW: range(len(frame)),
        }
    )
    return Part(
        table, docs, {"doc_id": "docid", "description": "text"}, unique=True, noun="document"
    )
