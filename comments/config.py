"""Every setting, declared once with its default and COMMENTS_* name, read once."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import secrets
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ENV_PREFIX = "COMMENTS_"
CONFIG_FILE_NAME = "config.toml"
SECRET_FILE_NAME = "secret_key"  # noqa: S105 - a file name, not a secret

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class SettingsError(ValueError):
    """A setting has a value that cannot be used."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """The service's configuration. Field names are the settings' names in code."""

    SECRET_KEY: str = ""
    DATABASE_URL: str = ""
    REDIS_URL: str = ""
    DEBUG: bool = False
    # Request bodies larger than this are refused with 413 before parsing.
    MAX_REQUEST_BYTES: int = 64 * 1024
    MAX_BODY_LENGTH: int = 10_000
    EDIT_WINDOW_SECONDS: int = 15 * 60
    PAGE_SIZE: int = 50
    MAX_PAGE_SIZE: int = 200
    # Descendants of one top-level comment sent with a thread page before a cursor.
    REPLIES_PER_PAGE: int = 200
    # X-Forwarded-For is honoured only when the peer is one of these networks.
    TRUSTED_PROXIES: tuple[str, ...] = ()
    # Per-site salt material for address hashes; derived from SECRET_KEY when empty.
    IP_HASH_SALT: str = ""
    SQLITE_BUSY_TIMEOUT_MS: int = 5000
    # How long browsers and CDNs may reuse a public read without asking (0: always revalidate
    # with the ETag, which costs us one indexed lookup and a 304).
    PUBLIC_CACHE_SECONDS: int = 0
    # Switch every rate limit off (only for tests and benchmarks that measure something else).
    RATE_LIMITS_ENABLED: bool = True
    # Moderator sign-in attempts per client address (Flask-Limiter syntax).
    LOGIN_RATE_LIMIT: str = "10/minute;100/hour"
    # Session cookies: Secure when the site is served over https.
    SESSION_COOKIE_SECURE: bool = False
    # How long a moderator stays signed in without activity.
    SESSION_HOURS: int = 12
    # The address readers reach this service at (https://comments.example.com), for links in
    # e-mails and feeds sent outside a request; empty means the demo's http://127.0.0.1:8000.
    PUBLIC_URL: str = ""
    # Outgoing mail. Empty SMTP_HOST keeps mail in the outbox (nothing is sent).
    SMTP_HOST: str = ""
    SMTP_PORT: int = 25
    SMTP_USERNAME: str = ""
    SMTP_PASSWORD: str = ""
    # "none", "starttls" or "ssl".
    SMTP_SECURITY: str = "none"
    SMTP_TIMEOUT_SECONDS: int = 10
    MAIL_FROM: str = "comments@localhost"
    # How long a confirmation or unsubscribe link in a mail stays valid.
    MAIL_LINK_DAYS: int = 30
    # The outbox: attempts before a message is given up, and the first retry's delay
    # (doubled after each failure).
    OUTBOX_MAX_ATTEMPTS: int = 8
    OUTBOX_RETRY_SECONDS: int = 30
    # Sent and given-up messages are kept this long (the delivery history), then deleted.
    OUTBOX_KEEP_DAYS: int = 30
    # Run the outbox worker in a thread of each app process (small deployments, the demo).
    WORKER_IN_PROCESS: bool = False
    # Webhooks may go to loopback and private addresses only when this is on (SSRF guard).
    WEBHOOKS_ALLOW_PRIVATE: bool = False
    WEBHOOK_TIMEOUT_SECONDS: int = 10
    # Address hashes on comments, votes and reports older than this are dropped by the worker.
    ADDRESS_HASH_RETENTION_DAYS: int = 90
    # Entries in an Atom feed (latest approved comments).
    FEED_SIZE: int = 50

    def trusted_networks(self) -> tuple[IPNetwork, ...]:
        """TRUSTED_PROXIES parsed into networks."""
        return tuple(ipaddress.ip_network(p, strict=False) for p in self.TRUSTED_PROXIES)

    def as_flask_config(self) -> dict[str, Any]:
        """The subset of settings Flask and its extensions read by their own names."""
        return {
            "SECRET_KEY": self.SECRET_KEY,
            "SQLALCHEMY_DATABASE_URI": self.DATABASE_URL,
            "MAX_CONTENT_LENGTH": self.MAX_REQUEST_BYTES,
            "DEBUG": self.DEBUG,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.SESSION_COOKIE_SECURE,
            "SESSION_COOKIE_NAME": "comments_session",
            "PERMANENT_SESSION_LIFETIME": self.SESSION_HOURS * 3600,
            "WTF_CSRF_TIME_LIMIT": self.SESSION_HOURS * 3600,
            "RATELIMIT_STORAGE_URI": self.REDIS_URL or "memory://",
            "RATELIMIT_HEADERS_ENABLED": True,
            "RATELIMIT_ENABLED": self.RATE_LIMITS_ENABLED,
            "RATELIMIT_KEY_PREFIX": "comments",
        }


FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


def parse_bool(raw: Any) -> bool:
    """A yes/no value from a bool or the usual words. Raises ValueError."""
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(f"{raw!r} is not true or false")


def _coerce(name: str, raw: Any) -> Any:
    """Turn a raw value (env string or TOML value) into the field's declared type."""
    kind = FIELDS[name].type
    try:
        if kind == "bool":
            return parse_bool(raw)
        if kind == "int":
            if isinstance(raw, bool):
                raise ValueError(raw)
            return int(raw)
        if kind.startswith("tuple"):
            if isinstance(raw, str):
                return tuple(p.strip() for p in raw.split(",") if p.strip())
            return tuple(str(p) for p in raw)
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"{ENV_PREFIX}{name}: cannot read {raw!r} as {kind}") from exc


def _secret_from_instance(instance_path: Path) -> str:
    """Read the generated secret key, creating it (mode 0600) on first run."""
    path = instance_path / SECRET_FILE_NAME
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def load_settings(
    instance_path: Path,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Defaults <- instance config.toml <- COMMENTS_* environment <- overrides."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    config_file = instance_path / CONFIG_FILE_NAME
    if config_file.exists():
        with config_file.open("rb") as handle:
            for key, value in tomllib.load(handle).items():
                name = key.upper()
                if name not in FIELDS:
                    raise SettingsError(f"{config_file}: unknown setting {key!r}")
                values[name] = _coerce(name, value)
    for name in FIELDS:
        if ENV_PREFIX + name in environ:
            values[name] = _coerce(name, environ[ENV_PREFIX + name])
    for name, value in (overrides or {}).items():
        if name not in FIELDS:
            raise SettingsError(f"unknown setting {name!r}")
        values[name] = _coerce(name, value)
    if not values.get("SECRET_KEY"):
        values["SECRET_KEY"] = _secret_from_instance(instance_path)
    if not values.get("DATABASE_URL"):
        values["DATABASE_URL"] = "sqlite:///" + str(instance_path / "comments.db")
    settings = Settings(**values)
    try:
        settings.trusted_networks()
    except ValueError as exc:
        raise SettingsError(f"{ENV_PREFIX}TRUSTED_PROXIES: {exc}") from exc
    return settings
