"""Stored XSS: hostile markup written straight into the database never runs in the widget.

The server sanitises on the way in; these rows skip that (as a bug, an import or a tampered
database might), so the widget's own rebuild from the allowlist is what is tested here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import update

from comments.extensions import db
from comments.models import Comment
from comments.services.demo import DEMO_SITE
from tests.browser.conftest import LiveServer
from tests.browser.test_widget_support import (
    install_host_pages,
    seed,
    shadow_eval,
    wait_widget,
)
from tests.factories import Api

if TYPE_CHECKING:
    from playwright.sync_api import Page

CORPUS = Path(__file__).resolve().parents[1] / "data" / "xss-corpus.json"
URI = "/xss"
ROOTS = 10
# Payloads that leave a mark instead of a dialog, for script that would run silently.
MARKERS = [
    '<img src=x onerror="window.__xss=1">',
    "<svg><script>window.__xss=1</script></svg><svg onload=window.__xss=1>",
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    "<details open ontoggle=window.__xss=1><summary>x</summary></details>",
    '<a href="javascript:window.__xss=1">click</a><a href=" jav&#x09;ascript:window.__xss=1">2</a>',
    '<form><button formaction="javascript:window.__xss=1">go</button></form>',
    '<noscript><p title="</noscript><img src=x onerror=window.__xss=1>"></noscript>',
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1></style>",
    '<p style="background:url(javascript:window.__xss=1)">styled</p>',
    "<object data=\"javascript:window.__xss=1\"></object><embed src='javascript:window.__xss=1'>",
]
ALLOWED = {"P", "BR", "A", "STRONG", "EM", "B", "I", "CODE", "PRE", "BLOCKQUOTE", "UL", "OL"}
ALLOWED |= {"LI", "DEL", "HR"}

AUDIT = """root => {
  const bad = [];
  for (const el of root.querySelectorAll('*')) {
    for (const a of el.attributes) {
      if (a.name.startsWith('on') || a.name === 'style' || a.name === 'srcdoc') bad.push(a.name);
      const url = /^(href|src|action|formaction|data)$/.test(a.name);
      if (url && /^\\s*(javascript|data|vbscript):/i.test(a.value)) bad.push(a.name);
    }
    const ours = el.matches('form.cmt-form');  // the widget's own comment form
    if (/^(SCRIPT|IFRAME|OBJECT|EMBED|STYLE|FORM|svg|math)$/.test(el.tagName) && !ours)
      bad.push(el.tagName);
  }
  for (const body of root.querySelectorAll('.cmt-body')) {
    for (const el of body.querySelectorAll('*')) {
      if (!arg.includes(el.tagName)) bad.push('tag ' + el.tagName);
      const names = [...el.attributes].map(a => a.name);
      if (names.some(n => !['href', 'title', 'rel'].includes(n))) bad.push('attrs ' + names);
      if (el.tagName === 'A' && el.hasAttribute('href') && !/^(https?|mailto):/.test(el.href))
        bad.push('href ' + el.href);
    }
  }
  return bad;
}"""


def test_hostile_records_render_inert(app: Flask, live_server: LiveServer, page: Page) -> None:
    payloads = [entry["payload"] for entry in json.loads(CORPUS.read_text())] + MARKERS
    live = seed(app, live_server)
    host = install_host_pages(app, live)
    url = host.add("xss", host.widget(site=DEMO_SITE, uri=URI))
    api = Api(app.test_client())
    # A few top-level comments carrying the rest as replies: one page, every payload on it.
    ids: list[int] = []
    for n in range(len(payloads)):
        parent = ids[n % ROOTS] if n >= ROOTS else None
        answer = api.comment(f"placeholder {n}", site=DEMO_SITE, uri=URI, parent_id=parent)
        ids.append(answer["comment"]["id"])
    with app.app_context():
        if db.engine.dialect.name == "postgresql":  # its text columns cannot hold NUL at all
            payloads = [p.replace("\x00", "") for p in payloads]
        for n, (comment_id, payload) in enumerate(zip(ids, payloads, strict=True)):
            values: dict[str, Any] = {"html": payload, "author_name": payload[:64]}
            if n % 3 == 0:
                values["author_url"] = "javascript:window.__xss=1"
            if n % 3 == 1:
                values["author_avatar"] = 'javascript:window.__xss=1" onerror="window.__xss=1'
            db.session.execute(update(Comment).where(Comment.id == comment_id).values(**values))
        db.session.commit()

    page.goto(url)
    wait_widget(page)
    expect(page.locator(".cmt-item")).to_have_count(len(payloads))
    page.wait_for_load_state("networkidle")
    # The author's name is shown as the text it is.
    expect(page.locator(f"#cmt-a{ids[0]}")).to_have_text(payloads[0][:64])
    # Hostile avatar and website addresses are dropped, not followed.
    expect(page.locator(f"#comment-{ids[0]} > article .cmt-au a")).to_have_count(0)
    expect(page.locator(f"#comment-{ids[1]} > article img")).to_have_count(0)

    # A hostile preview answer is rebuilt the same way.
    page.route(
        "**/api/v1/preview",
        lambda route: route.fulfill(
            status=200,
            headers={"Access-Control-Allow-Origin": live.url},
            json={"html": MARKERS[0] + "<b>bold</b>" + MARKERS[6]},
        ),
    )
    page.locator("textarea").first.fill("anything")
    expect(page.locator(".cmt-prev b")).to_have_text("bold")

    assert shadow_eval(page, AUDIT, sorted(ALLOWED)) == []
    assert page.evaluate("window.__xss") is None
