"""What moderators' decisions do to what readers see, read back through the public API.

Held comments are invisible everywhere until approved: in every sort of the thread read, the
counts, single reads without the edit token, replies pages and the server-rendered page.
(There are no feeds or exports yet; when they come, they belong in these tests too.)
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from comments.models import CommentStatus
from comments.services import moderation
from comments.services.demo import DEMO_SITE
from comments.services.moderation import Action
from tests.factories import DEFAULT_URI, Api, make_site
from tests.services.moderation_support import (
    acting,
    add_moderator,
    comment_count,
    last_action,
    log_for,
    moderate,
    reply_counts_are_exact,
    set_policy,
    status_of,
    stored,
)

SORTS = ("oldest", "newest", "top")


@pytest.fixture
def api(app: Flask, client: FlaskClient) -> Api:
    make_site(app)
    add_moderator(app)
    return Api(client)


def flatten(comments: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Every comment in a nested list, by id."""
    found: dict[int, dict[str, Any]] = {}
    stack = list(comments)
    while stack:
        item = stack.pop()
        found[item["id"]] = item
        stack.extend(item["replies"])
    return found


def shown(api: Api, sort: str = "oldest") -> dict[int, dict[str, Any]]:
    response = api.thread(sort=sort)
    assert response.status_code == 200
    return flatten(response.get_json()["comments"])


def public_count(api: Api) -> int:
    response = api.client.get("/api/v1/counts", query_string={"site": "news", "uri": DEFAULT_URI})
    count: int = response.get_json()["counts"][DEFAULT_URI]
    return count


def replies_of(api: Api, comment_id: int) -> dict[int, dict[str, Any]]:
    response = api.get(f"/api/v1/comments/{comment_id}/replies")
    assert response.status_code == 200, response.get_json()
    return flatten(response.get_json()["comments"])


def assert_counts_exact(app: Flask, api: Api, expected: int) -> None:
    """The stored count, a recount of the rows, the thread read and /counts all agree."""
    assert comment_count(app, DEFAULT_URI) == (expected, expected)
    assert api.thread().get_json()["thread"]["comment_count"] == expected
    assert public_count(api) == expected
    assert reply_counts_are_exact(app) == {}


def post(api: Api, body: str, **fields: Any) -> tuple[int, str]:
    data = api.comment(body, **fields)
    return data["comment"]["id"], data["edit_token"]


def test_held_comment_is_invisible_everywhere_until_approved(app: Flask, api: Api) -> None:
    parent, _ = post(api, "approved parent", author_name="Ada")
    set_policy(app, {"mode": "pre"})
    held, token = post(api, "held top-level", author_name="Bob")
    reply, reply_token = post(api, "held reply", parent_id=parent)
    assert status_of(app, held) is CommentStatus.PENDING
    assert status_of(app, reply) is CommentStatus.PENDING

    for sort in SORTS:
        assert set(shown(api, sort)) == {parent}, sort
    assert shown(api)[parent]["reply_count"] == 0
    assert public_count(api) == 1
    assert "held" not in api.thread().get_data(as_text=True)
    assert api.get(f"/api/v1/comments/{held}").status_code == 404
    assert api.send("GET", f"/api/v1/comments/{held}", reply_token).status_code == 404
    assert api.get(f"/api/v1/comments/{held}/replies").status_code == 404
    assert replies_of(api, parent) == {}
    # Its author, holding the edit token, sees it and that it waits.
    mine = api.send("GET", f"/api/v1/comments/{held}", token)
    assert mine.status_code == 200
    assert mine.get_json()["status"] == "pending"
    assert mine.get_json()["html"] == "<p>held top-level</p>\n"
    assert api.send("GET", f"/api/v1/comments/{reply}", reply_token).status_code == 200
    assert_counts_exact(app, api, 1)

    moderate(app, held, Action.APPROVE)
    moderate(app, reply, Action.APPROVE)

    for sort in SORTS:
        assert set(shown(api, sort)) == {parent, held, reply}, sort
    assert shown(api)[held]["author"]["name"] == "Bob"
    assert shown(api)[parent]["reply_count"] == 1
    assert public_count(api) == 3
    public = api.get(f"/api/v1/comments/{held}")
    assert public.status_code == 200 and public.get_json()["status"] == "approved"
    assert set(replies_of(api, parent)) == {reply}
    assert_counts_exact(app, api, 3)


