"""The widget on other people's pages: themes, languages, several widgets, hostile CSS, a
strict CSP, the count script, and the screenshots in the docs."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import func, select

from comments.demo_content import ARTICLE_URI, COMMENTS
from comments.extensions import db
from comments.models import Comment, Thread
from comments.services import identity, sites
from comments.services.demo import DEMO_SITE
from tests.browser.conftest import LiveServer
from tests.browser.test_widget_support import (
    article_of,
    collect_errors,
    install_host_pages,
    open_demo,
    seed,
    shadow_eval,
    wait_widget,
    watch_csp,
)
from tests.factories import Api

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

TOTAL = len(COMMENTS)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
HOSTILE_CSS = "* {color:red; font-size:40px} li {list-style: square} button {display:none}"


def root_style(page: Page, prop: str, index: int = 0) -> str:
    value: str = page.evaluate(
        "([i, p]) => getComputedStyle(document.querySelectorAll('#comments, .comments-thread,"
        " [data-comments]')[i].shadowRoot.querySelector('.cmt-root'))[p]",
        [index, prop],
    )
    return value


def luminance(colour: str) -> float:
    """Relative luminance (WCAG 2) of a #rgb or #rrggbb colour."""
    digits = colour.strip().lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def assert_contrast(page: Page) -> None:
    """The theme's colour pairs meet WCAG AA: 4.5:1 for text, 3:1 for control borders."""
    colours: dict[str, str] = page.evaluate(
        "() => { const s = getComputedStyle(document.querySelector('#comments').shadowRoot"
        ".querySelector('.cmt-root')); return Object.fromEntries(['t', 'bg', 'a', 'on', 'm', 'b',"
        " 'e', 'hl'].map(k => [k, s.getPropertyValue('--_' + k).trim()])); }"
    )
    pairs = [("t", "bg"), ("m", "bg"), ("a", "bg"), ("e", "bg"), ("on", "a"), ("t", "hl")]
    pairs += [("m", "hl"), ("a", "hl")]
    low = {f"{x}/{y}": contrast(colours[x], colours[y]) for x, y in pairs}
    assert {k: v for k, v in low.items() if v < 4.5} == {}
    assert contrast(colours["b"], colours["bg"]) >= 3


def test_strict_host_csp_hostile_css_and_no_leaks(
    app: Flask, live_server: LiveServer, page: Page
) -> None:
    live = seed(app, live_server)
    host = install_host_pages(app, live)
    host.pages["hostile.css"] = (HOSTILE_CSS, "")
    url = host.add(
        "hostile",
        '<button id="host-button" class="cmt-pri">host</button>'
        '<ol><li id="host-item" class="cmt-item">host item</li></ol>'
        '<p id="host-text" class="cmt-body cmt-root">host text</p>'
        + host.widget(site=DEMO_SITE, uri=ARTICLE_URI),
        head='<link rel="stylesheet" href="/test-host/hostile.css">',
    )
    errors = collect_errors(page)
    violations = watch_csp(page)
    page.goto(url)
    wait_widget(page)
    expect(page.locator("#comments .cmt-item")).to_have_count(TOTAL)

    # The host's rules reach none of the widget's elements...
    form = page.locator("form.cmt-form").first
    send = form.get_by_role("button", name="Post comment")
    expect(send).to_be_visible()
    item_style = page.locator("#comments .cmt-item").first.evaluate(
        "e => [getComputedStyle(e).listStyleType, getComputedStyle(e.querySelector('.cmt-body'))"
        ".color]"
    )
    assert item_style[0] == "none"
    assert item_style[1] != "rgb(255, 0, 0)"
    # ...and the widget's reach none of the host's, even with the same class names.
    expect(page.locator("#host-button")).to_be_hidden()
    host_item = page.locator("#host-item").evaluate("e => getComputedStyle(e).listStyleType")
    assert host_item == "square"
    host_text = page.locator("#host-text").evaluate(
        "e => [getComputedStyle(e).color, getComputedStyle(e).paddingTop]"
    )
    assert host_text == ["rgb(255, 0, 0)", "0px"]

    # Everything works under the host's CSP, with nothing inline: post, preview, vote, report.
    form.locator("textarea").fill("Under a **strict** policy")
    expect(form.locator(".cmt-prev strong")).to_have_text("strict")
    form.get_by_label("Name", exact=True).fill("Strict")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/comments")) as answer:
        send.click()
    new_id = answer.value.json()["comment"]["id"]
    expect(article_of(page, new_id)).to_be_focused()
    first = page.locator("#comments .cmt-item > article").first
    first.get_by_role("button", name=re.compile("^Like")).click()
    expect(first.get_by_role("button", name=re.compile("^Like"))).to_have_attribute(
        "aria-pressed", "true"
    )
    first.get_by_role("button", name="Report").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    page.wait_for_load_state("networkidle")
    assert shadow_eval(page, "root => root.querySelectorAll('[style], style').length") == 0
    assert violations() == []
    assert errors == []


