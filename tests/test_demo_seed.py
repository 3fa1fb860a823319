"""The demo's moderation side: its moderator, their password file, and lively queues."""

from __future__ import annotations

import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from comments import create_app
from comments.demo_content import COMMENTS
from comments.extensions import db
from comments.models import (
    Ban,
    Comment,
    CommentStatus,
    ModerationAction,
    Moderator,
    Report,
    Role,
    Thread,
)
from comments.services import accounts, demo, queues
from comments.services.queues import Filters, Queue
from tests.support import scratch_database

SIGN_IN = re.compile(
    r"^Moderator sign-in: http://127\.0\.0\.1:8000/mod/login  moderator@demo\.example  (\S+)$",
    re.M,
)
# Each queue a moderator works through, and how many items the demo puts in it at least.
LIVELY = {Queue.PENDING: 3, Queue.REPORTED: 2, Queue.SPAM: 2, Queue.HIDDEN: 2}


def _counts() -> dict[str, int]:
    return {
        model.__name__: int(db.session.execute(select(func.count(model.id))).scalar_one())
        for model in (Comment, Moderator, Report, ModerationAction, Ban)
    }


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    return tmp_path / "demo-instance"


@pytest.fixture
def seeded(app: Flask, instance: Path) -> Iterator[Flask]:
    with app.app_context():
        assert demo.seed(instance_path=instance) is True
        yield app


def test_seed_creates_an_admin_whose_password_is_in_a_private_file(
    seeded: Flask, instance: Path
) -> None:
    path = instance / demo.PASSWORD_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    email, password = path.read_text(encoding="utf-8").splitlines()
    assert email == demo.DEMO_MODERATOR == "moderator@demo.example"
    assert len(password) >= 16
    moderator = accounts.authenticate(email, password)
    assert moderator is not None and moderator.role is Role.ADMIN
    assert demo.sign_in(instance) == demo.SignIn(email, password)


def test_every_queue_has_items_and_says_why(seeded: Flask) -> None:
    moderator = accounts.get_by_email(demo.DEMO_MODERATOR)
    for queue, at_least in LIVELY.items():
        page = queues.page(moderator, queue, Filters(site=demo.DEMO_SITE), per_page=100)
        assert page.total >= at_least, queue
        for item in page.items:
            assert item.why and all(reason.strip() for reason in item.why), (queue, item)
            assert item.comment.body and item.comment.author_name
    reasons = {
        reason
        for queue in LIVELY
        for item in queues.page(moderator, queue, Filters()).items
        for reason in item.why
    }
    # Different rules put them there: links, words, reports, bots, a ban.
    for pattern in (r"\d+ links", r"banned word", r"reported 3 times", r"reported 2 times",
                    r"hidden form field", r"after the form loaded", r"suspect word",
                    r"author banned"):  # fmt: skip
        assert any(re.search(pattern, reason) for reason in reasons), (pattern, reasons)


def test_moderator_decisions_are_in_the_log_with_reasons(seeded: Flask) -> None:
    moderator = accounts.get_by_email(demo.DEMO_MODERATOR)
    entries = list(db.session.execute(select(ModerationAction)).scalars())
    by_moderator = [e for e in entries if e.moderator_id == moderator.id]
    assert {e.action for e in by_moderator} >= {"hide", "ban", "settings"}
    assert all(e.reason for e in by_moderator)
    assert {e.action for e in entries if e.moderator_id is None} >= {"auto_hold", "auto_spam"}
    bans = list(db.session.execute(select(Ban)).scalars())
    assert len(bans) == 1 and bans[0].expires_at is not None and bans[0].reason


def test_readers_still_see_exactly_the_discussion(seeded: Flask) -> None:
    """The moderation material is invisible to readers: the article page is unchanged."""
    thread = db.session.execute(select(Thread)).scalar_one()
    assert thread.comment_count == len(COMMENTS)
    approved = db.session.execute(
        select(Comment.author_name, Comment.body).where(Comment.status == CommentStatus.APPROVED)
    ).all()
    assert sorted(approved) == sorted((c["author"], c["body"]) for c in COMMENTS)
    reported = db.session.execute(
        select(func.count(Comment.id)).where(Comment.report_count > 0)
    ).scalar_one()
    assert reported >= 4


def test_seeding_again_adds_nothing(seeded: Flask, instance: Path) -> None:
    before = _counts()
    written = (instance / demo.PASSWORD_FILE).read_text(encoding="utf-8")
    assert demo.seed(instance_path=instance) is False
    assert demo.seed() is False
    assert _counts() == before
    assert (instance / demo.PASSWORD_FILE).read_text(encoding="utf-8") == written


def test_sign_in_repairs_a_lost_file_but_respects_a_changed_password(
    seeded: Flask, instance: Path
) -> None:
    path = instance / demo.PASSWORD_FILE
    path.unlink()
    renewed = demo.sign_in(instance)
    assert renewed.password and accounts.authenticate(demo.DEMO_MODERATOR, renewed.password)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert demo.sign_in(instance) == renewed

    path.chmod(0o644)
    accounts.set_password(accounts.get_by_email(demo.DEMO_MODERATOR), "my own password")
    assert demo.sign_in(instance) == demo.SignIn(demo.DEMO_MODERATOR, None)
    assert accounts.authenticate(demo.DEMO_MODERATOR, "my own password")

    accounts.remove_moderator(demo.DEMO_MODERATOR)
    recreated = demo.sign_in(instance)
    assert recreated.password and accounts.authenticate(demo.DEMO_MODERATOR, recreated.password)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # rewritten private


def test_seed_without_an_instance_folder_keeps_no_password(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        assert demo.seed() is True
        assert accounts.get_by_email(demo.DEMO_MODERATOR).role is Role.ADMIN
        login = demo.sign_in(tmp_path / "later")
        assert login.password and accounts.authenticate(demo.DEMO_MODERATOR, login.password)


# --- `comments demo --no-serve` (it runs the migrations, so it needs an empty database) ------


@pytest.fixture
def unmigrated_app(tmp_path: Path) -> Iterator[Flask]:
    with scratch_database(tmp_path, "comments_demo_seed_test") as url:
        app = create_app(
            {"DATABASE_URL": url, "SECRET_KEY": "demo-test-" + "x" * 32},
            instance_path=str(tmp_path / "instance"),
        )
        app.testing = True
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def test_demo_command_prints_the_moderator_sign_in_every_time(
    unmigrated_app: Flask, tmp_path: Path
) -> None:
    runner = unmigrated_app.test_cli_runner()
    first = runner.invoke(args=["demo", "--no-serve"])
    assert first.exit_code == 0, first.output
    assert "Traceback" not in first.output
    match = SIGN_IN.search(first.output)
    assert match, first.output
    password = match.group(1)
    assert "Demo article:" not in first.output  # nothing was served
    stored = tmp_path / "instance" / demo.PASSWORD_FILE
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert password in stored.read_text(encoding="utf-8")
    with unmigrated_app.app_context():
        assert accounts.authenticate(demo.DEMO_MODERATOR, password) is not None

    second = runner.invoke(args=["demo", "--no-serve", "--host", "127.0.0.1"])
    assert second.exit_code == 0, second.output
    again = SIGN_IN.search(second.output)
    assert again and again.group(1) == password
    assert "already there" in second.output
