"""Moderators' decisions: approve, hide, spam, restore, delete, edit, ban, lock, undo.

Every public function takes the acting moderator, checks they may act on the site (a
comment elsewhere is NotFound, never Forbidden, so ids reveal nothing), records the action
in the audit log and commits once.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import select

from comments.errors import BadRequest, Conflict, NotFound, ValidationFailed
from comments.extensions import db
from comments.models import (
    Ban,
    Comment,
    CommentStatus,
    ModerationAction,
    Moderator,
    Role,
    Site,
    Thread,
    utcnow,
)
from comments.services import audit, authors, sites, visibility
from comments.services.comments import render_body

MAX_BULK = 1000


class Action(enum.StrEnum):
    APPROVE = "approve"
    HIDE = "hide"
    SPAM = "spam"
    RESTORE = "restore"
    DELETE = "delete"  # for good


_TARGET = {
    Action.APPROVE: CommentStatus.APPROVED,
    Action.HIDE: CommentStatus.HIDDEN,
    Action.SPAM: CommentStatus.SPAM,
    Action.RESTORE: CommentStatus.APPROVED,
}


def site_ids(moderator: Moderator) -> list[int] | None:
    """The sites a moderator may see; None means every site (admins)."""
    if moderator.role is Role.ADMIN:
        return None
    return [site.id for site in moderator.sites]


def can_see_site(moderator: Moderator, site_id: int) -> bool:
    allowed = site_ids(moderator)
    return allowed is None or site_id in allowed


def sites_for(moderator: Moderator) -> list[Site]:
    query = select(Site).order_by(Site.slug)
    allowed = site_ids(moderator)
    if allowed is not None:
        query = query.where(Site.id.in_(allowed))
    return list(db.session.execute(query).scalars())


def get_site_for(moderator: Moderator, slug: str) -> Site:
    """A site the moderator may see. Raises NotFound (also for malformed slugs)."""
    site = sites.get_site(slug)
    if not can_see_site(moderator, site.id):
        raise NotFound(f"There is no site {slug!r}.")
    return site


def get_comment_for(moderator: Moderator, comment_id: int) -> Comment:
    """A comment the moderator may act on. Raises NotFound otherwise."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or not can_see_site(moderator, comment.thread.site_id):
        raise NotFound("There is no such comment.")
    return comment


def get_thread_for(moderator: Moderator, thread_id: int) -> Thread:
    thread = db.session.get(Thread, thread_id)
    if thread is None or not can_see_site(moderator, thread.site_id):
        raise NotFound("There is no such thread.")
    return thread


def _decide(moderator: Moderator, comment: Comment, action: Action, reason: str) -> None:
    """Apply one decision to one comment and log it (no commit)."""
    before = comment.status
    if action is Action.DELETE:
        _delete_for_good(moderator, comment, reason)
        return
    target = _TARGET[action]
    if action is Action.RESTORE and before not in (
        CommentStatus.HIDDEN,
        CommentStatus.SPAM,
        CommentStatus.PENDING,
    ):
        raise Conflict("Only hidden, spam or pending comments can be restored.", code="not_removed")
    if before is CommentStatus.DELETED:
        raise Conflict("The author deleted this comment.", code="deleted_by_author")
    visibility.set_status(comment, target)
    if target is CommentStatus.APPROVED:
        # Approving also dismisses the reports and flags that put it in the Reported queue.
        comment.flagged = False
        comment.report_count = 0
    if comment.decided_at is None:
        comment.decided_at = utcnow()
    audit.record(
        site_id=comment.thread.site_id,
        action=action.value,
        moderator=moderator,
        comment=comment,
        status_before=before.value,
        status_after=target.value,
        reason=reason,
    )


def _delete_for_good(moderator: Moderator, comment: Comment, reason: str) -> None:
    """Erase a comment. With shown replies it stays as a placeholder so they keep their place."""
    before = comment.status
    site_id = comment.thread.site_id
    previous = comment.body
    if comment.decided_at is None:
        comment.decided_at = utcnow()
    visibility.set_status(comment, CommentStatus.DELETED)
    audit.record(
        site_id=site_id,
        action=Action.DELETE.value,
        moderator=moderator,
        comment=comment,
        status_before=before.value,
        status_after=CommentStatus.DELETED.value,
        reason=reason,
        previous_text=previous,
        details={"author_name": comment.author_name},
    )
    comment.body = comment.html = ""
    comment.author_name = comment.author_url = ""
    has_children = db.session.execute(
        select(Comment.id).where(Comment.parent_id == comment.id).limit(1)
    ).first()
    if not has_children:
        db.session.delete(comment)
    db.session.flush()


