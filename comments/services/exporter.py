"""Exporting: a site's threads and comments, streamed in batches as records or JSON Lines.

Threads come first, then comments by thread and id, so a parent always comes before its
replies. Nothing is loaded whole: each batch is one keyset-paginated query. The export reads
one snapshot of the database (a single read transaction; REPEATABLE READ on PostgreSQL), so
a comment posted meanwhile is either in it with its parent or not at all.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import select, tuple_
from sqlalchemy.orm import aliased

from comments.extensions import db
from comments.models import Comment, Site, Thread, utcnow
from comments.porting import jsonl
from comments.porting.records import CommentRecord, ThreadRecord
from comments.services import sites
from comments.services.importer import (
    AUTHOR_KEY_PREFIXES,
    derived_author_key,
    native_source_key,
)

THREAD_BATCH = 500
COMMENT_BATCH = 1000


@dataclasses.dataclass
class ExportSummary:
    threads: int = 0
    comments: int = 0


def export_records(site: Site) -> Iterator[tuple[ThreadRecord | CommentRecord, int]]:
    """Every thread then every comment of ``site`` as (record, our id), read in batches."""
    yield from _threads(site)
    yield from _comments(site)


def write_export(site_slug: str, out: BinaryIO, *, now: datetime | None = None) -> ExportSummary:
    """Write the site's export (docs/export-format.md) to ``out``. Raises NotFound.

    Reads only; the caller owns ``out``.
    """
    # One read transaction for the whole export: a consistent snapshot.
    db.session.commit()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    try:
        site = sites.get_site(site_slug)
        writer = jsonl.Writer(out)
        writer.header(site.slug, site.name, now or utcnow())
        summary = ExportSummary()
        for record, our_id in export_records(site):
            if isinstance(record, ThreadRecord):
                writer.thread(record, our_id)
                summary.threads += 1
            else:
                writer.comment(record, our_id)
                summary.comments += 1
        return summary
    finally:
        db.session.rollback()


def _threads(site: Site) -> Iterator[tuple[ThreadRecord, int]]:
    last = 0
    while True:
        rows = db.session.execute(
            select(
                Thread.id, Thread.key, Thread.title, Thread.url, Thread.locked, Thread.created_at
            )
            .where(Thread.site_id == site.id, Thread.id > last)
            .order_by(Thread.id)
            .limit(THREAD_BATCH)
        ).all()
        for thread_id, key, title, url, locked, created_at in rows:
            record = ThreadRecord(
                source_id=key,
                key=key,
                location=f"thread {thread_id}",
                title=title,
                url=url,
                locked=locked,
                created_at=created_at,
            )
            yield record, thread_id
        if len(rows) < THREAD_BATCH:
            return
        last = rows[-1][0]


def _comments(site: Site) -> Iterator[tuple[CommentRecord, int]]:
    parent = aliased(Comment)
    columns = (
        Comment.id,
        Comment.thread_id,
        Thread.key,
        Comment.source_key,
        parent.id,
        parent.source_key,
        Comment.status,
        Comment.created_at,
        Comment.edited_at,
        Comment.decided_at,
        Comment.author_name,
        Comment.author_email,
        Comment.author_url,
        Comment.author_avatar,
        Comment.author_key,
        Comment.body,
        Comment.html,
        Comment.likes,
        Comment.dislikes,
        Comment.flagged,
        Comment.moderation_reasons,
    )
    query = (
        select(*columns)
        .join(Thread, Thread.id == Comment.thread_id)
        .outerjoin(parent, parent.id == Comment.parent_id)
        .where(Thread.site_id == site.id)
        .order_by(Comment.thread_id, Comment.id)
        .limit(COMMENT_BATCH)
    )
    after: tuple[int, int] | None = None
    while True:
        page = query
        if after is not None:
            page = query.where(tuple_(Comment.thread_id, Comment.id) > tuple_(*after))
        rows = db.session.execute(page).all()
        for row in rows:
            (
                comment_id,
                _thread_id,
                thread_key,
                source_key,
                parent_id,
                parent_key,
                status,
                created_at,
                edited_at,
                decided_at,
                name,
                email,
                url,
                avatar,
                author_key,
                body,
                html,
                likes,
                dislikes,
                flagged,
                reasons,
            ) = row
            key = source_key or native_source_key(site, comment_id)
            if not author_key.startswith(AUTHOR_KEY_PREFIXES):
                # Address hashes mean nothing elsewhere (and are personal data).
                author_key = derived_author_key(email, name, key)
            record = CommentRecord(
                source_key=key,
                thread_source_id=thread_key,
                location=f"comment {comment_id}",
                body=body,
                body_format="markdown",
                created_at=created_at,
                status=status,
                parent_source_key=(
                    None if parent_id is None else parent_key or native_source_key(site, parent_id)
                ),
                author_name=name,
                author_email=email,
                author_url=url,
                edited_at=edited_at,
                likes=likes,
                dislikes=dislikes,
                html=html,
                author_avatar=avatar,
                author_key=author_key,
                decided_at=decided_at,
                flagged=flagged,
                moderation_reasons=tuple(
                    (str(r.get("code", "")), str(r.get("text", ""))) for r in reasons or ()
                ),
            )
            yield record, comment_id
        if len(rows) < COMMENT_BATCH:
            return
        after = (rows[-1][1], rows[-1][0])
