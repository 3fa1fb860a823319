"""Reader reports: one per reporter per comment, for moderators to review."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from comments.errors import Conflict, NotFound
from comments.extensions import db
from comments.models import Comment, CommentStatus, Report, ReportReason
from comments.services import inputs


def report(comment_id: int, reporter: str, reason: ReportReason, note: str = "") -> Report:
    """Record a report. Raises NotFound (unknown or unpublished), Conflict (already
    reported by this reporter), ValidationFailed (note too long)."""
    note = inputs.normalise_short_text(note, "note", inputs.MAX_NOTE_LENGTH)
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.status != CommentStatus.APPROVED:
        raise NotFound("There is no such comment to report.")
    duplicate = db.session.execute(
        select(Report.id).where(Report.comment_id == comment_id, Report.reporter == reporter)
    ).first()
    if duplicate:
        raise Conflict("You have already reported this comment.", code="already_reported")
    entry = Report(comment_id=comment_id, reporter=reporter, reason=reason, note=note)
    db.session.add(entry)
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict("You have already reported this comment.", code="already_reported") from exc
    return entry
