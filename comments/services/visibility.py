"""What readers can see, and the counters that keep that cheap to read.

A comment is *shown* when it is approved, or when it was removed (hidden, spam, deleted)
but still has shown replies, in which case it stays as a placeholder so the replies keep
their context. ``Comment.reply_count`` counts shown direct replies and
``Thread.comment_count`` counts approved comments; every status change goes through
``set_status`` so both stay exact, using atomic SQL increments safe under concurrency.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_, select, update

from comments.extensions import db
from comments.models import REMOVED_STATUSES, Comment, CommentStatus, Thread
from comments.services import events


def is_shown(status: CommentStatus, reply_count: int) -> bool:
    return status == CommentStatus.APPROVED or (status in REMOVED_STATUSES and reply_count > 0)


def shown_clause() -> ColumnElement[bool]:
    """SQL form of ``is_shown`` for queries."""
    return or_(
        Comment.status == CommentStatus.APPROVED,
        and_(Comment.status.in_(REMOVED_STATUSES), Comment.reply_count > 0),
    )


def bump_thread(thread_id: int, approved_delta: int = 0) -> None:
    """Mark a visible change in a thread (new cache version) and adjust its count."""
    db.session.execute(
        update(Thread)
        .where(Thread.id == thread_id)
        .values(
            version=Thread.version + 1,
            comment_count=Thread.comment_count + approved_delta,
        )
        .execution_options(synchronize_session=False)
    )


def _propagate(parent_id: int | None, delta: int) -> None:
    """A child became shown (+1) or stopped being shown (-1): walk up while that flips."""
    while parent_id is not None and delta:
        row = db.session.execute(
            update(Comment)
            .where(Comment.id == parent_id)
            .values(reply_count=Comment.reply_count + delta)
            .returning(Comment.status, Comment.reply_count, Comment.parent_id)
            .execution_options(synchronize_session=False)
        ).one()
        status, count, grandparent = row
        was = is_shown(status, count - delta)
        now = is_shown(status, count)
        if was == now:
            return
        delta = 1 if now else -1
        parent_id = grandparent


def comment_added(comment: Comment) -> None:
    """Account for a newly inserted comment (already flushed, with its status set)."""
    approved = 1 if comment.status == CommentStatus.APPROVED else 0
    if approved:
        _propagate(comment.parent_id, 1)
    bump_thread(comment.thread_id, approved)


def set_status(comment: Comment, new: CommentStatus) -> None:
    """Change a comment's status, keeping reply counts and the thread count exact."""
    old = comment.status
    if old == new:
        return
    db.session.flush()
    # Re-read the counter: another transaction may have changed it since we loaded the row.
    reply_count = db.session.execute(
        select(Comment.reply_count).where(Comment.id == comment.id)
    ).scalar_one()
    was = is_shown(old, reply_count)
    comment.status = new
    now = is_shown(new, reply_count)
    db.session.flush()
    if was != now:
        _propagate(comment.parent_id, 1 if now else -1)
    approved_delta = (new == CommentStatus.APPROVED) - (old == CommentStatus.APPROVED)
    bump_thread(comment.thread_id, approved_delta)
    db.session.refresh(comment)
    events.status_changed(comment, old, new)
