"""Privacy requests (export and erase a person's data) and address-hash retention.

A person is known by the e-mail address they gave with their comments (matched without
regard to case). Their comments also carry the key they voted and reported under (an
address hash, ``ip:...``, or a site's single sign-on id, ``sso:...``), which finds their
votes and reports. See docs/privacy.md for what is kept and why.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    String,
    and_,
    case,
    delete,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import contains_eager

from comments.errors import ValidationFailed
from comments.extensions import db
from comments.models import (
    Ban,
    Comment,
    CommentStatus,
    ModerationAction,
    Moderator,
    OutboxMessage,
    Report,
    Site,
    Subscription,
    Thread,
    Vote,
    utcnow,
)
from comments.services import audit, inputs, visibility
from comments.services.identity import ANONYMOUS_PREFIX

EXPORT_VERSION = 1
# Votes and reports whose voter can no longer be known get "gone:<their row id>": unique
# per row, so the one-vote-per-voter constraints and the tallies hold, linked to nobody.
GONE_PREFIX = "gone:"
EXPORT_ACTION = "privacy_export"
ERASE_ACTION = "privacy_erase"
# The outbox kind of mails (services/mailer.py); their payload names the recipient as "to".
MAIL_KIND = "email"
# Ids per IN (...) list: well inside every engine's limit on bound parameters.
CHUNK = 500


def _address(email: str) -> str:
    """The address to look for, lower-cased. Raises ValidationFailed."""
    address = inputs.normalise_email(email, "email")
    if not address:
        raise ValidationFailed("Give the person's e-mail address.", {"email": "required"})
    return address.lower()


def subject_digest(email: str, secret: str) -> str:
    """What the audit log says instead of the address: a keyed digest of it.

    Whoever holds the secret key can check whether a request was about a given address;
    the log itself reveals nothing.
    """
    key = hmac.new(secret.encode(), b"privacy-subject", hashlib.sha256).digest()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()[:16]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


# --- Finding a person's rows -------------------------------------------------------------------


def _by_email(column: Any, address: str) -> ColumnElement[bool]:
    return func.lower(column) == address


def _their_keys(address: str) -> Any:
    """The voter/reporter keys on their comments (a subquery)."""
    return (
        select(Comment.author_key)
        .where(_by_email(Comment.author_email, address), Comment.author_key != "")
        .distinct()
    )


def _their_comment_ids(address: str) -> Any:
    return select(Comment.id).where(_by_email(Comment.author_email, address))


def _comments(address: str) -> list[Comment]:
    query = (
        select(Comment)
        .join(Thread, Thread.id == Comment.thread_id)
        .join(Site, Site.id == Thread.site_id)
        .where(_by_email(Comment.author_email, address))
        .order_by(Comment.id)
        .options(contains_eager(Comment.thread).contains_eager(Thread.site))
    )
    return list(db.session.execute(query).scalars())


def _votes(address: str) -> list[tuple[Vote, int, str, str]]:
    """Their votes with the voted comment's thread: (vote, site id, site slug, thread key)."""
    rows = db.session.execute(
        select(Vote, Site.id, Site.slug, Thread.key)
        .join(Comment, Comment.id == Vote.comment_id)
        .join(Thread, Thread.id == Comment.thread_id)
        .join(Site, Site.id == Thread.site_id)
        .where(Vote.voter.in_(_their_keys(address)))
        .order_by(Vote.id)
    ).all()
    return [(v, site_id, slug, key) for v, site_id, slug, key in rows]


def _reports(address: str) -> list[tuple[Report, int, str, str]]:
    rows = db.session.execute(
        select(Report, Site.id, Site.slug, Thread.key)
        .join(Comment, Comment.id == Report.comment_id)
        .join(Thread, Thread.id == Comment.thread_id)
        .join(Site, Site.id == Thread.site_id)
        .where(Report.reporter.in_(_their_keys(address)))
        .order_by(Report.id)
    ).all()
    return [(r, site_id, slug, key) for r, site_id, slug, key in rows]


def _subscriptions(address: str) -> list[tuple[Subscription, str]]:
    rows = db.session.execute(
        select(Subscription, Site.slug)
        .join(Site, Site.id == Subscription.site_id)
        .where(_by_email(Subscription.email, address))
        .order_by(Subscription.id)
    ).all()
    return [(s, slug) for s, slug in rows]


def _bans(address: str) -> list[tuple[Ban, str]]:
    rows = db.session.execute(
        select(Ban, Site.slug)
        .join(Site, Site.id == Ban.site_id)
        .where(_by_email(Ban.email, address))
        .order_by(Ban.id)
    ).all()
    return [(b, slug) for b, slug in rows]


