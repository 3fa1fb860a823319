"""Per-site rate limits for readers: how often one client may post, vote, report, preview."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from comments.errors import ValidationFailed
from comments.extensions import db
from comments.models import Site
from comments.services import audit
from comments.services.sites import get_site


@dataclasses.dataclass(frozen=True)
class RateLimits:
    posts_per_minute: int = 5
    posts_per_hour: int = 40
    votes_per_minute: int = 60
    reports_per_hour: int = 20
    previews_per_minute: int = 60

    def rule(self, kind: str) -> str:
        """The Flask-Limiter rule for one kind of request."""
        if kind == "post":
            return f"{self.posts_per_minute}/minute;{self.posts_per_hour}/hour"
        if kind == "vote":
            return f"{self.votes_per_minute}/minute"
        if kind == "report":
            return f"{self.reports_per_hour}/hour"
        return f"{self.previews_per_minute}/minute"


MAX_RATE = 100_000


def limits_of(site: Site | None) -> RateLimits:
    """The site's limits; missing or broken values fall back to the defaults."""
    if site is None:
        return RateLimits()
    known = {f.name for f in dataclasses.fields(RateLimits)}
    values = {
        k: v
        for k, v in (site.limits or {}).items()
        if k in known and isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= MAX_RATE
    }
    return RateLimits(**values)


def update_limits(slug: str, changes: Mapping[str, Any], moderator: Any = None) -> RateLimits:
    """Change a site's rate limits (each a whole number 1..100000). Raises ValidationFailed."""
    site = get_site(slug)
    known = {f.name for f in dataclasses.fields(RateLimits)}
    errors: dict[str, str] = {}
    values: dict[str, int] = {}
    for key, raw in changes.items():
        if key not in known:
            errors[key] = "unknown limit"
            continue
        try:
            number = int(str(raw).strip())
        except ValueError:
            number = 0
        if isinstance(raw, bool) or not 1 <= number <= MAX_RATE:
            errors[key] = f"a whole number from 1 to {MAX_RATE}"
        else:
            values[key] = number
    if errors:
        raise ValidationFailed("Some limits are not valid.", errors)
    before = limits_of(site)
    after = dataclasses.replace(before, **values)
    if after != before:
        site.limits = dataclasses.asdict(after)
        audit.record(
            site_id=site.id,
            action="settings",
            moderator=moderator,
            reason="rate limits",
            details={"limits": dataclasses.asdict(after)},
        )
    db.session.commit()
    return after
