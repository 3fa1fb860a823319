"""Property-based tests generated from the OpenAPI document by schemathesis.

For every documented operation schemathesis builds requests from the document (its examples,
boundary and missing values, then random valid and invalid input), sends them to the app
in-process over WSGI, and checks each response: never a 5xx, a documented status code and
content type, and a body that matches the documented schema.

The app is module-scoped, on its own database (a temporary SQLite file, or the PostgreSQL
test database when COMMENTS_TEST_DATABASE_URL is set): site "news" with a small thread, so
the document's examples (site "news", uri "/2026/11/story", id 1) reach real data. Generation
is derandomised and bounded (25 random examples per operation, plus examples and boundaries)
so a run is reproducible and takes seconds.
"""

from __future__ import annotations

import collections
import dataclasses
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import create_engine, text

from comments import create_app
from comments.api import openapi
from comments.api.parsing import MAX_ID
from comments.extensions import Base, db
from comments.models import Role
from comments.services import accounts, moderation
from tests.factories import DEFAULT_URI, Api, make_site

PG_URL = os.environ.get("COMMENTS_TEST_DATABASE_URL", "")
MAX_INT4 = 2**31 - 1  # PostgreSQL's "integer", the type of every id column

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261127,
        "generation": {
            "mode": "all",  # valid and invalid input: errors must match the document too
            "max-examples": 25,
            "deterministic": True,
            "database": "none",  # no .hypothesis/ replay: every run is the same run
        },
    }
)

schema = schemathesis.openapi.from_dict(openapi.document(), config=CONFIG)

# (operation, status) -> responses seen, to check the fuzzing reached success paths.
SEEN: collections.Counter[tuple[str, int]] = collections.Counter()


@dataclasses.dataclass
class Seeded:
    app: Flask
    # Edit tokens by comment id, so edits and deletes of these comments can succeed.
    tokens: dict[int, str]
    # An admin's API token, sent with every moderation operation (/mod/...).
    mod_token: str


def _truncate_all(url: str) -> None:
    """Empty every table, as tests/conftest.py does before each test on PostgreSQL."""
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