def test_several_widgets_on_one_page(app: Flask, live_server: LiveServer, page: Page) -> None:
    live = seed(app, live_server)
    host = install_host_pages(app, live)
    url = host.add(
        "several",
        f'<div class="comments-thread" data-site="{DEMO_SITE}" data-uri="{ARTICLE_URI}"></div>'
        f'<section data-comments data-site="{DEMO_SITE}" data-uri="/letters"></section>'
        + host.script(),
    )
    page.goto(url)
    wait_widget(page, 2)
    first = page.locator(".comments-thread")
    second = page.locator("[data-comments]")
    expect(first.locator(".cmt-item")).to_have_count(TOTAL)
    expect(second.locator(".cmt-title")).to_have_text("0 comments")
    second.locator("textarea").fill("A letter to the editor")
    second.get_by_label("Name", exact=True).fill("Reader")
    second.get_by_role("button", name="Post comment").click()
    expect(second.locator(".cmt-item")).to_have_count(1)
    expect(second.locator(".cmt-title")).to_have_text("1 comment")
    expect(first.locator(".cmt-item")).to_have_count(TOTAL)
    with app.app_context():
        counts = dict(
            db.session.execute(
                select(Thread.key, func.count(Comment.id)).join(Comment).group_by(Thread.key)
            ).all()
        )
    assert counts["/letters"] == 1


def test_dark_theme_and_screenshots(app: Flask, live_server: LiveServer, browser: Browser) -> None:
    live = seed(app, live_server)
    host = install_host_pages(app, live)
    widget = host.widget  # the same embed, three themes
    pages = {
        theme: host.add(theme, widget(site=DEMO_SITE, uri=ARTICLE_URI, theme=theme))
        for theme in ("light", "dark", "auto")
    }
    context = browser.new_context(viewport={"width": 720, "height": 900})
    try:
        page = context.new_page()
        backgrounds = {}
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for theme in ("light", "dark"):
            page.goto(pages[theme])
            wait_widget(page)
            page.wait_for_load_state("networkidle")
            backgrounds[theme] = (root_style(page, "backgroundColor"), root_style(page, "color"))
            assert_contrast(page)
            shot = SCREENSHOTS / f"widget-{theme}.png"
            # The docs' screenshots are rewritten only when asked for, or when missing.
            if os.environ.get("COMMENTS_UPDATE_SCREENSHOTS") == "1" or not shot.exists():
                page.screenshot(path=str(shot))
            else:
                assert page.screenshot()[:8] == b"\x89PNG\r\n\x1a\n"
        assert backgrounds["light"][0] == "rgb(255, 255, 255)"
        assert backgrounds["dark"][0] != backgrounds["light"][0]
        assert backgrounds["dark"][1] != backgrounds["light"][1]
        # auto follows the reader's system setting.
        page.emulate_media(color_scheme="dark")
        page.goto(pages["auto"])
        wait_widget(page)
        assert root_style(page, "backgroundColor") == backgrounds["dark"][0]
        page.emulate_media(color_scheme="light")
        assert root_style(page, "backgroundColor") == backgrounds["light"][0]
    finally:
        context.close()
    for theme in ("light", "dark"):
        png = (SCREENSHOTS / f"widget-{theme}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")) == (720, 900)


def test_languages(app: Flask, live_server: LiveServer, page: Page) -> None:
    live = seed(app, live_server)
    host = install_host_pages(app, live)
    german = host.add("de", host.widget(site=DEMO_SITE, uri=ARTICLE_URI), lang="de")
    arabic = host.add("ar", host.widget(site=DEMO_SITE, uri=ARTICLE_URI, lang="ar"))
    page.goto(german)  # from the page's <html lang>
    wait_widget(page)
    expect(page.locator(".cmt-title")).to_have_text(f"{TOTAL} Kommentare")
    expect(page.get_by_role("button", name="Antworten").first).to_be_visible()
    expect(page.get_by_label("Sortieren nach")).to_be_visible()
    expect(page.locator(".cmt-root")).to_have_attribute("dir", "ltr")

    page.goto(arabic)  # from data-lang
    wait_widget(page)
    root = page.locator(".cmt-root")
    expect(root).to_have_attribute("dir", "rtl")
    expect(root).to_have_attribute("lang", "ar")
    expect(page.locator(".cmt-title")).to_have_text(f"{TOTAL} تعليقًا")
    expect(page.get_by_role("button", name="رد").first).to_be_visible()
    # Logical properties: replies are indented from the right.
    sides = page.locator(".cmt-replies").first.evaluate(
        "e => [getComputedStyle(e).borderRightWidth, getComputedStyle(e).borderLeftWidth]"
    )
    assert sides == ["2px", "0px"]
    parent = page.locator(".cmt-list[aria-label] > li > article").first.bounding_box()
    reply = page.locator(".cmt-replies > li > article").first.bounding_box()
    assert parent and reply
    assert reply["x"] + reply["width"] < parent["x"] + parent["width"]
    assert reply["x"] == parent["x"]


