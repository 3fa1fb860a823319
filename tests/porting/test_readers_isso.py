"""The Isso reader: records from an Isso SQLite database built with Isso's own schema."""

from __future__ import annotations

import hashlib
import sqlite3
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest

from comments.models import CommentStatus
from comments.porting import isso
from comments.porting.records import BadRecord, CommentRecord, Record, ThreadRecord
from tests.porting.samples import build_isso_database, read_until_stopped


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return build_isso_database(tmp_path / "comments.db")


def threads(records: list[Record]) -> dict[str, ThreadRecord]:
    return {r.source_id: r for r in records if isinstance(r, ThreadRecord)}


def comments(records: list[Record]) -> dict[str, CommentRecord]:
    return {r.source_key: r for r in records if isinstance(r, CommentRecord)}


def bad(records: list[Record]) -> list[BadRecord]:
    return [r for r in records if isinstance(r, BadRecord)]


def test_threads_with_comments_are_read_keyed_by_their_uri(database: Path) -> None:
    records = list(isso.read(database))

    assert threads(records) == {
        "1": ThreadRecord("1", "/2019/05/hello-world/", "comments.db:threads#1", "Hello, world"),
        "2": ThreadRecord("2", "/about/", "comments.db:threads#2", ""),  # title NULL
        "5": ThreadRecord(
            "5", "/2019/06/caf%C3%A9-cr%C3%A8me/", "comments.db:threads#5", "Café & crème"
        ),
    }
    # Thread 4 has no comments; thread 3 has no uri (below).


def test_threads_come_first_then_comments_in_id_order(database: Path) -> None:
    records = [r for r in isso.read(database) if not isinstance(r, BadRecord)]
    kinds = [type(r).__name__ for r in records]

    assert kinds == ["ThreadRecord"] * 3 + ["CommentRecord"] * 9
    assert [r.source_key for r in records if isinstance(r, CommentRecord)] == [
        f"isso:{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 12)
    ]


def test_comments_carry_everything_isso_knows_but_the_address(database: Path) -> None:
    found = comments(list(isso.read(database)))

    assert found["isso:1"] == CommentRecord(
        source_key="isso:1",
        thread_source_id="1",
        location="comments.db:comments#1",
        body="First! **Lovely** write-up.",
        body_format="markdown",
        created_at=datetime(2019, 5, 1, 10, 15, tzinfo=UTC),
        status=CommentStatus.APPROVED,
        author_name="Ana Lima",
        author_email="ana@example.org",
        author_url="https://ana.example.org/",
        likes=3,
    )
    assert found["isso:2"] == CommentRecord(
        source_key="isso:2",
        thread_source_id="1",
        location="comments.db:comments#2",
        body="Second, edited later.",
        body_format="markdown",
        created_at=datetime(2019, 5, 1, 11, 0, 0, 250000, tzinfo=UTC),
        status=CommentStatus.APPROVED,
        parent_source_key="isso:1",
        author_name="Zoë Ångström",  # e-mail and website NULL
        edited_at=datetime(2019, 5, 1, 12, 0, 0, 500000, tzinfo=UTC),
        likes=1,
        dislikes=2,
    )
    assert found["isso:12"].body == "Short and\nsweet.\n\nTwo paragraphs."
    assert (found["isso:12"].author_name, found["isso:12"].author_email) == ("", "")
    assert "203.0.113.0" not in repr(found)


def test_statuses(database: Path) -> None:
    statuses = {key: c.status for key, c in comments(list(isso.read(database))).items()}

    assert statuses == {
        "isso:1": CommentStatus.APPROVED,
        "isso:2": CommentStatus.APPROVED,
        "isso:3": CommentStatus.PENDING,  # mode 2
        "isso:4": CommentStatus.DELETED,  # mode 4
        "isso:5": CommentStatus.APPROVED,  # a reply to the deleted comment
        "isso:6": CommentStatus.PENDING,  # mode 8: not Isso's
        "isso:7": CommentStatus.APPROVED,
        "isso:8": CommentStatus.APPROVED,
        "isso:12": CommentStatus.APPROVED,
    }


def test_a_deleted_comment_keeps_its_place_for_its_replies(database: Path) -> None:
    found = comments(list(isso.read(database)))

    assert (found["isso:4"].body, found["isso:4"].author_name) == ("", "")
    assert found["isso:5"].parent_source_key == "isso:4"


