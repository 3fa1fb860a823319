"""Who is who without accounts: keyed address hashes, edit tokens and avatar keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets

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
