"""The worker: delivers the outbox and runs the periodic jobs (digests, retention).

Run it as ``comments worker`` next to the web processes, or inside each app process with
WORKER_IN_PROCESS (a daemon thread, started on the first request after a fork).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping
from datetime import datetime, timedelta

from flask import Flask

from comments.config import Settings
from comments.extensions import db
from comments.models import utcnow
from comments.services import outbox
from comments.services.outbox import Deliverer, RetryPolicy

log = logging.getLogger(__name__)
# The periodic jobs scan tables, so a long-running worker runs them this often, not every round.
JOBS_EVERY = timedelta(minutes=5)


def deliverers(settings: Settings) -> Mapping[str, Deliverer]:
    """The deliverer for each kind of outbox message, bound to the settings."""
    from comments.services import mailer, webhooks

    handlers: dict[str, Deliverer] = {
        "webhook": lambda payload: webhooks.deliver(payload, settings),
    }
    if settings.SMTP_HOST:  # without a server, mail waits in the outbox
        handlers["email"] = lambda payload: mailer.deliver(payload, settings)
    return handlers


def run_jobs(settings: Settings, now: datetime) -> None:
    """The periodic jobs: due moderator digests, dropping old address hashes, and pruning
    the outbox's delivery history."""
    from comments.services import notifications, privacy

    notifications.queue_digests(settings, now)
    privacy.drop_old_address_hashes(settings.ADDRESS_HASH_RETENTION_DAYS, now)
    outbox.prune(now - timedelta(days=settings.OUTBOX_KEEP_DAYS))


def run_once(
    settings: Settings, batch: int = 50, now: datetime | None = None, *, jobs: bool = True
) -> tuple[int, int]:
    """Run the jobs (unless ``jobs`` is off), then deliver everything due.

    Returns the delivery attempts that succeeded and failed.
    """
    now = now or utcnow()
    if jobs:
        run_jobs(settings, now)
    retry = RetryPolicy(settings.OUTBOX_MAX_ATTEMPTS, settings.OUTBOX_RETRY_SECONDS)
    handlers = deliverers(settings)
    sent = failed = 0
    while True:
        claimed = outbox.claim(handlers.keys(), batch, now)
        if not claimed:
            break
        for message in claimed:
            if outbox.deliver(message, handlers, retry, now):
                sent += 1
            else:
                failed += 1
                log.warning("outbox message %s failed: %s", message.id, message.last_error)
        if len(claimed) < batch:
            break
    return sent, failed


def run_forever(app: Flask, interval: float, stop: threading.Event) -> None:
    """Deliver every ``interval`` seconds, and run the jobs every JOBS_EVERY, until ``stop``."""
    settings: Settings = app.extensions["comments.settings"]
    jobs_due = time.monotonic()
    while not stop.is_set():
        with app.app_context():
            try:
                run_jobs_now = time.monotonic() >= jobs_due
                if run_jobs_now:
                    jobs_due = time.monotonic() + JOBS_EVERY.total_seconds()
                run_once(settings, jobs=run_jobs_now)
            except Exception:  # keep the worker alive; the next round retries
                log.exception("worker round failed")
                db.session.rollback()
            finally:
                db.session.remove()
        stop.wait(interval)


_lock = threading.Lock()


def start_in_process(app: Flask, interval: float = 5.0) -> threading.Event | None:
    """Start the worker thread once per process and app (after gunicorn forked it).

    Returns the event that stops it when this call started it, else None.
    """
    with _lock:
        if app.extensions.get("comments.worker_pid") == os.getpid():
            return None
        app.extensions["comments.worker_pid"] = os.getpid()
        stop = threading.Event()
        app.extensions["comments.worker_stop"] = stop
    thread = threading.Thread(
        target=run_forever, args=(app, interval, stop), daemon=True, name="comments-worker"
    )
    app.extensions["comments.worker_thread"] = thread
    thread.start()
    return stop
