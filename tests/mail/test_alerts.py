"""Moderator alerts: immediately or as a daily digest, chosen per moderator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import event, update

from comments.extensions import db
from comments.models import Comment, Moderator, Role, utcnow
from comments.services import accounts, notifications, sites
from tests.factories import Api, make_site
from tests.mail.conftest import SmtpServer, outbox, run_worker
from tests.moderation.helpers import Mod, add_moderator

DAY = timedelta(days=1)


@pytest.fixture
def news(app: Flask) -> str:
    make_site(app, "news", ("https://news.example",))
    make_site(app, "other")
    return "news"


def set_mode(app: Flask, email: str, mode: str) -> None:
    with app.app_context():
        notifications.set_alert_mode(accounts.get_by_email(email), mode)


def moderator(app: Flask, email: str) -> Moderator:
    with app.app_context():
        row = accounts.get_by_email(email)
        db.session.expunge(row)
        return row


def premoderate(app: Flask) -> None:
    with app.app_context():
        sites.update_policy("news", {"mode": "pre"})


def digests(app: Flask, now: datetime) -> None:
    with app.app_context():
        notifications.queue_digests(app.extensions["comments.settings"], now)


@pytest.fixture
def team(app: Flask, news: str) -> None:
    """An admin (every site), a moderator of news, one of the other site, one with alerts off."""
    add_moderator(app, "admin@example.org", Role.ADMIN, ())
    add_moderator(app, "news-mod@example.org", Role.MODERATOR, ("news",))
    add_moderator(app, "other-mod@example.org", Role.MODERATOR, ("other",))
    add_moderator(app, "quiet@example.org", Role.MODERATOR, ("news",))
    for email in ("admin@example.org", "news-mod@example.org", "other-mod@example.org"):
        set_mode(app, email, "immediate")


def test_a_pending_comment_alerts_the_moderators_who_see_its_site(
    app: Flask, client: FlaskClient, smtp: SmtpServer, team: None
) -> None:
    premoderate(app)
    held = Api(client).comment(
        "Please *look* at <i>this</i>", author_name="Zed", title="The story"
    )["comment"]
    assert run_worker(app) == (2, 0)
    received = {r.rcpt_tos[0]: r for r in smtp.take()}
    assert set(received) == {"admin@example.org", "news-mod@example.org"}
    alert = received["news-mod@example.org"]
    assert alert.header("Subject") == "[News] Comment waiting for review"
    assert alert.header("Auto-Submitted") == "auto-generated"
    assert alert.message["List-Unsubscribe"] is None
    assert "Thread: The story" in alert.body
    assert "Author: Zed" in alert.body
    assert "Please look at this" in alert.body  # an excerpt as text, no markup
    assert "<i>" not in alert.body
    assert "Why:\n- every comment on this site is held for review\n" in alert.body
    assert f"https://comments.example/mod/comments/{held['id']}" in alert.body


def test_reports_alert_once_and_a_takedown_alerts_as_held(
    app: Flask, client: FlaskClient, smtp: SmtpServer, team: None
) -> None:
    with app.app_context():
        sites.update_policy("news", {"report_threshold": 2})
    target = Api(client).comment("A published comment")["comment"]
    assert run_worker(app) == (0, 0)

    assert Api(client, "198.51.100.1").report(target["id"], "abuse").status_code == 202
    assert run_worker(app) == (2, 0)
    subjects = {r.header("Subject") for r in smtp.take()}
    assert subjects == {"[News] Comment reported"}

    # The second report reaches the threshold: the comment goes back to pending. One alert
    # per moderator says so (not one for the report and another for the hold).
    assert Api(client, "198.51.100.2").report(target["id"], "spam").status_code == 202
    assert run_worker(app) == (2, 0)
    received = smtp.take()
    assert {r.header("Subject") for r in received} == {"[News] Comment waiting for review"}
    assert "reported 2 times" in received[0].body


def test_a_published_comment_with_a_suspect_word_alerts_as_flagged(
    app: Flask, client: FlaskClient, smtp: SmtpServer, team: None
) -> None:
    with app.app_context():
        sites.update_policy("news", {"suspect_words": ["casino"]})
    Api(client).comment("Visit my casino")
    assert run_worker(app) == (2, 0)
    assert {r.header("Subject") for r in smtp.take()} == {"[News] Comment flagged for review"}


def test_alerts_off_and_other_sites_get_nothing(
    app: Flask, client: FlaskClient, smtp: SmtpServer, team: None
) -> None:
    premoderate(app)
    for email in ("admin@example.org", "news-mod@example.org"):
        set_mode(app, email, "off")
    Api(client).comment("Held")
    assert run_worker(app) == (0, 0)
    assert outbox(app) == []


def count_queries(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        if args[2] != "BEGIN":  # SQLite's transactions are begun by hand (comments/app.py)
            statements.append(args[2])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_the_digest_comes_once_a_day_and_only_with_news(
    app: Flask, client: FlaskClient, smtp: SmtpServer, news: str
) -> None:
    add_moderator(app, "digest@example.org", Role.MODERATOR, ("news",))
    add_moderator(app, "admin@example.org", Role.ADMIN, ())
    set_mode(app, "digest@example.org", "digest")
    chosen_at = moderator(app, "digest@example.org").digest_sent_at
    assert chosen_at is not None
    now = utcnow()

    # Nothing is due on the day the digest was chosen.
    digests(app, now)
    assert outbox(app) == []

    premoderate(app)
    held = Api(client).comment("Waiting", author_name="Yan", title="The story")["comment"]
    with app.app_context():
        sites.update_policy("news", {"mode": "post"})
    reported = Api(client).comment("Reported one", title="The story")["comment"]
    Api(client, "198.51.100.1").report(reported["id"], "spam")
    Api(client).comment("Fine, nothing to do", title="The story")
    assert outbox(app) == []  # no immediate alerts for a digest reader

    digests(app, now + DAY)
    assert run_worker(app, now=now + DAY) == (1, 0)
    [digest] = smtp.take()
    assert digest.rcpt_tos == ["digest@example.org"]
    assert digest.header("Subject") == "Comments digest: 2 new to review"
    body = digest.body
    assert "Waiting now: 1 pending" in body
    assert "1 reported" in body
    assert f"https://comments.example/mod/comments/{held['id']}" in body
    assert f"https://comments.example/mod/comments/{reported['id']}" in body
    assert "Fine, nothing to do" not in body
    assert 'pending: Yan on "The story" (News)' in body

    # Due once a day: the same day again sends nothing; the next day has nothing new.
    digests(app, now + DAY + timedelta(hours=23))
    digests(app, now + 2 * DAY + timedelta(minutes=1))
    assert run_worker(app, now=now + 3 * DAY) == (0, 0)
    assert smtp.take() == []
    assert moderator(app, "digest@example.org").digest_sent_at == now + 2 * DAY + timedelta(
        minutes=1
    )

    # Something new the day after (written as arriving then): a digest listing only it.
    premoderate(app)
    newer = Api(client, "203.0.113.77").comment("Another one")["comment"]
    with app.app_context():
        db.session.execute(
            update(Comment)
            .where(Comment.id == newer["id"])
            .values(created_at=now + 2 * DAY + timedelta(minutes=2))
        )
        db.session.commit()
    digests(app, now + 3 * DAY + timedelta(minutes=2))
    assert run_worker(app, now=now + 4 * DAY) == (1, 0)
    [digest] = smtp.take()
    assert digest.header("Subject") == "Comments digest: 1 new to review"
    assert f"/mod/comments/{newer['id']}" in digest.body
    assert f"/mod/comments/{held['id']}" not in digest.body
    assert "Waiting now: 2 pending" in digest.body


def test_a_digest_lists_twenty_and_counts_the_rest(
    app: Flask, client: FlaskClient, smtp: SmtpServer, news: str
) -> None:
    add_moderator(app, "digest@example.org", Role.MODERATOR, ("news",))
    set_mode(app, "digest@example.org", "digest")
    premoderate(app)
    for n in range(23):
        Api(client, f"203.0.113.{n + 1}").comment(f"Held number {n}")
    digests(app, utcnow() + DAY)
    assert run_worker(app) == (1, 0)
    [digest] = smtp.take()
    assert digest.header("Subject") == "Comments digest: 23 new to review"
    assert digest.body.count("/mod/comments/") == 20
    assert "... and 3 more." in digest.body


def test_checking_for_due_digests_is_one_query(app: Flask, news: str, smtp: SmtpServer) -> None:
    add_moderator(app, "digest@example.org", Role.MODERATOR, ("news",))
    set_mode(app, "digest@example.org", "digest")
    for statements in count_queries(app):
        digests(app, utcnow())
        assert len(statements) == 1, statements


def test_no_digest_without_a_mail_server(
    app: Flask, client: FlaskClient, news: str, smtp: SmtpServer
) -> None:
    import dataclasses

    add_moderator(app, "digest@example.org", Role.MODERATOR, ("news",))
    set_mode(app, "digest@example.org", "digest")
    premoderate(app)
    Api(client).comment("Held")
    settings = dataclasses.replace(app.extensions["comments.settings"], SMTP_HOST="")
    with app.app_context():
        notifications.queue_digests(settings, utcnow() + DAY)
    assert outbox(app) == []


def test_the_account_page_chooses_alerts_with_a_csrf_protected_form(
    app: Flask, news: str, smtp: SmtpServer
) -> None:
    add_moderator(app, "mod@example.org", Role.MODERATOR, ("news",))
    mod = Mod(app.test_client(), "mod@example.org")
    mod.sign_in()
    page = mod.text("/mod/account")
    assert 'name="alert_mode" value="off" checked' in page
    assert 'href="/mod/account"' in page  # in the navigation

    forged = mod.client.post("/mod/account/alerts", data={"alert_mode": "immediate"})
    assert forged.status_code == 400
    assert moderator(app, "mod@example.org").alert_mode == "off"

    response = mod.post("/mod/account/alerts", {"alert_mode": "digest"}, page="/mod/account")
    assert "E-mail alerts: daily digest." in mod.flashes(response)
    assert moderator(app, "mod@example.org").alert_mode == "digest"
    assert 'name="alert_mode" value="digest" checked' in mod.text("/mod/account")

    bad = mod.post("/mod/account/alerts", {"alert_mode": "hourly"}, page="/mod/account")
    assert bad.status_code == 400
    assert moderator(app, "mod@example.org").alert_mode == "digest"
    assert mod.client.get("/mod/logout").status_code == 405
    signed_out = app.test_client().get("/mod/account")
    assert signed_out.status_code in (302, 303)


def test_the_cli_chooses_alerts(app: Flask, runner: FlaskCliRunner, news: str) -> None:
    add_moderator(app, "mod@example.org", Role.MODERATOR, ("news",))
    result = runner.invoke(args=["moderator", "alerts", "MOD@example.org", "immediate"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "E-mail alerts for mod@example.org: immediate."
    assert moderator(app, "mod@example.org").alert_mode == "immediate"
    result = runner.invoke(args=["moderator", "alerts", "mod@example.org", "hourly"])
    assert result.exit_code == 2 and "hourly" in result.output
    result = runner.invoke(args=["moderator", "alerts", "nobody@example.org", "off"])
    assert result.exit_code == 1
    assert moderator(app, "mod@example.org").alert_mode == "immediate"
