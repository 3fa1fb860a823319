"""The audit log: every moderation action and settings change, append-only."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from comments.extensions import db
from comments.models import Comment, ModerationAction, Moderator


def record(
    *,
    site_id: int,
    action: str,
    moderator: Moderator | None = None,
    comment: Comment | None = None,
    thread_id: int | None = None,
    status_before: str | None = None,
    status_after: str | None = None,
    reason: str = "",
    previous_text: str | None = None,
    details: dict[str, Any] | None = None,
    undoes: ModerationAction | None = None,
) -> ModerationAction:
    """Add one entry to the log (flushed, committed by the caller's use case)."""
    entry = ModerationAction(
        site_id=site_id,
        moderator_id=moderator.id if moderator else None,
        comment_id=comment.id if comment else None,
        thread_id=thread_id if thread_id is not None else (comment.thread_id if comment else None),
        action=action,
        status_before=status_before,
        status_after=status_after,
        reason=reason,
        previous_text=previous_text,
        details=details or {},
        undoes_id=undoes.id if undoes else None,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclasses.dataclass(frozen=True)
class LogFilter:
    site_ids: Sequence[int] | None = None  # None: every site
    moderator_id: int | None = None
    action: str = ""
    comment_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def query(filters: LogFilter) -> Select[ModerationAction]:
    statement = select(ModerationAction).order_by(ModerationAction.id.desc())
    if filters.site_ids is not None:
        statement = statement.where(ModerationAction.site_id.in_(filters.site_ids))
    if filters.moderator_id is not None:
        statement = statement.where(ModerationAction.moderator_id == filters.moderator_id)
    if filters.action:
        statement = statement.where(ModerationAction.action == filters.action)
    if filters.comment_id is not None:
        statement = statement.where(ModerationAction.comment_id == filters.comment_id)
    if filters.since is not None:
        statement = statement.where(ModerationAction.created_at >= filters.since)
    if filters.until is not None:
        statement = statement.where(ModerationAction.created_at < filters.until)
    return statement


CSV_COLUMNS = (
    "id", "created_at", "site_id", "moderator", "action", "comment_id", "thread_id",
    "status_before", "status_after", "reason", "previous_text", "undoes_id",
)  # fmt: skip


def _safe_cell(value: object) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: neutralise them."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def to_csv(entries: Iterable[ModerationAction]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        who = e.moderator.email if e.moderator else "automatic"
        writer.writerow(
            _safe_cell(v)
            for v in (
                e.id, e.created_at.isoformat(), e.site_id, who, e.action, e.comment_id,
                e.thread_id, e.status_before, e.status_after, e.reason, e.previous_text,
                e.undoes_id,
            )
        )  # fmt: skip
    return out.getvalue()
