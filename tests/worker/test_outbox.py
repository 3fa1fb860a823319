"""The outbox: queued with the change, claimed once, retried with a doubling delay."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from comments.extensions import db
from comments.models import OutboxMessage, OutboxStatus, utcnow
from comments.services import outbox
from comments.services.outbox import DeliveryFailed, RetryPolicy


class Recorder:
    """A deliverer that records payloads and fails as told."""

    def __init__(self, failures: list[Exception] | None = None) -> None:
        self.failures = failures or []
        self.delivered: list[Mapping[str, object]] = []

    def __call__(self, payload: Mapping[str, object]) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.delivered.append(dict(payload))


def _queue(app: Flask, *payloads: dict[str, object], kind: str = "test") -> None:
    with app.app_context():
        for payload in payloads:
            outbox.enqueue(kind, payload)
        db.session.commit()


def _rows(app: Flask) -> list[tuple[str, int, OutboxStatus]]:
    with app.app_context():
        return [
            (str(m.payload["n"]), m.attempts, m.status)
            for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]


def test_messages_are_delivered_in_order_and_marked_sent(app: Flask) -> None:
    _queue(app, {"n": 1}, {"n": 2}, {"n": 3})
    recorder = Recorder()
    with app.app_context():
        for message in outbox.claim(["test"]):
            assert outbox.deliver(message, {"test": recorder}, RetryPolicy())
    assert [p["n"] for p in recorder.delivered] == [1, 2, 3]
    assert _rows(app) == [("1", 1, OutboxStatus.SENT), ("2", 1, OutboxStatus.SENT),
                          ("3", 1, OutboxStatus.SENT)]  # fmt: skip
    with app.app_context():
        assert outbox.claim(["test"]) == []
        assert outbox.pending_count() == 0


def test_a_rolled_back_change_queues_nothing(app: Flask) -> None:
    with app.app_context():
        outbox.enqueue("test", {"n": 1})
        db.session.rollback()
        assert outbox.claim(["test"]) == []


def test_a_claimed_message_is_not_claimed_again_until_its_lease_ends(app: Flask) -> None:
    _queue(app, {"n": 1})
    with app.app_context():
        now = utcnow()
        assert len(outbox.claim(["test"], now=now)) == 1
        # Another worker, a moment later: the lease holds.
        assert outbox.claim(["test"], now=now + timedelta(seconds=1)) == []
        # The first worker died: after the lease the message is claimable again.
        assert len(outbox.claim(["test"], now=now + outbox.LEASE + timedelta(seconds=1))) == 1


def test_only_the_kinds_asked_for_are_claimed(app: Flask) -> None:
    _queue(app, {"n": 1}, kind="email")
    _queue(app, {"n": 2}, kind="webhook")
    with app.app_context():
        claimed = outbox.claim(["webhook"])
        assert [m.payload["n"] for m in claimed] == [2]


def test_failures_retry_with_a_doubling_delay_then_give_up(app: Flask) -> None:
    _queue(app, {"n": 1})
    retry = RetryPolicy(max_attempts=4, first_delay_seconds=30)
    recorder = Recorder([DeliveryFailed("busy")] * 4)
    now = utcnow()
    delays = []
    with app.app_context():
        for _ in range(4):
            (message,) = outbox.claim(["test"], now=now)
            outbox.deliver(message, {"test": recorder}, retry, now=now)
            db.session.refresh(message)
            if message.status == OutboxStatus.PENDING:
                delays.append((message.due_at - now).total_seconds())
                # Not due before the delay has passed.
                assert outbox.claim(["test"], now=message.due_at - timedelta(seconds=1)) == []
                now = message.due_at
        assert message.status == OutboxStatus.FAILED
        assert message.attempts == 4
        assert message.last_error == "busy"
    assert delays == [30, 60, 120]
    assert recorder.delivered == []


def test_network_errors_are_retried(app: Flask) -> None:
    _queue(app, {"n": 1})
    recorder = Recorder([ConnectionRefusedError("refused")])
    now = utcnow()
    with app.app_context():
        (message,) = outbox.claim(["test"], now=now)
        assert not outbox.deliver(message, {"test": recorder}, RetryPolicy(), now=now)
        assert message.status == OutboxStatus.PENDING
        assert "ConnectionRefusedError" in message.last_error
        (message,) = outbox.claim(["test"], now=message.due_at)
        assert outbox.deliver(message, {"test": recorder}, RetryPolicy())
        assert message.status == OutboxStatus.SENT and message.attempts == 2
    assert recorder.delivered == [{"n": 1}]


@pytest.mark.parametrize("kind", ["test", "unknown"])
def test_permanent_failures_are_not_retried(app: Flask, kind: str) -> None:
    _queue(app, {"n": 1}, kind=kind)
    recorder = Recorder([DeliveryFailed("550 no such user", permanent=True)])
    with app.app_context():
        (message,) = outbox.claim([kind])
        assert not outbox.deliver(message, {"test": recorder}, RetryPolicy())
        assert message.status == OutboxStatus.FAILED
        assert message.attempts == 1
    with app.app_context():
        assert outbox.claim([kind], now=utcnow() + timedelta(days=30)) == []


def test_retry_policy_delays() -> None:
    policy = RetryPolicy(max_attempts=8, first_delay_seconds=30)
    assert [policy.delay(n).total_seconds() for n in range(1, 6)] == [30, 60, 120, 240, 480]


def test_old_history_is_pruned_but_nothing_waiting(app: Flask) -> None:
    _queue(app, {"n": 1}, {"n": 2}, {"n": 3})
    recorder = Recorder([DeliveryFailed("gone", permanent=True)])
    with app.app_context():
        first, second, _third = outbox.claim(["test"])
        outbox.deliver(first, {"test": recorder}, RetryPolicy())  # given up
        outbox.deliver(second, {"test": recorder}, RetryPolicy())  # sent
        # The third stays pending (its claim lapses): however old, it is never pruned.
        assert outbox.prune(utcnow() - timedelta(days=1)) == 0
        assert outbox.prune(utcnow() + timedelta(seconds=1)) == 2
    assert [row[0] for row in _rows(app)] == ["3"]
