"""Building and sending mail: EmailMessage only, plain text, over SMTP.

A mail is queued in the outbox (kind "email") with this JSON payload:

- ``to``: the recipient's address (an addr-spec, no display name);
- ``subject``: the subject line;
- ``template``: the plain-text body, ``templates/mail/<template>.txt``;
- ``context``: the template's values, plain data (user text already turned into text);
- ``links``: more template values that are URLs: absolute, or a path under PUBLIC_URL;
- ``confirm`` / ``unsubscribe`` (optional): a subscription id, made into a signed link;
- ``id``: random hex, the Message-ID's left part, the same on every attempt.

The body is rendered and the message built when it is delivered: the signed links need
SECRET_KEY and PUBLIC_URL, which the events that queue mail do not carry, and a link's
lifetime then starts when the mail goes out. Every header value is cleaned of line breaks
and control characters, and addresses are parsed strictly and refused if invalid, so no
value from a reader, a site or the settings can add a header.
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
import smtplib
import ssl
import unicodedata
from collections.abc import Mapping
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import jinja2

from comments.config import Settings
from comments.models import utcnow
from comments.services import mail_tokens, outbox
from comments.services.mail_tokens import Purpose
from comments.services.outbox import DeliveryFailed

log = logging.getLogger(__name__)

KIND = "email"
# Where readers follow the links in mails (routes in comments/pages/mail_views.py).
CONFIRM_PATH = "/mail/confirm/"
UNSUBSCRIBE_PATH = "/mail/unsubscribe/"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
MAX_SUBJECT_LENGTH = 200
MAX_NAME_LENGTH = 100
_TEMPLATE_NAME = re.compile(r"^[a-z][a-z_]{0,30}$")
_MESSAGE_ID = re.compile(r"^[0-9a-f]{32}$")
# "Name <address>" or a bare address, once line breaks and control characters are gone.
_MAILBOX = re.compile(r"^(?:(?P<name>[^<>]*?)\s*<(?P<addr>[^<>\s]+)>|(?P<bare>[^<>\s]+))$")
# Characters that end a line somewhere (str.splitlines() and mail software).
_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")


class InvalidAddress(ValueError):
    """A value that is not exactly one valid e-mail address."""


# --- Cleaning -------------------------------------------------------------------------------------


def clean_header(value: str, limit: int = MAX_SUBJECT_LENGTH) -> str:
    """One line of text for a header: line breaks become spaces, control and format
    characters (bidi overrides included) are dropped, spaces collapse, at most ``limit``."""
    text = _LINE_BREAKS.sub(" ", value)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] not in {"C"})
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def clean_body(text: str) -> str:
    """Plain text for a body: Unix line breaks, no control characters but tabs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")


def parse_address(value: str, *, display_name: bool = False) -> Address:
    """Exactly one address ("Name <a@b.example>" too when ``display_name``). Raises
    InvalidAddress: a value with anything else in it is refused, never cut down to fit."""
    if not isinstance(value, str) or _LINE_BREAKS.search(value):
        raise InvalidAddress(f"not one address: {value!r}")
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise InvalidAddress(f"control characters in address: {value!r}")
    match = _MAILBOX.fullmatch(value.strip())
    if match is None or (match["addr"] and not display_name):
        raise InvalidAddress(f"not an address: {value!r}")
    spec = match["addr"] or match["bare"]
    name = clean_header((match["name"] or "").strip().strip('"'), MAX_NAME_LENGTH)
    if spec.count("@") != 1 or len(spec) > 254:
        raise InvalidAddress(f"not an address: {value!r}")
    try:
        address = Address(display_name=name, addr_spec=spec)
    except (ValueError, IndexError) as exc:  # the header parser's refusals
        raise InvalidAddress(f"not an address: {value!r} ({exc})") from None
    if not address.username or not address.domain or address.addr_spec != spec:
        raise InvalidAddress(f"not an address: {value!r}")
    return address


def is_address(value: str) -> bool:
    """Whether ``value`` is one plain address we can send to."""
    try:
        parse_address(value)
    except InvalidAddress:
        return False
    return True


