"""The demo article page: the seeded discussion rendered on the server, safely."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from comments.demo_content import ARTICLE, ARTICLE_URI, COMMENTS
from comments.extensions import db
from comments.models import Comment, CommentStatus, Thread
from comments.services import demo
from tests.factories import Api, make_site

MIN_COMMENTS = 30
MIN_NESTING = 4


@dataclasses.dataclass
class PageShape:
    """What the parser saw: comment items, reply-list nesting and some element texts."""

    comment_ids: list[int] = dataclasses.field(default_factory=list)
    max_reply_nesting: int = 0
    texts: dict[str, str] = dataclasses.field(default_factory=dict)
    tags: set[str] = dataclasses.field(default_factory=set)
    attributes: set[str] = dataclasses.field(default_factory=set)
    hrefs: list[str] = dataclasses.field(default_factory=list)


class ShapeParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.shape = PageShape()
        self._ol_stack: list[bool] = []  # whether each open <ol> is a reply list
        self._capturing: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        classes = attributes.get("class", "").split()
        self.shape.tags.add(tag)
        self.shape.attributes.update(attributes)
        if "href" in attributes:
            self.shape.hrefs.append(attributes["href"])
        if tag == "ol":
            self._ol_stack.append({"cm-list", "cm-replies"} <= set(classes))
            nesting = sum(self._ol_stack)
            self.shape.max_reply_nesting = max(self.shape.max_reply_nesting, nesting)
        elif tag == "li" and "cm-item" in classes:
            element_id = attributes.get("id", "")
            assert element_id.startswith("comment-"), element_id
            self.shape.comment_ids.append(int(element_id.removeprefix("comment-")))
        if tag == "h1":
            self._capturing = "h1"
        elif tag == "p" and "byline" in classes:
            self._capturing = "byline"
        elif tag == "h2" and attributes.get("id") == "discussion-title":
            self._capturing = "discussion-title"

    def handle_endtag(self, tag: str) -> None:
        if tag == "ol" and self._ol_stack:
            self._ol_stack.pop()
        if self._capturing and tag in {"h1", "p", "h2"}:
            self._capturing = None

    def handle_data(self, data: str) -> None:
        if self._capturing:
            key = self._capturing
            self.shape.texts[key] = self.shape.texts.get(key, "") + data


def shape_of(response: TestResponse) -> PageShape:
    parser = ShapeParser()
    parser.feed(response.get_data(as_text=True))
    parser.close()
    return parser.shape


def normalise_space(text: str) -> str:
    return " ".join(text.split())


def assert_html_security_headers(response: TestResponse) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    assert csp, "HTML pages need a Content-Security-Policy"
    assert "'unsafe-inline'" not in csp
    assert "'unsafe-eval'" not in csp
    assert "script-src 'self'" in csp
    assert response.headers.get("X-Content-Type-Options") == "nosniff"


@pytest.fixture
def seeded(app: Flask) -> None:
    with app.app_context():
        assert demo.seed() is True


def test_demo_content_is_big_and_deep_enough() -> None:
    """The page assertions below rely on the content having this shape."""
    depth: dict[str, int] = {}
    for entry in COMMENTS:
        depth[entry["key"]] = depth[entry["parent"]] + 1 if entry["parent"] else 0
    assert len(COMMENTS) >= MIN_COMMENTS
    assert max(depth.values()) >= MIN_NESTING


def test_article_page_renders_the_seeded_discussion(
    app: Flask, client: FlaskClient, seeded: None
) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert page.lstrip().lower().startswith("<!doctype html>")
    shape = shape_of(response)

    assert normalise_space(shape.texts["h1"]) == ARTICLE["headline"]
    assert ARTICLE["byline"] in normalise_space(shape.texts["byline"])

    with app.app_context():
        thread = db.session.execute(select(Thread).where(Thread.key == ARTICLE_URI)).scalar_one()
        # What readers see: the published discussion, not the moderation queues' comments.
        published = (Comment.thread_id == thread.id) & (Comment.status == CommentStatus.APPROVED)
        stored_ids = set(db.session.execute(select(Comment.id).where(published)).scalars())
        deepest = db.session.execute(select(func.max(Comment.depth)).where(published)).scalar_one()
        first = (
            db.session.execute(
                select(Comment).where(Comment.thread_id == thread.id).order_by(Comment.id)
            )
            .scalars()
            .first()
        )
        assert first is not None
        first_id, first_author = first.id, first.author_name
        assert thread.comment_count == len(COMMENTS)

    assert len(shape.comment_ids) >= MIN_COMMENTS
    assert len(shape.comment_ids) == len(set(shape.comment_ids)), "a comment rendered twice"
    assert set(shape.comment_ids) == stored_ids
    assert f'id="comment-{first_id}"' in page
    assert shape.max_reply_nesting >= MIN_NESTING
    assert shape.max_reply_nesting == deepest
    assert normalise_space(shape.texts["discussion-title"]) == f"{len(COMMENTS)} comments"
    assert first_author in page

    # Every demo author shows up in the discussion.
    for entry in COMMENTS:
        assert entry["author"] in page

    assert_html_security_headers(response)


def test_article_page_serves_its_stylesheet(client: FlaskClient, seeded: None) -> None:
    shape = shape_of(client.get("/"))
    stylesheets = [h for h in shape.hrefs if h.endswith(".css")]
    assert stylesheets == ["/static/site.css"]
    with client.get(stylesheets[0]) as css:
        assert css.status_code == 200
        assert css.mimetype == "text/css"
        assert css.get_data()


def test_comment_html_on_the_page_is_sanitised(
    app: Flask, client: FlaskClient, seeded: None
) -> None:
    api = Api(client)
    hostile = (
        "Look <script>alert('x')</script> here "
        '<img src="x" onerror="alert(1)"> '
        '<a href="javascript:alert(2)" onclick="alert(3)">a</a>\n\n'
        "[link](javascript:alert(4)) <style>body{display:none}</style> "
        '<iframe src="https://evil.example"></iframe> marker-4711'
    )
    posted = api.comment(hostile, site=demo.DEMO_SITE, uri=ARTICLE_URI)
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    shape = shape_of(response)

    assert posted["comment"]["id"] in shape.comment_ids
    assert "marker-4711" in page
    # No active content anywhere on the page (the CSP also forbids inline script and style).
    assert not {"style", "iframe", "object", "embed"} & shape.tags
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", page, re.S | re.I)
    sources = [re.search(r'src="[^"]*/static/([^"]+)"', a)[1] for a, _ in scripts]  # type: ignore[index]
    assert sources == ["embed.js", "count.js"]
    assert all(not body.strip() for _, body in scripts)  # nothing inline
    assert not {a for a in shape.attributes if a.startswith("on")}
    assert "style" not in shape.attributes
    assert not [h for h in shape.hrefs if h.strip().lower().startswith("javascript:")]
    assert_html_security_headers(response)


def test_without_the_demo_site_the_welcome_page_is_shown(app: Flask, client: FlaskClient) -> None:
    make_site(app, "news")  # another site does not make the demo appear
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    shape = shape_of(response)
    assert normalise_space(shape.texts["h1"]) == "comments is running"
    assert shape.comment_ids == []
    assert ARTICLE["headline"] not in response.get_data(as_text=True)
    assert_html_security_headers(response)


def test_seeding_twice_adds_nothing(app: Flask, client: FlaskClient, seeded: None) -> None:
    with app.app_context():
        before = db.session.execute(select(func.count(Comment.id))).scalar_one()
        assert demo.seed() is False
        after = db.session.execute(select(func.count(Comment.id))).scalar_one()
    assert before == after
    assert len(shape_of(client.get("/")).comment_ids) == len(COMMENTS)
