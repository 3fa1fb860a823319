"""axe-core over the pages people use: the demo article with the widget, the no-JS thread,
the moderation queue and the dashboard. No serious or critical violation may remain.

axe-playwright-python injects axe through page.evaluate (the DevTools protocol), which the
pages' Content-Security-Policy (no inline script) does not apply to.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from flask import Flask
from playwright.sync_api import expect
from werkzeug.security import generate_password_hash

from comments.demo_content import ARTICLE_URI
from comments.services import accounts, demo
from tests.browser.conftest import LiveServer
from tests.browser.test_widget_support import demo_comments, open_demo, seed

if TYPE_CHECKING:
    from playwright.sync_api import Page

BLOCKING = {"serious", "critical"}


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in tests/moderation/conftest.py: scrypt is slow; sign-in still checks for real."""

    def cheap(password: str, method: str = "", **_: Any) -> str:
        return generate_password_hash(password, method="pbkdf2:sha256:1")

    monkeypatch.setattr(accounts, "generate_password_hash", cheap)


def sign_in_as_demo_moderator(app: Flask, page: Page, live: LiveServer) -> None:
    with app.app_context():
        login = demo.sign_in(app.instance_path)
    assert login.password is not None
    page.goto(f"{live.url}/mod/login")
    page.get_by_label("E-mail").fill(login.email)
    page.get_by_label("Password").fill(login.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live.url}/mod/queue/pending")


def article(app: Flask, page: Page, live: LiveServer) -> None:
    open_demo(page, live)
    expect(page.locator(".cmt-item")).to_have_count(len(demo_comments(app)))


def test_axe_runs_under_the_csp_and_sees_into_the_widget(
    app: Flask, live_server: LiveServer, page: Page
) -> None:
    """A canary: an unlabelled field planted in the widget's shadow root is reported, so a
    clean result below means something (axe ran despite the CSP and read the shadow DOM)."""
    live = seed(app, live_server)
    article(app, page, live)
    page.evaluate(
        """() => {
          const root = document.querySelector('#comments').shadowRoot;
          const field = document.createElement('input');
          field.id = 'axe-canary';
          root.querySelector('.cmt-root').append(field);
        }"""
    )
    results = Axe().run(page, context={"include": [["#comments"]]})
    found = {
        (v["id"], str(n["target"])) for v in results.response["violations"] for n in v["nodes"]
    }
    assert ("label", str([["#comments", "#axe-canary"]])) in found


def nojs_thread(app: Flask, page: Page, live: LiveServer) -> None:
    page.goto(f"{live.url}/embed/{demo.DEMO_SITE}/thread?uri={ARTICLE_URI}")
    expect(page.locator("li.cm-item").first).to_be_visible()


def pending_queue(app: Flask, page: Page, live: LiveServer) -> None:
    sign_in_as_demo_moderator(app, page, live)
    expect(page.locator("[data-select-all-wrap]")).to_be_visible()  # mod.js has run
    expect(page.locator("article.mod-item")).to_have_count(3)


def dashboard(app: Flask, page: Page, live: LiveServer) -> None:
    sign_in_as_demo_moderator(app, page, live)
    page.goto(f"{live.url}/mod/dashboard")
    expect(page.locator("svg.mod-chart")).to_have_count(2)


PAGES: dict[str, Callable[[Flask, Page, LiveServer], None]] = {
    "demo-article-with-widget": article,
    "nojs-thread": nojs_thread,
    "moderation-pending-queue": pending_queue,
    "moderation-dashboard": dashboard,
}


def describe(violation: dict[str, Any]) -> str:
    targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
    return f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}"


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_accessibility_violations(
    name: str, app: Flask, live_server: LiveServer, page: Page
) -> None:
    live = seed(app, live_server)  # demo.allow_origins for both of the live server's names
    PAGES[name](app, page, live)
    results = Axe().run(page)
    violations: list[dict[str, Any]] = results.response["violations"]
    for v in violations:  # for the record (pytest -s or -rP shows it)
        print(f"axe {name}: {v['id']} impact={v['impact']} nodes={len(v['nodes'])}")
    if not violations:
        print(f"axe {name}: no violations")
    for v in results.response["incomplete"]:  # axe could not decide: for a person to check
        print(f"axe {name}: needs review {describe(v)}")
    assert len(results.response["passes"]) > 20, "axe did not run its rules"
    blocking = [describe(v) for v in violations if v["impact"] in BLOCKING]
    assert blocking == [], f"{name}: " + "\n".join(blocking)
