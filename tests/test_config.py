"""Settings: defaults, config.toml, COMMENTS_* environment, the generated secret, SQLite
connection settings and which X-Forwarded-For addresses are believed."""

from __future__ import annotations

import dataclasses
import ipaddress
import stat
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from comments import create_app
from comments.config import SECRET_FILE_NAME, Settings, SettingsError, load_settings
from comments.extensions import db
from comments.models import Comment, Thread
from comments.services.identity import hash_address
from tests.factories import DEFAULT_SITE, DEFAULT_URI, Api, make_site


def write_toml(instance: Path, content: str) -> None:
    instance.mkdir(parents=True, exist_ok=True)
    (instance / "config.toml").write_text(content)


# --- defaults and sources -------------------------------------------------------------------


def test_defaults_without_any_configuration(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, environ={})
    defaults = Settings()
    for field in dataclasses.fields(Settings):
        if field.name in {"SECRET_KEY", "DATABASE_URL"}:
            continue
        assert getattr(settings, field.name) == getattr(defaults, field.name), field.name
    assert settings.DEBUG is False
    assert settings.MAX_REQUEST_BYTES == 64 * 1024
    assert settings.TRUSTED_PROXIES == ()
    assert settings.trusted_networks() == ()
    database_url, secret = settings.DATABASE_URL, settings.SECRET_KEY
    assert database_url == f"sqlite:///{tmp_path / 'comments.db'}"
    assert len(secret) >= 32


def test_environment_overrides_defaults(tmp_path: Path) -> None:
    settings = load_settings(
        tmp_path,
        environ={
            "COMMENTS_SECRET_KEY": "from-env-" + "k" * 32,
            "COMMENTS_DATABASE_URL": "postgresql+psycopg://db.internal/comments",
            "COMMENTS_DEBUG": "yes",
            "COMMENTS_PAGE_SIZE": " 25 ",
            "COMMENTS_EDIT_WINDOW_SECONDS": "60",
            "COMMENTS_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1",
            "COMMENTS_IP_HASH_SALT": "pepper",
            # Not ours: ignored.
            "PAGE_SIZE": "999",
            "COMMENTS_NOT_A_SETTING": "whatever",
        },
    )
    assert settings.SECRET_KEY == "from-env-" + "k" * 32
    assert settings.DATABASE_URL == "postgresql+psycopg://db.internal/comments"
    assert settings.DEBUG is True
    assert settings.PAGE_SIZE == 25
    assert settings.EDIT_WINDOW_SECONDS == 60
    assert settings.TRUSTED_PROXIES == ("10.0.0.0/8", "192.0.2.1")
    assert settings.IP_HASH_SALT == "pepper"
    # A secret from the environment means no secret file is generated.
    assert not (tmp_path / SECRET_FILE_NAME).exists()


def test_process_environment_is_read_when_no_environ_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMMENTS_MAX_BODY_LENGTH", "1234")
    assert load_settings(tmp_path).MAX_BODY_LENGTH == 1234


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("TRUE", True), ("on", True), ("0", False), ("no", False), ("", False)],
)
def test_boolean_spellings(tmp_path: Path, raw: str, expected: bool) -> None:
    assert load_settings(tmp_path, environ={"COMMENTS_DEBUG": raw}).DEBUG is expected


def test_instance_config_toml(tmp_path: Path) -> None:
    write_toml(
        tmp_path,
        'page_size = 20\ndebug = true\ntrusted_proxies = ["10.0.0.0/8", "::1"]\n'
        'secret_key = "from-toml-secret-0123456789abcdef"\nREDIS_URL = "redis://cache/0"\n',
    )
    settings = load_settings(tmp_path, environ={})
    assert settings.PAGE_SIZE == 20
    assert settings.DEBUG is True
    assert settings.TRUSTED_PROXIES == ("10.0.0.0/8", "::1")
    assert settings.SECRET_KEY == "from-toml-secret-0123456789abcdef"
    assert settings.REDIS_URL == "redis://cache/0"


def test_precedence_toml_then_environment_then_overrides(tmp_path: Path) -> None:
    write_toml(tmp_path, "page_size = 20\nmax_page_size = 150\nmax_body_length = 500\n")
    settings = load_settings(
        tmp_path,
        {"MAX_BODY_LENGTH": 700},
        environ={"COMMENTS_MAX_PAGE_SIZE": "170", "COMMENTS_MAX_BODY_LENGTH": "600"},
    )
    assert settings.PAGE_SIZE == 20  # toml only
    assert settings.MAX_PAGE_SIZE == 170  # environment beats toml
    assert settings.MAX_BODY_LENGTH == 700  # overrides beat both


