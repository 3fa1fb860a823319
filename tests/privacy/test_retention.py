"""Address-hash retention: old hashes go, counts and constraints hold, readers carry on."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from comments import worker
from comments.extensions import db
from comments.models import Ban, Comment, Report, Site, Vote, utcnow
from comments.services import accounts, privacy
from comments.services.identity import sign_sso
from comments.services.moderation import ban_author, lift_ban
from tests.factories import Api
from tests.privacy.conftest import World

DAYS = 90


def later(days: float) -> datetime:
    return utcnow() + timedelta(days=days)


def drop(app: Flask, now: datetime, days: int = DAYS) -> int:
    with app.app_context():
        return privacy.drop_old_address_hashes(days, now)


def stored(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    with app.app_context():
        return {
            "comments": [
                tuple(r)
                for r in db.session.execute(
                    select(Comment.id, Comment.ip_hash, Comment.author_key).order_by(Comment.id)
                )
            ],
            "votes": [
                tuple(r) for r in db.session.execute(select(Vote.id, Vote.voter).order_by(Vote.id))
            ],
            "reports": [
                tuple(r)
                for r in db.session.execute(select(Report.id, Report.reporter).order_by(Report.id))
            ],
            "bans": [
                tuple(r) for r in db.session.execute(select(Ban.id, Ban.ip_hash).order_by(Ban.id))
            ],
        }


@pytest.fixture
def sso_comment(app: Flask, world: World, client: FlaskClient) -> int:
    """A signed-in reader's comment: their key is the site's id for them, not an address."""
    with app.app_context():
        secret = db.session.execute(select(Site.sso_secret).where(Site.slug == "news")).scalar_one()
    token = sign_sso({"id": "u-7", "name": "Sam", "exp": int(time.time()) + 600}, secret)
    response = client.post(
        "/api/v1/comments",
        json={"site": "news", "uri": "/sso", "body": "Signed in"},
        headers={"X-Comments-SSO": token},
        environ_base={"REMOTE_ADDR": "192.0.2.77"},
    )
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["comment"]["id"])


def test_nothing_is_due_before_the_retention_period(world: World) -> None:
    before = stored(world.app)
    assert drop(world.app, later(DAYS - 1)) == 0
    assert stored(world.app) == before


def test_old_hashes_are_dropped_and_keys_made_unlinkable(world: World, sso_comment: int) -> None:
    app = world.app
    before = stored(app)
    changed = drop(app, later(DAYS + 1))
    after = stored(app)
    # Every comment, vote and report was due; the one active ban keeps its hash.
    comments_due = len([c for c in before["comments"] if c[1]])
    assert changed == comments_due + len(before["votes"]) + len(before["reports"]) + 1
    for comment_id, ip_hash, key in after["comments"]:
        assert ip_hash == "", comment_id
        assert key == ("sso:u-7" if comment_id == sso_comment else ""), comment_id
    assert after["votes"] == [(vote_id, f"gone:{vote_id}") for vote_id, _ in before["votes"]]
    assert after["reports"] == [(rid, f"gone:{rid}") for rid, _ in before["reports"]]
    # The malice ban (3 days) has ended by then; Alice's (for good) is still in force.
    bans = dict(after["bans"])
    assert bans[1] != "" and bans[2] == ""
    # Tallies are stored counts: they do not move.
    with app.app_context():
        voted = db.session.get(Comment, world.bob_voted)
        assert voted is not None and (voted.likes, voted.dislikes) == (1, 5)


def test_a_second_run_changes_nothing_and_writes_nothing(world: World) -> None:
    app = world.app
    now = later(DAYS + 1)
    assert drop(app, now) > 0
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement.lstrip().split()[0].upper())

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            assert privacy.drop_old_address_hashes(DAYS, now) == 0
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    assert "UPDATE" not in statements and "SELECT" in statements


def test_a_negative_period_keeps_hashes_for_good(world: World) -> None:
    before = stored(world.app)
    assert drop(world.app, later(10_000), days=-1) == 0
    assert stored(world.app) == before


def test_a_lifted_ban_loses_its_hash_once_old(world: World) -> None:
    app = world.app
    with app.app_context():
        admin = accounts.get_by_email("admin@example.org")
        ban = ban_author(admin, world.bob_reply, days=None, reason="spam")
        lift_ban(admin, ban.id)
        ban_id = ban.id
    assert drop(app, later(DAYS - 1)) == 0
    drop(app, later(DAYS + 1))
    with app.app_context():
        lifted = db.session.get(Ban, ban_id)
        assert lifted is not None and lifted.ip_hash == "" and lifted.email == "bob@ex.org"


def test_the_worker_drops_them(world: World) -> None:
    settings = world.app.extensions["comments.settings"]
    assert settings.ADDRESS_HASH_RETENTION_DAYS == DAYS
    with world.app.app_context():
        worker.run_once(settings, now=later(DAYS + 1))
    assert all(ip_hash == "" for _, ip_hash, _ in stored(world.app)["comments"])


def test_voting_reporting_and_bans_still_work_after_retention(
    world: World, client: FlaskClient
) -> None:
    app = world.app
    drop(app, later(DAYS + 1))
    alice, bob = world.alice, world.bob
    # Alice's old vote is linked to nobody now: she can vote on that comment again (the
    # price of forgetting), and anything else works as before.
    assert alice.vote(world.bob_voted, 1).get_json()["likes"] == 2
    assert alice.vote(world.bob_voted, 0).get_json()["likes"] == 1
    assert bob.vote(world.alice_root, -1).get_json() == {"likes": 1, "dislikes": 1, "score": 0}
    assert alice.report(world.bob_reported, "spam").status_code == 202
    assert alice.report(world.bob_reported, "spam").status_code == 409
    # Nothing says whose an old comment was any more, so its author may vote on it; a new
    # comment is still known as theirs.
    assert bob.vote(world.bob_reply, 1).status_code == 200
    fresh = bob.comment("Bob, after retention", uri="/fresh")["comment"]["id"]
    assert bob.vote(fresh, 1).status_code == 403
    assert alice.vote(fresh, 1).status_code == 200
    # Alice is still banned from the other site (by address and by e-mail).
    refused = Api(client, "198.51.100.1").post("Back again", site="other")
    assert refused.status_code == 403
    refused = Api(client, "198.51.100.99").post(
        "Back again", site="other", author_email="alice@example.org"
    )
    assert refused.status_code == 403
