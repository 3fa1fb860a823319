"""What we know of an author: their bans, their history, and their recent words."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, false, func, or_, select

from comments.extensions import db
from comments.models import Ban, Comment, CommentStatus, Thread, utcnow
from comments.services.identity import ANONYMOUS_PREFIX


@dataclasses.dataclass(frozen=True)
class Author:
    """How an author is recognised: a verified SSO key, else e-mail with address hash."""

    key: str
    email: str
    ip_hash: str

    @property
    def verified(self) -> bool:
        return bool(self.key) and not self.key.startswith(ANONYMOUS_PREFIX)

    @classmethod
    def of(cls, comment: Comment) -> Author:
        return cls(comment.author_key, comment.author_email, comment.ip_hash)


def same_author(author: Author) -> ColumnElement[bool]:
    """Comments by this author, as the first-comment policy recognises them."""
    if author.verified:
        return Comment.author_key == author.key
    if not author.email and not author.ip_hash:
        # Erased, or past hash retention (services/privacy.py): nothing links it to anyone.
        return false()
    return and_(
        func.lower(Comment.author_email) == author.email.lower(),
        Comment.ip_hash == author.ip_hash,
    )


def _site_comments(site_id: int) -> ColumnElement[bool]:
    return Comment.thread_id.in_(select(Thread.id).where(Thread.site_id == site_id))


def approved_count(site_id: int, author: Author) -> int:
    query = select(func.count(Comment.id)).where(
        _site_comments(site_id), same_author(author), Comment.status == CommentStatus.APPROVED
    )
    return int(db.session.execute(query).scalar_one())


def history(site_id: int, author: Author) -> dict[str, int]:
    """How many of the author's comments stand in each status on the site."""
    rows = db.session.execute(
        select(Comment.status, func.count(Comment.id))
        .where(_site_comments(site_id), same_author(author))
        .group_by(Comment.status)
    )
    counts = {status.value: 0 for status in CommentStatus}
    for status, count in rows:
        counts[CommentStatus(status).value] = int(count)
    return counts


def ban_clause(site_id: int, author: Author, now: datetime) -> ColumnElement[bool]:
    matches = [Ban.ip_hash == author.ip_hash] if author.ip_hash else []
    if author.email:
        matches.append(func.lower(Ban.email) == author.email.lower())
    if author.verified:
        matches.append(Ban.author_key == author.key)
    return and_(
        Ban.site_id == site_id,
        Ban.lifted_at.is_(None),
        or_(Ban.expires_at.is_(None), Ban.expires_at > now),
        or_(*matches) if matches else Ban.id.is_(None),
    )


def active_ban(site_id: int, author: Author) -> Ban | None:
    """The ban in force against this author on the site, the longest-lasting first."""
    return (
        db.session.execute(
            select(Ban)
            .where(ban_clause(site_id, author, utcnow()))
            .order_by(Ban.expires_at.is_(None).desc(), Ban.expires_at.desc())
            .limit(1)
        )
        .scalars()
        .first()
    )


def posted_recently(site_id: int, author: Author, body: str, window: timedelta) -> bool:
    """Whether the author posted exactly this text on the site within the window."""
    if window <= timedelta(0):
        return False
    mine = Comment.author_key == author.key if author.key else (Comment.ip_hash == author.ip_hash)
    query = select(Comment.id).where(
        _site_comments(site_id),
        mine,
        Comment.body == body,
        Comment.created_at > utcnow() - window,
        Comment.status != CommentStatus.DELETED,
    )
    return db.session.execute(query.limit(1)).first() is not None
