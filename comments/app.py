"""The application factory: settings -> extensions -> blueprints -> error handlers -> CLI."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from comments import httputil
from comments.config import Settings, load_settings
from comments.extensions import csrf, db, limiter, migrate

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Where templates/, static/ or migrations/ live: inside the installed wheel, else the repo."""
    installed = PACKAGE_DIR / name
    return installed if installed.is_dir() else PACKAGE_DIR.parent / name


def create_app(
    test_config: dict[str, Any] | None = None, *, instance_path: str | None = None
) -> Flask:
    """Build the application. ``test_config`` overrides settings by their code names.

    The instance folder (generated secret, SQLite database, config.toml) defaults to
    ``./instance``, or COMMENTS_INSTANCE_PATH when set.
    """
    app = Flask(
        "comments",
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
        instance_path=instance_path or _default_instance_path(),
    )
    settings = load_settings(Path(app.instance_path), test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(settings.as_flask_config())
    app.extensions["comments.settings"] = settings

    db.init_app(app)
    migrate.init_app(app, db, directory=str(resource_dir("migrations")), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    with app.app_context():
        _configure_engine(db.engine, settings)

    from comments.api import bp as api_bp
    from comments.moderation import bp as moderation_bp
    from comments.pages import bp as pages_bp

    # The JSON API's CSRF defence is its JSON-only content type; forms carry tokens.
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(moderation_bp)
    app.register_blueprint(pages_bp)
    httputil.install(app)

    from comments.cli import register_commands

    register_commands(app)
    return app


def _default_instance_path() -> str:
    return os.path.abspath(os.environ.get("COMMENTS_INSTANCE_PATH") or "instance")


def _configure_engine(engine: Engine, settings: Settings) -> None:
    """SQLite: WAL, foreign keys and a busy timeout on every connection."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(settings.SQLITE_BUSY_TIMEOUT_MS)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
