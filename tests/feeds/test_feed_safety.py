"""Hostile and odd text never breaks a feed: it stays well-formed, and carries our HTML only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from comments.extensions import db
from comments.models import Comment, Site, Thread
from tests.factories import Api
from tests.feeds.conftest import A, get_feed, text_of
from tests.feeds.test_feed_caching import THREAD_FEED

CORPUS = json.loads(
    (Path(__file__).resolve().parents[1] / "data" / "xss-corpus.json").read_text("utf-8")
)
ATOM_ELEMENTS = {
    f"{A}{name}"
    for name in (
        "feed", "id", "title", "updated", "link", "entry", "author", "name", "published",
        "content",
    )
}  # fmt: skip
# Every character XML 1.0 cannot carry, even escaped (NUL aside: PostgreSQL cannot store it).
FORBIDDEN = "".join(chr(c) for c in range(1, 32) if chr(c) not in "\t\n\r") + "\ufffe\uffff"
# Allowed, if unusual: they must come through untouched.
ODD_BUT_FINE = "\t\x7f\x85\u200b\u202e\ud7ff\ue000\ufffd\U0001f600\U0010ffff"


def stored(app: Flask) -> dict[int, tuple[str, str, str]]:
    """(html, author name, thread title) of every comment, by id."""
    with app.app_context():
        rows = db.session.execute(
            select(Comment.id, Comment.html, Comment.author_name, Thread.title).join(
                Thread, Thread.id == Comment.thread_id
            )
        ).all()
        return {cid: (html, name, title) for cid, html, name, title in rows}


def without_forbidden(text: str) -> str:
    return "".join(ch for ch in text if ch not in FORBIDDEN)


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "FEED_SIZE": len(CORPUS) + 10}


def test_xss_payloads_in_bodies_names_and_titles_give_a_well_formed_feed(
    app: Flask, client: FlaskClient, api: Api
) -> None:
    accepted = 0
    for n, case in enumerate(CORPUS):
        payload = case["payload"]
        response = api.post(
            payload,
            uri=f"/xss/{n}",
            title=" ".join(payload.split())[:300],
            author_name=payload[:64],
        )
        if response.status_code == 201:
            accepted += 1
    assert accepted > len(CORPUS) * 0.9, accepted  # a real test, not a feed of refusals

    feed = get_feed(client, "/feeds/news.atom")
    assert len(feed.ids()) == accepted
    # Only Atom's own elements: no payload turned into markup in the document.
    assert {el.tag for el in feed.root.iter()} <= ATOM_ELEMENTS
    rows = stored(app)
    for entry, comment_id in zip(feed.entries(), feed.ids(), strict=True):
        html, name, title = rows[comment_id]
        content = entry.find(f"{A}content")
        assert content is not None and content.get("type") == "html"
        # Exactly the HTML our sanitiser stored, as text: nothing more, nothing less.
        assert (content.text or "") == without_forbidden(html), comment_id
        assert list(content) == []
        author = entry.find(f"{A}author")
        assert author is not None
        expected_name = " ".join(without_forbidden(name).split()) or "Anonymous"
        assert text_of(author, "name") == expected_name
        assert text_of(entry, "title").startswith(expected_name + " on ")
        assert " ".join(without_forbidden(title).split()) in text_of(entry, "title")


def test_control_characters_that_can_be_posted_never_break_the_feed(
    app: Flask, client: FlaskClient, api: Api
) -> None:
    odd = FORBIDDEN + ODD_BUT_FINE
    response = api.post(f"Body {odd} end", title=f"Title {odd}", author_name=f"Name {odd}")
    assert response.status_code == 201, response.get_json()
    for url in ("/feeds/news.atom", THREAD_FEED):
        feed = get_feed(client, url)
        assert len(feed.ids()) == 1
        for ch in FORBIDDEN:
            assert ch.encode() not in feed.raw, repr(ch)


def test_control_characters_planted_in_the_database_are_stripped(
    app: Flask, client: FlaskClient, api: Api
) -> None:
    """Stored values the input rules would never let in (a restored backup, an old import)."""
    comment_id = api.comment("Plain", url="https://news.example/page")["comment"]["id"]
    odd = FORBIDDEN + ODD_BUT_FINE
    with app.app_context():
        db.session.execute(
            update(Comment)
            .where(Comment.id == comment_id)
            .values(html=f"<p>a{odd}b &amp; ]]> <script>x</script></p>", author_name=f"N{odd}")
        )
        db.session.execute(
            update(Thread).values(title=f"T{odd}", url=f"https://news.example/p{odd}?a=1&b=2")
        )
        db.session.execute(update(Site).values(name=f"S{odd}"))
        db.session.commit()
    for url in ("/feeds/news.atom", THREAD_FEED):
        feed = get_feed(client, url)
        entry = feed.entries()[0]
        content = entry.find(f"{A}content")
        assert content is not None
        # Text, not markup: the planted <script> is characters inside <content>.
        assert content.text == f"<p>a{ODD_BUT_FINE}b &amp; ]]> <script>x</script></p>"
        assert list(content) == []
        link = feed.link("alternate", entry)
        assert link == f"https://news.example/p{ODD_BUT_FINE}?a=1&b=2#comment-{comment_id}"
        for ch in FORBIDDEN:
            assert ch.encode() not in feed.raw, repr(ch)
