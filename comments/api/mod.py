"""The moderation API under /api/v1/mod: per-moderator Bearer tokens, the UI's permissions.

Every route authenticates with ``Authorization: Bearer cmt_...`` (a token from
``comments moderator token create``) and then calls one moderation service, which decides
what the moderator may see: comments, threads, bans and log entries on sites they are not
assigned to read as 404, exactly as in the moderation pages. Moderators see authors'
e-mail addresses here; the public API never shows them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeVar

from flask import Response, jsonify
from sqlalchemy import func, select

from comments.api import bp
from comments.api.parsing import (
    MAX_ID,
    bearer_token,
    checked_id,
    get_int,
    get_str,
    json_body,
    query_int,
    query_str,
)
from comments.api.serialize import iso
from comments.errors import BadRequest, Forbidden, NotFound, Unauthorized, ValidationFailed
from comments.extensions import db
from comments.httputil import json_error, settings
from comments.models import Ban, ModerationAction, Moderator, Role, Site, Thread
from comments.services import accounts, audit, moderation, queues, sites
from comments.services.inputs import check_text
from comments.services.moderation import MAX_BULK, Action
from comments.services.queues import Filters, Queue

ID = "int"
MAX_PAGE = 100_000
DEFAULT_PER_PAGE = 25
MAX_FILTER_TEXT = 200
MAX_REASON = 1000
MAX_ACTION_NAME = 32
BAN_APPLY = (Action.HIDE, Action.SPAM, Action.DELETE)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CHALLENGE = 'Bearer realm="comments moderation"'

T = TypeVar("T")


class TokenRefused(Unauthorized):
    """No usable moderation token; answered with a Bearer challenge (RFC 6750)."""

    def __init__(self, message: str, *, presented: bool) -> None:
        super().__init__(message)
        self.presented = presented


@bp.errorhandler(TokenRefused)
def _token_refused(exc: TokenRefused) -> Response:
    db.session.rollback()
    response = json_error(exc.status, exc.code, exc.message, exc.fields)
    challenge = CHALLENGE + (', error="invalid_token"' if exc.presented else "")
    response.headers["WWW-Authenticate"] = challenge
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _moderator() -> Moderator:
    """The moderator whose API token came with the request. Raises TokenRefused."""
    token = bearer_token()
    if token is None:
        raise TokenRefused(
            "Send a moderator API token as `Authorization: Bearer cmt_...`.", presented=False
        )
    moderator = accounts.token_moderator(token)
    if moderator is None:
        raise TokenRefused("That API token is unknown or revoked.", presented=True)
    return moderator


def _json(payload: Any, status: int = 200) -> Response:
    response = jsonify(payload)
    response.status_code = status
    # Moderation answers name authors' e-mail addresses: no cache may keep them.
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _no_content() -> Response:
    response = Response(status=204)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- Reading input -----------------------------------------------------------------------


def _path_id(value: int, what: str) -> int:
    if not 1 <= value <= MAX_ID:
        raise NotFound(f"There is no such {what}.")
    return value


def _site(moderator: Moderator, slug: str, field: str = "site") -> Site:
    """A site the moderator may see, by slug. Raises NotFound (also for others' sites)."""
    try:
        site = sites.get_site(slug)
    except NotFound as exc:
        raise NotFound(exc.message, {field: "unknown site"}) from exc
    if not moderation.can_see_site(moderator, site.id):
        raise NotFound(f"There is no site {slug!r}.", {field: "unknown site"})
    return site


def _queue(name: str) -> Queue:
    try:
        return Queue(name)
    except ValueError:
        raise NotFound(
            f"There is no queue {name!r}; the queues are {_queue_names()}.", {"queue": "unknown"}
        ) from None


def _queue_names() -> str:
    return ", ".join(q.value for q in Queue)


def _date(raw: str, field: str, error: Callable[[str, dict[str, str]], Exception]) -> date | None:
    if not raw:
        return None
    try:
        if not _DATE.fullmatch(raw):
            raise ValueError(raw)
        value = date.fromisoformat(raw)
    except ValueError:
        raise error(f"{field} must be a date such as 2026-01-31.", {field: "YYYY-MM-DD"}) from None
    # The last day of the calendar has no day after it: an "until" there bounds nothing.
    return None if value == date.max else value


def _short(value: str, field: str, error: Callable[[str, dict[str, str]], Exception]) -> str:
    if len(value) > MAX_FILTER_TEXT:
        raise error(
            f"{field} must be at most {MAX_FILTER_TEXT} characters.",
            {field: f"at most {MAX_FILTER_TEXT} characters"},
        )
    return value


def _query_filters(moderator: Moderator) -> Filters:
    """The queue filters from the query string; 400 for unreadable ones, 404 for a site."""
    slug = query_str("site")
    if slug:
        _site(moderator, slug)
    thread_id = query_int("thread_id", 0, 1, MAX_ID)
    return Filters(
        site=slug,
        thread_id=thread_id or None,
        text=_short(query_str("text"), "text", BadRequest),
        author=_short(query_str("author"), "author", BadRequest),
        email=_short(query_str("email"), "email", BadRequest),
        since=_date(query_str("since"), "since", BadRequest),
        until=_date(query_str("until"), "until", BadRequest),
    )


def _nested(prefix: str, read: Callable[[], T]) -> T:
    """Run ``read``, naming the fields of any error as ``prefix.field``."""
    try:
        return read()
    except ValidationFailed as exc:
        fields = {f"{prefix}.{k}": v for k, v in exc.fields.items()}
        raise ValidationFailed(f"{prefix}: {exc.message}", fields) from exc


def _body_filters(moderator: Moderator, raw: Any) -> tuple[Queue, Filters]:
    """The ``filter`` object of a bulk request: a queue and its filters, as in the URL."""
    if not isinstance(raw, dict):
        raise ValidationFailed("filter must be an object.", {"filter": "must be an object"})

    def read() -> tuple[Queue, Filters, str]:
        name = get_str(raw, "queue", required=True)
        if name not in Queue.__members__.values():
            raise ValidationFailed(
                f"queue must be one of {_queue_names()}.", {"queue": f"one of {_queue_names()}"}
            )
        filters = Filters(
            thread_id=get_int(raw, "thread_id", low=1, high=MAX_ID),
            text=_short(get_str(raw, "text"), "text", ValidationFailed),
            author=_short(get_str(raw, "author"), "author", ValidationFailed),
            email=_short(get_str(raw, "email"), "email", ValidationFailed),
            since=_date(get_str(raw, "since"), "since", ValidationFailed),
            until=_date(get_str(raw, "until"), "until", ValidationFailed),
        )
        return Queue(name), filters, get_str(raw, "site")

    queue, filters, slug = _nested("filter", read)
    if slug:
        _site(moderator, slug, "filter.site")
        filters = dataclasses.replace(filters, site=slug)
    return queue, filters


def _action(
    data: Mapping[str, Any], field: str = "action", choices: tuple[Action, ...] = tuple(Action)
) -> Action:
    value = get_str(data, field, required=True)
    names = [a.value for a in choices]
    if value not in names:
        allowed = ", ".join(names)
        raise ValidationFailed(f"{field} must be one of {allowed}.", {field: f"one of {allowed}"})
    return Action(value)


def _reason(data: Mapping[str, Any]) -> str:
    reason = get_str(data, "reason")
    if len(reason) > MAX_REASON:
        raise ValidationFailed(
            f"reason must be at most {MAX_REASON} characters.",
            {"reason": f"at most {MAX_REASON} characters"},
        )
    return reason


def _ids(raw: Any) -> list[int]:
    if not isinstance(raw, list):
        raise ValidationFailed("ids must be a list of comment ids.", {"ids": "must be a list"})
    if len(raw) > MAX_BULK:
        raise BadRequest(f"Act on at most {MAX_BULK} comments at once.", {"ids": "too many"})
    if not raw:
        raise ValidationFailed("ids must name at least one comment.", {"ids": "empty"})
    if any(isinstance(i, bool) or not isinstance(i, int) or not 1 <= i <= MAX_ID for i in raw):
        raise ValidationFailed(
            f"ids must be whole numbers from 1 to {MAX_ID}.", {"ids": f"integers 1..{MAX_ID}"}
        )
    return list(raw)


def _settings_changes(data: Mapping[str, Any]) -> dict[str, Any]:
    """Setting values of JSON types the policy can read; ``null`` leaves a setting as it is."""
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, str):
            check_text(key, value)
        elif isinstance(value, list):
            if not all(isinstance(item, str) for item in value):
                raise ValidationFailed(
                    f"{key} must be a list of strings.", {key: "must be a list of strings"}
                )
            for item in value:
                check_text(key, item)
        elif not isinstance(value, bool | int):
            raise ValidationFailed(
                f"{key} must be a string, a whole number, true/false or a list of strings.",
                {key: "unsupported type"},
            )
        changes[key] = value
    return changes


