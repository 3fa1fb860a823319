"""Helpers for the widget's browser tests: the demo seeded on a live server, host pages, probes.

The demo page (served as 127.0.0.1) loads the widget from the other origin (localhost), so
every test here talks to the API cross-origin, as a real embedding site does.
"""

from __future__ import annotations

import atexit
import dataclasses
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask
from flask import Response as FlaskResponse
from playwright.sync_api import expect
from sqlalchemy import select

from comments import create_app
from comments.demo_content import ARTICLE_URI
from comments.extensions import Base, db
from comments.models import Comment, Thread
from comments.services import demo, sites
from comments.services.visibility import is_shown
from tests.browser.conftest import LiveServer

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Locator, Page, Response

TIMEOUT_MS = 10_000


def strict_csp(api_origin: str) -> str:
    """The tightest policy a host page can embed the widget under: nothing inline."""
    return (
        f"default-src 'self'; script-src 'self' {api_origin}; style-src 'self' {api_origin}; "
        f"connect-src {api_origin}; img-src {api_origin}"
    )


@dataclasses.dataclass
class HostPages:
    """Pages of a pretend third-party site, served by the test app under /test-host/<name>."""

    live: LiveServer
    pages: dict[str, tuple[str, str]] = dataclasses.field(default_factory=dict)

    @property
    def api(self) -> str:
        return self.live.other_origin

    def add(self, name: str, body: str, *, head: str = "", lang: str = "en", csp: str = "") -> str:
        """Register a page; ``body`` may use {api}. Returns its URL on the host origin."""
        html = (
            f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>Host page {name}</title>{head}</head><body>{body}</body></html>"
        ).replace("{api}", self.api)
        self.pages[name] = (html, csp or strict_csp(self.api))
        return f"{self.live.url}/test-host/{name}"

    def widget(self, **data: str) -> str:
        """One widget element plus the script tag, as the embedding docs show them."""
        attrs = " ".join(f'data-{k.replace("_", "-")}="{v}"' for k, v in data.items())
        return f'<div id="comments" {attrs}></div>{self.script()}'

    def script(self, name: str = "embed.js", extra: str = "") -> str:
        return f'<script src="{self.api}/static/{name}" {extra} async></script>'


def install_host_pages(app: Flask, live: LiveServer) -> HostPages:
    host = HostPages(live)

    def serve(name: str) -> FlaskResponse:
        if name.endswith(".css"):
            return FlaskResponse(host.pages[name][0], mimetype="text/css")
        html, csp = host.pages[name]
        response = FlaskResponse(html, mimetype="text/html")
        response.headers["Content-Security-Policy"] = csp
        return response

    app.add_url_rule("/test-host/<name>", "test_host", serve)
    return host


_TEMPLATE: dict[str, Path] = {}


def _demo_template() -> Path:
    """A SQLite database holding the seeded demo, built once per test session."""
    if "db" not in _TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="widget-demo-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        url = f"sqlite:///{folder / 'demo.db'}"
        template = create_app(
            {"DATABASE_URL": url, "SECRET_KEY": "template-" + "x" * 32},
            instance_path=str(folder / "instance"),
        )
        with template.app_context():
            db.create_all()
            demo.seed()
            db.session.remove()
            db.engine.dispose()
        _TEMPLATE["db"] = folder / "demo.db"
    return _TEMPLATE["db"]


def _seed_demo() -> None:
    """demo.seed(), but on SQLite copied from a template: seeding costs ~1 s a test."""
    if db.engine.dialect.name != "sqlite":
        demo.seed()
        return
    template = _demo_template()
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("ATTACH DATABASE ? AS template", (str(template),))
        for table in Base.metadata.sorted_tables:
            cursor.execute(f'INSERT INTO main."{table.name}" SELECT * FROM template."{table.name}"')
        raw.commit()
        cursor.execute("DETACH DATABASE template")
    finally:
        raw.close()


