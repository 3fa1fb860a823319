"""Whole-database chores: re-rendering stored comments after the allowlist changes."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select

from comments import sanitize
from comments.extensions import db
from comments.models import Comment


@dataclasses.dataclass
class RerenderResult:
    total: int = 0
    changed: int = 0
    failed: list[tuple[int, str]] = dataclasses.field(default_factory=list)


def rerender_all(batch_size: int = 500) -> RerenderResult:
    """Re-render every comment's HTML from its source, a batch per transaction.

    A body the current rules refuse keeps its old HTML and is reported, never lost.
    """
    result = RerenderResult()
    last_id = 0
    while True:
        batch = list(
            db.session.execute(
                select(Comment).where(Comment.id > last_id).order_by(Comment.id).limit(batch_size)
            ).scalars()
        )
        if not batch:
            return result
        for comment in batch:
            result.total += 1
            if not comment.body:
                continue
            try:
                html = sanitize.render(comment.body)
            except sanitize.BodyTooComplex as exc:
                result.failed.append((comment.id, str(exc)))
                continue
            if html != comment.html:
                comment.html = html
                result.changed += 1
        last_id = batch[-1].id
        db.session.commit()
