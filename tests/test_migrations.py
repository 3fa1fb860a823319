"""The Alembic migrations build exactly the models' schema, both ways, in-process and via the CLI.

On PostgreSQL (COMMENTS_TEST_DATABASE_URL set) every test works in its own scratch database,
created and dropped here, so the shared test database other tests rely on is never touched.
"""

from __future__ import annotations

import os
import pprint
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import create_engine, inspect, text

import comments.models  # noqa: F401 - registers the tables on Base.metadata
from comments.extensions import Base, db
from tests.support import app_on, cli_env, comments_executable, scratch_database

PG_URL = os.environ.get("COMMENTS_TEST_DATABASE_URL", "")
MODEL_TABLES = {t.name for t in Base.metadata.sorted_tables}


def schema_drift() -> list[Any]:
    """Differences between the live database and the models (empty when they agree)."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": False}
        )
        diff: list[Any] = compare_metadata(context, Base.metadata)
    return diff


def table_names() -> set[str]:
    with db.engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def current_revision() -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(app: Flask) -> str:
    from alembic.script import ScriptDirectory

    config = app.extensions["migrate"].migrate.get_config(app.extensions["migrate"].directory)
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    with scratch_database(tmp_path) as url:
        yield url


def test_upgrade_builds_exactly_the_models_schema(tmp_path: Path, empty_database: str) -> None:
    with app_on(empty_database, tmp_path / "instance") as app:
        assert table_names() == set(), "the scratch database should start empty"
        flask_migrate.upgrade()
        assert table_names() == MODEL_TABLES | {"alembic_version"}
        assert current_revision() == head_revision(app)
        drift = schema_drift()
        assert drift == [], "migrations and models disagree:\n" + pprint.pformat(drift)


def test_drift_check_notices_a_schema_that_differs(tmp_path: Path, empty_database: str) -> None:
    """The no-drift assertion above can fail: a missing column and index are reported."""
    with app_on(empty_database, tmp_path / "instance"):
        flask_migrate.upgrade()
        with db.engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_comment_parent_id"))
            conn.execute(text("ALTER TABLE vote DROP COLUMN created_at"))
        kinds = {entry[0] for entry in schema_drift() if isinstance(entry, tuple)}
        assert {"add_index", "add_column"} <= kinds


def test_downgrade_to_base_then_upgrade_again(tmp_path: Path, empty_database: str) -> None:
    with app_on(empty_database, tmp_path / "instance") as app:
        flask_migrate.upgrade()
        flask_migrate.downgrade(revision="base")
        assert table_names() <= {"alembic_version"}
        assert current_revision() is None

        flask_migrate.upgrade()
        assert current_revision() == head_revision(app)
        drift = schema_drift()
        assert drift == [], "schema after downgrade+upgrade differs:\n" + pprint.pformat(drift)
        # And the rebuilt schema works: constraints included.
        from comments.services import sites

        sites.add_site("after-roundtrip", "After", ["https://a.example"])
        assert [s.slug for s in sites.list_sites()] == ["after-roundtrip"]


def test_upgrade_is_idempotent(tmp_path: Path, empty_database: str) -> None:
    with app_on(empty_database, tmp_path / "instance") as app:
        flask_migrate.upgrade()
        flask_migrate.upgrade()
        assert current_revision() == head_revision(app)
        assert schema_drift() == []


def test_cli_db_upgrade_creates_the_tables(tmp_path: Path, empty_database: str) -> None:
    result = subprocess.run(
        [comments_executable(), "db", "upgrade"],
        env=cli_env(tmp_path, empty_database),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr

    engine = create_engine(empty_database)
    try:
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) == MODEL_TABLES | {"alembic_version"}
            revision = MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
    assert revision is not None
    # The CLI used the instance folder it was given (the generated secret lives there
    # unless COMMENTS_SECRET_KEY is set, which it is here: so no secret file).
    assert (tmp_path / "instance").is_dir()
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_migrations_run_without_deprecation_warnings(tmp_path: Path, empty_database: str) -> None:
    """env.py must use db.engine: Flask-SQLAlchemy 3.1 deprecates get_engine(), 3.2 drops it."""
    with (
        app_on(empty_database, tmp_path / "instance"),
        warnings.catch_warnings(record=True) as seen,
    ):
        warnings.simplefilter("always")
        flask_migrate.upgrade()
        assert table_names() == MODEL_TABLES | {"alembic_version"}
    deprecations = [str(w.message) for w in seen if issubclass(w.category, DeprecationWarning)]
    assert deprecations == []
