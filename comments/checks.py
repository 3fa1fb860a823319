"""Configuration checks behind `comments check`: is this set-up fit to go live?

Each check is a plain function returning findings; :func:`run_checks` runs them all. Most
look only at the settings and at what the operator says about the deployment (how many
hosts, whether a reverse proxy is in front, the public URL), which the settings cannot know.
The database and Redis checks connect, read and disconnect; nothing here writes anything.
"""

from __future__ import annotations

import dataclasses
import re
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from comments.config import SECRET_FILE_NAME, Settings
from comments.extensions import db
from comments.services import sites

Level = Literal["error", "warning", "ok"]

#: Shortest explicitly configured SECRET_KEY we accept (a generated one has 64 characters).
MIN_SECRET_LENGTH = 32
#: Fewer different characters than this in a 32+ character key: typed, not generated.
MIN_DISTINCT_CHARACTERS = 10
# Placeholder words. Long ones are looked for anywhere in the key: the chance that a random
# key of 64 URL-safe characters contains any of them is below one in a million. Short ones
# count only as a whole part of the key between separators ("dev-key-123").
_PLACEHOLDER_WORDS = (
    "changeme", "change-me", "change_me", "replaceme", "secret", "password", "passwd",
    "default", "example", "insecure", "development", "placeholder", "letmein", "qwerty",
    "123456", "abcdef",
)  # fmt: skip
_PLACEHOLDER_PARTS = frozenset(
    {"dev", "test", "testing", "key", "demo", "todo", "foo", "bar", "prod", "local", "flask"}
)
_SEPARATORS = re.compile(r"[^a-z0-9]+")
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
CONNECT_TIMEOUT_SECONDS = 5


@dataclasses.dataclass(frozen=True)
class Finding:
    """One result: ``level`` is error (must fix), warning (should look at) or ok."""

    level: Level
    code: str
    message: str

    def line(self) -> str:
        """The finding as one line of `comments check` output."""
        return f"{self.level.upper():<7} {self.code}: {self.message}"


@dataclasses.dataclass(frozen=True)
class Deployment:
    """What the operator tells `comments check` about where the service will run."""

    #: How many machines run the service against the same database.
    hosts: int = 1
    #: Whether readers reach the service through a reverse proxy or load balancer.
    behind_proxy: bool = False
    #: The address readers and moderators use, e.g. https://comments.example ('' if unknown).
    public_url: str = ""


def _ok(code: str, message: str) -> Finding:
    return Finding("ok", code, message)


def _warning(code: str, message: str) -> Finding:
    return Finding("warning", code, message)


def _error(code: str, message: str) -> Finding:
    return Finding("error", code, message)


# --- Settings alone ----------------------------------------------------------------------------


def check_debug(settings: Settings, app: Flask | None = None) -> list[Finding]:
    """Debug mode shows tracebacks (and code) to anyone who triggers an error."""
    if settings.DEBUG or (app is not None and app.debug):
        return [
            _error(
                "debug",
                "Debug mode is on: errors show tracebacks and settings to visitors. "
                "Unset COMMENTS_DEBUG (and FLASK_DEBUG).",
            )
        ]
    return [_ok("debug", "Debug mode is off.")]


def secret_weakness(key: str) -> str | None:
    """Why ``key`` is too weak to sign sessions and key the hashes, or None if it will do."""
    if len(key) < MIN_SECRET_LENGTH:
        return f"is only {len(key)} characters long (at least {MIN_SECRET_LENGTH})"
    lowered = key.lower()
    for word in _PLACEHOLDER_WORDS:
        if word in lowered:
            return f"looks like a placeholder (it contains {word!r})"
    parts = set(_SEPARATORS.split(lowered)) & _PLACEHOLDER_PARTS
    if parts:
        return f"looks like a placeholder (it contains {sorted(parts)[0]!r})"
    if len(set(key)) < MIN_DISTINCT_CHARACTERS:
        return f"uses only {len(set(key))} different characters"
    # A repeated pattern ("abc123abc123...") repeats its three-character pieces.
    trigrams = [key[i : i + 3] for i in range(len(key) - 2)]
    if len(set(trigrams)) < len(trigrams) / 2:
        return "repeats a short pattern"
    return None


