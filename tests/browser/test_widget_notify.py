"""The widget's "Notify me of replies by e-mail" checkbox, in Chromium."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from comments.extensions import db
from comments.models import OutboxMessage, Subscription
from comments.services import identity, sites
from comments.services.demo import DEMO_SITE
from tests.browser.conftest import LiveServer
from tests.browser.test_widget_support import (
    collect_errors,
    install_host_pages,
    open_demo,
    seed,
    wait_widget,
    watch_csp,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page, Request

LABEL = "Notify me of replies by e-mail"


def is_post(request: Request) -> bool:
    return request.method == "POST" and request.url.endswith("/api/v1/comments")


def stored(app: Flask) -> tuple[list[tuple[str, bool]], int]:
    """(address, confirmed) per subscription, and how many mails wait in the outbox."""
    with app.app_context():
        rows = db.session.execute(select(Subscription).order_by(Subscription.id)).scalars()
        subscriptions = [(s.email, s.confirmed_at is not None) for s in rows]
        mails = len(db.session.execute(select(OutboxMessage.id)).all())
        return subscriptions, mails


def test_ticking_the_box_asks_for_reply_mails(
    app: Flask, live_server: LiveServer, page: Page
) -> None:
    live = seed(app, live_server)
    errors = collect_errors(page)
    violations = watch_csp(page)
    open_demo(page, live)
    form = page.locator("form.cmt-form").first
    box = form.get_by_label(LABEL, exact=True)
    expect(box).to_be_visible()
    # Only meaningful with an address: off until one is typed.
    expect(box).to_be_disabled()
    form.get_by_label("Email (optional, never shown)").fill("reader@example.org")
    expect(box).to_be_enabled()
    box.check()
    form.locator("textarea").first.fill("Tell me when someone answers")
    with page.expect_request(is_post) as sent:
        form.get_by_role("button", name="Post comment").click()
    payload = sent.value.post_data_json
    assert payload["notify_replies"] is True
    assert payload["author_email"] == "reader@example.org"
    expect(page.locator(".cmt-status")).to_contain_text("Your comment was posted.")
    # An anonymous reader: subscribed, unconfirmed, a confirmation mail queued.
    assert stored(app) == ([("reader@example.org", False)], 1)

    # Cleared address: the box turns off again and nothing is asked for.
    form.get_by_label("Email (optional, never shown)").fill("")
    expect(box).to_be_disabled()
    form.locator("textarea").first.fill("No mails for this one")
    with page.expect_request(is_post) as sent:
        form.get_by_role("button", name="Post comment").click()
    assert sent.value.post_data_json["notify_replies"] is False
    expect(page.locator(".cmt-status")).to_contain_text("Your comment was posted.")
    assert stored(app) == ([("reader@example.org", False)], 1)
    assert errors == [] and violations() == []


def test_a_signed_in_reader_with_an_address_gets_the_box(
    app: Flask, live_server: LiveServer, page: Page
) -> None:
    live = seed(app, live_server)
    host = install_host_pages(app, live)
    with app.app_context():
        secret = sites.get_site(DEMO_SITE).sso_secret
    user = {"id": "reader-7", "name": "Ada", "exp": int(time.time()) + 3600}
    with_mail = identity.sign_sso({**user, "email": "ada@example.com"}, secret)
    without = identity.sign_sso({**user, "email": ""}, secret)

    page.goto(host.add("sso-mail", host.widget(site=DEMO_SITE, uri="/members", sso=with_mail)))
    wait_widget(page)
    form = page.locator("form.cmt-form")
    box = form.get_by_label(LABEL, exact=True)
    expect(box).to_be_enabled()
    box.check()
    form.locator("textarea").fill("Signed in, tell me")
    with page.expect_request(is_post) as sent:
        form.get_by_role("button", name="Post comment").click()
    assert sent.value.post_data_json["notify_replies"] is True
    expect(page.locator(".cmt-item")).to_have_count(1)
    # The site vouches for the address: confirmed at once, no confirmation mail.
    assert stored(app) == ([("ada@example.com", True)], 0)

    page.goto(host.add("sso-plain", host.widget(site=DEMO_SITE, uri="/members", sso=without)))
    wait_widget(page)
    expect(page.locator("form.cmt-form").get_by_label(LABEL, exact=True)).to_have_count(0)
