"""Fixtures for the mail tests: a real SMTP server on loopback (aiosmtpd) and the app
configured to send to it, plus helpers to run the worker and read what arrived."""

from __future__ import annotations

import dataclasses
import re
import ssl
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from flask import Flask
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from comments.extensions import db
from comments.models import OutboxMessage, Subscription
from comments.services import accounts

PUBLIC_URL = "https://comments.example"
MAIL_FROM = "Comments <comments@example.org>"
LINK = re.compile(r"https://comments\.example/mail/(?:confirm|unsubscribe)/[A-Za-z0-9_.\-]+")


@dataclasses.dataclass
class Received:
    """One message as the server got it: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        """The decoded text, with the wire's CRLF line ends read as newlines."""
        content: str = self.message.get_content()
        return content.replace("\r\n", "\n")

    def header(self, name: str) -> str:
        """A header's value as a mail client shows it (Python may fold a long value onto
        a continuation line of its own, which leaves a leading space when read back)."""
        return str(self.message[name]).strip()

    def links(self) -> list[str]:
        return LINK.findall(self.body)


class Collector:
    """An aiosmtpd handler that keeps every message, or refuses recipients on request."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refuse: str | None = None  # e.g. "550 5.1.1 No such user"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class LoopbackController(Controller):  # type: ignore[misc]
    """aiosmtpd's threaded server, listening on a free port the system picks."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpServer:
    """A real SMTP server on 127.0.0.1 that can be stopped and started on the same port."""

    def __init__(self, **smtp_options: Any) -> None:
        self.handler = Collector()
        self.options = smtp_options
        self.port = 0
        self.controller: LoopbackController | None = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def start(self) -> None:
        self.controller = LoopbackController(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            server_hostname="mail.test",
            **self.options,
        )
        self.controller.start()
        self.port = self.controller.port

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def take(self) -> list[Received]:
        """The messages received since the last call."""
        taken = list(self.received)
        self.received.clear()
        return taken


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app_config(app_config: dict[str, Any], smtp: SmtpServer) -> dict[str, Any]:
    return {
        **app_config,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp.port,
        "SMTP_TIMEOUT_SECONDS": 5,
        "PUBLIC_URL": PUBLIC_URL,
        "MAIL_FROM": MAIL_FROM,
    }


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sign-in still checks passwords, with a cheap hash (as tests/moderation do)."""

    def cheap(password: str, method: str = "", **_: Any) -> str:
        return generate_password_hash(password, method="pbkdf2:sha256:1")

    monkeypatch.setattr(accounts, "generate_password_hash", cheap)


# --- Helpers ---------------------------------------------------------------------------------


def run_worker(app: Flask, **kwargs: Any) -> tuple[int, int]:
    """One worker round in-process: (sent, failed)."""
    from comments import worker

    with app.app_context():
        try:
            return worker.run_once(app.extensions["comments.settings"], **kwargs)
        finally:
            db.session.remove()


def outbox(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return rows


def subscriptions(app: Flask) -> list[Subscription]:
    with app.app_context():
        rows = list(db.session.scalars(select(Subscription).order_by(Subscription.id)))
        db.session.expunge_all()
        return rows


def path_of(url: str) -> str:
    """The path of one of our links, to follow it with the test client."""
    assert url.startswith(PUBLIC_URL + "/"), url
    return url[len(PUBLIC_URL) :]


def self_signed(tmp_path: Any) -> tuple[str, str]:
    """A certificate and key for 127.0.0.1, made with the openssl command."""
    import shutil
    import subprocess

    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed")
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            key,
            "-out",
            cert,
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def server_tls(cert: str, key: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context
