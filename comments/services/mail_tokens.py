"""Signed, expiring links in mails: confirm a subscription, unsubscribe from one.

A link names a subscription and a keyed tag of its address, signed with SECRET_KEY and a
salt per purpose (a confirmation link cannot unsubscribe, nor the other way round). The tag
keeps a link from working for another address should a subscription id ever be reused
(SQLite hands out the id of a deleted last row again). The signature is checked in constant
time by itsdangerous; the age is checked against a ``now`` the caller passes in.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from comments.errors import BadRequest

# Longer than any link we sign; anything longer is refused before it is parsed.
MAX_TOKEN_LENGTH = 400


class Purpose(enum.StrEnum):
    CONFIRM = "comments.mail.confirm"
    UNSUBSCRIBE = "comments.mail.unsubscribe"


class LinkInvalid(BadRequest):
    """The link was not made by us (or was changed), or is for another purpose."""

    code = "link_invalid"


class LinkExpired(BadRequest):
    """The link is genuine but older than MAIL_LINK_DAYS."""

    code = "link_expired"


class _Signer(TimestampSigner):
    """A timestamp signer that can sign as of a given moment (links made for tests)."""

    def __init__(self, *args: Any, at: datetime | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.at = at

    def get_timestamp(self) -> int:
        return int(self.at.timestamp()) if self.at is not None else super().get_timestamp()


def _serializer(
    secret: str, purpose: Purpose, at: datetime | None = None
) -> URLSafeTimedSerializer:
    if not secret:
        raise ValueError("a secret key is required to sign mail links")
    return URLSafeTimedSerializer(
        secret, salt=purpose.value, signer=_Signer, signer_kwargs={"at": at}
    )


def address_tag(secret: str, email: str) -> str:
    """A short keyed tag of an address: binds a link to it without showing it."""
    key = hashlib.sha256(f"mail-link:{secret}".encode()).digest()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()[:16]


def make_token(
    secret: str, purpose: Purpose, subscription_id: int, email: str, now: datetime | None = None
) -> str:
    """A URL-safe token for ``purpose`` on one subscription, signed as of ``now``."""
    payload = {"s": subscription_id, "a": address_tag(secret, email)}
    return _serializer(secret, purpose, now).dumps(payload)


def read_token(
    token: str, secret: str, purpose: Purpose, max_age: timedelta, now: datetime
) -> tuple[int, str]:
    """The (subscription id, address tag) a token names. Raises LinkInvalid, LinkExpired."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise LinkInvalid("This link is not valid.", {"token": "invalid"})
    try:
        payload, signed_at = _serializer(secret, purpose).loads(token, return_timestamp=True)
    except BadSignature:
        raise LinkInvalid(
            "This link is not valid: it may have been cut short or changed.", {"token": "invalid"}
        ) from None
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("s"), int)
        or isinstance(payload.get("s"), bool)
        or not isinstance(payload.get("a"), str)
    ):
        raise LinkInvalid("This link is not valid.", {"token": "invalid"})
    signed: datetime = signed_at.astimezone(UTC)
    if now - signed > max_age:
        days = max_age.days
        raise LinkExpired(
            f"This link has expired: links in our mails work for {days} days.",
            {"token": "expired"},
        )
    return payload["s"], payload["a"]
