"""A small world of readers for the privacy tests: Alice, Bob, and people with lookalike
addresses, who post, reply, vote, report, subscribe and get banned on two sites."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from comments.extensions import db
from comments.models import Comment, OutboxMessage, Role, Subscription
from comments.services import accounts, sites
from comments.services.moderation import Action, ban_author, edit_text, moderate
from tests.factories import Api, make_site
from tests.moderation.helpers import Mod, add_moderator

ALICE = "Alice@Example.org"  # as she typed it on the news site
ALICE_NAME = "Alice Q. Example"
# Addresses that merely look like hers: none of their data may be exported or erased.
LOOKALIKES = (
    "malice@example.org",
    "alice@example.org.evil",
    "alice+news@example.org",
    "alice@example.com",
    "%@example.org",
)


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sign-in still checks the password, with a cheap hash (as tests/moderation do)."""

    def cheap(password: str, method: str = "", **_: Any) -> str:
        return generate_password_hash(password, method="pbkdf2:sha256:1")

    monkeypatch.setattr(accounts, "generate_password_hash", cheap)


@dataclasses.dataclass
class World:
    app: Flask
    alice: Api
    bob: Api
    # Alice's comments: on news (two threads) and on other (in lower case).
    alice_root: int
    alice_second: int
    alice_other: int
    alice_lonely: int
    alice_nested: int
    alice_deleted: int
    # Bob's replies under Alice's root, and his own comments she votes on and reports.
    bob_reply: int
    bob_nested: int
    bob_voted: int
    bob_reported: int
    lookalike_comments: dict[str, int]

    def comment(self, comment_id: int) -> Comment:
        comment = db.session.get(Comment, comment_id)
        assert comment is not None
        return comment


def _admin(app: Flask) -> Any:
    return accounts.get_by_email("admin@example.org")


@pytest.fixture
def world(app: Flask, client: FlaskClient) -> World:
    make_site(app, "news", ("https://news.example",))
    make_site(app, "other")
    add_moderator(app, "admin@example.org", Role.ADMIN, ())
    add_moderator(app, "mod@example.org", Role.MODERATOR, ("news",))
    with app.app_context():  # every lookalike reports too: keep the comment up
        sites.update_policy("news", {"report_threshold": "100"})
    alice = Api(client, "198.51.100.1")
    bob = Api(client, "198.51.100.2")

    def post(api: Api, body: str, **fields: Any) -> int:
        return int(api.comment(body, **fields)["comment"]["id"])

    mine = {"author_name": ALICE_NAME, "author_email": ALICE, "author_url": "alice.example"}
    alice_root = post(alice, "Alice's first thoughts", title="A story", **mine)
    bob_reply = post(bob, "Bob answers Alice", parent_id=alice_root, author_email="bob@ex.org")
    alice_nested = post(alice, "Alice answers Bob", parent_id=bob_reply, **mine)
    bob_nested = post(bob, "Bob again, deeper", parent_id=alice_nested, author_email="bob@ex.org")
    alice_deleted = post(alice, "Alice, soon deleted by a moderator", uri="/third", **mine)
    post(bob, "Bob under the deleted one", uri="/third", parent_id=alice_deleted)
    alice_second = post(alice, "Alice on another page", uri="/second", **mine)
    alice_lonely = post(alice, "Alice, no replies", uri="/second", **mine)
    alice_other = post(
        alice, "Alice elsewhere", site="other", **{**mine, "author_email": "alice@example.org"}
    )
    bob_voted = post(bob, "Bob's opinion", uri="/second", author_email="bob@ex.org")
    bob_reported = post(bob, "Bob's provocation", uri="/second", author_email="bob@ex.org")
    assert alice.vote(bob_voted, 1).status_code == 200
    assert alice.report(bob_reported, "abuse", note="rude").status_code == 202
    assert bob.vote(alice_root, 1).status_code == 200

    lookalike_comments = {}
    for n, address in enumerate(LOOKALIKES):
        someone = Api(client, f"203.0.113.{n + 50}")
        lookalike_comments[address] = post(
            someone, f"Lookalike {n}", author_name=f"Someone {n}", author_email=address
        )
        assert someone.vote(bob_voted, -1).status_code == 200
        assert someone.report(bob_reported).status_code == 202

    with app.app_context():
        news = sites.get_site("news").id
        db.session.add_all(
            [
                Subscription(site_id=news, comment_id=alice_root, email=ALICE.upper()),
                Subscription(site_id=news, comment_id=alice_second, email="alice@example.org"),
                Subscription(
                    site_id=news,
                    comment_id=lookalike_comments["malice@example.org"],
                    email="malice@example.org",
                ),
            ]
        )
        # A mail waiting for her, and one for a lookalike, in the outbox.
        db.session.add_all(
            [
                OutboxMessage(kind="email", payload={"to": ALICE, "subject": "Confirm"}),
                OutboxMessage(kind="email", payload={"to": "malice@example.org", "subject": "Hi"}),
            ]
        )
        db.session.commit()
        # Banned from the other site: the ban names her address (and keeps it).
        ban_author(_admin(app), alice_other, days=None, reason="trolling")
        ban_author(_admin(app), lookalike_comments["malice@example.org"], days=3, reason="x")
        moderate(_admin(app), alice_second, Action.HIDE, "off topic")
        # The log keeps her name with a "delete for good", and her old text with an edit.
        moderate(_admin(app), alice_deleted, Action.DELETE, "")
        edit_text(_admin(app), alice_lonely, "Alice, no replies (edited)", 10_000)
    return World(
        app=app,
        alice=alice,
        bob=bob,
        alice_root=alice_root,
        alice_second=alice_second,
        alice_other=alice_other,
        alice_lonely=alice_lonely,
        alice_nested=alice_nested,
        alice_deleted=alice_deleted,
        bob_reply=bob_reply,
        bob_nested=bob_nested,
        bob_voted=bob_voted,
        bob_reported=bob_reported,
        lookalike_comments=lookalike_comments,
    )


@pytest.fixture
def admin(app: Flask, world: World) -> Mod:
    mod = Mod(app.test_client(), "admin@example.org")
    mod.sign_in()
    return mod


@pytest.fixture
def moderator(app: Flask, world: World) -> Mod:
    mod = Mod(app.test_client(), "mod@example.org")
    mod.sign_in()
    return mod


def alice_ids(world: World) -> set[int]:
    """Every comment Alice wrote (found by her address, case-insensitively)."""
    with world.app.app_context():
        rows = db.session.execute(
            select(Comment.id).where(Comment.author_email.in_([ALICE, "alice@example.org"]))
        ).scalars()
        return set(rows)