def _generated_secret(settings: Settings, instance_path: Path) -> Path | None:
    """The instance secret file, if the running key is the one generated there."""
    path = instance_path / SECRET_FILE_NAME
    try:
        if path.read_text().strip() == settings.SECRET_KEY:
            return path
    except OSError:
        pass
    return None


def check_secret_key(
    settings: Settings, instance_path: Path, deployment: Deployment | None = None
) -> list[Finding]:
    """A generated key must be private to its owner; a configured one must be strong.

    Several hosts must share one key: it signs sessions and form tokens and keys the address
    hashes, so hosts with keys of their own would not recognise each other's.
    """
    hosts = (deployment or Deployment()).hosts
    generated = _generated_secret(settings, instance_path)
    if generated is not None:
        mode = stat.S_IMODE(generated.stat().st_mode)
        if mode & 0o077:
            return [
                _warning(
                    "secret_key",
                    f"The generated secret key file {generated} can be read by other users "
                    f"(mode {mode:04o}): run `chmod 600 {generated}`.",
                )
            ]
        if hosts > 1:
            return [
                _warning(
                    "secret_key",
                    f"The secret key was generated on this host ({generated}); the other "
                    f"{hosts - 1} host(s) must use the same one, or sessions, form tokens and "
                    "address hashes differ between hosts. Set the same COMMENTS_SECRET_KEY "
                    "everywhere (or copy this file, mode 0600).",
                )
            ]
        return [_ok("secret_key", f"The secret key is generated and private ({generated}).")]
    weakness = secret_weakness(settings.SECRET_KEY)
    if weakness:
        return [
            _error(
                "secret_key",
                f"The configured SECRET_KEY {weakness}. Anyone who guesses it can forge "
                "moderator sessions. Use `python3 -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'`, or unset it to have one generated.",
            )
        ]
    return [_ok("secret_key", "The configured secret key is long and random-looking.")]


def check_ip_hash_salt(settings: Settings) -> list[Finding]:
    """A guessable salt lets anyone with the database undo the address hashes."""
    if not settings.IP_HASH_SALT:
        return []
    weakness = secret_weakness(settings.IP_HASH_SALT)
    if weakness:
        return [
            _warning(
                "ip_hash_salt",
                f"IP_HASH_SALT {weakness}: with it, the stored address hashes can be "
                "reversed by trying every address. Use a long random value or unset it.",
            )
        ]
    return [_ok("ip_hash_salt", "IP_HASH_SALT is long and random-looking.")]


def _database_url(settings: Settings) -> URL | None:
    try:
        return make_url(settings.DATABASE_URL)
    except ArgumentError:
        return None


def check_database_engine(settings: Settings, deployment: Deployment) -> list[Finding]:
    """SQLite is one file on one machine; several hosts need PostgreSQL."""
    url = _database_url(settings)
    if url is None:
        return [_error("database_engine", "DATABASE_URL is not a database URL.")]
    backend = url.get_backend_name()
    if backend == "postgresql":
        return [_ok("database_engine", "PostgreSQL.")]
    if backend != "sqlite":
        return [
            _warning(
                "database_engine",
                f"{backend} is neither SQLite nor PostgreSQL, the two databases the service "
                "is tested on.",
            )
        ]
    if deployment.hosts > 1:
        return [
            _error(
                "database_engine",
                f"SQLite with {deployment.hosts} hosts is unsafe: each host would write its "
                "own file, or share one over a network file system, where SQLite's locks do "
                "not work. Use PostgreSQL (COMMENTS_DATABASE_URL=postgresql+psycopg://...).",
            )
        ]
    if settings.REDIS_URL:
        return [
            _warning(
                "database_engine",
                "SQLite with several hosts is unsafe; use PostgreSQL. REDIS_URL is set, "
                "which is for sharing state across machines: if this service runs on more "
                "than one, they cannot share an SQLite file.",
            )
        ]
    return [_ok("database_engine", "SQLite, on one host.")]