def seed(app: Flask, live: LiveServer) -> LiveServer:
    """The demo discussion, its site allowing both of the live server's origins.

    The site's minimum time on the page is lifted: a test types faster than a person, and
    the widget's timing is checked on its own.
    """
    with app.app_context():
        _seed_demo()
        sites.edit_site(demo.DEMO_SITE, origins=[live.url, live.other_origin])
        sites.update_policy(demo.DEMO_SITE, {"min_seconds": 0})
    return live


def use_settings(app: Flask, **changes: Any) -> None:
    key = "comments.settings"
    app.extensions[key] = dataclasses.replace(app.extensions[key], **changes)


def demo_comments(app: Flask) -> list[Comment]:
    """The demo thread's comments readers see, in id order, detached from the session.

    The demo also seeds held and removed comments for the moderation queues; those are left out.
    """
    with app.app_context():
        rows = list(
            db.session.execute(
                select(Comment).join(Thread).where(Thread.key == ARTICLE_URI).order_by(Comment.id)
            ).scalars()
        )
        db.session.expunge_all()
        return [row for row in rows if is_shown(row.status, row.reply_count)]


def shadow_eval(page: Page, script: str, arg: Any = None) -> Any:
    """Evaluate ``script`` (a function of root, arg) against the first widget's shadow root."""
    return page.evaluate(
        f"([arg]) => {{ const root = document.querySelector('#comments, .comments-thread,"
        f" [data-comments]').shadowRoot; return ({script})(root, arg); }}",
        [arg],
    )


def comment(page: Page, comment_id: int) -> Locator:
    return page.locator(f"#comment-{comment_id}")


def article_of(page: Page, comment_id: int) -> Locator:
    return page.locator(f"#comment-{comment_id} > article")


def wait_widget(page: Page, count: int = 1) -> None:
    """Wait until ``count`` widgets have loaded their first page."""
    expect(page.locator(".cmt-root[aria-busy=false]")).to_have_count(count, timeout=TIMEOUT_MS)


def open_demo(page: Page, live: LiveServer, fragment: str = "") -> None:
    page.goto(live.url + "/" + fragment)
    wait_widget(page)


def watch_csp(page: Page) -> Callable[[], list[str]]:
    """Collect CSP violations (events and console reports); returns a reader for them."""
    found: list[str] = []
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " (window.__cspViolations = window.__cspViolations || [])"
        ".push(e.violatedDirective + ' ' + e.blockedURI), true);"
    )
    page.on(
        "console",
        lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None,
    )

    def read() -> list[str]:
        events = page.evaluate("window.__cspViolations || []")
        return [*found, *events]

    return read


def collect_errors(page: Page) -> list[str]:
    """A live list of script errors, console errors and failed requests (bar the favicon)."""
    errors: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            errors.append(msg.text)

    def on_response(response: Response) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            errors.append(f"{response.status} {response.request.method} {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", on_response)
    return errors


def display_order(rows: list[Comment]) -> list[int]:
    """Ids in the order the thread shows them (oldest first): depth first, children by id."""
    children: dict[int | None, list[int]] = {}
    for row in sorted(rows, key=lambda r: r.id):
        children.setdefault(row.parent_id, []).append(row.id)
    order: list[int] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        current = stack.pop()
        order.append(current)
        stack.extend(reversed(children.get(current, [])))
    return order


def dom_ids(page: Page) -> list[int]:
    """Comment ids in document order inside the first widget."""
    ids: list[str] = shadow_eval(
        page, "root => [...root.querySelectorAll('li.cmt-item')].map(li => li.id)"
    )
    return [int(i.removeprefix("comment-")) for i in ids]


def nesting(page: Page, comment_id: int) -> int:
    """How many reply lists the comment's item sits in: its visual indentation level."""
    level: int = page.locator(f"#comment-{comment_id}").evaluate(
        "li => { let n = 0; for (let e = li.parentElement; e; e = e.parentElement)"
        " if (e.matches('ol.cmt-replies')) n++; return n; }"
    )
    return level


def left(page: Page, comment_id: int) -> float:
    box = page.locator(f"#comment-{comment_id} > article").bounding_box()
    assert box is not None
    return float(box["x"])