def _mails(address: str) -> list[OutboxMessage]:
    """Mails to them in the outbox, queued or sent (the payload is JSON: read in Python)."""
    messages = db.session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.kind == MAIL_KIND)
        .order_by(OutboxMessage.id)
        .execution_options(yield_per=500)
    ).scalars()
    return [m for m in messages if str(m.payload.get("to", "")).strip().lower() == address]


def _ban_active(ban: Ban, now: datetime) -> bool:
    return ban.lifted_at is None and (ban.expires_at is None or ban.expires_at > now)


@dataclasses.dataclass(frozen=True)
class PersonCounts:
    """How much is stored about one address (what an erase would touch)."""

    comments: int
    threads: int
    votes: int
    reports: int
    subscriptions: int
    bans: int
    mails: int

    @property
    def empty(self) -> bool:
        return not any(dataclasses.astuple(self))


def count_person(email: str) -> PersonCounts:
    """What is stored about ``email``, counted (reads only). Raises ValidationFailed."""
    address = _address(email)
    comments = _comments(address)
    return PersonCounts(
        comments=len(comments),
        threads=len({c.thread_id for c in comments}),
        votes=len(_votes(address)),
        reports=len(_reports(address)),
        subscriptions=len(_subscriptions(address)),
        bans=len(_bans(address)),
        mails=len(_mails(address)),
    )


# --- Export ------------------------------------------------------------------------------------


def _comment_record(comment: Comment) -> dict[str, Any]:
    thread = comment.thread
    return {
        "id": comment.id,
        "site": thread.site.slug,
        "thread": {"key": thread.key, "title": thread.title, "url": thread.url},
        "parent_id": comment.parent_id,
        "status": comment.status.value,
        "name": comment.author_name,
        "email": comment.author_email,
        "url": comment.author_url,
        "avatar": comment.author_avatar,
        "text": comment.body,
        "created_at": _iso(comment.created_at),
        "edited_at": _iso(comment.edited_at),
        "likes": comment.likes,
        "dislikes": comment.dislikes,
        # Pseudonymous identifiers we keep with the comment (until retention drops them).
        "address_hash": comment.ip_hash or None,
        "author_key": comment.author_key or None,
    }


def _moderation_records(address: str) -> list[dict[str, Any]]:
    """Moderators' decisions on their comments (without who decided)."""
    entries = db.session.execute(
        select(ModerationAction)
        .where(ModerationAction.comment_id.in_(_their_comment_ids(address)))
        .order_by(ModerationAction.id)
    ).scalars()
    return [
        {
            "comment_id": e.comment_id,
            "action": e.action,
            "status_before": e.status_before,
            "status_after": e.status_after,
            "reason": e.reason,
            "previous_text": e.previous_text,
            "created_at": _iso(e.created_at),
        }
        for e in entries
    ]


def export_person(email: str, *, moderator: Moderator | None, secret: str) -> dict[str, Any]:
    """Everything stored about ``email``, as a JSON-ready dict (empty lists if nothing).

    The export is recorded in the audit log of each site it found data on, naming the
    person by ``subject_digest`` only. Raises ValidationFailed (not an address).
    """
    address = _address(email)
    now = utcnow()
    comments = _comments(address)
    votes = _votes(address)
    reports = _reports(address)
    subscriptions = _subscriptions(address)
    bans = _bans(address)
    mails = _mails(address)
    document: dict[str, Any] = {
        "version": EXPORT_VERSION,
        "email": address,
        "exported_at": _iso(now),
        "comments": [_comment_record(c) for c in comments],
        "votes": [
            {
                "comment_id": v.comment_id,
                "site": slug,
                "thread": key,
                "value": v.value,
                "created_at": _iso(v.created_at),
            }
            for v, _site_id, slug, key in votes
        ],
        "reports": [
            {
                "comment_id": r.comment_id,
                "site": slug,
                "thread": key,
                "reason": r.reason.value,
                "note": r.note,
                "created_at": _iso(r.created_at),
            }
            for r, _site_id, slug, key in reports
        ],
        "subscriptions": [
            {
                "site": slug,
                "comment_id": s.comment_id,
                "email": s.email,
                "created_at": _iso(s.created_at),
                "confirmed_at": _iso(s.confirmed_at),
                "unsubscribed_at": _iso(s.unsubscribed_at),
            }
            for s, slug in subscriptions
        ],
        "bans": [
            {
                "site": slug,
                "email": b.email,
                "address_hash": b.ip_hash or None,
                "reason": b.reason,
                "created_at": _iso(b.created_at),
                "expires_at": _iso(b.expires_at),
                "lifted_at": _iso(b.lifted_at),
                "active": _ban_active(b, now),
            }
            for b, slug in bans
        ],
        "moderation": _moderation_records(address),
        "mails": [
            {
                "subject": m.payload.get("subject"),
                "status": m.status.value,
                "created_at": _iso(m.created_at),
                "sent_at": _iso(m.sent_at),
            }
            for m in mails
        ],
    }
    per_site: dict[int, Counter[str]] = {}
    _tally(per_site, "comments", (c.thread.site_id for c in comments))
    _tally(per_site, "votes", (site_id for _v, site_id, _s, _k in votes))
    _tally(per_site, "reports", (site_id for _r, site_id, _s, _k in reports))
    _tally(per_site, "subscriptions", (s.site_id for s, _slug in subscriptions))
    _tally(per_site, "bans", (b.site_id for b, _slug in bans))
    _record(per_site, EXPORT_ACTION, "privacy request: export", moderator, address, secret)
    db.session.commit()
    return document


