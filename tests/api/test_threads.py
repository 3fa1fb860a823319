"""Reading threads over HTTP: nesting, order, pagination, cursors, deep chains."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from comments.extensions import db
from tests.factories import DEFAULT_URI, Api, make_site


@pytest.fixture
def api(app: Flask, client: FlaskClient) -> Api:
    make_site(app)
    return Api(client)


def ids(comments: list[dict[str, Any]]) -> list[int]:
    return [c["id"] for c in comments]


def test_unknown_thread_reads_as_empty(api: Api) -> None:
    response = api.thread("/nobody-commented-here")
    assert response.status_code == 200
    assert response.get_json() == {
        "thread": {
            "uri": "/nobody-commented-here",
            "title": "",
            "url": "",
            "locked": False,
            "comment_count": 0,
        },
        "comments": [],
        "next_cursor": None,
    }


def test_unknown_site_is_404(api: Api, client: FlaskClient) -> None:
    response = client.get("/api/v1/threads", query_string={"site": "nope", "uri": "/x"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_replies_nest_under_their_parents_in_chronological_order(api: Api) -> None:
    first = api.comment("first", title="A story", url="https://news.example/story")["comment"]
    second = api.comment("second")["comment"]
    reply_b = api.comment("reply b", parent_id=first["id"])["comment"]
    reply_a = api.comment("reply a", parent_id=first["id"])["comment"]
    nested = api.comment("nested", parent_id=reply_b["id"])["comment"]

    data = api.thread().get_json()
    assert data["thread"]["comment_count"] == 5
    assert data["thread"]["title"] == "A story"
    top = data["comments"]
    assert ids(top) == [first["id"], second["id"]]
    assert ids(top[0]["replies"]) == [reply_b["id"], reply_a["id"]]
    assert ids(top[0]["replies"][0]["replies"]) == [nested["id"]]
    assert top[0]["replies"][0]["replies"][0]["depth"] == 2
    assert top[0]["reply_count"] == 2
    assert top[1]["replies"] == []


def test_sort_orders(api: Api) -> None:
    made = [api.comment(f"c{i}")["comment"]["id"] for i in range(3)]
    voter = Api(api.client, "198.51.100.7")
    assert voter.vote(made[1], 1).status_code == 200
    assert voter.vote(made[0], -1).status_code == 200
    assert ids(api.thread(sort="oldest").get_json()["comments"]) == made
    assert ids(api.thread(sort="newest").get_json()["comments"]) == made[::-1]
    assert ids(api.thread(sort="top").get_json()["comments"]) == [made[1], made[2], made[0]]


@pytest.mark.parametrize("sort", ["oldest", "newest", "top"])
def test_pagination_walks_every_top_level_comment_once(api: Api, sort: str) -> None:
    made = [api.comment(f"c{i}")["comment"]["id"] for i in range(7)]
    seen: list[int] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"sort": sort, "limit": 3}
        if cursor:
            params["cursor"] = cursor
        data = api.thread(**params).get_json()
        seen.extend(ids(data["comments"]))
        cursor = data["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(made)
    assert len(seen) == len(set(seen))


def test_cursor_from_another_sort_is_refused(api: Api) -> None:
    for i in range(3):
        api.comment(f"c{i}")
    cursor = api.thread(limit=1, sort="newest").get_json()["next_cursor"]
    response = api.thread(limit=1, sort="oldest", cursor=cursor)
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {"cursor": "sort mismatch"}


def test_long_reply_lists_come_with_a_cursor(app: Flask, api: Api) -> None:
    app.extensions["comments.settings"] = _with(app, REPLIES_PER_PAGE=3)
    root = api.comment("root")["comment"]["id"]
    replies = [api.comment(f"r{i}", parent_id=root)["comment"]["id"] for i in range(5)]
    top = api.thread().get_json()["comments"][0]
    assert ids(top["replies"]) == replies[:3]
    assert top["replies_cursor"]
    more = api.get(
        f"/api/v1/comments/{root}/replies", query_string={"cursor": top["replies_cursor"]}
    ).get_json()
    assert ids(more["comments"]) == replies[3:]
    assert all(c["parent_id"] == root for c in more["comments"])
    assert more["next_cursor"] is None


def _with(app: Flask, **changes: Any) -> Any:
    import dataclasses

    return dataclasses.replace(app.extensions["comments.settings"], **changes)


def test_thread_read_costs_the_same_queries_whatever_its_size(app: Flask, api: Api) -> None:
    def count_reads() -> int:
        statements: list[str] = []
        with app.app_context():
            engine = db.engine

        def before(*args: Any) -> None:
            if args[2].split(" ")[0].upper() not in {"BEGIN", "COMMIT", "ROLLBACK"}:
                statements.append(args[2])

        event.listen(engine, "before_cursor_execute", before)
        try:
            assert api.thread().status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", before)
        return len(statements)

    root = api.comment("root")["comment"]["id"]
    small = count_reads()
    parent = root
    for i in range(12):
        parent = api.comment(f"deep {i}", parent_id=parent)["comment"]["id"]
    for i in range(6):
        api.comment(f"top {i}")
        api.comment(f"reply {i}", parent_id=root)
    assert count_reads() == small


def test_a_10000_deep_reply_chain_reads_in_blocks(app: Flask, api: Api) -> None:
    from comments.models import BLOCK_DEPTH
    from comments.services.comments import NewComment, post_comment

    depth = 10_000
    with app.app_context():
        parent_id = None
        for i in range(depth):
            comment, _ = post_comment(
                NewComment(site="news", uri=DEFAULT_URI, body=f"level {i}", parent_id=parent_id),
                author_key="ip:x",
                address_hash="x",
                limits=__import__("comments.services.comments", fromlist=["Limits"]).Limits(),
            )
            parent_id = comment.id
    response = api.thread()
    assert response.status_code == 200
    node = response.get_json()["comments"][0]
    levels = 0
    while node["replies"]:
        node = node["replies"][0]
        levels += 1
    assert levels == BLOCK_DEPTH - 1
    assert node["replies_cursor"]
    # Follow the cursors down to the bottom of the chain.
    seen_depth = node["depth"]
    cursor_owner, cursor = node["id"], node["replies_cursor"]
    while cursor:
        page = api.get(
            f"/api/v1/comments/{cursor_owner}/replies", query_string={"cursor": cursor}
        ).get_json()
        node = page["comments"][0]
        while node["replies"]:
            node = node["replies"][0]
        seen_depth = node["depth"]
        cursor_owner, cursor = node["id"], node["replies_cursor"]
    assert seen_depth == depth - 1
