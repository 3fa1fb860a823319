"""The SSRF guard: webhooks go only to public http(s) addresses, checked when a webhook is
added and again at delivery, and the connection goes to the address that was checked."""

from __future__ import annotations

import dataclasses
import shutil
import ssl
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from comments.errors import ValidationFailed
from comments.extensions import db
from comments.models import Webhook
from comments.services import netguard, webhooks
from tests.factories import Api
from tests.webhooks.helpers import Receiver, outbox_rows, settings_of, work

PUBLIC = "93.184.215.14"  # a globally routable address (nothing is sent there)

# Refused whatever the setting says: no receiver lives at these.
NEVER = [
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254, which is link-local"),
    ("http://0.0.0.0/", "0.0.0.0, which is the unspecified address"),
    ("http://0.0.0.0:8000/", "0.0.0.0, which is the unspecified address"),
    ("http://[::]/", "::, which is the unspecified address"),
    ("http://[fe80::1]/", "fe80::1, which is link-local"),
    ("http://224.0.0.1/", "224.0.0.1, which is a multicast address"),
    ("http://240.0.0.1/", "240.0.0.1, which is a reserved address"),
    ("http://[::ffff:169.254.169.254]/", "stands for 169.254.169.254, which is link-local"),
]
# Refused unless WEBHOOKS_ALLOW_PRIVATE is on.
PRIVATE = [
    ("http://127.0.0.1/", "127.0.0.1, which is a loopback address"),
    ("http://127.0.0.1:8000/hook", "127.0.0.1, which is a loopback address"),
    ("http://localhost/", "localhost resolves to "),
    ("http://LocalHost:5000/", "localhost resolves to "),
    ("http://[::1]/", "::1, which is a loopback address"),
    ("http://10.0.0.1/", "10.0.0.1, which is a private address"),
    ("http://172.16.5.4/", "172.16.5.4, which is a private address"),
    ("http://192.168.1.1/", "192.168.1.1, which is a private address"),
    ("http://100.64.0.1/", "100.64.0.1, which is in the shared address space"),
    ("http://[fc00::1]/", "fc00::1, which is a private address"),
    ("http://[fec0::1]/", "fec0::1, which is a private address"),
    ("http://198.18.0.1/", "198.18.0.1, which is a private address"),
    ("http://[::ffff:127.0.0.1]/", "stands for 127.0.0.1, which is a loopback address"),
    ("http://[::ffff:10.0.0.1]/", "stands for 10.0.0.1, which is a private address"),
    ("http://[2002:7f00:1::1]/", "stands for 127.0.0.1, which is a loopback address"),
    ("http://[64:ff9b::a00:1]/", "stands for 10.0.0.1, which is a private address"),
    ("http://2130706433/", "2130706433 resolves to 127.0.0.1, which is a loopback address"),
    ("http://0x7f.1/", "0x7f.1 resolves to 127.0.0.1, which is a loopback address"),
    ("http://127.1/", "127.1 resolves to 127.0.0.1, which is a loopback address"),
    ("http://017700000001/", "resolves to 127.0.0.1, which is a loopback address"),
]
# Not a URL a webhook can have at all.
MALFORMED = [
    ("file:///etc/passwd", "only http and https URLs can receive webhooks, not file:"),
    ("gopher://example.com:70/_GET", "not gopher:"),
    ("ftp://example.com/upload", "not ftp:"),
    ("javascript:alert(1)", "not javascript:"),
    ("example.com/hook", "not a URL without a scheme"),
    ("http://user:pass@example.com/hook", "must not carry a user name or password"),
    ("http://user@example.com/hook", "must not carry a user name or password"),
    ("http://example.com\\@127.0.0.1/", "backslash"),
    ("http:///hook", "the URL has no host"),
    ("http://exa mple.com/", "percent-encode"),
    ("http://bücher.example/", "xn--"),
    ("http://example.com:99999/", "cannot be read"),
    ("http://[::1/", "cannot be read"),
    ("http://example.com/#top", "#fragment"),
    ("http://" + "a" * 2050 + ".com/", "at most 2048 characters"),
    ("", "give the receiver's URL"),
]


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "WEBHOOKS_ALLOW_PRIVATE": False}


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Names resolved by the guard's resolver from this table (others as usual)."""
    table: dict[str, list[str]] = {}
    real = netguard.resolve

    def resolve(host: str, port: int) -> list[str]:
        return list(table[host]) if host in table else real(host, port)

    monkeypatch.setattr(netguard, "resolve", resolve)
    return table


