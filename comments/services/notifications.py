"""E-mail notifications: reply notifications for readers and alerts for moderators.

Readers: a reader who posts with ``notify_replies`` and an address gets a Subscription to
replies to that comment. The site vouches for a signed-in (SSO) reader's address, so theirs
is confirmed at once; anyone else first gets one confirmation mail and nothing more until
they follow its link (double opt-in: someone typing another person's address can cause at
most that one mail per comment). When a reply becomes visible to readers, each confirmed
subscriber of the parent hears about it once, except the reply's own author.

Moderators choose alerts: off, immediately (one mail per comment that needs them), or a
daily digest. Everything here only queues outbox mails inside the caller's transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Select, and_, delete, exists, func, or_, select, update

from comments import sanitize
from comments.config import Settings
from comments.errors import NotFound, ValidationFailed
from comments.extensions import db
from comments.models import (
    Comment,
    CommentStatus,
    Moderator,
    Report,
    Subscription,
    Thread,
    utcnow,
)
from comments.services import mailer, moderation, queues
from comments.services.events import Event
from comments.services.identity import SSO_PREFIX
from comments.services.mail_tokens import LinkInvalid, Purpose, address_tag, read_token

log = logging.getLogger(__name__)

ALERT_MODES = ("off", "immediate", "digest")
DIGEST_EVERY = timedelta(days=1)
DIGEST_LIST_LENGTH = 20
ALERT_EXCERPT_LENGTH = 500


# --- Readers: subscriptions -----------------------------------------------------------------


def subscribe(comment: Comment, email: str) -> Subscription | None:
    """Subscribe the author of ``comment`` (just posted, flushed) to replies (flushes).

    Signed-in (SSO) readers are confirmed at once; others are sent a confirmation link.
    Without a usable address, or for a comment taken as spam, nothing happens: the wish of
    a spam sender is not worth a mail to an address they typed.
    """
    email = email.strip()
    if not email or not mailer.is_address(email) or comment.status is CommentStatus.SPAM:
        return None
    thread = comment.thread
    verified = comment.author_key.startswith(SSO_PREFIX)
    subscription = Subscription(
        site_id=thread.site_id,
        comment_id=comment.id,
        email=email,
        confirmed_at=utcnow() if verified else None,
    )
    db.session.add(subscription)
    db.session.flush()
    if not verified:
        mailer.queue(
            email,
            f"Please confirm: replies to your comment on {_title(thread)}",
            "confirm",
            {
                "site_name": thread.site.name,
                "thread_title": _title(thread),
                "excerpt": queues.excerpt(comment.html, ALERT_EXCERPT_LENGTH),
            },
            links={"comment_url": _comment_link(thread, comment.id)},
            confirm=subscription.id,
        )
    return subscription


def _subscription(
    token: str, purpose: Purpose, secret: str, max_age: timedelta, now: datetime
) -> Subscription:
    subscription_id, tag = read_token(token, secret, purpose, max_age, now)
    subscription = db.session.get(Subscription, subscription_id)
    if subscription is None:
        raise NotFound(
            "This subscription no longer exists (its comment was deleted): "
            "no mail will be sent for it.",
            {"token": "gone"},
        )
    if tag != address_tag(secret, subscription.email):
        raise LinkInvalid("This link is not valid.", {"token": "invalid"})
    return subscription


def check_link(
    token: str, purpose: Purpose, secret: str, max_age: timedelta, now: datetime | None = None
) -> Subscription:
    """The subscription a mailed link is for, changing nothing (links are prefetched by
    mail scanners). Raises LinkInvalid, LinkExpired, NotFound."""
    return _subscription(token, purpose, secret, max_age, now or utcnow())


def confirm(
    token: str, secret: str, max_age: timedelta, now: datetime | None = None
) -> Subscription:
    """Confirm a subscription from its mailed link (again after unsubscribing, too).
    Raises LinkInvalid, LinkExpired, NotFound."""
    now = now or utcnow()
    subscription = _subscription(token, Purpose.CONFIRM, secret, max_age, now)
    subscription.confirmed_at = subscription.confirmed_at or now
    subscription.unsubscribed_at = None
    db.session.commit()
    return subscription


def unsubscribe(
    token: str,
    secret: str,
    max_age: timedelta,
    *,
    everything: bool = False,
    now: datetime | None = None,
) -> int:
    """Stop reply mails for one subscription, or with ``everything`` for every comment of
    its address on its site. Returns how many subscriptions ended (0: none were active).
    Raises LinkInvalid, LinkExpired, NotFound."""
    now = now or utcnow()
    subscription = _subscription(token, Purpose.UNSUBSCRIBE, secret, max_age, now)
    query = update(Subscription).where(Subscription.unsubscribed_at.is_(None))
    if everything:
        query = query.where(
            Subscription.site_id == subscription.site_id,
            func.lower(Subscription.email) == subscription.email.lower(),
        )
    else:
        query = query.where(Subscription.id == subscription.id)
    result = db.session.execute(
        query.values(unsubscribed_at=now).execution_options(synchronize_session=False)
    )
    db.session.commit()
    count: int = result.rowcount  # type: ignore[attr-defined]
    return count


# --- Events ----------------------------------------------------------------------------------


def on_event(event: Event, comment: Comment) -> None:
    """Queue the mails ``event`` calls for (inside the change's transaction)."""
    if event in (Event.CREATED, Event.APPROVED) and comment.status is CommentStatus.APPROVED:
        _notify_subscribers(comment)
    if event is Event.CREATED and comment.status is CommentStatus.PENDING:
        _alert(comment, "Comment waiting for review")
    elif event is Event.CREATED and comment.status is CommentStatus.APPROVED and comment.flagged:
        _alert(comment, "Comment flagged for review")
    elif event is Event.HELD:
        _alert(comment, "Comment waiting for review")
    elif event is Event.REPORTED:
        # The first report of a published comment. A report that took it back to pending
        # has already alerted as HELD; later reports of the same comment add nothing new.
        if comment.status is CommentStatus.APPROVED and comment.report_count == 1:
            _alert(comment, "Comment reported")
    elif event is Event.DELETED:
        # The author's address goes with their comment.
        db.session.execute(
            delete(Subscription)
            .where(Subscription.comment_id == comment.id)
            .execution_options(synchronize_session=False)
        )


def _title(thread: Thread) -> str:
    return thread.title or thread.key


def _comment_link(thread: Thread, comment_id: int) -> str:
    """On the page the thread is embedded in, else on our page without JavaScript."""
    anchor = f"#comment-{comment_id}"
    if thread.url:
        return thread.url.split("#", 1)[0] + anchor
    query = urlencode({"uri": thread.key})
    return f"/embed/{thread.site.slug}/thread?{query}{anchor}"


def _notify_subscribers(reply: Comment) -> None:
    """Mail each confirmed subscriber of the parent, once per reply ever."""
    if reply.parent_id is None or reply.notified_at is not None:
        return
    reply.notified_at = utcnow()
    subscribers = db.session.scalars(
        select(Subscription)
        .where(
            Subscription.comment_id == reply.parent_id,
            Subscription.confirmed_at.is_not(None),
            Subscription.unsubscribed_at.is_(None),
        )
        .order_by(Subscription.id)
    ).all()
    own = reply.author_email.strip().lower()
    thread = reply.thread
    for subscription in subscribers:
        if own and subscription.email.strip().lower() == own:
            continue  # nobody is told about their own reply
        mailer.queue(
            subscription.email,
            f"New reply to your comment on {_title(thread)}",
            "reply",
            {
                "site_name": thread.site.name,
                "thread_title": _title(thread),
                "author_name": reply.author_name or "Anonymous",
                # The reply as plain text: never a reader's HTML in a mail.
                "text": sanitize.plain_text(reply.html),
            },
            links={"comment_url": _comment_link(thread, reply.id)},
            unsubscribe=subscription.id,
        )
    db.session.flush()


# --- Moderators ------------------------------------------------------------------------------


def set_alert_mode(moderator: Moderator, mode: str) -> None:
    """Choose e-mail alerts: off, immediate or digest. Raises ValidationFailed."""
    if mode not in ALERT_MODES:
        raise ValidationFailed(
            "Alerts are off, immediate or digest.", {"alert_mode": "off, immediate or digest"}
        )
    if mode == "digest" and moderator.alert_mode != "digest":
        # The first digest covers from now on, not what was there before.
        moderator.digest_sent_at = utcnow()
    moderator.alert_mode = mode
    db.session.commit()


def _alert(comment: Comment, what: str) -> None:
    """Queue an immediate alert to every moderator who wants one and sees the site."""
    thread = comment.thread
    site = thread.site
    moderators = db.session.scalars(
        select(Moderator).where(Moderator.alert_mode == "immediate").order_by(Moderator.id)
    ).all()
    context: dict[str, Any] | None = None
    for moderator in moderators:
        if not moderation.can_see_site(moderator, site.id):
            continue
        if context is None:
            context = {
                "what": what,
                "site_name": site.name,
                "thread_title": _title(thread),
                "author_name": comment.author_name or "Anonymous",
                "excerpt": queues.excerpt(comment.html, ALERT_EXCERPT_LENGTH),
                "reasons": queues.reasons_in_words(comment, site.id),
            }
        mailer.queue(
            moderator.email,
            f"[{site.name}] {what}",
            "alert",
            context,
            links={"moderation_url": f"/mod/comments/{comment.id}"},
        )


def _new_since(site_ids: list[int] | None, since: datetime) -> Select[Comment]:
    """Comments that came to need a decision after ``since``: new or edited and pending,
    reported since, or published with a suspect word."""
    reported = exists().where(Report.comment_id == Comment.id, Report.created_at > since)
    condition = or_(
        and_(
            Comment.status == CommentStatus.PENDING,
            or_(Comment.created_at > since, Comment.edited_at > since, reported),
        ),
        and_(
            Comment.status == CommentStatus.APPROVED,
            or_(reported, and_(Comment.flagged.is_(True), Comment.created_at > since)),
        ),
    )
    query = select(Comment).join(Thread, Thread.id == Comment.thread_id).where(condition)
    if site_ids is not None:
        query = query.where(Thread.site_id.in_(site_ids))
    return query


def queue_digests(settings: Settings, now: datetime) -> None:
    """Queue the daily digest for each moderator whose digest is due (commits if any was).

    One query when none is due. A digest is sent only when something new came in since
    the last one; either way the next one is due a day later.
    """
    if not settings.SMTP_HOST:
        return  # without a mail server a digest would only wait and go out stale
    due = db.session.scalars(
        select(Moderator)
        .where(
            Moderator.alert_mode == "digest",
            or_(Moderator.digest_sent_at.is_(None), Moderator.digest_sent_at <= now - DIGEST_EVERY),
        )
        .order_by(Moderator.id)
    ).all()
    if not due:
        return
    for moderator in due:
        _queue_digest(moderator, now)
    db.session.commit()


def _queue_digest(moderator: Moderator, now: datetime) -> None:
    since = moderator.digest_sent_at or now - DIGEST_EVERY
    moderator.digest_sent_at = now
    new = _new_since(moderation.site_ids(moderator), since)
    total_new = db.session.execute(
        select(func.count()).select_from(new.order_by(None).subquery())
    ).scalar_one()
    if not total_new:
        return
    listed = db.session.scalars(new.order_by(Comment.id).limit(DIGEST_LIST_LENGTH)).all()
    counts = queues.counts(moderator)
    items = [
        {
            "site_name": c.thread.site.name,
            "thread_title": _title(c.thread),
            "author_name": c.author_name or "Anonymous",
            "state": "reported" if c.status is CommentStatus.APPROVED else "pending",
            "excerpt": queues.excerpt(c.html),
            "path": f"/mod/comments/{c.id}",
        }
        for c in listed
    ]
    mailer.queue(
        moderator.email,
        f"Comments digest: {total_new} new to review",
        "digest",
        {
            "pending": counts[queues.Queue.PENDING],
            "reported": counts[queues.Queue.REPORTED],
            "new_count": total_new,
            "items": items,
            "more": total_new - len(items),
        },
        links={
            "pending_url": "/mod/queue/pending",
            "reported_url": "/mod/queue/reported",
            "account_url": "/mod/account",
        },
    )
