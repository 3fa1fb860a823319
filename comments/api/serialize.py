"""Turning comments and threads into the API's JSON shapes; never an email, IP, hash or token."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from comments.models import REMOVED_STATUSES, Comment, CommentStatus, Thread
from comments.services.identity import SSO_PREFIX, avatar_key
from comments.services.threads import CommentNode

AVATAR_PATH = "/api/v1/avatars/{key}.svg"


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat().replace("+00:00", "Z")


def avatar_url(comment: Comment, secret: str) -> str:
    if comment.author_avatar:
        return comment.author_avatar
    seed = comment.author_email.lower() or comment.author_key or comment.author_name
    return AVATAR_PATH.format(key=avatar_key(secret, seed))


def comment_fields(
    comment: Comment,
    secret: str,
    *,
    for_author: bool = False,
    status: CommentStatus | None = None,
) -> dict[str, Any]:
    """One comment without its replies. Removed comments keep only their place.

    ``for_author``: the reader holds the edit token, so a comment awaiting moderation
    shows them its text. ``status`` presents the comment in another status than its own.
    """
    status = status or comment.status
    deleted = status in REMOVED_STATUSES and not (for_author and status is CommentStatus.PENDING)
    author = None
    if not deleted:
        author = {
            "name": comment.author_name,
            "url": comment.author_url or None,
            "avatar": avatar_url(comment, secret),
            "verified": comment.author_key.startswith(SSO_PREFIX),
        }
    return {
        "id": comment.id,
        "parent_id": comment.parent_id,
        "depth": comment.depth,
        "author": author,
        "html": "" if deleted else comment.html,
        "created_at": iso(comment.created_at),
        "edited_at": None if deleted else iso(comment.edited_at),
        "status": status.value,
        "likes": comment.likes,
        "dislikes": comment.dislikes,
        "score": comment.score,
        "deleted": deleted,
        "reply_count": comment.reply_count,
        "replies": [],
        "replies_cursor": None,
    }


def forest(nodes: list[CommentNode], secret: str) -> list[dict[str, Any]]:
    """Nested JSON for a list of comment trees, built with a stack, not recursion."""
    out: list[dict[str, Any]] = []
    stack: list[tuple[CommentNode, list[dict[str, Any]]]] = [(n, out) for n in reversed(nodes)]
    while stack:
        node, siblings = stack.pop()
        item = comment_fields(node.comment, secret)
        item["replies_cursor"] = node.replies_cursor
        siblings.append(item)
        stack.extend((child, item["replies"]) for child in reversed(node.replies))
    return out


def thread_fields(uri: str, thread: Thread | None, locked: bool) -> dict[str, Any]:
    if thread is None:
        return {"uri": uri, "title": "", "url": "", "locked": False, "comment_count": 0}
    return {
        "uri": thread.key,
        "title": thread.title,
        "url": thread.url,
        "locked": locked,
        "comment_count": thread.comment_count,
    }
