"""Reader reports: one per reporter per comment, for moderators to review."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from comments.errors import Conflict, NotFound
from comments.extensions import db
from comments.models import Comment, CommentStatus, Report, ReportReason
from comments.services import audit, events, inputs, visibility
from comments.services.policy import policy_from_json


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
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict("You have already reported this comment.", code="already_reported") from exc
    db.session.execute(
        update(Comment)
        .where(Comment.id == comment_id)
        .values(report_count=Comment.report_count + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(comment)
    _take_down_if_reported_enough(comment)
    events.emit(events.Event.REPORTED, comment)
    db.session.commit()
    return entry


def describe_reports(comment_id: int) -> str:
    """'reported 3 times: spam 2, abuse 1'."""
    rows = db.session.execute(
        select(Report.reason, func.count(Report.id))
        .where(Report.comment_id == comment_id)
        .group_by(Report.reason)
        .order_by(func.count(Report.id).desc(), Report.reason)
    ).all()
    total = sum(int(count) for _, count in rows)
    if not total:
        return "not reported"
    parts = ", ".join(f"{ReportReason(reason).value} {count}" for reason, count in rows)
    times = "once" if total == 1 else f"{total} times"
    return f"reported {times}: {parts}"


def _take_down_if_reported_enough(comment: Comment) -> None:
    """At the site's threshold a published comment goes back to Pending, with the reason."""
    policy = policy_from_json(comment.thread.site.settings)
    if comment.status != CommentStatus.APPROVED or comment.report_count < policy.report_threshold:
        return
    text = f"{describe_reports(comment.id)} (threshold {policy.report_threshold})"
    visibility.set_status(comment, CommentStatus.PENDING)
    comment.moderation_reasons = [
        *comment.moderation_reasons,
        {"code": "reported", "text": text},
    ]
    audit.record(
        site_id=comment.thread.site_id,
        action="auto_hold",
        comment=comment,
        status_before=CommentStatus.APPROVED.value,
        status_after=CommentStatus.PENDING.value,
        reason=text,
    )
