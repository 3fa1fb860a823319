"""Conditional GETs on the feeds (ETag, Last-Modified, 304) and the cost of building them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from werkzeug.http import http_date, parse_date
from werkzeug.test import TestResponse

from comments.extensions import db
from comments.services import feeds, sites, threads
from comments.services.moderation import Action
from tests.factories import DEFAULT_URI, Api
from tests.feeds.conftest import read_feed
from tests.moderation.helpers import premoderate
from tests.test_query_plans import assert_indexed

SITE_FEED = "/feeds/news.atom"
THREAD_FEED = "/feeds/news/thread.atom?" + urlencode({"uri": DEFAULT_URI})
FEEDS = (SITE_FEED, THREAD_FEED)


def fetch(client: FlaskClient, url: str, **headers: str) -> TestResponse:
    return client.get(url, headers={k.replace("_", "-"): v for k, v in headers.items()})


@pytest.mark.parametrize("url", FEEDS)
def test_a_feed_carries_validators_and_answers_them_with_304(
    client: FlaskClient, api: Api, url: str
) -> None:
    api.comment("Hello")
    first = fetch(client, url)
    read_feed(first)
    etag = first.headers["ETag"]
    modified = first.headers["Last-Modified"]
    assert etag.startswith('W/"') and len(etag) > 10
    assert parse_date(modified) is not None
    assert first.headers["Cache-Control"].startswith("public")

    same = fetch(client, url, If_None_Match=etag)
    assert same.status_code == 304 and same.data == b""
    assert same.headers["ETag"] == etag
    assert fetch(client, url, If_None_Match='W/"something-else"').status_code == 200
    assert fetch(client, url, If_None_Match="*").status_code == 304

    assert fetch(client, url, If_Modified_Since=modified).status_code == 304
    last = parse_date(modified)
    assert last is not None
    later = http_date(last + timedelta(days=1))
    assert fetch(client, url, If_Modified_Since=later).status_code == 304
    earlier = http_date(last - timedelta(seconds=1))
    older = fetch(client, url, If_Modified_Since=earlier)
    assert older.status_code == 200 and len(read_feed(older).ids()) == 1
    # A matching date does not win over an ETag that no longer matches.
    both = fetch(client, url, If_None_Match='W/"stale"', If_Modified_Since=modified)
    assert both.status_code == 200


@pytest.mark.parametrize("url", FEEDS)
def test_a_new_approved_comment_changes_the_etag(client: FlaskClient, api: Api, url: str) -> None:
    api.comment("First")
    before = fetch(client, url)
    api.comment("Second")
    after = fetch(client, url, If_None_Match=before.headers["ETag"])
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    assert len(read_feed(after).ids()) == 2
    new_date, old_date = (parse_date(r.headers["Last-Modified"]) for r in (after, before))
    assert new_date is not None and old_date is not None and new_date >= old_date


@pytest.mark.parametrize("url", FEEDS)
def test_edits_and_moderation_change_the_etag(
    client: FlaskClient, api: Api, decide: Any, url: str
) -> None:
    posted = api.comment("Original text")
    api.comment("Stays")
    etags = [fetch(client, url).headers["ETag"]]
    response = api.send(
        "PATCH",
        f"/api/v1/comments/{posted['comment']['id']}",
        token=posted["edit_token"],
        json={"body": "Edited text"},
    )
    assert response.status_code == 200
    etags.append(fetch(client, url).headers["ETag"])
    decide(posted["comment"]["id"], Action.HIDE)
    hidden = fetch(client, url, If_None_Match=etags[-1])
    assert hidden.status_code == 200
    assert read_feed(hidden).ids() == [posted["comment"]["id"] + 1]
    etags.append(hidden.headers["ETag"])
    assert len(set(etags)) == 3


def test_a_pending_comment_leaves_the_site_feed_as_it_was(
    app: Flask, client: FlaskClient, api: Api
) -> None:
    api.comment("Published", uri="/other/page")
    before = fetch(client, SITE_FEED)
    premoderate(app)
    api.comment("Held", uri="/yet/another/page")
    after = fetch(client, SITE_FEED, If_None_Match=before.headers["ETag"])
    # Nothing a reader of this feed can see changed, so the copy they have is still good.
    assert after.status_code == 304


def test_the_limit_and_public_url_are_part_of_the_etag(client: FlaskClient, api: Api) -> None:
    api.comment("One")
    api.comment("Two")
    full = fetch(client, SITE_FEED)
    short = fetch(client, SITE_FEED + "?limit=1")
    assert full.headers["ETag"] != short.headers["ETag"]
    assert len(read_feed(short).ids()) == 1
    stale = fetch(client, SITE_FEED + "?limit=1", If_None_Match=full.headers["ETag"])
    assert stale.status_code == 200


def test_a_repeat_read_of_a_thread_feed_costs_one_lookup(
    app: Flask, client: FlaskClient, api: Api
) -> None:
    for n in range(3):
        api.comment(f"Comment {n}")
    etag = fetch(client, THREAD_FEED).headers["ETag"]
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            assert fetch(client, THREAD_FEED, If_None_Match=etag).status_code == 304
            not_modified = list(statements)
            statements.clear()
            assert fetch(client, THREAD_FEED).status_code == 200  # from the payload cache
            cached_read = list(statements)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    selects = [s for s in not_modified if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2, selects  # the site, the thread: no comment is read
    assert not any("FROM comment" in s for s in not_modified + cached_read)


def test_the_feed_queries_use_indexes(
    app: Flask, client: FlaskClient, api: Api, other: str
) -> None:
    for uri in ("/a", "/b", "/c"):
        root = api.comment(f"root {uri}", uri=uri)["comment"]["id"]
        api.comment(f"reply {uri}", uri=uri, parent_id=root)
    api.comment("elsewhere", site="other", uri="/a")

    def read() -> None:
        site = sites.get_site("news")
        assert len(feeds.site_entries(site, 50)) == 6
        thread = threads.find_thread(site.id, "/a")
        assert thread is not None
        assert len(feeds.thread_entries(thread, 50)) == 2

    assert_indexed(app, read)


def test_feeds_are_not_framable_or_sniffable(client: FlaskClient, api: Api) -> None:
    api.comment("Hello")
    for url in (*FEEDS, "/feeds/nosuch.atom", SITE_FEED + "?limit=x"):
        response = fetch(client, url)
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        assert "default-src 'none'" in response.headers["Content-Security-Policy"], url


def test_head_requests_get_the_headers_only(client: FlaskClient, api: Api) -> None:
    api.comment("Hello")
    response = client.head(SITE_FEED)
    assert response.status_code == 200 and response.data == b""
    assert response.headers["ETag"] and response.headers["Content-Type"].startswith(
        "application/atom+xml"
    )