def refusal(app: Flask, url: str, *, allow_private: bool = False) -> str:
    with app.app_context():
        with pytest.raises(ValidationFailed) as caught:
            webhooks.add_webhook("news", url, allow_private=allow_private)
        db.session.rollback()
        assert db.session.scalar(select(func.count(Webhook.id))) == 0
    assert "url" in caught.value.fields
    return caught.value.message


@pytest.mark.parametrize(("url", "reason"), PRIVATE)
def test_private_addresses_are_refused_when_a_webhook_is_added(
    app: Flask, news: str, url: str, reason: str
) -> None:
    message = refusal(app, url)
    assert reason in message
    assert "(set COMMENTS_WEBHOOKS_ALLOW_PRIVATE=true to allow private addresses)" in message


@pytest.mark.parametrize(("url", "reason"), NEVER)
def test_some_addresses_are_refused_even_when_private_ones_are_allowed(
    app: Flask, news: str, url: str, reason: str
) -> None:
    for allow in (False, True):
        message = refusal(app, url, allow_private=allow)
        assert reason in message and "COMMENTS_WEBHOOKS_ALLOW_PRIVATE" not in message


@pytest.mark.parametrize(("url", "reason"), MALFORMED)
def test_urls_that_are_not_http_or_carry_credentials_are_refused(
    app: Flask, news: str, url: str, reason: str
) -> None:
    assert reason in refusal(app, url, allow_private=True)


