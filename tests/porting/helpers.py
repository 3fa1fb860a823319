"""Builders for import records, and checks of what an import left in the database."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from comments.extensions import db
from comments.models import (
    BLOCK_DEPTH,
    PATH_SEGMENT_WIDTH,
    Comment,
    CommentStatus,
    Site,
    Thread,
)
from comments.porting.records import CommentRecord, Record, ThreadRecord
from comments.services.importer import ImportSummary, import_records
from comments.services.visibility import is_shown

T0 = datetime(2019, 5, 1, 12, 0, tzinfo=UTC)


def when(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def thread(source_id: str = "t1", key: str = "/a", **fields: Any) -> ThreadRecord:
    return ThreadRecord(source_id=source_id, key=key, location=f"src:{source_id}", **fields)


def comment(
    key: str,
    parent: str | None = None,
    *,
    thread: str = "t1",
    status: CommentStatus = CommentStatus.APPROVED,
    body: str | None = None,
    body_format: str = "markdown",
    minute: int = 0,
    **fields: Any,
) -> CommentRecord:
    return CommentRecord(
        source_key=key,
        thread_source_id=thread,
        location=f"src:{key}",
        body=f"Comment {key}" if body is None else body,
        body_format=body_format,  # type: ignore[arg-type]
        created_at=when(minute),
        status=status,
        parent_source_key=parent,
        **fields,
    )


def run(app: Flask, records: Iterable[Record], site: str = "news", **options: Any) -> ImportSummary:
    with app.app_context():
        return import_records(site, records, **options)


def rows(app: Flask) -> dict[str, list[dict[str, Any]]]:
    """Every site, thread and comment row as plain values, for before/after comparisons."""
    with app.app_context():
        out: dict[str, list[dict[str, Any]]] = {}
        for model in (Site, Thread, Comment):
            table = model.__table__
            result = db.session.execute(select(table).order_by(table.c.id))
            out[table.name] = [dict(row._mapping) for row in result]
        return out


def by_key(app: Flask) -> dict[str, Comment]:
    """Comments by source key (detached, attributes loaded)."""
    with app.app_context():
        found = list(db.session.execute(select(Comment).order_by(Comment.id)).scalars())
        db.session.expunge_all()
        return {c.source_key or f"#{c.id}": c for c in found}


def count(app: Flask, model: Any) -> int:
    with app.app_context():
        return int(db.session.execute(select(func.count()).select_from(model)).scalar_one())


def problems_in_database(app: Flask) -> list[str]:
    """Every way the trees and counters differ from a recount from scratch.

    Written independently of the services: each comment's depth, anchor and path from its
    parent's; reply_count from the shown direct replies (deepest first, as placeholders
    depend on their replies); comment_count from the approved comments.
    """
    problems: list[str] = []
    with app.app_context():
        comments = {c.id: c for c in db.session.execute(select(Comment)).scalars()}
        threads = {t.id: t for t in db.session.execute(select(Thread)).scalars()}
        children: dict[int, list[Comment]] = {}
        for c in comments.values():
            if c.parent_id is not None:
                children.setdefault(c.parent_id, []).append(c)
        for c in sorted(comments.values(), key=lambda c: c.depth):
            segment = str(c.id).zfill(PATH_SEGMENT_WIDTH)
            if c.parent_id is None:
                expected = (0, c.id, segment)
            else:
                parent = comments[c.parent_id]
                if parent.thread_id != c.thread_id:
                    problems.append(f"comment {c.id}: parent in another thread")
                depth = parent.depth + 1
                if depth % BLOCK_DEPTH == 0:
                    expected = (depth, c.id, segment)
                else:
                    expected = (depth, parent.anchor_id, parent.path + segment)
            if (c.depth, c.anchor_id, c.path) != expected:
                problems.append(f"comment {c.id}: placed {(c.depth, c.anchor_id, c.path)}")
        shown: dict[int, int] = {}
        for c in sorted(comments.values(), key=lambda c: c.depth, reverse=True):
            shown[c.id] = sum(
                1 for child in children.get(c.id, []) if is_shown(child.status, shown[child.id])
            )
            if c.reply_count != shown[c.id]:
                problems.append(f"comment {c.id}: reply_count {c.reply_count} != {shown[c.id]}")
        for t in threads.values():
            approved = sum(
                1
                for c in comments.values()
                if c.thread_id == t.id and c.status == CommentStatus.APPROVED
            )
            if t.comment_count != approved:
                problems.append(f"thread {t.key}: comment_count {t.comment_count} != {approved}")
        db.session.expunge_all()
    return problems
