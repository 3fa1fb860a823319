"""Dashboard, bans and tokens pages, and what every /mod response promises."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy import select
from werkzeug.test import TestResponse

from comments.extensions import Base, db
from comments.services import accounts
from tests.factories import Api
from tests.moderation.helpers import Mod, premoderate


def test_the_dashboard_draws_accessible_svg_charts_per_site(
    app: Flask, api: Api, admin: Mod, mod: Mod, other: str
) -> None:
    premoderate(app)
    comment_id = api.comment("Waiting")["comment"]["id"]
    admin.post(f"/mod/comments/{comment_id}/decide", {"action": "approve"})
    page = admin.text("/mod/dashboard")
    assert page.count('<svg class="mod-chart" role="img" aria-label="') == 4  # 2 sites x 2
    assert "Comments per day on News" in page and "Other" in page
    assert page.count("<g><title>") == 4 * 30
    assert " style=" not in page and "<style" not in page
    assert re.search(r"<strong>\d+ s</strong>\s*\(1 decision\)", page)
    own = mod.text("/mod/dashboard")
    assert own.count("<svg") == 2 and "Other" not in own


def test_a_new_api_token_is_shown_once_and_can_be_revoked(app: Flask, admin: Mod) -> None:
    response = admin.post("/mod/tokens", {"name": "sweeper"}, page="/mod/tokens")
    assert response.status_code == 200
    token = re.search(r'id="new-token" type="text" readonly value="(cmt_[^"]+)"', response.text)
    assert token, "the new token is on the page"
    with app.app_context():
        assert accounts.token_moderator(token.group(1)) is not None
    listing = admin.text("/mod/tokens")
    assert "sweeper" in listing and token.group(1) not in listing
    token_id = re.search(r"/mod/tokens/(\d+)/revoke", listing).group(1)  # type: ignore[union-attr]
    revoked = admin.post(f"/mod/tokens/{token_id}/revoke", page="/mod/tokens")
    assert "Revoked token" in admin.flashes(revoked)
    with app.app_context():
        assert accounts.token_moderator(token.group(1)) is None


def test_someone_elses_token_cannot_be_revoked(app: Flask, admin: Mod, mod: Mod) -> None:
    admin.post("/mod/tokens", {"name": "admins"}, page="/mod/tokens")
    token_id = re.search(r"/mod/tokens/(\d+)/revoke", admin.text("/mod/tokens")).group(1)  # type: ignore[union-attr]
    assert mod.post(f"/mod/tokens/{token_id}/revoke", page="/mod/tokens").status_code == 404
    assert "revoked" not in admin.text("/mod/tokens")


def table_rows(app: Flask) -> dict[str, list[Any]]:
    with app.app_context():
        return {
            table.name: [tuple(row) for row in db.session.execute(select(table)).all()]
            for table in Base.metadata.sorted_tables
        }


def pages_to_visit(comment_id: int) -> list[str]:
    queues = [f"/mod/queue/{q}" for q in ("pending", "reported", "spam", "hidden", "approved")]
    return [
        "/mod/",
        *queues,
        "/mod/queue/all?text=x&since=2000-01-01&page=2",
        f"/mod/queue/all?author_of={comment_id}",
        f"/mod/comments/{comment_id}",
        "/mod/audit",
        "/mod/audit?action=hide",
        "/mod/audit.csv",
        "/mod/dashboard",
        "/mod/bans",
        "/mod/tokens",
        "/mod/settings",
        "/mod/settings/news",
        "/mod/login",
        "/mod/queue/nonsense",
        "/mod/comments/999999",
    ]


def test_get_requests_never_change_anything(app: Flask, api: Api, admin: Mod) -> None:
    comment_id = api.comment("Look, don't touch")["comment"]["id"]
    admin.post(f"/mod/comments/{comment_id}/decide", {"action": "hide"})
    before = table_rows(app)
    for url in pages_to_visit(comment_id):
        assert admin.get(url).status_code in (200, 302, 404), url
    # Action URLs answer GET with 405 rather than acting.
    for url in (f"/mod/comments/{comment_id}/decide", "/mod/queue/all/bulk", "/mod/logout"):
        assert admin.get(url).status_code == 405, url
    assert table_rows(app) == before


def check_headers(response: TestResponse, where: str) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    assert csp, where
    assert "unsafe-inline" not in csp, where
    assert "frame-ancestors 'none'" in csp, where
    assert response.headers.get("Cache-Control") == "no-store", where


def test_every_mod_response_has_a_strict_csp_and_is_not_stored(
    app: Flask, client: Any, api: Api, admin: Mod
) -> None:
    comment_id = api.comment("Headers")["comment"]["id"]
    for url in pages_to_visit(comment_id):
        check_headers(admin.get(url), url)
    check_headers(client.get("/mod/queue/pending"), "anonymous redirect")
    check_headers(admin.get("/mod/no/such/page"), "unrouted 404")
    check_headers(admin.get("/mod/logout"), "405 on a POST-only URL")
    check_headers(client.get("/mod/login"), "login page")
    check_headers(client.post("/mod/login", data={}), "CSRF failure")
    posted = admin.post(f"/mod/comments/{comment_id}/decide", {"action": "spam"})
    check_headers(posted, "POST redirect")
    check_headers(admin.post("/mod/comments/999999/decide", {"action": "spam"}), "404 on POST")
    page = admin.text("/mod/queue/all")
    assert "<script>" not in page and " style=" not in page and "<style" not in page
    assert " onclick=" not in page
    assert '<a class="mod-skip" href="#main">' in page and '<main id="main"' in page