def test_markdown_and_entities_arrive_as_written_for_the_importer_to_render(
    database: Path,
) -> None:
    found = comments(list(isso.read(database)))

    assert found["isso:7"].body.startswith('Nice photo <img src="x" onerror=')
    assert found["isso:8"].body == (
        'Caf&eacute; &amp; cr&egrave;me &lt;script&gt;alert("entity")&lt;/script&gt;'
    )


def test_rows_that_cannot_be_used_are_reported_where_they_are(database: Path) -> None:
    assert bad(list(isso.read(database))) == [
        BadRecord("comments.db:threads#3", "thread 3 has no usable uri ('')"),
        BadRecord("comments.db:comments#9", "comment 9 has an unreadable time 'yesterday'"),
        BadRecord("comments.db:comments#10", "comment 10 belongs to thread 99, which is missing"),
        BadRecord("comments.db:comments#11", "comment 11: its thread 3 could not be read"),
    ]


@pytest.mark.parametrize(
    ("created", "modified", "readable"),
    [
        (0, None, True),
        (1e300, None, False),
        (float("inf"), None, False),
        ("", None, False),
        (b"\x00", None, False),
        (1556705700, "later", True),  # an unreadable edit time is dropped, not the comment
    ],
)
def test_odd_times(database: Path, created: object, modified: object, readable: bool) -> None:
    conn = sqlite3.connect(database)
    with conn:
        conn.execute(
            "UPDATE comments SET created = ?, modified = ? WHERE id = 1", (created, modified)
        )
    conn.close()

    records = list(isso.read(database))
    first = next(r for r in records if r.location == "comments.db:comments#1")

    assert isinstance(first, CommentRecord) is readable
    if isinstance(first, CommentRecord):
        assert first.edited_at is None


def test_reading_writes_nothing(database: Path) -> None:
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    listing = sorted(p.name for p in database.parent.iterdir())

    list(isso.read(database))

    assert hashlib.sha256(database.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in database.parent.iterdir()) == listing


def test_a_path_with_uri_characters_is_opened(tmp_path: Path) -> None:
    folder = tmp_path / "a dir?with#odd%chars"
    folder.mkdir()
    path = build_isso_database(folder / "isso db.sqlite")

    records = list(isso.read(path))

    assert len(threads(records)) == 3
    assert records[0].location == "isso db.sqlite:threads#1"


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    records, error = read_until_stopped(isso.read(tmp_path / "nope.db"))

    assert records == []
    assert str(error) == "nope.db: cannot open the Isso database: unable to open database file."
    assert not (tmp_path / "nope.db").exists()


def test_a_file_that_is_not_sqlite_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    path.write_text('<?xml version="1.0"?><disqus/>')

    records, error = read_until_stopped(isso.read(path))

    assert records == []
    assert str(error) == "export.xml: cannot read the Isso database: file is not a database."


def test_a_sqlite_database_that_is_not_isso_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text VARCHAR)")
    conn.close()

    records, error = read_until_stopped(isso.read(path))

    assert records == []
    assert str(error) == "other.db: cannot read the Isso database: no such table: threads."


@pytest.mark.slow
def test_a_large_database_is_read_in_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.db"
    schema = build_isso_database(tmp_path / "schema.db")
    conn = sqlite3.connect(path)
    conn.executescript(
        "".join(
            row[0] + ";\n"
            for row in sqlite3.connect(schema).execute(
                "SELECT sql FROM sqlite_master WHERE type = 'table'"
            )
        )
    )
    text = "All work and no play makes Jack a dull boy. " * 48
    with conn:
        conn.executemany(
            "INSERT INTO threads (id, uri, title) VALUES (?, ?, ?)",
            ((t, f"/p/{t}/", f"Page {t}") for t in range(1, 101)),
        )
        conn.executemany(
            "INSERT INTO comments (tid, id, parent, created, mode, remote_addr, text, author,"
            " email, website, voters) VALUES (?, ?, ?, ?, 1, '203.0.113.0', ?, 'A Reader',"
            " 'reader@example.org', NULL, X'00')",
            ((n % 100 + 1, n, None if n % 2 else n - 1, 1.6e9 + n, text) for n in range(1, 14_001)),
        )
    conn.close()
    size = path.stat().st_size
    assert size > 30_000_000

    counts = {ThreadRecord: 0, CommentRecord: 0, BadRecord: 0}
    tracemalloc.start()
    try:
        for record in isso.read(path):
            counts[type(record)] += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert counts == {ThreadRecord: 100, CommentRecord: 14_000, BadRecord: 0}
    assert peak < 4_000_000, f"peak {peak:,} bytes for a {size:,}-byte database"