def test_unknown_key_in_toml_is_refused(tmp_path: Path) -> None:
    write_toml(tmp_path, "page_size = 20\npage_sise = 30\n")
    with pytest.raises(SettingsError, match="page_sise"):
        load_settings(tmp_path, environ={})


def test_unknown_override_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="NOPE"):
        load_settings(tmp_path, {"NOPE": 1}, environ={})


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("PAGE_SIZE", "twenty"),
        ("MAX_REQUEST_BYTES", "64k"),
        ("SQLITE_BUSY_TIMEOUT_MS", "1.5"),
        ("DEBUG", "maybe"),
        ("DEBUG", "2"),
    ],
)
def test_bad_environment_values_name_the_variable(tmp_path: Path, name: str, raw: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(tmp_path, environ={f"COMMENTS_{name}": raw})
    assert f"COMMENTS_{name}" in str(caught.value)
    assert repr(raw) in str(caught.value)


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ('page_size = "lots"', "COMMENTS_PAGE_SIZE"),
        ("page_size = true", "COMMENTS_PAGE_SIZE"),
        ('debug = "sometimes"', "COMMENTS_DEBUG"),
    ],
)
def test_bad_toml_values_name_the_setting(tmp_path: Path, line: str, name: str) -> None:
    write_toml(tmp_path, line + "\n")
    with pytest.raises(SettingsError, match=name):
        load_settings(tmp_path, environ={})


def test_settings_are_immutable(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, environ={})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.DEBUG = True  # type: ignore[misc]


# --- the generated secret key --------------------------------------------------------------


def test_generated_secret_is_private_reused_and_unique(tmp_path: Path) -> None:
    first_dir, second_dir = tmp_path / "one", tmp_path / "two"
    first = load_settings(first_dir, environ={}).SECRET_KEY
    secret_file = first_dir / SECRET_FILE_NAME
    assert secret_file.is_file()
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert secret_file.read_text().strip() == first
    assert len(first) >= 32

    again = load_settings(first_dir, environ={}).SECRET_KEY
    assert again == first  # reused
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600

    other = load_settings(second_dir, environ={}).SECRET_KEY
    assert other != first  # generated, never a constant
    assert len(other) >= 32


def test_create_app_uses_the_instance_secret(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    url = f"sqlite:///{tmp_path / 'app.db'}"
    first = create_app({"DATABASE_URL": url}, instance_path=str(instance))
    second = create_app({"DATABASE_URL": url}, instance_path=str(instance))
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert first.config["SECRET_KEY"] == (instance / SECRET_FILE_NAME).read_text().strip()
    for app in (first, second):
        with app.app_context():
            db.engine.dispose()


def test_instance_path_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = tmp_path / "from-env"
    monkeypatch.setenv("COMMENTS_INSTANCE_PATH", str(instance))
    monkeypatch.delenv("COMMENTS_DATABASE_URL", raising=False)
    monkeypatch.delenv("COMMENTS_SECRET_KEY", raising=False)
    app = create_app()
    try:
        assert app.instance_path == str(instance)
        assert (instance / SECRET_FILE_NAME).is_file()
        assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'comments.db'}"
    finally:
        with app.app_context():
            db.engine.dispose()


# --- trusted proxies ------------------------------------------------------------------------


def test_trusted_proxies_are_parsed_into_networks(tmp_path: Path) -> None:
    settings = load_settings(
        tmp_path,
        environ={"COMMENTS_TRUSTED_PROXIES": " 10.0.0.0/8 ,192.0.2.7,, 2001:db8::/32,10.1.2.3/16"},
    )
    assert settings.TRUSTED_PROXIES == ("10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "10.1.2.3/16")
    assert settings.trusted_networks() == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("192.0.2.7/32"),
        ipaddress.ip_network("2001:db8::/32"),
        ipaddress.ip_network("10.1.0.0/16"),  # host bits are tolerated, not an error
    )


@pytest.mark.parametrize("bad", ["10.0.0.0/33", "10.0.0.300", "proxy.internal", "::1/129"])
def test_a_bad_trusted_proxy_is_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(SettingsError, match="COMMENTS_TRUSTED_PROXIES"):
        load_settings(tmp_path, environ={"COMMENTS_TRUSTED_PROXIES": f"10.0.0.0/8,{bad}"})


