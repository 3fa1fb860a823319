"""Fixtures and readers for the Atom feed tests: every feed is parsed twice, strictly."""

from __future__ import annotations

import dataclasses
import re
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
import feedparser
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from comments.models import Role
from comments.services import accounts
from comments.services.moderation import Action, moderate
from tests.factories import Api, make_site
from tests.moderation.helpers import add_moderator

ATOM_NS = "http://www.w3.org/2005/Atom"
A = "{" + ATOM_NS + "}"
PUBLIC_URL = "https://comments.example"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
_COMMENT_ID = re.compile(r"^tag:comments\.example,\d{4}-\d{2}-\d{2}:comment-(\d+)$")


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "PUBLIC_URL": PUBLIC_URL + "/", "FEED_SIZE": 50}


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
def decide(app: Flask, news: str) -> Any:
    """Take a moderator's decision on a comment (through the moderation service)."""
    add_moderator(app, "admin@example.org", Role.ADMIN, ())

    def act(comment_id: int, action: Action) -> None:
        with app.app_context():
            moderate(accounts.get_by_email("admin@example.org"), comment_id, action)

    return act


@dataclasses.dataclass
class Feed:
    """One feed document, as ElementTree and as feedparser read it."""

    raw: bytes
    root: Element
    parsed: Any

    def entries(self) -> list[Element]:
        return self.root.findall(f"{A}entry")

    def ids(self) -> list[int]:
        """The comment ids of the entries, in document order."""
        found = []
        for entry in self.entries():
            match = _COMMENT_ID.match(text_of(entry, "id"))
            assert match, text_of(entry, "id")
            found.append(int(match.group(1)))
        return found

    def link(self, rel: str, element: Element | None = None) -> str:
        links = [
            x
            for x in (self.root if element is None else element).findall(f"{A}link")
            if x.get("rel") == rel
        ]
        assert len(links) == 1, (rel, links)
        return links[0].get("href") or ""


def text_of(element: Element, name: str) -> str:
    found = element.find(f"{A}{name}")
    assert found is not None, f"no <{name}> in <{element.tag}>"
    return found.text or ""


def read_feed(response: TestResponse) -> Feed:
    """Check the response is a well-formed Atom 1.0 feed and return it, parsed both ways."""
    assert response.status_code == 200, (response.status_code, response.text)
    assert response.headers["Content-Type"] == ATOM_TYPE
    raw = response.data
    root = SafeET.fromstring(raw)  # raises on anything that is not well-formed XML
    assert root.tag == f"{A}feed"
    parsed = feedparser.parse(raw)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return Feed(raw, root, parsed)


def get_feed(client: FlaskClient, url: str, **kwargs: Any) -> Feed:
    return read_feed(client.get(url, **kwargs))
