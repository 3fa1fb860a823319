"""The Atom feeds: the documents' required parts, which comments they carry, bad requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from comments.extensions import db
from comments.models import Comment, CommentStatus, Site, Thread
from comments.services.demo import DEMO_SITE
from comments.services.moderation import Action
from tests.factories import DEFAULT_URI, Api, make_site
from tests.feeds.conftest import PUBLIC_URL, A, Feed, get_feed, read_feed, text_of
from tests.moderation.helpers import premoderate

THREAD_FEED = "/feeds/news/thread.atom"
PAGE_URL = "https://news.example/2026/11/story"


def thread_feed(client: FlaskClient, uri: str = DEFAULT_URI, **params: Any) -> Feed:
    return get_feed(client, THREAD_FEED, query_string={"uri": uri, **params})


def rfc3339(value: str) -> datetime:
    assert value.endswith("Z"), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def approved_ids(app: Flask, site: str = "news", uri: str | None = None) -> list[int]:
    """The approved comments in the database, newest first (what a feed must list)."""
    with app.app_context():
        query = (
            select(Comment.id)
            .join(Thread, Thread.id == Comment.thread_id)
            .join(Site, Site.id == Thread.site_id)
            .where(Site.slug == site, Comment.status == CommentStatus.APPROVED)
            .order_by(Comment.created_at.desc(), Comment.id.desc())
        )
        if uri is not None:
            query = query.where(Thread.key == uri)
        return list(db.session.execute(query).scalars())


def test_a_thread_feed_has_every_required_atom_element(client: FlaskClient, api: Api) -> None:
    first = api.comment(
        "First <em>words</em>",
        author_name="Ada",
        author_email="ada@private.example",
        title="A story",
        url=PAGE_URL,
    )["comment"]
    second = api.comment("A reply", parent_id=first["id"], author_name="Bo")["comment"]
    feed = thread_feed(client)

    root = feed.root
    assert root.tag == f"{A}feed"
    assert text_of(root, "id").startswith("tag:comments.example,")
    assert text_of(root, "title") == "Comments on A story · News"
    assert rfc3339(text_of(root, "updated"))
    self_link = feed.link("self")
    assert self_link.startswith(PUBLIC_URL + "/feeds/news/thread.atom?")
    assert parse_qs(urlsplit(self_link).query) == {"uri": [DEFAULT_URI]}
    assert feed.link("alternate") == PAGE_URL
    # Every element is in the Atom namespace: nothing unqualified, nothing foreign.
    assert all(el.tag.startswith(A) for el in root.iter())

    assert feed.ids() == [second["id"], first["id"]]
    entry = feed.entries()[1]
    assert text_of(entry, "title") == "Ada on A story"
    author = entry.find(f"{A}author")
    assert author is not None and text_of(author, "name") == "Ada"
    assert rfc3339(text_of(entry, "published")) == rfc3339(text_of(entry, "updated"))
    assert feed.link("alternate", entry) == f"{PAGE_URL}#comment-{first['id']}"
    content = entry.find(f"{A}content")
    assert content is not None and content.get("type") == "html"
    assert content.text == first["html"]
    assert b"ada@private.example" not in feed.raw

    # feedparser reads the same things.
    parsed = feed.parsed
    assert parsed.feed.title == "Comments on A story · News"
    assert [e.author for e in parsed.entries] == ["Bo", "Ada"]
    assert parsed.entries[1].link == f"{PAGE_URL}#comment-{first['id']}"
    assert parsed.entries[1].content[0].type == "text/html"


def test_the_site_feed_lists_the_sites_latest_approved_comments_across_threads(
    app: Flask, client: FlaskClient, api: Api
) -> None:
    for n in range(3):
        api.comment(f"On page {n}", uri=f"/page/{n}", title=f"Page {n}")
    api.comment("Again on page 0", uri="/page/0")
    feed = get_feed(client, "/feeds/news.atom")

    assert feed.ids() == approved_ids(app)
    assert len(feed.ids()) == 4
    assert text_of(feed.root, "title") == "Latest comments on News"
    assert feed.link("self") == PUBLIC_URL + "/feeds/news.atom"
    assert [e.title for e in feed.parsed.entries][-1] == "Anonymous on Page 0"
    # Without a page URL an entry links to our own thread page, under PUBLIC_URL.
    link = urlsplit(feed.link("alternate", feed.entries()[0]))
    assert f"{link.scheme}://{link.netloc}{link.path}" == PUBLIC_URL + "/embed/news/thread"
    assert parse_qs(link.query) == {"uri": ["/page/0"]}
    assert link.fragment == f"comment-{feed.ids()[0]}"
    # The id of a feed and of its entries stay the same from one read to the next.
    again = get_feed(client, "/feeds/news.atom")
    assert text_of(again.root, "id") == text_of(feed.root, "id")
    assert [text_of(e, "id") for e in again.entries()] == [text_of(e, "id") for e in feed.entries()]


def test_only_approved_comments_ever_appear(
    app: Flask, client: FlaskClient, api: Api, decide: Any
) -> None:
    def post(body: str, **fields: Any) -> int:
        return int(api.comment(body, **fields)["comment"]["id"])

    kept = post("Approved and shown")
    placeholder = post("Hidden, but a reply keeps its place")
    reply_under_placeholder = post("A reply under the placeholder", parent_id=placeholder)
    hidden = post("Hidden")
    spam = post("Spam")
    deleted_with_reply = post("Deleted for good, with a reply")
    reply_under_deleted = post("A reply under the deleted one", parent_id=deleted_with_reply)
    deleted_for_good = post("Deleted for good")
    by_author = api.comment("Deleted by its author")
    reported = post("Reported three times")
    decide(placeholder, Action.HIDE)
    decide(hidden, Action.HIDE)
    decide(spam, Action.SPAM)
    decide(deleted_with_reply, Action.DELETE)
    decide(deleted_for_good, Action.DELETE)
    response = api.send(
        "DELETE", f"/api/v1/comments/{by_author['comment']['id']}", token=by_author["edit_token"]
    )
    assert response.status_code == 204
    for n in range(3):  # the default threshold takes it back to pending
        assert Api(client, f"198.51.100.{n + 1}").report(reported).status_code == 202
    premoderate(app)
    pending = api.comment("Held for review")
    assert pending["status"] == "pending"
    # The placeholders are still shown to readers, so this is a real test of the feed.
    shown = [c["id"] for c in api.thread().get_json()["comments"]]
    assert placeholder in shown and deleted_with_reply in shown

    withheld = [
        "Hidden, but a reply keeps its place",
        "Hidden",
        "Spam",
        "Deleted for good",
        "Deleted by its author",
        "Reported three times",
        "Held for review",
    ]
    expected = [reply_under_deleted, reply_under_placeholder, kept]
    assert approved_ids(app) == expected
    for feed in (get_feed(client, "/feeds/news.atom"), thread_feed(client)):
        assert feed.ids() == expected
        for text in withheld:
            assert text.encode() not in feed.raw, text


def test_another_sites_comments_never_appear(
    app: Flask, client: FlaskClient, api: Api, other: str
) -> None:
    mine = api.comment("On the news site")["comment"]["id"]
    # The same page key on another site is another thread.
    api.comment("On the other site", site="other")
    api.comment("Elsewhere on the other site", site="other", uri="/other/page")
    assert get_feed(client, "/feeds/news.atom").ids() == [mine]
    assert thread_feed(client).ids() == [mine]
    assert len(get_feed(client, "/feeds/other.atom").ids()) == 2
    assert b"news site" not in get_feed(client, "/feeds/other.atom").raw


def test_an_edit_changes_updated_but_not_the_id_or_published(client: FlaskClient, api: Api) -> None:
    posted = api.comment("Before the edit")
    before = thread_feed(client).entries()[0]
    response = api.send(
        "PATCH",
        f"/api/v1/comments/{posted['comment']['id']}",
        token=posted["edit_token"],
        json={"body": "After the edit"},
    )
    assert response.status_code == 200
    after = thread_feed(client).entries()[0]
    assert text_of(after, "id") == text_of(before, "id")
    assert text_of(after, "published") == text_of(before, "published")
    assert rfc3339(text_of(after, "updated")) >= rfc3339(text_of(before, "updated"))
    assert "After the edit" in text_of(after, "content")


def test_empty_feeds_are_valid_and_dated_by_creation(
    app: Flask, client: FlaskClient, api: Api
) -> None:
    site_feed = get_feed(client, "/feeds/news.atom")
    assert site_feed.ids() == []
    with app.app_context():
        site = db.session.execute(select(Site).where(Site.slug == "news")).scalar_one()
        site_created = site.created_at
    assert abs((rfc3339(text_of(site_feed.root, "updated")) - site_created).total_seconds()) < 1

    premoderate(app)
    api.comment("Waiting")
    feed = thread_feed(client)
    assert feed.ids() == []
    with app.app_context():
        thread = db.session.execute(select(Thread)).scalar_one()
        assert abs((rfc3339(text_of(feed.root, "updated")) - thread.created_at).total_seconds()) < 1


@pytest.fixture
def small_feeds(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["FEED_SIZE"] = 3
    return app_config


def test_the_limit_is_bounded_by_feed_size(
    small_feeds: dict[str, Any], app: Flask, client: FlaskClient, api: Api
) -> None:
    for n in range(5):
        api.comment(f"Comment {n}")
    newest = approved_ids(app)
    assert len(get_feed(client, "/feeds/news.atom").ids()) == 3
    assert get_feed(client, "/feeds/news.atom?limit=2").ids() == newest[:2]
    assert thread_feed(client, limit="1").ids() == newest[:1]
    assert get_feed(client, "/feeds/news.atom?limit=1000").ids() == newest[:3]
    assert thread_feed(client, limit="999999").ids() == newest[:3]


@pytest.mark.parametrize("limit", ["", "0", "-1", "abc", "1.5", "2e3", "٣", "9" * 40, " "])
def test_a_bad_limit_is_a_400(client: FlaskClient, api: Api, limit: str) -> None:
    api.comment("Hello")
    for response in (
        client.get("/feeds/news.atom", query_string={"limit": limit}),
        client.get(THREAD_FEED, query_string={"uri": DEFAULT_URI, "limit": limit}),
    ):
        assert response.status_code == 400, (limit, response.status_code)
        assert response.mimetype == "text/plain"
        assert "limit" in response.text


@pytest.mark.parametrize(
    ("url", "query", "status"),
    [
        ("/feeds/nosuchsite.atom", {}, 404),
        ("/feeds/NEWS.atom", {}, 404),
        ("/feeds/news%00.atom", {}, 404),
        ("/feeds/nosuchsite/thread.atom", {"uri": DEFAULT_URI}, 404),
        (THREAD_FEED, {"uri": "/no/such/page"}, 404),
        (THREAD_FEED, {}, 400),
        (THREAD_FEED, {"uri": ""}, 400),
        (THREAD_FEED, {"uri": "   "}, 400),
        (THREAD_FEED, {"uri": "/bad\x01uri"}, 400),
        (THREAD_FEED, {"uri": "/" + "x" * 2000}, 400),
        # Bytes that are not UTF-8 arrive replaced (U+FFFD): just an unknown thread.
        (THREAD_FEED + "?uri=%2Fbad%FF%ED%B3%BF", {}, 404),
    ],
)
def test_unknown_and_missing_things_get_a_small_plain_error(
    client: FlaskClient, api: Api, url: str, query: dict[str, str], status: int
) -> None:
    api.comment("Hello")
    response = client.get(url, query_string=query or None)
    assert response.status_code == status, response.text
    assert response.mimetype == "text/plain"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Traceback" not in response.text and len(response.text) < 300


def test_the_thread_page_and_the_demo_article_point_to_their_feeds(
    app: Flask, client: FlaskClient, api: Api
) -> None:
    api.comment("Hello")
    page = client.get("/embed/news/thread", query_string={"uri": DEFAULT_URI})
    assert page.status_code == 200
    assert 'rel="alternate" type="application/atom+xml"' in page.text
    href = page.text.split('type="application/atom+xml"', 1)[1].split('href="', 1)[1]
    href = href.split('"', 1)[0].replace("&amp;", "&")
    feed = read_feed(client.get(href))
    assert len(feed.ids()) == 1

    make_site(app, DEMO_SITE, ("http://127.0.0.1:8000",))
    article = client.get("/", base_url="http://comments.example")
    assert article.status_code == 200
    assert 'type="application/atom+xml"' in article.text
    assert f"/feeds/{DEMO_SITE}/thread.atom?uri=" in article.text
