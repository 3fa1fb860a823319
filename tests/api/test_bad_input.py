"""Bad input always gets a 4xx JSON error naming the problem, never a 500, and loses nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import Api, make_site


@pytest.fixture
def api(app: Flask, client: FlaskClient) -> Api:
    make_site(app)
    return Api(client)


def assert_error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["message"]
    if field:
        assert field in error["fields"], error
    return dict(error)


def test_writes_need_json_content_type(client: FlaskClient, api: Api) -> None:
    response = client.post(
        "/api/v1/comments",
        data="site=news&uri=/x&body=hi",
        content_type="application/x-www-form-urlencoded",
    )
    assert_error(response, 415)
    response = client.post("/api/v1/comments", data='{"site": "news"}', content_type="text/plain")
    assert_error(response, 415)


@pytest.mark.parametrize(
    "raw",
    [b"{", b"not json", b"[]", b'"text"', b"null", b"\xff\xfe\x00", b"[" * 5000 + b"]" * 5000],
    ids=["truncated", "garbage", "array", "string", "null", "invalid-utf8", "deep-nesting"],
)
def test_malformed_bodies_are_400(client: FlaskClient, api: Api, raw: bytes) -> None:
    response = client.post("/api/v1/comments", data=raw, content_type="application/json")
    assert_error(response, 400)


def test_huge_body_is_413_before_parsing(client: FlaskClient, api: Api) -> None:
    response = client.post(
        "/api/v1/comments",
        data=b'{"body": "' + b"x" * 200_000 + b'"}',
        content_type="application/json",
    )
    assert_error(response, 413)


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"site": 5}, "site"),
        ({"uri": ["/x"]}, "uri"),
        ({"body": None}, "body"),
        ({"body": {"text": "x"}}, "body"),
        ({"body": ""}, "body"),
        ({"body": "   \n  "}, "body"),
        ({"body": "x" * 10_001}, "body"),
        ({"body": "nul \x00 byte"}, "body"),
        ({"body": "lone \ud800 surrogate"}, "body"),
        ({"parent_id": "1"}, "parent_id"),
        ({"parent_id": 1.5}, "parent_id"),
        ({"parent_id": True}, "parent_id"),
        ({"parent_id": 10**30}, "parent_id"),
        ({"author_name": "n" * 65}, "author_name"),
        ({"author_name": 7}, "author_name"),
        ({"author_email": "not-an-email"}, "author_email"),
        ({"author_url": "javascript:alert(1)"}, "author_url"),
        ({"author_url": "ftp://files.example"}, "author_url"),
        ({"url": "data:text/html,x"}, "url"),
        ({"title": "t" * 301}, "title"),
        ({"uri": ""}, "uri"),
        ({"uri": "/x\n/y"}, "uri"),
    ],
)
def test_invalid_fields_are_422_naming_the_field(
    api: Api, fields: dict[str, Any], bad: str
) -> None:
    assert_error(api.post(**{"body": "ok", **fields}), 422, bad)
    assert api.thread().get_json()["comments"] == []


def test_missing_required_fields(client: FlaskClient, api: Api) -> None:
    error = assert_error(client.post("/api/v1/comments", json={}), 422)
    assert error["fields"]


def test_unknown_fields_are_ignored_never_assigned(app: Flask, api: Api) -> None:
    data = api.comment("x", status="spam", likes=99, id=5000, ip_hash="mine", author_key="x")
    comment = data["comment"]
    assert comment["status"] == "approved" and comment["likes"] == 0 and comment["id"] != 5000


def test_names_are_normalised(api: Api) -> None:
    name = "\u202eevil\u200b Ｎａｍｅ\u0007"
    assert api.comment("x", author_name=name)["comment"]["author"]["name"] == "evil Name"


def test_four_byte_emoji_round_trips_exactly(api: Api) -> None:
    body = "Flags 🇺🇦🇰🇵 and 🧑🏽‍🚀 astronaut, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢"
    cid = api.comment(body, author_name="Zoë 🦊")["comment"]["id"]
    shown = api.get(f"/api/v1/comments/{cid}").get_json()
    assert shown["html"] == f"<p>{body}</p>\n"
    assert shown["author"]["name"] == "Zoë 🦊"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/comments/0",
        "/api/v1/comments/999999",
        "/api/v1/comments/99999999999999999999999",
        "/api/v1/comments/abc",
        "/api/v1/comments/-1",
        "/api/v1/nothing-here",
    ],
)
def test_unknown_ids_and_paths_are_json_404(api: Api, path: str) -> None:
    assert_error(api.get(path), 404)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "random"}, "sort"),
        ({"limit": "0"}, "limit"),
        ({"limit": "-5"}, "limit"),
        ({"limit": "1000000000000"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "!!!"}, "cursor"),
        ({"cursor": "eyJrIjoicGFnZSJ9"}, "cursor"),
        ({"cursor": "eyJrIjoicGFnZSIsInMiOiJvbGRlc3QiLCJpZCI6dHJ1ZSwic2NvcmUiOjB9"}, "cursor"),
    ],
)
def test_bad_query_parameters_are_400(api: Api, params: dict[str, str], field: str) -> None:
    api.comment("x")
    assert_error(api.thread(**params), 400, field)


def test_thread_read_needs_site_and_uri(client: FlaskClient, api: Api) -> None:
    assert_error(client.get("/api/v1/threads?site=news"), 400, "uri")
    assert_error(client.get("/api/v1/threads?uri=/x"), 400, "site")


def test_wrong_method_is_json_405(api: Api) -> None:
    assert_error(api.send("PUT", "/api/v1/comments"), 405)


def test_parent_cycle_cannot_be_made(api: Api) -> None:
    """A comment's parent is fixed at posting, and must already exist: no cycles."""
    cid = api.comment("a")["comment"]["id"]
    response = api.send(
        "PATCH", f"/api/v1/comments/{cid}", "x", json={"parent_id": cid, "body": "b"}
    )
    assert response.status_code == 403
    assert_error(api.post("self", parent_id=cid + 1), 404, "parent_id")
