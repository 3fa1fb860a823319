"""WORKER_IN_PROCESS: the app delivers its own outbox from a thread, no `comments worker`."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.factories import Api
from tests.webhooks.helpers import Receiver, add_hook, outbox_rows

WAIT_SECONDS = 30


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "WORKER_IN_PROCESS": True}


@pytest.fixture
def stopped_afterwards(app: Flask) -> Iterator[None]:
    yield
    stop = app.extensions.get("comments.worker_stop")
    thread = app.extensions.get("comments.worker_thread")
    assert isinstance(stop, threading.Event) and isinstance(thread, threading.Thread)
    stop.set()
    thread.join(WAIT_SECONDS)
    assert not thread.is_alive()


def test_the_app_delivers_its_outbox_itself(
    app: Flask, api: Api, receiver: Receiver, stopped_afterwards: None
) -> None:
    add_hook(app, receiver.url + "/hook")
    assert "comments.worker_thread" not in app.extensions  # started by the first request
    api.comment("Delivered without a separate worker", author_name="Ann")
    deadline = time.monotonic() + WAIT_SECONDS
    # Polling for the delivery and its record, bounded by the deadline.
    while time.monotonic() < deadline:
        if receiver.calls and [row.status for row in outbox_rows(app)] == ["sent"]:
            break
        time.sleep(0.05)
    assert receiver.events() == ["comment.created"]
    assert [row.status for row in outbox_rows(app)] == ["sent"]
    # One thread per process and app, however many requests.
    first = app.extensions["comments.worker_thread"]
    api.thread()
    assert app.extensions["comments.worker_thread"] is first
