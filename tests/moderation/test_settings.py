"""Site settings (admins only) and the "try a comment" box."""

from __future__ import annotations

from flask import Flask

from comments.extensions import db
from comments.models import Site
from comments.services import sites
from tests.factories import Api
from tests.moderation.helpers import Mod, comment_count, log_of

FORM = {
    "mode": "first",
    "first_threshold": "2",
    "max_links": "1",
    "banned_words": "viagra\ncasino",
    "banned_word_action": "hold",
    "suspect_words": "crypto",
    "honeypot": "on",
    "min_seconds": "0",
    "report_threshold": "5",
    "duplicate_window_minutes": "30",
    "ban_action": "spam",
    "auto_close_days": "90",
}


def policy(app: Flask) -> dict[str, object]:
    with app.app_context():
        site = db.session.query(Site).filter_by(slug="news").one()
        return sites.policy_of(site).to_json()


def test_settings_are_for_admins_only(admin: Mod, mod: Mod) -> None:
    assert mod.get("/mod/settings").status_code == 404
    assert mod.get("/mod/settings/news").status_code == 404
    assert mod.post("/mod/settings/news", FORM, page="/mod/queue/all").status_code == 404
    assert mod.post("/mod/settings/news/try", {"text": "x"}).status_code == 404
    assert "/mod/settings" not in mod.text("/mod/queue/all")
    assert 'href="/mod/settings"' in admin.text("/mod/queue/all")
    assert admin.get("/mod/settings/nosuchsite").status_code == 404


def test_saving_every_setting(app: Flask, admin: Mod) -> None:
    page = admin.text("/mod/settings/news")
    for name in FORM:
        assert f'id="s-{name}"' in page, name
    response = admin.post("/mod/settings/news", FORM, page="/mod/settings/news")
    assert response.headers["Location"] == "/mod/settings/news"
    assert "Saved the moderation settings of News." in admin.flashes(response)
    saved = policy(app)
    assert saved["mode"] == "first" and saved["first_threshold"] == 2
    assert saved["banned_words"] == ["viagra", "casino"]
    assert saved["ban_action"] == "spam" and saved["auto_close_days"] == 90
    assert saved["honeypot"] is True
    assert [a for a, _, _ in log_of(app)] == ["settings"]

    # An unticked checkbox sends nothing: that turns the honeypot off.
    admin.post("/mod/settings/news", {**FORM, "honeypot": ""}, page="/mod/settings/news")
    assert policy(app)["honeypot"] is False
    reloaded = admin.text("/mod/settings/news")
    assert "viagra\ncasino</textarea>" in reloaded


def test_invalid_settings_are_named_next_to_their_fields(app: Flask, admin: Mod) -> None:
    before = policy(app)
    response = admin.post(
        "/mod/settings/news",
        {**FORM, "max_links": "lots", "mode": "anarchy"},
        page="/mod/settings/news",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="error-max_links">Must be a whole number from 0 to 1000.' in page
    assert 'id="error-mode">Must be one of post, first, pre.' in page
    assert 'value="lots"' in page  # what was typed is shown again
    assert 'aria-describedby="hint-max_links error-max_links"' in page
    assert policy(app) == before


def test_trying_a_comment_shows_the_verdict_and_stores_nothing(
    app: Flask, api: Api, admin: Mod
) -> None:
    admin.post("/mod/settings/news", FORM, page="/mod/settings/news")
    api.comment("Something ordinary")
    comments_before, log_before = comment_count(app), log_of(app)
    response = admin.post(
        "/mod/settings/news/try",
        {"text": "Visit casino at https://a.example and https://b.example", "approved": "0"},
        page="/mod/settings/news",
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Verdict: held for review" in page
    assert "banned word &#39;casino&#39;" in page
    assert "2 links (limit 1)" in page
    assert "first comment from this author" in page
    trusted = admin.post(
        "/mod/settings/news/try",
        {"text": "I like crypto", "approved": "5"},
        page="/mod/settings/news",
    ).get_data(as_text=True)
    assert "Verdict: published" in trusted and "listed under Reported" in trusted
    assert "suspect word &#39;crypto&#39;" in trusted
    bad = admin.post(
        "/mod/settings/news/try", {"text": "hi", "approved": "-1"}, page="/mod/settings/news"
    )
    assert bad.status_code == 422
    assert comment_count(app) == comments_before
    assert log_of(app) == log_before