def _seed(app: Flask) -> tuple[dict[int, str], str]:
    """A thread with nested replies and a placeholder, a second thread, a vote and a ban."""
    make_site(app)
    api = Api(app.test_client())
    first = api.comment("First *comment*", title="A story", url="https://news.example/story")
    root = first["comment"]["id"]
    assert root == 1  # the document's example id names a real, editable comment
    reply = api.comment("A reply", parent_id=root, author_name="Zoë", author_url="zoe.example")
    api.comment("A nested reply", parent_id=reply["comment"]["id"])
    doomed = api.comment("Soon deleted", parent_id=root)
    api.comment("Keeps its parent as a placeholder", parent_id=doomed["comment"]["id"])
    gone = api.send("DELETE", f"/api/v1/comments/{doomed['comment']['id']}", doomed["edit_token"])
    assert gone.status_code == 204
    api.comment("Second top-level comment")
    api.comment("Elsewhere", uri="/2026/11/another-story")
    assert Api(api.client, "198.51.100.7").vote(root, 1).status_code == 200
    elsewhere = api.comment("Banned author", uri="/2026/11/banned", author_email="x@example.org")
    with app.app_context():
        admin, _ = accounts.add_moderator("admin@example.org", Role.ADMIN, (), "x" * 12)
        # Ban 1 and log entry 1 exist (the document's example ids), from another address.
        ban = moderation.ban_author(admin, elsewhere["comment"]["id"], days=1)
        assert ban.id == 1
        _, mod_token = accounts.create_token(admin, "schemathesis")
    return {root: first["edit_token"]}, mod_token


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, _pg_schema: str) -> Iterator[Seeded]:
    """One app for the module: schemathesis runs hundreds of cases against it."""
    tmp = tmp_path_factory.mktemp("schemathesis")
    if _pg_schema:
        _truncate_all(_pg_schema)
    app = create_app(
        {
            "DATABASE_URL": _pg_schema or f"sqlite:///{tmp / 'comments.db'}",
            "SECRET_KEY": "test-secret-key-" + "x" * 32,
            "RATE_LIMITS_ENABLED": False,
        },
        instance_path=str(tmp / "instance"),
    )
    app.testing = True
    with app.app_context():
        if not PG_URL:
            db.create_all()
    seeded = Seeded(app, *_seed(app))
    yield seeded
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _as_int(value: Any) -> int | None:
    """A generated value as the integer the server would read from it, if any."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


@schema.parametrize()
@settings(
    deadline=None,
    # The app is module-scoped on purpose (see `seeded`); generated bodies can be large.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
def test_api_conforms_to_its_document(case: schemathesis.Case[Any], seeded: Seeded) -> None:
    comment_id = _as_int((case.path_parameters or {}).get("id"))
    headers = None
    if case.operation.path.startswith("/mod/"):
        headers = {"Authorization": f"Bearer {seeded.mod_token}"}
    elif case.method in {"PATCH", "DELETE"} and comment_id in seeded.tokens:
        headers = {"Authorization": f"Bearer {seeded.tokens[comment_id]}"}
    response = case.call_and_validate(app=seeded.app, headers=headers, checks=CHECKS)
    if case.method == case.operation.method.upper():  # not a probe with an undocumented method
        SEEN[(case.operation.label, response.status_code)] += 1


def test_fuzzing_reached_every_success_path(seeded: Seeded) -> None:
    """Each operation fuzzed above got at least one 2xx: the run was not all 4xx noise."""
    fuzzed = {operation for operation, _ in SEEN}
    succeeded = {operation for operation, status in SEEN if status < 300}
    assert fuzzed - succeeded == set(), sorted(SEEN.items())


@pytest.mark.parametrize(
    ("path", "method", "fields"),
    [
        # Werkzeug tries the other methods' rules without their converter's max and answers
        # 405 "Allow: GET, HEAD, OPTIONS" for PATCH or DELETE on an id past MAX_ID; GET is 404.
        pytest.param("/comments/{id}", "PATCH", {"path_parameters": {"id": MAX_ID + 1},
                     "body": {"body": "x"}}, id="patch-id-past-max-405"),
        pytest.param("/comments/{id}", "DELETE", {"path_parameters": {"id": MAX_ID + 1}},
                     id="delete-id-past-max-405"),
        # Ids are PostgreSQL "integer" columns; larger ids reach the query and overflow (500).
        pytest.param("/comments/{id}", "GET", {"path_parameters": {"id": MAX_INT4 + 1}},
                     id="get-id-past-int4"),
        pytest.param("/comments/{id}/votes", "POST", {"path_parameters": {"id": MAX_INT4 + 1},
                     "body": {"value": 1}}, id="vote-id-past-int4"),
        pytest.param("/comments", "POST", {"body": {"site": "news", "uri": DEFAULT_URI,
                     "body": "x", "parent_id": MAX_INT4 + 1}}, id="post-parent-id-past-int4"),
        # The site slug reaches the query unchecked: PostgreSQL refuses NUL (500).
        pytest.param("/threads", "GET", {"query": {"site": "\x00", "uri": DEFAULT_URI}},
                     id="thread-site-nul"),
        pytest.param("/counts", "GET", {"query": {"site": "\x00"}}, id="counts-site-nul"),
        pytest.param("/comments", "POST", {"body": {"site": "\x00", "uri": DEFAULT_URI,
                     "body": "x"}}, id="post-site-nul"),
        # ... and a lone surrogate cannot be encoded for either database (500).
        pytest.param("/comments", "POST", {"body": {"site": "\ud800", "uri": DEFAULT_URI,
                     "body": "x"}}, id="post-site-surrogate"),
    ],
)  # fmt: skip
def test_inputs_that_once_broke_the_server(
    seeded: Seeded, path: str, method: str, fields: dict[str, Any]
) -> None:
    """Inputs schemathesis found giving 405 or 500; each now gets a documented 4xx."""
    case = schema[path][method].Case(**fields)
    response = case.call_and_validate(app=seeded.app, checks=CHECKS)
    assert 400 <= response.status_code < 500 and response.status_code != 405