def moderate(moderator: Moderator, comment_id: int, action: Action, reason: str = "") -> None:
    """Approve, hide, mark spam, restore or delete one comment.

    Raises NotFound (unknown, or on a site the moderator may not see) and Conflict.
    """
    comment = get_comment_for(moderator, comment_id)
    _decide(moderator, comment, action, reason.strip()[:1000])
    db.session.commit()


def bulk(moderator: Moderator, comment_ids: Iterable[int], action: Action, reason: str = "") -> int:
    """Apply one decision to many comments; those it cannot apply to are skipped.

    Returns how many changed. Ids on sites the moderator may not see are skipped silently.
    """
    ids = sorted(set(comment_ids))
    if len(ids) > MAX_BULK:
        raise BadRequest(f"Act on at most {MAX_BULK} comments at once.", {"ids": "too many"})
    changed = 0
    for comment_id in ids:
        comment = db.session.get(Comment, comment_id)
        if comment is None or not can_see_site(moderator, comment.thread.site_id):
            continue
        try:
            with db.session.begin_nested():
                _decide(moderator, comment, action, reason.strip()[:1000])
        except Conflict:
            continue
        changed += 1
    db.session.commit()
    return changed


def edit_text(moderator: Moderator, comment_id: int, body: str, max_length: int) -> Comment:
    """Replace a comment's text (re-sanitised); the old text is kept in the log."""
    comment = get_comment_for(moderator, comment_id)
    if comment.status is CommentStatus.DELETED:
        raise Conflict("A deleted comment has no text to edit.", code="deleted")
    previous = comment.body
    comment.body, comment.html = render_body(body, max_length)
    comment.edited_at = utcnow()
    visibility.bump_thread(comment.thread_id)
    audit.record(
        site_id=comment.thread.site_id,
        action="edit",
        moderator=moderator,
        comment=comment,
        status_before=comment.status.value,
        status_after=comment.status.value,
        previous_text=previous,
        # The text this edit left, so undo can tell whether it changed again since.
        details={"text": comment.body},
    )
    db.session.commit()
    return comment


def ban_author(
    moderator: Moderator,
    comment_id: int,
    *,
    days: int | None,
    reason: str = "",
    apply: Action | None = None,
) -> Ban:
    """Ban the comment's author from its site by e-mail and address hash.

    ``days`` None bans for good. ``apply`` also decides every comment by the author.
    """
    comment = get_comment_for(moderator, comment_id)
    if days is not None and not 1 <= days <= 3650:
        raise ValidationFailed("A ban lasts 1 to 3650 days, or for good.", {"days": "1..3650"})
    site_id = comment.thread.site_id
    expires = utcnow() + timedelta(days=days) if days is not None else None
    author = authors.Author.of(comment)
    ban = Ban(
        site_id=site_id,
        email=comment.author_email.lower(),
        ip_hash=comment.ip_hash,
        author_key=comment.author_key if author.verified else "",
        reason=reason.strip()[:1000],
        expires_at=expires,
        created_by_id=moderator.id,
    )
    db.session.add(ban)
    db.session.flush()
    audit.record(
        site_id=site_id,
        action="ban",
        moderator=moderator,
        comment=comment,
        reason=ban.reason,
        details={"ban_id": ban.id, "expires_at": expires.isoformat() if expires else None},
    )
    if apply is not None:
        for other in _by_author(site_id, author):
            try:
                with db.session.begin_nested():
                    _decide(moderator, other, apply, f"author banned: {ban.reason}".strip())
            except Conflict:
                continue
    db.session.commit()
    return ban


def _by_author(site_id: int, author: authors.Author) -> list[Comment]:
    return list(
        db.session.execute(
            select(Comment)
            .join(Thread, Thread.id == Comment.thread_id)
            .where(Thread.site_id == site_id, authors.same_author(author))
            .order_by(Comment.id)
        ).scalars()
    )


def apply_to_author(moderator: Moderator, comment_id: int, action: Action, reason: str = "") -> int:
    """Decide every comment by this comment's author on its site. Returns how many changed."""
    comment = get_comment_for(moderator, comment_id)
    mine = _by_author(comment.thread.site_id, authors.Author.of(comment))
    return bulk(moderator, [c.id for c in mine], action, reason)