def _tally(per_site: dict[int, Counter[str]], what: str, site_ids: Iterable[int]) -> None:
    for site_id in site_ids:
        per_site.setdefault(site_id, Counter())[what] += 1


def _record(
    per_site: dict[int, Counter[str]],
    action: str,
    reason: str,
    moderator: Moderator | None,
    address: str,
    secret: str,
) -> None:
    """One audit entry per site touched, with its counts; the address only as a digest."""
    subject = subject_digest(address, secret)
    where = "" if moderator else " (command line)"
    for site_id in sorted(per_site):
        counts = dict(sorted(per_site[site_id].items()))
        # The log page shows the reason: the counts go there in words too.
        said = ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in counts.items())
        audit.record(
            site_id=site_id,
            action=action,
            moderator=moderator,
            reason=f"{reason}{where}: {said}",
            details={"subject": subject, **counts},
        )


# --- Erase -------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class KeptBan:
    """A ban naming the erased address: the site's record, kept (see docs/privacy.md)."""

    id: int
    site: str
    active: bool


@dataclasses.dataclass(frozen=True)
class Erasure:
    """What an erase changed."""

    comments: int
    threads: int
    texts_removed: int
    votes: int
    reports: int
    subscriptions: int
    mails: int
    bans_kept: tuple[KeptBan, ...]
    sites: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not (self.comments or self.votes or self.reports or self.subscriptions or self.mails)


def _anonymise(comment: Comment) -> None:
    comment.author_name = ""  # readers see "Anonymous"
    comment.author_email = ""
    comment.author_url = ""
    comment.author_avatar = ""
    comment.author_key = ""
    comment.ip_hash = ""
    comment.edit_token_hash = ""


def _unlink(model: type[Vote] | type[Report], column: Any, address: str) -> None:
    """Replace the voter/reporter of their rows with an unlinkable value of their own."""
    db.session.execute(
        update(model)
        .where(column.in_(_their_keys(address)))
        .values({column: literal(GONE_PREFIX, String) + sql_cast(model.id, String)})
        .execution_options(synchronize_session=False)
    )


def _scrub_log(comment_ids: list[int], remove_text: bool) -> None:
    """The log keeps its entries on their comments, without the name (and text, if asked)."""
    for start in range(0, len(comment_ids), CHUNK):
        chunk = comment_ids[start : start + CHUNK]
        entries = db.session.execute(
            select(ModerationAction).where(ModerationAction.comment_id.in_(chunk))
        ).scalars()
        for entry in entries:
            _scrub_entry(entry, remove_text)


def _scrub_entry(entry: ModerationAction, remove_text: bool) -> None:
    details = dict(entry.details or {})
    if "author_name" in details:
        details["author_name"] = ""
    if remove_text:
        entry.previous_text = None
        if "text" in details:
            details["text"] = ""
    entry.details = details  # a new dict: JSON columns do not notice changes in place