def check_trusted_proxies(settings: Settings, deployment: Deployment) -> list[Finding]:
    """Behind a proxy every client has the proxy's address unless its header is believed."""
    networks = settings.trusted_networks()
    findings = [
        _warning(
            "trusted_proxies",
            f"TRUSTED_PROXIES contains {net}: every client can forge its address with "
            "X-Forwarded-For, and so dodge rate limits and bans. List only your proxies.",
        )
        for net in networks
        if net.prefixlen == 0
    ]
    if deployment.behind_proxy and not networks:
        findings.append(
            _error(
                "trusted_proxies",
                "Behind a proxy but TRUSTED_PROXIES is empty: every reader would have the "
                "proxy's address, so one reader's rate limit or ban hits everyone. Set "
                "COMMENTS_TRUSTED_PROXIES to the proxy's address (127.0.0.1 for a local nginx).",
            )
        )
    if findings:
        return findings
    if networks:
        listed = ", ".join(str(n) for n in networks)
        return [_ok("trusted_proxies", f"X-Forwarded-For is believed only from {listed}.")]
    return [_ok("trusted_proxies", "No proxy: client addresses are the connection's.")]


def check_public_url(settings: Settings, deployment: Deployment) -> list[Finding]:
    """Session cookies over https only, and moderators' passwords not in the clear."""
    if not deployment.public_url:
        return []
    parts = urlsplit(deployment.public_url)
    local = (parts.hostname or "") in _LOCAL_HOSTS
    if parts.scheme == "https":
        if not settings.SESSION_COOKIE_SECURE:
            return [
                _warning(
                    "session_cookie_secure",
                    "The service is public over https but SESSION_COOKIE_SECURE is off: a "
                    "moderator's session cookie would also be sent over plain http. Set "
                    "COMMENTS_SESSION_COOKIE_SECURE=true.",
                )
            ]
        return [_ok("session_cookie_secure", "Session cookies are sent over https only.")]
    if local:
        return [_ok("public_url", "Served over http on this machine only.")]
    findings = [
        _warning(
            "public_url",
            "The public URL is plain http: moderators' passwords and session cookies cross "
            "the network unencrypted. Serve it over https.",
        )
    ]
    if settings.SESSION_COOKIE_SECURE:
        findings.append(
            _warning(
                "session_cookie_secure",
                "SESSION_COOKIE_SECURE is on but the public URL is http: browsers will not "
                "send the session cookie back, so moderators cannot stay signed in.",
            )
        )
    return findings


def check_rate_limits(settings: Settings, deployment: Deployment) -> list[Finding]:
    """Rate limits on, and shared by every process that serves."""
    if not settings.RATE_LIMITS_ENABLED:
        return [
            _warning(
                "rate_limits",
                "Rate limits are off (RATE_LIMITS_ENABLED=false): nothing slows down spam "
                "or guessing moderators' passwords.",
            )
        ]
    if not settings.REDIS_URL and deployment.hosts > 1:
        return [
            _warning(
                "rate_limits",
                f"Without REDIS_URL each of the {deployment.hosts} hosts (and each worker "
                "process) counts requests on its own, so a client gets several times every "
                "limit. Set COMMENTS_REDIS_URL.",
            )
        ]
    if not settings.REDIS_URL:
        return [
            _ok(
                "rate_limits",
                "Rate limits are on, counted in each worker process's memory (set "
                "COMMENTS_REDIS_URL to share them between workers).",
            )
        ]
    return [_ok("rate_limits", "Rate limits are on and shared through Redis.")]


# --- Things to connect to ---------------------------------------------------------------------


def _problem(exc: BaseException) -> str:
    """A short description of a connection failure, without SQL or URLs with passwords."""
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[0] if text else ''}".rstrip(": ")