def lift_ban(moderator: Moderator, ban_id: int) -> None:
    ban = db.session.get(Ban, ban_id)
    if ban is None or not can_see_site(moderator, ban.site_id):
        raise NotFound("There is no such ban.")
    if ban.lifted_at is None:
        ban.lifted_at = utcnow()
        audit.record(site_id=ban.site_id, action="unban", moderator=moderator,
                     details={"ban_id": ban.id})  # fmt: skip
    db.session.commit()


def active_bans(moderator: Moderator) -> list[Ban]:
    query = select(Ban).where(
        Ban.lifted_at.is_(None), (Ban.expires_at.is_(None)) | (Ban.expires_at > utcnow())
    )
    allowed = site_ids(moderator)
    if allowed is not None:
        query = query.where(Ban.site_id.in_(allowed))
    return list(db.session.execute(query.order_by(Ban.id.desc())).scalars())


def set_locked(moderator: Moderator, thread_id: int, locked: bool) -> Thread:
    """Lock or unlock a thread against new comments and edits."""
    thread = get_thread_for(moderator, thread_id)
    if thread.locked != locked:
        thread.locked = locked
        visibility.bump_thread(thread.id)
        audit.record(
            site_id=thread.site_id,
            action="lock" if locked else "unlock",
            moderator=moderator,
            thread_id=thread.id,
        )
    db.session.commit()
    return thread


UNDOABLE = {"approve", "hide", "spam", "restore", "edit", "ban", "lock", "unlock",
            "auto_hold", "auto_spam", "auto_publish"}  # fmt: skip


def _changed_since(what: str) -> Conflict:
    return Conflict(f"The {what} has changed since; decide on it afresh.", code="changed_since")


def _relocked_since(entry: ModerationAction) -> bool:
    """Whether the thread was locked or unlocked again after ``entry`` (and not undone)."""
    undone = select(ModerationAction.undoes_id).where(ModerationAction.undoes_id.is_not(None))
    later = select(ModerationAction.id).where(
        ModerationAction.thread_id == entry.thread_id,
        ModerationAction.id > entry.id,
        ModerationAction.action.in_(("lock", "unlock")),
        ModerationAction.id.not_in(undone),
    )
    return db.session.execute(later.limit(1)).first() is not None


def undo(moderator: Moderator, action_id: int) -> ModerationAction:
    """Reverse a logged decision; the undo is logged too. Raises NotFound, Conflict."""
    entry = db.session.get(ModerationAction, action_id)
    if entry is None or not can_see_site(moderator, entry.site_id):
        raise NotFound("There is no such log entry.")
    if entry.action not in UNDOABLE:
        raise Conflict(f"A '{entry.action}' cannot be undone.", code="not_undoable")
    already = db.session.execute(
        select(ModerationAction.id).where(ModerationAction.undoes_id == entry.id)
    ).first()
    if already:
        raise Conflict("That action has already been undone.", code="already_undone")
    comment = db.session.get(Comment, entry.comment_id) if entry.comment_id else None
    replaced: str | None = None
    before = after = None
    if entry.action in {"lock", "unlock"}:
        assert entry.thread_id is not None
        thread = get_thread_for(moderator, entry.thread_id)
        if thread.locked != (entry.action == "lock") or _relocked_since(entry):
            raise _changed_since("thread")
        thread.locked = entry.action == "unlock"
        visibility.bump_thread(thread.id)
    elif entry.action == "ban":
        ban = db.session.get(Ban, entry.details.get("ban_id"))
        if ban is None or ban.lifted_at is not None:
            raise _changed_since("ban")
        ban.lifted_at = utcnow()
    elif comment is None:
        raise Conflict("The comment no longer exists.", code="comment_gone")
    elif entry.action == "edit":
        if entry.previous_text is None:
            raise Conflict("The log has no earlier text.", code="not_undoable")
        # A later edit (the author's or a moderator's) would be silently overwritten.
        if entry.details.get("text", comment.body) != comment.body:
            raise _changed_since("comment")
        replaced = comment.body
        comment.body, comment.html = render_body(entry.previous_text, 10**9)
        visibility.bump_thread(comment.thread_id)
    else:
        if entry.status_before is None or comment.status.value != entry.status_after:
            raise _changed_since("comment")
        before, after = comment.status.value, entry.status_before
        visibility.set_status(comment, CommentStatus(entry.status_before))
    record = audit.record(
        site_id=entry.site_id,
        action="undo",
        moderator=moderator,
        comment=comment,
        thread_id=entry.thread_id,
        status_before=before,
        status_after=after,
        reason=f"undo #{entry.id} ({entry.action})",
        previous_text=replaced,
        undoes=entry,
    )
    db.session.commit()
    return record