def test_each_approval_adds_exactly_one_to_the_counts(app: Flask, api: Api) -> None:
    set_policy(app, {"mode": "pre"})
    ids = [post(api, f"held {n}")[0] for n in range(3)]
    assert_counts_exact(app, api, 0)
    for done, cid in enumerate(ids, start=1):
        moderate(app, cid, Action.APPROVE)
        assert_counts_exact(app, api, done)


def test_held_comment_is_absent_from_the_server_rendered_page(
    app: Flask, client: FlaskClient
) -> None:
    from comments.demo_content import ARTICLE_URI

    make_site(app, DEMO_SITE)
    add_moderator(app)
    reader = Api(client)
    published = reader.comment("Visible words here", site=DEMO_SITE, uri=ARTICLE_URI)
    set_policy(app, {"mode": "pre"}, slug=DEMO_SITE)
    held = reader.comment("Waiting words here", site=DEMO_SITE, uri=ARTICLE_URI)
    assert held["status"] == "pending"
    html = client.get("/").get_data(as_text=True)
    assert "Visible words here" in html and "Waiting words here" not in html
    assert published["comment"]["id"]
    moderate(app, held["comment"]["id"], Action.APPROVE)
    assert "Waiting words here" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("action", [Action.HIDE, Action.SPAM])
def test_removed_comment_with_replies_stays_as_a_placeholder(
    app: Flask, api: Api, action: Action
) -> None:
    parent, _ = post(api, "parent words", author_name="Ada", author_url="ada.example")
    child, _ = post(Api(api.client, "198.51.100.1"), "child words", parent_id=parent)
    lonely, _ = post(api, "lonely words")
    assert_counts_exact(app, api, 3)

    moderate(app, parent, action)
    moderate(app, lonely, action)

    comments = api.thread().get_json()["comments"]
    assert [c["id"] for c in comments] == [parent]
    placeholder = comments[0]
    assert placeholder["deleted"] is True
    assert placeholder["author"] is None
    assert placeholder["html"] == ""
    assert placeholder["edited_at"] is None
    assert [r["id"] for r in placeholder["replies"]] == [child]
    text = api.thread().get_data(as_text=True)
    assert "parent words" not in text and "Ada" not in text and "lonely words" not in text
    single = api.get(f"/api/v1/comments/{parent}").get_json()
    assert single["deleted"] is True and single["html"] == "" and single["author"] is None
    assert api.get(f"/api/v1/comments/{lonely}").status_code == 404
    assert set(replies_of(api, parent)) == {child}
    assert_counts_exact(app, api, 1)

    moderate(app, parent, Action.RESTORE)
    moderate(app, lonely, Action.RESTORE)

    after = shown(api)
    assert set(after) == {parent, child, lonely}
    assert after[parent]["deleted"] is False
    assert after[parent]["html"] == "<p>parent words</p>\n"
    assert after[parent]["author"]["name"] == "Ada"
    assert after[parent]["author"]["url"] == "https://ada.example"
    assert after[lonely]["html"] == "<p>lonely words</p>\n"
    assert_counts_exact(app, api, 3)


def test_placeholder_goes_when_its_only_reply_is_hidden(app: Flask, api: Api) -> None:
    parent, _ = post(api, "parent")
    child, _ = post(api, "child", parent_id=parent)
    moderate(app, parent, Action.HIDE)
    assert set(shown(api)) == {parent, child}
    assert shown(api)[parent]["deleted"] is True
    assert_counts_exact(app, api, 1)

    moderate(app, child, Action.HIDE)
    assert shown(api) == {}
    assert api.get(f"/api/v1/comments/{parent}").status_code == 404
    assert_counts_exact(app, api, 0)

    # Bringing the reply back brings back the placeholder that gives it context.
    moderate(app, child, Action.RESTORE)
    assert set(shown(api)) == {parent, child}
    assert shown(api)[parent]["deleted"] is True
    assert_counts_exact(app, api, 1)


