"""Helpers shared by tests that need scratch databases or the real `comments` executable."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from comments import create_app
from comments.extensions import db

PG_URL = os.environ.get("COMMENTS_TEST_DATABASE_URL", "")


@contextlib.contextmanager
def scratch_database(tmp_path: Path, prefix: str = "comments_migrate_test") -> Iterator[str]:
    """The URL of a new, empty database on the engine under test; dropped afterwards."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / (prefix + '.db')}"
        return
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    server = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        finally:
            with server.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        server.dispose()


@contextlib.contextmanager
def app_on(url: str, instance_path: Path) -> Iterator[Flask]:
    """An app on `url`, inside its app context; its connections are closed on the way out."""
    app = create_app(
        {"DATABASE_URL": url, "SECRET_KEY": "migration-test-" + "x" * 32},
        instance_path=str(instance_path),
    )
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def comments_executable() -> str:
    """The `comments` console script of the environment running the tests."""
    beside = Path(sys.executable).parent / "comments"
    if beside.exists():
        return str(beside)
    found = shutil.which("comments")
    assert found, "the `comments` console script is not installed (pip install -e .)"
    return found


def cli_env(tmp_path: Path, database_url: str, **extra: str) -> dict[str, str]:
    """The environment for a `comments` subprocess: no settings leak in from ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMMENTS_", "FLASK_"))}
    env.update(
        COMMENTS_DATABASE_URL=database_url,
        COMMENTS_INSTANCE_PATH=str(tmp_path / "instance"),
        COMMENTS_SECRET_KEY="cli-test-" + "x" * 32,
        **extra,
    )
    return env
