"""Fixtures for the moderation pages: two sites, an admin, a moderator of one site."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from comments.models import Role
from comments.services import accounts
from tests.factories import Api, make_site
from tests.moderation.helpers import Mod, add_moderator


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """scrypt costs ~0.1 s per hash and per check; these tests are about pages, not hashing.

    Sign-in still checks the password for real: check_password_hash reads the method from
    the stored hash.
    """

    def cheap(password: str, method: str = "", **_: Any) -> str:
        return generate_password_hash(password, method="pbkdf2:sha256:1")

    monkeypatch.setattr(accounts, "generate_password_hash", cheap)


@pytest.fixture
def news(app: Flask) -> str:
    make_site(app, "news", ("https://news.example",))
    return "news"


@pytest.fixture
def other(app: Flask) -> str:
    make_site(app, "other")
    return "other"


@pytest.fixture
def api(client: FlaskClient, news: str) -> Api:
    return Api(client)


@pytest.fixture
def admin(app: Flask, news: str) -> Mod:
    add_moderator(app, "admin@example.org", Role.ADMIN, ())
    mod = Mod(app.test_client(), "admin@example.org")
    mod.sign_in()
    return mod


@pytest.fixture
def mod(app: Flask, news: str) -> Mod:
    """A moderator of the news site only."""
    add_moderator(app, "mod@example.org", Role.MODERATOR, ("news",))
    mod = Mod(app.test_client(), "mod@example.org")
    mod.sign_in()
    return mod
