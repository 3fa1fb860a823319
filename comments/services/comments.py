"""Writing comments: post, edit and delete by the author, preview, and single reads."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from sqlalchemy import select

from comments import sanitize
from comments.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from comments.extensions import db
from comments.models import (
    BLOCK_DEPTH,
    PATH_SEGMENT_WIDTH,
    Comment,
    CommentStatus,
    Site,
    utcnow,
)
from comments.services import audit, authors, events, inputs, sites, threads, visibility
from comments.services.identity import new_edit_token, token_matches
from comments.services.policy import (
    AuthorRecord,
    Decision,
    Policy,
    Submission,
    Verdict,
    evaluate,
    policy_from_json,
)

_VERDICT_STATUS = {
    Verdict.PUBLISH: CommentStatus.APPROVED,
    Verdict.HOLD: CommentStatus.PENDING,
    Verdict.SPAM: CommentStatus.SPAM,
}


@dataclasses.dataclass(frozen=True)
class NewComment:
    """What a reader sends to post a comment, before checking."""

    site: str
    uri: str
    body: str
    parent_id: int | None = None
    title: str = ""
    url: str = ""
    author_name: str = ""
    author_email: str = ""
    author_url: str = ""
    # An avatar URL vouched for by the site's single sign-on.
    author_avatar: str = ""
    # Anti-spam signals from the form: a hidden field only bots fill, and time on the page.
    honeypot: str = ""
    seconds_on_page: float | None = None
    # Mail me when someone replies (needs an address; anonymous readers confirm it first).
    notify_replies: bool = False


@dataclasses.dataclass(frozen=True)
class Limits:
    """The settings the comment rules need, passed in by the caller."""

    max_body_length: int = 10_000
    edit_window: timedelta = timedelta(minutes=15)


def render_body(source: str, max_length: int, field: str = "body") -> tuple[str, str]:
    """Check a body and render it. Returns (source, html). Raises ValidationFailed."""
    body = inputs.normalise_body(source, max_length, field)
    try:
        html = sanitize.render(body)
    except sanitize.BodyTooComplex as exc:
        raise ValidationFailed(str(exc), {field: exc.reason}) from exc
    return body, html


def preview(source: str, limits: Limits) -> str:
    """The HTML a body would be stored as. Raises ValidationFailed."""
    return render_body(source, limits.max_body_length)[1]


def _segment(comment_id: int) -> str:
    return str(comment_id).zfill(PATH_SEGMENT_WIDTH)


@dataclasses.dataclass(frozen=True, slots=True)
class TreePlace:
    """Where a comment sits in its thread's tree: depth, block anchor and sort path."""

    depth: int
    anchor_id: int
    path: str


def tree_place(comment_id: int, parent: TreePlace | None) -> TreePlace:
    """The place of a new comment under ``parent``; it opens a new block every BLOCK_DEPTH
    levels. The importer places its rows with this too."""
    depth = 0 if parent is None else parent.depth + 1
    if parent is None or depth % BLOCK_DEPTH == 0:
        return TreePlace(depth, comment_id, _segment(comment_id))
    return TreePlace(depth, parent.anchor_id, parent.path + _segment(comment_id))


def _place_in_tree(comment: Comment, parent: Comment | None) -> None:
    """Set depth, anchor and path from the parent's."""
    above = None
    if parent is not None:
        assert parent.anchor_id is not None
        above = TreePlace(parent.depth, parent.anchor_id, parent.path)
    place = tree_place(comment.id, above)
    comment.depth, comment.anchor_id, comment.path = place.depth, place.anchor_id, place.path


