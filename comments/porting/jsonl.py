"""Our own export format: JSON Lines, a header line then one thread or comment per line.

docs/export-format.md describes every field. ``read`` streams a file line by line into
import records; ``Writer`` writes one. Both know only records, never the database.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, BinaryIO, Final

from comments.models import CommentStatus
from comments.porting.records import (
    NOT_GIVEN,
    BadRecord,
    BodyFormat,
    CommentRecord,
    NotGiven,
    Record,
    RecordStream,
    ThreadRecord,
)

FORMAT: Final = "comments-export"
# The major version: raised for any change an older reader would misread. Additions an older
# reader can ignore (a new optional field) keep it.
VERSION: Final = 1
# A line longer than this is a bad record (and is skipped without being held in memory).
MAX_LINE_BYTES: Final = 8 * 1024 * 1024

_BODY_FORMATS: Final = ("markdown", "html", "text")


class FormatError(ValueError):
    """The file is not an export this version can read; raised before any record."""


# --- writing -----------------------------------------------------------------------------------


def timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with microseconds: 2026-11-28T02:57:28.123456Z."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _optional_time(moment: datetime | None) -> str | None:
    return None if moment is None else timestamp(moment)


def header_object(site_slug: str, site_name: str, exported_at: datetime) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "site": {"slug": site_slug, "name": site_name},
        "exported_at": timestamp(exported_at),
    }


def thread_object(record: ThreadRecord, id: int | None = None) -> dict[str, Any]:
    """A thread's line; ``record.source_id`` is its key, which comments refer to."""
    return {
        "type": "thread",
        "id": id,
        "key": record.key,
        "title": record.title,
        "url": record.url,
        "locked": record.locked,
        "created_at": _optional_time(record.created_at),
    }


def comment_object(record: CommentRecord, id: int | None = None) -> dict[str, Any]:
    """A comment's line. Its body is Markdown (``body_format`` is written only otherwise)."""
    line: dict[str, Any] = {
        "type": "comment",
        "id": id,
        "source_key": record.source_key,
        "thread": record.thread_source_id,
        "parent": record.parent_source_key,
        "status": CommentStatus(record.status).value,
        "created_at": timestamp(record.created_at),
        "edited_at": _optional_time(record.edited_at),
        "decided_at": None,
        "author_name": record.author_name,
        "author_email": record.author_email,
        "author_url": record.author_url,
        "author_avatar": record.author_avatar,
        "author_key": record.author_key,
        "body_format": record.body_format,
        "body": record.body,
        "html": record.html,
        "likes": record.likes,
        "dislikes": record.dislikes,
        "flagged": record.flagged,
        "moderation_reasons": [{"code": c, "text": t} for c, t in record.moderation_reasons],
    }
    if isinstance(record.decided_at, NotGiven):
        del line["decided_at"]
    else:
        line["decided_at"] = _optional_time(record.decided_at)
    if record.body_format == "markdown":
        del line["body_format"]
    return line


def dumps(obj: Mapping[str, Any]) -> bytes:
    """One line of the file, UTF-8, ending in a newline."""
    try:
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return (text + "\n").encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: escaped, the line stays valid JSON
        return (json.dumps(obj, separators=(",", ":"), allow_nan=False) + "\n").encode("ascii")


