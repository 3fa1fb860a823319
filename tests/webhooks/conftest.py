"""Fixtures for webhooks: a real HTTP receiver on 127.0.0.1, a site, an admin and a reader.

The app allows private addresses here (WEBHOOKS_ALLOW_PRIVATE), because that is the only way
to reach a receiver on loopback; the SSRF tests switch it off again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from comments.models import Role
from comments.services import accounts
from tests.factories import Api, make_site
from tests.moderation.helpers import Mod, add_moderator
from tests.webhooks.helpers import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "WEBHOOKS_ALLOW_PRIVATE": True, "WEBHOOK_TIMEOUT_SECONDS": 5}


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sign-in still checks the password; only the hash's cost is lowered."""

    def cheap(password: str, method: str = "", **_: Any) -> str:
        return generate_password_hash(password, method="pbkdf2:sha256:1")

    monkeypatch.setattr(accounts, "generate_password_hash", cheap)


@pytest.fixture
def news(app: Flask) -> str:
    make_site(app, "news", ("https://news.example",))
    return "news"


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
    """A moderator (not an admin) of the news site."""
    add_moderator(app, "mod@example.org", Role.MODERATOR, ("news",))
    mod = Mod(app.test_client(), "mod@example.org")
    mod.sign_in()
    return mod
