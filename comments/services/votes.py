"""Votes: one standing vote per voter per comment, changeable and withdrawable."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from comments.errors import Conflict, Forbidden, NotFound
from comments.extensions import db
from comments.models import Comment, CommentStatus, Vote
from comments.services import visibility


def _tally(value: int) -> tuple[int, int]:
    return (1 if value > 0 else 0), (1 if value < 0 else 0)


def vote(comment_id: int, voter: str, value: int) -> Comment:
    """Set ``voter``'s vote on a comment to +1, -1 or 0 (withdrawn).

    Returns the comment with its new tallies. Raises NotFound (unknown or unpublished),
    Forbidden (own comment), Conflict (a simultaneous vote by the same voter).
    """
    if value not in (-1, 0, 1):
        raise ValueError(value)
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.status != CommentStatus.APPROVED:
        raise NotFound("There is no such comment to vote on.")
    if comment.author_key and comment.author_key == voter:
        raise Forbidden("You cannot vote on your own comment.")
    existing = db.session.execute(
        select(Vote).where(Vote.comment_id == comment_id, Vote.voter == voter)
    ).scalar_one_or_none()
    old = existing.value if existing else 0
    if old == value:
        return comment
    if existing is None:
        db.session.add(Vote(comment_id=comment_id, voter=voter, value=value))
    elif value == 0:
        db.session.delete(existing)
    else:
        existing.value = value
    old_likes, old_dislikes = _tally(old)
    new_likes, new_dislikes = _tally(value)
    likes, dislikes = new_likes - old_likes, new_dislikes - old_dislikes
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict("Your vote was already being recorded.", code="vote_conflict") from exc
    # Atomic increments: concurrent voters never overwrite each other's tallies.
    db.session.execute(
        update(Comment)
        .where(Comment.id == comment_id)
        .values(
            likes=Comment.likes + likes,
            dislikes=Comment.dislikes + dislikes,
            score=Comment.score + likes - dislikes,
        )
        .execution_options(synchronize_session=False)
    )
    visibility.bump_thread(comment.thread_id)
    db.session.commit()
    db.session.refresh(comment)
    return comment
