"""Comment events reach a real receiver on 127.0.0.1: signed, retried, given up, never
redirected, and only for the webhooks that still want them."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import update

from comments.extensions import db
from comments.models import CommentStatus, Moderator, Role, Webhook, utcnow
from comments.services import comments as comment_service
from comments.services import moderation, webhooks
from comments.services.moderation import Action
from tests.factories import Api, make_site
from tests.moderation.helpers import Mod, add_moderator, premoderate
from tests.webhooks.helpers import Receiver, Reply, add_hook, outbox_rows, settings_of, work

PAGE = "https://news.example/2026/11/story"
COMMENT_KEYS = {"id", "parent_id", "status", "author_name", "html", "created_at", "url"}


def decide(mod: Mod, comment_id: int, action: str, **extra: str) -> None:
    data = {"action": action, "next": "/mod/queue/all", **extra}
    response = mod.post(f"/mod/comments/{comment_id}/decide", data)
    assert response.status_code == 303, response.get_data(as_text=True)


def post(api: Api, body: str = "Hello **there**", **fields: Any) -> dict[str, Any]:
    fields = {"title": "The story", "url": PAGE, "author_name": "Ann", **fields}
    return api.comment(body, author_email="ann@example.org", **fields)


def test_a_new_comment_is_posted_to_the_receiver_signed_and_sent_once(
    app: Flask, api: Api, receiver: Receiver, runner: FlaskCliRunner
) -> None:
    hook_id, secret = add_hook(app, receiver.url + "/hooks/comments?site=news")
    posted = post(api)
    comment_id = posted["comment"]["id"]
    assert receiver.calls == []  # nothing leaves before the worker runs

    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "Delivered 1, failed 0." in result.output

    [call] = receiver.calls
    assert (call.method, call.path) == ("POST", "/hooks/comments?site=news")
    assert call.headers["content-type"] == "application/json"
    assert call.headers["user-agent"].startswith("comments-webhooks/")
    assert call.headers["host"] == f"127.0.0.1:{receiver.port}"
    assert call.headers["x-comments-event"] == "comment.created"
    # The signature covers exactly the bytes that arrived, with the timestamp in front.
    stamp = call.headers["x-comments-timestamp"]
    signature = call.headers["x-comments-signature"]
    assert abs(int(stamp) - time.time()) < 60
    assert webhooks.verify_signature(secret, stamp, call.body, signature)
    assert not webhooks.verify_signature("whsec_" + "0" * 64, stamp, call.body, signature)
    assert not webhooks.verify_signature(secret, stamp, call.body + b" ", signature)
    assert not webhooks.verify_signature(secret, int(stamp) + 1, call.body, signature)

    body = call.json()
    assert body["id"] == call.headers["x-comments-delivery"]
    assert body["event"] == "comment.created" and body["site"] == "news"
    assert body["created_at"].endswith("Z")
    assert body["thread"] == {"key": "/2026/11/story", "title": "The story", "url": PAGE}
    assert set(body["comment"]) == COMMENT_KEYS
    assert body["comment"]["id"] == comment_id and body["comment"]["parent_id"] is None
    assert body["comment"]["status"] == "approved"
    assert body["comment"]["author_name"] == "Ann"
    assert body["comment"]["html"].strip() == "<p>Hello <strong>there</strong></p>"
    assert body["comment"]["url"] == f"{PAGE}#comment-{comment_id}"
    # Nothing that identifies the author beyond their chosen name.
    raw = call.body.decode()
    assert "ann@example.org" not in raw and posted["edit_token"] not in raw
    assert "hash" not in raw and "email" not in raw

    [row] = outbox_rows(app)
    assert (row.status, row.attempts, row.payload["webhook_id"]) == ("sent", 1, hook_id)
    assert call.body == row.payload["body"].encode()  # serialised once, at the event
    assert work(app) == (0, 0)  # sent once, not again
    assert len(receiver.calls) == 1


def test_every_event_reaches_the_receiver_through_the_real_flow(
    app: Flask, api: Api, admin: Mod, receiver: Receiver
) -> None:
    add_hook(app, receiver.url + "/hook")
    premoderate(app)
    first = post(api, "First")["comment"]["id"]  # held: created, pending
    decide(admin, first, "approve")
    reader = Api(api.client, "198.51.100.7")
    assert reader.report(first, "abuse").status_code == 202
    decide(admin, first, "hide", reason="rude")
    decide(admin, first, "restore")
    decide(admin, first, "spam")
    decide(admin, first, "delete", confirm="yes")
    second = post(api, "Second")
    response = api.send(
        "DELETE", f"/api/v1/comments/{second['comment']['id']}", token=second["edit_token"]
    )
    assert response.status_code == 204

    assert work(app) == (9, 0)
    seen = [(c.json()["event"], c.json()["comment"]["status"]) for c in receiver.calls]
    assert seen == [
        ("comment.created", "pending"),
        ("comment.approved", "approved"),
        ("comment.reported", "approved"),
        ("comment.hidden", "hidden"),
        ("comment.approved", "approved"),
        ("comment.hidden", "hidden"),  # spam is hidden to the outside world
        ("comment.deleted", "deleted"),
        ("comment.created", "pending"),
        ("comment.deleted", "deleted"),
    ]
    assert receiver.events() == [e for e, _ in seen]
    bodies = [c.json()["comment"] for c in receiver.calls]
    # What was true at each event: the text while published, none once hidden or deleted.
    assert bodies[1]["html"].strip() == "<p>First</p>"
    assert bodies[3]["html"] == "" and bodies[3]["author_name"] == "Ann"
    assert bodies[5]["html"] == ""
    assert bodies[6]["html"] == "" and bodies[6]["author_name"] == ""
    assert bodies[-1]["html"] == "" and bodies[-1]["author_name"] == ""
    assert len({c.headers["x-comments-delivery"] for c in receiver.calls}) == len(seen)


def test_the_events_filter_and_internal_events(
    app: Flask, api: Api, admin: Mod, receiver: Receiver
) -> None:
    approvals, _ = add_hook(app, receiver.url + "/approvals", "comment.approved")
    add_hook(app, receiver.url + "/reports", "comment.reported", "comment.hidden")
    premoderate(app, report_threshold=1)
    comment_id = post(api)["comment"]["id"]
    decide(admin, comment_id, "approve")
    # One report takes it back to pending: "held" is internal and never sent.
    assert Api(api.client, "198.51.100.7").report(comment_id).status_code == 202

    assert work(app) == (2, 0)
    got = sorted((c.path, c.json()["event"], c.json()["comment"]["status"]) for c in receiver.calls)
    assert got == [
        ("/approvals", "comment.approved", "approved"),
        ("/reports", "comment.reported", "pending"),
    ]
    with app.app_context():
        assert webhooks.get_webhook(approvals).events == ["comment.approved"]


@pytest.mark.parametrize("status", [500, 503, 408, 429])
def test_a_failing_receiver_is_retried_with_a_growing_delay(
    app: Flask, api: Api, receiver: Receiver, status: int
) -> None:
    add_hook(app, receiver.url + "/hook")
    receiver.answer(Reply(status, b"try later"), Reply(status), 200)
    post(api)

    before = utcnow()
    assert work(app) == (0, 1)
    after = utcnow()
    [row] = outbox_rows(app)
    assert (row.status, row.attempts) == ("pending", 1)
    assert f"HTTP {status}" in row.last_error and "try later" in row.last_error
    first = timedelta(seconds=30)  # OUTBOX_RETRY_SECONDS
    assert before + first <= row.due_at <= after + first
    assert work(app) == (0, 0)  # not due yet: nothing is sent
    assert len(receiver.calls) == 1

    when = row.due_at + timedelta(seconds=1)
    assert work(app, now=when) == (0, 1)
    [row] = outbox_rows(app)
    assert row.attempts == 2
    assert row.due_at == when + 2 * first  # the delay doubled, counted from that round

    assert work(app, now=row.due_at + timedelta(seconds=1)) == (1, 0)
    [row] = outbox_rows(app)
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, "")
    # The same delivery, byte for byte, each time; receivers can drop repeats by its id.
    assert len(receiver.calls) == 3
    assert len({c.body for c in receiver.calls}) == 1
    assert len({c.headers["x-comments-delivery"] for c in receiver.calls}) == 1
    assert work(app, now=utcnow() + timedelta(days=1)) == (0, 0)


@pytest.mark.parametrize("status", [400, 401, 404, 410, 422])
def test_other_client_errors_are_given_up_at_once(
    app: Flask, api: Api, receiver: Receiver, status: int
) -> None:
    add_hook(app, receiver.url + "/hook")
    receiver.answer(Reply(status, b"no such hook\x00\n here"))
    post(api)
    assert work(app) == (0, 1)
    [row] = outbox_rows(app)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error.startswith(f"HTTP {status}") and "no such hook here" in row.last_error
    assert work(app, now=utcnow() + timedelta(days=1)) == (0, 0)
    assert len(receiver.calls) == 1


def test_a_redirect_is_not_followed(app: Flask, api: Api, receiver: Receiver) -> None:
    add_hook(app, receiver.url + "/old")
    elsewhere = receiver.url + "/new"
    receiver.answer(Reply(301, headers={"Location": elsewhere}), Reply(307))
    post(api)
    assert work(app) == (0, 1)
    assert [c.path for c in receiver.calls] == ["/old"]
    [row] = outbox_rows(app)
    assert row.status == "failed"
    assert (
        "HTTP 301" in row.last_error and f"redirect to {elsewhere} not followed" in row.last_error
    )


def test_a_slow_receiver_times_out_and_is_tried_again(
    app: Flask, api: Api, receiver: Receiver
) -> None:
    add_hook(app, receiver.url + "/slow")
    release = threading.Event()
    receiver.answer(Reply(hold=release))
    post(api)
    impatient = dataclasses.replace(settings_of(app), WEBHOOK_TIMEOUT_SECONDS=1)
    try:
        assert work(app, settings=impatient) == (0, 1)
    finally:
        release.set()
    [row] = outbox_rows(app)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error == "no answer within 1 s"
    assert work(app, now=row.due_at + timedelta(seconds=1), settings=impatient) == (1, 0)
    assert len(receiver.calls) == 2


def test_a_receiver_that_is_down_is_tried_again(app: Flask, api: Api) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    add_hook(app, f"http://127.0.0.1:{port}/hook")
    post(api)
    assert work(app) == (0, 1)
    [row] = outbox_rows(app)
    assert row.status == "pending" and row.last_error.startswith("cannot reach the receiver")


def test_a_rolled_back_change_queues_nothing(
    app: Flask, api: Api, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_hook(app, receiver.url + "/hook")
    admin_id = add_moderator(app, "root@example.org", Role.ADMIN, ())
    comment_id = post(api)["comment"]["id"]
    assert work(app) == (1, 0)

    def broken(**_: Any) -> None:
        raise RuntimeError("the disk is full")

    # Hiding emits comment.hidden, then fails writing the audit entry: the whole change goes.
    monkeypatch.setattr(moderation.audit, "record", broken)
    with app.app_context():
        admin = db.session.get_one(Moderator, admin_id)
        with pytest.raises(RuntimeError):
            moderation.moderate(admin, comment_id, Action.HIDE)
        db.session.rollback()
        assert comment_service.get_comment(comment_id).status is CommentStatus.APPROVED
    assert len(outbox_rows(app)) == 1
    assert work(app) == (0, 0)
    assert receiver.events() == ["comment.created"]


def test_a_removed_webhook_gets_nothing(app: Flask, api: Api, receiver: Receiver) -> None:
    hook_id, _ = add_hook(app, receiver.url + "/hook")
    post(api)  # queued while the webhook existed
    with app.app_context():
        webhooks.remove_webhook(hook_id)
    post(api, "Another")  # queued for nobody
    assert work(app) == (0, 1)
    [row] = outbox_rows(app)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error == f"webhook {hook_id} was removed; not sent"
    assert receiver.connections == 0 and receiver.calls == []


def test_a_switched_off_webhook_gets_nothing(app: Flask, api: Api, receiver: Receiver) -> None:
    hook_id, _ = add_hook(app, receiver.url + "/hook")
    post(api)
    with app.app_context():
        db.session.execute(update(Webhook).where(Webhook.id == hook_id).values(active=False))
        db.session.commit()
    post(api, "Another")
    assert work(app) == (0, 1)
    assert [row.status for row in outbox_rows(app)] == ["failed"]
    assert receiver.calls == []


def test_a_rotated_secret_signs_what_is_still_queued(
    app: Flask, api: Api, receiver: Receiver
) -> None:
    hook_id, old = add_hook(app, receiver.url + "/hook")
    post(api)
    with app.app_context():
        new = webhooks.rotate_secret(hook_id).secret
    assert new != old and new.startswith("whsec_")
    assert work(app) == (1, 0)
    [call] = receiver.calls
    stamp, signature = call.headers["x-comments-timestamp"], call.headers["x-comments-signature"]
    assert webhooks.verify_signature(new, stamp, call.body, signature)
    assert not webhooks.verify_signature(old, stamp, call.body, signature)


def test_events_of_other_sites_are_not_sent(app: Flask, api: Api, receiver: Receiver) -> None:
    make_site(app, "other")
    add_hook(app, receiver.url + "/other", site="other")
    post(api)
    assert work(app) == (0, 0)
    assert receiver.calls == []
