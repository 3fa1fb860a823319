"""What every import reader yields: threads, comments, and records it could not read."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterator
from datetime import datetime
from typing import Final, Literal

from comments.models import CommentStatus

# How a comment's text arrived: our importer re-sanitises each through our pipeline.
BodyFormat = Literal["html", "markdown", "text"]


class NotGiven(enum.Enum):
    """A field the source says nothing about (as opposed to an explicit empty value)."""

    NOT_GIVEN = "not given"


NOT_GIVEN: Final = NotGiven.NOT_GIVEN


@dataclasses.dataclass(frozen=True)
class ThreadRecord:
    """A page with comments. ``source_id`` is how the source's comments refer to it."""

    source_id: str
    key: str  # the thread key (normally the page's path or URL) comments are stored under
    location: str  # where in the source, for messages: "export.xml:1234"
    title: str = ""
    url: str = ""
    locked: bool = False
    # Optional; readers of other systems may leave it out: a new thread then dates from its
    # earliest imported comment.
    created_at: datetime | None = None


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
    # What our own export format carries besides; other readers may leave the defaults.
    # The source's own rendering: only a fallback when ``body`` cannot be rendered, and then
    # cleaned again.
    html: str = ""
    author_avatar: str = ""
    # A stable author identity ("sso:..." or "import:..."); derived from e-mail or name if empty.
    author_key: str = ""
    # When a moderator decided. NOT_GIVEN: the importer takes created_at for a comment that is
    # not pending (the source decided it); None: explicitly never decided.
    decided_at: datetime | NotGiven | None = NOT_GIVEN
    flagged: bool = False
    # Why automatic rules held or flagged it: (code, text) pairs.
    moderation_reasons: tuple[tuple[str, str], ...] = ()


@dataclasses.dataclass(frozen=True)
class BadRecord:
    """A record the reader could not use; reported with its location and skipped."""

    location: str
    problem: str


Record = ThreadRecord | CommentRecord | BadRecord
RecordStream = Iterator[Record]
