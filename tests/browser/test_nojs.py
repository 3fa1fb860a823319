"""The embeddable thread in real Chromium: without JavaScript, and framed by another origin."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from flask import Flask, Response, request
from sqlalchemy import select

from comments.extensions import db
from comments.models import Comment, CommentStatus
from comments.services import comments as comment_service
from comments.services import sites
from comments.services.comments import Limits, NewComment
from tests.browser.conftest import LiveServer
from tests.factories import make_site

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Frame, Page

SITE = "news"
URI = "/2026/11/story"
HOST_PATH = "/test-host"


def seed(app: Flask, count: int) -> list[int]:
    """``count`` top-level comments, the odd ones with a reply, straight through the service."""
    ids = []
    with app.app_context():
        for n in range(count):
            comment, _ = comment_service.post_comment(
                NewComment(SITE, URI, f"Comment number {n}, long enough to wrap a line or two.",
                           author_name=f"Reader {n}"),
                author_key=f"ip:seed{n}",
                address_hash=f"seed{n}",
                limits=Limits(),
            )  # fmt: skip
            ids.append(comment.id)
            if n % 2:
                comment_service.post_comment(
                    NewComment(SITE, URI, f"A reply to number {n}", parent_id=comment.id),
                    author_key=f"ip:reply{n}",
                    address_hash=f"reply{n}",
                    limits=Limits(),
                )
    return ids


@pytest.fixture
def site(app: Flask) -> None:
    make_site(app, SITE)
    with app.app_context():
        # A person types slower than Playwright: the minimum-seconds rule would call it spam.
        sites.update_policy(SITE, {"min_seconds": 0})


@pytest.fixture
def nojs_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1000, "height": 900}
    )
    yield context.new_page()
    context.close()


def test_read_and_post_with_javascript_off(
    app: Flask, site: None, live_server: LiveServer, nojs_page: Page
) -> None:
    seed(app, 2)
    page = nojs_page
    page.goto(f"{live_server.url}/embed/{SITE}/thread?uri={URI}")
    assert page.locator("#cm-title").inner_text() == "3 comments"
    assert page.locator("li.cm-item").count() == 3
    assert page.locator("details.cm-reply[open]").count() == 0
    # thread.css loaded under the CSP: the honeypot is off screen.
    honeypot = page.locator("#cm-new-hp").bounding_box()
    assert honeypot is not None and honeypot["x"] + honeypot["width"] < 0

    page.fill("#cm-new-author_name", "Nadia")
    page.fill("#cm-new-body", "Posted *without* JavaScript")
    page.get_by_role("button", name="Post comment").click()
    page.wait_for_url(re.compile(r"#comment-\d+$"))
    new_id = int(page.url.rsplit("#comment-", 1)[1])
    posted = page.locator(f"#comment-{new_id}")
    assert posted.locator("[itemprop=text]").inner_text() == "Posted without JavaScript"
    assert posted.locator("[itemprop=author] [itemprop=name]").inner_text() == "Nadia"
    assert page.locator("#cm-title").inner_text() == "4 comments"

    # Reply: <details> opens without script, the form posts, the redirect shows the reply.
    reply_form = posted.locator(":scope > details.cm-reply")
    assert not reply_form.locator("textarea").is_visible()
    reply_form.locator("summary").click()
    page.fill(f"#cm-r{new_id}-body", "And a reply, also without script")
    reply_form.get_by_role("button", name="Post reply").click()
    page.wait_for_url(re.compile(r"#comment-\d+$"))
    reply_id = int(page.url.rsplit("#comment-", 1)[1])
    assert reply_id != new_id
    reply = page.locator(f"#comment-{new_id} > ol.cm-replies > #comment-{reply_id}")
    assert reply.locator("[itemprop=text]").inner_text() == "And a reply, also without script"

    with app.app_context():
        rows = db.session.execute(
            select(Comment.id, Comment.parent_id, Comment.status).where(
                Comment.id.in_([new_id, reply_id])
            )
        ).all()
    assert sorted(rows) == [
        (new_id, None, CommentStatus.APPROVED),
        (reply_id, new_id, CommentStatus.APPROVED),
    ]


def test_a_refused_post_keeps_the_text_without_javascript(
    app: Flask, site: None, live_server: LiveServer, nojs_page: Page
) -> None:
    page = nojs_page
    page.goto(f"{live_server.url}/embed/{SITE}/thread?uri={URI}")
    page.fill("#cm-new-body", "Words worth keeping")
    page.fill("#cm-new-author_url", "ftp://files.example")
    page.get_by_role("button", name="Post comment").click()
    page.wait_for_load_state()
    assert page.locator("#cm-new-problem").inner_text() == (
        "Only http and https web addresses are accepted."
    )
    assert page.locator("#cm-new-body").input_value() == "Words worth keeping"
    page.fill("#cm-new-author_url", "https://files.example")
    page.get_by_role("button", name="Post comment").click()
    page.wait_for_url(re.compile(r"#comment-\d+$"))
    assert page.locator("li.cm-item [itemprop=text]").all_inner_texts() == ["Words worth keeping"]


# --- The iframe mode --------------------------------------------------------------------------


@pytest.fixture
def host_page(app: Flask) -> str:
    """A page of "another site" (the localhost origin) that frames the thread twice.

    The first iframe names an origin the site does not allow, the second its real origin.
    Registered before the live server starts: Flask takes no routes after the first request.
    """

    def host() -> Response:
        port = request.host.rsplit(":", 1)[1]
        comments = f"http://127.0.0.1:{port}"
        here = f"http://localhost:{port}"
        src = f"{comments}/embed/{SITE}/thread?uri={URI}&frame=1&origin="
        html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Host article</title></head>
<body><h1>An article on another site</h1>
<iframe id="stranger" data-comments-frame src="{src}https://evil.example" title="Comments elsewhere" loading="lazy"></iframe>
<iframe id="ours" data-comments-frame src="{src}{here}" title="Comments" loading="lazy"></iframe>
<script src="{comments}/static/frame-host.js" async></script>
</body></html>"""  # noqa: E501
        response = Response(html, mimetype="text/html")
        # What a host with a CSP of its own allows: our script and our frames, nothing inline.
        response.headers["Content-Security-Policy"] = (
            f"default-src 'self'; script-src {comments}; frame-src {comments}; style-src 'self'"
        )
        return response

    app.add_url_rule(HOST_PATH, "test_host", host)
    return HOST_PATH


