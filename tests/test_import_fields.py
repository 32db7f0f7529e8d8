"""The streaming reader of whitespace-separated files (TREC qrels and run files): read in
blocks, as `str.split()` splits a line, every error at its line whichever block it is in."""

from __future__ import annotations

import pytest

import storage
from storage.importers import _read

COLUMNS = ("qid", "Q0", "docid", "rank", "score", "tag")


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of a few lines, so that a short file crosses many block boundaries."""
    monkeypatch.setattr(_read, "_LINE_BLOCK_BYTES", 64)


def test_fields_across_blocks_keep_their_lines(tmp_path, small_blocks):
    lines = [f"{q} Q0 d{q}-{r} {r} {10 - r}.5 run" for q in range(1, 4) for r in range(1, 8)]
    lines[4] = lines[4].replace(" ", "\t  ")  # tabs and runs of spaces split as str.split
    lines[9] += "\r"  # a CRLF line
    text = "\ufeff" + "\n".join(lines[:10]) + "\n\n   \n" + "\n".join(lines[10:]) + "\n"
    path = tmp_path / "run.txt"
    path.write_text(text, encoding="utf-8", newline="")
    table = _read.read_fields(path, COLUMNS)
    expected = [line.split() for line in lines]
    assert table.frame.values.tolist() == expected
    # Two blank lines after line 10: the eleventh row is on line 13.
    assert [table.line_of(row) for row in (0, 9, 10, 20)] == [1, 10, 13, 23]


def test_a_short_line_in_a_later_block_is_named(tmp_path, small_blocks):
    rows = [f"1 Q0 d{i} {i} 1.0 run" for i in range(1, 40)]
    rows[30] = "1 Q0 d31 31 1.0"
    path = tmp_path / "run.txt"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(storage.ImportFormatError) as caught:
        _read.read_fields(path, COLUMNS)
    assert str(caught.value) == (
        "run.txt line 31: expected 6 fields (qid Q0 docid rank score tag), got 5"
    )


def test_a_unit_separator_is_refused_at_its_line(tmp_path):
    path = tmp_path / "run.txt"
    path.write_text("1 Q0 d1 1 1.0 run\n1 Q0 d2 2 1.0\x1frun\n")
    with pytest.raises(storage.ImportFormatError) as caught:
        _read.read_fields(path, COLUMNS)
    assert str(caught.value) == (
        "run.txt line 2: the line holds the control character U+001F; separate fields with "
        "spaces or tabs"
    )


def test_text_that_is_not_utf8_is_named_at_its_line(tmp_path):
    path = tmp_path / "run.txt"
    path.write_bytes(b"1 Q0 d1 1 1.0 run\n1 Q0 d\xe92 2 1.0 run\n")
    with pytest.raises(storage.ImportFormatError) as caught:
        _read.read_fields(path, COLUMNS)
    assert str(caught.value) == (
        "run.txt line 2: not UTF-8 text (byte 0xe9); save the file as UTF-8"
    )


@pytest.mark.parametrize("text", ["", "\n  \n"])
def test_empty_and_blank_files_have_no_rows(tmp_path, text):
    path = tmp_path / "run.txt"
    path.write_text(text)
    with pytest.raises(storage.ImportFormatError, match="run.txt: no rows"):
        _read.read_fields(path, COLUMNS)
