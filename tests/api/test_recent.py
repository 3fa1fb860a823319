"""A site's latest comments: approved only, newest first, with their pages."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from comments.api import openapi
from comments.services import sites
from tests.api.test_openapi import validate_response
from tests.factories import Api, make_site


def test_recent_comments_are_the_sites_latest_approved(app: Flask, client: FlaskClient) -> None:
    make_site(app)
    make_site(app, "other")
    api = Api(client)
    first = api.comment("first", uri="/a", title="Page A")["comment"]["id"]
    second = api.comment("second", uri="/b")["comment"]["id"]
    api.comment("elsewhere", site="other")
    with app.app_context():
        sites.update_policy("news", {"mode": "pre"})
    api.post("held back", uri="/a")
    response = client.get("/api/v1/recent?site=news&limit=5")
    assert response.status_code == 200
    comments = response.get_json()["comments"]
    assert [c["id"] for c in comments] == [second, first]
    assert comments[1]["thread"] == {"uri": "/a", "title": "Page A", "url": ""}
    validate_response(openapi.document(), "get", "/recent", response)
    assert client.get("/api/v1/recent?site=news&limit=51").status_code == 400
    assert client.get("/api/v1/recent?site=nope").status_code == 404
