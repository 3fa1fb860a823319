"""The pages behind the links in our mails: confirm a subscription, unsubscribe.

- ``GET /mail/confirm/<token>`` shows a button; ``POST`` to the same URL confirms.
- ``GET /mail/unsubscribe/<token>`` shows buttons (this comment, or every comment on the
  site); ``POST`` unsubscribes. Mail clients send that POST themselves for one-click
  unsubscribe (RFC 8058, body ``List-Unsubscribe=One-Click``): it ends this subscription.

A GET never changes anything: mail scanners fetch links before people do. The signed token
in the URL is the authorisation, so these forms carry no CSRF token (a forger would need the
token itself). A forged, expired or stale link gets a page that says so (400, or 404 when
the subscription is gone).
"""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, render_template, request

from comments.errors import DomainError
from comments.extensions import csrf, db
from comments.httputil import settings
from comments.models import Comment, Site, Subscription, Thread
from comments.pages import bp
from comments.services import mailer, notifications
from comments.services.mail_tokens import LinkExpired, Purpose


def _page(template: str, status: int = 200, **context: Any) -> Response:
    response = make_response(render_template(template, **context), status)
    # The token in the URL must not travel on in a Referer, nor sit in a shared cache.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _problem(exc: DomainError) -> Response:
    db.session.rollback()
    return _page(
        "mail/link_error.html",
        exc.status,
        message=exc.message,
        expired=isinstance(exc, LinkExpired),
    )


def _about(subscription: Subscription) -> dict[str, Any]:
    """What the page says the subscription is about: the site and the discussion."""
    comment = db.session.get(Comment, subscription.comment_id)
    thread = db.session.get(Thread, comment.thread_id) if comment else None
    site = db.session.get(Site, subscription.site_id)
    return {
        "subscription": subscription,
        "site_name": site.name if site else "",
        "thread_title": (thread.title or thread.key) if thread else "",
    }


def _check(token: str, purpose: Purpose) -> Subscription:
    config = settings()
    return notifications.check_link(token, purpose, config.SECRET_KEY, mailer.link_max_age(config))


@bp.get("/mail/confirm/<token>")
def mail_confirm(token: str) -> Response:
    try:
        subscription = _check(token, Purpose.CONFIRM)
    except DomainError as exc:
        return _problem(exc)
    return _page("mail/confirm.html", done=False, **_about(subscription))


@bp.post("/mail/confirm/<token>")
def mail_confirm_post(token: str) -> Response:
    config = settings()
    try:
        subscription = notifications.confirm(token, config.SECRET_KEY, mailer.link_max_age(config))
    except DomainError as exc:
        return _problem(exc)
    return _page("mail/confirm.html", done=True, **_about(subscription))


@bp.get("/mail/unsubscribe/<token>")
def mail_unsubscribe(token: str) -> Response:
    try:
        subscription = _check(token, Purpose.UNSUBSCRIBE)
    except DomainError as exc:
        return _problem(exc)
    return _page("mail/unsubscribe.html", done=None, **_about(subscription))


@bp.post("/mail/unsubscribe/<token>")
def mail_unsubscribe_post(token: str) -> Response:
    config = settings()
    # One-click from a mail client sends no scope: that is this subscription.
    everything = request.form.get("scope") == "all"
    try:
        subscription = _check(token, Purpose.UNSUBSCRIBE)
        about = _about(subscription)
        notifications.unsubscribe(
            token, config.SECRET_KEY, mailer.link_max_age(config), everything=everything
        )
    except DomainError as exc:
        return _problem(exc)
    return _page("mail/unsubscribe.html", done="all" if everything else "this", **about)


# The signed token in the URL is what authorises these posts (see the module docstring).
csrf.exempt(mail_confirm_post)
csrf.exempt(mail_unsubscribe_post)
