"""`comments webhook add | list | remove | rotate-secret | test` through the real CLI."""

from __future__ import annotations

import re

from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from comments.extensions import db
from comments.models import Webhook
from comments.services import webhooks
from tests.factories import make_site
from tests.webhooks.helpers import Receiver

SECRET = re.compile(
    r"^Signing secret \(shown once; keep it on the receiver\): (whsec_[0-9a-f]{64})$", re.M
)


def invoke(runner: FlaskCliRunner, *args: str) -> Result:
    result = runner.invoke(args=list(args))
    assert "Traceback" not in result.output, result.output
    return result


def refused(result: Result, *fragments: str, code: int = 1) -> None:
    assert result.exit_code == code, result.output
    assert "Error: " in result.output
    for fragment in fragments:
        assert fragment in result.output, result.output


def stored(app: Flask) -> list[tuple[int, str, list[str]]]:
    with app.app_context():
        return [(w.id, w.url, w.events) for w in db.session.scalars(select(Webhook))]


def test_add_prints_the_secret_once_and_list_never_shows_it(
    app: Flask, news: str, runner: FlaskCliRunner, receiver: Receiver
) -> None:
    make_site(app, "blog")
    assert invoke(runner, "webhook", "list").output == "No webhooks.\n"
    result = invoke(
        runner, "webhook", "add", "news", receiver.url + "/hook",
        "--event", "comment.reported", "--event", "comment.created",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"Added webhook 1 to news: {receiver.url}/hook" in result.output
    assert "Events: comment.created, comment.reported" in result.output
    match = SECRET.search(result.output)
    assert match
    secret = match.group(1)
    invoke(runner, "webhook", "add", "blog", receiver.url + "/blog")
    assert stored(app) == [
        (1, receiver.url + "/hook", ["comment.created", "comment.reported"]),
        (2, receiver.url + "/blog", []),
    ]

    listing = invoke(runner, "webhook", "list").output
    lines = listing.splitlines()
    assert [line.split("\t")[:5] for line in lines] == [
        ["2", "blog", receiver.url + "/blog", "all", "active"],
        ["1", "news", receiver.url + "/hook", "comment.created, comment.reported", "active"],
    ]
    assert secret not in listing
    only = invoke(runner, "webhook", "list", "--site", "news").output.splitlines()
    assert [line.split("\t")[0] for line in only] == ["1"]


def test_remove_rotate_and_test_a_webhook(
    app: Flask, news: str, runner: FlaskCliRunner, receiver: Receiver
) -> None:
    added = invoke(runner, "webhook", "add", "news", receiver.url + "/hook")
    match = SECRET.search(added.output)
    assert match
    old = match.group(1)

    rotated = invoke(runner, "webhook", "rotate-secret", "1")
    assert rotated.exit_code == 0
    new = re.search(
        r"New signing secret of webhook 1 \(shown once\): (whsec_[0-9a-f]{64})", rotated.output
    )
    assert new and new.group(1) != old

    pinged = invoke(runner, "webhook", "test", "1")
    assert pinged.exit_code == 0, pinged.output
    delivery = re.search(
        r"Queued a ping to webhook 1 \(delivery ([0-9a-f-]{36})\)\.", pinged.output
    )
    assert delivery and "comments worker --once" in pinged.output
    assert receiver.calls == []
    sent = invoke(runner, "worker", "--once")
    assert "Delivered 1, failed 0." in sent.output
    [call] = receiver.calls
    assert call.headers["x-comments-event"] == "ping"
    assert call.headers["x-comments-delivery"] == delivery.group(1)
    body = call.json()
    assert body["event"] == "ping" and body["site"] == "news" and body["id"] == delivery.group(1)
    assert body["webhook"] == {"id": 1, "url": receiver.url + "/hook", "events": []}
    stamp, signature = call.headers["x-comments-timestamp"], call.headers["x-comments-signature"]
    assert webhooks.verify_signature(new.group(1), stamp, call.body, signature)
    assert not webhooks.verify_signature(old, stamp, call.body, signature)

    removed = invoke(runner, "webhook", "remove", "1")
    assert removed.output == f"Removed webhook 1 ({receiver.url}/hook).\n"
    assert stored(app) == []
    refused(invoke(runner, "webhook", "remove", "1"), "There is no webhook 1.")


def test_bad_input_is_refused_clearly(
    app: Flask, news: str, runner: FlaskCliRunner, receiver: Receiver
) -> None:
    refused(invoke(runner, "webhook", "add", "nope", receiver.url), "There is no site 'nope'.")
    refused(
        invoke(runner, "webhook", "add", "news", receiver.url, "--event", "comment.held"),
        "Invalid value for '--event'",
        code=2,
    )
    refused(
        invoke(runner, "webhook", "add", "news", "ftp://example.com/"),
        "only http and https URLs can receive webhooks, not ftp:",
    )
    refused(invoke(runner, "webhook", "add", "news", "http://u:p@example.com/"), "user name")
    refused(invoke(runner, "webhook", "list", "--site", "nope"), "There is no site 'nope'.")
    for command in ("remove", "test", "rotate-secret"):
        refused(invoke(runner, "webhook", command, "7"), "There is no webhook 7.")
        refused(
            invoke(runner, "webhook", command, "seven"), "'seven' is not a valid integer", code=2
        )
        refused(invoke(runner, "webhook", command, "0"), code=2)
    assert stored(app) == []