class Writer:
    """Writes an export to a binary stream, one line at a time."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out

    def header(self, site_slug: str, site_name: str, exported_at: datetime) -> None:
        self.out.write(dumps(header_object(site_slug, site_name, exported_at)))

    def thread(self, record: ThreadRecord, id: int | None = None) -> None:
        self.out.write(dumps(thread_object(record, id)))

    def comment(self, record: CommentRecord, id: int | None = None) -> None:
        self.out.write(dumps(comment_object(record, id)))


# --- reading -----------------------------------------------------------------------------------


class _Bad(Exception):
    """The line is not a usable record; the message says why."""


def read(source: BinaryIO, name: str) -> RecordStream:
    """Records from an export, read line by line; a bad line is a BadRecord ("name:line").

    Raises FormatError (on the first ``next``) when the first line is not the header of a
    version this reader knows.
    """
    number = 0
    header_seen = False
    while True:
        line = source.readline(MAX_LINE_BYTES + 1)
        if not line:
            break
        number += 1
        location = f"{name}:{number}"
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            _skip_rest_of_line(source)
            if not header_seen:
                raise FormatError(f"{name} is not a comments export: its first line is too long.")
            yield BadRecord(location, f"the line is longer than {MAX_LINE_BYTES:,} bytes")
            continue
        if not line.strip():
            continue
        if not header_seen:
            _check_header(line, name)
            header_seen = True
            continue
        yield _record(line, location)
    if not header_seen:
        raise FormatError(f"{name} is not a comments export: it is empty.")


def _skip_rest_of_line(source: BinaryIO) -> None:
    while True:
        chunk = source.readline(MAX_LINE_BYTES)
        if not chunk or chunk.endswith(b"\n"):
            return


def _parse(line: bytes) -> Any:
    text = line.decode("utf-8").rstrip("\r\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    return json.loads(text, parse_constant=_no_constant)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _check_header(line: bytes, name: str) -> None:
    not_ours = f"{name} is not a comments export: its first line is not the export header."
    try:
        header = _parse(line)
    except (ValueError, RecursionError) as exc:
        raise FormatError(not_ours) from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise FormatError(not_ours)
    version = header.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise FormatError(f"{name}: the export header has no valid version ({version!r}).")
    if version > VERSION:
        raise FormatError(
            f"{name} is in export format version {version}; this version of comments reads "
            f"version {VERSION}. Upgrade comments to import it."
        )


def _record(line: bytes, location: str) -> Record:
    try:
        obj = _parse(line)
    except UnicodeDecodeError as exc:
        return BadRecord(location, f"not UTF-8 text ({exc.reason} at byte {exc.start})")
    except json.JSONDecodeError as exc:
        return BadRecord(location, f"not valid JSON: {exc.msg} (column {exc.colno})")
    except (ValueError, RecursionError) as exc:
        return BadRecord(location, f"not valid JSON: {exc}")
    if not isinstance(obj, dict):
        return BadRecord(location, "not a JSON object")
    fields = _Fields(obj)
    try:
        kind = fields.text("type")
        if kind == "thread":
            return _thread(fields, location)
        if kind == "comment":
            return _comment(fields, location)
        raise _Bad(f"unknown record type {kind!r}")
    except _Bad as exc:
        return BadRecord(location, str(exc))


def _thread(fields: _Fields, location: str) -> ThreadRecord:
    key = fields.text("key")
    if not key.strip():
        raise _Bad('"key" is empty')
    return ThreadRecord(
        source_id=key,
        key=key,
        location=location,
        title=fields.text("title", ""),
        url=fields.text("url", ""),
        locked=fields.flag("locked", False),
        created_at=fields.time("created_at", None),
    )


def _comment(fields: _Fields, location: str) -> CommentRecord:
    source_key = fields.text("source_key")
    if not source_key.strip():
        raise _Bad('"source_key" is empty')
    status = fields.text("status")
    try:
        known = CommentStatus(status)
    except ValueError:
        raise _Bad(f"unknown status {status!r}") from None
    body_format = fields.text("body_format", "markdown")
    if body_format not in _BODY_FORMATS:
        raise _Bad(f"unknown body_format {body_format!r}")
    created_at = fields.time("created_at")
    if created_at is None:
        raise _Bad('"created_at" is null')
    decided_at: datetime | NotGiven | None = NOT_GIVEN
    if "decided_at" in fields.obj:
        decided_at = fields.time("decided_at", None)
    parent = fields.optional_text("parent")
    return CommentRecord(
        source_key=source_key,
        thread_source_id=fields.text("thread"),
        location=location,
        body=fields.text("body"),
        body_format=_body_format(body_format),
        created_at=created_at,
        status=known,
        parent_source_key=parent or None,
        author_name=fields.text("author_name", ""),
        author_email=fields.text("author_email", ""),
        author_url=fields.text("author_url", ""),
        edited_at=fields.time("edited_at", None),
        likes=fields.count("likes"),
        dislikes=fields.count("dislikes"),
        html=fields.text("html", ""),
        author_avatar=fields.text("author_avatar", ""),
        author_key=fields.text("author_key", ""),
        decided_at=decided_at,
        flagged=fields.flag("flagged", False),
        moderation_reasons=fields.reasons("moderation_reasons"),
    )


def _body_format(value: str) -> BodyFormat:
    if value == "html":
        return "html"
    if value == "text":
        return "text"
    return "markdown"


_REQUIRED: Final = object()


class _Fields:
    """Typed access to one line's fields; a wrong type or a missing field raises _Bad."""

    def __init__(self, obj: dict[str, Any]) -> None:
        self.obj = obj

    def _get(self, name: str, default: Any) -> Any:
        if name in self.obj:
            return self.obj[name]
        if default is _REQUIRED:
            raise _Bad(f'"{name}" is missing')
        return default

    def text(self, name: str, default: Any = _REQUIRED) -> str:
        value = self._get(name, default)
        if not isinstance(value, str):
            raise _Bad(f'"{name}" must be a string, not {_kind(value)}')
        return value

    def optional_text(self, name: str) -> str | None:
        value = self._get(name, None)
        if value is not None and not isinstance(value, str):
            raise _Bad(f'"{name}" must be a string or null, not {_kind(value)}')
        return value

    def flag(self, name: str, default: Any = _REQUIRED) -> bool:
        value = self._get(name, default)
        if not isinstance(value, bool):
            raise _Bad(f'"{name}" must be true or false, not {_kind(value)}')
        return value

    def count(self, name: str) -> int:
        value = self._get(name, 0)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
            raise _Bad(f'"{name}" must be a whole number from 0 to 2147483647')
        return value

    def time(self, name: str, default: Any = _REQUIRED) -> datetime | None:
        value = self._get(name, default)
        if value is None:
            return None
        if not isinstance(value, str):
            raise _Bad(f'"{name}" must be an RFC 3339 time, not {_kind(value)}')
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise _Bad(f'"{name}" is not an RFC 3339 time: {value[:40]!r}') from None
        if moment.tzinfo is None:
            raise _Bad(f'"{name}" has no time zone (use Z for UTC): {value[:40]!r}')
        return moment.astimezone(UTC)

    def reasons(self, name: str) -> tuple[tuple[str, str], ...]:
        value = self._get(name, [])
        if not isinstance(value, list):
            raise _Bad(f'"{name}" must be a list, not {_kind(value)}')
        reasons = []
        for item in value:
            if not (
                isinstance(item, dict)
                and isinstance(item.get("code"), str)
                and isinstance(item.get("text"), str)
            ):
                raise _Bad(f'each of "{name}" must be an object with a "code" and a "text"')
            reasons.append((item["code"], item["text"]))
        return tuple(reasons)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return "a number" if math.isfinite(value) else "not a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"
