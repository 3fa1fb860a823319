"""Comment events: one call where something happens, fanned out to everyone who listens.

Services call ``emit`` inside the transaction of the change; listeners only queue outbox
messages (webhooks, reply notifications, moderator alerts), so nothing leaves the process
until the change commits.
"""

from __future__ import annotations

import enum

from comments.models import Comment, CommentStatus


class Event(enum.StrEnum):
    CREATED = "comment.created"
    APPROVED = "comment.approved"
    HIDDEN = "comment.hidden"
    DELETED = "comment.deleted"
    REPORTED = "comment.reported"
    # Taken back to pending after it was published (an edit, or enough reports). Not a
    # webhook event; moderators are alerted to it like a new pending comment.
    HELD = "comment.held"


# The event a status change means (spam counts as hidden for the outside world).
STATUS_EVENTS = {
    CommentStatus.APPROVED: Event.APPROVED,
    CommentStatus.HIDDEN: Event.HIDDEN,
    CommentStatus.SPAM: Event.HIDDEN,
    CommentStatus.DELETED: Event.DELETED,
    CommentStatus.PENDING: Event.HELD,
}


def emit(event: Event, comment: Comment) -> None:
    """Tell every listener about ``event`` on ``comment`` (flushed, inside the change)."""
    from comments.services import notifications, webhooks

    webhooks.on_event(event, comment)
    notifications.on_event(event, comment)


def status_changed(comment: Comment, old: CommentStatus, new: CommentStatus) -> None:
    """Emit the event for a status change, if it means one."""
    if old != new and new in STATUS_EVENTS:
        emit(STATUS_EVENTS[new], comment)
