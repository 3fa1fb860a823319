"""Reading threads: a page of top-level comments with their replies, counts, lookups."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased, contains_eager

from comments.errors import BadRequest
from comments.extensions import db
from comments.models import BLOCK_DEPTH, Comment, CommentStatus, Site, Thread, utcnow
from comments.services import cursors
from comments.services.policy import Policy, policy_from_json
from comments.services.visibility import shown_clause

MAX_COUNT_URIS = 100


class Sort(enum.StrEnum):
    OLDEST = "oldest"
    NEWEST = "newest"
    TOP = "top"


@dataclasses.dataclass
class CommentNode:
    """A comment with the replies sent along with it, and a cursor for any held back."""

    comment: Comment
    replies: list[CommentNode] = dataclasses.field(default_factory=list)
    replies_cursor: str | None = None


@dataclasses.dataclass
class ThreadPage:
    uri: str
    thread: Thread | None
    comments: list[CommentNode]
    next_cursor: str | None
    # Locked by a moderator or closed by the site's age limit: no new comments.
    locked: bool = False


@dataclasses.dataclass
class RepliesPage:
    comments: list[CommentNode]
    next_cursor: str | None


def find_thread(site_id: int, uri: str) -> Thread | None:
    return db.session.execute(
        select(Thread).where(Thread.site_id == site_id, Thread.key == uri)
    ).scalar_one_or_none()


def is_closed(thread: Thread, policy: Policy) -> bool:
    """Locked by a moderator, or past the site's automatic closing age."""
    if thread.locked:
        return True
    if policy.auto_close_days <= 0:
        return False
    return utcnow() - thread.created_at > timedelta(days=policy.auto_close_days)


def get_or_create_thread(site: Site, uri: str, title: str, url: str) -> Thread:
    """The thread for ``uri``, created if new; racing creators end up with the same row."""
    thread = find_thread(site.id, uri)
    if thread is not None:
        return thread
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(Thread)
        .values(
            site_id=site.id,
            key=uri,
            title=title,
            url=url,
            locked=False,
            comment_count=0,
            version=0,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["site_id", "key"])
    )
    thread = find_thread(site.id, uri)
    assert thread is not None
    return thread


def _segment_cursor_for(node: CommentNode) -> str | None:
    """A node at the end of a block whose children start new blocks: fetch them by cursor."""
    comment = node.comment
    if comment.reply_count > 0 and comment.depth % BLOCK_DEPTH == BLOCK_DEPTH - 1:
        return cursors.encode("children", c=comment.id, after=0)
    return None


def _block_rows(anchor_ids: Sequence[int], limit: int) -> list[Comment]:
    """Up to ``limit`` + 1 shown descendants of each anchor, in display (path) order.

    One statement whatever the page size: a window numbers each block's rows in path order.
    """
    if not anchor_ids:
        return []
    rank = func.row_number().over(partition_by=Comment.anchor_id, order_by=Comment.path)
    ranked = (
        select(Comment, rank.label("rank"))
        .where(
            Comment.anchor_id.in_(anchor_ids),
            Comment.id != Comment.anchor_id,
            shown_clause(),
        )
        .subquery()
    )
    rows = aliased(Comment, ranked)
    query = (
        select(rows).where(ranked.c.rank <= limit + 1).order_by(ranked.c.anchor_id, ranked.c.path)
    )
    return list(db.session.execute(query).scalars())


