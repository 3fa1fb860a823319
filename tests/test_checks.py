"""`comments check`: each misconfiguration is named, errors fail the command, nothing changes.

The checks are plain functions (comments/checks.py), tested directly on Settings objects;
the command is tested through Flask's CLI runner on apps built from the `app_config` fixture
(overridden per test with the `config(...)` mark below) and on a database built by the real
migrations (a scratch database, so the shared test database is never migrated or stamped).
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import text

from comments import create_app
from comments.checks import (
    Deployment,
    Finding,
    check_database,
    check_database_engine,
    check_debug,
    check_ip_hash_salt,
    check_public_url,
    check_rate_limits,
    check_redis,
    check_secret_key,
    check_trusted_proxies,
    run_checks,
    secret_weakness,
)
from comments.config import SECRET_FILE_NAME, Settings, load_settings
from comments.extensions import db
from comments.services import sites
from tests.support import PG_URL, scratch_database

# A key as `secrets.token_urlsafe(48)` makes them; fixed so that runs are repeatable.
STRONG_KEY = "0WkqpaTMC8A4KyWTTx94G7WoVnUCKtfq9AYiNbwoHCXGzZgbrQSyy-6QrMgXAob9"
SQLITE = "sqlite:///unused.db"
POSTGRES = "postgresql+psycopg://comments@db.internal/comments"


def config(**changes: Any) -> pytest.MarkDecorator:
    """Run the test on an app with these settings (None removes a setting)."""
    return pytest.mark.parametrize("app_config", [changes], indirect=True, ids=["config"])


@pytest.fixture
def app_config(app_config: dict[str, Any], request: pytest.FixtureRequest) -> dict[str, Any]:
    """The suite's settings with a strong key and rate limits on, then the test's changes."""
    settings = {**app_config, "SECRET_KEY": STRONG_KEY, "RATE_LIMITS_ENABLED": True}
    for name, value in getattr(request, "param", {}).items():
        if value is None:
            settings.pop(name, None)
        else:
            settings[name] = value
    return settings


@pytest.fixture
def migrated_app(app_config: dict[str, Any], tmp_path: Path) -> Iterator[Flask]:
    """An app on an empty scratch database brought to the newest migration."""
    with scratch_database(tmp_path, "comments_check_test") as url:
        app = create_app({**app_config, "DATABASE_URL": url}, instance_path=str(tmp_path / "mi"))
        with app.app_context():
            flask_migrate.upgrade()
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def settings_of(**changes: Any) -> Settings:
    """Production-like settings (strong key, SQLite, limits on) with ``changes``."""
    return dataclasses.replace(Settings(SECRET_KEY=STRONG_KEY, DATABASE_URL=SQLITE), **changes)


def levels(findings: list[Finding]) -> dict[str, set[str]]:
    """Finding levels by code."""
    found: dict[str, set[str]] = {}
    for finding in findings:
        found.setdefault(finding.code, set()).add(finding.level)
    return found


def check(runner: FlaskCliRunner, *args: str) -> Result:
    result = runner.invoke(args=["check", *args])
    assert "Traceback" not in result.output, result.output
    return result


def lines(result: Result) -> list[str]:
    return result.output.splitlines()


def line_for(result: Result, code: str) -> list[str]:
    return [line for line in lines(result) if line.split()[1] == f"{code}:"]


# --- The secret key ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "dev",
        "changeme",
        "s3cr3t-but-short",
        "changeme-changeme-changeme-changeme",
        "my-super-SECRET-value-for-the-comments-service",
        "test-secret-key-" + "x" * 32,  # the test suite's own key
        "dev-" + "Kq7ZpW2mN9xR4tY6uB8cV1eL3hJ5gF0a",
        "x" * 64,
        "abcd" * 10,
        "0123456789" * 4,
        "qpwoeirutyqpwoeirutyqpwoeirutyqpwoeiruty",
    ],
)
def test_short_placeholder_or_patterned_secrets_are_weak(key: str) -> None:
    assert secret_weakness(key) is not None


def test_generated_looking_secrets_are_not_flagged() -> None:
    import secrets

    assert secret_weakness(STRONG_KEY) is None
    assert secret_weakness(secrets.token_hex(16)) is None  # 32 hex characters
    # No false alarms on keys made the way the docs say (token_urlsafe / token_hex).
    rng = random.Random(4711)
    urlsafe = string.ascii_letters + string.digits + "-_"
    for length, alphabet in ((64, urlsafe), (43, urlsafe), (32, urlsafe), (64, string.hexdigits)):
        for _ in range(500):
            key = "".join(rng.choice(alphabet) for _ in range(length))
            assert secret_weakness(key) is None, key


def test_a_weak_configured_secret_is_an_error(tmp_path: Path) -> None:
    [finding] = check_secret_key(settings_of(SECRET_KEY="changeme"), tmp_path)
    assert finding.level == "error" and finding.code == "secret_key"
    assert "8 characters" in finding.message
    [finding] = check_secret_key(settings_of(SECRET_KEY="secret" * 8), tmp_path)
    assert finding.level == "error" and "placeholder" in finding.message
    [finding] = check_secret_key(settings_of(), tmp_path)
    assert finding.level == "ok"


def test_a_generated_secret_is_fine_unless_others_can_read_it(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, environ={})
    path = tmp_path / SECRET_FILE_NAME
    assert path.read_text() == settings.SECRET_KEY
    [finding] = check_secret_key(settings, tmp_path)
    assert finding.level == "ok" and "generated" in finding.message
    for mode in (0o640, 0o604, 0o644):
        path.chmod(mode)
        [finding] = check_secret_key(settings, tmp_path)
        assert finding.level == "warning", oct(mode)
        assert f"chmod 600 {path}" in finding.message
    # Several hosts must share one key: a key generated here is not known elsewhere.
    path.chmod(0o600)
    [finding] = check_secret_key(settings, tmp_path, Deployment(hosts=2))
    assert finding.level == "warning" and "COMMENTS_SECRET_KEY" in finding.message
    [finding] = check_secret_key(settings_of(), tmp_path, Deployment(hosts=2))
    assert finding.level == "ok"
    # The same key, but configured rather than read from the file: judged as configured.
    path.chmod(0o600)
    path.write_text("another key")
    [finding] = check_secret_key(settings, tmp_path)
    assert finding.level == "ok" and "configured" in finding.message


def test_a_weak_ip_hash_salt_is_a_warning() -> None:
    assert check_ip_hash_salt(settings_of()) == []  # unset: derived from the secret key
    [finding] = check_ip_hash_salt(settings_of(IP_HASH_SALT="salt"))
    assert finding.level == "warning"
    [finding] = check_ip_hash_salt(settings_of(IP_HASH_SALT=STRONG_KEY[::-1]))
    assert finding.level == "ok"


# --- The other settings -------------------------------------------------------------------------


def test_debug_mode_is_an_error() -> None:
    assert levels(check_debug(settings_of(DEBUG=True))) == {"debug": {"error"}}
    assert levels(check_debug(settings_of())) == {"debug": {"ok"}}


@pytest.mark.parametrize(
    ("url", "redis", "hosts", "expected"),
    [
        (SQLITE, "", 1, "ok"),
        (SQLITE, "redis://cache.internal:6379/0", 1, "warning"),
        (SQLITE, "", 2, "error"),
        (SQLITE, "redis://cache.internal:6379/0", 3, "error"),
        (POSTGRES, "", 1, "ok"),
        (POSTGRES, "redis://cache.internal:6379/0", 4, "ok"),
        ("mysql://db.internal/comments", "", 1, "warning"),
        ("not a url", "", 1, "error"),
    ],
)
def test_sqlite_is_for_one_host_only(url: str, redis: str, hosts: int, expected: str) -> None:
    findings = check_database_engine(
        settings_of(DATABASE_URL=url, REDIS_URL=redis), Deployment(hosts=hosts)
    )
    assert levels(findings) == {"database_engine": {expected}}
    if expected != "ok" and url == SQLITE:
        assert "SQLite with" in findings[0].message and "PostgreSQL" in findings[0].message


@pytest.mark.parametrize(
    ("proxies", "behind", "expected"),
    [
        ((), False, {"ok"}),
        ((), True, {"error"}),
        (("127.0.0.1",), True, {"ok"}),
        (("10.0.0.0/8", "::1"), True, {"ok"}),
        (("0.0.0.0/0",), True, {"warning"}),
        (("::/0",), False, {"warning"}),
        (("127.0.0.1", "0.0.0.0/0", "::/0"), True, {"warning"}),
    ],
)
def test_trusted_proxies(proxies: tuple[str, ...], behind: bool, expected: set[str]) -> None:
    findings = check_trusted_proxies(
        settings_of(TRUSTED_PROXIES=proxies), Deployment(behind_proxy=behind)
    )
    assert levels(findings) == {"trusted_proxies": expected}
    if "warning" in expected:
        assert len(findings) == sum(p.endswith("/0") for p in proxies)
        assert "forge" in findings[0].message


@pytest.mark.parametrize(
    ("url", "secure", "expected"),
    [
        ("", False, {}),
        ("https://comments.example", False, {"session_cookie_secure": {"warning"}}),
        ("https://comments.example", True, {"session_cookie_secure": {"ok"}}),
        ("http://comments.example", False, {"public_url": {"warning"}}),
        (
            "http://comments.example",
            True,
            {"public_url": {"warning"}, "session_cookie_secure": {"warning"}},
        ),
        ("http://127.0.0.1:8000", False, {"public_url": {"ok"}}),
    ],
)
def test_session_cookie_follows_the_public_url(
    url: str, secure: bool, expected: dict[str, set[str]]
) -> None:
    findings = check_public_url(
        settings_of(SESSION_COOKIE_SECURE=secure), Deployment(public_url=url)
    )
    assert levels(findings) == expected


def test_rate_limits_must_be_on_and_shared_between_hosts() -> None:
    off = check_rate_limits(settings_of(RATE_LIMITS_ENABLED=False), Deployment())
    assert levels(off) == {"rate_limits": {"warning"}}
    unshared = check_rate_limits(settings_of(), Deployment(hosts=2))
    assert levels(unshared) == {"rate_limits": {"warning"}}
    assert "REDIS_URL" in unshared[0].message
    shared = check_rate_limits(settings_of(REDIS_URL="redis://r:6379/0"), Deployment(hosts=2))
    assert levels(shared) == {"rate_limits": {"ok"}}
    assert levels(check_rate_limits(settings_of(), Deployment())) == {"rate_limits": {"ok"}}


def test_redis_must_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    import redis

    assert check_redis(settings_of()) == []
    [down] = check_redis(settings_of(REDIS_URL="redis://:hunter2pass@127.0.0.1:1/0"))
    assert down.level == "error" and "Cannot reach Redis" in down.message
    assert "hunter2pass" not in down.message  # the password is not printed
    monkeypatch.setattr(redis.Redis, "ping", lambda self, **_: True)
    [up] = check_redis(settings_of(REDIS_URL="redis://cache.internal:6379/0"))
    assert up.level == "ok"


# --- The database -------------------------------------------------------------------------------


def test_a_database_at_the_newest_migration_passes(migrated_app: Flask) -> None:
    assert levels(check_database(migrated_app)) == {"database": {"ok"}}


def test_a_database_made_without_migrations_is_an_error(app: Flask) -> None:
    # The suite's own databases are made with create_all(), so they have no version.
    [finding] = check_database(app)
    assert finding.level == "error"
    assert "no migration version" in finding.message and "db stamp head" in finding.message


def test_an_empty_or_downgraded_database_is_an_error(migrated_app: Flask) -> None:
    with migrated_app.app_context():
        flask_migrate.downgrade(revision="base")
    [finding] = check_database(migrated_app)
    assert finding.level == "error"
    assert "is empty" in finding.message and "comments db upgrade" in finding.message


def test_a_revision_from_a_newer_version_is_an_error(migrated_app: Flask) -> None:
    with migrated_app.app_context(), db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00dfeedbeef'"))
    [finding] = check_database(migrated_app)
    assert finding.level == "error" and "f00dfeedbeef" in finding.message


def test_an_unreachable_database_is_an_error(app_config: dict[str, Any], tmp_path: Path) -> None:
    url = "postgresql+psycopg://comments:pa55word@127.0.0.1:1/comments"
    app = create_app({**app_config, "DATABASE_URL": url}, instance_path=str(tmp_path / "i"))
    [finding] = check_database(app)
    assert finding.level == "error" and "Cannot use the database" in finding.message
    assert "pa55word" not in finding.message


def test_a_missing_sqlite_file_is_reported_not_created(
    app_config: dict[str, Any], tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere" / "comments.db"
    app = create_app(
        {**app_config, "DATABASE_URL": f"sqlite:///{missing}"}, instance_path=str(tmp_path / "i")
    )
    [finding] = check_database(app)
    assert finding.level == "error" and "does not exist" in finding.message
    assert not missing.exists()


def test_looking_at_an_sqlite_database_leaves_its_file_as_it_was(
    app_config: dict[str, Any], tmp_path: Path
) -> None:
    import sqlite3

    path = tmp_path / "legacy.db"
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE site (id INTEGER PRIMARY KEY)")
        conn.commit()
    before = path.read_bytes()
    app = create_app(
        {**app_config, "DATABASE_URL": f"sqlite:///{path}"}, instance_path=str(tmp_path / "i")
    )
    [finding] = check_database(app)
    assert finding.level == "error" and "no migration version" in finding.message
    # The app's own connections would switch the file to WAL mode; the check's do not.
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("legacy")) == [
        "legacy.db"
    ]


# --- The command --------------------------------------------------------------------------------


@config(
    TRUSTED_PROXIES="127.0.0.1",
    SESSION_COOKIE_SECURE=True,
    SMTP_HOST="smtp.example",
    SMTP_SECURITY="starttls",
    SMTP_USERNAME="comments",
    PUBLIC_URL="https://comments.example",
)
def test_a_sound_setup_passes_with_every_check_ok(migrated_app: Flask) -> None:
    with migrated_app.app_context():
        sites.add_site("news", "News", ["https://news.example"])
    result = check(
        migrated_app.test_cli_runner(),
        "--behind-proxy",
        "--public-url",
        "https://comments.example",
    )
    assert result.exit_code == 0, result.output
    assert lines(result) and all(line.startswith("OK ") for line in lines(result)), result.output
    codes = {line.split()[1].rstrip(":") for line in lines(result)}
    assert codes == {
        "debug",
        "secret_key",
        "database_engine",
        "trusted_proxies",
        "session_cookie_secure",
        "rate_limits",
        "smtp",
        "database",
        "site_origins",
    }


@config(DEBUG=True, SECRET_KEY="changeme", TRUSTED_PROXIES="0.0.0.0/0", RATE_LIMITS_ENABLED=False)
def test_every_problem_gets_a_line_and_errors_fail_the_command(runner: FlaskCliRunner) -> None:
    result = check(runner)
    assert result.exit_code == 1
    assert line_for(result, "debug")[0].startswith("ERROR ")
    assert line_for(result, "secret_key")[0].startswith("ERROR ")
    assert line_for(result, "trusted_proxies")[0].startswith("WARNING ")
    assert line_for(result, "rate_limits")[0].startswith("WARNING ")
    # One line per finding, each "LEVEL code: message".
    for line in lines(result):
        level, code, message = line.split(maxsplit=2)
        assert level in {"OK", "WARNING", "ERROR"} and code.endswith(":") and message


@config(RATE_LIMITS_ENABLED=False)
def test_warnings_alone_do_not_fail_the_command(migrated_app: Flask) -> None:
    with migrated_app.app_context():
        sites.add_site("news", "News", ["https://news.example"])
        sites.add_site("intranet", "Intranet", [])
    result = check(migrated_app.test_cli_runner())
    assert result.exit_code == 0, result.output
    assert line_for(result, "rate_limits")[0].startswith("WARNING ")
    [lonely] = line_for(result, "site_origins")
    assert lonely.startswith("WARNING ") and "'intranet'" in lonely and "'news'" not in lonely


def test_several_hosts_on_sqlite_is_an_error(
    app_config: dict[str, Any], tmp_path: Path, migrated_app: Flask
) -> None:
    app = create_app(
        {**app_config, "DATABASE_URL": f"sqlite:///{tmp_path / 'one.db'}"},
        instance_path=str(tmp_path / "i"),
    )
    result = check(app.test_cli_runner(), "--hosts", "3")
    assert result.exit_code == 1
    [line] = line_for(result, "database_engine")
    assert line.startswith("ERROR ") and "SQLite with 3 hosts is unsafe" in line
    # On the suite's own engine, several hosts are fine when it is PostgreSQL.
    expected = "ERROR " if not PG_URL else "OK "
    assert line_for(check(migrated_app.test_cli_runner(), "--hosts", "2"), "database_engine")[
        0
    ].startswith(expected)


@config(REDIS_URL="redis://127.0.0.1:1/0")
def test_redis_with_sqlite_is_a_warning_and_unreachable_redis_an_error(
    app_config: dict[str, Any], tmp_path: Path
) -> None:
    app = create_app(
        {**app_config, "DATABASE_URL": f"sqlite:///{tmp_path / 'one.db'}"},
        instance_path=str(tmp_path / "i"),
    )
    result = check(app.test_cli_runner())
    assert result.exit_code == 1
    [engine] = line_for(result, "database_engine")
    assert engine.startswith("WARNING ")
    assert "SQLite with several hosts is unsafe; use PostgreSQL" in engine
    assert line_for(result, "redis")[0].startswith("ERROR ")


def test_behind_a_proxy_without_trusted_proxies_is_an_error(runner: FlaskCliRunner) -> None:
    result = check(runner, "--behind-proxy")
    assert result.exit_code == 1
    [line] = line_for(result, "trusted_proxies")
    assert line.startswith("ERROR ") and "COMMENTS_TRUSTED_PROXIES" in line


def test_https_without_secure_cookies_is_a_warning(runner: FlaskCliRunner) -> None:
    result = check(runner, "--public-url", "https://comments.example")
    [line] = line_for(result, "session_cookie_secure")
    assert line.startswith("WARNING ") and "COMMENTS_SESSION_COOKIE_SECURE=true" in line


def test_bad_options_are_refused(runner: FlaskCliRunner) -> None:
    for args in (["--public-url", "comments.example"], ["--hosts", "0"]):
        result = check(runner, *args)
        assert result.exit_code == 2, result.output
        assert "Invalid value" in result.output


@config(SECRET_KEY=None)
def test_the_generated_secret_is_checked_through_the_command(
    monkeypatch: pytest.MonkeyPatch, app_config: dict[str, Any], tmp_path: Path
) -> None:
    monkeypatch.delenv("COMMENTS_SECRET_KEY", raising=False)
    app = create_app(app_config, instance_path=str(tmp_path / "generated"))
    path = Path(app.instance_path) / SECRET_FILE_NAME
    assert path.read_text() == app.config["SECRET_KEY"]
    runner = app.test_cli_runner()
    assert line_for(check(runner), "secret_key")[0].startswith("OK ")
    path.chmod(0o644)
    [line] = line_for(check(runner), "secret_key")
    assert line.startswith("WARNING ") and "chmod 600" in line


def test_a_check_that_crashes_is_an_error_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, app: Flask, runner: FlaskCliRunner
) -> None:
    import comments.checks

    def broken(_app: Flask) -> list[Finding]:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(comments.checks, "check_database", broken)
    result = check(runner)
    assert result.exit_code == 1
    [line] = line_for(result, "database")
    assert line == "ERROR   database: The check could not run: RuntimeError: disk on fire."


def test_checking_changes_nothing(migrated_app: Flask, tmp_path: Path) -> None:
    with migrated_app.app_context():
        sites.add_site("news", "News", ["https://news.example"])
        before = [(s.slug, s.name, list(s.allowed_origins)) for s in sites.list_sites()]
    findings = run_checks(
        migrated_app.extensions["comments.settings"], migrated_app, Deployment(hosts=2)
    )
    assert {f.code for f in findings} >= {"debug", "secret_key", "database", "site_origins"}
    with migrated_app.app_context():
        after = [(s.slug, s.name, list(s.allowed_origins)) for s in sites.list_sites()]
        version = db.session.execute(text("SELECT version_num FROM alembic_version")).scalars()
        assert len(list(version)) == 1
    assert before == after


# --- Mail and links ------------------------------------------------------------------------------


def _mail(settings: Settings, public_url: str = "") -> dict[str, str]:
    from comments.checks import check_mail

    return {f.code: f.level for f in check_mail(settings, Deployment(public_url=public_url))}


def test_mail_without_a_server_is_a_warning() -> None:
    assert _mail(settings_of()) == {"smtp": "warning"}


def test_an_smtp_password_in_the_clear_is_an_error() -> None:
    found = _mail(settings_of(SMTP_HOST="smtp.example", SMTP_USERNAME="u", SMTP_PASSWORD="p"))
    assert found == {"smtp_security": "error"}
    # On this machine the password never crosses a network.
    assert _mail(settings_of(SMTP_HOST="127.0.0.1", SMTP_USERNAME="u")) == {"smtp": "ok"}
    assert _mail(settings_of(SMTP_HOST="smtp.example", SMTP_USERNAME="u", SMTP_SECURITY="ssl")) == {
        "smtp": "ok"
    }


def test_an_unknown_smtp_security_mode_is_an_error() -> None:
    found = _mail(settings_of(SMTP_HOST="smtp.example", SMTP_SECURITY="tls"))
    assert found["smtp_security"] == "error"


def test_links_in_mail_must_point_where_readers_are() -> None:
    found = _mail(settings_of(SMTP_HOST="smtp.example"), "https://comments.example")
    assert found == {"smtp": "ok", "public_url_setting": "warning"}
    settings = settings_of(SMTP_HOST="smtp.example", PUBLIC_URL="https://comments.example/")
    assert _mail(settings, "https://comments.example") == {"smtp": "ok"}


def test_private_webhooks_on_a_public_deployment_are_a_warning() -> None:
    settings = settings_of(
        SMTP_HOST="smtp.example", PUBLIC_URL="https://c.example", WEBHOOKS_ALLOW_PRIVATE=True
    )
    assert _mail(settings, "https://c.example")["webhooks_allow_private"] == "warning"
    assert "webhooks_allow_private" not in _mail(settings)
