"""The webhook tests' receiver (a real HTTP server on 127.0.0.1) and small helpers."""

from __future__ import annotations

import dataclasses
import json
import ssl
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from flask import Flask
from sqlalchemy import select

from comments import worker
from comments.config import Settings
from comments.extensions import db
from comments.models import OutboxMessage
from comments.services import webhooks

# How long a held answer waits for the test to release it before giving up on its own.
HOLD_LIMIT = 30.0


@dataclasses.dataclass(frozen=True)
class Call:
    """One request the receiver got, exactly as it arrived."""

    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclasses.dataclass(frozen=True)
class Reply:
    """How the receiver answers one request."""

    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    # Answer only once this is set (a receiver too slow for the sender's timeout).
    hold: threading.Event | None = None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: Receiver

    def verify_request(self, request: Any, client_address: Any) -> bool:
        self.receiver.note_connection()
        return True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A sender that gave up closes the socket under a held answer; that is expected."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = self.server.receiver.record(Call(self.command, self.path, headers, body))
        if reply.hold is not None:
            reply.hold.wait(HOLD_LIMIT)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(reply.body)

    do_POST = do_GET = do_PUT = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read the calls, not the log."""


class Receiver:
    """A real HTTP server on 127.0.0.1 (port 0) in a thread, recording every request.

    With ``tls`` (a server-side context) it speaks HTTPS.
    """

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.calls: list[Call] = []
        self.connections = 0
        self._replies: list[Reply] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.receiver = self
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
            self.url = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._lock:
            for reply in self._replies:
                if reply.hold is not None:
                    reply.hold.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)

    def answer(self, *replies: Reply | int) -> None:
        """Answer the next requests like this, in order; after them, 200."""
        with self._lock:
            self._replies.extend(r if isinstance(r, Reply) else Reply(r) for r in replies)

    def record(self, call: Call) -> Reply:
        with self._lock:
            self.calls.append(call)
            return self._replies.pop(0) if self._replies else Reply()

    def note_connection(self) -> None:
        with self._lock:
            self.connections += 1

    def events(self) -> list[str]:
        return [call.headers["x-comments-event"] for call in self.calls]


def settings_of(app: Flask) -> Settings:
    value: Settings = app.extensions["comments.settings"]
    return value


def add_hook(app: Flask, url: str, *events: str, site: str = "news") -> tuple[int, str]:
    """Add a webhook through the service; returns its id and secret."""
    with app.app_context():
        hook = webhooks.add_webhook(site, url, events, allow_private=True)
        return hook.id, hook.secret


def work(
    app: Flask, now: datetime | None = None, settings: Settings | None = None
) -> tuple[int, int]:
    """One worker round (deliveries only), as `comments worker --once` runs it."""
    with app.app_context():
        try:
            return worker.run_once(settings or settings_of(app), now=now, jobs=False)
        finally:
            db.session.remove()


@dataclasses.dataclass(frozen=True)
class Row:
    status: str
    attempts: int
    due_at: datetime
    last_error: str
    payload: dict[str, Any]


def outbox_rows(app: Flask) -> list[Row]:
    """The webhook calls in the outbox, oldest first."""
    with app.app_context():
        messages = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == webhooks.KIND)
            .order_by(OutboxMessage.id)
        )
        return [
            Row(m.status.value, m.attempts, m.due_at, m.last_error, dict(m.payload))
            for m in messages
        ]
