"""Query plans: the hot reads use indexes and never scan other threads' (or sites') rows.

Each read runs for real while its SQL is captured; then every captured SELECT is
EXPLAINed on the same engine. On PostgreSQL sequential scans are disabled for the check, so
a plan that still scans a table proves no index can serve the query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, text

from comments.extensions import db
from comments.services import sites, threads
from tests.factories import Api, make_site

TABLES = ("comment", "thread")


@pytest.fixture
def seeded(app: Flask, client: FlaskClient) -> Api:
    make_site(app)
    make_site(app, "other")
    api = Api(client)
    for uri in ("/a", "/b", "/c"):
        root = api.comment(f"root {uri}", uri=uri)["comment"]["id"]
        reply = api.comment(f"reply {uri}", uri=uri, parent_id=root)["comment"]["id"]
        api.comment(f"nested {uri}", uri=uri, parent_id=reply)
    api.comment("elsewhere", site="other", uri="/a")
    return api


def captured_selects(app: Flask, action: Callable[[], object]) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            action()
        finally:
            event.remove(engine, "before_cursor_execute", record)
    assert seen, "the action ran no query"
    return seen


def plan_lines(app: Flask, statement: str, parameters: Any) -> list[str]:
    with app.app_context(), db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            return [str(row[-1]) for row in rows]
        conn.execute(text("SET enable_seqscan = off"))
        rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
        return [str(row[0]) for row in rows]


def assert_indexed(app: Flask, action: Callable[[], object]) -> list[str]:
    plans: list[str] = []
    for statement, parameters in captured_selects(app, action):
        lines = plan_lines(app, statement, parameters)
        plans.extend(lines)
        for line in lines:
            for table in TABLES:
                # SQLite: "SCAN comment" reads every row; PostgreSQL: "Seq Scan on comment".
                assert not line.strip().startswith(f"SCAN {table}"), (statement, lines)
                assert f"Seq Scan on {table}" not in line, (statement, lines)
    return plans


def test_thread_read_uses_indexes(app: Flask, seeded: Api) -> None:
    def read() -> None:
        site = sites.get_site("news")
        for sort in threads.Sort:
            threads.read_thread(site, "/a", sort=sort, limit=2)

    plans = assert_indexed(app, read)
    assert any("anchor_id" in line or "ix_comment_anchor_id_path" in line for line in plans)


def test_counts_for_many_pages_use_one_indexed_query(app: Flask, seeded: Api) -> None:
    def count() -> None:
        threads.counts(sites.get_site("news"), [f"/{c}" for c in "abcdefghij"])

    assert_indexed(app, count)


def test_recent_comments_use_indexes(app: Flask, seeded: Api) -> None:
    assert_indexed(app, lambda: threads.recent_comments(sites.get_site("news"), 10))


def test_the_check_can_fail(app: Flask, seeded: Api) -> None:
    """An unindexed filter must be caught, or the checks above prove nothing."""

    def unindexed() -> None:
        db.session.execute(text("SELECT id FROM comment WHERE body = 'x'")).all()

    with pytest.raises(AssertionError):
        assert_indexed(app, unindexed)
