"""The audit log pages: the filtered log, its CSV export, and undoing an entry."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response as BaseResponse

from comments.extensions import db
from comments.models import ModerationAction, Moderator
from comments.moderation import bp, forms
from comments.moderation.auth import current, signed_in
from comments.services import audit, moderation

PER_PAGE = 50

# Every action the services write to the log, in the words the filter offers.
ACTIONS = (
    ("approve", "Approved"),
    ("hide", "Hidden"),
    ("spam", "Marked spam"),
    ("restore", "Restored"),
    ("delete", "Deleted for good"),
    ("edit", "Text edited"),
    ("ban", "Author banned"),
    ("unban", "Ban lifted"),
    ("lock", "Thread locked"),
    ("unlock", "Thread unlocked"),
    ("undo", "Undone"),
    ("settings", "Settings changed"),
    ("auto_hold", "Held by the rules"),
    ("auto_spam", "Spam by the rules"),
    ("auto_publish", "Published and flagged by the rules"),
    ("privacy_export", "Personal data exported"),
    ("privacy_erase", "Personal data erased"),
)


def _moderators_in_log(site_ids: list[int] | None) -> list[Moderator]:
    """Moderators with entries on the sites this moderator may see (the filter's choices)."""
    acting = select(ModerationAction.moderator_id).where(ModerationAction.moderator_id.is_not(None))
    if site_ids is not None:
        acting = acting.where(ModerationAction.site_id.in_(site_ids))
    query = select(Moderator).where(Moderator.id.in_(acting.distinct())).order_by(Moderator.email)
    return list(db.session.execute(query).scalars())


@bp.get("/audit")
@signed_in
def audit_log() -> str:
    site_ids = moderation.site_ids(current())
    query = forms.read_log_query(request.args, site_ids)
    statement = audit.query(query.filter)
    total = int(
        db.session.execute(
            select(func.count()).select_from(statement.order_by(None).subquery())
        ).scalar_one()
    )
    entries = list(
        db.session.execute(
            statement.options(selectinload(ModerationAction.moderator))
            .offset((query.page - 1) * PER_PAGE)
            .limit(PER_PAGE)
        ).scalars()
    )
    undone_by = dict(
        db.session.execute(
            select(ModerationAction.undoes_id, ModerationAction.id).where(
                ModerationAction.undoes_id.in_([e.id for e in entries])
            )
        ).all()
    )
    return render_template(
        "moderation/audit.html",
        query=query,
        entries=entries,
        total=total,
        pages=max(1, -(-total // PER_PAGE)),
        undone_by=undone_by,
        undoable=moderation.UNDOABLE,
        actions=ACTIONS,
        moderators=_moderators_in_log(site_ids),
        here=request.full_path.rstrip("?"),
    )


@bp.get("/audit.csv")
@signed_in
def audit_csv() -> Response:
    """The whole filtered log as a spreadsheet (formula-looking cells are neutralised)."""
    query = forms.read_log_query(request.args, moderation.site_ids(current()))
    entries = db.session.execute(
        audit.query(query.filter).options(selectinload(ModerationAction.moderator))
    ).scalars()
    return Response(
        audit.to_csv(entries),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="moderation-log.csv"'},
    )


@bp.post("/audit/<int:entry_id>/undo")
@signed_in
def undo(entry_id: int) -> BaseResponse:
    record = moderation.undo(current(), entry_id)
    undone = db.session.get(ModerationAction, entry_id)
    what = dict(ACTIONS).get(undone.action, undone.action) if undone else "entry"
    flash(f"Undid log entry #{entry_id} ({what}); the undo is entry #{record.id}.", "success")
    back = forms.safe_next(request.form.get("next"), url_for("moderation.audit_log"))
    return redirect(back, code=303)
