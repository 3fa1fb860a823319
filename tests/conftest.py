"""Fixtures: an app per test on a fresh database (SQLite, or PostgreSQL when configured)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from comments import create_app
from comments.extensions import Base

# Set to run the whole suite on PostgreSQL, e.g. postgresql+psycopg://postgres@127.0.0.1/test
PG_URL = os.environ.get("COMMENTS_TEST_DATABASE_URL", "")


def engine_name() -> str:
    return "postgresql" if PG_URL else "sqlite"


@pytest.fixture(scope="session")
def _pg_schema() -> Iterator[str]:
    """On PostgreSQL: a database of this run's own, built once and dropped at the end.

    Its name carries the process id, so two test runs on one server never touch each
    other's tables. Each test then starts from empty tables (see ``database_url``).
    """
    if not PG_URL:
        yield ""
        return
    base = make_url(PG_URL)
    name = f"{base.database}_{os.getpid()}"
    url = base.set(database=name).render_as_string(hide_password=False)
    server = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(url)
    with engine.begin() as conn:
        Base.metadata.create_all(conn)
    engine.dispose()
    try:
        yield url
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_url(tmp_path: Path, _pg_schema: str) -> Iterator[str]:
    if _pg_schema:
        _truncate_all(_pg_schema)
        yield _pg_schema
        return
    yield f"sqlite:///{tmp_path / 'comments.db'}"


@pytest.fixture
def app_config(database_url: str) -> dict[str, Any]:
    """Settings for the test app; tests may change them before asking for `app`."""
    # Rate limits are off unless a test is about them (see tests/api/test_rate_limits.py).
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "RATE_LIMITS_ENABLED": False,
    }


@pytest.fixture
def app(app_config: dict[str, Any], tmp_path: Path) -> Iterator[Flask]:
    app = create_app(app_config, instance_path=str(tmp_path / "instance"))
    app.testing = True
    from comments.extensions import db

    with app.app_context():
        if not PG_URL:
            db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """In CI (COMMENTS_FORBID_SKIPS=1) a skipped test is a failure: nothing may be missing."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if (
        os.environ.get("COMMENTS_FORBID_SKIPS")
        and report.skipped
        and not hasattr(report, "wasxfail")
    ):
        report.outcome = "failed"
        report.longrepr = f"skips are forbidden in CI: {report.longrepr}"