def _attach_blocks(heads: list[CommentNode], limit: int, *, anchor_of: dict[int, int]) -> None:
    """Fill each head's replies from its block, without recursion, and set cursors.

    ``anchor_of`` maps a head's comment id to the block it continues (its own id for a
    block opener, its anchor for a continuation from the middle of a block).
    """
    by_anchor: dict[int, CommentNode] = {anchor_of[h.comment.id]: h for h in heads}
    rows = _block_rows(list(by_anchor), limit)
    nodes: dict[int, CommentNode] = {h.comment.id: h for h in heads}
    taken: dict[int, int] = {}
    last_path: dict[int, str] = {}
    for comment in rows:
        anchor = comment.anchor_id
        assert anchor is not None
        if taken.get(anchor, 0) >= limit:
            # The extra row proves more remain: the head gets a cursor to continue.
            head = by_anchor[anchor]
            head.replies_cursor = cursors.encode(
                "block", c=head.comment.id, after=last_path[anchor]
            )
            continue
        taken[anchor] = taken.get(anchor, 0) + 1
        last_path[anchor] = comment.path
        node = CommentNode(comment)
        nodes[comment.id] = node
        parent = nodes.get(comment.parent_id) if comment.parent_id is not None else None
        if parent is not None:
            parent.replies.append(node)
        else:
            # A continuation: its parent was sent earlier; the client attaches by parent_id.
            by_anchor[anchor].replies.append(node)
        node.replies_cursor = _segment_cursor_for(node)


def _roots_query(thread_id: int, sort: Sort, cursor: str | None) -> Select[Comment]:
    query = select(Comment).where(
        Comment.thread_id == thread_id, Comment.parent_id.is_(None), shown_clause()
    )
    if sort is Sort.OLDEST:
        query = query.order_by(Comment.id)
    elif sort is Sort.NEWEST:
        query = query.order_by(Comment.id.desc())
    else:
        query = query.order_by(Comment.score.desc(), Comment.id)
    if cursor is None:
        return query
    position = cursors.decode(cursor, "page", {"s": str, "id": int, "score": int})
    if position["s"] != sort.value:
        raise BadRequest("The cursor belongs to another sort order.", {"cursor": "sort mismatch"})
    last_id, last_score = position["id"], position["score"]
    if sort is Sort.OLDEST:
        return query.where(Comment.id > last_id)
    if sort is Sort.NEWEST:
        return query.where(Comment.id < last_id)
    return query.where(
        or_(Comment.score < last_score, and_(Comment.score == last_score, Comment.id > last_id))
    )


def read_thread(
    site: Site,
    uri: str,
    *,
    sort: Sort = Sort.OLDEST,
    limit: int = 50,
    cursor: str | None = None,
    replies_limit: int = 200,
) -> ThreadPage:
    """One page of a thread's top-level comments, each with its replies nested.

    Costs a constant number of queries whatever the thread's size. An unknown thread
    reads as empty. Raises BadRequest for a malformed cursor.
    """
    thread = find_thread(site.id, uri)
    if thread is None:
        if cursor is not None:
            cursors.decode(cursor, "page", {"s": str, "id": int, "score": int})
        return ThreadPage(uri=uri, thread=None, comments=[], next_cursor=None)
    roots = list(
        db.session.execute(_roots_query(thread.id, sort, cursor).limit(limit + 1)).scalars()
    )
    next_cursor = None
    if len(roots) > limit:
        roots = roots[:limit]
        last = roots[-1]
        next_cursor = cursors.encode("page", s=sort.value, id=last.id, score=last.score)
    heads = [CommentNode(c) for c in roots]
    _attach_blocks(heads, replies_limit, anchor_of={c.id: c.id for c in roots})
    locked = is_closed(thread, policy_from_json(site.settings))
    return ThreadPage(
        uri=uri, thread=thread, comments=heads, next_cursor=next_cursor, locked=locked
    )


