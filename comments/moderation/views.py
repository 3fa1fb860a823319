"""Moderation pages: the queues and everything a moderator does from them.

Every change is a POST carrying a CSRF token that ends in a 303 back to the page it came
from (POST/redirect/GET) with a flash message saying what happened. The other pages (audit
log, settings, dashboard, bans, tokens) live in sibling modules imported at the bottom.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from comments.errors import DomainError, RateLimited, ValidationFailed
from comments.extensions import db
from comments.httputil import settings
from comments.models import Role
from comments.moderation import bp, display, forms
from comments.moderation.auth import current, signed_in
from comments.services import audit, moderation, queues
from comments.services.moderation import Action
from comments.services.queues import Queue

PER_PAGE = 25
PREFIX = bp.url_prefix or "/mod"
# Non-HTML responses (the CSV export) get a policy that allows nothing at all.
NON_HTML_CSP = "default-src 'none'; frame-ancestors 'none'"

QUEUE_LABELS = {
    Queue.PENDING: "Pending",
    Queue.REPORTED: "Reported",
    Queue.SPAM: "Spam",
    Queue.HIDDEN: "Hidden",
    Queue.APPROVED: "Approved",
    Queue.ALL: "All",
}
# The author-wide actions: "restore" means nothing for a whole history.
AUTHOR_ACTIONS = (Action.APPROVE, Action.HIDE, Action.SPAM, Action.DELETE)
BAN_APPLY = (Action.HIDE, Action.SPAM)


# --- Page furniture and errors ---------------------------------------------------------------


@bp.context_processor
def _furniture() -> dict[str, Any]:
    """What base.html needs on every page: the navigation and the display helpers."""
    moderator = g.get("moderator")
    helpers: dict[str, Any] = {
        "display": display,
        "queue_labels": QUEUE_LABELS,
        "moderator": moderator,
        "is_admin": moderator is not None and moderator.role is Role.ADMIN,
    }
    if moderator is not None:
        helpers["nav_counts"] = queues.counts(moderator)
    return helpers


@bp.after_app_request
def _mod_headers(response: BaseResponse) -> BaseResponse:
    """Every answer under /mod is private and framed by nobody, including the ones Flask
    gives before a view is chosen (an unknown path, a GET on a POST-only URL), which the
    blueprint's own hooks never see. Non-HTML answers (the CSV) get a policy allowing nothing.
    """
    if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
        response.headers["Cache-Control"] = "no-store"
        if response.mimetype != "text/html":
            response.headers.setdefault("Content-Security-Policy", NON_HTML_CSP)
    return response


def _back(default: str | None = None) -> str:
    """Where the form asked to return to, if that is a page inside /mod."""
    fallback = default or url_for("moderation.queue", name=Queue.PENDING.value)
    return forms.safe_next(request.form.get("next") or request.args.get("next"), fallback)


def _error_page(status: int, title: str, message: str) -> tuple[str, int]:
    back = _back() if request.method == "POST" else None
    page = render_template("moderation/error.html", title=title, message=message, back=back)
    return page, status


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError) -> tuple[str, int, dict[str, str]]:
    """A refusal from a service, shown as a page with its status (404 for others' comments)."""
    db.session.rollback()
    titles = {404: "Not found", 409: "That cannot be done now", 429: "Too many requests"}
    page, status = _error_page(exc.status, titles.get(exc.status, "Not done"), exc.message)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else {}
    return page, status, headers


@bp.errorhandler(CSRFError)
def _csrf_error(exc: CSRFError) -> tuple[str, int]:
    message = (
        "This form has expired or did not come from this page. "
        "Go back, reload the page and try again."
    )
    return _error_page(400, "Form expired", message)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> tuple[str, int, dict[str, str]] | HTTPException:
    if exc.code is None or exc.code < 400:
        return exc
    page, status = _error_page(exc.code, exc.name, exc.description or exc.name)
    # Keep what the default response would have told clients (Allow, Retry-After, ...).
    kept = {k: v for k, v in exc.get_response().headers.items() if k in {"Allow", "Retry-After"}}
    return page, status, kept


def _done(message: str, back: str) -> BaseResponse:
    flash(message, "success")
    return redirect(back, code=303)


def _not_done(message: str, back: str) -> BaseResponse:
    """The form was missing something: say so, change nothing, go back."""
    flash(message, "error")
    return redirect(back, code=303)


# --- Queues ----------------------------------------------------------------------------------


@bp.get("/")
@signed_in
def home() -> BaseResponse:
    return redirect(url_for("moderation.queue", name=Queue.PENDING.value))


def _queue_or_404(name: str) -> Queue:
    try:
        return Queue(name)
    except ValueError:
        abort(404, f"There is no queue {name!r}.")


@bp.get("/queue/<name>")
@signed_in
def queue(name: str) -> str:
    which = _queue_or_404(name)
    query = forms.read_queue_query(request.args)
    found = queues.page(current(), which, query.filters, query.page, PER_PAGE)
    return render_template(
        "moderation/queue.html",
        queue=which,
        query=query,
        found=found,
        sites=moderation.sites_for(current()),
        here=request.full_path.rstrip("?"),
        max_bulk=moderation.MAX_BULK,
    )


@bp.post("/queue/<name>/bulk")
@signed_in
def bulk(name: str) -> BaseResponse:
    """Decide the ticked comments, or every comment matching the filters in the URL."""
    which = _queue_or_404(name)
    query = forms.read_queue_query(request.args)
    back = url_for("moderation.queue", name=which.value, **query.args())
    action = forms.read_action(request.form.get("action"), AUTHOR_ACTIONS)
    if action is Action.DELETE and not forms.confirmed(request.form):
        return _not_done("Nothing deleted: tick “Yes, delete for good” first.", back)
    if request.form.get("scope") == "matching":
        ids = queues.matching_ids(current(), which, query.filters, moderation.MAX_BULK)
    else:
        ids = forms.read_ids(request.form.getlist("ids"))
    if not ids:
        return _not_done("Nothing changed: no comments were selected.", back)
    changed = moderation.bulk(current(), ids, action, request.form.get("reason", ""))
    message = display.outcome(action, changed, len(ids))
    if len(ids) >= moderation.MAX_BULK:
        message += f" At most {moderation.MAX_BULK} at a time: repeat for any that remain."
    return _done(message, back)


# --- One comment -----------------------------------------------------------------------------


def _comment_page(comment_id: int, *, body: str | None = None, error: str = "") -> str:
    comment = moderation.get_comment_for(current(), comment_id)
    entries = db.session.execute(
        audit.query(
            audit.LogFilter(site_ids=moderation.site_ids(current()), comment_id=comment_id)
        ).limit(200)
    ).scalars()
    return render_template(
        "moderation/comment.html",
        item=queues.describe(comment),
        entries=list(entries),
        body=comment.body if body is None else body,
        error=error,
        max_length=settings().MAX_BODY_LENGTH,
        here=url_for("moderation.comment", comment_id=comment_id),
        undoable=moderation.UNDOABLE,
    )


@bp.get("/comments/<int:comment_id>")
@signed_in
def comment(comment_id: int) -> str:
    return _comment_page(comment_id)


def _away_from(comment_id: int, back: str) -> str:
    """After a delete the comment's own page is gone: land on the All queue instead."""
    if urlsplit(back).path == url_for("moderation.comment", comment_id=comment_id):
        return url_for("moderation.queue", name=Queue.ALL.value)
    return back


@bp.post("/comments/<int:comment_id>/decide")
@signed_in
def decide(comment_id: int) -> BaseResponse:
    """Approve, hide, mark spam, restore or delete one comment."""
    back = _back()
    action = forms.read_action(request.form.get("action"))
    if action is Action.DELETE:
        if not forms.confirmed(request.form):
            return _not_done("Nothing deleted: tick “Yes, delete for good” first.", back)
        back = _away_from(comment_id, back)
    moderation.moderate(current(), comment_id, action, request.form.get("reason", ""))
    return _done(display.outcome(action, 1), back)


@bp.post("/comments/<int:comment_id>/edit")
@signed_in
def edit(comment_id: int) -> str | tuple[str, int] | BaseResponse:
    body = request.form.get("body", "")
    try:
        moderation.edit_text(current(), comment_id, body, settings().MAX_BODY_LENGTH)
    except ValidationFailed as exc:
        db.session.rollback()
        return _comment_page(comment_id, body=body, error=exc.message), 422
    return _done(
        f"Saved the new text of comment #{comment_id}.",
        url_for("moderation.comment", comment_id=comment_id),
    )


@bp.post("/comments/<int:comment_id>/ban")
@signed_in
def ban(comment_id: int) -> BaseResponse:
    """Ban the comment's author for some days or for good, optionally sweeping their comments."""
    back = _back()
    forever = request.form.get("forever") == "yes"
    days = None if forever else forms.parse_int(request.form.get("days"), 1, 3650)
    if not forever and days is None:
        return _not_done("Nobody banned: give 1 to 3650 days, or tick “For good”.", back)
    apply_raw = request.form.get("apply", "")
    apply = forms.read_action(apply_raw, BAN_APPLY) if apply_raw else None
    moderation.ban_author(
        current(), comment_id, days=days, reason=request.form.get("reason", ""), apply=apply
    )
    length = "for good" if days is None else f"for {days} day" + ("" if days == 1 else "s")
    swept = {Action.HIDE: " and hid their comments", Action.SPAM: " and marked them as spam"}
    also = swept[apply] if apply else ""
    return _done(f"Banned the author {length}{also}.", back)


@bp.post("/comments/<int:comment_id>/author")
@signed_in
def author_sweep(comment_id: int) -> BaseResponse:
    """Apply one decision to everything this comment's author wrote on the site."""
    back = _back()
    action = forms.read_action(request.form.get("action"), AUTHOR_ACTIONS)
    if action is Action.DELETE and not forms.confirmed(request.form):
        return _not_done("Nothing deleted: tick “Yes, delete for good” first.", back)
    if action is Action.DELETE:
        back = _away_from(comment_id, back)
    changed = moderation.apply_to_author(
        current(), comment_id, action, request.form.get("reason", "")
    )
    return _done(display.outcome(action, changed, by_author=True), back)


@bp.post("/threads/<int:thread_id>/lock")
@signed_in
def lock(thread_id: int) -> BaseResponse:
    locked = request.form.get("locked") == "1"
    thread = moderation.set_locked(current(), thread_id, locked)
    title = thread.title or thread.key
    verb = "Locked" if locked else "Unlocked"
    return _done(f"{verb} the thread “{title}”.", _back())


# Register the other pages' routes on the blueprint (this module is what __init__ imports).
from comments.moderation import (  # noqa: E402
    account_views,  # noqa: F401
    dashboard_views,  # noqa: F401
    log_views,  # noqa: F401
    privacy_views,  # noqa: F401
    settings_views,  # noqa: F401
    webhook_views,  # noqa: F401
)
