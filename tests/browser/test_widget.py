"""The reader widget on the demo article, in Chromium: reading, writing, voting, reporting."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from comments.demo_content import ARTICLE_URI, COMMENTS
from comments.extensions import db
from comments.models import Comment, CommentStatus, Report, Thread
from comments.services import sites
from comments.services.demo import DEMO_SITE
from tests.browser.conftest import LiveServer
from tests.browser.test_widget_support import (
    article_of,
    collect_errors,
    demo_comments,
    display_order,
    dom_ids,
    left,
    nesting,
    open_demo,
    seed,
    shadow_eval,
    use_settings,
    watch_csp,
)

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page, Request

TOTAL = len(COMMENTS)
ROOTS = "ol.cmt-list[aria-label=Comments] > li"


def top_form(page: Page) -> Locator:
    return page.locator("form.cmt-form").first


def is_post(request: Request) -> bool:
    return request.method == "POST" and request.url.endswith("/api/v1/comments")


def post(page: Page, form: Locator, body: str, **labels: str) -> dict[str, Any]:
    """Fill and send a comment form; returns the API's answer."""
    form.locator("textarea").first.fill(body)
    for label, value in labels.items():
        form.get_by_label(label, exact=True).fill(value)
    with page.expect_response(lambda r: is_post(r.request)) as answer:
        form.locator("button[type=submit]").click()
    data: dict[str, Any] = answer.value.json()
    return data


def test_demo_page_shows_the_thread_from_another_origin(
    app: Flask, live_server: LiveServer, page: Page
) -> None:
    live = seed(app, live_server)
    errors = collect_errors(page)
    violations = watch_csp(page)
    with page.expect_request(lambda r: "/api/v1/threads?" in r.url) as thread_request:
        open_demo(page, live)

    # Loaded from the other origin, as a third-party site loads it; CORS let it read.
    script = page.locator("script[src$='/static/embed.js']")
    assert script.get_attribute("src") == live.other_origin + "/static/embed.js"
    assert thread_request.value.url.startswith(live.other_origin + "/api/v1/threads?")
    expect(page.locator(".cmt-item")).to_have_count(TOTAL)
    expect(page.locator(".cmt-title")).to_have_text(f"{TOTAL} comments")
    rows = demo_comments(app)
    assert dom_ids(page) == display_order(rows)
    first = rows[0]
    expect(article_of(page, first.id)).to_contain_text(first.author_name)
    expect(article_of(page, first.id).locator("time")).to_have_attribute(
        "datetime", re.compile(r"^\d{4}-\d\d-\d\dT")
    )
    expect(article_of(page, first.id).locator("time")).to_have_text(re.compile(r"ago|last"))

    # Nesting is announced: levels on items, a label on every article and control.
    for row in rows:
        expect(page.locator(f"#comment-{row.id}")).to_have_attribute(
            "aria-level", str(row.depth + 1)
        )
    problems = shadow_eval(
        page,
        """root => {
          const bad = [];
          for (const a of root.querySelectorAll('article')) {
            const label = root.getElementById(a.getAttribute('aria-labelledby'));
            if (!label || !label.textContent.trim()) bad.push('article ' + a.parentElement.id);
          }
          for (const c of root.querySelectorAll('input, textarea, select'))
            if (!c.labels.length) bad.push('unlabelled ' + c.name);
          for (const b of root.querySelectorAll('button'))
            if (!b.textContent.trim()) bad.push('empty button');
          if (root.querySelectorAll('[style], style').length) bad.push('inline style');
          return bad;
        }""",
    )
    assert problems == []
    assert page.context.cookies() == []
    assert errors == []
    assert violations() == []


