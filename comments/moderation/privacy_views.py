"""Privacy requests (admins only): download everything about a person, or erase it."""

from __future__ import annotations

import json

from flask import Response, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from comments.errors import ValidationFailed
from comments.extensions import db
from comments.httputil import settings
from comments.models import utcnow
from comments.moderation import bp
from comments.moderation.auth import admin_only, current
from comments.services import privacy

MAX_EMAIL_FIELD = 320


def _page(
    *, email: str = "", error: str = "", erase_error: str = "", status: int = 200
) -> tuple[str, int]:
    page = render_template(
        "moderation/privacy.html",
        email=email,
        error=error,
        erase_error=erase_error,
        retention_days=settings().ADDRESS_HASH_RETENTION_DAYS,
    )
    return page, status


def _email_field(name: str) -> str:
    return request.form.get(name, "")[:MAX_EMAIL_FIELD].strip()


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@bp.get("/privacy")
@admin_only
def privacy_page() -> tuple[str, int]:
    return _page()


@bp.post("/privacy/export")
@admin_only
def privacy_export() -> Response | tuple[str, int]:
    """The person's data as a JSON download; the export is written to the audit log."""
    email = _email_field("email")
    try:
        document = privacy.export_person(email, moderator=current(), secret=settings().SECRET_KEY)
    except ValidationFailed as exc:
        db.session.rollback()
        return _page(email=email, error=exc.message, status=422)
    name = f"privacy-export-{utcnow():%Y%m%d-%H%M%S}.json"
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2) + "\n",
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/privacy/erase")
@admin_only
def privacy_erase() -> BaseResponse | tuple[str, int]:
    """Erase after the address was typed twice; say what was done (never the address)."""
    email, again = _email_field("email"), _email_field("email_again")
    if not email or email.lower() != again.lower():
        message = "Nothing was erased: type the same address in both boxes."
        return _page(email=email, erase_error=message, status=422)
    remove_text = request.form.get("remove_text") == "yes"
    try:
        done = privacy.erase_person(
            email, moderator=current(), secret=settings().SECRET_KEY, remove_text=remove_text
        )
    except ValidationFailed as exc:
        db.session.rollback()
        return _page(email=email, erase_error=exc.message, status=422)
    if done.empty and not done.bans_kept:
        flash("Nothing is stored about that address; nothing was erased.", "success")
        return redirect(url_for("moderation.privacy_page"), code=303)
    texts = f"{done.texts_removed} texts removed" if remove_text else "their text kept"
    flash(
        f"Erased: {_plural(done.comments, 'comment')} in {_plural(done.threads, 'thread')} "
        f"anonymised ({texts}); {_plural(done.votes, 'vote')} and "
        f"{_plural(done.reports, 'report')} unlinked; "
        f"{_plural(done.subscriptions, 'subscription')} and {_plural(done.mails, 'mail')} "
        "deleted.",
        "success",
    )
    for ban in done.bans_kept:
        state = "in force" if ban.active else "ended"
        flash(f"Kept ban #{ban.id} on {ban.site} ({state}): it names the address.", "success")
    return redirect(url_for("moderation.privacy_page"), code=303)
