"""Atom feeds (RFC 4287) of the latest approved comments: one per site, one per thread.

The document is built with ElementTree, which escapes every text and attribute value; what
XML 1.0 cannot carry at all (most control characters, U+FFFE/U+FFFF, lone surrogates) is
removed first, so no stored text can make a feed ill-formed. Entries carry the HTML we
stored when the comment was written (sanitised then) as escaped text, as Atom's
``type="html"`` requires.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from urllib.parse import urldefrag, urlsplit

from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager

from comments.extensions import db
from comments.models import Comment, CommentStatus, Site, Thread

ATOM_NS = "http://www.w3.org/2005/Atom"
CONTENT_TYPE = "application/atom+xml; charset=utf-8"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
# Part of every cache key and ETag: bump it when the document's shape changes.
FORMAT_VERSION = "1"
ANONYMOUS = "Anonymous"

# Everything outside XML 1.0's Char production.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# What a tag: URI's authority may be (RFC 4151: a DNS name).
_TAG_AUTHORITY = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids (they cannot even be escaped)."""
    return _NOT_XML_CHAR.sub("", text)


def _line(text: str) -> str:
    """One line of plain text (titles, names): XML-safe, whitespace collapsed."""
    return " ".join(xml_safe(text).split())


def public_base(public_url: str) -> str:
    """Where readers reach the service (PUBLIC_URL), without a trailing slash."""
    return (public_url.strip() or DEFAULT_PUBLIC_URL).rstrip("/")


@dataclasses.dataclass(frozen=True)
class FeedLinks:
    """The URLs a feed needs, decided by the web layer (it owns the routes)."""

    # PUBLIC_URL, normalised by ``public_base``.
    base: str
    # This feed's own path, with its query string.
    self_path: str
    # The path of our no-JavaScript thread page for (site slug, thread key).
    thread_page: Callable[[str, str], str]

    @property
    def self_url(self) -> str:
        return self.base + self.self_path

    @property
    def tag_authority(self) -> str:
        """The host of PUBLIC_URL, for tag: URIs (ids stay the same while it does)."""
        try:
            host = (urlsplit(self.base).hostname or "").lower()
        except ValueError:
            host = ""
        return host if _TAG_AUTHORITY.fullmatch(host) else "comments.invalid"

    def thread_url(self, site: Site, thread: Thread) -> str:
        """The thread's own page when we know it, else our thread page."""
        if thread.url:
            return urldefrag(thread.url).url
        return self.base + self.thread_page(site.slug, thread.key)


# --- Reading ---------------------------------------------------------------------------------


def _approved() -> Select[Comment]:
    return (
        select(Comment)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Comment.status == CommentStatus.APPROVED)
        .options(contains_eager(Comment.thread))
    )


def site_entries(site: Site, limit: int) -> list[Comment]:
    """The site's latest approved comments, newest first, each with its thread (one query)."""
    query = (
        _approved()
        .where(Thread.site_id == site.id)
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(max(1, limit))
    )
    return list(db.session.execute(query).scalars())


def thread_entries(thread: Thread, limit: int) -> list[Comment]:
    """The thread's latest approved comments, newest first (one query)."""
    query = (
        _approved()
        .where(Comment.thread_id == thread.id)
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(max(1, limit))
    )
    return list(db.session.execute(query).scalars())


# --- Cache keys ------------------------------------------------------------------------------
#
# Every change readers can see bumps the thread's version (services/visibility.py), so a
# version names a thread's content. The keys also hold everything else the document shows.


def _digest(parts: Sequence[object]) -> str:
    text = "\x1f".join(str(p) for p in parts)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def thread_key(site: Site, thread: Thread, limit: int, links: FeedLinks) -> str:
    """The thread feed's cache key and ETag, known before its entries are read."""
    return _digest(
        (
            FORMAT_VERSION, "thread", site.id, site.slug, site.name, thread.id, thread.version,
            thread.key, thread.title, thread.url, limit, links.base, links.self_path,
        )
    )  # fmt: skip


def site_key(site: Site, entries: Sequence[Comment], limit: int, links: FeedLinks) -> str:
    """The site feed's cache key and ETag: the entries shown and their threads' versions."""
    parts: list[object] = [FORMAT_VERSION, "site", site.id, site.slug, site.name, limit]
    parts += [links.base, links.self_path]
    for comment in entries:
        thread = comment.thread
        parts += [comment.id, thread.id, thread.version, thread.key, thread.title, thread.url]
    return _digest(parts)


# --- The document ----------------------------------------------------------------------------


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _updated(comment: Comment) -> datetime:
    return comment.edited_at or comment.created_at


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: xml_safe(v) for k, v in attributes.items()})
    if text is not None:
        element.text = xml_safe(text)
    return element


def _entry(feed: ET.Element, site: Site, comment: Comment, links: FeedLinks) -> None:
    thread = comment.thread
    name = _line(comment.author_name) or ANONYMOUS
    entry = _add(feed, "entry")
    day = comment.created_at.astimezone(UTC).date().isoformat()
    _add(entry, "id", f"tag:{links.tag_authority},{day}:comment-{comment.id}")
    _add(entry, "title", f"{name} on {_line(thread.title) or thread.key}")
    # The name only: never the e-mail address, the website or any hash.
    _add(_add(entry, "author"), "name", name)
    _add(entry, "published", _rfc3339(comment.created_at))
    _add(entry, "updated", _rfc3339(_updated(comment)))
    href = f"{links.thread_url(site, thread)}#comment-{comment.id}"
    _add(entry, "link", rel="alternate", type="text/html", href=href)
    _add(entry, "content", comment.html, type="html")


def render(
    site: Site, thread: Thread | None, entries: Sequence[Comment], links: FeedLinks
) -> bytes:
    """The Atom document (UTF-8) of ``entries``: a thread's feed, or the site's when None."""
    # Unprefixed names in Atom's namespace, declared once on the root. (ElementTree's
    # default_namespace option refuses the unqualified attributes Atom uses.)
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    authority = links.tag_authority
    if thread is None:
        day = site.created_at.astimezone(UTC).date().isoformat()
        _add(feed, "id", f"tag:{authority},{day}:site-{site.slug}")
        _add(feed, "title", f"Latest comments on {_line(site.name)}")
        created = site.created_at
    else:
        day = thread.created_at.astimezone(UTC).date().isoformat()
        _add(feed, "id", f"tag:{authority},{day}:thread-{thread.id}")
        title = _line(thread.title) or thread.key
        _add(feed, "title", f"Comments on {title} · {_line(site.name)}")
        created = thread.created_at
    newest = max((_updated(c) for c in entries), default=created)
    _add(feed, "updated", _rfc3339(newest))
    _add(feed, "link", rel="self", type="application/atom+xml", href=links.self_url)
    if thread is not None:
        _add(feed, "link", rel="alternate", type="text/html", href=links.thread_url(site, thread))
    for comment in entries:
        _entry(feed, site, comment, links)
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document