def test_post_edit_and_delete_own_comment(app: Flask, live_server: LiveServer, page: Page) -> None:
    live = seed(app, live_server)
    open_demo(page, live)
    form = top_form(page)
    form.get_by_label("Remember me on this device").check()
    with page.expect_request(is_post) as sent:
        answer = post(
            page,
            form,
            "Hello from *Chromium*",
            Name="Tess",
            **{"Website (optional)": "tess.example"},
        )
    payload = sent.value.post_data_json
    assert payload is not None
    assert payload["hp"] == ""
    assert isinstance(payload["seconds_on_page"], int)
    assert payload["seconds_on_page"] >= 0
    assert payload["site"] == DEMO_SITE
    assert payload["uri"] == ARTICLE_URI
    assert answer["status"] == "approved"
    new_id = answer["comment"]["id"]

    new = article_of(page, new_id)
    expect(new).to_be_focused()
    expect(new.locator(".cmt-body em")).to_have_text("Chromium")
    expect(new.get_by_role("link", name="Tess")).to_have_attribute("href", "https://tess.example/")
    expect(page.locator(".cmt-title")).to_have_text(f"{TOTAL + 1} comments")
    expect(form.locator("textarea")).to_have_value("")
    stored = page.evaluate("JSON.parse(localStorage['cmt-t'])")
    assert stored[str(new_id)]["t"] == answer["edit_token"]
    assert page.context.cookies() == []

    # Own comments cannot be voted on: the server says no, and the reader is told.
    new.get_by_role("button", name=re.compile("^Like")).click()
    expect(new.locator(".cmt-msg")).not_to_be_empty()

    # After a reload the name is remembered and the comment can still be edited.
    page.reload()
    open_demo(page, live)
    expect(top_form(page).get_by_label("Name", exact=True)).to_have_value("Tess")
    new = article_of(page, new_id)
    edit = new.get_by_role("button", name="Edit")
    edit.click()
    editor = new.get_by_label("Edit your comment")
    expect(editor).to_be_focused()
    expect(editor).to_have_value("Hello from *Chromium*")
    editor.press("Escape")
    expect(editor).to_have_count(0)
    expect(edit).to_be_focused()
    edit.click()
    new.get_by_label("Edit your comment").fill("Changed **text**")
    with page.expect_response(lambda r: r.request.method == "PATCH"):
        new.get_by_role("button", name="Save").click()
    expect(new.locator(".cmt-body strong")).to_have_text("text")
    expect(new.locator(".cmt-ed")).to_have_text("edited")

    new.get_by_role("button", name="Delete").click()
    expect(new).to_contain_text("Delete this comment?")
    with page.expect_response(lambda r: r.request.method == "DELETE") as deleted:
        new.locator(".cmt-cf").get_by_role("button", name="Delete").click()
    assert deleted.value.status == 204
    expect(page.locator(f"#comment-{new_id}")).to_have_count(0)
    expect(page.locator(".cmt-title")).to_have_text(f"{TOTAL} comments")
    with app.app_context():
        row = db.session.get(Comment, new_id)
        assert row is not None
        assert row.status is CommentStatus.DELETED


def test_keyboard_order_preview_and_help(app: Flask, live_server: LiveServer, page: Page) -> None:
    live = seed(app, live_server)
    open_demo(page, live)
    form = top_form(page)
    body = form.get_by_label("Your comment")
    body.focus()
    names = []
    for _ in range(6):
        page.keyboard.press("Tab")
        names.append(
            shadow_eval(
                page,
                "root => { const e = root.activeElement;"
                " return (e.labels && e.labels[0] ? e.labels[0].textContent : e.textContent); }",
            )
        )
    # The honeypot is skipped: it is for bots only (hidden from sight and from assistive tech).
    assert names == [
        "Formatting help",
        "Name",
        "Email (optional, never shown)",
        "Website (optional)",
        "Remember me on this device",
        "Post comment",
    ]
    trap = form.locator(".cmt-hp")
    expect(trap).to_have_attribute("aria-hidden", "true")
    expect(trap.locator("input")).to_have_attribute("tabindex", "-1")
    expect(trap.locator("label")).to_have_text("Leave this field empty")

    help_button = form.get_by_role("button", name="Formatting help")
    expect(help_button).to_have_attribute("aria-expanded", "false")
    help_button.click()
    expect(help_button).to_have_attribute("aria-expanded", "true")
    expect(form.locator(".cmt-help")).to_contain_text("**bold**")

    body.fill("Some **strong** words")
    expect(form.locator(".cmt-prev strong")).to_have_text("strong")

    # Ctrl+Enter sends from the text area.
    with page.expect_response(lambda r: is_post(r.request)) as answer:
        body.press("Control+Enter")
    new_id = answer.value.json()["comment"]["id"]
    expect(article_of(page, new_id)).to_be_focused()
    expect(form.locator(".cmt-prev")).to_be_hidden()