# --- Writing output ----------------------------------------------------------------------


def _thread(thread: Thread, site: Site) -> dict[str, Any]:
    return {
        "id": thread.id,
        "site": site.slug,
        "uri": thread.key,
        "title": thread.title,
        "url": thread.url,
        "locked": thread.locked,
        "comment_count": thread.comment_count,
    }


def _item(item: queues.Item) -> dict[str, Any]:
    """A comment as moderators see it: source and HTML, the author's e-mail, and why."""
    comment = item.comment
    return {
        "id": comment.id,
        "thread": _thread(item.thread, item.site),
        "parent_id": comment.parent_id,
        "parent_excerpt": item.parent_excerpt if comment.parent_id is not None else None,
        "author": {
            "name": comment.author_name,
            "email": comment.author_email or None,
            "url": comment.author_url or None,
        },
        "address": item.address,
        "html": comment.html,
        "body": comment.body,
        "status": comment.status.value,
        "created_at": iso(comment.created_at),
        "edited_at": iso(comment.edited_at),
        "report_count": comment.report_count,
        "flagged": comment.flagged,
        "why": item.why,
        "history": item.history,
    }


def _comment(moderator: Moderator, comment_id: int) -> dict[str, Any]:
    return _item(queues.describe(moderation.get_comment_for(moderator, comment_id)))


