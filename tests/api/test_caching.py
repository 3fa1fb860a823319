"""Reads are cheap: cached per thread version, with weak ETags and 304s for repeat readers."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from comments.extensions import db
from tests.factories import Api, make_site


@pytest.fixture
def api(app: Flask, client: FlaskClient) -> Api:
    make_site(app)
    return Api(client)


def statements_during(app: Flask, action: Any) -> list[str]:
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(*args: Any) -> None:
        if args[2].split(" ")[0].upper() not in {"BEGIN", "COMMIT", "ROLLBACK"}:
            seen.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def test_thread_reads_carry_a_weak_etag_and_answer_304(api: Api) -> None:
    api.comment("one")
    first = api.thread()
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    assert (
        "no-cache" in first.headers["Cache-Control"] or "max-age" in first.headers["Cache-Control"]
    )
    again = api.client.get(
        "/api/v1/threads",
        query_string={"site": "news", "uri": "/2026/11/story"},
        headers={"If-None-Match": etag},
    )
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag


def test_every_visible_write_changes_the_etag(api: Api) -> None:
    data = api.comment("one")
    cid, token = data["comment"]["id"], data["edit_token"]
    tags = [api.thread().headers["ETag"]]
    Api(api.client, "198.51.100.3").vote(cid, 1)
    tags.append(api.thread().headers["ETag"])
    api.send("PATCH", f"/api/v1/comments/{cid}", token, json={"body": "edited"})
    tags.append(api.thread().headers["ETag"])
    api.comment("two")
    tags.append(api.thread().headers["ETag"])
    api.send("DELETE", f"/api/v1/comments/{cid}", token)
    tags.append(api.thread().headers["ETag"])
    assert len(set(tags)) == len(tags)
    assert [c["html"] for c in api.thread().get_json()["comments"]] == ["<p>two</p>\n"]


def test_a_repeat_read_is_served_from_the_cache(app: Flask, api: Api) -> None:
    for i in range(5):
        api.comment(f"c{i}")
    cold = statements_during(app, lambda: api.thread())
    warm = statements_during(app, lambda: api.thread())
    assert len(warm) < len(cold)
    # Site, thread version: nothing else touches the database on a hit.
    assert len(warm) == 2, warm
    assert api.thread().get_json() == api.thread().get_json()


def test_different_queries_do_not_share_cache_entries(api: Api) -> None:
    for i in range(3):
        api.comment(f"c{i}")
    oldest = api.thread(sort="oldest").get_json()
    newest = api.thread(sort="newest").get_json()
    assert [c["id"] for c in oldest["comments"]] == [c["id"] for c in newest["comments"]][::-1]
    assert len(api.thread(limit=1).get_json()["comments"]) == 1


def test_other_public_reads_get_etags_too(api: Api) -> None:
    cid = api.comment("x")["comment"]["id"]
    for path in (f"/api/v1/comments/{cid}", "/api/v1/counts?site=news&uri=/2026/11/story"):
        first = api.get(path)
        assert first.headers["ETag"].startswith('W/"')
        assert api.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_reads_with_an_edit_token_are_private(api: Api) -> None:
    data = api.comment("x")
    response = api.send("GET", f"/api/v1/comments/{data['comment']['id']}", data["edit_token"])
    assert response.headers["Cache-Control"] == "private, no-store"
