"""Who is who without accounts: keyed address hashes, edit tokens and avatar keys."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import json
import secrets

from comments.errors import Unauthorized

ANONYMOUS_PREFIX = "ip:"


def _key(secret: str, purpose: str) -> bytes:
    """A sub-key per purpose so one hash can never be replayed as another."""
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


def hash_address(address: str, salt: str) -> str:
    """A salted, keyed hash of a client address: stable, short, and not reversible."""
    return hmac.new(_key(salt, "address"), address.encode(), hashlib.sha256).hexdigest()[:32]


def reader_key(address_hash: str) -> str:
    """The identity of an anonymous reader for votes, reports and authorship."""
    return ANONYMOUS_PREFIX + address_hash


def new_edit_token() -> tuple[str, str]:
    """A fresh edit token and the hash we store; the token itself is never stored."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    """Constant-time comparison of a presented token against the stored hash."""
    if not stored_hash:
        return False
    return hmac.compare_digest(hash_token(token), stored_hash)


def avatar_key(secret: str, seed: str) -> str:
    """A keyed hash naming a locally generated avatar; unguessable from an email."""
    return hmac.new(_key(secret, "avatar"), seed.encode(), hashlib.sha256).hexdigest()[:20]


SSO_PREFIX = "sso:"
MAX_SSO_LENGTH = 4096


@dataclasses.dataclass(frozen=True)
class SsoUser:
    """A reader the site vouched for with a signed payload."""

    id: str
    name: str
    email: str
    avatar: str
    expires: int

    @property
    def key(self) -> str:
        """Their identity for votes, reports, history and the first-comment policy."""
        return SSO_PREFIX + self.id


def sign_sso(payload: dict[str, object], secret: str) -> str:
    """What a site's server puts in data-sso (used by tests and the documentation)."""
    encoded = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    return encoded + "." + hmac.new(secret.encode(), encoded.encode(), hashlib.sha256).hexdigest()


def _rejected(message: str, code: str = "sso_invalid") -> Unauthorized:
    return Unauthorized(message, code=code, fields={"sso": code})


def verify_sso(token: str, secret: str, now: float) -> SsoUser:
    """Check a data-sso token in constant time. Raises Unauthorized (sso_invalid, sso_expired)."""
    if not secret:
        raise _rejected("This site does not accept single sign-on.")
    if len(token) > MAX_SSO_LENGTH or token.count(".") != 1:
        raise _rejected("The sign-in token is malformed.")
    encoded, signature = token.split(".")
    expected = hmac.new(secret.encode(), encoded.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.lower()):
        raise _rejected("The sign-in token's signature does not match.")
    try:
        payload = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise _rejected("The sign-in token's payload is not JSON.") from exc
    if not isinstance(payload, dict):
        raise _rejected("The sign-in token's payload is not an object.")
    user_id, name, expires = payload.get("id"), payload.get("name"), payload.get("exp")
    if isinstance(user_id, int) and not isinstance(user_id, bool):
        user_id = str(user_id)
    if not isinstance(user_id, str) or not user_id or len(user_id) > 120:
        raise _rejected("The sign-in token has no valid id.")
    if not isinstance(name, str) or not name.strip():
        raise _rejected("The sign-in token has no name.")
    if isinstance(expires, bool) or not isinstance(expires, int | float):
        raise _rejected("The sign-in token has no expiry (exp).")
    if expires < now:
        raise _rejected("The sign-in token has expired; reload the page.", code="sso_expired")
    email, avatar = payload.get("email") or "", payload.get("avatar") or ""
    if not isinstance(email, str) or not isinstance(avatar, str):
        raise _rejected("The sign-in token's email or avatar is not text.")
    return SsoUser(id=user_id, name=name, email=email, avatar=avatar, expires=int(expires))