def test_placeholder_chains_collapse_and_return_together(app: Flask, api: Api) -> None:
    top, _ = post(api, "top")
    middle, _ = post(api, "middle", parent_id=top)
    bottom, _ = post(api, "bottom", parent_id=middle)
    sibling, _ = post(api, "sibling", parent_id=top)
    assert_counts_exact(app, api, 4)
    steps: list[tuple[int, Action, set[int], set[int], int]] = [
        # (comment, action, shown ids, placeholder ids, approved count)
        (top, Action.HIDE, {top, middle, bottom, sibling}, {top}, 3),
        (middle, Action.SPAM, {top, middle, bottom, sibling}, {top, middle}, 2),
        (sibling, Action.HIDE, {top, middle, bottom}, {top, middle}, 1),
        (bottom, Action.HIDE, set(), set(), 0),
        (bottom, Action.RESTORE, {top, middle, bottom}, {top, middle}, 1),
        (top, Action.RESTORE, {top, middle, bottom}, {middle}, 2),
        (bottom, Action.SPAM, {top}, set(), 1),
        (middle, Action.RESTORE, {top, middle}, set(), 2),
        (sibling, Action.RESTORE, {top, middle, sibling}, set(), 3),
        (bottom, Action.APPROVE, {top, middle, bottom, sibling}, set(), 4),
    ]
    for comment_id, action, expected, placeholders, approved in steps:
        moderate(app, comment_id, action)
        seen = shown(api)
        label = f"after {action.value} #{comment_id}"
        assert set(seen) == expected, label
        assert {i for i, c in seen.items() if c["deleted"]} == placeholders, label
        assert_counts_exact(app, api, approved)


def test_counts_stay_exact_through_every_transition(app: Flask, api: Api) -> None:
    set_policy(app, {"mode": "pre"})
    a, _ = post(api, "a")
    b, _ = post(api, "b", author_email="b@example.org")
    assert_counts_exact(app, api, 0)
    moderate(app, a, Action.APPROVE)
    assert_counts_exact(app, api, 1)
    set_policy(app, {"mode": "post"})
    reply, reply_token = post(api, "reply", parent_id=a)
    assert_counts_exact(app, api, 2)
    transitions = [
        (b, Action.SPAM, 2),
        (b, Action.RESTORE, 3),
        (a, Action.HIDE, 2),
        (a, Action.HIDE, 2),  # the same decision twice changes nothing
        (a, Action.SPAM, 2),
        (a, Action.APPROVE, 3),
        (reply, Action.SPAM, 2),
        (reply, Action.APPROVE, 3),
        (b, Action.HIDE, 2),
        (b, Action.APPROVE, 3),
    ]
    for comment_id, action, expected in transitions:
        moderate(app, comment_id, action)
        assert_counts_exact(app, api, expected)
    # The author's own deletion, then a moderator's delete for good.
    assert api.send("DELETE", f"/api/v1/comments/{reply}", reply_token).status_code == 204
    assert_counts_exact(app, api, 2)
    moderate(app, a, Action.DELETE)
    assert_counts_exact(app, api, 1)
    assert status_of(app, a) is CommentStatus.DELETED
    # Undo steps back through the log, and the counts follow.
    moderate(app, b, Action.HIDE)
    assert_counts_exact(app, api, 0)
    hide = last_action(app).id
    with acting(app) as mod:
        moderation.undo(mod, hide)
    assert_counts_exact(app, api, 1)


def test_moderator_edit_is_sanitised_logged_and_undoable(app: Flask, api: Api) -> None:
    cid, _ = post(api, "original **text**")
    with acting(app) as mod:
        edited = moderation.edit_text(
            mod, cid, "<script>alert(1)</script>\n\nfixed *text*", max_length=10_000
        )
        assert "<script" not in edited.html
    shown_html = shown(api)[cid]["html"]
    assert "<script" not in shown_html
    assert "<p>fixed <em>text</em></p>" in shown_html
    assert shown(api)[cid]["edited_at"] is not None
    entry = log_for(app, cid)[-1]
    assert entry.action == "edit"
    assert entry.previous_text == "original **text**"
    assert entry.moderator_id is not None

    with acting(app) as mod:
        undone = moderation.undo(mod, entry.id)
        assert undone.previous_text is not None and undone.previous_text.startswith("<script>")
    assert shown(api)[cid]["html"] == "<p>original <strong>text</strong></p>\n"
    comment = stored(app, cid)
    assert comment is not None and comment.body == "original **text**"
    assert_counts_exact(app, api, 1)


def test_reported_comment_taken_down_keeps_its_replies_in_context(app: Flask, api: Api) -> None:
    set_policy(app, {"report_threshold": 1})
    parent, _ = post(api, "parent words")
    child, _ = post(Api(api.client, "198.51.100.1"), "child words", parent_id=parent)
    assert Api(api.client, "198.51.100.2").report(parent, "abuse").status_code == 202
    assert status_of(app, parent) is CommentStatus.PENDING
    assert_counts_exact(app, api, 1)
    seen = shown(api)
    assert set(seen) == {parent, child}
    assert seen[parent]["deleted"] is True and seen[parent]["html"] == ""
