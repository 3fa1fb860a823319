"""Moderator sessions: sign-in and sign-out, the current moderator, and request guards."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Response, abort, g, redirect, render_template, request, session, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from comments import sanitize
from comments.extensions import limiter
from comments.httputil import settings
from comments.models import Moderator, Role
from comments.moderation import bp
from comments.moderation.forms import safe_next
from comments.services import accounts

View = TypeVar("View", bound=Callable[..., Any])
SIGN_IN_FAILED = "That e-mail and password do not match an account."


def current() -> Moderator:
    """The signed-in moderator (only inside views guarded by ``signed_in``)."""
    moderator: Moderator = g.moderator
    return moderator


@bp.before_request
def _load_moderator() -> BaseResponse | None:
    g.moderator = None
    moderator_id, version = session.get("mid"), session.get("ver")
    if isinstance(moderator_id, int) and isinstance(version, int):
        g.moderator = accounts.session_moderator(moderator_id, version)
        if g.moderator is None:
            session.clear()
    if request.method == "POST" and not _same_origin():
        abort(403, "This form was sent from another site.")
    return None


def _same_origin() -> bool:
    """A POST whose Origin (or Referer) names another site is refused outright."""
    sent = request.headers.get("Origin") or request.headers.get("Referer")
    if not sent:
        return True
    if sent == "null":
        return False
    parts = urlsplit(sent)
    return f"{parts.scheme}://{parts.netloc}" == request.host_url.rstrip("/")


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def signed_in(view: View) -> View:
    """Send anonymous visitors to the sign-in page."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.moderator is None:
            return redirect(url_for("moderation.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def admin_only(view: View) -> View:
    """Admins only; others get 404 so the page's existence is not confirmed."""

    @functools.wraps(view)
    @signed_in
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current().role is not Role.ADMIN:
            abort(404)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: settings().LOGIN_RATE_LIMIT, methods=["POST"])
def login() -> str | BaseResponse:
    if request.method == "GET":
        if g.moderator is not None:
            return redirect(url_for("moderation.home"))
        return render_template("moderation/login.html", error=None, email="")
    email = request.form.get("email", "")[:254]
    password = request.form.get("password", "")[:1024]
    moderator = accounts.authenticate(email, password)
    if moderator is None:
        page = render_template("moderation/login.html", error=SIGN_IN_FAILED, email=email)
        return Response(page, status=401)
    # A fresh session at sign-in: nothing from before (a planted cookie) carries over.
    session.clear()
    session.permanent = True
    session["mid"] = moderator.id
    session["ver"] = moderator.session_version
    session["sid"] = secrets.token_urlsafe(16)
    return redirect(safe_next(request.args.get("next"), url_for("moderation.home")))


@bp.post("/logout")
@signed_in
def logout() -> BaseResponse:
    accounts.end_sessions(current())
    session.clear()
    return redirect(url_for("moderation.login"))


@bp.app_template_filter("reclean")
def reclean(html: str) -> Markup:
    """Stored comment HTML, cleaned again on the way into moderation pages.

    It was sanitised when written; cleaning once more (idempotent, and cheap at queue sizes)
    means even markup planted straight in the database cannot break the page a moderator
    relies on, for example an unclosed <textarea> swallowing the rest of the queue.
    """
    return Markup(sanitize.clean_html(html))  # noqa: S704 - the output of our own sanitiser
