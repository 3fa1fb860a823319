"""Normalising and checking what readers type: names, emails, websites, bodies."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from comments.errors import ValidationFailed

MAX_NAME_LENGTH = 64
MAX_EMAIL_LENGTH = 254
MAX_URL_LENGTH = 2048
MAX_TITLE_LENGTH = 300
MAX_URI_LENGTH = 1024
MAX_NOTE_LENGTH = 1000

# Bidi embeddings/overrides/isolates: they can make a name read backwards.
_BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_text(field: str, value: str) -> str:
    """Refuse strings that cannot be stored as UTF-8 text (lone surrogates, NUL)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationFailed(
            f"{field} is not valid Unicode text.", {field: "contains invalid Unicode"}
        ) from exc
    if "\x00" in value:
        raise ValidationFailed(f"{field} contains a NUL character.", {field: "contains NUL"})
    return value


def normalise_name(value: str, field: str = "author_name") -> str:
    """NFKC, then drop control, zero-width and bidi-override characters; at most 64 chars."""
    check_text(field, value)
    text = unicodedata.normalize("NFKC", value)
    kept = [
        ch
        for ch in text
        if ch not in _BIDI_CONTROLS and unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co"}
    ]
    name = " ".join("".join(kept).split())
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed(
            f"The name is longer than {MAX_NAME_LENGTH} characters.",
            {field: f"at most {MAX_NAME_LENGTH} characters"},
        )
    return name


def normalise_email(value: str, field: str = "author_email") -> str:
    check_text(field, value)
    email = value.strip()
    if not email:
        return ""
    if len(email) > MAX_EMAIL_LENGTH or not _EMAIL.match(email):
        raise ValidationFailed("The e-mail address is not valid.", {field: "not an e-mail address"})
    return email


def normalise_url(value: str, field: str, *, allow_bare_host: bool = True) -> str:
    """An http(s) URL, or empty. A bare host such as example.org gets https:// in front."""
    check_text(field, value)
    url = value.strip()
    if not url:
        return ""
    if allow_bare_host and "://" not in url and not url.startswith("//") and ":" not in url:
        url = "https://" + url
    if len(url) > MAX_URL_LENGTH or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise ValidationFailed("The address is not a valid web address.", {field: "not a URL"})
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ValidationFailed(
            "The address is not a valid web address.", {field: "not a URL"}
        ) from exc
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise ValidationFailed(
            "Only http and https web addresses are accepted.", {field: "must be http(s)"}
        )
    return url


def normalise_body(value: str, max_length: int, field: str = "body") -> str:
    check_text(field, value)
    body = value.strip("\n\r\t ")
    if not body:
        raise ValidationFailed("The comment is empty.", {field: "must not be empty"})
    if len(body) > max_length:
        raise ValidationFailed(
            f"The comment is longer than {max_length} characters.",
            {field: f"at most {max_length} characters"},
        )
    return body


def normalise_short_text(value: str, field: str, max_length: int) -> str:
    check_text(field, value)
    text = " ".join(value.split())
    if len(text) > max_length:
        raise ValidationFailed(
            f"{field} is longer than {max_length} characters.",
            {field: f"at most {max_length} characters"},
        )
    return text


def normalise_uri(value: str, field: str = "uri") -> str:
    check_text(field, value)
    uri = value.strip()
    if not uri:
        raise ValidationFailed("The page uri is empty.", {field: "must not be empty"})
    if len(uri) > MAX_URI_LENGTH or any(ord(ch) < 32 for ch in uri):
        raise ValidationFailed(
            f"The page uri must be at most {MAX_URI_LENGTH} printable characters.",
            {field: "invalid uri"},
        )
    return uri
