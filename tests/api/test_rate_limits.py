"""Rate limits per site and client: a 429 with Retry-After and the JSON error body."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from comments.services import limits
from tests.factories import Api, make_site


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "RATE_LIMITS_ENABLED": True}


@pytest.fixture
def api(app: Flask, client: FlaskClient) -> Api:
    make_site(app)
    make_site(app, "other")
    with app.app_context():
        limits.update_limits(
            "news",
            {
                "posts_per_minute": 3,
                "votes_per_minute": 2,
                "reports_per_hour": 1,
                "previews_per_minute": 2,
            },
        )
    return Api(client)


def test_posting_past_the_limit_is_429_with_retry_after(api: Api) -> None:
    for i in range(3):
        assert api.post(f"comment {i}").status_code == 201
    response = api.post("one too many")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    error = response.get_json()["error"]
    assert error["code"] == "rate_limited" and error["message"]
    assert len(api.thread().get_json()["comments"]) == 3


def test_limits_are_per_client(api: Api) -> None:
    for i in range(3):
        api.post(f"comment {i}")
    assert api.post("blocked").status_code == 429
    assert Api(api.client, "198.51.100.200").post("another reader").status_code == 201


def test_limits_are_per_site(api: Api) -> None:
    for i in range(3):
        api.post(f"comment {i}")
    assert api.post("blocked").status_code == 429
    assert api.post("elsewhere", site="other").status_code == 201


def test_votes_reports_and_previews_are_limited(api: Api) -> None:
    ids = [Api(api.client, f"198.51.100.{i}").comment(f"c{i}")["comment"]["id"] for i in range(3)]
    assert [api.vote(i, 1).status_code for i in ids] == [200, 200, 429]
    assert [api.report(i).status_code for i in ids[:2]] == [202, 429]
    preview = {"body": "x", "site": "news"}
    codes = [api.send("POST", "/api/v1/preview", json=preview).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_site_limits_are_validated(app: Flask, api: Api) -> None:
    from comments.errors import ValidationFailed

    with app.app_context(), pytest.raises(ValidationFailed) as caught:
        limits.update_limits("news", {"posts_per_minute": 0, "nonsense": 5})
    assert set(caught.value.fields) == {"posts_per_minute", "nonsense"}
