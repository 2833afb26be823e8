"""Reading a batch file: every non-blank line is a question or a clear error, never a crash."""

from __future__ import annotations

import codecs
import json

import pytest

from rag.batch import BatchLine, decode, parse_line, read_batch

GOOD = '{"id": "q1", "question": "Who chaired the Bangkok workshop?"}'


def test_a_well_formed_line_gives_its_id_and_question():
    assert parse_line(GOOD, 3) == BatchLine(3, "q1", "Who chaired the Bangkok workshop?")


@pytest.mark.parametrize(("line", "problem", "fix"), [
    ('{"id": 1, "question": 42}', "must be a string, got a number", "quotes"),
    ('{"id": 1, "question": ["a", "b"]}', "must be a string, got a list", "quotes"),
    ('{"id": 1, "question": {"text": "a"}}', "must be a string, got an object", "quotes"),
    ('{"id": 1, "question": "\\ud800"}', "lone surrogate", "fix or remove"),
    ('{"id": "\\ud800", "question": "Who?"}', "'id' must be", "plain id"),
    ('{"id": [1], "question": "Who?"}', "'id' must be", "plain id"),
    ('{"id": 1}', "no 'question'", "one JSON object a line"),
    ('["Who chaired?"]', "expected a JSON object, got a list", "one JSON object a line"),
    ('"Who chaired?"', "expected a JSON object, got a string", "one JSON object a line"),
    ('{"id": 1, "question": "Who?"', "not valid JSON", "one JSON object a line"),
    ('{"id": NaN, "question": "Who?"}', "NaN is not a JSON number", "one JSON object a line"),
    ("[" * 100_000, "nested too deeply", "one JSON object a line"),
    ("{\x00\"\x00i\x00d\x00", "NUL bytes", "save the file as UTF-8"),
    ('{"id": 1, "question": "caf\udce9"}', "not valid UTF-8", "save the file as UTF-8"),
])
def test_a_malformed_line_becomes_an_error_naming_the_problem_and_the_fix(line, problem, fix):
    item = parse_line(line, 7)
    assert item.question is None
    assert problem in item.error
    assert fix in item.error
    record = item.error_record()
    assert record["line"] == 7
    assert set(record) == {"id", "line", "error"}
    json.dumps(record)  # printable as JSON


def test_an_error_after_the_id_keeps_the_id_so_the_output_can_be_matched():
    assert parse_line('{"id": "q9", "question": 3}', 1).id == "q9"


@pytest.mark.parametrize(("bom", "encoding"), [
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
])
def test_a_byte_order_mark_decides_the_encoding_and_is_not_part_of_line_one(bom, encoding):
    text = GOOD.replace("Bangkok", "São Tomé") + "\n"
    assert decode(bom + text.encode(encoding)) == (text, encoding)


def test_a_file_without_a_mark_is_read_as_utf8():
    assert decode("Genève".encode()) == ("Genève", "utf-8")


def test_a_utf16_file_from_windows_is_read_line_by_line(tmp_path):
    path = tmp_path / "batch.jsonl"
    path.write_text(f"{GOOD}\n\n{{broken\n{GOOD}\n", encoding="utf-16", newline="\r\n")
    items = read_batch(path)
    assert [i.number for i in items] == [1, 3, 4]
    assert [i.question is not None for i in items] == [True, False, True]


def test_bad_bytes_fail_only_their_own_line(tmp_path):
    path = tmp_path / "batch.jsonl"
    path.write_bytes(GOOD.encode() + b'\n{"id": 2, "question": "caf\xe9"}\n' + GOOD.encode())
    items = read_batch(path)
    assert [i.error is None for i in items] == [True, False, True]
    assert "not valid UTF-8" in items[1].error


def test_a_line_separator_inside_a_json_string_does_not_split_the_line(tmp_path):
    path = tmp_path / "batch.jsonl"
    path.write_text('{"id": 1, "question": "Who\u2028chaired?"}\n', encoding="utf-8")
    assert [i.question for i in read_batch(path)] == ["Who\u2028chaired?"]
