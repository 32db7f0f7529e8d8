"""TREC qrels with a topics file (TSV or classic <top> format) and an optional documents file."""

from __future__ import annotations

import json

import pytest
from conftest import store_snapshot

import storage

QRELS = "301 0 FT911-3 2\n301 0 FT911-7 0\n\n302 0 FT911-3 1\n302 0 LA0101-9 3\n"
TOPICS_TSV = "301\tinternational organized crime\n302\tpoliomyelitis and post-polio\n"
TOPICS_CLASSIC = """<top>
<num> Number: 301
<title> International Organized Crime

<desc> Description:
Identify organizations that participate in international criminal activity.
</top>

<top>
<num> Number: 302
<title> Poliomyelitis and
  Post-Polio
<narr> Narrative:
Relevant documents discuss polio.
</top>
"""


@pytest.fixture
def files(tmp_path):
    paths = {}
    for name, text in {
        "qrels.txt": QRELS,
        "topics.tsv": TOPICS_TSV,
        "topics.txt": TOPICS_CLASSIC,
        "docs.tsv": "FT911-3\tcrime rings and polio\nFT911-7\tweather\nLA0101-9\tiron lung\n",
    }.items():
        paths[name] = tmp_path / name
        paths[name].write_text(text)
    paths["docs.jsonl"] = tmp_path / "docs.jsonl"
    paths["docs.jsonl"].write_text(
        "".join(
            json.dumps({"docid": d, "title": "t " + d, "text": d.lower()}) + "\n"
            for d in ("FT911-3", "FT911-7", "LA0101-9")
        )
    )
    return paths


def test_qrels_with_tsv_topics_infers_the_scale(db, files):
    summary = storage.importers.import_trec(
        db, files["qrels.txt"], topics=files["topics.tsv"], dataset="robust"
    )
    assert (summary.queries, summary.documents, summary.pairs, summary.label_events) == (2, 3, 4, 4)
    assert storage.dataset_scale(db, "robust") == storage.Scale.numeric(0, 3)
    with storage.connect(db) as con:
        assert con.execute(
            "SELECT title, description FROM documents WHERE doc_id = 'FT911-3'"
        ).fetchall() == [(None, None)]


def test_classic_topics_read_the_same_queries(db, files):
    storage.importers.import_trec(
        db, files["qrels.txt"], topics=files["topics.txt"], dataset="robust"
    )
    with storage.connect(db) as con:
        queries = con.execute("SELECT query_id, query FROM queries ORDER BY 1").fetchall()
    assert queries == [
        ("301", "International Organized Crime"),
        ("302", "Poliomyelitis and Post-Polio"),
    ]


@pytest.mark.parametrize("docs", ["docs.tsv", "docs.jsonl"])
def test_documents_file_fills_the_text(db, files, docs):
    storage.importers.import_trec(
        db,
        files["qrels.txt"],
        topics=files["topics.tsv"],
        documents=files[docs],
        dataset="robust",
        scale=storage.Scale.parse("0=no,1=some,2=yes,3=perfect"),
    )
    with storage.connect(db) as con:
        text = con.execute(
            "SELECT description FROM documents WHERE doc_id = 'LA0101-9'"
        ).fetchall()[0][0]
    assert text.lower() == "iron lung" or text == "la0101-9"
    assert storage.dataset_scale(db, "robust").names == ("no", "some", "yes", "perfect")


def test_documents_added_later_fill_the_stubs_and_reimport_is_idempotent(db, files):
    storage.importers.import_trec(
        db, files["qrels.txt"], topics=files["topics.tsv"], dataset="robust"
    )
    storage.importers.import_trec(
        db,
        files["qrels.txt"],
        topics=files["topics.tsv"],
        documents=files["docs.tsv"],
        dataset="robust",
    )
    before = store_snapshot(db)
    again = storage.importers.import_trec(
        db, files["qrels.txt"], topics=files["topics.tsv"], dataset="robust"
    )
    assert (again.new_pairs, again.label_events) == (0, 0)
    assert store_snapshot(db) == before  # stubs never overwrite stored text


BROKEN = [
    (
        "qrels.txt",
        "301 0 FT911-7 0\n",
        "301 0 FT911-7\n",
        "qrels.txt line 2: expected 4 fields (qid iteration docid relevance), got 3",
    ),
    (
        "qrels.txt",
        "301 0 FT911-7 0\n",
        "301 0 FT911-7 high\n",
        "qrels.txt line 2, column relevance: expected an integer grade, got 'high'",
    ),
    (
        "qrels.txt",
        "302 0 LA0101-9 3\n",
        "303 0 LA0101-9 3\n",
        "qrels.txt line 5, column qid: topic '303' is not in topics.tsv",
    ),
    (
        "qrels.txt",
        "302 0 LA0101-9 3\n",
        "301 0 FT911-3 1\n",
        "qrels.txt line 5, column relevance: the pair (query '301', document 'FT911-3') has grade 1 here but 2 on line 1",
    ),
    (
        "topics.tsv",
        "302\tpolio",
        "302 polio",
        "topics.tsv line 2: expected qid<TAB>query text, found no tab",
    ),
    (
        "topics.tsv",
        "302\tpolio",
        "301\tpolio",
        "topics.tsv line 2, column qid: duplicate qid '301' (first on line 1)",
    ),
]


