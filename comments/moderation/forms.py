"""Reading the moderation pages' query strings and form fields into typed values.

Pages are forgiving: a filter that cannot be read is dropped and named in ``errors`` so the
page still renders; forms that change something refuse bad input with a domain error.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from werkzeug.datastructures import MultiDict

from comments.errors import BadRequest
from comments.services import audit, queues
from comments.services.moderation import MAX_BULK, Action
from comments.services.policy import BanAction, Mode, WordAction

MAX_ID = 2**31 - 1
MAX_PAGE = 100_000
SHORT_TEXT = 200

Args = MultiDict[str, str]


def parse_int(raw: str | None, low: int, high: int) -> int | None:
    """A whole number within bounds, or None when empty or unreadable."""
    text = (raw or "").strip()
    if not text or len(text) > 12:
        return None
    try:
        number = int(text)
    except ValueError:
        return None
    return number if low <= number <= high else None


def parse_date(raw: str | None) -> date | None:
    """An ISO date (YYYY-MM-DD, what <input type=date> sends), or None."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10]) if len(text) == 10 else None
    except ValueError:
        return None


def safe_next(target: str | None, default: str) -> str:
    """Only a path inside /mod: a form's ``next`` must never become an open redirect."""
    if not target or len(target) > 2000:
        return default
    if any(ch in target for ch in "\\\r\n\t") or target.startswith("//"):
        return default
    if target == "/mod" or target.startswith(("/mod/", "/mod?")):
        return target
    return default


def _text(args: Args, name: str, limit: int = SHORT_TEXT) -> str:
    return " ".join((args.get(name) or "").split())[:limit]


def _checked_int(args: Args, name: str, label: str, errors: list[str]) -> int | None:
    raw = args.get(name, "").strip()
    value = parse_int(raw, 1, MAX_ID)
    if raw and value is None:
        errors.append(f"{label} must be a whole number; it was ignored.")
    return value


def _checked_date(args: Args, name: str, label: str, errors: list[str]) -> date | None:
    raw = args.get(name, "").strip()
    value = parse_date(raw)
    if raw and value is None:
        errors.append(f"{label} must be a date such as 2026-01-31; it was ignored.")
    return value


@dataclasses.dataclass(frozen=True)
class QueueQuery:
    """A queue page's filters and page number, as read from the query string."""

    filters: queues.Filters
    page: int
    errors: tuple[str, ...] = ()

    def args(self, page: int | None = None) -> dict[str, Any]:
        """Query-string arguments that rebuild this view (optionally on another page)."""
        number = self.page if page is None else page
        extra = {"page": number} if number > 1 else {}
        return {**self.filters.as_query(), **extra}


def read_queue_query(args: Args) -> QueueQuery:
    errors: list[str] = []
    filters = queues.Filters(
        site=_text(args, "site", 64),
        thread_id=_checked_int(args, "thread_id", "Thread id", errors),
        text=_text(args, "text"),
        author=_text(args, "author", 64),
        email=_text(args, "email", 254),
        since=_checked_date(args, "since", "From", errors),
        until=_checked_date(args, "until", "Until", errors),
        author_of=_checked_int(args, "author_of", "Author of", errors),
    )
    page = parse_int(args.get("page"), 1, MAX_PAGE) or 1
    return QueueQuery(filters, page, tuple(errors))


@dataclasses.dataclass(frozen=True)
class LogQuery:
    """The audit log's filters, both as typed values and as the raw text to show again."""

    filter: audit.LogFilter
    page: int
    shown: dict[str, str]
    errors: tuple[str, ...] = ()

    def args(self, page: int | None = None) -> dict[str, Any]:
        number = self.page if page is None else page
        extra = {"page": number} if number > 1 else {}
        return {**{k: v for k, v in self.shown.items() if v}, **extra}


def _start_of(day: date | None) -> datetime | None:
    return datetime.combine(day, time(), UTC) if day else None


def read_log_query(args: Args, site_ids: list[int] | None) -> LogQuery:
    errors: list[str] = []
    since = _checked_date(args, "since", "From", errors)
    until = _checked_date(args, "until", "Until", errors)
    log_filter = audit.LogFilter(
        site_ids=site_ids,
        moderator_id=_checked_int(args, "moderator", "Moderator", errors),
        action=_text(args, "action", 32),
        comment_id=_checked_int(args, "comment", "Comment id", errors),
        since=_start_of(since),
        # The "until" day is included: the filter runs to the start of the next day.
        until=_start_of(until + timedelta(days=1)) if until else None,
    )
    shown = {
        "action": log_filter.action,
        "moderator": str(log_filter.moderator_id or ""),
        "comment": str(log_filter.comment_id or ""),
        "since": since.isoformat() if since else "",
        "until": until.isoformat() if until else "",
    }
    page = parse_int(args.get("page"), 1, MAX_PAGE) or 1
    return LogQuery(log_filter, page, shown, tuple(errors))


def read_action(raw: str | None, allowed: tuple[Action, ...] = tuple(Action)) -> Action:
    """The decision a button sent. Raises BadRequest for anything else."""
    try:
        action = Action((raw or "").strip())
    except ValueError:
        action = None
    if action is None or action not in allowed:
        names = ", ".join(a.value for a in allowed)
        raise BadRequest(f"Choose one of: {names}.", {"action": names})
    return action


