"""Posting, editing, deleting and reading single comments over HTTP."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from comments.extensions import db
from comments.models import Comment
from tests.factories import Api, make_site

PRIVATE_KEYS = {"email", "author_email", "ip_hash", "edit_token_hash", "author_key", "ip"}


@pytest.fixture
def api(app: Flask, client: FlaskClient) -> Api:
    make_site(app)
    return Api(client)


def all_keys(value: Any) -> set[str]:
    keys: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            keys.update(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return keys


def test_posting_creates_the_thread_and_returns_the_comment_and_a_token(
    app: Flask, api: Api
) -> None:
    response = api.post(
        "Hello **world**",
        author_name="Ada",
        author_email="ada@example.org",
        author_url="ada.example.org",
        title="Story",
    )
    assert response.status_code == 201
    data = response.get_json()
    comment = data["comment"]
    assert comment["html"] == "<p>Hello <strong>world</strong></p>\n"
    assert comment["author"]["name"] == "Ada"
    assert comment["author"]["url"] == "https://ada.example.org"
    assert comment["author"]["avatar"].startswith("/api/v1/avatars/")
    assert comment["status"] == "approved"
    assert comment["depth"] == 0 and comment["parent_id"] is None
    assert len(data["edit_token"]) >= 32
    assert not PRIVATE_KEYS & all_keys(data)
    assert "ada@example.org" not in response.get_data(as_text=True)
    with app.app_context():
        stored = db.session.get(Comment, comment["id"])
        assert stored is not None
        assert stored.author_email == "ada@example.org"
        assert stored.ip_hash and "203.0.113.10" not in stored.ip_hash
        assert stored.edit_token_hash != data["edit_token"]
        assert stored.body == "Hello **world**"


def test_avatar_is_generated_locally(api: Api) -> None:
    avatar = api.comment(author_email="a@example.org")["comment"]["author"]["avatar"]
    response = api.get(avatar)
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert b"<svg" in response.data


def test_parent_in_another_thread_is_a_conflict(api: Api) -> None:
    parent = api.comment("elsewhere", uri="/other")["comment"]["id"]
    response = api.post("reply", parent_id=parent)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "parent_elsewhere"


def test_unknown_parent_is_404(api: Api) -> None:
    response = api.post("reply", parent_id=987654)
    assert response.status_code == 404
    assert response.get_json()["error"]["fields"] == {"parent_id": "unknown"}


def test_edit_with_token_rerenders_and_marks_edited(api: Api) -> None:
    data = api.comment("before")
    cid, token = data["comment"]["id"], data["edit_token"]
    response = api.send("PATCH", f"/api/v1/comments/{cid}", token, json={"body": "*after*"})
    assert response.status_code == 200
    assert response.get_json()["html"] == "<p><em>after</em></p>\n"
    assert response.get_json()["edited_at"] is not None
    assert api.get(f"/api/v1/comments/{cid}").get_json()["html"] == "<p><em>after</em></p>\n"


def test_edit_needs_the_right_token(api: Api) -> None:
    cid = api.comment("mine")["comment"]["id"]
    other_token = api.comment("other")["edit_token"]
    missing = api.send("PATCH", f"/api/v1/comments/{cid}", json={"body": "x"})
    assert missing.status_code == 401
    wrong = api.send("PATCH", f"/api/v1/comments/{cid}", other_token, json={"body": "x"})
    assert wrong.status_code == 403
    assert api.get(f"/api/v1/comments/{cid}").get_json()["html"] == "<p>mine</p>\n"


def test_edit_window_closes(app: Flask, api: Api) -> None:
    data = api.comment("old")
    with app.app_context():
        stored = db.session.get(Comment, data["comment"]["id"])
        assert stored is not None
        stored.created_at -= timedelta(minutes=16)
        db.session.commit()
    response = api.send(
        "PATCH", f"/api/v1/comments/{data['comment']['id']}", data["edit_token"], json={"body": "x"}
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "edit_window_closed"


def test_edit_window_is_a_setting(app: Flask, api: Api) -> None:
    config = app.extensions["comments.settings"]
    app.extensions["comments.settings"] = dataclasses.replace(config, EDIT_WINDOW_SECONDS=0)
    data = api.comment("quick")
    response = api.send("DELETE", f"/api/v1/comments/{data['comment']['id']}", data["edit_token"])
    assert response.status_code == 409


def test_delete_without_replies_disappears(api: Api) -> None:
    data = api.comment("bye")
    cid = data["comment"]["id"]
    assert api.send("DELETE", f"/api/v1/comments/{cid}", data["edit_token"]).status_code == 204
    thread = api.thread().get_json()
    assert thread["comments"] == []
    assert thread["thread"]["comment_count"] == 0
    assert api.get(f"/api/v1/comments/{cid}").status_code == 404


def test_delete_with_replies_leaves_a_placeholder(app: Flask, api: Api) -> None:
    data = api.comment("parent text", author_name="Parent Author")
    cid = data["comment"]["id"]
    child = Api(api.client, "198.51.100.1").comment("child", parent_id=cid)["comment"]["id"]
    assert api.send("DELETE", f"/api/v1/comments/{cid}", data["edit_token"]).status_code == 204
    thread = api.thread().get_json()
    placeholder = thread["comments"][0]
    assert placeholder["deleted"] is True
    assert placeholder["author"] is None and placeholder["html"] == ""
    assert [r["id"] for r in placeholder["replies"]] == [child]
    assert thread["thread"]["comment_count"] == 1
    assert "parent text" not in str(thread) and "Parent Author" not in str(thread)
    with app.app_context():
        stored = db.session.get(Comment, cid)
        assert stored is not None and stored.body == "" and stored.author_name == ""


def test_placeholder_goes_when_its_last_reply_goes(api: Api) -> None:
    parent = api.comment("parent")
    child_api = Api(api.client, "198.51.100.1")
    child = child_api.comment("child", parent_id=parent["comment"]["id"])
    api.send("DELETE", f"/api/v1/comments/{parent['comment']['id']}", parent["edit_token"])
    assert len(api.thread().get_json()["comments"]) == 1
    child_api.send("DELETE", f"/api/v1/comments/{child['comment']['id']}", child["edit_token"])
    assert api.thread().get_json()["comments"] == []


def test_votes_are_one_per_voter_changeable_and_withdrawable(api: Api) -> None:
    cid = api.comment("vote on me")["comment"]["id"]
    alice, bob = Api(api.client, "198.51.100.1"), Api(api.client, "198.51.100.2")
    assert alice.vote(cid, 1).get_json() == {"likes": 1, "dislikes": 0, "score": 1}
    assert alice.vote(cid, 1).get_json() == {"likes": 1, "dislikes": 0, "score": 1}
    assert bob.vote(cid, -1).get_json() == {"likes": 1, "dislikes": 1, "score": 0}
    assert alice.vote(cid, -1).get_json() == {"likes": 0, "dislikes": 2, "score": -2}
    assert bob.vote(cid, 0).get_json() == {"likes": 0, "dislikes": 1, "score": -1}
    shown = api.get(f"/api/v1/comments/{cid}").get_json()
    assert (shown["likes"], shown["dislikes"], shown["score"]) == (0, 1, -1)


def test_no_voting_on_your_own_comment(api: Api) -> None:
    cid = api.comment("mine")["comment"]["id"]
    response = api.vote(cid, 1)
    assert response.status_code == 403
    assert api.get(f"/api/v1/comments/{cid}").get_json()["likes"] == 0


@pytest.mark.parametrize("value", [2, "1", None, True, 1.0])
def test_vote_values_are_checked(api: Api, value: Any) -> None:
    cid = api.comment("x")["comment"]["id"]
    response = Api(api.client, "198.51.100.1").vote(cid, value)
    assert response.status_code == 422
    assert "value" in response.get_json()["error"]["fields"]


def test_reports_are_one_per_reporter(api: Api) -> None:
    cid = api.comment("report me")["comment"]["id"]
    reader = Api(api.client, "198.51.100.1")
    first = reader.report(cid, "abuse", note="insults another reader")
    assert first.status_code == 202
    again = reader.report(cid, "spam")
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "already_reported"
    assert Api(api.client, "198.51.100.2").report(cid, "off_topic").status_code == 202


def test_report_reason_is_checked(api: Api) -> None:
    cid = api.comment("x")["comment"]["id"]
    response = api.report(cid, "because")
    assert response.status_code == 422
    assert "reason" in response.get_json()["error"]["fields"]


def test_counts_for_many_uris(api: Api) -> None:
    api.comment("a", uri="/one")
    api.comment("b", uri="/one")
    api.comment("c", uri="/two")
    response = api.client.get(
        "/api/v1/counts",
        query_string=[("site", "news"), ("uri", "/one"), ("uri", "/two"), ("uri", "/none")],
    )
    assert response.get_json() == {"counts": {"/one": 2, "/two": 1, "/none": 0}}


def test_counts_refuse_more_than_100_uris(api: Api) -> None:
    query = [("site", "news")] + [("uri", f"/p{i}") for i in range(101)]
    response = api.client.get("/api/v1/counts", query_string=query)
    assert response.status_code == 400


def test_preview_renders_without_storing(app: Flask, api: Api) -> None:
    response = api.send("POST", "/api/v1/preview", json={"body": "<script>x</script>\n\n**hi**"})
    assert response.status_code == 200
    assert "<script" not in response.get_json()["html"]
    assert "<strong>hi</strong>" in response.get_json()["html"]
    with app.app_context():
        assert db.session.query(Comment).count() == 0