def test_deep_replies_are_flat_and_say_whom_they_answer(
    app: Flask, live_server: LiveServer, page: Page
) -> None:
    live = seed(app, live_server)
    rows = {row.id: row for row in demo_comments(app)}
    deepest = max(rows.values(), key=lambda r: r.depth)
    assert deepest.depth == 6
    parent = rows[deepest.parent_id or 0]
    open_demo(page, live)

    assert nesting(page, parent.id) == 5
    assert nesting(page, deepest.id) == 5  # capped: listed flat below its parent
    assert left(page, deepest.id) == left(page, parent.id)
    replying = article_of(page, deepest.id).locator(".cmt-to")
    expect(replying).to_be_visible()
    expect(replying).to_have_text(f"replying to @{parent.author_name}")
    expect(replying).to_have_attribute("href", f"#comment-{parent.id}")
    # Shallower replies are indented instead (their "replying to" is for narrow screens).
    third = next(r for r in rows.values() if r.depth == 3)
    expect(article_of(page, third.id).locator(".cmt-to")).to_be_hidden()
    assert left(page, third.id) > left(page, rows[third.parent_id or 0].id)

    # Reply inline below the deepest comment; Escape first cancels a form.
    target = article_of(page, deepest.id)
    reply = target.get_by_role("button", name="Reply")
    reply.click()
    box = page.get_by_label(f"Reply to {deepest.author_name}")
    expect(box).to_be_focused()
    box.press("Escape")
    expect(box).to_have_count(0)
    expect(reply).to_be_focused()
    reply.click()
    form = page.locator(f"#comment-{deepest.id} form.cmt-form")
    answer = post(page, form, "Seventh level", Name="Deep Diver")
    new_id = answer["comment"]["id"]
    assert answer["comment"]["depth"] == 7
    expect(form).to_have_count(0)
    expect(article_of(page, new_id)).to_be_focused()
    assert nesting(page, new_id) == 5
    assert left(page, new_id) == left(page, deepest.id)
    expect(article_of(page, new_id).locator(".cmt-to")).to_have_text(
        f"replying to @{deepest.author_name}"
    )
    ids = dom_ids(page)
    assert ids.index(new_id) == ids.index(deepest.id) + 1
    expect(page.locator(f"#comment-{new_id}")).to_have_attribute("aria-level", "8")

    # Narrow screens indent two levels only and say whom every deeper reply answers.
    page.set_viewport_size({"width": 420, "height": 900})
    grand = rows[third.parent_id or 0]
    expect(article_of(page, third.id).locator(".cmt-to")).to_be_visible()
    assert left(page, third.id) == left(page, grand.id)
    assert left(page, grand.id) > left(page, rows[grand.parent_id or 0].id)


def test_votes_and_reports(app: Flask, live_server: LiveServer, page: Page) -> None:
    live = seed(app, live_server)
    first = demo_comments(app)[0]
    open_demo(page, live)
    target = article_of(page, first.id)
    like = target.get_by_role("button", name=re.compile("^Like"))
    dislike = target.get_by_role("button", name=re.compile("^Dislike"))
    expect(like).to_have_text(f"▲Like {first.likes}")
    expect(like).to_have_attribute("aria-pressed", "false")
    like.click()
    expect(like).to_have_text(f"▲Like {first.likes + 1}")
    expect(like).to_have_attribute("aria-pressed", "true")
    dislike.click()  # a change of mind: the like goes, the dislike counts
    expect(dislike).to_have_text(f"▼Dislike {first.dislikes + 1}")
    expect(like).to_have_text(f"▲Like {first.likes}")
    expect(like).to_have_attribute("aria-pressed", "false")
    expect(dislike).to_have_attribute("aria-pressed", "true")
    page.reload()
    open_demo(page, live)
    expect(dislike).to_have_attribute("aria-pressed", "true")
    dislike.click()
    expect(dislike).to_have_attribute("aria-pressed", "false")
    expect(dislike).to_have_text(f"▼Dislike {first.dislikes}")

    report = target.get_by_role("button", name="Report")
    report.click()
    dialog = page.get_by_role("dialog", name="Report this comment")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Spam")).to_be_checked()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(report).to_be_focused()
    report.click()
    dialog.get_by_label("Off topic").check()
    dialog.get_by_label("Note (optional)").fill("Not about Kursk")
    with page.expect_response(lambda r: r.url.endswith("/reports")) as sent:
        dialog.get_by_role("button", name="Send report").click()
    assert sent.value.status == 202
    expect(dialog).to_be_hidden()
    expect(target.locator(".cmt-msg")).to_have_text("Thank you. A moderator will look at it.")
    with app.app_context():
        stored = db.session.execute(
            select(Report).where(Report.comment_id == first.id, Report.note == "Not about Kursk")
        ).scalar_one()
        assert stored.reason.value == "off_topic"
    report.click()
    dialog.get_by_role("button", name="Send report").click()
    expect(dialog.locator(".cmt-err")).to_have_text("You have already reported this comment.")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()


