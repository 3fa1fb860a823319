"""Delivery over SMTP: retries with backoff, permanent refusals, TLS, and messages built so
that no value from readers, sites or the settings can add a header."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from comments.extensions import db
from comments.models import Comment, OutboxStatus, Role, Site, Subscription, Thread, utcnow
from comments.services import mailer, notifications, sites
from comments.services import outbox as outbox_service
from comments.services.outbox import DeliveryFailed
from tests.factories import Api, make_site
from tests.mail.conftest import (
    SmtpServer,
    outbox,
    run_worker,
    self_signed,
    server_tls,
)
from tests.moderation.helpers import add_moderator

EVIL = "\r\nBcc: evil@example.org\r\nX-Injected: yes"
# What a mail we build carries, and nothing else.
REPLY_HEADERS = {
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Auto-Submitted",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
}
ALERT_HEADERS = REPLY_HEADERS - {"List-Unsubscribe", "List-Unsubscribe-Post"}


@pytest.fixture
def news(app: Flask) -> str:
    make_site(app, "news", ("https://news.example",))
    return "news"


def queue_one(app: Flask, to: str = "ann@example.org", **payload: Any) -> None:
    """A plain mail in the outbox, as the notification code queues them."""
    with app.app_context():
        assert mailer.queue(to, "Hello", "alert", {
            "what": "Test", "site_name": "News", "thread_title": "T", "author_name": "A",
            "excerpt": "E", "reasons": [],
        }, links={"moderation_url": "/mod/comments/1"})  # fmt: skip
        db.session.commit()


def with_settings(app: Flask, **changes: Any) -> None:
    key = "comments.settings"
    app.extensions[key] = dataclasses.replace(app.extensions[key], **changes)


def test_the_worker_command_delivers(app: Flask, runner: Any, smtp: SmtpServer, news: str) -> None:
    queue_one(app)
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Delivered 1, failed 0."
    [received] = smtp.take()
    assert received.mail_from == "comments@example.org"
    assert received.rcpt_tos == ["ann@example.org"]
    [message] = outbox(app)
    assert message.status is OutboxStatus.SENT and message.attempts == 1


def test_a_server_that_is_down_means_retry_later_then_delivered(
    app: Flask, smtp: SmtpServer, news: str
) -> None:
    queue_one(app)
    smtp.stop()
    before = utcnow()
    assert run_worker(app) == (0, 1)
    [message] = outbox(app)
    assert message.status is OutboxStatus.PENDING
    assert message.attempts == 1
    assert "ConnectionRefusedError" in message.last_error
    delay = timedelta(seconds=app.extensions["comments.settings"].OUTBOX_RETRY_SECONDS)
    assert before + delay <= message.due_at <= utcnow() + delay

    # Not due yet: a round now leaves it alone.
    assert run_worker(app) == (0, 0)
    # Down again when due: the wait doubles.
    when = message.due_at
    assert run_worker(app, now=when) == (0, 1)
    [message] = outbox(app)
    assert message.attempts == 2
    assert message.due_at == when + 2 * delay  # counted from that round

    smtp.start()  # back, on the same port
    assert run_worker(app, now=message.due_at) == (1, 0)
    assert len(smtp.take()) == 1
    [message] = outbox(app)
    assert message.status is OutboxStatus.SENT and message.attempts == 3


def test_a_5xx_refusal_fails_for_good_after_one_attempt(
    app: Flask, smtp: SmtpServer, news: str
) -> None:
    smtp.handler.refuse = "550 5.1.1 No such user here"
    queue_one(app)
    assert run_worker(app) == (0, 1)
    [message] = outbox(app)
    assert message.status is OutboxStatus.FAILED
    assert message.attempts == 1
    assert message.last_error.startswith("SMTP 550: recipient refused")
    smtp.handler.refuse = None
    assert run_worker(app, now=utcnow() + timedelta(days=1)) == (0, 0)
    assert smtp.take() == []


def test_a_4xx_refusal_is_tried_again(app: Flask, smtp: SmtpServer, news: str) -> None:
    smtp.handler.refuse = "451 4.3.0 Try again later"
    queue_one(app)
    assert run_worker(app) == (0, 1)
    [message] = outbox(app)
    assert message.status is OutboxStatus.PENDING and message.attempts == 1
    assert message.last_error.startswith("SMTP 451")
    smtp.handler.refuse = None
    assert run_worker(app, now=message.due_at) == (1, 0)


def test_the_last_attempt_gives_up(app: Flask, smtp: SmtpServer, news: str) -> None:
    with_settings(app, OUTBOX_MAX_ATTEMPTS=2)
    queue_one(app)
    smtp.stop()
    assert run_worker(app) == (0, 1)
    [message] = outbox(app)
    assert run_worker(app, now=message.due_at) == (0, 1)
    [message] = outbox(app)
    assert message.status is OutboxStatus.FAILED and message.attempts == 2


# --- Header injection -----------------------------------------------------------------------


def only_headers(received: Any, expected: set[str]) -> None:
    names = [name for name, _ in received.message.raw_items()]
    assert sorted(names) == sorted(expected), names
    for _, value in received.message.raw_items():
        # Folding may continue a long header on a new line, but a continuation starts with
        # white space: no line of it can be a header of its own.
        lines = value.split("\r\n") if "\r\n" in value else value.split("\n")
        assert all(line[:1] in ("", " ", "\t") for line in lines[1:]), value


@pytest.fixture
def poisoned(app: Flask, client: FlaskClient, news: str) -> dict[str, int]:
    """A discussion whose stored names, title and text all carry CR/LF and a header.

    The API and the no-JS form normalise what readers send, but imports and older data may
    not: the mail code must hold on its own, so the rows are written directly.
    """
    add_moderator(app, "admin@example.org", Role.ADMIN, ())
    with app.app_context():
        notifications.set_alert_mode(
            db.session.execute(db.select(notifications.Moderator)).scalar_one(), "immediate"
        )
    parent = Api(client).comment("Parent", title="Plain title")["comment"]
    with app.app_context():
        thread_id = db.session.get(Comment, parent["id"]).thread_id
        db.session.execute(update(Site).values(name="News" + EVIL))
        db.session.execute(
            update(Thread).where(Thread.id == thread_id).values(title="The story" + EVIL)
        )
        db.session.add(
            Subscription(
                site_id=sites.get_site("news").id,
                comment_id=parent["id"],
                email="ann@example.org",
                confirmed_at=utcnow(),
            )
        )
        db.session.commit()
        sites.update_policy("news", {"mode": "pre"})
    reply = Api(client, "203.0.113.50").comment("Reply", parent_id=parent["id"])["comment"]
    with app.app_context():
        db.session.execute(
            update(Comment)
            .where(Comment.id == reply["id"])
            .values(
                author_name="Bob" + EVIL,
                html="<p>Line one" + EVIL + "</p><p>To: evil@example.org</p>",
            )
        )
        db.session.commit()
    return {"parent": parent["id"], "reply": reply["id"]}


def test_no_stored_value_can_add_a_header(
    app: Flask, smtp: SmtpServer, poisoned: dict[str, int]
) -> None:
    run_worker(app)
    smtp.take()  # the alert about the held reply, before its text was poisoned
    with app.app_context():
        # A moderator approves the reply: the reply notification and nothing else.
        from comments.services import moderation

        admin = db.session.execute(db.select(notifications.Moderator)).scalar_one()
        moderation.moderate(admin, poisoned["reply"], moderation.Action.APPROVE, "")
        # and the poisoned reply is held again, alerting the admin with all of it.
        comment = db.session.get(Comment, poisoned["reply"])
        from comments.services import visibility

        visibility.set_status(comment, notifications.CommentStatus.PENDING)
        db.session.commit()
    assert run_worker(app) == (2, 0)
    received = {r.rcpt_tos[0]: r for r in smtp.take()}
    assert set(received) == {"ann@example.org", "admin@example.org"}

    note = received["ann@example.org"]
    only_headers(note, REPLY_HEADERS)
    assert note.header("To") == "ann@example.org"
    assert note.header("From") == "Comments <comments@example.org>"
    assert note.header("Subject") == (
        "New reply to your comment on The story Bcc: evil@example.org X-Injected: yes"
    )
    assert "Bob" in note.body and "Line one" in note.body
    assert "To: evil@example.org" in note.body  # just text, in the body

    alert = received["admin@example.org"]
    only_headers(alert, ALERT_HEADERS)
    assert alert.header("Subject") == (
        "[News Bcc: evil@example.org X-Injected: yes] Comment waiting for review"
    )
    for message in (note, alert):
        assert message.message["Bcc"] is None and message.message["X-Injected"] is None
        assert len(message.rcpt_tos) == 1


@pytest.mark.parametrize(
    "to",
    [
        "ann@example.org" + EVIL,
        "ann@example.org\nBcc: evil@example.org",
        "ann@example.org, evil@example.org",
        "Ann <ann@example.org>",
        "ann@example.org\x00",
        "not an address",
    ],
)
def test_a_bad_recipient_is_refused_not_cut_down(
    app: Flask, smtp: SmtpServer, news: str, to: str
) -> None:
    with app.app_context():
        assert mailer.queue(to, "Hi", "alert", {}) is False  # never even queued
        # Queued by other means (an old row, a bug): refused for good at delivery.
        outbox_service.enqueue(
            "email", {"to": to, "subject": "Hi", "template": "alert", "context": {}}
        )
        db.session.commit()
    assert run_worker(app) == (0, 1)
    [message] = outbox(app)
    assert message.status is OutboxStatus.FAILED and "not" in message.last_error
    assert smtp.take() == []


def test_readers_cannot_send_line_breaks_in_the_fields_of_a_comment(
    app: Flask, client: FlaskClient, smtp: SmtpServer, news: str
) -> None:
    api = Api(client)
    refused = api.post("Hi", author_email="ann@example.org" + EVIL, notify_replies=True)
    assert refused.status_code == 422
    # Names and titles are folded onto one line when they are stored.
    posted = api.comment("Hi", author_name="Ann" + EVIL, title="Title" + EVIL)["comment"]
    assert "\r" not in posted["author"]["name"] and "\n" not in posted["author"]["name"]


@pytest.mark.parametrize(
    "mail_from",
    [
        "comments@example.org" + EVIL,
        "Comments" + EVIL + " <comments@example.org>",
        "Comments <comments@example.org>" + EVIL,
        "comments@example.org, evil@example.org",
    ],
)
def test_a_bad_mail_from_fails_the_mail_and_sends_nothing(
    app: Flask, smtp: SmtpServer, news: str, mail_from: str
) -> None:
    with_settings(app, MAIL_FROM=mail_from)
    queue_one(app)
    assert run_worker(app) == (0, 1)
    [message] = outbox(app)
    assert message.status is OutboxStatus.FAILED
    assert "MAIL_FROM" in message.last_error
    assert smtp.take() == []


def test_a_display_name_in_mail_from_is_encoded_not_trusted(
    app: Flask, smtp: SmtpServer, news: str
) -> None:
    with_settings(app, MAIL_FROM='"News: Bcc evil@example.org" <comments@example.org>')
    queue_one(app)
    assert run_worker(app) == (1, 0)
    [received] = smtp.take()
    only_headers(received, ALERT_HEADERS)
    assert received.message["From"].addresses[0].addr_spec == "comments@example.org"
    assert received.message["From"].addresses[0].display_name == "News: Bcc evil@example.org"
    assert received.rcpt_tos == ["ann@example.org"]


def test_clean_header_drops_every_line_break_and_control() -> None:
    nasty = "a\rb\nc\x0bd\x0ce\x1cf\x85g\u2028h\u2029i\x00j\x1bk\u202el"
    assert mailer.clean_header(nasty) == "a b c d e f g h ijkl"
    assert mailer.clean_header("x" * 300) == "x" * 199 + "…"


def test_deliver_sorts_failures_into_permanent_and_retryable(app: Flask, smtp: SmtpServer) -> None:
    settings = app.extensions["comments.settings"]
    with pytest.raises(DeliveryFailed) as bad_payload:
        mailer.deliver({"to": "a@example.org"}, settings)
    assert bad_payload.value.permanent
    context = {"what": "W", "site_name": "S", "thread_title": "T", "author_name": "A",
               "excerpt": "E", "reasons": []}  # fmt: skip
    good = {
        "to": "a@example.org",
        "subject": "S",
        "template": "alert",
        "context": context,
        "links": {"moderation_url": "/mod/comments/1"},
    }
    with pytest.raises(DeliveryFailed) as unknown_template:
        mailer.deliver({**good, "template": "../../etc/passwd"}, settings)
    assert unknown_template.value.permanent
    with pytest.raises(DeliveryFailed) as bad_security:
        mailer.deliver(good, dataclasses.replace(settings, SMTP_SECURITY="tls13"))
    assert not bad_security.value.permanent  # fix the setting and it goes out
    with pytest.raises(DeliveryFailed) as bad_link:
        mailer.deliver({**good, "links": {"moderation_url": "javascript:alert(1)"}}, settings)
    assert bad_link.value.permanent
    mailer.deliver(good, settings)
    assert [r.rcpt_tos for r in smtp.take()] == [["a@example.org"]]


# --- TLS ------------------------------------------------------------------------------------


@pytest.fixture
def trusted_cert(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 that our client trusts (via SSL_CERT_FILE,
    which ssl.create_default_context() reads), so verification stays on."""
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", cert)
    return cert, key


