"""`comments privacy erase`: her data gone from every table, the discussion left standing."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from comments.extensions import db
from comments.models import (
    Ban,
    Comment,
    CommentStatus,
    ModerationAction,
    OutboxMessage,
    Report,
    Subscription,
    Thread,
    Vote,
)
from comments.services import privacy
from tests.privacy.conftest import ALICE, ALICE_NAME, LOOKALIKES, World, alice_ids
from tests.privacy.helpers import identities, traces
from tests.privacy.test_export import privacy_log, run

PERSONAL = (
    "author_name", "author_email", "author_url", "author_avatar", "author_key", "ip_hash",
    "edit_token_hash",
)  # fmt: skip


def snapshot(app: Flask) -> dict[str, Any]:
    """What must not change: the tree, the texts, the statuses and every count."""
    with app.app_context():
        comments = {
            c.id: (c.parent_id, c.thread_id, c.body, c.status, c.likes, c.reply_count)
            for c in db.session.execute(select(Comment)).scalars()
        }
        threads = {
            t.id: (t.comment_count, t.version) for t in db.session.execute(select(Thread)).scalars()
        }
        counts = {
            model.__name__: db.session.execute(select(func.count(model.id))).scalar_one()
            for model in (Vote, Report)
        }
        tallies = {
            c.id: (c.likes, c.dislikes, c.report_count)
            for c in db.session.execute(select(Comment)).scalars()
        }
    return {"comments": comments, "threads": threads, "counts": counts, "tallies": tallies}


def lookalike_rows(app: Flask) -> list[tuple[Any, ...]]:
    with app.app_context():
        comments = db.session.execute(
            select(Comment.id, *(getattr(Comment, name) for name in PERSONAL))
            .where(Comment.author_email.in_(LOOKALIKES))
            .order_by(Comment.id)
        ).all()
        votes = db.session.execute(select(Vote.voter).where(Vote.value == -1)).scalars().all()
        return [*map(tuple, comments), tuple(sorted(votes))]


def test_erase_asks_before_it_changes_anything(world: World, runner: FlaskCliRunner) -> None:
    before = snapshot(world.app)
    result = run(runner, "erase", "--email", ALICE, input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output
    assert "Found 6 comments in 4 threads, 1 vote, 1 report, 2 subscriptions" in result.output
    assert snapshot(world.app) == before
    assert len(traces(world.app, addresses=(ALICE,), skip=("ban",))) > 6


def test_erase_removes_her_from_every_table_and_keeps_the_tree(
    world: World, runner: FlaskCliRunner
) -> None:
    app = world.app
    mine = alice_ids(world)
    hashes, keys = identities(app, mine)
    assert hashes and keys
    before = snapshot(app)
    others = lookalike_rows(app)

    result = run(runner, "erase", "--email", "alice@EXAMPLE.org", input="y\n")
    assert result.exit_code == 0, result.output
    assert "Erased: 6 comments anonymised (text kept), 1 vote and 1 report unlinked" in (
        result.output
    )
    assert "2 subscriptions and 1 mail deleted" in result.output
    assert "Kept ban #1 on other (active)" in result.output

    # Every personal column of her comments is empty; the text and the tree stay.
    with app.app_context():
        for comment in db.session.execute(select(Comment).where(Comment.id.in_(mine))).scalars():
            assert {name: getattr(comment, name) for name in PERSONAL} == dict.fromkeys(
                PERSONAL, ""
            ), comment.id
    after = snapshot(app)
    assert after["comments"] == before["comments"]
    assert after["counts"] == before["counts"]
    assert after["tallies"] == before["tallies"]
    for thread_id, (count, version) in after["threads"].items():
        old_count, old_version = before["threads"][thread_id]
        assert count == old_count
        assert version > old_version  # every thread was hers too: caches refresh

    # Nothing left that names her, her address hash or her key (bans aside, by design).
    assert traces(app, addresses=(ALICE,), texts=(ALICE_NAME, *hashes, *keys), skip=("ban",)) == []
    with app.app_context():
        ban = db.session.execute(select(Ban).where(Ban.email == "alice@example.org")).scalar_one()
        assert ban.lifted_at is None  # still in force
        voters = db.session.execute(select(Vote.voter).where(Vote.comment_id == world.bob_voted))
        assert {v for v in voters.scalars() if not v.startswith("ip:")} == {"gone:1"}
        reporters = db.session.execute(
            select(Report.reporter).where(Report.comment_id == world.bob_reported)
        ).scalars()
        assert sum(r.startswith(privacy.GONE_PREFIX) for r in reporters) == 1
        assert db.session.execute(select(Subscription.email)).scalars().all() == [
            "malice@example.org"
        ]
        mails = db.session.execute(select(OutboxMessage.payload)).scalars().all()
        assert [m["to"] for m in mails] == ["malice@example.org"]
    # The lookalikes keep everything.
    assert lookalike_rows(app) == others

    # Logged once per site, with counts and without the address.
    entries = privacy_log(app)
    assert [e.action for e in entries] == ["privacy_erase", "privacy_erase"]
    details = sorted((e.details for e in entries), key=lambda d: d.get("comments", 0))
    subject = privacy.subject_digest(ALICE, "test-secret-key-" + "x" * 32)
    assert details == [
        {"subject": subject, "comments": 1, "bans_kept": 1},
        {"subject": subject, "comments": 5, "votes": 1, "reports": 1, "subscriptions": 2},
    ]


def test_the_thread_reads_the_same_after_an_erase(world: World, runner: FlaskCliRunner) -> None:
    before = world.bob.thread().get_json()
    assert run(runner, "erase", "--email", ALICE, "--yes").exit_code == 0
    response = world.bob.thread()
    assert response.status_code == 200
    after = response.get_json()
    root = after["comments"][0]
    assert root["id"] == world.alice_root and root["author"]["name"] == ""
    assert root["html"] == before["comments"][0]["html"]
    assert not root["author"]["verified"] and root["author"]["url"] is None
    # The replies still hang where they did, with the same counts.
    reply = root["replies"][0]
    assert reply["id"] == world.bob_reply and reply["replies"][0]["id"] == world.alice_nested
    assert reply["replies"][0]["replies"][0]["id"] == world.bob_nested
    assert after["thread"]["comment_count"] == before["thread"]["comment_count"]
    assert root["likes"] == 1 and root["reply_count"] == before["comments"][0]["reply_count"]
    assert ALICE_NAME not in response.text


def test_erase_with_remove_text_deletes_the_text_the_usual_way(
    world: World, runner: FlaskCliRunner
) -> None:
    app = world.app
    with app.app_context():
        approved_before = db.session.execute(select(func.sum(Thread.comment_count))).scalar_one()
    result = run(runner, "erase", "--email", ALICE, "--remove-text", "--yes")
    assert result.exit_code == 0, result.output
    # Five: a moderator had already deleted the sixth for good.
    assert "5 texts removed" in result.output
    with app.app_context():
        rows = db.session.execute(
            select(Comment.status, Comment.body, Comment.html).where(
                Comment.id.in_(
                    [world.alice_root, world.alice_nested, world.alice_lonely, world.alice_other]
                )
            )
        ).all()
        assert all(row == (CommentStatus.DELETED, "", "") for row in rows), rows
        approved_after = db.session.execute(select(func.sum(Thread.comment_count))).scalar_one()
        # Her approved comments stopped counting: root, nested, lonely, other.
        assert approved_before - approved_after == 4
        log = db.session.execute(
            select(ModerationAction).where(ModerationAction.comment_id == world.alice_lonely)
        ).scalars()
        edit = next(e for e in log if e.action == "edit")
        assert edit.previous_text is None and edit.details["text"] == ""
    assert traces(app, texts=("Alice's first thoughts", "Alice, no replies")) == []
    # Her root stays as a placeholder: the replies keep their place.
    thread = world.bob.thread().get_json()
    root = thread["comments"][0]
    assert root["id"] == world.alice_root and root["deleted"] and root["html"] == ""
    assert root["replies"][0]["id"] == world.bob_reply
    second = world.bob.thread("/second").get_json()
    assert world.alice_lonely not in [c["id"] for c in second["comments"]]


def test_erasing_twice_and_erasing_nobody(world: World, runner: FlaskCliRunner) -> None:
    assert run(runner, "erase", "--email", ALICE, "--yes").exit_code == 0
    again = run(runner, "erase", "--email", ALICE, "--yes")
    assert again.exit_code == 0, again.output
    # Only the ban still names her: it is kept each time.
    assert "Found 0 comments in 0 threads" in again.output and "1 ban" in again.output
    nobody = run(runner, "erase", "--email", "nobody@example.net")
    assert nobody.exit_code == 0 and "Nothing is stored" in nobody.output


def test_erased_comments_are_no_longer_one_author(
    world: World, runner: FlaskCliRunner, admin: Any
) -> None:
    """With name, address and hash gone, "everything by this author" must not sweep up
    every other erased comment on the site."""
    assert run(runner, "erase", "--email", ALICE, "--yes").exit_code == 0
    assert run(runner, "erase", "--email", "malice@example.org", "--yes").exit_code == 0
    page = f"/mod/comments/{world.alice_root}"
    response = admin.post(f"/mod/comments/{world.alice_root}/author", {"action": "hide"}, page=page)
    assert response.status_code == 303
    with world.app.app_context():
        malice = db.session.get(Comment, world.lookalike_comments["malice@example.org"])
        nested = db.session.get(Comment, world.alice_nested)
        assert malice is not None and malice.status is CommentStatus.APPROVED
        assert nested is not None and nested.status is CommentStatus.APPROVED