def _emails(ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.session.execute(select(Moderator.id, Moderator.email).where(Moderator.id.in_(wanted)))
    return {row.id: row.email for row in rows}


def _slugs(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {
        row.id: row.slug
        for row in db.session.execute(select(Site.id, Site.slug).where(Site.id.in_(ids)))
    }


def _bans(bans: list[Ban]) -> list[dict[str, Any]]:
    slugs = _slugs({b.site_id for b in bans})
    creators = _emails({b.created_by_id for b in bans})
    return [
        {
            "id": ban.id,
            "site": slugs[ban.site_id],
            "email": ban.email or None,
            "address": ban.ip_hash[:8] or None,
            "reason": ban.reason,
            "created_at": iso(ban.created_at),
            "expires_at": iso(ban.expires_at),
            "created_by": creators.get(ban.created_by_id) if ban.created_by_id else None,
        }
        for ban in bans
    ]


def _entries(entries: list[ModerationAction]) -> list[dict[str, Any]]:
    slugs = _slugs({e.site_id for e in entries})
    ids = [e.id for e in entries]
    undone_by: dict[int, int] = {}
    if ids:
        rows = db.session.execute(
            select(ModerationAction.undoes_id, func.min(ModerationAction.id))
            .where(ModerationAction.undoes_id.in_(ids))
            .group_by(ModerationAction.undoes_id)
        )
        undone_by = {int(undoes): int(by) for undoes, by in rows if undoes is not None}
    return [
        {
            "id": e.id,
            "created_at": iso(e.created_at),
            "site": slugs[e.site_id],
            "moderator": e.moderator.email if e.moderator else None,
            "action": e.action,
            "comment_id": e.comment_id,
            "thread_id": e.thread_id,
            "status_before": e.status_before,
            "status_after": e.status_after,
            "reason": e.reason,
            "previous_text": e.previous_text,
            "details": e.details or {},
            "undoes_id": e.undoes_id,
            "undone_by": undone_by.get(e.id),
            "undoable": e.action in moderation.UNDOABLE and e.id not in undone_by,
        }
        for e in entries
    ]


def _pages(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


# --- Routes ------------------------------------------------------------------------------


@bp.get("/mod/queues")
def mod_queue_counts() -> Response:
    moderator = _moderator()
    slug = query_str("site")
    if slug:
        _site(moderator, slug)
    counts = queues.counts(moderator, Filters(site=slug))
    return _json({"site": slug or None, "counts": {q.value: n for q, n in counts.items()}})


@bp.get("/mod/queues/<name>")
def mod_queue(name: str) -> Response:
    moderator = _moderator()
    which = _queue(name)
    filters = _query_filters(moderator)
    number = query_int("page", 1, 1, MAX_PAGE)
    per_page = query_int("per_page", DEFAULT_PER_PAGE, 1, queues.MAX_PER_PAGE)
    found = queues.page(moderator, which, filters, number, per_page)
    return _json(
        {
            "queue": which.value,
            "items": [_item(item) for item in found.items],
            "total": found.total,
            "page": found.page,
            "per_page": found.per_page,
            "pages": found.pages,
        }
    )


@bp.post(f"/mod/comments/<{ID}:comment_id>/actions")
def mod_decide(comment_id: int) -> Response:
    moderator = _moderator()
    comment_id = checked_id(comment_id)
    data = json_body()
    action = _action(data)
    moderation.moderate(moderator, comment_id, action, _reason(data))
    if action is Action.DELETE:
        return _no_content()
    return _json(_comment(moderator, comment_id))


@bp.patch(f"/mod/comments/<{ID}:comment_id>")
def mod_edit(comment_id: int) -> Response:
    moderator = _moderator()
    comment_id = checked_id(comment_id)
    data = json_body()
    body = get_str(data, "body", required=True)
    moderation.edit_text(moderator, comment_id, body, settings().MAX_BODY_LENGTH)
    return _json(_comment(moderator, comment_id))


@bp.post("/mod/bulk")
def mod_bulk() -> Response:
    moderator = _moderator()
    data = json_body()
    action = _action(data)
    reason = _reason(data)
    has_ids, has_filter = data.get("ids") is not None, data.get("filter") is not None
    if has_ids == has_filter:
        raise ValidationFailed(
            "Give ids or filter: exactly one of them.",
            {"ids": "give ids or filter", "filter": "give ids or filter"},
        )
    if has_ids:
        ids = _ids(data["ids"])
    else:
        queue, filters = _body_filters(moderator, data["filter"])
        ids = queues.matching_ids(moderator, queue, filters, MAX_BULK)
    changed = moderation.bulk(moderator, ids, action, reason) if ids else 0
    return _json({"changed": changed, "matched": len(set(ids))})


@bp.post(f"/mod/comments/<{ID}:comment_id>/ban")
def mod_ban(comment_id: int) -> Response:
    moderator = _moderator()
    comment_id = checked_id(comment_id)
    data = json_body()
    if "days" not in data:
        raise ValidationFailed(
            "days is required: a number of days, or null to ban for good.", {"days": "required"}
        )
    days = get_int(data, "days", low=1, high=3650)
    apply = None if data.get("apply") is None else _action(data, "apply", BAN_APPLY)
    ban = moderation.ban_author(moderator, comment_id, days=days, reason=_reason(data), apply=apply)
    return _json(_bans([ban])[0], 201)


@bp.get("/mod/bans")
def mod_bans() -> Response:
    moderator = _moderator()
    return _json({"bans": _bans(moderation.active_bans(moderator))})


@bp.delete(f"/mod/bans/<{ID}:ban_id>")
def mod_lift_ban(ban_id: int) -> Response:
    moderator = _moderator()
    moderation.lift_ban(moderator, _path_id(ban_id, "ban"))
    return _no_content()


def _lock(thread_id: int, locked: bool) -> Response:
    moderator = _moderator()
    thread = moderation.set_locked(moderator, _path_id(thread_id, "thread"), locked)
    return _json(_thread(thread, thread.site))


@bp.post(f"/mod/threads/<{ID}:thread_id>/lock")
def mod_lock(thread_id: int) -> Response:
    return _lock(thread_id, True)


@bp.delete(f"/mod/threads/<{ID}:thread_id>/lock")
def mod_unlock(thread_id: int) -> Response:
    return _lock(thread_id, False)


@bp.get("/mod/audit")
def mod_audit() -> Response:
    moderator = _moderator()
    slug = query_str("site")
    site_ids = [_site(moderator, slug).id] if slug else moderation.site_ids(moderator)
    action = query_str("action")
    if len(action) > MAX_ACTION_NAME:
        raise BadRequest(
            f"action must be at most {MAX_ACTION_NAME} characters.", {"action": "too long"}
        )
    number = query_int("page", 1, 1, MAX_PAGE)
    per_page = query_int("per_page", 50, 1, 200)
    statement = audit.query(audit.LogFilter(site_ids=site_ids, action=action))
    total = int(
        db.session.execute(
            select(func.count()).select_from(statement.order_by(None).subquery())
        ).scalar_one()
    )
    rows = db.session.execute(statement.offset((number - 1) * per_page).limit(per_page))
    return _json(
        {
            "entries": _entries(list(rows.scalars())),
            "total": total,
            "page": number,
            "per_page": per_page,
            "pages": _pages(total, per_page),
        }
    )


@bp.post(f"/mod/audit/<{ID}:entry_id>/undo")
def mod_undo(entry_id: int) -> Response:
    moderator = _moderator()
    record = moderation.undo(moderator, _path_id(entry_id, "log entry"))
    return _json(_entries([record])[0], 201)


@bp.get("/mod/sites/<slug>/settings")
def mod_site_settings(slug: str) -> Response:
    moderator = _moderator()
    return _json(sites.policy_of(_site(moderator, slug)).to_json())


@bp.patch("/mod/sites/<slug>/settings")
def mod_change_site_settings(slug: str) -> Response:
    moderator = _moderator()
    if moderator.role is not Role.ADMIN:
        raise Forbidden("Only admins may change a site's moderation settings.")
    site = _site(moderator, slug)
    changes = _settings_changes(json_body())
    return _json(sites.update_policy(site.slug, changes, moderator).to_json())
