"""The moderation API under /api/v1/mod: token auth, per-site permissions, every operation.

Every response here is checked against the served OpenAPI document with ``validate_response``
from test_openapi.py, errors included.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from comments.extensions import db
from comments.models import Ban, Comment, CommentStatus, ModerationAction, Role, Site, Thread
from comments.services import accounts, sites
from tests.api.test_openapi import API_PREFIX, validate_response
from tests.factories import DEFAULT_URI, Api, make_site

LINKS = "Sources: https://a.example https://b.example https://c.example https://d.example"


@dataclasses.dataclass
class Caller:
    """One moderator (or nobody) calling the moderation API; every answer is checked."""

    client: FlaskClient
    document: dict[str, Any]
    token: str | None

    def raw(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> TestResponse:
        headers = dict(kwargs.pop("headers", {}))
        sent = token if token is not None else self.token
        if sent:
            headers["Authorization"] = f"Bearer {sent}"
        return self.client.open(API_PREFIX + path, method=method, headers=headers, **kwargs)

    def call(
        self, method: str, template: str, path: str | None = None, **kwargs: Any
    ) -> tuple[int, Any]:
        response = self.raw(method, path or template, **kwargs)
        body = validate_response(self.document, method, template, response)
        if template.startswith("/mod/") and response.status_code < 300:
            # Answers name authors' e-mail addresses: no cache may keep them.
            assert "no-store" in response.headers.get("Cache-Control", "")
        return response.status_code, body

    def ok(self, method: str, template: str, path: str | None = None, **kwargs: Any) -> Any:
        status, body = self.call(method, template, path, **kwargs)
        assert status < 300, body
        return body


@dataclasses.dataclass
class World:
    """Two sites with comments, an admin and a moderator of "news" only."""

    app: Flask
    admin: Caller
    news_mod: Caller
    anonymous: Caller
    reader: Api
    news_comment: int
    news_pending: int
    blog_comment: int
    blog_thread: int
    news_thread: int


def _moderator(app: Flask, email: str, role: Role, sites: tuple[str, ...] = ()) -> str:
    with app.app_context():
        moderator, _ = accounts.add_moderator(email, role, sites, "correct horse battery")
        _, token = accounts.create_token(moderator, "tests")
        return token


def _thread_id(app: Flask, site: str, uri: str = DEFAULT_URI) -> int:
    with app.app_context():
        return db.session.execute(
            select(Thread.id).join(Site).where(Site.slug == site, Thread.key == uri)
        ).scalar_one()


def _status(app: Flask, comment_id: int) -> CommentStatus | None:
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        return None if comment is None else comment.status


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    served: dict[str, Any] = client.get(f"{API_PREFIX}/openapi.json").get_json()
    return served


@pytest.fixture
def world(app: Flask, client: FlaskClient, document: dict[str, Any]) -> World:
    make_site(app, "news")
    make_site(app, "blog")
    reader = Api(client)
    news = reader.comment("A published comment", author_name="Ann", author_email="ann@example.org")[
        "comment"
    ]["id"]
    pending = reader.comment(LINKS, author_name="Linky", author_email="links@example.org")
    assert pending["status"] == "pending"
    blog = reader.comment("On the blog", site="blog", author_email="bob@example.org")["comment"]
    return World(
        app=app,
        admin=Caller(client, document, _moderator(app, "admin@example.org", Role.ADMIN)),
        news_mod=Caller(
            client, document, _moderator(app, "mod@example.org", Role.MODERATOR, ("news",))
        ),
        anonymous=Caller(client, document, None),
        reader=reader,
        news_comment=news,
        news_pending=pending["comment"]["id"],
        blog_comment=blog["id"],
        blog_thread=_thread_id(app, "blog"),
        news_thread=_thread_id(app, "news"),
    )


# --- Authentication ------------------------------------------------------------------------


def _example_path(template: str) -> str:
    return template.replace("{queue}", "pending").replace("{slug}", "news").replace("{id}", "1")


def test_every_moderation_operation_needs_a_token(world: World, document: dict[str, Any]) -> None:
    operations = [
        (method.upper(), template)
        for template, item in document["paths"].items()
        if template.startswith("/mod/")
        for method in item
    ]
    assert len(operations) == 14
    for method, template in operations:
        status, body = world.anonymous.call(
            method, template, _example_path(template), json={"action": "approve", "days": 1}
        )
        assert status == 401, (method, template, body)
        assert body["error"]["code"] == "unauthorized"
    response = world.anonymous.raw("GET", "/mod/queues")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="comments moderation"'
    assert _status(world.app, world.news_pending) is CommentStatus.PENDING


@pytest.mark.parametrize(
    "header",
    [
        "Bearer cmt_not-a-real-token",
        "Bearer " + "cmt_" + "x" * 300,
        "Bearer something-else",
        "Basic YWRtaW46cGFzc3dvcmQ=",
        "Bearer ",
    ],
)
def test_unknown_tokens_are_401(world: World, header: str) -> None:
    response = world.anonymous.raw("GET", "/mod/queues", headers={"Authorization": header})
    body = validate_response(world.admin.document, "GET", "/mod/queues", response)
    assert response.status_code == 401, body
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")


def test_a_public_edit_token_is_not_a_moderation_token(world: World) -> None:
    edit_token = world.reader.comment("mine")["edit_token"]
    status, _ = world.anonymous.call("GET", "/mod/queues", headers=_auth(edit_token))
    assert status == 401


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_revoked_token_is_refused(world: World) -> None:
    with world.app.app_context():
        moderator = accounts.get_by_email("mod@example.org")
        entry, token = accounts.create_token(moderator, "laptop")
        entry_id = entry.id
    assert world.anonymous.call("GET", "/mod/queues", headers=_auth(token))[0] == 200
    with world.app.app_context():
        accounts.revoke_token(accounts.get_by_email("mod@example.org"), entry_id)
    response = world.anonymous.raw("GET", "/mod/queues", headers=_auth(token))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    # The moderator's other token still works.
    assert world.news_mod.call("GET", "/mod/queues")[0] == 200


def test_a_token_of_a_removed_moderator_is_refused(world: World) -> None:
    stolen = world.news_mod.token
    assert world.news_mod.call("GET", "/mod/queues")[0] == 200
    with world.app.app_context():
        accounts.remove_moderator("mod@example.org")
    status, body = world.anonymous.call(
        "POST",
        "/mod/comments/{id}/actions",
        f"/mod/comments/{world.news_comment}/actions",
        headers=_auth(stolen or ""),
        json={"action": "hide"},
    )
    assert status == 401, body
    assert _status(world.app, world.news_comment) is CommentStatus.APPROVED


# --- Permissions: one site's moderator and another site ---------------------------------------


def test_a_moderator_cannot_see_or_touch_another_sites_comments(world: World) -> None:
    mod, blog_comment = world.news_mod, world.blog_comment
    one = f"/mod/comments/{blog_comment}"
    refused = [
        ("POST", "/mod/comments/{id}/actions", f"{one}/actions", {"json": {"action": "hide"}}),
        ("POST", "/mod/comments/{id}/actions", f"{one}/actions", {"json": {"action": "delete"}}),
        ("PATCH", "/mod/comments/{id}", one, {"json": {"body": "defaced"}}),
        ("POST", "/mod/comments/{id}/ban", f"{one}/ban", {"json": {"days": None}}),
        ("POST", "/mod/threads/{id}/lock", f"/mod/threads/{world.blog_thread}/lock", {}),
        ("GET", "/mod/queues/{queue}", "/mod/queues/all", {"query_string": {"site": "blog"}}),
        ("GET", "/mod/queues", None, {"query_string": {"site": "blog"}}),
        ("GET", "/mod/audit", None, {"query_string": {"site": "blog"}}),
        ("GET", "/mod/sites/{slug}/settings", "/mod/sites/blog/settings", {}),
    ]
    for method, template, path, kwargs in refused:
        status, body = mod.call(method, template, path, **kwargs)
        assert status == 404, (method, path, body)
    status, body = mod.call(
        "POST", "/mod/bulk", json={"action": "spam", "ids": [blog_comment, world.news_comment]}
    )
    assert status == 200 and body == {"changed": 1, "matched": 2}
    with world.app.app_context():
        blog = db.session.get(Comment, blog_comment)
        assert blog is not None
        assert (blog.status, blog.body) == (CommentStatus.APPROVED, "On the blog")
        assert db.session.execute(select(func.count(Ban.id))).scalar_one() == 0
        thread = db.session.get(Thread, world.blog_thread)
        assert thread is not None and thread.locked is False
    # Their queues hold only their own site's comments.
    listed = mod.ok("GET", "/mod/queues/{queue}", "/mod/queues/all")
    assert blog_comment not in {item["id"] for item in listed["items"]}
    assert {item["thread"]["site"] for item in listed["items"]} == {"news"}
    assert (
        world.admin.ok("GET", "/mod/queues")["counts"]["all"]
        > mod.ok("GET", "/mod/queues")["counts"]["all"]
    )


def test_a_moderator_cannot_lift_bans_or_undo_actions_elsewhere(world: World) -> None:
    ban = world.admin.ok(
        "POST",
        "/mod/comments/{id}/ban",
        f"/mod/comments/{world.blog_comment}/ban",
        json={"days": 3},
    )
    log = world.admin.ok("GET", "/mod/audit", query_string={"site": "blog"})["entries"]
    assert [e["action"] for e in log] == ["ban"]
    assert world.news_mod.ok("GET", "/mod/bans")["bans"] == []
    their_log = world.news_mod.ok("GET", "/mod/audit")["entries"]
    assert {e["site"] for e in their_log} == {"news"}  # the automatic hold of the link list
    status, _ = world.news_mod.call("DELETE", "/mod/bans/{id}", f"/mod/bans/{ban['id']}")
    assert status == 404
    status, _ = world.news_mod.call(
        "POST", "/mod/audit/{id}/undo", f"/mod/audit/{log[0]['id']}/undo"
    )
    assert status == 404
    assert [b["id"] for b in world.admin.ok("GET", "/mod/bans")["bans"]] == [ban["id"]]


def test_only_admins_change_settings(world: World) -> None:
    status, body = world.news_mod.call(
        "PATCH", "/mod/sites/{slug}/settings", "/mod/sites/news/settings", json={"max_links": 0}
    )
    assert status == 403 and body["error"]["code"] == "forbidden"
    # ... even for a site they do not moderate: the answer reveals nothing about it.
    status, _ = world.news_mod.call(
        "PATCH", "/mod/sites/{slug}/settings", "/mod/sites/blog/settings", json={}
    )
    assert status == 403
    # They may read their own site's settings.
    assert (
        world.news_mod.ok("GET", "/mod/sites/{slug}/settings", "/mod/sites/news/settings")[
            "max_links"
        ]
        == 3
    )
    with world.app.app_context():
        assert sites.policy_of(sites.get_site("news")).max_links == 3


# --- Queues ----------------------------------------------------------------------------------


def test_queue_counts(world: World) -> None:
    counts = world.admin.ok("GET", "/mod/queues")
    assert counts["site"] is None
    assert counts["counts"] == {
        "pending": 1, "reported": 0, "spam": 0, "hidden": 0, "approved": 2, "all": 3,
    }  # fmt: skip
    news = world.admin.ok("GET", "/mod/queues", query_string={"site": "news"})
    assert news["site"] == "news" and news["counts"]["approved"] == 1
    status, body = world.admin.call("GET", "/mod/queues", query_string={"site": "nope"})
    assert status == 404 and "site" in body["error"]["fields"]


def test_pending_queue_item_has_everything_a_moderator_needs(world: World) -> None:
    reply = world.reader.comment(
        "See https://1.example https://2.example https://3.example https://4.example",
        parent_id=world.news_comment,
        author_name="Replier",
        author_email="Replier@Example.org",
        author_url="replier.example",
    )["comment"]["id"]
    page = world.news_mod.ok("GET", "/mod/queues/{queue}", "/mod/queues/pending")
    assert (page["queue"], page["total"], page["page"], page["pages"]) == ("pending", 2, 1, 1)
    first, item = page["items"]  # oldest first
    assert first["id"] == world.news_pending and first["parent_excerpt"] is None
    assert item["id"] == reply
    assert item["author"] == {
        "name": "Replier",
        "email": "Replier@Example.org",
        "url": "https://replier.example",
    }
    assert item["thread"]["id"] == world.news_thread and item["thread"]["site"] == "news"
    assert item["thread"]["uri"] == DEFAULT_URI
    assert item["parent_id"] == world.news_comment
    assert item["parent_excerpt"] == "A published comment"
    assert item["status"] == "pending"
    assert item["why"] == ["4 links (limit 3)"]
    assert item["body"].startswith("See https://1.example")
    assert '<a href="https://1.example"' in item["html"]
    assert re.fullmatch(r"[0-9a-f]{8}", item["address"])
    assert item["history"]["pending"] == 1


def test_readers_never_see_what_moderators_see(world: World, client: FlaskClient) -> None:
    public = client.get(f"{API_PREFIX}/comments/{world.news_comment}").get_data(as_text=True)
    assert "ann@example.org" not in public
    item = world.admin.ok(
        "GET", "/mod/queues/{queue}", "/mod/queues/approved", query_string={"site": "news"}
    )["items"][0]
    assert item["author"]["email"] == "ann@example.org"


def test_queue_filters(world: World) -> None:
    def ids(**query: Any) -> list[int]:
        page = world.admin.ok("GET", "/mod/queues/{queue}", "/mod/queues/all", query_string=query)
        return sorted(item["id"] for item in page["items"])

    everything = ids()
    assert len(everything) == 3
    assert ids(site="blog") == [world.blog_comment]
    assert ids(thread_id=world.news_thread) == sorted([world.news_comment, world.news_pending])
    assert ids(text="PUBLISHED") == [world.news_comment]
    assert ids(author="link") == [world.news_pending]
    assert ids(email="bob@") == [world.blog_comment]
    assert ids(since="2000-01-01", until="9999-12-31") == everything
    assert ids(until="2000-01-01") == []
    # 100% and _ are literal text, not wildcards.
    assert ids(text="%") == [] and ids(text="_") == []
    paged = world.admin.ok(
        "GET", "/mod/queues/{queue}", "/mod/queues/all", query_string={"per_page": 2, "page": 2}
    )
    assert (paged["total"], paged["pages"], len(paged["items"])) == (3, 2, 1)


@pytest.mark.parametrize(
    ("path", "query", "status", "field"),
    [
        ("/mod/queues/nonsense", {}, 404, "queue"),
        ("/mod/queues/pending", {"site": "nope"}, 404, "site"),
        ("/mod/queues/pending", {"since": "yesterday"}, 400, "since"),
        ("/mod/queues/pending", {"until": "2026-02-30"}, 400, "until"),
        ("/mod/queues/pending", {"page": "0"}, 400, "page"),
        ("/mod/queues/pending", {"per_page": "101"}, 400, "per_page"),
        ("/mod/queues/pending", {"thread_id": "x"}, 400, "thread_id"),
        ("/mod/queues/pending", {"text": "x" * 201}, 400, "text"),
        ("/mod/queues/pending", {"author": "a\x00b"}, 400, "author"),
    ],
)
def test_bad_queue_requests(
    world: World, path: str, query: dict[str, str], status: int, field: str
) -> None:
    got, body = world.admin.call("GET", "/mod/queues/{queue}", path, query_string=query)
    assert got == status, body
    assert field in body["error"]["fields"], body


# --- Decisions -------------------------------------------------------------------------------


def _act(caller: Caller, comment_id: int, **payload: Any) -> tuple[int, Any]:
    return caller.call(
        "POST", "/mod/comments/{id}/actions", f"/mod/comments/{comment_id}/actions", json=payload
    )


def test_approve_hide_spam_restore(world: World) -> None:
    status, item = _act(world.news_mod, world.news_pending, action="approve")
    assert status == 200 and item["status"] == "approved"
    status, item = _act(world.news_mod, world.news_pending, action="hide", reason="off topic")
    assert status == 200 and item["status"] == "hidden"
    status, item = _act(world.news_mod, world.news_pending, action="spam")
    assert item["status"] == "spam"
    status, item = _act(world.news_mod, world.news_pending, action="restore")
    assert item["status"] == "approved"
    status, body = _act(world.news_mod, world.news_pending, action="restore")
    assert status == 409 and body["error"]["code"] == "not_removed"
    log = world.news_mod.ok("GET", "/mod/audit", query_string={"action": "hide"})["entries"]
    assert len(log) == 1
    assert (log[0]["moderator"], log[0]["reason"], log[0]["comment_id"]) == (
        "mod@example.org",
        "off topic",
        world.news_pending,
    )


def test_delete_for_good_is_204(world: World) -> None:
    status, body = _act(world.news_mod, world.news_comment, action="delete", reason="doxxing")
    assert (status, body) == (204, None)
    assert _status(world.app, world.news_comment) is None
    status, _ = _act(world.news_mod, world.news_comment, action="approve")
    assert status == 404


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "action"),
        ({"action": "ban"}, "action"),
        ({"action": 1}, "action"),
        ({"action": "hide", "reason": "x" * 1001}, "reason"),
        ({"action": "hide", "reason": 5}, "reason"),
    ],
)
def test_bad_decisions_are_422_naming_the_field(
    world: World, payload: dict[str, Any], field: str
) -> None:
    status, body = _act(world.news_mod, world.news_pending, **payload)
    assert status == 422 and field in body["error"]["fields"], body
    assert _status(world.app, world.news_pending) is CommentStatus.PENDING


def test_decisions_need_a_json_body_and_a_real_id(world: World) -> None:
    template = "/mod/comments/{id}/actions"
    path = f"/mod/comments/{world.news_pending}/actions"
    status, _ = world.news_mod.call("POST", template, path, data="action=hide")
    assert status == 415
    status, _ = world.news_mod.call(
        "POST", template, path, data="{", content_type="application/json"
    )
    assert status == 400
    for missing in (999_999, 2**31):
        status, _ = world.news_mod.call(
            "POST", template, f"/mod/comments/{missing}/actions", json={"action": "hide"}
        )
        assert status == 404


def test_edit_text_is_sanitised_and_logged(world: World) -> None:
    status, item = world.news_mod.call(
        "PATCH",
        "/mod/comments/{id}",
        f"/mod/comments/{world.news_comment}",
        json={"body": "Trimmed **text** <script>alert(1)</script>"},
    )
    assert status == 200, item
    assert "<strong>text</strong>" in item["html"] and "<script" not in item["html"]
    assert item["body"].startswith("Trimmed **text**")
    assert item["edited_at"] is not None
    entry = world.news_mod.ok("GET", "/mod/audit", query_string={"action": "edit"})["entries"][0]
    assert entry["previous_text"] == "A published comment" and entry["undoable"] is True
    status, body = world.news_mod.call(
        "PATCH", "/mod/comments/{id}", f"/mod/comments/{world.news_comment}", json={"body": " "}
    )
    assert status == 422 and "body" in body["error"]["fields"]


# --- Bulk ------------------------------------------------------------------------------------


def test_bulk_by_ids_and_by_filter(world: World) -> None:
    extra = world.reader.comment(LINKS + " again", author_name="Linky")["comment"]["id"]
    status, body = world.admin.call(
        "POST", "/mod/bulk", json={"action": "approve", "ids": [world.news_pending, 999_999]}
    )
    assert (status, body) == (200, {"changed": 1, "matched": 2})
    assert _status(world.app, world.news_pending) is CommentStatus.APPROVED
    assert _status(world.app, extra) is CommentStatus.PENDING
    status, body = world.admin.call(
        "POST",
        "/mod/bulk",
        json={"action": "spam", "filter": {"queue": "all", "site": "news", "author": "linky"}},
    )
    assert (status, body) == (200, {"changed": 2, "matched": 2})
    assert _status(world.app, extra) is CommentStatus.SPAM
    assert _status(world.app, world.blog_comment) is CommentStatus.APPROVED


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"action": "hide"}, 422, "ids"),
        ({"action": "hide", "ids": [1], "filter": {"queue": "all"}}, 422, "ids"),
        ({"action": "hide", "ids": "1,2"}, 422, "ids"),
        ({"action": "hide", "ids": []}, 422, "ids"),
        ({"action": "hide", "ids": [1, "2"]}, 422, "ids"),
        ({"action": "hide", "ids": [True]}, 422, "ids"),
        ({"action": "hide", "ids": [2**31]}, 422, "ids"),
        ({"action": "hide", "ids": list(range(1, 1002))}, 400, "ids"),
        ({"action": "nuke", "ids": [1]}, 422, "action"),
        ({"action": "hide", "filter": "pending"}, 422, "filter"),
        ({"action": "hide", "filter": {}}, 422, "filter.queue"),
        ({"action": "hide", "filter": {"queue": "inbox"}}, 422, "filter.queue"),
        ({"action": "hide", "filter": {"queue": "all", "since": "May"}}, 422, "filter.since"),
        ({"action": "hide", "filter": {"queue": "all", "thread_id": 0}}, 422, "filter.thread_id"),
        ({"action": "hide", "filter": {"queue": "all", "site": "nope"}}, 404, "filter.site"),
    ],
)
def test_bad_bulk_requests(world: World, payload: dict[str, Any], status: int, field: str) -> None:
    got, body = world.admin.call("POST", "/mod/bulk", json=payload)
    assert got == status, body
    assert field in body["error"]["fields"], body
    with world.app.app_context():
        statuses = set(db.session.execute(select(Comment.status)).scalars())
    assert CommentStatus.HIDDEN not in statuses


# --- Bans ------------------------------------------------------------------------------------


def test_ban_list_and_lift(world: World) -> None:
    status, ban = world.news_mod.call(
        "POST",
        "/mod/comments/{id}/ban",
        f"/mod/comments/{world.news_pending}/ban",
        json={"days": 7, "reason": "link farm", "apply": "spam"},
    )
    assert status == 201, ban
    assert (ban["site"], ban["email"], ban["reason"]) == ("news", "links@example.org", "link farm")
    assert ban["expires_at"] is not None and ban["created_by"] == "mod@example.org"
    # apply: every comment of theirs on the site was swept (the author is Linky at this address).
    assert _status(world.app, world.news_pending) is CommentStatus.SPAM
    # The banned author cannot post there any more.
    refused = world.reader.post("again", author_email="links@example.org")
    assert refused.status_code == 403
    validate_response(world.admin.document, "POST", "/comments", refused)
    assert [b["id"] for b in world.news_mod.ok("GET", "/mod/bans")["bans"]] == [ban["id"]]
    status, _ = world.news_mod.call("DELETE", "/mod/bans/{id}", f"/mod/bans/{ban['id']}")
    assert status == 204
    assert world.news_mod.ok("GET", "/mod/bans")["bans"] == []
    assert world.reader.post("again", author_email="links@example.org").status_code == 201
    # Lifting again changes nothing; an unknown ban is 404.
    assert world.news_mod.call("DELETE", "/mod/bans/{id}", f"/mod/bans/{ban['id']}")[0] == 204
    assert world.news_mod.call("DELETE", "/mod/bans/{id}", "/mod/bans/999999")[0] == 404


def test_ban_for_good(world: World) -> None:
    status, ban = world.admin.call(
        "POST",
        "/mod/comments/{id}/ban",
        f"/mod/comments/{world.blog_comment}/ban",
        json={"days": None},
    )
    assert status == 201 and ban["expires_at"] is None and ban["site"] == "blog"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "days"),
        ({"days": 0}, "days"),
        ({"days": 3651}, "days"),
        ({"days": "7"}, "days"),
        ({"days": 1, "apply": "approve"}, "apply"),
        ({"days": 1, "apply": True}, "apply"),
    ],
)
def test_bad_bans_are_422(world: World, payload: dict[str, Any], field: str) -> None:
    status, body = world.admin.call(
        "POST",
        "/mod/comments/{id}/ban",
        f"/mod/comments/{world.news_comment}/ban",
        json=payload,
    )
    assert status == 422 and field in body["error"]["fields"], body
    with world.app.app_context():
        assert db.session.execute(select(func.count(Ban.id))).scalar_one() == 0


# --- Threads ---------------------------------------------------------------------------------


def test_lock_and_unlock_a_thread(world: World) -> None:
    path = f"/mod/threads/{world.news_thread}/lock"
    thread = world.news_mod.ok("POST", "/mod/threads/{id}/lock", path)
    assert thread["locked"] is True and thread["id"] == world.news_thread
    refused = world.reader.post("too late")
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "thread_locked"
    thread = world.news_mod.ok("DELETE", "/mod/threads/{id}/lock", path)
    assert thread["locked"] is False
    assert world.reader.post("now open").status_code == 201
    status, _ = world.news_mod.call("POST", "/mod/threads/{id}/lock", "/mod/threads/999999/lock")
    assert status == 404


# --- Audit log and undo ----------------------------------------------------------------------


def test_audit_log_and_undo(world: World) -> None:
    _act(world.news_mod, world.news_comment, action="hide", reason="rude")
    log = world.news_mod.ok("GET", "/mod/audit")
    assert log["total"] == len(log["entries"]) >= 2  # the automatic hold, then the hide
    hide = log["entries"][0]
    assert (hide["action"], hide["status_before"], hide["status_after"]) == (
        "hide",
        "approved",
        "hidden",
    )
    assert hide["site"] == "news" and hide["undoable"] is True and hide["undone_by"] is None
    status, undo = world.news_mod.call(
        "POST", "/mod/audit/{id}/undo", f"/mod/audit/{hide['id']}/undo"
    )
    assert status == 201 and undo["action"] == "undo" and undo["undoes_id"] == hide["id"]
    assert _status(world.app, world.news_comment) is CommentStatus.APPROVED
    again = world.news_mod.call("POST", "/mod/audit/{id}/undo", f"/mod/audit/{hide['id']}/undo")
    assert again[0] == 409 and again[1]["error"]["code"] == "already_undone"
    entries = world.news_mod.ok("GET", "/mod/audit")["entries"]
    undone = next(e for e in entries if e["id"] == hide["id"])
    assert undone["undone_by"] == undo["id"] and undone["undoable"] is False
    assert world.news_mod.call("POST", "/mod/audit/{id}/undo", "/mod/audit/999999/undo")[0] == 404
    paged = world.news_mod.ok("GET", "/mod/audit", query_string={"per_page": 1, "page": 2})
    assert len(paged["entries"]) == 1 and paged["pages"] == paged["total"]
    status, body = world.news_mod.call("GET", "/mod/audit", query_string={"action": "x" * 33})
    assert status == 400 and "action" in body["error"]["fields"]


# --- Site settings ---------------------------------------------------------------------------


def test_admin_reads_and_changes_settings(world: World) -> None:
    template, path = "/mod/sites/{slug}/settings", "/mod/sites/news/settings"
    before = world.admin.ok("GET", template, path)
    assert before["mode"] == "post" and before["banned_words"] == []
    after = world.admin.ok(
        "PATCH",
        template,
        path,
        json={"max_links": 1, "banned_words": "spam, Casino ,spam", "honeypot": None},
    )
    assert after == {**before, "max_links": 1, "banned_words": ["spam", "Casino"]}
    assert world.admin.ok("GET", template, path) == after
    entry = world.admin.ok("GET", "/mod/audit", query_string={"action": "settings"})["entries"][0]
    assert entry["moderator"] == "admin@example.org"
    assert entry["details"]["changed"]["max_links"] == [3, 1]
    # The new settings apply to readers at once.
    assert world.reader.post("one https://x.example and https://y.example").status_code == 202


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"mode": "sometimes"}, "mode"),
        ({"max_links": -1}, "max_links"),
        ({"max_links": 1.5}, "max_links"),
        ({"honeypot": "maybe"}, "honeypot"),
        ({"banned_words": [1, 2]}, "banned_words"),
        ({"banned_words": ["x" * 65]}, "banned_words"),
        ({"suspect_words": {"a": 1}}, "suspect_words"),
        ({"colour": "blue"}, "colour"),
        ({"banned_words": ["a\x00b"]}, "banned_words"),
    ],
)
def test_bad_settings_are_422_naming_the_setting(
    world: World, payload: dict[str, Any], field: str
) -> None:
    status, body = world.admin.call(
        "PATCH", "/mod/sites/{slug}/settings", "/mod/sites/news/settings", json=payload
    )
    assert status == 422 and field in body["error"]["fields"], body
    with world.app.app_context():
        assert sites.get_site("news").settings == {}
        count = select(func.count(ModerationAction.id)).where(ModerationAction.action == "settings")
        assert db.session.execute(count).scalar_one() == 0


def test_settings_of_an_unknown_site_are_404(world: World) -> None:
    for slug in ("nope", "Not A Slug"):
        status, _ = world.admin.call(
            "GET", "/mod/sites/{slug}/settings", f"/mod/sites/{slug}/settings"
        )
        assert status == 404


def test_policy_schema_names_every_setting(world: World) -> None:
    """The document's Policy schema and PATCH body stay in step with the policy's fields."""
    from comments.services.policy import Policy

    names = {f.name for f in dataclasses.fields(Policy)}
    schemas = world.admin.document["components"]["schemas"]
    assert set(schemas["Policy"]["properties"]) == names
    patch = world.admin.document["paths"]["/mod/sites/{slug}/settings"]["patch"]
    body = patch["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == names