def test_a_name_that_cannot_be_resolved_is_refused(
    app: Flask, news: str, fake_dns: dict[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    def nowhere(host: str, port: int) -> list[str]:
        raise OSError(-2, "Name or service not known")

    monkeypatch.setattr(netguard, "resolve", nowhere)
    message = refusal(app, "https://hooks.invalid/x")
    assert "hooks.invalid cannot be resolved (Name or service not known)" in message


def test_a_name_with_any_private_address_is_refused(
    app: Flask, news: str, fake_dns: dict[str, list[str]]
) -> None:
    fake_dns["split.example"] = [PUBLIC, "10.1.2.3"]
    message = refusal(app, "https://split.example/hook")
    assert "split.example resolves to 10.1.2.3, which is a private address" in message


def test_public_urls_are_accepted_and_normalised(
    app: Flask, news: str, fake_dns: dict[str, list[str]]
) -> None:
    fake_dns["hooks.example"] = [PUBLIC, "2606:4700::1111"]
    with app.app_context():
        hook = webhooks.add_webhook(
            "news", " HTTPS://Hooks.Example:8443/in?x=1 ", allow_private=False
        )
        assert hook.url == "https://hooks.example:8443/in?x=1"
        assert webhooks.add_webhook("news", "http://8.8.8.8", allow_private=False).url == (
            "http://8.8.8.8/"
        )


def test_the_cli_names_the_problem(app: Flask, news: str, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["webhook", "add", "news", "http://10.0.0.1/hook"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "Error: Webhooks cannot be sent to 'http://10.0.0.1/hook': 10.0.0.1, which is " in (
        result.output
    )
    assert "COMMENTS_WEBHOOKS_ALLOW_PRIVATE" in result.output


def test_a_name_that_turns_private_after_it_was_added_is_refused_without_connecting(
    app: Flask, api: Api, receiver: Receiver, fake_dns: dict[str, list[str]]
) -> None:
    """DNS rebinding: public when added, loopback at delivery."""
    fake_dns["rebind.example"] = [PUBLIC]
    with app.app_context():
        hook = webhooks.add_webhook(
            "news", f"http://rebind.example:{receiver.port}/hook", allow_private=False
        )
        assert hook.id
    fake_dns["rebind.example"] = ["127.0.0.1"]
    api.comment("Hello")
    assert work(app) == (0, 1)
    [row] = outbox_rows(app)
    assert (row.status, row.attempts) == ("failed", 1)  # not tried again
    assert row.last_error == (
        "refused by the SSRF guard: rebind.example resolves to 127.0.0.1, "
        "which is a loopback address (this machine)"
    )
    assert receiver.connections == 0


def test_webhooks_allow_private_reaches_a_local_receiver(
    app: Flask, api: Api, receiver: Receiver
) -> None:
    """The setting is read at delivery: the same webhook is refused without it."""
    allowed = dataclasses.replace(settings_of(app), WEBHOOKS_ALLOW_PRIVATE=True)
    with app.app_context():
        webhooks.add_webhook("news", receiver.url + "/hook", allow_private=True)
    api.comment("Hello")
    assert work(app, settings=allowed) == (1, 0)
    assert receiver.events() == ["comment.created"]
    api.comment("Again")
    assert work(app) == (0, 1)
    assert "which is a loopback address" in outbox_rows(app)[-1].last_error
    assert len(receiver.calls) == 1


def test_the_connection_goes_to_the_vetted_address_with_the_name_in_host(
    app: Flask, api: Api, receiver: Receiver, fake_dns: dict[str, list[str]]
) -> None:
    """hooks.test resolves nowhere but through the guard, so reaching the receiver at all
    means the connection used the address the guard vetted, not a second lookup."""
    fake_dns["hooks.test"] = ["127.0.0.1"]
    with app.app_context():
        webhooks.add_webhook("news", f"http://hooks.test:{receiver.port}/in", allow_private=True)
    api.comment("Hello")
    allowed = dataclasses.replace(settings_of(app), WEBHOOKS_ALLOW_PRIVATE=True)
    assert work(app, settings=allowed) == (1, 0)
    [call] = receiver.calls
    assert call.headers["host"] == f"hooks.test:{receiver.port}"
    assert call.path == "/in"


# --- HTTPS: the vetted address, with SNI and the certificate checked for the name ---------


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A throwaway CA and a server certificate for hooks.test, made with the openssl tool."""
    assert shutil.which("openssl"), "the openssl command is needed for the HTTPS tests"
    folder = tmp_path_factory.mktemp("tls")
    ca_key, ca, key, csr, cert = (
        folder / name for name in ("ca.key", "ca.pem", "leaf.key", "leaf.csr", "leaf.pem")
    )
    curve = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl(
        "req", "-x509", *curve, "-keyout", str(ca_key), "-out", str(ca), "-days", "2",
        "-subj", "/CN=comments test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    _openssl("req", *curve, "-keyout", str(key), "-out", str(csr), "-subj", "/CN=hooks.test")
    extensions = folder / "leaf.ext"
    extensions.write_text(
        "subjectAltName=DNS:hooks.test\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        "authorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n"
    )
    _openssl(
        "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
        "-CAcreateserial", "-out", str(cert), "-days", "2", "-extfile", str(extensions),
    )  # fmt: skip
    return {"ca": ca, "cert": cert, "key": key}


@pytest.fixture
def tls_receiver(
    certificates: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Receiver, list[str | None]]]:
    """An HTTPS receiver on 127.0.0.1 serving the hooks.test certificate; records SNI names.

    The sender trusts the test CA only (SSL_CERT_FILE is what OpenSSL reads for its defaults).
    """
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates["ca"]))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    names: list[str | None] = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificates["cert"], certificates["key"])
    remember: Callable[[Any, str | None, Any], None] = lambda _s, name, _c: names.append(name)  # noqa: E731
    context.sni_callback = remember
    server = Receiver(tls=context)
    server.start()
    yield server, names
    server.stop()


def test_https_connects_to_the_vetted_address_and_checks_the_certificate_for_the_name(
    app: Flask,
    api: Api,
    tls_receiver: tuple[Receiver, list[str | None]],
    fake_dns: dict[str, list[str]],
) -> None:
    receiver, names = tls_receiver
    fake_dns["hooks.test"] = ["127.0.0.1"]
    fake_dns["wrong.test"] = ["127.0.0.1"]
    allowed = dataclasses.replace(settings_of(app), WEBHOOKS_ALLOW_PRIVATE=True)
    with app.app_context():
        good = webhooks.add_webhook(
            "news", f"https://hooks.test:{receiver.port}/in", allow_private=True
        ).id
    api.comment("Hello")
    assert work(app, settings=allowed) == (1, 0)
    [call] = receiver.calls
    assert call.headers["host"] == f"hooks.test:{receiver.port}"
    assert names == ["hooks.test"]

    # The same server under a name its certificate does not carry: refused by the sender.
    with app.app_context():
        webhooks.remove_webhook(good)
        webhooks.add_webhook("news", f"https://wrong.test:{receiver.port}/in", allow_private=True)
    api.comment("Again")
    assert work(app, settings=allowed) == (0, 1)
    row = outbox_rows(app)[-1]
    assert row.status == "pending" and "CERTIFICATE_VERIFY_FAILED" in row.last_error
    assert len(receiver.calls) == 1 and names[-1] == "wrong.test"
