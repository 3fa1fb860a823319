"""Figures for the moderators' dashboard: queue sizes, daily activity, time to decision."""

from __future__ import annotations

import dataclasses
import statistics
from datetime import date, timedelta

from sqlalchemy import func, select

from comments.extensions import db
from comments.models import Comment, ModerationAction, Moderator, Site, Thread, utcnow
from comments.services import queues

DAYS = 30
MAX_SAMPLES = 20_000


@dataclasses.dataclass
class SiteFigures:
    site: Site
    queue_sizes: dict[queues.Queue, int]
    comments_per_day: list[tuple[date, int]]
    actions_per_day: list[tuple[date, int]]
    median_decision: timedelta | None
    decisions: int


def _per_day(rows: list[tuple[object, int]], start: date) -> list[tuple[date, int]]:
    counts = {date.fromisoformat(str(day)[:10]): int(n) for day, n in rows if day is not None}
    return [(start + timedelta(days=i), counts.get(start + timedelta(days=i), 0)) for i in
            range(DAYS)]  # fmt: skip


def figures(moderator: Moderator, site: Site) -> SiteFigures:
    """The dashboard's numbers for one site the moderator may see."""
    today = utcnow().date()
    start = today - timedelta(days=DAYS - 1)
    since = utcnow() - timedelta(days=DAYS)
    day = func.date(Comment.created_at)
    comment_rows = db.session.execute(
        select(day, func.count(Comment.id))
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Thread.site_id == site.id, Comment.created_at >= since)
        .group_by(day)
    ).all()
    action_day = func.date(ModerationAction.created_at)
    action_rows = db.session.execute(
        select(action_day, func.count(ModerationAction.id))
        .where(
            ModerationAction.site_id == site.id,
            ModerationAction.created_at >= since,
            ModerationAction.moderator_id.is_not(None),
        )
        .group_by(action_day)
    ).all()
    decided = db.session.execute(
        select(Comment.created_at, Comment.decided_at)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Thread.site_id == site.id, Comment.decided_at >= since)
        .limit(MAX_SAMPLES)
    ).all()
    waits = [(d - c).total_seconds() for c, d in decided if d is not None and c is not None]
    median = timedelta(seconds=statistics.median(waits)) if waits else None
    return SiteFigures(
        site=site,
        queue_sizes=queues.counts(moderator, queues.Filters(site=site.slug)),
        comments_per_day=_per_day([(d, n) for d, n in comment_rows], start),
        actions_per_day=_per_day([(d, n) for d, n in action_rows], start),
        median_decision=median,
        decisions=len(waits),
    )
