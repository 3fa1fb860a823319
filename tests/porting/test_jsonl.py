"""Our export format: what the writer writes the reader reads back, the header and its
version, bad lines reported with their location, and reading line by line."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comments.models import CommentStatus
from comments.porting import jsonl
from comments.porting.records import NOT_GIVEN, BadRecord, CommentRecord, ThreadRecord

DATA = Path(__file__).parent / "data"
DOC = Path(__file__).parents[2] / "docs" / "export-format.md"
HEADER = {"format": "comments-export", "version": 1, "site": {"slug": "s", "name": "S"}}


def lines(*objects: Any, header: dict[str, Any] | None = None) -> bytes:
    head = HEADER if header is None else header
    return b"".join(
        (o if isinstance(o, bytes) else json.dumps(o).encode()) + b"\n" for o in (head, *objects)
    )


def read_all(data: bytes, name: str = "e.jsonl") -> list[Any]:
    return list(jsonl.read(io.BytesIO(data), name))


COMMENT = {
    "type": "comment",
    "source_key": "comments:abc:1",
    "thread": "/a",
    "status": "approved",
    "created_at": "2026-01-02T03:04:05.123456Z",
    "body": "Hi",
}


# --- writing and reading back ------------------------------------------------------------------

texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
moments = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
comments = st.builds(
    CommentRecord,
    source_key=texts.filter(str.strip),
    thread_source_id=texts,
    location=st.just("x"),
    body=texts,
    body_format=st.sampled_from(["markdown", "html", "text"]),
    created_at=moments,
    status=st.sampled_from(list(CommentStatus)),
    parent_source_key=st.none() | texts.filter(bool),
    author_name=texts,
    author_email=texts,
    author_url=texts,
    edited_at=st.none() | moments,
    likes=st.integers(0, 2**31 - 1),
    dislikes=st.integers(0, 2**31 - 1),
    html=texts,
    author_avatar=texts,
    author_key=texts,
    decided_at=st.none() | moments | st.just(NOT_GIVEN),
    flagged=st.booleans(),
    moderation_reasons=st.lists(st.tuples(texts, texts), max_size=3).map(tuple),
)
threads = st.builds(
    ThreadRecord,
    source_id=st.just(""),
    key=texts.filter(str.strip),
    location=st.just("x"),
    title=texts,
    url=texts,
    locked=st.booleans(),
    created_at=st.none() | moments,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(threads | comments, max_size=6))
def test_what_the_writer_writes_the_reader_reads(records: list[Any]) -> None:
    out = io.BytesIO()
    writer = jsonl.Writer(out)
    writer.header("s", "S", datetime(2026, 1, 1, tzinfo=UTC))
    for record in records:
        if isinstance(record, ThreadRecord):
            writer.thread(record, 7)
        else:
            writer.comment(record, 9)
    data = out.getvalue()
    assert data.count(b"\n") == len(records) + 1  # one line each, whatever the text holds
    back = read_all(data)
    expected = [
        dataclasses.replace(record, source_id=record.key, location=f"e.jsonl:{number}")
        if isinstance(record, ThreadRecord)
        else dataclasses.replace(record, location=f"e.jsonl:{number}")
        for number, record in enumerate(records, start=2)
    ]
    assert back == expected


def test_times_are_written_in_utc_with_microseconds() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert jsonl.timestamp(datetime(2026, 3, 1, 1, 2, 3, tzinfo=plus_two)) == (
        "2026-02-28T23:02:03.000000Z"
    )
    with pytest.raises(ValueError):
        jsonl.timestamp(datetime(2026, 3, 1))


def test_times_with_an_offset_are_read_as_utc() -> None:
    (record,) = read_all(lines({**COMMENT, "created_at": "2026-01-02T05:04:05+02:00"}))
    assert record.created_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_a_missing_decision_time_differs_from_a_null_one() -> None:
    given, none, absent = read_all(
        lines(
            {**COMMENT, "decided_at": "2026-01-03T00:00:00Z"},
            {**COMMENT, "decided_at": None},
            COMMENT,
        )
    )
    assert given.decided_at == datetime(2026, 1, 3, tzinfo=UTC)
    assert none.decided_at is None
    assert absent.decided_at is NOT_GIVEN


# --- the header --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "e.jsonl is not a comments export: it is empty."),
        (b"\n\n", "e.jsonl is not a comments export: it is empty."),
        (
            b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\n\x00\x00",
            "e.jsonl is not a comments export: its first line is not the export header.",
        ),
        (
            lines(COMMENT, header={"format": "something-else", "version": 1}),
            "e.jsonl is not a comments export: its first line is not the export header.",
        ),
        (
            b"[1, 2]\n",
            "e.jsonl is not a comments export: its first line is not the export header.",
        ),
        (
            lines(header={"format": "comments-export", "version": "1"}),
            "e.jsonl: the export header has no valid version ('1').",
        ),
        (
            lines(COMMENT, header={"format": "comments-export", "version": 2}),
            "e.jsonl is in export format version 2; this version of comments reads version 1."
            " Upgrade comments to import it.",
        ),
    ],
)
def test_a_file_that_is_not_an_export_we_read_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(jsonl.FormatError) as caught:
        read_all(data)
    assert str(caught.value) == message


def test_the_header_may_start_with_a_byte_order_mark_and_grow_new_fields() -> None:
    header = json.dumps({**HEADER, "generator": "a later version"}).encode()
    records = read_all(b"\xef\xbb\xbf" + header + b"\n" + json.dumps(COMMENT).encode() + b"\n")
    assert [r.source_key for r in records] == ["comments:abc:1"]


# --- bad lines ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (b'{"type": "comment", ', "not valid JSON: Expecting property name enclosed in double"),
        (b"\xff\xfe{}", "not UTF-8 text (invalid start byte at byte 0)"),
        (b'{"type": "comment", "likes": NaN}', "not valid JSON: NaN is not a JSON number"),
        (b"[" * 100_000, "not valid JSON"),
        (b'"just a string"', "not a JSON object"),
        (b"{}", '"type" is missing'),
        (b'{"type": "vote"}', "unknown record type 'vote'"),
        (json.dumps({**COMMENT, "status": "published"}).encode(), "unknown status 'published'"),
        (json.dumps({**COMMENT, "body": None}).encode(), '"body" must be a string, not null'),
        (json.dumps({**COMMENT, "likes": -1}).encode(), '"likes" must be a whole number'),
        (json.dumps({**COMMENT, "likes": True}).encode(), '"likes" must be a whole number'),
        (json.dumps({**COMMENT, "flagged": "yes"}).encode(), '"flagged" must be true or false'),
        (
            json.dumps({**COMMENT, "created_at": "2026-01-02 03:04"}).encode(),
            '"created_at" has no time zone (use Z for UTC)',
        ),
        (
            json.dumps({**COMMENT, "created_at": "yesterday"}).encode(),
            "\"created_at\" is not an RFC 3339 time: 'yesterday'",
        ),
        (json.dumps({**COMMENT, "created_at": None}).encode(), '"created_at" is null'),
        (
            json.dumps({k: v for k, v in COMMENT.items() if k != "thread"}).encode(),
            '"thread" is missing',
        ),
        (json.dumps({**COMMENT, "source_key": " "}).encode(), '"source_key" is empty'),
        (json.dumps({**COMMENT, "parent": 3}).encode(), '"parent" must be a string or null'),
        (json.dumps({**COMMENT, "body_format": "rtf"}).encode(), "unknown body_format 'rtf'"),
        (
            json.dumps({**COMMENT, "moderation_reasons": [{"code": 1}]}).encode(),
            'each of "moderation_reasons" must be an object with a "code" and a "text"',
        ),
        (b'{"type": "thread", "key": ""}', '"key" is empty'),
        (b'{"type": "thread", "key": "/a", "locked": 1}', '"locked" must be true or false'),
    ],
)
def test_a_bad_line_is_a_bad_record_with_its_location(line: bytes, problem: str) -> None:
    records = read_all(lines(COMMENT, line, {**COMMENT, "source_key": "after"}), "dump.jsonl")
    assert [type(r) for r in records] == [CommentRecord, BadRecord, CommentRecord]
    bad = records[1]
    assert bad.location == "dump.jsonl:3"
    assert bad.problem.startswith(problem), bad.problem
    assert records[2].source_key == "after"


def test_blank_lines_are_skipped_and_still_counted() -> None:
    records = read_all(lines(b"", COMMENT, b"   ", b"oops"))
    assert [r.location for r in records] == ["e.jsonl:3", "e.jsonl:5"]


def test_a_line_too_long_is_skipped_without_being_held(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonl, "MAX_LINE_BYTES", 200)
    long_line = json.dumps({**COMMENT, "body": "x" * 1000}).encode()
    records = read_all(lines(long_line, COMMENT))
    assert isinstance(records[0], BadRecord)
    assert records[0].problem == "the line is longer than 200 bytes"
    assert records[1].location == "e.jsonl:3"


# --- streaming ---------------------------------------------------------------------------------


class Watched(io.BytesIO):
    """A file that tells how far it has been read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.furthest = 0

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(size)
        self.furthest = self.tell()
        return line

    def read(self, size: int | None = -1) -> bytes:
        raise AssertionError("the reader must not read the whole file")