def _engine_for_check(url: URL) -> Engine:
    """A throw-away engine without the app's connection hooks (SQLite's PRAGMAs), so that
    looking changes nothing, and with a connect timeout for servers that do not answer."""
    connect_args = {}
    if url.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    return create_engine(url, poolclass=NullPool, connect_args=connect_args)


def check_database(app: Flask) -> list[Finding]:
    """The database answers and its schema is at the newest migration."""
    with app.app_context():
        url = db.engine.url
        shown = url.render_as_string(hide_password=True)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            path = Path(url.database or "")
            if not path.exists():
                return [
                    _error(
                        "database",
                        f"The SQLite database {path} does not exist yet: run "
                        "`comments db upgrade` (`comments run` also does it).",
                    )
                ]
        engine = _engine_for_check(url)
        try:
            with engine.connect() as conn:
                current = set(MigrationContext.configure(conn).get_current_heads())
                has_tables = bool(set(inspect(conn).get_table_names()) - {"alembic_version"})
        except SQLAlchemyError as exc:
            return [_error("database", f"Cannot use the database {shown}: {_problem(exc)}.")]
        finally:
            engine.dispose()
        scripts = ScriptDirectory(str(app.extensions["migrate"].directory))
        heads = set(scripts.get_heads())
    if current == heads:
        return [_ok("database", f"The database {shown} answers and is at the newest migration.")]
    if not current and has_tables:
        return [
            _error(
                "database",
                f"The database {shown} has tables but no migration version: it was not made "
                "by `comments db upgrade`. If its schema is the newest, record that with "
                "`comments db stamp head`.",
            )
        ]
    if not current:
        return [_error("database", f"The database {shown} is empty: run `comments db upgrade`.")]
    known = {rev.revision for rev in scripts.walk_revisions()}
    unknown = sorted(current - known)
    if unknown:
        return [
            _error(
                "database",
                f"The database {shown} is at revision {', '.join(unknown)}, which this "
                "version of the service does not know (was it upgraded by a newer one?).",
            )
        ]
    return [
        _error(
            "database",
            f"The database {shown} is at revision {', '.join(sorted(current))}, not the newest "
            f"({', '.join(sorted(heads))}): run `comments db upgrade`.",
        )
    ]


def check_sites(app: Flask) -> list[Finding]:
    """Each site needs its pages' origins, or browsers refuse the widget's API calls."""
    with app.app_context():
        listed = [(site.slug, list(site.allowed_origins)) for site in sites.list_sites()]
    if not listed:
        return [
            _warning(
                "sites",
                "There are no sites yet: add one with `comments site add SLUG --origin "
                "https://your-site.example`.",
            )
        ]
    findings = [
        _warning(
            "site_origins",
            f"Site {slug!r} has no allowed origins: its widget cannot call the API from "
            f"another origin and its thread page cannot be framed. Run `comments site edit "
            f"{slug} --origin https://...`.",
        )
        for slug, origins in listed
        if not origins
    ]
    return findings or [
        _ok("site_origins", f"Every site ({len(listed)}) lists its allowed origins.")
    ]


def check_redis(settings: Settings) -> list[Finding]:
    """Rate-limited requests fail with 500 while Redis is configured but unreachable."""
    if not settings.REDIS_URL:
        return []
    import redis

    shown = settings.REDIS_URL
    try:
        parsed = urlsplit(settings.REDIS_URL)
        if parsed.password:
            shown = shown.replace(parsed.password, "***")
        client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_timeout=CONNECT_TIMEOUT_SECONDS,
            socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        )
        try:
            client.ping()
        finally:
            client.close()
    except (redis.RedisError, ValueError, OSError) as exc:
        return [
            _error(
                "redis",
                f"Cannot reach Redis at {shown} ({_problem(exc)}): rate-limited requests "
                "would fail.",
            )
        ]
    return [_ok("redis", f"Redis at {shown} answers.")]


# --- All of them --------------------------------------------------------------------------------