# --- Links ----------------------------------------------------------------------------------------


def public_url(settings: Settings) -> str:
    """Where readers reach the service, without a trailing slash."""
    return (settings.PUBLIC_URL or DEFAULT_PUBLIC_URL).rstrip("/")


def link_url(
    settings: Settings,
    purpose: Purpose,
    subscription_id: int,
    email: str,
    now: datetime | None = None,
) -> str:
    """The signed confirmation or unsubscribe link for one subscription."""
    token = mail_tokens.make_token(settings.SECRET_KEY, purpose, subscription_id, email, now)
    path = CONFIRM_PATH if purpose is Purpose.CONFIRM else UNSUBSCRIBE_PATH
    return public_url(settings) + path + token


def link_max_age(settings: Settings) -> timedelta:
    """How long the links in our mails stay valid."""
    return timedelta(days=settings.MAIL_LINK_DAYS)


def absolute(settings: Settings, url: str) -> str:
    """An http(s) URL as it is; a path (``/...``) under PUBLIC_URL."""
    if url.startswith("/") and not url.startswith("//"):
        return public_url(settings) + url
    if url.startswith(("https://", "http://")):
        return url
    raise ValueError(f"not a link: {url!r}")


# --- Queueing -------------------------------------------------------------------------------------


def queue(
    to: str,
    subject: str,
    template: str,
    context: Mapping[str, Any],
    *,
    links: Mapping[str, str] | None = None,
    confirm: int | None = None,
    unsubscribe: int | None = None,
) -> bool:
    """Queue one mail in the current transaction (flushes). False, and nothing queued,
    when ``to`` is no address we can send to (a listener must never break the change)."""
    if not is_address(to):
        log.warning("not queueing mail %r to an unusable address", template)
        return False
    payload: dict[str, object] = {
        "to": to,
        "subject": subject,
        "template": template,
        "context": dict(context),
        "links": dict(links or {}),
        "id": secrets.token_hex(16),
    }
    if confirm is not None:
        payload["confirm"] = confirm
    if unsubscribe is not None:
        payload["unsubscribe"] = unsubscribe
    outbox.enqueue(KIND, payload)
    return True


# --- Building -------------------------------------------------------------------------------------


def _template_dir() -> Path:
    # Installed, templates/ sits inside the package; in a checkout, next to it.
    package = Path(__file__).resolve().parents[1]
    installed = package / "templates"
    return (installed if installed.is_dir() else package.parent / "templates") / "mail"


@functools.cache
def _environment() -> jinja2.Environment:
    # Plain text, not HTML: escaping would turn a reader's "&" into "&amp;" in the mail.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_template_dir())),
        autoescape=False,  # noqa: S701 - plain-text mail bodies, never HTML
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(template: str, context: Mapping[str, Any]) -> str:
    """The plain-text body ``templates/mail/<template>.txt`` with ``context``."""
    if not _TEMPLATE_NAME.fullmatch(template):
        raise ValueError(f"no such mail template: {template!r}")
    return clean_body(_environment().get_template(template + ".txt").render(**context))


def _field(payload: Mapping[str, object], name: str, kind: type) -> Any:
    value = payload.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f"payload field {name!r} is missing or not a {kind.__name__}")
    return value


def _subscription_id(payload: Mapping[str, object], name: str) -> int | None:
    if payload.get(name) is None:
        return None
    value: int = _field(payload, name, int)
    return value