def test_the_reader_reads_one_line_per_record() -> None:
    body = [{**COMMENT, "source_key": f"k{i}", "body": "y" * 1000} for i in range(100)]
    data = lines(*body)
    source = Watched(data)
    stream = jsonl.read(source, "big.jsonl")
    first = next(stream)
    assert first.source_key == "k0"
    assert source.furthest < 2 * len(json.dumps(body[0]))
    next(stream)
    assert source.furthest < 3 * len(json.dumps(body[0]))


# --- the documentation and the samples ---------------------------------------------------------


def test_the_example_in_the_documentation_reads_without_a_problem() -> None:
    text = DOC.read_text(encoding="utf-8")
    example = re.search(r"```jsonl\n(.*?)```", text, re.S)
    assert example, "docs/export-format.md has a ```jsonl example"
    records = read_all(example.group(1).encode(), "doc")
    assert records and not [r for r in records if isinstance(r, BadRecord)]
    assert {type(r) for r in records} == {ThreadRecord, CommentRecord}


def test_every_field_the_writer_writes_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    record = CommentRecord(
        source_key="k",
        thread_source_id="/a",
        location="x",
        body="b",
        body_format="html",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        status=CommentStatus.APPROVED,
        decided_at=None,
    )
    written = {
        *jsonl.header_object("s", "S", datetime(2026, 1, 1, tzinfo=UTC)),
        *jsonl.thread_object(ThreadRecord("/a", "/a", "x")),
        *jsonl.comment_object(record),
    }
    undocumented = sorted(f for f in written if f"`{f}`" not in text)
    assert undocumented == []


@pytest.mark.parametrize("sample", sorted(p.name for p in DATA.glob("*.jsonl")))
def test_the_sample_files_read_as_described(sample: str) -> None:
    data = (DATA / sample).read_bytes()
    records = read_all(data, sample)
    bad = [r for r in records if isinstance(r, BadRecord)]
    if sample.startswith("bad-"):
        assert bad
    else:
        assert bad == [] and records
