"""`comments privacy export`: everything about one person, nothing about anyone else."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from comments.extensions import db
from comments.models import ModerationAction
from comments.services import privacy
from tests.privacy.conftest import ALICE, ALICE_NAME, LOOKALIKES, World, alice_ids
from tests.privacy.helpers import address_pattern, traces


def run(runner: FlaskCliRunner, *args: str, **kwargs: Any) -> Result:
    result = runner.invoke(args=["privacy", *args], **kwargs)
    assert "Traceback" not in result.output, result.output
    return result


def export(runner: FlaskCliRunner, email: str) -> dict[str, Any]:
    result = run(runner, "export", "--email", email)
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.output)
    return document


def privacy_log(app: Flask) -> list[ModerationAction]:
    with app.app_context():
        query = select(ModerationAction).where(ModerationAction.action.like("privacy_%"))
        entries = list(db.session.execute(query.order_by(ModerationAction.id)).scalars())
        db.session.expunge_all()
        return entries


def test_the_export_holds_exactly_her_data(world: World, runner: FlaskCliRunner) -> None:
    document = export(runner, "  aLiCe@EXAMPLE.org ")
    assert document["version"] == privacy.EXPORT_VERSION
    assert document["email"] == "alice@example.org"

    comments = {c["id"]: c for c in document["comments"]}
    assert set(comments) == alice_ids(world)
    assert len(comments) == 6
    root = comments[world.alice_root]
    assert root["site"] == "news"
    assert root["thread"] == {"key": "/2026/11/story", "title": "A story", "url": ""}
    assert root["name"] == ALICE_NAME
    assert root["email"] == ALICE
    assert root["url"] == "https://alice.example"
    assert root["text"] == "Alice's first thoughts"
    assert root["status"] == "approved"
    assert root["created_at"].endswith("Z") and root["edited_at"] is None
    assert root["likes"] == 1
    assert root["address_hash"] and root["author_key"].startswith("ip:")
    assert comments[world.alice_other]["site"] == "other"
    assert comments[world.alice_other]["email"] == "alice@example.org"
    assert comments[world.alice_second]["status"] == "hidden"
    assert comments[world.alice_lonely]["edited_at"] is not None

    assert [(v["comment_id"], v["value"]) for v in document["votes"]] == [(world.bob_voted, 1)]
    assert [(r["comment_id"], r["reason"], r["note"]) for r in document["reports"]] == [
        (world.bob_reported, "abuse", "rude")
    ]
    assert sorted(s["comment_id"] for s in document["subscriptions"]) == sorted(
        [world.alice_root, world.alice_second]
    )
    assert [(b["site"], b["active"], b["reason"]) for b in document["bans"]] == [
        ("other", True, "trolling")
    ]
    assert [m["subject"] for m in document["mails"]] == ["Confirm"]
    actions = {(m["comment_id"], m["action"]) for m in document["moderation"]}
    assert actions == {
        (world.alice_second, "hide"),
        (world.alice_deleted, "delete"),
        (world.alice_lonely, "edit"),
        (world.alice_other, "ban"),
    }
    edit = next(m for m in document["moderation"] if m["action"] == "edit")
    assert edit["previous_text"] == "Alice, no replies"

    # Nothing of anyone else: not Bob, not the lookalike addresses, not their words.
    text = json.dumps(document, ensure_ascii=False).lower()
    for foreign in ("bob@ex.org", "lookalike", "someone", "bob answers"):
        assert foreign not in text, foreign
    for address in LOOKALIKES:
        assert not address_pattern(address).search(text), address


@pytest.mark.parametrize("address", LOOKALIKES)
def test_a_lookalike_address_exports_only_its_own_data(
    world: World, runner: FlaskCliRunner, address: str
) -> None:
    document = export(runner, address)
    assert [c["id"] for c in document["comments"]] == [world.lookalike_comments[address]]
    assert not {c["id"] for c in document["comments"]} & alice_ids(world)
    assert ALICE_NAME.lower() not in json.dumps(document).lower()
    assert [v["value"] for v in document["votes"]] == [-1]


def test_an_unknown_address_gives_an_empty_export(world: World, runner: FlaskCliRunner) -> None:
    document = export(runner, "nobody@example.net")
    assert document["version"] == privacy.EXPORT_VERSION
    for part in ("comments", "votes", "reports", "subscriptions", "bans", "moderation", "mails"):
        assert document[part] == [], part
    assert privacy_log(world.app) == []  # nothing found on any site: nothing to log


def test_the_export_is_logged_per_site_without_the_address(
    world: World, runner: FlaskCliRunner
) -> None:
    export(runner, ALICE)
    entries = privacy_log(world.app)
    assert [e.action for e in entries] == ["privacy_export", "privacy_export"]
    by_site = {e.site_id: e.details for e in entries}
    assert len(by_site) == 2
    subject = privacy.subject_digest(ALICE, "test-secret-key-" + "x" * 32)
    assert all(d["subject"] == subject for d in by_site.values())
    assert sorted(d.get("comments", 0) for d in by_site.values()) == [1, 5]
    assert all(e.moderator_id is None and "command line" in e.reason for e in entries)
    # The log does not hold her address: only her own rows do.
    tables = {table for table, _row in traces(world.app, addresses=(ALICE,))}
    assert tables == {"comment", "subscription", "ban", "outbox_message"}


def test_the_export_can_go_to_a_file_only_its_owner_reads(
    world: World, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    target = tmp_path / "alice.json"
    result = run(runner, "export", "--email", ALICE, "--output", str(target))
    assert result.exit_code == 0, result.output
    assert "6 comments" in result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    document = json.loads(target.read_text("utf-8"))
    assert {c["id"] for c in document["comments"]} == alice_ids(world)

    missing = run(runner, "export", "--email", ALICE, "--output", str(tmp_path / "no" / "x.json"))
    assert missing.exit_code == 1 and "Error: Cannot write" in missing.output


@pytest.mark.parametrize("address", ["not-an-address", "", "a@b", "x" * 300 + "@example.org"])
def test_a_bad_address_is_refused_cleanly(
    world: World, runner: FlaskCliRunner, address: str
) -> None:
    for command in (["export"], ["erase", "--yes"]):
        result = run(runner, *command, "--email", address)
        assert result.exit_code == 1, result.output
        assert "Error: " in result.output and "address" in result.output


def test_the_email_option_is_required(world: World, runner: FlaskCliRunner) -> None:
    for command in ("export", "erase"):
        result = run(runner, command)
        assert result.exit_code == 2 and "--email" in result.output