@pytest.fixture
def tls_server(
    trusted_cert: tuple[str, str], request: pytest.FixtureRequest
) -> Iterator[SmtpServer]:
    context = server_tls(*trusted_cert)
    mode = request.param
    options = (
        {"tls_context": context, "require_starttls": True}
        if mode == "starttls"
        else {"ssl_context": context}
    )
    server = SmtpServer(**options)
    server.start()
    yield server
    server.stop()


@pytest.mark.parametrize("tls_server", ["starttls", "ssl"], indirect=True)
def test_tls_to_a_server_with_a_trusted_certificate(
    app: Flask, news: str, tls_server: SmtpServer, request: pytest.FixtureRequest
) -> None:
    mode = request.node.callspec.params["tls_server"]
    with_settings(app, SMTP_PORT=tls_server.port, SMTP_SECURITY=mode)
    queue_one(app)
    assert run_worker(app) == (1, 0)
    assert [r.rcpt_tos for r in tls_server.take()] == [["ann@example.org"]]


def test_tls_refuses_an_untrusted_certificate_and_retries(
    app: Flask, news: str, tmp_path: Any
) -> None:
    cert, key = self_signed(tmp_path)  # not trusted: SSL_CERT_FILE is not set
    server = SmtpServer(ssl_context=server_tls(cert, key))
    server.start()
    try:
        with_settings(app, SMTP_PORT=server.port, SMTP_SECURITY="ssl")
        queue_one(app)
        assert run_worker(app) == (0, 1)
        [message] = outbox(app)
        assert message.status is OutboxStatus.PENDING
        assert "CERTIFICATE_VERIFY_FAILED" in message.last_error
        assert server.take() == []
    finally:
        server.stop()
