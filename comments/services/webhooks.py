"""Webhooks: signed JSON calls to a site's receivers for comment events.

An event queues one outbox message per subscribed webhook, in the transaction of the change,
holding the JSON body as it was at the event. The worker sends it later: the secret and the
URL are read then (a rotated secret signs what is still queued; a removed webhook gets
nothing), the URL passes the SSRF guard again, and the connection goes to the vetted address.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import http.client
import json
import secrets
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from importlib import metadata
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from comments.config import Settings
from comments.errors import NotFound, ValidationFailed
from comments.extensions import db
from comments.models import (
    Comment,
    CommentStatus,
    Moderator,
    OutboxMessage,
    OutboxStatus,
    Site,
    Webhook,
    utcnow,
)
from comments.services import audit, netguard, outbox, sites
from comments.services.outbox import DeliveryFailed

if TYPE_CHECKING:
    from comments.services.events import Event

KIND = "webhook"
# The events a webhook can subscribe to, in the order they are listed. ``comment.held``
# is internal (moderator alerts) and never leaves the service.
EVENTS = (
    "comment.created",
    "comment.approved",
    "comment.hidden",
    "comment.deleted",
    "comment.reported",
)
PING = "ping"  # sent by `comments webhook test` and the admin page's "Send a test ping"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix that marks our secrets, not a secret
MAX_WEBHOOKS_PER_SITE = 20
# Receivers should refuse signatures older than this (replays).
SIGNATURE_TOLERANCE_SECONDS = 300
MAX_ERROR_BODY = 200
# What the outside world is told a comment's status is: spam counts as hidden.
_PUBLIC_STATUS = {CommentStatus.SPAM: CommentStatus.HIDDEN}
# Statuses whose text is never sent.
_WITHHELD = (CommentStatus.HIDDEN, CommentStatus.SPAM, CommentStatus.DELETED)


def _version() -> str:
    try:
        return metadata.version("comments")
    except metadata.PackageNotFoundError:  # running from a checkout that is not installed
        return "0"


USER_AGENT = f"comments-webhooks/{_version()}"


# --- Managing webhooks -------------------------------------------------------------------


def parse_events(names: Iterable[str]) -> list[str]:
    """The chosen events in their canonical order; empty means all. Raises ValidationFailed."""
    chosen = {name.strip() for name in names if name.strip()}
    unknown = sorted(chosen - set(EVENTS))
    if unknown:
        raise ValidationFailed(
            f"Unknown webhook event {', '.join(unknown)}; choose from {', '.join(EVENTS)}.",
            {"events": "one of " + ", ".join(EVENTS)},
        )
    return [event for event in EVENTS if event in chosen]


def check_url(url: str, *, allow_private: bool) -> str:
    """The normalised URL, if webhooks may be sent there now. Raises ValidationFailed."""
    shown = repr(url.strip()[:200])
    try:
        target = netguard.parse_url(url)
        netguard.vet(url, allow_private=allow_private)
    except netguard.UnsafeURL as exc:
        hint = (
            " (set COMMENTS_WEBHOOKS_ALLOW_PRIVATE=true to allow private addresses)"
            if exc.private_only
            else ""
        )
        raise ValidationFailed(
            f"Webhooks cannot be sent to {shown}: {exc}{hint}.", {"url": str(exc)}
        ) from exc
    except (OSError, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ValidationFailed(
            f"Webhooks cannot be sent to {shown}: {target.host} cannot be resolved ({reason}).",
            {"url": f"{target.host} cannot be resolved"},
        ) from exc
    return target.url


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_hex(32)


def add_webhook(
    site_slug: str,
    url: str,
    events: Iterable[str] = (),
    *,
    allow_private: bool,
    moderator: Moderator | None = None,
) -> Webhook:
    """Add a receiver for a site's events; its ``secret`` is for the caller to show once.

    Raises NotFound (site), ValidationFailed (URL refused by the SSRF guard, unknown event,
    too many webhooks).
    """
    site = sites.get_site(site_slug)
    chosen = parse_events(events)
    normalised = check_url(url, allow_private=allow_private)
    count = db.session.scalar(select(func.count(Webhook.id)).where(Webhook.site_id == site.id))
    if (count or 0) >= MAX_WEBHOOKS_PER_SITE:
        raise ValidationFailed(
            f"A site can have at most {MAX_WEBHOOKS_PER_SITE} webhooks; remove one first.",
            {"url": "too many webhooks"},
        )
    webhook = Webhook(
        site_id=site.id, url=normalised, secret=new_secret(), events=chosen, active=True
    )
    db.session.add(webhook)
    db.session.flush()
    _log(site.id, moderator, f"added: {normalised}", webhook)
    db.session.commit()
    return webhook


def _log(site_id: int, moderator: Moderator | None, what: str, webhook: Webhook) -> None:
    """Webhook changes go to the audit log as settings changes (never with the secret)."""
    audit.record(
        site_id=site_id,
        action="settings",
        moderator=moderator,
        reason=f"webhook {webhook.id} {what}",
        details={"webhook": {"id": webhook.id, "url": webhook.url, "events": webhook.events}},
    )


def list_webhooks(site_slug: str | None = None) -> list[tuple[Webhook, str]]:
    """Webhooks with their site's slug, by site then id. Raises NotFound (site)."""
    query = select(Webhook, Site.slug).join(Site, Site.id == Webhook.site_id)
    if site_slug is not None:
        query = query.where(Site.id == sites.get_site(site_slug).id)
    rows = db.session.execute(query.order_by(Site.slug, Webhook.id)).all()
    return [(webhook, slug) for webhook, slug in rows]