def test_count_script_batches_one_request_per_hundred_uris(
    app: Flask, live_server: LiveServer, page: Page
) -> None:
    live = seed(app, live_server)
    host = install_host_pages(app, live)
    Api(app.test_client()).comment("First!", site=DEMO_SITE, uri="/story-1")
    items = "".join(
        f'<li><a href="/story-{n}">Story {n}</a> <span data-comments-count="/story-{n}">'
        "…</span></li>"
        for n in range(150)
    )
    url = host.add(
        "listing",
        f'<ul>{items}</ul><p><span id="main" data-comments-count="{ARTICLE_URI}">…</span>'
        f'<span id="again" data-comments-count="{ARTICLE_URI}" lang="de">…</span></p>'
        + host.script("count.js", f'data-site="{DEMO_SITE}"'),
    )
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/api/v1/counts" in r.url else None)
    page.goto(url)
    expect(page.locator("#main")).to_have_text(f"{TOTAL} comments")
    expect(page.locator("#again")).to_have_text(f"{TOTAL} Kommentare")
    expect(page.locator("[data-comments-count='/story-1']")).to_have_text("1 comment")
    expect(page.locator("[data-comments-count='/story-0']")).to_have_text("0 comments")
    expect(page.locator("[data-comments-count='/story-149']")).to_have_text("0 comments")
    page.wait_for_load_state("networkidle")
    assert len(requests) == 2  # 151 distinct uris
    assert all(r.count("uri=") <= 100 for r in requests)

    # The demo article's own "related" list uses it too, from the widget's origin.
    open_demo(page, live)
    expect(page.locator(f"[data-comments-count='{ARTICLE_URI}']")).to_have_text(f"{TOTAL} comments")


def test_single_sign_on(app: Flask, live_server: LiveServer, page: Page) -> None:
    live = seed(app, live_server)
    host = install_host_pages(app, live)
    with app.app_context():
        secret = sites.get_site(DEMO_SITE).sso_secret
    user = {"id": "reader-7", "name": "Ada Lovelace", "email": "ada@example.com"}
    fresh = identity.sign_sso({**user, "exp": int(time.time()) + 3600}, secret)
    stale = identity.sign_sso({**user, "exp": int(time.time()) - 60}, secret)
    forged = identity.sign_sso({**user, "name": "Admin", "exp": int(time.time()) + 3600}, "guess")
    signed_in = host.add("sso", host.widget(site=DEMO_SITE, uri="/members", sso=fresh))
    expired = host.add("sso-expired", host.widget(site=DEMO_SITE, uri="/members", sso=stale))
    tampered = host.add("sso-forged", host.widget(site=DEMO_SITE, uri="/members", sso=forged))

    with page.expect_request(lambda r: "/api/v1/threads?" in r.url) as thread_request:
        page.goto(signed_in)
    assert thread_request.value.headers.get("x-comments-sso") == fresh
    wait_widget(page)
    form = page.locator("form.cmt-form")
    expect(form.locator(".cmt-as")).to_have_text("Signed in as Ada Lovelace")
    expect(form.get_by_label("Name", exact=True)).to_have_count(0)
    expect(form.get_by_label("Email (optional, never shown)")).to_have_count(0)
    form.locator("textarea").fill("Posted while signed in")
    with page.expect_request(lambda r: r.method == "POST") as sent:
        form.get_by_role("button", name="Post comment").click()
    assert sent.value.headers.get("x-comments-sso") == fresh
    new = page.locator(".cmt-item > article").first
    expect(new.locator(".cmt-au")).to_have_text("Ada Lovelace")
    expect(new.locator(".cmt-ok")).to_have_text("✓ verified")

    page.goto(expired)
    wait_widget(page)
    form.locator("textarea").fill("Posted with a stale token")
    form.get_by_role("button", name="Post comment").click()
    message = "The sign-in token has expired; reload the page."
    expect(form.locator("p.cmt-err")).to_have_text(message)
    expect(page.locator(".cmt-status")).to_have_text(message)
    expect(page.locator(".cmt-item")).to_have_count(1)

    page.goto(tampered)
    wait_widget(page)
    form.locator("textarea").fill("Posted with a forged token")
    form.get_by_role("button", name="Post comment").click()
    forged_message = "The sign-in token's signature does not match."
    expect(form.locator("p.cmt-err")).to_have_text(forged_message)
    expect(page.locator(".cmt-item")).to_have_count(1)