def test_sort_orders(app: Flask, live_server: LiveServer, page: Page) -> None:
    live = seed(app, live_server)
    roots = [r for r in demo_comments(app) if r.parent_id is None]
    open_demo(page, live)
    expect(page.locator(ROOTS).first).to_have_id(f"comment-{roots[0].id}")
    sort = page.get_by_label("Sort by")
    sort.select_option("newest")
    expect(page.locator(ROOTS).first).to_have_id(f"comment-{roots[-1].id}")
    expect(page.locator(ROOTS)).to_have_count(len(roots))
    sort.select_option("top")
    best = sorted(roots, key=lambda r: (-r.score, r.id))
    expect(page.locator(ROOTS).first).to_have_id(f"comment-{best[0].id}")
    expect(page.locator(ROOTS).last).to_have_id(f"comment-{best[-1].id}")
    expect(page.locator(".cmt-item")).to_have_count(TOTAL)


def test_load_more_pages_and_held_back_replies(
    app: Flask, live_server: LiveServer, page: Page
) -> None:
    use_settings(app, PAGE_SIZE=5, REPLIES_PER_PAGE=2)
    live = seed(app, live_server)
    rows = demo_comments(app)
    roots = [r for r in rows if r.parent_id is None]
    open_demo(page, live)
    expect(page.locator(ROOTS)).to_have_count(5)
    more = page.get_by_role("button", name="Load more comments")
    more.click()
    expect(page.locator(ROOTS)).to_have_count(10)
    more.click()
    expect(page.locator(ROOTS)).to_have_count(len(roots))
    expect(more).to_be_hidden()

    replies = page.get_by_role("button", name="Show more replies")
    assert replies.count() > 0
    items = page.locator(".cmt-item")
    for _ in range(TOTAL):
        if not replies.count():
            break
        shown = items.count()
        replies.first.click()
        # Wait for the replies to be drawn (the button goes in the same render), so the
        # next count sees the page as it is, not a button about to be replaced.
        expect(items).not_to_have_count(shown)
    expect(items).to_have_count(TOTAL)
    assert dom_ids(page) == display_order(rows)


def test_permalinks_load_scroll_and_highlight(
    app: Flask, live_server: LiveServer, page: Page
) -> None:
    use_settings(app, PAGE_SIZE=5, REPLIES_PER_PAGE=2)
    live = seed(app, live_server)
    rows = demo_comments(app)
    roots = [r for r in rows if r.parent_id is None]
    last = roots[-1]  # on the third page

    page.goto(f"{live.url}/#comment-{last.id}")
    target = article_of(page, last.id)
    expect(target).to_have_class(re.compile(r"\bcmt-hl\b"))
    expect(target).to_be_in_viewport()
    expect(target).to_be_focused()
    expect(page.locator(ROOTS)).to_have_count(len(roots))

    # A reply held back behind a replies cursor is fetched on its own.
    root_of: dict[int, int] = {}
    for row in rows:  # ids grow down the tree, so a parent's root is known first
        root_of[row.id] = root_of[row.parent_id] if row.parent_id else row.id
    order = display_order(rows)
    anchor = next(r for r in roots if sum(root_of[i] == r.id for i in order) > 3)
    hidden = next(r for r in rows if r.id == [i for i in order if root_of[i] == anchor.id][-1])
    page.goto(f"{live.url}/#comment-{hidden.id}")
    target = article_of(page, hidden.id)
    expect(target).to_have_class(re.compile(r"\bcmt-hl\b"))
    expect(target).to_be_in_viewport()
    expect(target).to_contain_text(hidden.author_name)

    # Following a comment's own permalink moves the highlight there.
    other = article_of(page, roots[1].id)
    other.locator(".cmt-pl").click()
    expect(other).to_have_class(re.compile(r"\bcmt-hl\b"))
    expect(target).not_to_have_class(re.compile(r"\bcmt-hl\b"))
    assert page.evaluate("location.hash") == f"#comment-{roots[1].id}"


