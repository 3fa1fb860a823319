"""The moderation queues: what needs a decision, filtered, paged, and explained in words."""

from __future__ import annotations

import dataclasses
import enum
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select

from comments import sanitize
from comments.extensions import db
from comments.models import (
    Ban,
    Comment,
    CommentStatus,
    ModerationAction,
    Moderator,
    Site,
    Thread,
)
from comments.services import authors, moderation, reports

MAX_PER_PAGE = 100
EXCERPT_LENGTH = 160


class Queue(enum.StrEnum):
    PENDING = "pending"
    REPORTED = "reported"
    SPAM = "spam"
    HIDDEN = "hidden"
    APPROVED = "approved"
    ALL = "all"


@dataclasses.dataclass(frozen=True)
class Filters:
    """Search and filters; empty values filter nothing."""

    site: str = ""
    thread_id: int | None = None
    text: str = ""
    author: str = ""
    email: str = ""
    since: date | None = None
    until: date | None = None
    # All comments by the author of this comment (the history link).
    author_of: int | None = None

    def as_query(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v not in (None, "")}


@dataclasses.dataclass
class Item:
    comment: Comment
    thread: Thread
    site: Site
    parent_excerpt: str
    history: dict[str, int]
    why: list[str]
    address: str


@dataclasses.dataclass
class Page:
    queue: Queue
    items: list[Item]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(column: Any, text: str) -> Any:
    return func.lower(column).like("%" + _escape_like(text.lower()) + "%", escape="\\")


def _base(moderator: Moderator, filters: Filters) -> Select[Comment]:
    query = select(Comment).join(Thread, Thread.id == Comment.thread_id)
    allowed = moderation.site_ids(moderator)
    if allowed is not None:
        query = query.where(Thread.site_id.in_(allowed))
    if filters.site:
        query = query.join(Site, Site.id == Thread.site_id).where(Site.slug == filters.site)
    if filters.thread_id is not None:
        query = query.where(Comment.thread_id == filters.thread_id)
    if filters.text:
        query = query.where(_contains(Comment.body, filters.text))
    if filters.author:
        query = query.where(_contains(Comment.author_name, filters.author))
    if filters.email:
        query = query.where(_contains(Comment.author_email, filters.email))
    if filters.since:
        query = query.where(Comment.created_at >= datetime.combine(filters.since, time(), UTC))
    if filters.until and filters.until < date.max:
        end = datetime.combine(filters.until + timedelta(days=1), time(), UTC)
        query = query.where(Comment.created_at < end)
    if filters.author_of is not None:
        origin = db.session.get(Comment, filters.author_of)
        if origin is None or not moderation.can_see_site(moderator, origin.thread.site_id):
            return query.where(Comment.id.is_(None))
        query = query.where(
            Thread.site_id == origin.thread.site_id,
            authors.same_author(authors.Author.of(origin)),
        )
    return query


def _in_queue(query: Select[Comment], queue: Queue) -> Select[Comment]:
    if queue is Queue.PENDING:
        return query.where(Comment.status == CommentStatus.PENDING).order_by(Comment.id)
    if queue is Queue.REPORTED:
        return query.where(
            Comment.status == CommentStatus.APPROVED,
            or_(Comment.report_count > 0, Comment.flagged.is_(True)),
        ).order_by(Comment.report_count.desc(), Comment.id)
    if queue is Queue.ALL:
        return query.where(Comment.status != CommentStatus.DELETED).order_by(Comment.id.desc())
    return query.where(Comment.status == CommentStatus(queue.value)).order_by(Comment.id.desc())


def matching_ids(moderator: Moderator, queue: Queue, filters: Filters, limit: int) -> list[int]:
    """Every comment id in the queue under the filter (for 'apply to all that match')."""
    query = _in_queue(_base(moderator, filters), queue).limit(limit)
    return [c.id for c in db.session.execute(query).scalars()]


def counts(moderator: Moderator, filters: Filters | None = None) -> dict[Queue, int]:
    """How many comments wait in each queue (for the navigation)."""
    base = _base(moderator, filters or Filters())
    result = {}
    for queue in Queue:
        query = _in_queue(base, queue).order_by(None)
        result[queue] = int(
            db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        )
    return result


def page(
    moderator: Moderator, queue: Queue, filters: Filters, number: int = 1, per_page: int = 25
) -> Page:
    """One page of a queue, each item with its context and the reasons it is there."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    query = _in_queue(_base(moderator, filters), queue)
    total = int(
        db.session.execute(
            select(func.count()).select_from(query.order_by(None).subquery())
        ).scalar_one()
    )
    number = max(1, number)
    rows = list(db.session.execute(query.offset((number - 1) * per_page).limit(per_page)).scalars())
    return Page(queue, [describe(c) for c in rows], total, number, per_page)


def describe(comment: Comment) -> Item:
    """A queue item: the comment with its thread, parent, author history and reasons."""
    thread = comment.thread
    parent_excerpt = ""
    if comment.parent_id is not None:
        parent = db.session.get(Comment, comment.parent_id)
        if parent is not None:
            parent_excerpt = excerpt(parent.html) or "(removed)"
    author = authors.Author.of(comment)
    return Item(
        comment=comment,
        thread=thread,
        site=thread.site,
        parent_excerpt=parent_excerpt,
        history=authors.history(thread.site_id, author),
        why=reasons_in_words(comment, thread.site_id),
        address=comment.ip_hash[:8],
    )


def excerpt(html: str, length: int = EXCERPT_LENGTH) -> str:
    text = " ".join(sanitize.plain_text(html).split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def reasons_in_words(comment: Comment, site_id: int) -> list[str]:
    """Why the comment is where it is: the rules that fired, reports, and bans."""
    why = [r["text"] for r in comment.moderation_reasons if r.get("code") != "reported"]
    if comment.report_count or any(r.get("code") == "reported" for r in comment.moderation_reasons):
        why.append(reports.describe_reports(comment.id))
    ban = authors.active_ban(site_id, authors.Author.of(comment))
    if ban is not None:
        until = f"until {ban.expires_at:%Y-%m-%d %H:%M} UTC" if ban.expires_at else "for good"
        why.append(f"author banned {until}")
    if comment.status in (CommentStatus.HIDDEN, CommentStatus.SPAM):
        decided = _last_decision(comment.id)
        # An automatic decision's reasons are already listed above.
        if decided is not None and decided.moderator is not None:
            text = f"{decided.action} by {decided.moderator.email}"
            why.append(f"{text}: {decided.reason}" if decided.reason else text)
    if not why and comment.status is CommentStatus.PENDING:
        why.append("held for review")
    return why


def _last_decision(comment_id: int) -> ModerationAction | None:
    """The latest logged decision that set the comment's current status."""
    return (
        db.session.execute(
            select(ModerationAction)
            .where(
                ModerationAction.comment_id == comment_id,
                ModerationAction.status_after.is_not(None),
            )
            .order_by(ModerationAction.id.desc())
            .limit(1)
        )
        .scalars()
        .first()
    )


def ban_expiry_text(ban: Ban) -> str:
    return f"{ban.expires_at:%Y-%m-%d %H:%M} UTC" if ban.expires_at else "never"