def get_webhook(webhook_id: int, site_id: int | None = None) -> Webhook:
    """A webhook (of ``site_id``, when given). Raises NotFound."""
    webhook = db.session.get(Webhook, webhook_id)
    if webhook is None or (site_id is not None and webhook.site_id != site_id):
        raise NotFound(f"There is no webhook {webhook_id}.")
    return webhook


def remove_webhook(
    webhook_id: int, *, site_id: int | None = None, moderator: Moderator | None = None
) -> str:
    """Delete a webhook; calls still queued for it fail without being sent. Returns its URL.

    Raises NotFound.
    """
    webhook = get_webhook(webhook_id, site_id)
    url = webhook.url
    _log(webhook.site_id, moderator, f"removed: {url}", webhook)
    db.session.delete(webhook)
    db.session.commit()
    return url


def rotate_secret(
    webhook_id: int, *, site_id: int | None = None, moderator: Moderator | None = None
) -> Webhook:
    """Give a webhook a new secret; calls still queued are signed with it. Raises NotFound."""
    webhook = get_webhook(webhook_id, site_id)
    webhook.secret = new_secret()
    _log(webhook.site_id, moderator, "secret rotated", webhook)
    db.session.commit()
    return webhook


def queue_ping(webhook_id: int, *, site_id: int | None = None) -> str:
    """Queue a ``ping`` call to one webhook; returns its delivery id. Raises NotFound."""
    webhook = get_webhook(webhook_id, site_id)
    site = db.session.get_one(Site, webhook.site_id)
    delivery = str(uuid.uuid4())
    body = {
        "id": delivery,
        "event": PING,
        "created_at": _rfc3339(utcnow()),
        "site": site.slug,
        "webhook": {"id": webhook.id, "url": webhook.url, "events": webhook.events or []},
    }
    _enqueue(webhook, PING, delivery, body)
    db.session.commit()
    return delivery


@dataclasses.dataclass(frozen=True)
class Delivery:
    """One queued call as the admin page shows it."""

    id: int
    delivery: str
    event: str
    status: OutboxStatus
    attempts: int
    last_error: str
    created_at: datetime
    due_at: datetime
    sent_at: datetime | None


def recent_deliveries(webhook_id: int, limit: int = 10) -> list[Delivery]:
    """The latest calls queued for a webhook, newest first (from the outbox)."""
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.kind == KIND,
            OutboxMessage.payload["webhook_id"].as_integer() == webhook_id,
        )
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    return [
        Delivery(
            id=row.id,
            delivery=str(row.payload.get("delivery", "")),
            event=str(row.payload.get("event", "")),
            status=row.status,
            attempts=row.attempts,
            last_error=row.last_error,
            created_at=row.created_at,
            due_at=row.due_at,
            sent_at=row.sent_at,
        )
        for row in rows
    ]


# --- Events ------------------------------------------------------------------------------


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def event_body(event: str, delivery: str, comment: Comment, now: datetime) -> dict[str, object]:
    """The JSON document a receiver gets for ``event`` (see docs/webhooks.md).

    Never the author's e-mail, address hashes or edit tokens; no text for a comment that is
    hidden, spam or deleted, and no author name for a deleted one (its author erased it).
    """
    thread = comment.thread
    status = _PUBLIC_STATUS.get(comment.status, comment.status)
    page = thread.url.split("#", 1)[0]
    return {
        "id": delivery,
        "event": event,
        "created_at": _rfc3339(now),
        "site": thread.site.slug,
        "thread": {"key": thread.key, "title": thread.title, "url": thread.url},
        "comment": {
            "id": comment.id,
            "parent_id": comment.parent_id,
            "status": status.value,
            "author_name": "" if comment.status is CommentStatus.DELETED else comment.author_name,
            "html": "" if comment.status in _WITHHELD else comment.html,
            "created_at": _rfc3339(comment.created_at),
            "url": f"{page}#comment-{comment.id}" if page else "",
        },
    }


