"""Helpers for the moderation tests: moderators, policies and what the database really holds."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from comments.extensions import db
from comments.models import (
    Ban,
    Comment,
    CommentStatus,
    ModerationAction,
    Moderator,
    Role,
    Thread,
)
from comments.services import accounts, moderation, sites
from comments.services.moderation import Action

PASSWORD = "a long enough password"
ADMIN = "admin@example.org"


def add_moderator(
    app: Flask, email: str = ADMIN, role: Role = Role.ADMIN, site_slugs: Sequence[str] = ()
) -> None:
    with app.app_context():
        accounts.add_moderator(email, role, site_slugs, password=PASSWORD)


@contextlib.contextmanager
def acting(app: Flask, email: str = ADMIN) -> Iterator[Moderator]:
    """The moderator, loaded in a fresh app context (its own session)."""
    with app.app_context():
        yield accounts.get_by_email(email)


def moderate(app: Flask, comment_id: int, action: Action, email: str = ADMIN) -> None:
    with acting(app, email) as mod:
        moderation.moderate(mod, comment_id, action)


def set_policy(app: Flask, changes: Mapping[str, Any], slug: str = "news") -> None:
    with app.app_context():
        sites.update_policy(slug, changes)


def stored(app: Flask, comment_id: int) -> Comment | None:
    """The comment row as the database holds it now (detached, attributes loaded)."""
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        if comment is not None:
            db.session.expunge(comment)
        return comment


def status_of(app: Flask, comment_id: int) -> CommentStatus | None:
    comment = stored(app, comment_id)
    return None if comment is None else comment.status


def reasons_of(app: Flask, comment_id: int) -> list[dict[str, str]]:
    comment = stored(app, comment_id)
    assert comment is not None
    return comment.moderation_reasons


def log_for(app: Flask, comment_id: int) -> list[ModerationAction]:
    """The audit entries about one comment, oldest first (detached)."""
    with app.app_context():
        rows = list(
            db.session.execute(
                select(ModerationAction)
                .where(ModerationAction.comment_id == comment_id)
                .order_by(ModerationAction.id)
            ).scalars()
        )
        db.session.expunge_all()
        return rows


def last_action(app: Flask) -> ModerationAction:
    with app.app_context():
        entry = db.session.execute(
            select(ModerationAction).order_by(ModerationAction.id.desc()).limit(1)
        ).scalar_one()
        db.session.expunge(entry)
        return entry


def comment_count(app: Flask, key: str) -> tuple[int, int]:
    """(Thread.comment_count, COUNT(*) of its approved comments) for the thread ``key``."""
    with app.app_context():
        thread = db.session.execute(select(Thread).where(Thread.key == key)).scalar_one()
        actual = db.session.execute(
            select(func.count(Comment.id)).where(
                Comment.thread_id == thread.id, Comment.status == CommentStatus.APPROVED
            )
        ).scalar_one()
        return thread.comment_count, int(actual)


def reply_counts_are_exact(app: Flask) -> dict[int, tuple[int, int]]:
    """Comments whose stored reply_count differs from a recount: {id: (stored, actual)}."""
    from comments.services.visibility import is_shown

    with app.app_context():
        rows = list(db.session.execute(select(Comment)).scalars())
        by_parent: dict[int, list[Comment]] = {}
        for row in rows:
            if row.parent_id is not None:
                by_parent.setdefault(row.parent_id, []).append(row)
        # Shown-ness depends on the children's own counts: settle leaves first (deepest first).
        actual: dict[int, int] = {}
        for row in sorted(rows, key=lambda c: c.depth, reverse=True):
            actual[row.id] = sum(
                1 for child in by_parent.get(row.id, []) if is_shown(child.status, actual[child.id])
            )
        return {
            row.id: (row.reply_count, actual[row.id])
            for row in rows
            if row.reply_count != actual[row.id]
        }


def thread_created(app: Flask, key: str, when: datetime) -> None:
    with app.app_context():
        thread = db.session.execute(select(Thread).where(Thread.key == key)).scalar_one()
        thread.created_at = when
        db.session.commit()


def bans(app: Flask) -> list[Ban]:
    with app.app_context():
        rows = list(db.session.execute(select(Ban).order_by(Ban.id)).scalars())
        db.session.expunge_all()
        return rows
