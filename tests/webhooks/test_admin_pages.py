"""The admin page of a site's webhooks: add, remove, ping, rotate, and recent deliveries."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from comments.extensions import db
from comments.models import ModerationAction, Webhook
from tests.factories import Api, make_site
from tests.moderation.helpers import Mod, post_form
from tests.webhooks.helpers import Receiver, Reply, add_hook, work

PAGE = "/mod/settings/news/webhooks"
SECRET_FIELD = re.compile(r'id="new-secret" type="text" readonly value="(whsec_[0-9a-f]{64})"')


def hooks(app: Flask) -> list[tuple[int, str, list[str]]]:
    with app.app_context():
        return [(w.id, w.url, w.events) for w in db.session.scalars(select(Webhook))]


def test_the_settings_page_links_to_the_webhooks(admin: Mod) -> None:
    assert f'href="{PAGE}">Webhooks</a>' in admin.text("/mod/settings/news")
    page = admin.text(PAGE)
    assert "This site has no webhooks." in page
    for event in ("comment.created", "comment.approved", "comment.hidden", "comment.deleted",
                  "comment.reported"):  # fmt: skip
        assert f'name="events" value="{event}"' in page
    assert "comment.held" not in page


def test_only_admins_may_see_or_change_webhooks(
    app: Flask, admin: Mod, mod: Mod, receiver: Receiver
) -> None:
    hook_id, _ = add_hook(app, receiver.url + "/hook")
    assert mod.get(PAGE).status_code == 404
    form = {"url": receiver.url + "/other"}
    assert mod.post(PAGE, form, page="/mod/queue/all").status_code == 404
    for action in ("remove", "rotate", "ping"):
        url = f"{PAGE}/{hook_id}/{action}"
        assert mod.post(url, page="/mod/queue/all").status_code == 404
    assert hooks(app) == [(hook_id, receiver.url + "/hook", [])]
    assert receiver.url not in mod.text("/mod/queue/all")
    anonymous = app.test_client().get(PAGE)
    assert anonymous.status_code == 302 and "/mod/login" in anonymous.headers["Location"]
    assert admin.get("/mod/settings/nosuchsite/webhooks").status_code == 404


def test_adding_shows_the_secret_once_and_logs_the_change(
    app: Flask, admin: Mod, receiver: Receiver
) -> None:
    form = {"url": receiver.url + "/hook", "events": ["comment.created", "comment.deleted"]}
    response = admin.post(PAGE, form, page=PAGE)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    match = SECRET_FIELD.search(page)
    assert match
    secret = match.group(1)
    assert "Signing secret of webhook #1" in page
    assert hooks(app) == [(1, receiver.url + "/hook", ["comment.created", "comment.deleted"])]
    assert response.headers["Cache-Control"] == "no-store"

    again = admin.text(PAGE)
    assert secret not in again  # shown once
    assert f"<code>{receiver.url}/hook</code>" in again
    assert "Events: comment.created, comment.deleted." in again
    assert "No calls yet." in again
    with app.app_context():
        [entry] = db.session.scalars(select(ModerationAction))
        assert entry.action == "settings"
        assert entry.reason == f"webhook 1 added: {receiver.url}/hook"
        assert secret not in str(entry.details)


def test_forms_without_a_csrf_token_are_refused(app: Flask, admin: Mod, receiver: Receiver) -> None:
    hook_id, _ = add_hook(app, receiver.url + "/hook")
    response = admin.client.post(PAGE, data={"url": receiver.url + "/new"})
    assert response.status_code == 400 and "Form expired" in response.get_data(as_text=True)
    for action in ("remove", "rotate", "ping"):
        response = admin.client.post(f"{PAGE}/{hook_id}/{action}", data={})
        assert response.status_code == 400
        forged = post_form(admin.client, f"{PAGE}/{hook_id}/{action}", page=PAGE, token="forged")
        assert forged.status_code == 400
    assert hooks(app) == [(hook_id, receiver.url + "/hook", [])]


def test_a_refused_url_is_explained_next_to_the_field(app: Flask, admin: Mod) -> None:
    for url, reason in (
        ("http://169.254.169.254/latest", "169.254.169.254, which is link-local"),
        ("file:///etc/passwd", "only http and https URLs can receive webhooks, not file:"),
        ("https://user:secret@example.com/", "must not carry a user name or password"),
    ):
        response = admin.post(PAGE, {"url": url, "events": ["comment.deleted"]}, page=PAGE)
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert reason in page and 'role="alert" id="error-url"' in page
        assert 'aria-invalid="true"' in page
        assert 'value="comment.deleted" checked' in page  # the form keeps what was chosen
    response = admin.post(
        PAGE, {"url": "https://example.com/", "events": ["comment.held"]}, page=PAGE
    )
    assert response.status_code == 422
    assert "Unknown webhook event comment.held" in response.get_data(as_text=True)
    assert hooks(app) == []


def test_removing_a_webhook(app: Flask, admin: Mod, receiver: Receiver) -> None:
    hook_id, _ = add_hook(app, receiver.url + "/hook")
    response = admin.post(f"{PAGE}/{hook_id}/remove", page=PAGE)
    assert response.headers["Location"] == PAGE
    page = admin.flashes(response)
    assert f"Removed webhook #{hook_id} ({receiver.url}/hook)" in page
    assert "This site has no webhooks." in page
    assert hooks(app) == []
    assert admin.post(f"{PAGE}/{hook_id}/remove", page=PAGE).status_code == 404


def test_a_webhook_of_another_site_is_not_found_here(
    app: Flask, admin: Mod, receiver: Receiver
) -> None:
    make_site(app, "other")
    hook_id, _ = add_hook(app, receiver.url + "/other", site="other")
    for action in ("remove", "rotate", "ping"):
        assert admin.post(f"{PAGE}/{hook_id}/{action}", page=PAGE).status_code == 404
    assert receiver.url not in admin.text(PAGE)
    assert len(hooks(app)) == 1


def test_recent_deliveries_ping_and_rotate(
    app: Flask, admin: Mod, api: Api, receiver: Receiver
) -> None:
    hook_id, old = add_hook(app, receiver.url + "/hook")
    receiver.answer(Reply(503, b"maintenance"), 404)
    api.comment("One")
    api.comment("Two")
    assert work(app) == (0, 2)
    page = admin.text(PAGE)
    assert "Recent calls of webhook #1, newest first" in page
    assert page.count("<td><code>comment.created</code></td>") == 2
    assert "waiting; next try" in page and "HTTP 503 Service Unavailable: maintenance" in page
    assert "given up" in page and "HTTP 404 Not Found" in page

    flashed = admin.flashes(admin.post(f"{PAGE}/{hook_id}/ping", page=PAGE))
    assert f"Queued a test ping to webhook #{hook_id}" in flashed
    assert "<td><code>ping</code></td>" in flashed
    assert work(app) == (1, 0)
    assert receiver.events()[-1] == "ping"

    rotated = admin.post(f"{PAGE}/{hook_id}/rotate", page=PAGE)
    assert rotated.status_code == 200
    match = SECRET_FIELD.search(rotated.get_data(as_text=True))
    assert match and match.group(1) != old