def _enqueue(webhook: Webhook, event: str, delivery: str, body: Mapping[str, object]) -> None:
    # The exact bytes are fixed now: the signature covers them and retries resend them.
    text = json.dumps(body, separators=(",", ":"))
    payload: dict[str, object] = {
        "webhook_id": webhook.id,
        "event": event,
        "delivery": delivery,
        "body": text,
    }
    outbox.enqueue(KIND, payload)


def on_event(event: Event, comment: Comment) -> None:
    """Queue a call to each of the site's webhooks that wants ``event`` (flushes only)."""
    name = str(event.value)
    if name not in EVENTS:
        return
    hooks = db.session.scalars(
        select(Webhook)
        .where(Webhook.site_id == comment.thread.site_id, Webhook.active.is_(True))
        .order_by(Webhook.id)
    ).all()
    now = utcnow()
    for webhook in hooks:
        if webhook.events and name not in webhook.events:
            continue
        delivery = str(uuid.uuid4())
        _enqueue(webhook, name, delivery, event_body(name, delivery, comment, now))


# --- Signing -----------------------------------------------------------------------------


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Comments-Signature value: sha256= and the HMAC of "<timestamp>.<body>"."""
    message = str(timestamp).encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str,
    timestamp: str | int,
    body: bytes,
    header: str,
    now: float | None = None,
    tolerance: int = SIGNATURE_TOLERANCE_SECONDS,
) -> bool:
    """Whether a call is genuine and fresh: what a receiver written in Python checks.

    ``timestamp`` is the X-Comments-Timestamp header, ``header`` X-Comments-Signature and
    ``body`` the raw request body, byte for byte.
    """
    try:
        moment = int(str(timestamp).strip())
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - moment) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, moment, body), header.strip())


def signed_headers(
    secret: str, event: str, delivery: str, body: bytes, timestamp: int
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Comments-Event": event,
        "X-Comments-Delivery": delivery,
        "X-Comments-Timestamp": str(timestamp),
        "X-Comments-Signature": sign(secret, timestamp, body),
    }


# --- Delivery ----------------------------------------------------------------------------


def _text_field(payload: Mapping[str, object], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str):
        raise DeliveryFailed(f"malformed webhook message: no {name}", permanent=True)
    return value


def _excerpt(body: bytes) -> str:
    text = body[:MAX_ERROR_BODY].decode("utf-8", "replace")
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def deliver(payload: Mapping[str, object], settings: Settings) -> None:
    """Send one queued call. Raises DeliveryFailed: permanent for a removed webhook, a URL
    the guard refuses, a redirect or a 4xx other than 408 and 429; retryable otherwise."""
    webhook_id = payload.get("webhook_id")
    if not isinstance(webhook_id, int) or isinstance(webhook_id, bool):
        raise DeliveryFailed("malformed webhook message: no webhook_id", permanent=True)
    event = _text_field(payload, "event")
    delivery = _text_field(payload, "delivery")
    body = _text_field(payload, "body").encode("utf-8")
    webhook = db.session.get(Webhook, webhook_id)
    if webhook is None:
        raise DeliveryFailed(f"webhook {webhook_id} was removed; not sent", permanent=True)
    if not webhook.active:
        raise DeliveryFailed(f"webhook {webhook_id} is switched off; not sent", permanent=True)
    try:
        vetted = netguard.vet(webhook.url, allow_private=settings.WEBHOOKS_ALLOW_PRIVATE)
    except netguard.UnsafeURL as exc:
        raise DeliveryFailed(f"refused by the SSRF guard: {exc}", permanent=True) from exc
    except (OSError, UnicodeError) as exc:
        raise DeliveryFailed(f"cannot resolve the receiver's host: {exc}") from exc
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    headers = signed_headers(webhook.secret, event, delivery, body, int(time.time()))
    try:
        answer = netguard.post(vetted, body, headers, timeout)
    except TimeoutError as exc:
        raise DeliveryFailed(f"no answer within {timeout} s") from exc
    except OSError as exc:
        raise DeliveryFailed(f"cannot reach the receiver: {exc}") from exc
    except http.client.HTTPException as exc:
        raise DeliveryFailed(f"the receiver's answer is not HTTP: {exc!r}") from exc
    _judge(answer)


def _judge(answer: netguard.Answer) -> None:
    """2xx is delivered; 408, 429 and 5xx are tried again; anything else is given up."""
    status = answer.status
    if 200 <= status < 300:
        return
    said = f"HTTP {status} {answer.reason}".strip()
    excerpt = _excerpt(answer.body)
    if excerpt:
        said += f": {excerpt}"
    if 300 <= status < 400:
        where = f" to {answer.location[:300]}" if answer.location else ""
        raise DeliveryFailed(
            f"{said} (redirect{where} not followed; give the webhook its final URL)",
            permanent=True,
        )
    if status in (408, 429) or status >= 500:
        raise DeliveryFailed(said)
    raise DeliveryFailed(said, permanent=True)
