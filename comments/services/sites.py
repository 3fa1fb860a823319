"""Sites: creating, listing, editing and looking them up."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from comments.errors import Conflict, NotFound, ValidationFailed
from comments.extensions import db
from comments.models import Moderator, Site
from comments.services import audit
from comments.services.policy import Policy, build_policy, policy_from_json

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
# Letters, digits, dots and hyphens, or an IPv6 literal: origins end up in CSP headers.
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?|[0-9a-f:.]+", re.IGNORECASE)


def normalise_origin(origin: str) -> str:
    """An exact origin: scheme://host[:port], lower-cased, no path."""
    try:
        parts = urlsplit(origin.strip())
        port = f":{parts.port}" if parts.port else ""
    except ValueError as exc:
        raise ValidationFailed(
            f"{origin!r} is not a valid origin ({exc}).",
            {"origins": "each must be http(s)://host[:port]"},
        ) from exc
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValidationFailed(
            f"{origin!r} is not an origin such as https://news.example.",
            {"origins": "each must be http(s)://host[:port]"},
        )
    if not _HOST.fullmatch(parts.hostname):
        raise ValidationFailed(
            f"{origin!r} has an invalid host name.", {"origins": "invalid host name"}
        )
    if parts.path not in {"", "/"} or parts.query or parts.fragment or parts.username:
        raise ValidationFailed(
            f"{origin!r} must be an origin only, without path, query or credentials.",
            {"origins": "origin only"},
        )
    host = parts.hostname.lower()
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}{port}"


def get_site(slug: str) -> Site:
    """The site with this slug. Raises NotFound."""
    if not _SLUG.fullmatch(slug):
        raise NotFound(f"There is no site {slug!r}.", {"site": "unknown site"})
    site = db.session.execute(select(Site).where(Site.slug == slug)).scalar_one_or_none()
    if site is None:
        raise NotFound(f"There is no site {slug!r}.", {"site": "unknown site"})
    return site


def list_sites() -> Sequence[Site]:
    return db.session.execute(select(Site).order_by(Site.slug)).scalars().all()


def add_site(slug: str, name: str, origins: Sequence[str] = ()) -> Site:
    """Create a site with a fresh SSO secret. Raises ValidationFailed, Conflict."""
    if not _SLUG.fullmatch(slug):
        raise ValidationFailed(
            "A site slug is 1-64 lower-case letters, digits and dashes.", {"slug": "invalid"}
        )
    if db.session.execute(select(Site.id).where(Site.slug == slug)).first():
        raise Conflict(f"A site {slug!r} already exists.", code="site_exists")
    site = Site(
        slug=slug,
        name=name.strip() or slug,
        allowed_origins=sorted({normalise_origin(o) for o in origins}),
        sso_secret=secrets.token_hex(32),
        settings={},
    )
    db.session.add(site)
    db.session.commit()
    return site


def edit_site(
    slug: str,
    *,
    name: str | None = None,
    origins: Sequence[str] | None = None,
    rotate_sso_secret: bool = False,
) -> Site:
    """Change a site's name, origins or SSO secret. Raises NotFound, ValidationFailed."""
    site = get_site(slug)
    if name is not None:
        site.name = name.strip() or site.slug
    if origins is not None:
        site.allowed_origins = sorted({normalise_origin(o) for o in origins})
    if rotate_sso_secret:
        site.sso_secret = secrets.token_hex(32)
    db.session.commit()
    return site


def policy_of(site: Site) -> Policy:
    return policy_from_json(site.settings)


def update_policy(
    slug: str, changes: Mapping[str, Any], moderator: Moderator | None = None
) -> Policy:
    """Change a site's moderation settings; the change is logged with old and new values.

    Raises NotFound, ValidationFailed (naming each bad setting).
    """
    site = get_site(slug)
    before = policy_from_json(site.settings)
    after = build_policy(changes, before)
    old, new = before.to_json(), after.to_json()
    changed = {key: [old[key], new[key]] for key in new if old[key] != new[key]}
    if changed:
        site.settings = new
        audit.record(
            site_id=site.id,
            action="settings",
            moderator=moderator,
            reason=", ".join(sorted(changed)),
            details={"changed": changed},
        )
    db.session.commit()
    return after
