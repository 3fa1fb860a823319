"""Driving the moderation pages like a browser: real forms, real CSRF tokens."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from comments.extensions import db
from comments.models import Comment, ModerationAction, Role
from comments.services import accounts, sites

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_moderator(
    app: Flask, email: str, role: Role = Role.MODERATOR, sites: tuple[str, ...] = ("news",)
) -> int:
    """Create an account through the accounts service; returns its id."""
    with app.app_context():
        moderator, _ = accounts.add_moderator(email, role, list(sites), PASSWORD)
        return moderator.id


def csrf(client: FlaskClient, url: str) -> str:
    """The CSRF token rendered into the page at ``url`` (as a browser would see it)."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    match = _TOKEN.search(response.get_data(as_text=True))
    assert match, f"no CSRF field on {url}"
    return match.group(1)


def post_form(
    client: FlaskClient,
    url: str,
    data: dict[str, Any] | None = None,
    *,
    page: str,
    token: str | None = None,
    **kwargs: Any,
) -> TestResponse:
    """POST ``data`` to ``url`` with the CSRF token read from ``page``."""
    fields = {"csrf_token": token if token is not None else csrf(client, page), **(data or {})}
    return client.post(url, data=fields, **kwargs)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> TestResponse:
    """Sign in through the login form; asserts it worked."""
    response = post_form(
        client, "/mod/login", {"email": email, "password": password}, page="/mod/login"
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


class Mod:
    """One signed-in moderator's browser."""

    def __init__(self, client: FlaskClient, email: str) -> None:
        self.client = client
        self.email = email

    def sign_in(self, password: str = PASSWORD) -> TestResponse:
        return sign_in(self.client, self.email, password)

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        return self.client.get(url, **kwargs)

    def text(self, url: str) -> str:
        response = self.client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response.get_data(as_text=True)

    def post(
        self, url: str, data: dict[str, Any] | None = None, page: str = "/mod/queue/all", **kw: Any
    ) -> TestResponse:
        return post_form(self.client, url, data, page=page, **kw)

    def flashes(self, response: TestResponse) -> str:
        """Follow a 303 back and return the page it lands on."""
        assert response.status_code == 303, (response.status_code, response.get_data(as_text=True))
        return self.text(response.headers["Location"])


def premoderate(app: Flask, slug: str = "news", **changes: Any) -> None:
    with app.app_context():
        sites.update_policy(slug, {"mode": "pre", **changes})


def status_of(app: Flask, comment_id: int) -> str | None:
    """The stored status, or None once the row is gone."""
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        return comment.status.value if comment else None


def log_of(app: Flask, comment_id: int | None = None) -> list[tuple[str, str | None, str | None]]:
    """(action, before, after) for every audit entry, oldest first."""
    with app.app_context():
        query = select(ModerationAction).order_by(ModerationAction.id)
        if comment_id is not None:
            query = query.where(ModerationAction.comment_id == comment_id)
        return [
            (e.action, e.status_before, e.status_after) for e in db.session.execute(query).scalars()
        ]


def comment_count(app: Flask) -> int:
    with app.app_context():
        return int(db.session.execute(select(func.count(Comment.id))).scalar_one())