@pytest.mark.parametrize("name, old, new, message", BROKEN)
def test_broken_files_name_file_line_column_and_change_nothing(db, files, name, old, new, message):
    storage.importers.import_trec(
        db, files["qrels.txt"], topics=files["topics.tsv"], dataset="robust"
    )
    before = store_snapshot(db)
    text = files[name].read_text()
    assert old in text
    files[name].write_text(text.replace(old, new, 1))
    with pytest.raises(storage.ImportFormatError) as caught:
        storage.importers.import_trec(
            db,
            files["qrels.txt"],
            topics=files["topics.tsv"],
            dataset="robust",
            scale=storage.Scale.numeric(0, 3),
        )
    assert str(caught.value) == message
    assert store_snapshot(db) == before


def test_grade_off_a_given_scale(db, files):
    with pytest.raises(storage.ImportFormatError) as caught:
        storage.importers.import_trec(
            db,
            files["qrels.txt"],
            topics=files["topics.tsv"],
            dataset="robust",
            scale=storage.Scale.numeric(0, 2),
        )
    assert (
        str(caught.value)
        == "qrels.txt line 5, column relevance: grade 3 is not on the scale (0=0, 1=1, 2=2)"
    )


def test_classic_topic_without_a_title(db, files):
    files["topics.txt"].write_text(
        TOPICS_CLASSIC.replace("<title> Poliomyelitis and", "<ttl> Poliomyelitis and")
    )
    with pytest.raises(storage.ImportFormatError) as caught:
        storage.importers.import_trec(
            db, files["qrels.txt"], topics=files["topics.txt"], dataset="robust"
        )
    assert str(caught.value) == "topics.txt line 9, column <title>: topic without <title>"


TOPIC_FORMS = {
    "closing tags": (
        "topics.txt",
        "<top>\n<num>301</num>\n<title>International Organized Crime</title>\n"
        "<desc>Identify organizations.</desc>\n</top>\n"
        "<top><num> Number: 302 </num><title>Poliomyelitis and\n  Post-Polio</title></top>\n",
    ),
    "xml": (
        "topics.xml",
        '<?xml version="1.0"?>\n<topics>\n  <topic number="301" type="faceted">\n'
        "    <query>international organized crime</query>\n"
        "    <description>Identify organizations.</description>\n  </topic>\n"
        "  <topic number='302'>\n    <title>poliomyelitis &amp; post-polio</title>\n"
        "  </topic>\n</topics>\n",
    ),
    "tsv with a header": ("topics.tsv", "qid\tquery\n301\tcrime\n302\tpolio\n"),
}
EXPECTED_QUERIES = {
    "closing tags": [
        ("301", "International Organized Crime"),
        ("302", "Poliomyelitis and Post-Polio"),
    ],
    "xml": [("301", "international organized crime"), ("302", "poliomyelitis & post-polio")],
    "tsv with a header": [("301", "crime"), ("302", "polio")],
}


@pytest.mark.parametrize("form", list(TOPIC_FORMS))
def test_topics_in_the_common_forms(db, files, tmp_path, form):
    name, text = TOPIC_FORMS[form]
    topics = tmp_path / name
    topics.write_text(text, encoding="utf-8")
    summary = storage.importers.import_trec(
        db, files["qrels.txt"], topics=topics, dataset="robust", author="assessor-7"
    )
    assert (summary.queries, summary.pairs) == (2, 4)
    with storage.connect(db) as con:
        assert (
            con.execute("SELECT query_id, query FROM queries ORDER BY query_id").fetchall()
            == EXPECTED_QUERIES[form]
        )
        authors = con.execute("SELECT DISTINCT author FROM label_events").fetchall()
    assert authors == [("assessor-7",)]


def test_topics_that_match_no_qrels_qid_blame_the_topics_file(db, files, tmp_path):
    topics = tmp_path / "topics.txt"
    topics.write_text("<top>\n<num>Number: 0</num>\n<title>x</title>\n</top>\n")
    before = store_snapshot(db)
    with pytest.raises(storage.ImportFormatError) as caught:
        storage.importers.import_trec(db, files["qrels.txt"], topics=topics, dataset="robust")
    assert str(caught.value) == (
        "topics.txt: none of its 1 topic ids (such as '0') is a qid of qrels.txt (such as "
        "'301'): write the topics as qid<TAB>text, <top><num>..<title>..</top> or "
        "<topic number=..><query>.."
    )
    assert store_snapshot(db) == before


def test_an_xml_topic_without_a_query_names_its_line(db, files, tmp_path):
    topics = tmp_path / "topics.xml"
    topics.write_text('<topics>\n<topic number="301">\n<narrative>n</narrative>\n</topic>\n')
    with pytest.raises(storage.ImportFormatError) as caught:
        storage.importers.import_trec(db, files["qrels.txt"], topics=topics, dataset="robust")
    assert str(caught.value) == "topics.xml line 2: topic without <query> or <title>"
