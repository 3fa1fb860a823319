"""The outbox: mails and webhook calls queued with the change they report, sent after it.

A change enqueues its messages in its own transaction (``enqueue`` only flushes), so a
rollback sends nothing. The worker claims due messages with a lease, hands each to the
deliverer for its kind, and records the outcome: sent, retried later with a doubling delay,
or given up after the last attempt.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update

from comments.extensions import db
from comments.models import OutboxMessage, OutboxStatus, utcnow

# How long a claimed message is left to the worker that claimed it.
LEASE = timedelta(minutes=5)
MAX_ERROR_LENGTH = 2000


class DeliveryFailed(Exception):
    """A delivery did not succeed. ``permanent`` failures are not retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    first_delay_seconds: int = 30

    def delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt: 1x, 2x, 4x ... the first delay."""
        return timedelta(seconds=self.first_delay_seconds * 2 ** max(attempts - 1, 0))


Deliverer = Callable[[Mapping[str, object]], None]


def enqueue(kind: str, payload: dict[str, object], *, due_at: datetime | None = None) -> None:
    """Queue a message in the current transaction (flushes, never commits)."""
    db.session.add(OutboxMessage(kind=kind, payload=payload, due_at=due_at or utcnow()))
    db.session.flush()


def claim(
    kinds: Collection[str], limit: int = 20, now: datetime | None = None
) -> list[OutboxMessage]:
    """Take up to ``limit`` due messages of ``kinds`` for this worker and commit the claim.

    Each row is claimed with a conditional update, so two workers never take the same one.
    Kinds nobody can deliver (mail without an SMTP server) wait in the outbox.
    """
    now = now or utcnow()
    candidates = db.session.scalars(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.kind.in_(list(kinds)),
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.due_at <= now,
            or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
        )
        .order_by(OutboxMessage.due_at, OutboxMessage.id)
        .limit(limit)
    ).all()
    claimed: list[int] = []
    for message_id in candidates:
        result = db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.status == OutboxStatus.PENDING,
                or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
            )
            .values(locked_until=now + LEASE)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(message_id)
    db.session.commit()
    if not claimed:
        return []
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_(claimed)).order_by(OutboxMessage.id)
        )
    )


def deliver(
    message: OutboxMessage,
    deliverers: Mapping[str, Deliverer],
    retry: RetryPolicy,
    now: datetime | None = None,
) -> bool:
    """Deliver one claimed message and record the outcome (commits). True when sent."""
    deliverer = deliverers.get(message.kind)
    try:
        if deliverer is None:
            raise DeliveryFailed(f"no deliverer for {message.kind!r}", permanent=True)
        deliverer(message.payload)
    except DeliveryFailed as exc:
        _failed(message, str(exc), exc.permanent, retry, now or utcnow())
        return False
    except OSError as exc:  # network trouble of any kind: try again later
        _failed(message, f"{type(exc).__name__}: {exc}", False, retry, now or utcnow())
        return False
    message.status = OutboxStatus.SENT
    message.attempts += 1
    message.sent_at = now or utcnow()
    message.locked_until = None
    message.last_error = ""
    db.session.commit()
    return True


def _failed(
    message: OutboxMessage, error: str, permanent: bool, retry: RetryPolicy, now: datetime
) -> None:
    message.attempts += 1
    message.last_error = error[:MAX_ERROR_LENGTH]
    message.locked_until = None
    if permanent or message.attempts >= retry.max_attempts:
        message.status = OutboxStatus.FAILED
    else:
        message.due_at = now + retry.delay(message.attempts)
    db.session.commit()


def pending_count() -> int:
    """Messages still waiting to go out."""
    return len(
        db.session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.status == OutboxStatus.PENDING)
        ).all()
    )


def prune(before: datetime) -> int:
    """Delete sent and given-up messages created before ``before``. Returns how many."""
    result = db.session.execute(
        delete(OutboxMessage)
        .where(
            OutboxMessage.status.in_([OutboxStatus.SENT, OutboxStatus.FAILED]),
            OutboxMessage.created_at < before,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
