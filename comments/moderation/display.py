"""Words and formats the moderation pages show: times, durations, links and outcomes."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from comments.models import Site, Thread
from comments.services.moderation import Action

# Past tense for flash messages: "Hid 12 comments", "Marked 1 comment as spam".
_DONE = {
    Action.APPROVE: ("Approved", ""),
    Action.HIDE: ("Hid", ""),
    Action.SPAM: ("Marked", " as spam"),
    Action.RESTORE: ("Restored", ""),
    Action.DELETE: ("Deleted", " for good"),
}


def comments_word(count: int) -> str:
    return f"{count} comment" if count == 1 else f"{count} comments"


def outcome(action: Action, changed: int, asked: int | None = None, by_author: bool = False) -> str:
    """'Hid 12 comments' and, when some could not change, how many were skipped."""
    verb, tail = _DONE[action]
    owner = " by this author" if by_author else ""
    text = f"{verb} {comments_word(changed)}{owner}{tail}."
    if asked is not None and asked > changed:
        skipped = asked - changed
        text += f" {skipped} skipped: already there, deleted by the author, or not yours."
    return text


def web_link(url: str) -> str:
    """The URL if it is an http(s) address a moderator can safely follow, else ''."""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return ""
    return url if scheme in {"http", "https"} else ""


def thread_link(thread: Thread, site: Site, comment_id: int | None = None) -> str:
    """Where the thread's page lives, pointing at the comment when one is given."""
    base = web_link(thread.url)
    if not base and site.allowed_origins and thread.key.startswith("/"):
        base = web_link(site.allowed_origins[0] + thread.key)
    if not base:
        return ""
    return f"{base.split('#', 1)[0]}#comment-{comment_id}" if comment_id else base


def when(moment: datetime | None) -> str:
    """A timestamp as moderators read it: day, month, year and UTC time."""
    return moment.strftime("%d %b %Y, %H:%M UTC") if moment else ""


def duration(span: timedelta | None) -> str:
    """A wait in the two largest units: '2 d 4 h', '3 h 12 min', '45 s'."""
    if span is None:
        return "no decisions yet"
    seconds = max(0, int(span.total_seconds()))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"