def post_comment(
    new: NewComment, *, author_key: str, address_hash: str, limits: Limits
) -> tuple[Comment, str]:
    """Store a reader's comment, creating the thread with its first comment.

    Returns the comment and its edit token (shown once, stored hashed). Raises NotFound
    (site or parent), Conflict (thread locked, parent in another thread or removed),
    ValidationFailed (bad fields).
    """
    site = sites.get_site(new.site)
    uri = inputs.normalise_uri(new.uri)
    body, html = render_body(new.body, limits.max_body_length)
    name = inputs.normalise_name(new.author_name)
    email = inputs.normalise_email(new.author_email)
    website = inputs.normalise_url(new.author_url, "author_url")
    title = inputs.normalise_short_text(new.title, "title", inputs.MAX_TITLE_LENGTH)
    page_url = inputs.normalise_url(new.url, "url", allow_bare_host=False)

    parent = None
    if new.parent_id is not None:
        parent = db.session.get(Comment, new.parent_id)
        if parent is None:
            raise NotFound("The comment you reply to does not exist.", {"parent_id": "unknown"})
        if parent.thread.site_id != site.id or parent.thread.key != uri:
            raise Conflict(
                "The comment you reply to belongs to another thread.",
                code="parent_elsewhere",
                fields={"parent_id": "in another thread"},
            )
        if parent.status != CommentStatus.APPROVED:
            raise Conflict(
                "The comment you reply to is not published.",
                code="parent_unavailable",
                fields={"parent_id": "not published"},
            )
        thread = parent.thread
    else:
        thread = threads.get_or_create_thread(site, uri, title, page_url)
    policy = policy_from_json(site.settings)
    if threads.is_closed(thread, policy):
        raise Conflict("This thread is closed: no new comments.", code="thread_locked")
    author = authors.Author(author_key, email, address_hash)
    decision = _decide(site.id, policy, author, body, new)

    token, token_hash = new_edit_token()
    comment = Comment(
        thread_id=thread.id,
        parent_id=parent.id if parent else None,
        author_name=name,
        author_email=email,
        author_url=website,
        author_avatar=_avatar_url(new.author_avatar),
        author_key=author_key,
        body=body,
        html=html,
        status=_VERDICT_STATUS[decision.verdict],
        created_at=utcnow(),
        ip_hash=address_hash,
        edit_token_hash=token_hash,
        moderation_reasons=[{"code": r.code, "text": r.text} for r in decision.reasons],
        flagged=decision.flagged,
    )
    db.session.add(comment)
    db.session.flush()
    _place_in_tree(comment, parent)
    db.session.flush()
    visibility.comment_added(comment)
    if decision.reasons:
        audit.record(
            site_id=site.id,
            action=f"auto_{decision.verdict.value}",
            comment=comment,
            status_after=comment.status.value,
            reason=decision.summary,
        )
    events.emit(events.Event.CREATED, comment)
    if new.notify_replies and email:
        # Imported here: notifications reads the moderation services, which import us.
        from comments.services import notifications

        notifications.subscribe(comment, email)
    db.session.commit()
    return comment, token


def _avatar_url(value: str) -> str:
    """An http(s) avatar URL, or nothing: a bad avatar never blocks a comment."""
    try:
        return inputs.normalise_url(value, "avatar", allow_bare_host=False)
    except ValidationFailed:
        return ""


def site_of(comment_id: int) -> Site:
    """The site a comment belongs to. Raises NotFound."""
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        raise NotFound("There is no such comment.")
    return comment.thread.site


def _decide(
    site_id: int, policy: Policy, author: authors.Author, body: str, new: NewComment
) -> Decision:
    """Run the site's rules; a refusal is raised as the error the reader sees."""
    ban = authors.active_ban(site_id, author)
    record = AuthorRecord(
        approved_count=authors.approved_count(site_id, author) if policy.mode == "first" else 0,
        banned=ban is not None,
        banned_until=ban.expires_at if ban else None,
        duplicate_recent=authors.posted_recently(
            site_id, author, body, timedelta(minutes=policy.duplicate_window_minutes)
        ),
    )
    submission = Submission(
        body=body,
        honeypot_filled=bool(new.honeypot.strip()),
        seconds_on_page=new.seconds_on_page,
    )
    decision = evaluate(policy, submission, record)
    if decision.verdict is not Verdict.REFUSE:
        return decision
    reason = decision.reasons[0]
    if reason.code == "author_banned":
        raise Forbidden(f"You cannot comment on this site: {reason.text}.", {"body": "banned"})
    if reason.code == "duplicate":
        raise Conflict("You already posted this comment.", code="duplicate")
    raise ValidationFailed(
        f"The comment contains a word this site does not allow ({reason.text}).",
        {"body": reason.code},
    )