def test_a_bad_trusted_proxy_in_toml_is_refused(tmp_path: Path) -> None:
    write_toml(tmp_path, 'trusted_proxies = ["10.0.0.0/8", "10.0.0.0/40"]\n')
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        load_settings(tmp_path, environ={})


# --- SQLite connection settings -------------------------------------------------------------


def test_sqlite_connections_get_foreign_keys_wal_and_busy_timeout(tmp_path: Path) -> None:
    """Always on SQLite, whatever engine the rest of the suite uses."""
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'pragmas.db'}",
            "SECRET_KEY": "s" * 40,
            "SQLITE_BUSY_TIMEOUT_MS": 1234,
        },
        instance_path=str(tmp_path / "instance"),
    )
    with app.app_context():
        try:
            assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 1234
            db.session.remove()
            # Every pooled connection, not just the first one, is configured.
            with db.engine.connect() as one, db.engine.connect() as two:
                for conn in (one, two):
                    assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
                    assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 1234

            # Foreign keys are enforced, not merely declared.
            db.create_all()
            db.session.add(Thread(site_id=424242, key="/orphan"))
            with pytest.raises(IntegrityError):
                db.session.commit()
            db.session.rollback()
        finally:
            db.session.remove()
            db.engine.dispose()


# --- X-Forwarded-For ------------------------------------------------------------------------

TRUSTED = "10.0.0.0/8,192.0.2.1"


@dataclasses.dataclass(frozen=True)
class ForwardingCase:
    trusted: str
    peer: str
    forwarded_for: str | None
    client: str  # the address the service must attribute the comment to


FORWARDING_CASES = {
    "no proxies configured: header ignored": ForwardingCase(
        "", "10.0.0.5", "198.51.100.7", "10.0.0.5"
    ),
    "untrusted peer: header ignored": ForwardingCase(
        TRUSTED, "203.0.113.10", "198.51.100.7", "203.0.113.10"
    ),
    "trusted peer: header believed": ForwardingCase(
        TRUSTED, "10.0.0.5", "198.51.100.7", "198.51.100.7"
    ),
    "trusted single-address proxy": ForwardingCase(
        TRUSTED, "192.0.2.1", "198.51.100.8", "198.51.100.8"
    ),
    "chain: first untrusted hop from the right wins, spoofed left part ignored": ForwardingCase(
        TRUSTED, "10.0.0.5", "6.6.6.6, 198.51.100.7, 10.9.9.9", "198.51.100.7"
    ),
    "trusted peer without header": ForwardingCase(TRUSTED, "10.0.0.5", None, "10.0.0.5"),
    "ipv6 client is normalised": ForwardingCase(
        TRUSTED, "10.0.0.5", "2A00:1450:0:0::1", "2a00:1450::1"
    ),
}


@pytest.fixture(params=["", "site-salt"], ids=["salt=SECRET_KEY", "salt=IP_HASH_SALT"])
def salt_setting(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture(params=list(FORWARDING_CASES.values()), ids=list(FORWARDING_CASES))
def forwarding_case(
    request: pytest.FixtureRequest, app_config: dict[str, Any], salt_setting: str
) -> ForwardingCase:
    case: ForwardingCase = request.param
    app_config["TRUSTED_PROXIES"] = case.trusted
    app_config["IP_HASH_SALT"] = salt_setting
    return case


def test_forwarded_for_is_believed_only_from_trusted_proxies(
    forwarding_case: ForwardingCase, app: Flask
) -> None:
    case = forwarding_case
    make_site(app)
    api = Api(app.test_client(), address=case.peer)
    headers = {} if case.forwarded_for is None else {"X-Forwarded-For": case.forwarded_for}
    payload = {"site": DEFAULT_SITE, "uri": DEFAULT_URI, "body": "Where am I from?"}
    response = api.send("POST", "/api/v1/comments", json=payload, headers=headers)
    assert response.status_code == 201, response.get_json()
    comment_id = response.get_json()["comment"]["id"]

    with app.app_context():
        config = app.extensions["comments.settings"]
        salt = config.IP_HASH_SALT or config.SECRET_KEY
        stored = db.session.execute(select(Comment).where(Comment.id == comment_id)).scalar_one()
        assert stored.ip_hash == hash_address(case.client, salt)
        # The test can tell the candidates apart: the peer and the header differ in hash.
        others = {case.peer, *(p.strip() for p in (case.forwarded_for or "").split(","))}
        others.discard(case.client)
        assert all(stored.ip_hash != hash_address(o, salt) for o in others if o)
        assert stored.author_key.endswith(stored.ip_hash)