def read_ids(values: list[str]) -> list[int]:
    """Comment ids from checkboxes. Raises BadRequest for a value that is not an id."""
    if len(values) > MAX_BULK:
        raise BadRequest(f"Act on at most {MAX_BULK} comments at once.", {"ids": "too many"})
    ids = [parse_int(v, 1, MAX_ID) for v in values]
    if any(i is None for i in ids):
        raise BadRequest("A selected comment id is not a number.", {"ids": "not an id"})
    return [i for i in ids if i is not None]


def confirmed(form: Mapping[str, str]) -> bool:
    return form.get("confirm") == "yes"


# E-mail alerts a moderator can choose, with the words the account page shows.
ALERT_CHOICES = {
    "off": "Off: no alert mails",
    "immediate": "Immediately: one mail for each comment that waits for review or is reported",
    "digest": "Daily digest: at most one mail a day, only when something new came in",
}


def read_alert_mode(raw: str | None) -> str:
    """The alert mode a form sent. Raises BadRequest for anything else."""
    mode = (raw or "").strip()
    if mode not in ALERT_CHOICES:
        names = ", ".join(ALERT_CHOICES)
        raise BadRequest(f"Choose one of: {names}.", {"alert_mode": names})
    return mode


# --- Site settings ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PolicyField:
    """How one Policy setting is shown and read on the settings page."""

    name: str
    label: str
    kind: str  # "choice", "number", "words" or "flag"
    hint: str
    choices: tuple[tuple[str, str], ...] = ()
    low: int = 0
    high: int = 0


POLICY_FIELDS = (
    PolicyField(
        "mode",
        "Publishing mode",
        "choice",
        "When a new comment appears on the page.",
        (
            (Mode.POST.value, "Publish at once"),
            (Mode.FIRST.value, "Hold an author's first comments"),
            (Mode.PRE.value, "Hold every comment for review"),
        ),
    ),
    PolicyField(
        "first_threshold",
        "Approved comments before an author is trusted",
        "number",
        "Used by the 'hold first comments' mode.",
        low=1,
        high=1000,
    ),
    PolicyField(
        "max_links",
        "Most links allowed",
        "number",
        "More links hold the comment.",
        low=0,
        high=1000,
    ),
    PolicyField("banned_words", "Banned words", "words", "One word or phrase per line."),
    PolicyField(
        "banned_word_action",
        "When a banned word appears",
        "choice",
        "Refuse the comment outright, or hold it for review.",
        ((WordAction.REFUSE.value, "Refuse it"), (WordAction.HOLD.value, "Hold it for review")),
    ),
    PolicyField(
        "suspect_words",
        "Suspect words",
        "words",
        "One per line. The comment is published but listed under Reported.",
    ),
    PolicyField(
        "honeypot", "Use a hidden trap field", "flag", "Comments that fill it in are spam."
    ),
    PolicyField(
        "min_seconds",
        "Fewest seconds between opening the form and sending",
        "number",
        "Faster senders are treated as spam; 0 turns this off.",
        low=0,
        high=3600,
    ),
    PolicyField(
        "report_threshold",
        "Reports that take a comment down for review",
        "number",
        "A published comment with this many reports goes back to Pending.",
        low=1,
        high=1000,
    ),
    PolicyField(
        "duplicate_window_minutes",
        "Minutes in which the same text twice is refused",
        "number",
        "0 turns this off.",
        low=0,
        high=60 * 24 * 30,
    ),
    PolicyField(
        "ban_action",
        "When a banned author posts",
        "choice",
        "Refuse it, or accept it quietly into Spam.",
        ((BanAction.REFUSE.value, "Refuse it"), (BanAction.SPAM.value, "Put it in Spam")),
    ),
    PolicyField(
        "auto_close_days",
        "Close threads after this many days",
        "number",
        "0 keeps threads open.",
        low=0,
        high=3650,
    ),
)


def policy_form_values(policy_json: Mapping[str, Any]) -> dict[str, str]:
    """The stored policy as the text each form control shows."""
    values: dict[str, str] = {}
    for field in POLICY_FIELDS:
        value = policy_json[field.name]
        if field.kind == "words":
            values[field.name] = "\n".join(value)
        elif field.kind == "flag":
            values[field.name] = "on" if value else ""
        else:
            values[field.name] = str(value)
    return values


def policy_changes(form: Mapping[str, str]) -> dict[str, str]:
    """Every setting from the submitted form, as text for the policy service to check.

    An unticked checkbox sends nothing, which here means "off".
    """
    changes: dict[str, str] = {}
    for field in POLICY_FIELDS:
        raw = form.get(field.name, "")
        changes[field.name] = ("on" if raw else "off") if field.kind == "flag" else raw
    return changes


def submitted_values(form: Mapping[str, str]) -> dict[str, str]:
    """What the moderator typed, to show again beside the errors."""
    return {
        field.name: ("on" if form.get(field.name) else "")
        if field.kind == "flag"
        else form.get(field.name, "")
        for field in POLICY_FIELDS
    }