def _authorised(comment_id: int, token: str | None) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.status == CommentStatus.DELETED:
        raise NotFound("There is no such comment.")
    if not token:
        raise Unauthorized("Send the comment's edit token as a Bearer token.")
    if not token_matches(token, comment.edit_token_hash):
        raise Forbidden("The edit token does not match this comment.")
    return comment


def _check_window(comment: Comment, limits: Limits) -> None:
    if utcnow() - comment.created_at > limits.edit_window:
        minutes = int(limits.edit_window.total_seconds() // 60)
        raise Conflict(
            f"Comments can be changed for {minutes} minutes after posting; that time is over.",
            code="edit_window_closed",
        )
    # Spam stays editable like a held comment: its author must not learn it was caught.
    if comment.status not in (CommentStatus.APPROVED, CommentStatus.PENDING, CommentStatus.SPAM):
        raise Conflict("A moderator has removed this comment.", code="comment_removed")


def edit_comment(comment_id: int, token: str | None, body: str, limits: Limits) -> Comment:
    """Replace the text of the author's own comment within the edit window.

    Raises NotFound, Unauthorized, Forbidden, Conflict (window closed, locked), ValidationFailed.
    """
    comment = _authorised(comment_id, token)
    _check_window(comment, limits)
    if comment.thread.locked:
        raise Conflict("This thread is locked: comments cannot change.", code="thread_locked")
    comment.body, comment.html = render_body(body, limits.max_body_length)
    comment.edited_at = utcnow()
    _recheck_edit(comment)
    visibility.bump_thread(comment.thread_id)
    db.session.commit()
    return comment


def _recheck_edit(comment: Comment) -> None:
    """Run the site's text rules on an edit, so no edit slips past what posting refuses.

    Refused words raise ValidationFailed; a rule that would hold the text takes a published
    comment back to Pending with its reasons; a suspect word flags it.
    """
    site = comment.thread.site
    policy = policy_from_json(site.settings)
    # The author's standing was judged at posting; an edit is judged on its text alone.
    decision = evaluate(policy, Submission(body=comment.body), AuthorRecord(approved_count=2**31))
    if decision.verdict is Verdict.REFUSE:
        reason = decision.reasons[0]
        raise ValidationFailed(
            f"The comment contains a word this site does not allow ({reason.text}).",
            {"body": reason.code},
        )
    comment.flagged = comment.flagged or decision.flagged
    if decision.verdict is Verdict.HOLD and comment.status is CommentStatus.APPROVED:
        visibility.set_status(comment, CommentStatus.PENDING)
        comment.moderation_reasons = [
            *comment.moderation_reasons,
            *({"code": r.code, "text": f"after an edit: {r.text}"} for r in decision.reasons),
        ]
        audit.record(
            site_id=site.id,
            action="auto_hold",
            comment=comment,
            status_before=CommentStatus.APPROVED.value,
            status_after=CommentStatus.PENDING.value,
            reason="after an edit: " + decision.summary,
        )


def delete_comment(comment_id: int, token: str | None, limits: Limits) -> None:
    """Delete the author's own comment within the edit window.

    Its text and author are erased; with shown replies it remains as a placeholder so the
    tree holds, otherwise it disappears. Raises NotFound, Unauthorized, Forbidden, Conflict.
    """
    comment = _authorised(comment_id, token)
    _check_window(comment, limits)
    visibility.set_status(comment, CommentStatus.DELETED)
    comment.body = comment.html = ""
    comment.author_name = comment.author_email = comment.author_url = ""
    comment.edit_token_hash = ""
    db.session.commit()


def get_comment(comment_id: int, token: str | None = None) -> Comment:
    """A comment readers may see; a held one only with its edit token. Raises NotFound."""
    comment = db.session.get(Comment, comment_id)
    if comment is not None:
        if visibility.is_shown(comment.status, comment.reply_count):
            return comment
        # Its author still sees a held comment; spam looks the same to them as held.
        if (
            comment.status in (CommentStatus.PENDING, CommentStatus.SPAM)
            and token
            and token_matches(token, comment.edit_token_hash)
        ):
            return comment
    raise NotFound("There is no such comment.")


def find_comment(comment_id: int) -> Comment | None:
    return db.session.execute(select(Comment).where(Comment.id == comment_id)).scalar_one_or_none()