def build(
    payload: Mapping[str, object], settings: Settings, now: datetime | None = None
) -> EmailMessage:
    """The message a queued payload stands for. Raises ValueError (InvalidAddress for a
    bad recipient or MAIL_FROM) and jinja2 errors for a payload that cannot be built."""
    now = now or utcnow()
    sender = parse_address(settings.MAIL_FROM, display_name=True)
    recipient = parse_address(_field(payload, "to", str))
    context: dict[str, Any] = dict(_field(payload, "context", dict))
    links: dict[str, str] = _field(payload, "links", dict) if "links" in payload else {}
    context.update({name: absolute(settings, str(url)) for name, url in links.items()})
    context["base_url"] = public_url(settings)
    confirm = _subscription_id(payload, "confirm")
    unsubscribe = _subscription_id(payload, "unsubscribe")
    if confirm is not None:
        context["confirm_url"] = link_url(
            settings, Purpose.CONFIRM, confirm, recipient.addr_spec, now
        )
    if unsubscribe is not None:
        context["unsubscribe_url"] = link_url(
            settings, Purpose.UNSUBSCRIBE, unsubscribe, recipient.addr_spec, now
        )
    body = render(_field(payload, "template", str), context)

    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = clean_header(_field(payload, "subject", str))
    message["Date"] = format_datetime(now)
    raw_id = payload.get("id")
    local = raw_id if isinstance(raw_id, str) and _MESSAGE_ID.fullmatch(raw_id) else None
    message["Message-ID"] = f"<{local or secrets.token_hex(16)}@{sender.domain}>"
    # Tells auto-responders (out of office) not to answer (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe is not None:
        # One-click unsubscribe (RFC 8058): mail clients POST to the link themselves.
        message["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(body, charset="utf-8")
    return message


# --- Sending --------------------------------------------------------------------------------------

SECURITY_MODES = ("none", "starttls", "ssl")


def _connect(settings: Settings) -> smtplib.SMTP:
    security = settings.SMTP_SECURITY.strip().lower()
    if security not in SECURITY_MODES:
        raise DeliveryFailed(f"SMTP_SECURITY must be none, starttls or ssl, not {security!r}")
    host, port, timeout = settings.SMTP_HOST, settings.SMTP_PORT, settings.SMTP_TIMEOUT_SECONDS
    if security == "ssl":
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    smtp = smtplib.SMTP(host, port, timeout=timeout)
    if security == "starttls":
        try:
            smtp.starttls(context=ssl.create_default_context())
        except BaseException:
            smtp.close()
            raise
    return smtp


def _send(message: EmailMessage, settings: Settings) -> None:
    sender = message["From"].addresses[0].addr_spec
    recipient = message["To"].addresses[0].addr_spec
    smtp = _connect(settings)
    try:
        if settings.SMTP_USERNAME:
            smtp.login(settings.SMTP_USERNAME, settings.SMTP_PASSWORD)
        # The envelope names the recipient itself: never worked out from the headers.
        smtp.send_message(message, from_addr=sender, to_addrs=[recipient])
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()  # the mail was handed over already, or the error below says why not


def _text(reply: bytes | str) -> str:
    return (reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply).strip()


def deliver(payload: Mapping[str, object], settings: Settings) -> None:
    """Send one queued mail. Raises DeliveryFailed: permanent for a mail that can never go
    (an invalid address or payload, a 5xx refusal), otherwise to be tried again later."""
    try:
        message = build(payload, settings)
    except InvalidAddress as exc:
        raise DeliveryFailed(f"cannot send: {exc} (check MAIL_FROM)", permanent=True) from exc
    except (ValueError, jinja2.TemplateError) as exc:
        raise DeliveryFailed(f"cannot build the mail: {exc}", permanent=True) from exc
    try:
        _send(message, settings)
    except smtplib.SMTPRecipientsRefused as exc:
        code, reply = next(iter(exc.recipients.values()))
        raise DeliveryFailed(
            f"SMTP {code}: recipient refused: {_text(reply)}", permanent=500 <= code < 600
        ) from exc
    except smtplib.SMTPAuthenticationError as exc:
        # Our credentials, not this mail, are wrong: it can go once they are fixed.
        raise DeliveryFailed(
            f"SMTP {exc.smtp_code}: login failed: {_text(exc.smtp_error)}"
        ) from exc
    except smtplib.SMTPResponseException as exc:
        raise DeliveryFailed(
            f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}", permanent=500 <= exc.smtp_code < 600
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:  # refused, unreachable, TLS, timeouts
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