def _safely(code: str, check: Callable[[], Iterable[Finding]]) -> list[Finding]:
    """Run one check; a crash is reported as an error of that check, not a traceback."""
    try:
        return list(check())
    except Exception as exc:  # every failure becomes a finding, never a traceback
        return [_error(code, f"The check could not run: {_problem(exc)}.")]


SMTP_SECURITY_MODES = ("none", "starttls", "ssl")


def check_mail(settings: Settings, deployment: Deployment) -> list[Finding]:
    """Mail can leave, without a password in the clear, with links readers can follow."""
    findings: list[Finding] = []
    if settings.SMTP_SECURITY not in SMTP_SECURITY_MODES:
        findings.append(
            _error(
                "smtp_security",
                f"SMTP_SECURITY is {settings.SMTP_SECURITY!r}; use one of "
                f"{', '.join(SMTP_SECURITY_MODES)}.",
            )
        )
    if not settings.SMTP_HOST:
        findings.append(
            _warning(
                "smtp",
                "No SMTP_HOST: reply notifications and moderator alerts wait in the outbox "
                "and are never sent.",
            )
        )
    elif (
        settings.SMTP_USERNAME
        and settings.SMTP_SECURITY == "none"
        and settings.SMTP_HOST not in _LOCAL_HOSTS
    ):
        findings.append(
            _error(
                "smtp_security",
                f"The SMTP password would cross the network to {settings.SMTP_HOST} in the "
                "clear: set COMMENTS_SMTP_SECURITY=starttls or ssl.",
            )
        )
    else:
        findings.append(_ok("smtp", f"Mail goes out through {settings.SMTP_HOST}."))
    public = deployment.public_url.rstrip("/")
    if public and settings.PUBLIC_URL.rstrip("/") != public:
        findings.append(
            _warning(
                "public_url_setting",
                f"PUBLIC_URL is {settings.PUBLIC_URL or '(empty)'!r} but readers reach the "
                f"service at {public}: links in e-mails and feeds would point elsewhere. Set "
                f"COMMENTS_PUBLIC_URL={public}.",
            )
        )
    if settings.WEBHOOKS_ALLOW_PRIVATE and public:
        findings.append(
            _warning(
                "webhooks_allow_private",
                "WEBHOOKS_ALLOW_PRIVATE is on: whoever can add a webhook can make the "
                "service call addresses on your private network.",
            )
        )
    return findings


def run_checks(
    settings: Settings, app: Flask, deployment: Deployment | None = None
) -> list[Finding]:
    """Every check, in a fixed order: settings first, then the database, sites and Redis."""
    deployment = deployment or Deployment()
    instance = Path(app.instance_path)
    findings: list[Finding] = []
    findings += _safely("debug", lambda: check_debug(settings, app))
    findings += _safely("secret_key", lambda: check_secret_key(settings, instance, deployment))
    findings += _safely("ip_hash_salt", lambda: check_ip_hash_salt(settings))
    findings += _safely("database_engine", lambda: check_database_engine(settings, deployment))
    findings += _safely("trusted_proxies", lambda: check_trusted_proxies(settings, deployment))
    findings += _safely("public_url", lambda: check_public_url(settings, deployment))
    findings += _safely("rate_limits", lambda: check_rate_limits(settings, deployment))
    findings += _safely("mail", lambda: check_mail(settings, deployment))
    findings += _safely("redis", lambda: check_redis(settings))
    database = _safely("database", lambda: check_database(app))
    findings += database
    if all(f.level == "ok" for f in database):
        findings += _safely("site_origins", lambda: check_sites(app))
    return findings


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.level == "error" for f in findings)


__all__ = [
    "Deployment",
    "Finding",
    "check_database",
    "check_database_engine",
    "check_debug",
    "check_ip_hash_salt",
    "check_public_url",
    "check_rate_limits",
    "check_redis",
    "check_secret_key",
    "check_sites",
    "check_trusted_proxies",
    "has_errors",
    "run_checks",
    "secret_weakness",
]
