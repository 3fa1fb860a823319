"""Read a WordPress export (WXR 1.0, 1.1 or 1.2: ``<rss><channel><item>``) as import records.

The file is streamed: each ``<item>``'s fields and each of its ``<wp:comment>`` elements are
read and dropped in turn, so one post with thousands of comments costs no more memory than
one comment. The ``wp:`` namespace is ``http://wordpress.org/export/1.N/`` for any N.

Threads
    Every item (post, page, attachment...) with at least one comment that is carried over
    becomes a thread, made when its first comment is; items without comments make none,
    as our threads are created with their first comment. The key is the path of the item's
    ``<link>`` as ``location.pathname`` reports it (``/2014/hello/``), plus the query when
    there is one: sites with plain permalinks (``/?p=4``) have no other way to tell posts
    apart (such a site sets the widget's ``data-uri`` to the same). The full link is kept
    as the URL, the title too; ``wp:comment_status`` ``closed`` locks the thread, and
    ``wp:post_date_gmt`` (or ``wp:post_date``, as for comments below) dates it. An item
    without a usable link is a bad record, and so is each of its comments.

Comments
    ``source_key`` is ``"wordpress:<wp:comment_id>"``; ``wp:comment_parent`` ``0`` (or
    empty) means top level. Author name, e-mail and URL are carried over (an empty e-mail
    is fine); the IP address and user id are not; ``wp:commentmeta`` is ignored. The time is
    ``comment_date_gmt``; when WordPress left it ``0000-00-00 00:00:00`` (drafts, some
    imports) ``comment_date`` is used and taken as UTC, as the export does not say the
    blog's zone. No usable time is a bad record.

    ``comment_content`` is the HTML WordPress stores, which it shows through ``wpautop``:
    blank lines make paragraphs and single newlines line breaks. Unless the comment already
    has block markup (``<p>``, ``<blockquote>``...), the same is applied here, so
    paragraphs survive; the importer then sanitises it like any HTML.

    Pingbacks and trackbacks (``wp:comment_type``) are not readers' comments: each is
    reported as a bad record and skipped, as is any other type but "" and ``comment``
    (WooCommerce keeps private order notes as comments).

Status (``wp:comment_approved``): ``1`` approved, ``0`` pending, ``spam`` spam, ``trash``
and ``post-trashed`` deleted. Any other value holds the comment as pending, for a moderator
to decide, rather than publishing or losing it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import BinaryIO
from xml.etree.ElementTree import Element

from comments.models import CommentStatus
from comments.porting import xmlstream
from comments.porting.records import BadRecord, CommentRecord, RecordStream, ThreadRecord

SOURCE = "wordpress"
_WP_NAMESPACE = re.compile(r"http://wordpress\.org/export/1\.\d+/")
_STATUSES = {
    "1": CommentStatus.APPROVED,
    "0": CommentStatus.PENDING,
    "spam": CommentStatus.SPAM,
    "trash": CommentStatus.DELETED,
    "post-trashed": CommentStatus.DELETED,
}
_COMMENT_TYPES = frozenset({"", "comment"})
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_BLOCK_MARKUP = re.compile(r"<(?:p|div|blockquote|ul|ol|pre|table|h[1-6])[\s>/]", re.IGNORECASE)


class _Bad(Exception):
    """A comment that cannot be used; the message says why."""


def read(source: BinaryIO, name: str) -> RecordStream:
    """Yield a record for every commented item and its comments in the WXR file ``source``.

    Raises :class:`~comments.porting.xmlstream.SourceError` where the file stops being a
    readable WordPress export: not XML, not RSS, no ``wp:`` elements at all, broken XML, or
    XML entities.
    """
    item: _Item | None = None
    seen_wp = False  # a plain RSS feed is well-formed too, but has nothing to import
    for event in xmlstream.read_events(source, name, _is_item_field):
        if not seen_wp and isinstance(event, xmlstream.Start | xmlstream.Captured):
            tag = event.tag if isinstance(event, xmlstream.Start) else event.element.tag
            seen_wp = _is_wp(tag)
        if isinstance(event, xmlstream.Start):
            if event.depth == 0 and event.tag != "rss":
                raise xmlstream.SourceError(
                    f"{name}:{event.line}",
                    "not a WordPress export (WXR): the root element is "
                    f"<{xmlstream.local_name(event.tag)}>, not <rss>",
                )
            if event.depth == 2 and event.tag == "item":
                item = _Item(name, event.line)
        elif isinstance(event, xmlstream.End):
            if event.depth == 2 and item is not None:
                yield from item.finish()
                item = None
        elif isinstance(event, xmlstream.Captured) and item is not None:
            yield from item.field(event.element, event.line)
            event.element.clear()
    if not seen_wp:
        raise xmlstream.SourceError(
            f"{name}:1",
            "not a WordPress export (WXR): no element in the WordPress export namespace "
            "(http://wordpress.org/export/1.N/)",
        )


def _is_item_field(path: tuple[str, ...]) -> bool:
    return len(path) == 4 and path[:3] == ("rss", "channel", "item")


def _is_wp(tag: str) -> bool:
    return _WP_NAMESPACE.fullmatch(xmlstream.namespace(tag)) is not None


@dataclasses.dataclass
class _Item:
    """One ``<item>`` being read: its fields so far, and comments waiting for its link."""

    name: str
    line: int
    title: str = ""
    link: str = ""
    post_id: str = ""
    closed: bool = False
    posted_at: datetime | None = None
    posted_at_local: datetime | None = None
    thread: ThreadRecord | None = None
    waiting: list[CommentRecord] = dataclasses.field(default_factory=list)

    def field(
        self, element: Element, line: int
    ) -> Iterator[ThreadRecord | CommentRecord | BadRecord]:
        tag = element.tag
        if tag == "title":
            self.title = (element.text or "").strip()
        elif tag == "link":
            self.link = (element.text or "").strip()
        elif _is_wp(tag):
            field = xmlstream.local_name(tag)
            if field == "post_id":
                self.post_id = (element.text or "").strip()
            elif field == "comment_status":
                self.closed = (element.text or "").strip().lower() == "closed"
            elif field == "post_date_gmt":
                self.posted_at = _time((element.text or "").strip())
            elif field == "post_date":
                self.posted_at_local = _time((element.text or "").strip())
            elif field == "comment":
                location = f"{self.name}:{line}"
                thread_id = self.thread.source_id if self.thread is not None else ""
                try:
                    comment = _comment(element, xmlstream.namespace(tag), location, thread_id)
                except _Bad as exc:
                    yield BadRecord(location, str(exc))
                    return
                yield from self.add(comment)

    def add(self, comment: CommentRecord) -> Iterator[ThreadRecord | CommentRecord]:
        if self.thread is None and self.link:
            self.thread = self.make_thread()
            if self.thread is not None:
                yield self.thread
        if self.thread is None:
            # The link may still come (WordPress writes it first, but nothing requires it).
            self.waiting.append(comment)
            return
        if comment.thread_source_id != self.thread.source_id:
            comment = dataclasses.replace(comment, thread_source_id=self.thread.source_id)
        yield comment

    def make_thread(self) -> ThreadRecord | None:
        key = xmlstream.page_key(self.link, keep_query=True)
        if not key:
            return None
        return ThreadRecord(
            source_id=self.post_id or f"item@{self.line}",
            key=key,
            location=f"{self.name}:{self.line}",
            title=self.title,
            url=self.link,
            locked=self.closed,
            created_at=self.posted_at or self.posted_at_local,
        )

    def finish(self) -> Iterator[ThreadRecord | CommentRecord | BadRecord]:
        """At the end of the item: place comments that waited, or report them."""
        if not self.waiting:
            return
        waiting, self.waiting = self.waiting, []
        if self.thread is None and self.link:
            self.thread = self.make_thread()
            if self.thread is not None:
                yield self.thread
        if self.thread is not None:
            for comment in waiting:
                yield dataclasses.replace(comment, thread_source_id=self.thread.source_id)
            return
        problem = (
            f"item has no usable <link> ({self.link!r})" if self.link else "item has no <link>"
        )
        yield BadRecord(f"{self.name}:{self.line}", f"{problem}, so no page for its comments")
        for comment in waiting:
            yield BadRecord(comment.location, f"comment {comment.source_key}: its {problem}")


def _comment(element: Element, ns: str, location: str, thread_id: str) -> CommentRecord:
    def text(field: str) -> str:
        return xmlstream.child_text(element, "{" + ns + "}" + field) or ""

    comment_id = text("comment_id")
    if not comment_id:
        raise _Bad("comment without a wp:comment_id")
    kind = text("comment_type").lower()
    if kind in {"pingback", "trackback"}:
        raise _Bad(f"comment {comment_id} is a {kind}, not a reader's comment: skipped")
    if kind not in _COMMENT_TYPES:
        raise _Bad(f"comment {comment_id} has type {kind!r}, not a reader's comment: skipped")
    created_at = _time(text("comment_date_gmt")) or _time(text("comment_date"))
    if created_at is None:
        raise _Bad(
            f"comment {comment_id} has no readable time "
            f"(comment_date_gmt {text('comment_date_gmt')!r}, "
            f"comment_date {text('comment_date')!r})"
        )
    parent = text("comment_parent")
    return CommentRecord(
        source_key=f"{SOURCE}:{comment_id}",
        thread_source_id=thread_id,  # "" until the item has a thread: it sets it then
        location=location,
        body=autop(text("comment_content")),
        body_format="html",
        created_at=created_at,
        status=_STATUSES.get(text("comment_approved").lower(), CommentStatus.PENDING),
        parent_source_key=f"{SOURCE}:{parent}" if parent not in {"", "0"} else None,
        author_name=text("comment_author"),
        author_email=text("comment_author_email"),
        author_url=text("comment_author_url"),
    )


def _time(text: str) -> datetime | None:
    if not text or text.startswith("0000-00-00"):
        return None
    try:
        return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def autop(text: str) -> str:
    """WordPress's display rule, in short: blank lines are paragraphs, newlines are breaks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text or _BLOCK_MARKUP.search(text):
        return text
    paragraphs = (part.strip() for part in re.split(r"\n[ \t]*\n", text))
    return "\n".join("<p>" + part.replace("\n", "<br>\n") + "</p>" for part in paragraphs if part)
