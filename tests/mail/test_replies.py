"""Reply notifications end to end: post through the API or the no-JS form, deliver with the
worker to a real SMTP server on loopback, follow the links like a reader."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from comments.errors import Conflict
from comments.extensions import db
from comments.models import Comment, OutboxMessage, Role, Subscription
from comments.services import mailer, sites
from comments.services.identity import sign_sso
from tests.factories import DEFAULT_URI, Api, make_site
from tests.mail.conftest import (
    PUBLIC_URL,
    SmtpServer,
    outbox,
    path_of,
    run_worker,
    subscriptions,
)
from tests.moderation.helpers import Mod, add_moderator

PAGE_URL = "https://news.example/2026/11/story"


@pytest.fixture
def news(app: Flask) -> str:
    make_site(app, "news", ("https://news.example",))
    return "news"


def post(api: Api, body: str, **fields: Any) -> dict[str, Any]:
    fields.setdefault("title", "The story")
    fields.setdefault("url", PAGE_URL)
    return api.comment(body, **fields)["comment"]


def deliver_with_cli(runner: FlaskCliRunner) -> str:
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def sso_token(app: Flask, user_id: str, name: str, email: str) -> str:
    with app.app_context():
        secret = sites.get_site("news").sso_secret
    payload = {"id": user_id, "name": name, "email": email, "exp": int(time.time()) + 600}
    return sign_sso(payload, secret)


def sso_post(client: FlaskClient, sso: str, body: str, **fields: Any) -> dict[str, Any]:
    payload = {"site": "news", "uri": DEFAULT_URI, "body": body, "title": "The story", **fields}
    response = client.post("/api/v1/comments", json=payload, headers={"X-Comments-SSO": sso})
    assert response.status_code in (201, 202), response.get_json()
    comment: dict[str, Any] = response.get_json()["comment"]
    return comment


def test_double_opt_in_then_notification_then_one_click_unsubscribe(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, smtp: SmtpServer, news: str
) -> None:
    ann, bob = Api(client, "203.0.113.1"), Api(client, "203.0.113.2")
    parent = post(ann, "My view", author_name="Ann", author_email="ann@example.org",
                  notify_replies=True)  # fmt: skip

    # First only a confirmation, through the outbox and the `comments worker` command.
    assert deliver_with_cli(runner).strip() == "Delivered 1, failed 0."
    [confirmation] = smtp.take()
    assert confirmation.rcpt_tos == ["ann@example.org"]
    assert confirmation.header("To") == "ann@example.org"
    assert confirmation.header("From") == "Comments <comments@example.org>"
    assert confirmation.header("Subject") == "Please confirm: replies to your comment on The story"
    assert confirmation.message["List-Unsubscribe"] is None
    assert "My view" in confirmation.body
    [confirm_url] = confirmation.links()
    assert confirm_url.startswith(PUBLIC_URL + "/mail/confirm/")

    # Until Ann confirms, a reply mails her nothing.
    post(bob, "Early reply", author_name="Bob", parent_id=parent["id"])
    assert run_worker(app) == (0, 0)
    assert smtp.take() == []

    # Mail scanners fetch links: GET shows a button and changes nothing.
    page = client.get(path_of(confirm_url))
    assert page.status_code == 200
    assert "Yes, notify me of replies" in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert subscriptions(app)[0].confirmed_at is None
    done = client.post(path_of(confirm_url))
    assert done.status_code == 200 and "Confirmed" in done.text
    assert subscriptions(app)[0].confirmed_at is not None

    reply = post(bob, "I **disagree** <b>strongly</b> & say why", author_name="Bob",
                 author_email="bob@example.org", parent_id=parent["id"])  # fmt: skip
    assert run_worker(app) == (1, 0)
    [note] = smtp.take()
    assert note.rcpt_tos == ["ann@example.org"]
    assert note.header("Subject") == "New reply to your comment on The story"
    assert note.header("Auto-Submitted") == "auto-generated"
    assert re.fullmatch(r"<[0-9a-f]{32}@example\.org>", note.header("Message-ID"))
    assert note.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    unsubscribe = note.header("List-Unsubscribe")
    assert re.fullmatch(r"<https://comments\.example/mail/unsubscribe/[\w.\-]+>", unsubscribe)
    # Plain text only, the reply as text: no reader's HTML anywhere.
    assert note.message.get_content_type() == "text/plain"
    assert not note.message.is_multipart()
    assert "I disagree strongly & say why" in note.body
    assert "<" not in note.body.replace(unsubscribe, "")
    assert f"{PAGE_URL}#comment-{reply['id']}" in note.body
    assert unsubscribe.strip("<>") in note.body

    # One-click unsubscribe: what a mail client POSTs, without cookies or a CSRF token.
    answer = client.post(
        path_of(unsubscribe.strip("<>")),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 200 and "Unsubscribed" in answer.text
    assert subscriptions(app)[0].unsubscribed_at is not None

    post(bob, "Anyone there?", author_name="Bob", parent_id=parent["id"])
    assert run_worker(app) == (0, 0)
    assert smtp.take() == []


def test_a_signed_in_reader_skips_the_confirmation(
    app: Flask, client: FlaskClient, smtp: SmtpServer, news: str
) -> None:
    token = sso_token(app, "u-1", "Dana", "dana@example.org")
    parent = sso_post(client, token, "Signed in", notify_replies=True)
    assert run_worker(app) == (0, 0)  # no confirmation mail
    [subscription] = subscriptions(app)
    assert subscription.email == "dana@example.org" and subscription.confirmed_at is not None

    post(Api(client, "203.0.113.9"), "Hi Dana", author_name="Eve", parent_id=parent["id"])
    assert run_worker(app) == (1, 0)
    [note] = smtp.take()
    assert note.rcpt_tos == ["dana@example.org"]
    assert "Eve replied to your comment" in note.body


def test_a_held_reply_notifies_when_approved_and_only_once(
    app: Flask, client: FlaskClient, smtp: SmtpServer, news: str
) -> None:
    token = sso_token(app, "u-1", "Dana", "dana@example.org")
    parent = sso_post(client, token, "Signed in", notify_replies=True)
    with app.app_context():
        sites.update_policy("news", {"mode": "pre"})
    reply = post(Api(client, "203.0.113.9"), "Held reply", parent_id=parent["id"])
    with app.app_context():
        assert db.session.get(Comment, reply["id"]).status.value == "pending"
    assert run_worker(app) == (0, 0)

    add_moderator(app, "admin@example.org", Role.ADMIN, ())
    admin = Mod(app.test_client(), "admin@example.org")
    admin.sign_in()

    def decide(action: str) -> None:
        page = f"/mod/comments/{reply['id']}"
        response = admin.post(f"{page}/decide", {"action": action, "next": page}, page=page)
        assert response.status_code == 303, response.text

    decide("approve")
    assert run_worker(app) == (1, 0)
    [note] = smtp.take()
    assert "Held reply" in note.body
    decide("hide")
    decide("approve")
    assert run_worker(app) == (0, 0)
    assert smtp.take() == []


def test_authors_are_not_told_about_their_own_replies(
    app: Flask, client: FlaskClient, smtp: SmtpServer, news: str
) -> None:
    token = sso_token(app, "u-1", "Dana", "dana@example.org")
    parent = sso_post(client, token, "Signed in", notify_replies=True)
    sso_post(client, token, "Replying to myself", parent_id=parent["id"])
    # The same address typed by hand, in other case, is the same person too.
    post(Api(client, "203.0.113.9"), "Me again", author_email="Dana@Example.org",
         parent_id=parent["id"])  # fmt: skip
    assert run_worker(app) == (0, 0)
    assert smtp.take() == []
    post(Api(client, "203.0.113.8"), "Someone else", parent_id=parent["id"])
    assert run_worker(app) == (1, 0)
    assert len(smtp.take()) == 1


def test_a_failing_post_queues_nothing(
    app: Flask, client: FlaskClient, smtp: SmtpServer, news: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_queue = mailer.queue

    def queue_then_fail(*args: Any, **kwargs: Any) -> bool:
        real_queue(*args, **kwargs)  # flushed into the post's transaction ...
        raise Conflict("Something later in the post went wrong.")  # ... which rolls back

    monkeypatch.setattr(mailer, "queue", queue_then_fail)
    response = Api(client).post("Hello", author_email="ann@example.org", notify_replies=True)
    assert response.status_code == 409
    with app.app_context():
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
        assert db.session.scalar(select(func.count(Subscription.id))) == 0
        assert db.session.scalar(select(func.count(Comment.id))) == 0
    monkeypatch.setattr(mailer, "queue", real_queue)
    assert run_worker(app) == (0, 0)
    assert smtp.take() == []


def test_notify_replies_needs_a_boolean_and_an_address(
    app: Flask, client: FlaskClient, smtp: SmtpServer, news: str
) -> None:
    api = Api(client)
    for wrong in ("yes", 1, [], {}):
        response = api.post("Hello", author_email="ann@example.org", notify_replies=wrong)
        assert response.status_code == 422, wrong
        assert response.get_json()["error"]["fields"] == {"notify_replies": "must be true or false"}
    # Without an address there is nobody to tell: the wish is ignored, the comment posted.
    assert api.post("Hello", notify_replies=True).status_code == 201
    assert api.post("Hi", author_email="ann@example.org", notify_replies=False).status_code == 201
    assert api.post("Hey", author_email="ann@example.org", notify_replies=None).status_code == 201
    assert subscriptions(app) == []
    assert outbox(app) == []


def test_the_no_javascript_form_has_the_checkbox(
    app: Flask, client: FlaskClient, smtp: SmtpServer, news: str
) -> None:
    with app.app_context():  # a test sends the form faster than a person could
        sites.update_policy("news", {"min_seconds": 0})
    url = f"/embed/news/thread?uri={DEFAULT_URI}"
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="notify_replies" type="checkbox"' in page.text
    assert "Notify me of replies by e-mail" in page.text
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token
    form = {"token": token.group(1), "body": "From the form", "author_email": "nojs@example.org"}
    response = client.post(url, data={**form, "notify_replies": "1"})
    assert response.status_code == 303, response.text
    [subscription] = subscriptions(app)
    assert subscription.email == "nojs@example.org" and subscription.confirmed_at is None
    assert run_worker(app) == (1, 0)
    [confirmation] = smtp.take()
    assert confirmation.rcpt_tos == ["nojs@example.org"]
    # Not ticked: no subscription.
    response = client.post(url, data={**form, "body": "Unticked"})
    assert response.status_code == 303
    assert len(subscriptions(app)) == 1
    # A refused post keeps the box ticked for the second try.
    again = client.post(url, data={**form, "body": "", "notify_replies": "1"})
    assert again.status_code == 422
    assert re.search(r'name="notify_replies" type="checkbox" value="1"[^>]* checked', again.text)


def test_deleting_a_comment_drops_its_subscription(
    app: Flask, client: FlaskClient, smtp: SmtpServer, news: str
) -> None:
    response = Api(client).post("Bye", author_email="ann@example.org", notify_replies=True)
    data = response.get_json()
    assert len(subscriptions(app)) == 1
    gone = Api(client).send(
        "DELETE", f"/api/v1/comments/{data['comment']['id']}", token=data["edit_token"]
    )
    assert gone.status_code == 204
    assert subscriptions(app) == []


def test_a_comment_taken_for_spam_gets_no_subscription(
    app: Flask, client: FlaskClient, smtp: SmtpServer, news: str
) -> None:
    response = Api(client).post(
        "Buy now", author_email="victim@example.org", notify_replies=True, hp="filled by a bot"
    )
    assert response.status_code == 202
    assert subscriptions(app) == []
    assert outbox(app) == []
