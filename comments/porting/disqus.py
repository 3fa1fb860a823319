"""Read a Disqus XML export (``<disqus xmlns="http://disqus.com">``) as import records.

The export lists ``<category>``, then ``<thread dsq:id>`` and ``<post dsq:id>`` elements,
each a direct child of the root; the file is streamed one element at a time.

Threads
    The key is the path of ``<link>`` (``https://example.com/a/b?x#y`` -> ``/a/b``): the
    widget keys a thread by ``location.pathname`` unless the page sets ``data-uri``, and
    Isso's importer does the same. The full link is kept as the thread's URL. Two threads
    with one link (Disqus makes one per identifier) share that key, and so our thread.
    ``<isClosed>true`` locks the thread; ``<createdAt>`` (if readable) dates it. A thread
    without a dsq:id or a usable link, or whose dsq:id was seen before, is a bad record;
    its posts then have no thread and are reported by the importer. A thread with
    ``<isDeleted>true`` is read, and its posts are carried over as deleted, as Disqus no
    longer shows them (this needs the thread before its posts, the order Disqus exports in).

Posts
    ``source_key`` is ``"disqus:<dsq:id>"`` (a post with no dsq:id but an ``<id>`` gets
    ``"disqus:id:<id>"``; with neither it is a bad record). ``<parent dsq:id>`` names the
    parent; replies may come before their parents. A ``<thread>`` reference without a
    dsq:id but with a thread's ``<id>`` as text (Disqus's own format example does this) is
    matched to that thread. ``<message>`` is HTML, usually CDATA, which the importer
    sanitises. The author's name and e-mail (often missing in newer exports, which is
    fine) are carried over; ``<ipAddress>`` and ``<username>`` are not.

Status: ``isSpam`` true -> spam; else ``isDeleted`` true (or a deleted thread) -> deleted;
else ``isApproved`` false (not in exports seen so far, but in Disqus's API) -> pending; else
approved. A flag that is neither true nor false (``"123"``) holds the post as pending for a
moderator rather than guessing. A missing or unreadable ``<createdAt>`` is a bad record;
a time without a zone (as in Disqus's own format example) is taken as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import BinaryIO
from xml.etree.ElementTree import Element

from comments.models import CommentStatus
from comments.porting import xmlstream
from comments.porting.records import BadRecord, CommentRecord, RecordStream, ThreadRecord

NS = "http://disqus.com"
DSQ_ID = "{http://disqus.com/disqus-internals}id"
SOURCE = "disqus"


class _Bad(Exception):
    """A post or thread that cannot be used; the message says why."""


def read(source: BinaryIO, name: str) -> RecordStream:
    """Yield a record for every thread and post in the export ``source`` (read as it goes).

    Raises :class:`~comments.porting.xmlstream.SourceError` where the file stops being a
    readable Disqus export: not XML, another root element, broken XML, or XML entities.
    """
    reader = _Reader(name)
    for event in xmlstream.read_events(source, name, lambda path: len(path) == 2):
        if isinstance(event, xmlstream.Start) and event.depth == 0:
            if xmlstream.local_name(event.tag) != "disqus":
                raise xmlstream.SourceError(
                    f"{name}:{event.line}",
                    f"not a Disqus export: the root element is <{xmlstream.local_name(event.tag)}>"
                    ", not <disqus>",
                )
            reader.ns = "{" + xmlstream.namespace(event.tag) + "}" if event.tag[0] == "{" else ""
        elif isinstance(event, xmlstream.Captured):
            record = reader.record(event.element, event.line)
            if record is not None:
                yield record
            event.element.clear()


class _Reader:
    def __init__(self, name: str) -> None:
        self.name = name
        self.ns = "{" + NS + "}"
        # Memory grows with the number of threads, never with posts: threads are few.
        self.thread_lines: dict[str, int] = {}
        self.thread_by_identifier: dict[str, str] = {}
        self.deleted_threads: set[str] = set()

    def record(
        self, element: Element, line: int
    ) -> ThreadRecord | CommentRecord | BadRecord | None:
        location = f"{self.name}:{line}"
        kind = xmlstream.local_name(element.tag)
        try:
            if kind == "thread":
                return self.thread(element, location, line)
            if kind == "post":
                return self.post(element, location)
        except _Bad as exc:
            return BadRecord(location, str(exc))
        return None  # <category> and anything else Disqus may add

    def text(self, element: Element, tag: str) -> str:
        return xmlstream.child_text(element, self.ns + tag) or ""

    def thread(self, element: Element, location: str, line: int) -> ThreadRecord:
        dsq_id = element.get(DSQ_ID, "").strip()
        if not dsq_id:
            raise _Bad("thread without a dsq:id attribute")
        if dsq_id in self.thread_lines:
            raise _Bad(
                f"duplicate thread dsq:id {dsq_id!r} (first at line {self.thread_lines[dsq_id]})"
            )
        self.thread_lines[dsq_id] = line
        identifier = self.text(element, "id")
        if identifier:
            self.thread_by_identifier.setdefault(identifier, dsq_id)
        link = self.text(element, "link")
        key = xmlstream.page_key(link)
        if not key:
            raise _Bad(f"thread {dsq_id} has no usable <link> to tell which page it belongs to")
        if _flag(self.text(element, "isDeleted"), default=False):
            self.deleted_threads.add(dsq_id)
        return ThreadRecord(
            source_id=dsq_id,
            key=key,
            location=location,
            title=self.text(element, "title"),
            url=link,
            locked=_flag(self.text(element, "isClosed"), default=False) is True,
            created_at=parse_time(self.text(element, "createdAt")),
        )

    def post(self, element: Element, location: str) -> CommentRecord:
        dsq_id = element.get(DSQ_ID, "").strip()
        if dsq_id:
            source_key = f"{SOURCE}:{dsq_id}"
        elif legacy := self.text(element, "id"):
            source_key = f"{SOURCE}:id:{legacy}"
        else:
            raise _Bad("post without a dsq:id attribute or an <id>")
        thread_id = self.thread_of(element)
        parent = element.find(self.ns + "parent")
        parent_id = parent.get(DSQ_ID, "").strip() if parent is not None else ""
        created_text = self.text(element, "createdAt")
        if not created_text:
            raise _Bad(f"post {source_key} has no <createdAt>")
        created_at = parse_time(created_text)
        if created_at is None:
            raise _Bad(f"post {source_key} has an unreadable <createdAt> {created_text!r}")
        return CommentRecord(
            source_key=source_key,
            thread_source_id=thread_id,
            location=location,
            body=self.text(element, "message"),
            body_format="html",
            created_at=created_at,
            status=self.status(element, thread_id),
            parent_source_key=f"{SOURCE}:{parent_id}" if parent_id else None,
            author_name=self.text(element, f"author/{self.ns}name"),
            author_email=self.text(element, f"author/{self.ns}email"),
        )

    def thread_of(self, element: Element) -> str:
        thread = element.find(self.ns + "thread")
        if thread is None:
            raise _Bad("post without a <thread>")
        thread_id = thread.get(DSQ_ID, "").strip()
        if thread_id:
            return thread_id
        # Disqus's own format example refers to the thread by its <id> (identifier) instead.
        identifier = (thread.text or "").strip()
        if identifier and identifier in self.thread_by_identifier:
            return self.thread_by_identifier[identifier]
        raise _Bad(
            f"post refers to thread {identifier!r}, which no thread before it has as <id>"
            if identifier
            else "post whose <thread> has no dsq:id"
        )

    def status(self, element: Element, thread_id: str) -> CommentStatus:
        spam = _flag(self.text(element, "isSpam"), default=False)
        deleted = _flag(self.text(element, "isDeleted"), default=False)
        approved = _flag(self.text(element, "isApproved"), default=True)
        if spam is True:
            return CommentStatus.SPAM
        if deleted is True or thread_id in self.deleted_threads:
            return CommentStatus.DELETED
        if spam is None or deleted is None or approved is not True:
            return CommentStatus.PENDING
        return CommentStatus.APPROVED


def _flag(text: str, *, default: bool) -> bool | None:
    """``"true"``/``"false"`` (any case, or 1/0) as a bool; ``default`` if empty; else None."""
    value = text.strip().lower()
    if not value:
        return default
    if value in {"true", "1"}:
        return True
    if value in {"false", "0"}:
        return False
    return None


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 time (``2013-10-10T19:20:29Z``) as aware UTC; zone-less means UTC."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
