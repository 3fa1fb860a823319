"""Cross-origin access: exactly the site's listed origins, never a wildcard or credentials."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import Api, make_site

GOOD = "https://good.example"
LOOKALIKES = [
    "https://evil.example",
    "https://good.example.evil.com",
    "https://goodexample.com",
    "null",
    "http://good.example",
    "https://good.example:8443",
    "https://sub.good.example",
]


@pytest.fixture
def api(app: Flask, client: FlaskClient) -> Api:
    make_site(app, origins=(GOOD,))
    make_site(app, "other", origins=("https://other.example",))
    return Api(client)


def _thread(client: FlaskClient, origin: str, site: str = "news") -> dict[str, str]:
    response = client.get(
        "/api/v1/threads", query_string={"site": site, "uri": "/x"}, headers={"Origin": origin}
    )
    assert response.status_code == 200
    return dict(response.headers)


def test_the_listed_origin_is_allowed_exactly(api: Api, client: FlaskClient) -> None:
    headers = _thread(client, GOOD)
    assert headers["Access-Control-Allow-Origin"] == GOOD
    assert "Origin" in headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in headers


@pytest.mark.parametrize("origin", LOOKALIKES)
def test_lookalike_origins_are_refused(api: Api, client: FlaskClient, origin: str) -> None:
    headers = _thread(client, origin)
    assert "Access-Control-Allow-Origin" not in headers
    assert "Origin" in headers["Vary"]


def test_another_sites_origin_gets_nothing(api: Api, client: FlaskClient) -> None:
    assert "Access-Control-Allow-Origin" not in _thread(client, "https://other.example")
    assert _thread(client, "https://other.example", "other")["Access-Control-Allow-Origin"]


@pytest.mark.parametrize("origin", [GOOD, *LOOKALIKES])
def test_preflight(api: Api, client: FlaskClient, origin: str) -> None:
    response = client.options(
        "/api/v1/comments",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 204
    assert "Origin" in response.headers["Vary"]
    if origin == GOOD:
        assert response.headers["Access-Control-Allow-Origin"] == GOOD
        assert "POST" in response.headers["Access-Control-Allow-Methods"]
        assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]
    else:
        assert "Access-Control-Allow-Origin" not in response.headers
    assert response.headers.get("Access-Control-Allow-Origin") != "*"
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_comment_routes_follow_the_comments_site(api: Api, client: FlaskClient) -> None:
    cid = api.comment("hello")["comment"]["id"]
    mine = client.get(f"/api/v1/comments/{cid}", headers={"Origin": GOOD})
    assert mine.headers["Access-Control-Allow-Origin"] == GOOD
    theirs = client.get(f"/api/v1/comments/{cid}", headers={"Origin": "https://other.example"})
    assert "Access-Control-Allow-Origin" not in theirs.headers


def test_posting_from_the_listed_origin_gets_cors_headers(api: Api, client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/comments",
        json={"site": "news", "uri": "/x", "body": "from the widget"},
        headers={"Origin": GOOD},
    )
    assert response.status_code == 201
    assert response.headers["Access-Control-Allow-Origin"] == GOOD


def test_errors_carry_cors_headers_too(api: Api, client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/comments", json={"site": "news", "uri": "/x", "body": ""}, headers={"Origin": GOOD}
    )
    assert response.status_code == 422
    assert response.headers["Access-Control-Allow-Origin"] == GOOD


def test_moderation_api_allows_no_origin(api: Api, client: FlaskClient) -> None:
    response = client.options(
        "/api/v1/mod/queues",
        headers={"Origin": GOOD, "Access-Control-Request-Method": "GET"},
    )
    assert "Access-Control-Allow-Origin" not in response.headers