def test_held_comment_is_shown_to_its_author_only(
    app: Flask, live_server: LiveServer, page: Page
) -> None:
    live = seed(app, live_server)
    with app.app_context():
        sites.update_policy(DEMO_SITE, {"mode": "pre"})
    open_demo(page, live)
    answer = post(page, top_form(page), "Please hold this one", Name="Patient")
    assert answer["status"] == "pending"
    new_id = answer["comment"]["id"]
    notice = "Awaiting moderation: only you can see this for now."
    expect(article_of(page, new_id).locator(".cmt-pend")).to_have_text(notice)
    expect(page.locator(".cmt-status")).to_have_text(notice)
    expect(page.locator(".cmt-title")).to_have_text(f"{TOTAL} comments")

    with page.expect_request(
        lambda r: (
            r.url.endswith(f"/api/v1/comments/{new_id}")
            and r.headers.get("authorization") == "Bearer " + answer["edit_token"]
        )
    ):
        page.reload()
    expect(article_of(page, new_id).locator(".cmt-pend")).to_have_text(notice)

    # Another reader (a fresh browser profile) does not see it.
    other = page.context.browser.new_context()  # type: ignore[union-attr]
    try:
        stranger = other.new_page()
        open_demo(stranger, live)
        expect(stranger.locator(".cmt-item")).to_have_count(TOTAL)
        expect(stranger.locator(f"#comment-{new_id}")).to_have_count(0)
    finally:
        other.close()


def test_locked_thread(app: Flask, live_server: LiveServer, page: Page) -> None:
    live = seed(app, live_server)
    open_demo(page, live)
    # Locked while the reader is writing: the refusal is shown, nothing is added.
    with app.app_context():
        thread = db.session.execute(select(Thread).where(Thread.key == ARTICLE_URI)).scalar_one()
        thread.locked = True
        db.session.commit()
    form = top_form(page)
    answer = post(page, form, "Too late", Name="Late")
    assert answer["error"]["code"] == "thread_locked"
    expect(form.locator("p.cmt-err")).to_have_text(answer["error"]["message"])
    expect(page.locator(".cmt-item")).to_have_count(TOTAL)

    page.reload()
    expect(page.locator(".cmt-locked")).to_have_text("Comments are closed.")
    expect(page.locator(".cmt-item")).to_have_count(TOTAL)
    expect(page.locator("form.cmt-form")).to_have_count(0)
    expect(page.get_by_role("button", name="Reply")).to_have_count(0)


@pytest.fixture
def rate_limits_on(app_config: dict[str, Any]) -> None:
    app_config["RATE_LIMITS_ENABLED"] = True


def test_the_servers_rate_limit_says_when_to_try_again(
    rate_limits_on: None, app: Flask, live_server: LiveServer, page: Page
) -> None:
    live = seed(app, live_server)
    open_demo(page, live)
    form = top_form(page)
    statuses = [
        post(page, form, f"Comment number {n}", Name="Eager").get("status") for n in range(5)
    ]
    assert statuses == ["approved"] * 5
    with page.expect_response(lambda r: is_post(r.request)) as refused:
        form.locator("textarea").fill("One too many")
        form.locator("button[type=submit]").click()
    assert refused.value.status == 429
    wait = refused.value.headers["retry-after"]
    expect(form.locator("p.cmt-err")).to_have_text(
        f"Too many attempts. Try again in {wait} seconds."
    )
    expect(page.locator(".cmt-title")).to_have_text(f"{TOTAL + 5} comments")
    expect(page.locator(".cmt-item")).to_have_count(TOTAL + 5)