def erase_person(
    email: str, *, moderator: Moderator | None, secret: str, remove_text: bool = False
) -> Erasure:
    """Anonymise everything stored about ``email`` in one transaction.

    Their comments lose name, e-mail, website, avatar, address hash, author key and edit
    token, but keep their text and place in the tree (replies still hang under them); with
    ``remove_text`` the text goes too and the comments are deleted the usual way (a
    placeholder where replies remain). Votes and reports under their keys are unlinked;
    subscriptions and mails to them in the outbox are deleted; bans naming the address are
    kept and listed. Each site touched
    gets an audit entry with the counts. Raises ValidationFailed (not an address).
    """
    address = _address(email)
    now = utcnow()
    comments = _comments(address)
    votes = _votes(address)
    reports = _reports(address)
    subscriptions = _subscriptions(address)
    bans = _bans(address)
    mails = _mails(address)
    site_slugs = {c.thread.site_id: c.thread.site.slug for c in comments}
    comment_ids = [c.id for c in comments]
    per_site: dict[int, Counter[str]] = {}
    _tally(per_site, "comments", (c.thread.site_id for c in comments))
    _tally(per_site, "votes", (site_id for _v, site_id, _s, _k in votes))
    _tally(per_site, "reports", (site_id for _r, site_id, _s, _k in reports))
    _tally(per_site, "subscriptions", (s.site_id for s, _slug in subscriptions))
    _tally(per_site, "bans_kept", (b.site_id for b, _slug in bans))
    for _v, site_id, slug, _k in votes:
        site_slugs[site_id] = slug
    for _r, site_id, slug, _k in reports:
        site_slugs[site_id] = slug
    for s, slug in subscriptions:
        site_slugs[s.site_id] = slug
    for b, slug in bans:
        site_slugs[b.site_id] = slug

    # Votes and reports first: their keys are found through the comments' author keys.
    _unlink(Vote, Vote.voter, address)
    _unlink(Report, Report.reporter, address)
    db.session.execute(
        delete(Subscription)
        .where(_by_email(Subscription.email, address))
        .execution_options(synchronize_session=False)
    )
    # Queued mails would still go out; sent ones are a record of their address.
    for message in mails:
        db.session.delete(message)
    for comment in comments:
        _anonymise(comment)
    db.session.flush()
    removed: list[int] = []
    if remove_text:
        for comment in comments:
            # Anonymised before the status change, so its event carries no personal data.
            visibility.set_status(comment, CommentStatus.DELETED)
            if comment.body or comment.html:
                removed.append(comment.thread.site_id)
            comment.body = comment.html = ""
        _tally(per_site, "texts_removed", removed)
    _scrub_log(comment_ids, remove_text)
    thread_ids = sorted({c.thread_id for c in comments})
    for thread_id in thread_ids:
        visibility.bump_thread(thread_id)  # cached pages and feeds show the new names
    _record(per_site, ERASE_ACTION, "privacy request: erase", moderator, address, secret)
    db.session.commit()
    return Erasure(
        comments=len(comments),
        threads=len(thread_ids),
        texts_removed=len(removed),
        votes=len(votes),
        reports=len(reports),
        subscriptions=len(subscriptions),
        mails=len(mails),
        bans_kept=tuple(KeptBan(b.id, slug, _ban_active(b, now)) for b, slug in bans),
        sites=tuple(sorted(set(site_slugs.values()))),
    )


# --- Retention ---------------------------------------------------------------------------------


def drop_old_address_hashes(retention_days: int, now: datetime) -> int:
    """Blank address hashes older than the retention period. Returns rows changed.

    Comments lose ``ip_hash`` and an ``ip:`` author key (SSO keys are not addresses);
    votes and reports under an ``ip:`` key get an unlinkable ``gone:<id>`` instead; a ban's
    hash goes once the ban has ended. Rows already done no longer match, so a second run
    changes nothing, and each table is only written when a quick look finds something due.
    A negative ``retention_days`` keeps hashes for good.
    """
    if retention_days < 0:
        return 0
    cutoff = now - timedelta(days=retention_days)
    anonymous = ANONYMOUS_PREFIX + "%"
    jobs: list[tuple[Any, ColumnElement[bool], dict[Any, Any]]] = [
        (
            Comment,
            and_(
                Comment.created_at < cutoff,
                or_(Comment.ip_hash != "", Comment.author_key.like(anonymous)),
            ),
            {
                Comment.ip_hash: "",
                Comment.author_key: case(
                    (Comment.author_key.like(anonymous), ""), else_=Comment.author_key
                ),
            },
        ),
        (
            Vote,
            and_(Vote.created_at < cutoff, Vote.voter.like(anonymous)),
            {Vote.voter: literal(GONE_PREFIX, String) + sql_cast(Vote.id, String)},
        ),
        (
            Report,
            and_(Report.created_at < cutoff, Report.reporter.like(anonymous)),
            {Report.reporter: literal(GONE_PREFIX, String) + sql_cast(Report.id, String)},
        ),
        (
            Ban,
            and_(
                Ban.ip_hash != "",
                Ban.created_at < cutoff,
                or_(
                    Ban.lifted_at.is_not(None),
                    and_(Ban.expires_at.is_not(None), Ban.expires_at <= now),
                ),
            ),
            {Ban.ip_hash: ""},
        ),
    ]
    changed = 0
    for model, due, values in jobs:
        # A read first: when nothing is due no write (and on SQLite no write lock) happens.
        if db.session.execute(select(model.id).where(due).limit(1)).first() is None:
            continue
        result = db.session.execute(
            update(model).where(due).values(values).execution_options(synchronize_session=False)
        )
        changed += cast(CursorResult[Any], result).rowcount
    db.session.commit()
    return changed
