"""Read an Isso database (SQLite: tables ``threads`` and ``comments``) as import records.

The file is opened read-only and rows are streamed from the cursor in id order, never
fetched all at once. Reading holds SQLite's shared lock, so a running Isso's writes wait
until it is done (Isso gives up after 5 seconds): import a copy, or stop Isso first.

Threads
    Isso keys a thread by ``threads.uri``, the page path its client sent (by default
    ``location.pathname``, as our widget does), so the key is that uri unchanged. Isso keeps
    no full URL; the title is carried over. Only threads with comments are read, as our
    threads are created with their first comment. A thread with an empty uri is a bad
    record, and so is each of its comments.

Comments
    ``source_key`` is ``"isso:<id>"``; ``parent`` names the parent (Isso nests one level
    deep, which is kept). ``text`` is Markdown (``body_format="markdown"``). Author,
    e-mail and website are carried over; likes and dislikes too; ``modified`` becomes the
    edit time (an unreadable one is dropped, the comment kept). ``remote_addr``, ``voters``
    and ``notification`` are not read. A missing or unreadable ``created`` time, or a
    ``tid`` with no thread, is a bad record.

Status (``mode``): 1 approved, 2 pending, 4 deleted (Isso blanks the text and author of a
deleted comment that has replies). Any other value holds the comment as pending.
"""

from __future__ import annotations

import math
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from comments.models import CommentStatus
from comments.porting.records import BadRecord, CommentRecord, RecordStream, ThreadRecord
from comments.porting.xmlstream import SourceError

SOURCE = "isso"
_MODES = {1: CommentStatus.APPROVED, 2: CommentStatus.PENDING, 4: CommentStatus.DELETED}
MAX_KEY_LENGTH = 1024  # as comments.services.inputs.MAX_URI_LENGTH

_THREADS = """
    SELECT id, uri, title FROM threads
    WHERE EXISTS (SELECT 1 FROM comments WHERE comments.tid = threads.id)
    ORDER BY id
"""
_COMMENTS = """
    SELECT id, tid, parent, created, modified, mode, text, author, email, website,
           likes, dislikes
    FROM comments ORDER BY id
"""


def read(path: Path) -> RecordStream:
    """Yield a record for every commented thread, then every comment, in Isso's ``path``.

    Raises :class:`~comments.porting.xmlstream.SourceError` if the file cannot be opened or
    read as an Isso database (missing, not SQLite, other tables, damaged).
    """
    name = path.name
    try:
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise SourceError(name, f"cannot open the Isso database: {exc}") from None
    try:
        yield from _read(conn, name)
    except sqlite3.Error as exc:
        # Not SQLite, not Isso's schema, or damaged: nothing more can be read from it.
        raise SourceError(name, f"cannot read the Isso database: {exc}") from None
    finally:
        conn.close()


def _read(conn: sqlite3.Connection, name: str) -> RecordStream:
    thread_ids: set[int] = set()
    bad_thread_ids: set[int] = set()
    for thread_id, uri, title in conn.execute(_THREADS):
        location = f"{name}:threads#{thread_id}"
        key = uri.strip() if isinstance(uri, str) else ""
        if not key or len(key) > MAX_KEY_LENGTH or any(ord(ch) < 32 for ch in key):
            bad_thread_ids.add(thread_id)
            yield BadRecord(location, f"thread {thread_id} has no usable uri ({uri!r})")
            continue
        thread_ids.add(thread_id)
        yield ThreadRecord(
            source_id=str(thread_id),
            key=key,
            location=location,
            title=title.strip() if isinstance(title, str) else "",
        )
    for row in conn.execute(_COMMENTS):
        yield _comment(row, name, thread_ids, bad_thread_ids)


def _comment(
    row: tuple[Any, ...], name: str, thread_ids: set[int], bad_thread_ids: set[int]
) -> CommentRecord | BadRecord:
    (comment_id, tid, parent, created, modified, mode, text, author, email, website) = row[:10]
    likes, dislikes = row[10:]
    location = f"{name}:comments#{comment_id}"
    if tid in bad_thread_ids:
        return BadRecord(location, f"comment {comment_id}: its thread {tid} could not be read")
    if tid not in thread_ids:
        return BadRecord(
            location, f"comment {comment_id} belongs to thread {tid!r}, which is missing"
        )
    created_at = _time(created)
    if created_at is None:
        return BadRecord(location, f"comment {comment_id} has an unreadable time {created!r}")
    return CommentRecord(
        source_key=f"{SOURCE}:{comment_id}",
        thread_source_id=str(tid),
        location=location,
        body=_text(text),
        body_format="markdown",
        created_at=created_at,
        status=_MODES.get(mode, CommentStatus.PENDING),
        parent_source_key=f"{SOURCE}:{parent}" if isinstance(parent, int) else None,
        author_name=_text(author).strip(),
        author_email=_text(email).strip(),
        author_url=_text(website).strip(),
        edited_at=_time(modified),
        likes=_count(likes),
        dislikes=_count(dislikes),
    )


def _time(value: object) -> datetime | None:
    """Isso's times are seconds since the epoch, as REAL."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _count(value: object) -> int:
    return value if isinstance(value, int) and value > 0 else 0
