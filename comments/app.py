"""The application factory: settings -> extensions -> blueprints -> error handlers -> CLI."""

from __future__ import annotations

import hashlib
import os
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import event
from sqlalchemy.engine import Engine

from comments import httputil
from comments.api import cors
from comments.config import Settings, load_settings
from comments.extensions import csrf, db, limiter, migrate
from comments.services.cache import MemoryCache, RedisCache

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
    app.extensions["comments.cache"] = (
        RedisCache(settings.REDIS_URL, prefix=f"comments:{_namespace(settings)}:payload:")
        if settings.REDIS_URL
        else MemoryCache()
    )
    # Deployments sharing one Redis (staging and production, a restored copy) must not
    # share cached pages or rate-limit counters.
    app.config["RATELIMIT_KEY_PREFIX"] = f"comments:{_namespace(settings)}"

    app.session_interface = _SessionInterface()
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
    cors.install(app)
    _track_write_intent(app)

    from comments.cli import register_commands

    register_commands(app)
    if settings.WORKER_IN_PROCESS:
        from comments import worker

        # Started lazily so each gunicorn worker (forked after create_app) gets its own.
        @app.before_request
        def _start_worker() -> None:
            worker.start_in_process(app)

    return app


def _namespace(settings: Settings) -> str:
    """A short key naming this deployment (its secret and its database) in shared stores."""
    seed = f"{settings.SECRET_KEY}\n{settings.DATABASE_URL}".encode()
    return hashlib.sha256(seed).hexdigest()[:12]


def _default_instance_path() -> str:
    return os.path.abspath(os.environ.get("COMMENTS_INSTANCE_PATH") or "instance")


class _SessionInterface(SecureCookieSessionInterface):
    """Moderators' session cookies are Secure whenever the request came over https."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (
            has_request_context() and request.is_secure
        )


# Set for requests that write: their SQLite transaction takes the write lock up front.
write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)


def _configure_engine(engine: Engine, settings: Settings) -> None:
    """SQLite: WAL, foreign keys, a busy timeout, and transactions we control ourselves.

    pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINTs, so it is turned
    off and we emit BEGIN ourselves (SQLAlchemy's documented recipe). A writing request
    begins IMMEDIATE: a deferred transaction that reads and then writes fails at once with
    "database is locked" when another process committed in between, while an immediate one
    waits its turn for the busy timeout.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(settings.SQLITE_BUSY_TIMEOUT_MS)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")


def _track_write_intent(app: Flask) -> None:
    @app.before_request
    def _writes() -> None:
        write_intent.set(request.method not in {"GET", "HEAD", "OPTIONS"})

    @app.teardown_request
    def _end_session(_exc: BaseException | None) -> None:
        # Flask reuses an app context that is already pushed (a CLI command serving, a test
        # holding one), so the app-context teardown alone would keep one session, and its
        # open read snapshot, across requests.
        db.session.remove()
        write_intent.set(False)