def frame_of(page: Page, element_id: str) -> Frame:
    handle = page.query_selector(f"#{element_id}")
    assert handle is not None
    frame = handle.content_frame()
    assert frame is not None
    return frame


# The content box, which frame-host.js sizes (the border comes on top).
HEIGHT = "id => document.getElementById(id).clientHeight"

FAKE_MESSAGES = """async ({ frameOrigin }) => {
  const frame = document.getElementById("ours");
  const fake = (height) => ({ type: "comments:height", height });
  // From the host page itself: wrong origin and wrong source.
  window.postMessage(fake(77), "*");
  // Synthetic events: the right origin from the wrong window, the right window from the
  // wrong origin.
  window.dispatchEvent(new MessageEvent("message",
    { data: fake(88), origin: frameOrigin, source: window }));
  window.dispatchEvent(new MessageEvent("message",
    { data: fake(99), origin: location.origin, source: frame.contentWindow }));
  // Messages arrive in order: once this marker is in, the fake one has been handled.
  await new Promise((resolve) => {
    window.addEventListener("message", function done(event) {
      if (event.data === "marker") { window.removeEventListener("message", done); resolve(); }
    });
    window.postMessage("marker", "*");
  });
  return frame.clientHeight;
}"""


def test_the_iframe_grows_to_fit_and_ignores_strangers(
    app: Flask, site: None, host_page: str, live_server: LiveServer, page: Page
) -> None:
    seed(app, 24)
    with app.app_context():
        sites.edit_site(SITE, origins=[live_server.other_origin])

    page.goto(live_server.other_origin + host_page)
    page.wait_for_function(
        "() => document.getElementById('ours').clientHeight > 600", timeout=10_000
    )

    ours = page.frame_locator("#ours")
    assert ours.locator("li.cm-item").count() == 36
    assert ours.locator(".cm-site").count() == 0  # chromeless
    inner = frame_of(page, "ours").evaluate(
        "document.querySelector('.cm-page').getBoundingClientRect().height"
    )
    height = page.evaluate(HEIGHT, "ours")
    assert abs(height - inner) <= 1, (height, inner)

    # The frame that named an origin the site does not allow never reports its height.
    stranger = page.frame_locator("#stranger")
    assert stranger.locator("li.cm-item").count() == 36
    assert frame_of(page, "stranger").evaluate("document.body.dataset.origin") is None
    page.wait_for_timeout(300)
    assert page.evaluate(HEIGHT, "stranger") == 150  # the default iframe height

    # Messages that do not come from our iframe's window and origin change nothing.
    after = page.evaluate(FAKE_MESSAGES, {"frameOrigin": live_server.url})
    assert after == height
    # Control: the same message with the right origin and window is obeyed.
    page.evaluate(
        """({ frameOrigin }) => window.dispatchEvent(new MessageEvent("message", {
             data: { type: "comments:height", height: 1234 }, origin: frameOrigin,
             source: document.getElementById("ours").contentWindow }))""",
        {"frameOrigin": live_server.url},
    )
    assert page.evaluate(HEIGHT, "ours") == 1234
