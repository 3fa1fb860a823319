"""Moderator accounts: passwords, roles, site assignments, sessions and API tokens."""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from comments.errors import Conflict, NotFound, ValidationFailed
from comments.extensions import db
from comments.models import ApiToken, Moderator, Role, Site, utcnow

MIN_PASSWORD_LENGTH = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TOKEN_PREFIX = "cmt_"  # noqa: S105 - a visible prefix, not a secret


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the e-mail is unknown, so both answers take the same time."""
    return generate_password_hash(secrets.token_urlsafe(16), method="scrypt")


def generate_password() -> str:
    """A random password (20 URL-safe characters) for accounts made without one."""
    return secrets.token_urlsafe(15)


def _normal_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise ValidationFailed("That is not an e-mail address.", {"email": "invalid"})
    return email


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.",
            {"password": f"at least {MIN_PASSWORD_LENGTH} characters"},
        )


def _sites(slugs: Sequence[str]) -> list[Site]:
    found = list(db.session.execute(select(Site).where(Site.slug.in_(slugs))).scalars())
    missing = sorted(set(slugs) - {s.slug for s in found})
    if missing:
        raise NotFound(f"Unknown site: {', '.join(missing)}.", {"site": "unknown"})
    return found


def add_moderator(
    email: str, role: Role, site_slugs: Sequence[str] = (), password: str | None = None
) -> tuple[Moderator, str | None]:
    """Create an account. Without a password one is generated and returned (shown once).

    Raises ValidationFailed, Conflict (e-mail taken), NotFound (unknown site).
    """
    email = _normal_email(email)
    generated = None
    if password is None:
        generated = password = generate_password()
    _check_password(password)
    if db.session.execute(select(Moderator.id).where(Moderator.email == email)).first():
        raise Conflict(f"There is already a moderator {email}.", code="moderator_exists")
    moderator = Moderator(
        email=email,
        password_hash=generate_password_hash(password, method="scrypt"),
        role=role,
        sites=_sites(site_slugs) if role is Role.MODERATOR else [],
    )
    db.session.add(moderator)
    db.session.commit()
    return moderator, generated


def list_moderators() -> Sequence[Moderator]:
    return db.session.execute(select(Moderator).order_by(Moderator.email)).scalars().all()


def get_by_email(email: str) -> Moderator:
    moderator = db.session.execute(
        select(Moderator).where(Moderator.email == email.strip().lower())
    ).scalar_one_or_none()
    if moderator is None:
        raise NotFound(f"There is no moderator {email}.")
    return moderator


def remove_moderator(email: str) -> None:
    """Delete an account; its sessions and tokens stop working at once."""
    db.session.delete(get_by_email(email))
    db.session.commit()


def authenticate(email: str, password: str) -> Moderator | None:
    """The moderator with these credentials, or None. Same work for unknown e-mails."""
    moderator = db.session.execute(
        select(Moderator).where(Moderator.email == email.strip().lower())
    ).scalar_one_or_none()
    if moderator is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(moderator.password_hash, password):
        return None
    moderator.last_login_at = utcnow()
    db.session.commit()
    return moderator


def set_password(moderator: Moderator, password: str) -> None:
    """Change the password and sign the moderator out everywhere."""
    _check_password(password)
    moderator.password_hash = generate_password_hash(password, method="scrypt")
    moderator.session_version += 1
    db.session.commit()


def set_role(moderator: Moderator, role: Role, site_slugs: Sequence[str] = ()) -> None:
    """Change role and sites, and sign the moderator out everywhere."""
    moderator.role = role
    moderator.sites = _sites(site_slugs) if role is Role.MODERATOR else []
    moderator.session_version += 1
    db.session.commit()


def end_sessions(moderator: Moderator) -> None:
    """Sign-out: every session cookie of this moderator stops working."""
    moderator.session_version += 1
    db.session.commit()


def session_moderator(moderator_id: int, version: int) -> Moderator | None:
    """The moderator a session names, if the session is still valid."""
    moderator = db.session.get(Moderator, moderator_id)
    if moderator is None or moderator.session_version != version:
        return None
    return moderator


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(moderator: Moderator, name: str) -> tuple[ApiToken, str]:
    """A new API token: returned once, stored as its hash."""
    name = " ".join(name.split())[:100] or "token"
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    entry = ApiToken(moderator_id=moderator.id, name=name, token_hash=_token_hash(token))
    db.session.add(entry)
    db.session.commit()
    return entry, token


def revoke_token(moderator: Moderator, token_id: int) -> None:
    """Revoke one of the moderator's own tokens (admins may revoke anyone's)."""
    entry = db.session.get(ApiToken, token_id)
    if entry is None or (entry.moderator_id != moderator.id and moderator.role is not Role.ADMIN):
        raise NotFound("There is no such token.")
    if entry.revoked_at is None:
        entry.revoked_at = utcnow()
    db.session.commit()


def token_moderator(token: str) -> Moderator | None:
    """The moderator an API token belongs to, if it is valid and not revoked."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = _token_hash(token)
    entry = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == digest)
    ).scalar_one_or_none()
    # The lookup is by a hash of the token, so timing reveals nothing usable; compare anyway.
    if entry is None or not hmac.compare_digest(entry.token_hash, digest):
        return None
    if entry.revoked_at is not None:
        return None
    entry.last_used_at = utcnow()
    db.session.commit()
    return entry.moderator


def tokens_of(moderator: Moderator) -> Sequence[ApiToken]:
    return (
        db.session.execute(
            select(ApiToken).where(ApiToken.moderator_id == moderator.id).order_by(ApiToken.id)
        )
        .scalars()
        .all()
    )
