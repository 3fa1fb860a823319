"""A site's webhooks (admins only): list, add, remove, rotate the secret, ping, and each
one's recent deliveries from the outbox."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from comments.errors import ValidationFailed
from comments.extensions import db
from comments.httputil import settings
from comments.models import Site
from comments.moderation import bp
from comments.moderation.auth import admin_only, current
from comments.services import moderation, webhooks

RECENT = 10
MAX_URL_FIELD = 4096


def _page(
    site: Site,
    *,
    url: str = "",
    events: list[str] | None = None,
    error: str = "",
    secret: str = "",
    secret_for: int | None = None,
) -> str:
    hooks = [hook for hook, _ in webhooks.list_webhooks(site.slug)]
    return render_template(
        "moderation/webhooks.html",
        site=site,
        hooks=hooks,
        deliveries={hook.id: webhooks.recent_deliveries(hook.id, RECENT) for hook in hooks},
        all_events=webhooks.EVENTS,
        url=url,
        chosen=events or [],
        error=error,
        secret=secret,
        secret_for=secret_for,
        allow_private=settings().WEBHOOKS_ALLOW_PRIVATE,
    )


@bp.get("/settings/<slug>/webhooks")
@admin_only
def webhooks_page(slug: str) -> str:
    return _page(moderation.get_site_for(current(), slug))


@bp.post("/settings/<slug>/webhooks")
@admin_only
def add_webhook(slug: str) -> str | tuple[str, int]:
    """Answered with the page, not a redirect: the secret is shown this once (a flash message
    would carry it in the session cookie)."""
    site = moderation.get_site_for(current(), slug)
    url = request.form.get("url", "")[:MAX_URL_FIELD]
    events = request.form.getlist("events")
    try:
        hook = webhooks.add_webhook(
            site.slug,
            url,
            events,
            allow_private=settings().WEBHOOKS_ALLOW_PRIVATE,
            moderator=current(),
        )
    except ValidationFailed as exc:
        db.session.rollback()
        shown = [e for e in events if e in webhooks.EVENTS]
        return _page(site, url=url, events=shown, error=exc.message), 422
    return _page(site, secret=hook.secret, secret_for=hook.id)


@bp.post("/settings/<slug>/webhooks/<int:webhook_id>/remove")
@admin_only
def remove_webhook(slug: str, webhook_id: int) -> BaseResponse:
    site = moderation.get_site_for(current(), slug)
    url = webhooks.remove_webhook(webhook_id, site_id=site.id, moderator=current())
    flash(
        f"Removed webhook #{webhook_id} ({url}); calls still queued for it are not sent.", "success"
    )
    return redirect(url_for("moderation.webhooks_page", slug=site.slug), code=303)


@bp.post("/settings/<slug>/webhooks/<int:webhook_id>/rotate")
@admin_only
def rotate_webhook_secret(slug: str, webhook_id: int) -> str:
    site = moderation.get_site_for(current(), slug)
    hook = webhooks.rotate_secret(webhook_id, site_id=site.id, moderator=current())
    return _page(site, secret=hook.secret, secret_for=hook.id)


@bp.post("/settings/<slug>/webhooks/<int:webhook_id>/ping")
@admin_only
def ping_webhook(slug: str, webhook_id: int) -> BaseResponse:
    site = moderation.get_site_for(current(), slug)
    webhooks.queue_ping(webhook_id, site_id=site.id)
    flash(f"Queued a test ping to webhook #{webhook_id}; the worker sends it shortly.", "success")
    return redirect(url_for("moderation.webhooks_page", slug=site.slug), code=303)
