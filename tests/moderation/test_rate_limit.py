"""The sign-in form's rate limit, with limits switched on for this module's apps."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from comments.config import FIELDS
from tests.moderation.helpers import PASSWORD, csrf, post_form


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """The suite switches rate limits off; these tests are about them."""
    if "RATE_LIMITS_ENABLED" in FIELDS:
        return {**app_config, "RATE_LIMITS_ENABLED": True}
    return app_config


def test_more_than_ten_sign_ins_a_minute_are_refused(app: Flask, client: FlaskClient) -> None:
    token = csrf(client, "/mod/login")
    responses = [
        post_form(
            client,
            "/mod/login",
            {"email": "x@example.org", "password": "wrong password"},
            page="/mod/login",
            token=token,
        )
        for _ in range(11)
    ]
    assert [r.status_code for r in responses[:10]] == [401] * 10
    refused = responses[10]
    assert refused.status_code == 429
    assert refused.mimetype == "text/html"
    assert int(refused.headers["Retry-After"]) > 0
    # Another address is not affected.
    other = client.post(
        "/mod/login",
        data={"csrf_token": token, "email": "x@example.org", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "192.0.2.99"},
    )
    assert other.status_code == 401
