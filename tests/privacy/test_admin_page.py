"""The moderation area's privacy page: admins only, CSRF on both forms, logged."""

from __future__ import annotations

import json

from flask import Flask
from sqlalchemy import select

from comments.extensions import db
from comments.models import Comment, CommentStatus
from tests.moderation.helpers import Mod, csrf
from tests.privacy.conftest import ALICE, ALICE_NAME, World, alice_ids
from tests.privacy.test_export import privacy_log
from tests.test_security_headers import assert_strict_html

PAGE = "/mod/privacy"


def her_emails(app: Flask) -> list[str]:
    with app.app_context():
        rows = db.session.execute(select(Comment.author_email).order_by(Comment.id)).scalars()
        return [e for e in rows if e.lower() == ALICE.lower()]


def test_only_admins_see_the_page_and_its_link(admin: Mod, moderator: Mod, world: World) -> None:
    page = admin.get(PAGE)
    assert page.status_code == 200
    assert_strict_html(page, PAGE, ())
    assert 'href="/mod/privacy"' in admin.text("/mod/queue/pending")
    assert page.text.count('name="csrf_token"') >= 2  # the sign-out form, and ours

    assert moderator.get(PAGE).status_code == 404
    assert 'href="/mod/privacy"' not in moderator.text("/mod/queue/pending")
    token = csrf(moderator.client, "/mod/queue/pending")
    for url, data in (
        (PAGE + "/export", {"email": ALICE}),
        (PAGE + "/erase", {"email": ALICE, "email_again": ALICE}),
    ):
        refused = moderator.client.post(url, data={"csrf_token": token, **data})
        assert refused.status_code == 404, url
    assert len(her_emails(world.app)) == 6
    assert privacy_log(world.app) == []

    signed_out = world.app.test_client().get(PAGE)
    assert signed_out.status_code == 302 and "/mod/login" in signed_out.headers["Location"]


def test_export_downloads_json_and_is_logged(admin: Mod, world: World) -> None:
    response = admin.post(PAGE + "/export", {"email": ALICE.upper()}, page=PAGE)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="privacy-export-')
    assert "alice" not in disposition.lower()
    assert response.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    document = json.loads(response.data)
    assert {c["id"] for c in document["comments"]} == alice_ids(world)
    entries = privacy_log(world.app)
    assert [e.action for e in entries] == ["privacy_export"] * 2
    assert all(e.moderator_id is not None and "command line" not in e.reason for e in entries)
    assert all("alice" not in json.dumps(e.details).lower() for e in entries)


def test_the_forms_need_their_csrf_token(admin: Mod, world: World) -> None:
    for url, data in (
        (PAGE + "/export", {"email": ALICE}),
        (PAGE + "/erase", {"email": ALICE, "email_again": ALICE}),
    ):
        missing = admin.client.post(url, data=data)
        assert missing.status_code == 400, url
        assert "Form expired" in missing.text
        forged = admin.post(url, data, page=PAGE, token="forged")
        assert forged.status_code == 400, url
    assert len(her_emails(world.app)) == 6
    assert privacy_log(world.app) == []


def test_a_bad_address_shows_the_page_again(admin: Mod, world: World) -> None:
    response = admin.post(PAGE + "/export", {"email": "not an address"}, page=PAGE)
    assert response.status_code == 422
    assert "not valid" in response.text and 'aria-invalid="true"' in response.text
    assert_strict_html(response, "export error", ())
    erase = admin.post(PAGE + "/erase", {"email": "x@y", "email_again": "x@y"}, page=PAGE)
    assert erase.status_code == 422 and "not valid" in erase.text
    assert privacy_log(world.app) == []


def test_erase_wants_the_address_twice(admin: Mod, world: World) -> None:
    for again in ("", "alice@example.com", "malice@example.org"):
        response = admin.post(PAGE + "/erase", {"email": ALICE, "email_again": again}, page=PAGE)
        assert response.status_code == 422, again
        assert "Nothing was erased" in response.text
    assert len(her_emails(world.app)) == 6


def test_erase_says_what_it_did_and_is_logged(admin: Mod, world: World) -> None:
    response = admin.post(
        PAGE + "/erase", {"email": ALICE, "email_again": ALICE.lower()}, page=PAGE
    )
    assert response.status_code == 303
    page = admin.flashes(response)
    assert "Erased: 6 comments in 4 threads anonymised (their text kept)" in page
    assert "1 vote and 1 report unlinked" in page
    assert "Kept ban #1 on other (in force)" in page
    assert "alice@example.org" not in page.lower() and ALICE_NAME not in page
    assert her_emails(world.app) == []
    entries = privacy_log(world.app)
    assert [e.action for e in entries] == ["privacy_erase"] * 2
    assert all(e.moderator_id is not None for e in entries)
    log = admin.text("/mod/audit")
    assert "privacy_erase" in log and "privacy request: erase: comments 5" in log
    assert "alice@example.org" not in log.lower()


def test_erase_can_remove_the_text_too(admin: Mod, world: World) -> None:
    response = admin.post(
        PAGE + "/erase",
        {"email": ALICE, "email_again": ALICE, "remove_text": "yes"},
        page=PAGE,
    )
    assert "5 texts removed" in admin.flashes(response)
    with world.app.app_context():
        comment = db.session.get(Comment, world.alice_root)
        assert comment is not None
        assert comment.status is CommentStatus.DELETED and comment.body == ""


def test_erasing_an_unknown_address_says_so(admin: Mod, world: World) -> None:
    response = admin.post(
        PAGE + "/erase",
        {"email": "nobody@example.net", "email_again": "nobody@example.net"},
        page=PAGE,
    )
    assert "Nothing is stored about that address" in admin.flashes(response)
