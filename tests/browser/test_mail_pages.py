"""The pages behind mailed links and the alerts page, in Chromium: they work under the
strict CSP and axe-core finds no serious accessibility problem."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from comments.extensions import db
from comments.models import Subscription
from comments.services import mail_tokens
from comments.services.mail_tokens import Purpose
from tests.browser.conftest import LiveServer
from tests.browser.test_accessibility import (
    BLOCKING,
    _cheap_password_hashes,  # noqa: F401 - an autouse fixture, used here too
    describe,
    sign_in_as_demo_moderator,
)
from tests.browser.test_widget_support import collect_errors, seed, watch_csp
from tests.factories import Api

if TYPE_CHECKING:
    from playwright.sync_api import Page


def no_blocking_violations(page: Page, name: str) -> None:
    results = Axe().run(page)
    assert len(results.response["passes"]) > 10, "axe did not run its rules"
    blocking = [describe(v) for v in results.response["violations"] if v["impact"] in BLOCKING]
    assert blocking == [], f"{name}: " + "\n".join(blocking)


def link(app: Flask, purpose: Purpose, **kwargs: Any) -> str:
    with app.app_context():
        subscription = db.session.execute(select(Subscription)).scalar_one()
        secret = app.extensions["comments.settings"].SECRET_KEY
        token = mail_tokens.make_token(
            secret, purpose, subscription.id, subscription.email, **kwargs
        )
    path = "confirm" if purpose is Purpose.CONFIRM else "unsubscribe"
    return f"/mail/{path}/{token}"


@pytest.fixture
def subscribed(app: Flask, live_server: LiveServer) -> LiveServer:
    live = seed(app, live_server)
    response = Api(app.test_client()).post(
        "Tell me", site="demo", uri="/articles/kursk", author_email="reader@example.org",
        notify_replies=True,
    )  # fmt: skip
    assert response.status_code == 201, response.get_json()
    return live


def test_confirm_then_unsubscribe_by_pressing_the_buttons(
    app: Flask, subscribed: LiveServer, page: Page
) -> None:
    errors = collect_errors(page)
    violations = watch_csp(page)
    page.goto(subscribed.url + link(app, Purpose.CONFIRM))
    no_blocking_violations(page, "confirm")
    page.get_by_role("button", name="Yes, notify me of replies").click()
    expect(page.get_by_role("heading", name="Confirmed")).to_be_visible()

    page.goto(subscribed.url + link(app, Purpose.UNSUBSCRIBE))
    no_blocking_violations(page, "unsubscribe")
    page.get_by_role("button", name="Unsubscribe from this comment").click()
    expect(page.get_by_role("heading", name="Unsubscribed")).to_be_visible()
    no_blocking_violations(page, "unsubscribed")
    with app.app_context():
        subscription = db.session.execute(select(Subscription)).scalar_one()
        assert subscription.confirmed_at is not None and subscription.unsubscribed_at is not None
    assert errors == [] and violations() == []


def test_an_expired_link_page(app: Flask, subscribed: LiveServer, page: Page) -> None:
    from datetime import timedelta

    from comments.models import utcnow

    old = utcnow() - timedelta(days=45)
    response = page.goto(subscribed.url + link(app, Purpose.UNSUBSCRIBE, now=old))
    assert response is not None and response.status == 400
    expect(page.get_by_role("heading", name="This link has expired")).to_be_visible()
    no_blocking_violations(page, "expired link")


def test_the_alerts_page(app: Flask, live_server: LiveServer, page: Page) -> None:
    live = seed(app, live_server)
    sign_in_as_demo_moderator(app, page, live)
    page.get_by_role("link", name="Alerts").click()
    no_blocking_violations(page, "alerts")
    page.get_by_label("Daily digest", exact=False).check()
    page.get_by_role("button", name="Save alerts").click()
    expect(page.get_by_role("status").first).to_contain_text("E-mail alerts: daily digest.")
    expect(page.get_by_label("Daily digest", exact=False)).to_be_checked()
