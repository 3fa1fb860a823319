"""What every import reader yields: threads, comments, and records it could not read."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime
from typing import Literal

from comments.models import CommentStatus

# How a comment's text arrived: our importer re-sanitises each through our pipeline.
BodyFormat = Literal["html", "markdown", "text"]


@dataclasses.dataclass(frozen=True)
class ThreadRecord:
    """A page with comments. ``source_id`` is how the source's comments refer to it."""

    source_id: str
    key: str  # the thread key (normally the page's path or URL) comments are stored under
    location: str  # where in the source, for messages: "export.xml:1234"
    title: str = ""
    url: str = ""
    locked: bool = False


@dataclasses.dataclass(frozen=True)
class CommentRecord:
    """One comment. ``source_key`` is unique within its source ("disqus:123")."""

    source_key: str
    thread_source_id: str
    location: str
    body: str
    body_format: BodyFormat
    created_at: datetime  # timezone-aware
    status: CommentStatus
    parent_source_key: str | None = None
    author_name: str = ""
    author_email: str = ""
    author_url: str = ""
    edited_at: datetime | None = None
    likes: int = 0
    dislikes: int = 0


@dataclasses.dataclass(frozen=True)
class BadRecord:
    """A record the reader could not use; reported with its location and skipped."""

    location: str
    problem: str


Record = ThreadRecord | CommentRecord | BadRecord
RecordStream = Iterator[Record]