def test_errors_are_shown_where_they_belong(
    app: Flask, live_server: LiveServer, page: Page
) -> None:
    live = seed(app, live_server)
    open_demo(page, live)
    form = top_form(page)
    answer = post(
        page, form, "A fine comment", Name="Val", **{"Email (optional, never shown)": "nope"}
    )
    assert answer["error"]["fields"] == {"author_email": "not an e-mail address"}
    email = form.get_by_label("Email (optional, never shown)")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_be_focused()
    error_id = email.get_attribute("aria-describedby")
    expect(form.locator(f"[id='{error_id}']")).to_have_text("not an e-mail address")
    expect(form.locator("p.cmt-err")).to_have_text(answer["error"]["message"])
    expect(page.locator(".cmt-item")).to_have_count(TOTAL)

    email.fill("")
    answer = post(page, form, "   ")
    assert "body" in answer["error"]["fields"]
    expect(form.get_by_label("Your comment")).to_have_attribute("aria-invalid", "true")
    expect(email).not_to_have_attribute("aria-invalid", "true")

    # Rate limits say when to try again; a bad sign-in and a dead network are explained.
    page.route(
        "**/api/v1/comments",
        lambda route: route.fulfill(
            status=429,
            headers={
                "Retry-After": "42",
                "Access-Control-Allow-Origin": live.url,
                "Access-Control-Expose-Headers": "Retry-After",
            },
            json={"error": {"code": "rate_limited", "message": "Slow down.", "fields": {}}},
        ),
    )
    post(page, form, "Again")
    expect(form.locator("p.cmt-err")).to_have_text("Too many attempts. Try again in 42 seconds.")
    page.unroute("**/api/v1/comments")
    page.route(
        "**/api/v1/comments",
        lambda route: route.fulfill(
            status=401,
            headers={"Access-Control-Allow-Origin": live.url},
            json={
                "error": {
                    "code": "sso_expired",
                    "message": "The sign-in token has expired; reload the page.",
                    "fields": {},
                }
            },
        ),
    )
    post(page, form, "Again")
    expect(form.locator("p.cmt-err")).to_have_text(
        "The sign-in token has expired; reload the page."
    )
    page.unroute("**/api/v1/comments")
    page.route("**/api/v1/comments", lambda route: route.abort())
    form.locator("textarea").fill("Offline")
    form.locator("button[type=submit]").click()
    expect(form.locator("p.cmt-err")).to_have_text("Could not reach the comment server. Try again.")
    expect(page.locator(".cmt-item")).to_have_count(TOTAL)


def test_placeholders_keep_their_replies(app: Flask, live_server: LiveServer, page: Page) -> None:
    live = seed(app, live_server)
    rows = demo_comments(app)
    removed = next(r for r in rows if r.parent_id is None and r.reply_count > 0)
    replies = [r for r in rows if r.parent_id == removed.id]
    with app.app_context():  # as a moderator's removal leaves it: hidden, replies still shown
        db.session.get(Comment, removed.id).status = CommentStatus.HIDDEN  # type: ignore[union-attr]
        db.session.commit()
    open_demo(page, live)
    expect(article_of(page, removed.id)).to_have_text("Removed by a moderator.")
    expect(article_of(page, removed.id).get_by_role("button")).to_have_count(0)
    for reply in replies:
        expect(article_of(page, reply.id)).to_contain_text(reply.author_name)

    # The author deletes their own comment after someone answered it: a placeholder stays.
    first = post(page, top_form(page), "I will regret this", Name="Rue")["comment"]["id"]
    article_of(page, first).get_by_role("button", name="Reply").click()
    answer = post(page, page.locator(f"#comment-{first} form.cmt-form"), "An answer")
    article_of(page, first).get_by_role("button", name="Delete").click()
    article_of(page, first).locator(".cmt-cf").get_by_role("button", name="Delete").click()
    expect(article_of(page, first)).to_have_text("This comment was deleted.")
    expect(article_of(page, first)).to_be_focused()
    expect(article_of(page, answer["comment"]["id"])).to_contain_text("An answer")
    page.reload()
    expect(article_of(page, first)).to_have_text("This comment was deleted.")
    expect(article_of(page, answer["comment"]["id"])).to_contain_text("An answer")