def read_replies(comment: Comment, cursor: str | None, limit: int) -> RepliesPage:
    """The replies below ``comment`` held back from an earlier read, in display order.

    Without a cursor it starts at the comment's first reply. Raises BadRequest for a
    cursor that is malformed or belongs to another comment.
    """
    if cursor is None:
        if comment.depth % BLOCK_DEPTH == BLOCK_DEPTH - 1:
            cursor = cursors.encode("children", c=comment.id, after=0)
        else:
            cursor = cursors.encode("block", c=comment.id, after=comment.path)
    kind = _cursor_kind(cursor)
    if kind == "children":
        data = cursors.decode(cursor, "children", {"c": int, "after": int})
        _check_owner(data["c"], comment)
        return _read_child_blocks(comment, data["after"], limit)
    data = cursors.decode(cursor, "block", {"c": int, "after": str})
    _check_owner(data["c"], comment)
    after = data["after"]
    if not after.isdigit() or not after.startswith(comment.path):
        raise BadRequest("The cursor is not valid for this comment.", {"cursor": "invalid"})
    anchor = comment.anchor_id
    assert anchor is not None
    rows = list(
        db.session.execute(
            select(Comment)
            .where(
                Comment.anchor_id == anchor,
                Comment.path > after,
                # Still inside this comment's subtree: paths share its prefix.
                Comment.path.startswith(comment.path, autoescape=True),
                shown_clause(),
            )
            .order_by(Comment.path)
            .limit(limit + 1)
        ).scalars()
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = cursors.encode("block", c=comment.id, after=rows[-1].path)
    nodes: dict[int, CommentNode] = {}
    top: list[CommentNode] = []
    for row in rows:
        node = CommentNode(row, replies_cursor=None)
        node.replies_cursor = _segment_cursor_for(node)
        nodes[row.id] = node
        parent = nodes.get(row.parent_id) if row.parent_id is not None else None
        (parent.replies if parent is not None else top).append(node)
    return RepliesPage(comments=top, next_cursor=next_cursor)


def _read_child_blocks(comment: Comment, after_id: int, limit: int) -> RepliesPage:
    """Children that open new blocks, a page at a time, each with its block."""
    children = list(
        db.session.execute(
            select(Comment)
            .where(Comment.parent_id == comment.id, Comment.id > after_id, shown_clause())
            .order_by(Comment.id)
            .limit(limit + 1)
        ).scalars()
    )
    next_cursor = None
    if len(children) > limit:
        children = children[:limit]
        next_cursor = cursors.encode("children", c=comment.id, after=children[-1].id)
    heads = [CommentNode(c) for c in children]
    _attach_blocks(heads, limit, anchor_of={c.id: c.id for c in children})
    return RepliesPage(comments=heads, next_cursor=next_cursor)


def _cursor_kind(cursor: str) -> str:
    for kind in ("children", "block"):
        try:
            cursors.decode(cursor, kind, {"c": int, "after": int if kind == "children" else str})
        except BadRequest:
            continue
        return kind
    raise BadRequest("The cursor is not valid; start again without it.", {"cursor": "invalid"})


def _check_owner(comment_id: int, comment: Comment) -> None:
    if comment_id != comment.id:
        raise BadRequest("The cursor belongs to another comment.", {"cursor": "invalid"})


def counts(site: Site, uris: Sequence[str]) -> dict[str, int]:
    """Approved comments per uri, from one indexed query; unknown uris count 0."""
    if len(uris) > MAX_COUNT_URIS:
        raise BadRequest(f"Ask for at most {MAX_COUNT_URIS} uris at once.", {"uri": "too many"})
    wanted = list(dict.fromkeys(uris))
    rows = db.session.execute(
        select(Thread.key, Thread.comment_count).where(
            Thread.site_id == site.id, Thread.key.in_(wanted)
        )
    )
    found = {key: count for key, count in rows}
    return {uri: found.get(uri, 0) for uri in wanted}


MAX_RECENT = 50


def recent_comments(site: Site, limit: int = 10) -> list[Comment]:
    """A site's latest approved comments, newest first, each with its thread loaded."""
    query = (
        select(Comment)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Thread.site_id == site.id, Comment.status == CommentStatus.APPROVED)
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(max(1, min(limit, MAX_RECENT)))
        .options(contains_eager(Comment.thread))
    )
    return list(db.session.execute(query).scalars())
