"""Test data builders that go through the real services and the real HTTP API."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from comments.models import Site
from comments.services import sites

DEFAULT_SITE = "news"
DEFAULT_URI = "/2026/11/story"


def make_site(app: Flask, slug: str = DEFAULT_SITE, origins: tuple[str, ...] = ()) -> Site:
    with app.app_context():
        site = sites.add_site(slug, slug.title(), origins)
        site.id  # noqa: B018 - load attributes before the session closes
        return site


class Api:
    """A reader talking to /api/v1 from one client address."""

    def __init__(self, client: FlaskClient, address: str = "203.0.113.10") -> None:
        self.client = client
        self.address = address

    def _env(self) -> dict[str, Any]:
        return {"REMOTE_ADDR": self.address}

    def post(self, body: str = "Hello", **fields: Any) -> TestResponse:
        payload = {"site": DEFAULT_SITE, "uri": DEFAULT_URI, "body": body, **fields}
        return self.client.post("/api/v1/comments", json=payload, environ_base=self._env())

    def comment(self, body: str = "Hello", **fields: Any) -> dict[str, Any]:
        """Post and return the response JSON, failing loudly unless it was accepted."""
        response = self.post(body, **fields)
        assert response.status_code in (201, 202), response.get_json()
        data: dict[str, Any] = response.get_json()
        return data

    def thread(self, uri: str = DEFAULT_URI, **params: Any) -> TestResponse:
        query = {"site": DEFAULT_SITE, "uri": uri, **params}
        return self.client.get("/api/v1/threads", query_string=query, environ_base=self._env())

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(path, environ_base=self._env(), **kwargs)

    def send(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> TestResponse:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.client.open(
            path, method=method, headers=headers, environ_base=self._env(), **kwargs
        )

    def vote(self, comment_id: int, value: Any) -> TestResponse:
        return self.send("POST", f"/api/v1/comments/{comment_id}/votes", json={"value": value})

    def report(self, comment_id: int, reason: str = "spam", **fields: Any) -> TestResponse:
        return self.send(
            "POST", f"/api/v1/comments/{comment_id}/reports", json={"reason": reason, **fields}
        )
