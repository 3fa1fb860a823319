"""Streaming, defused XML for the import readers, and the error they raise when stuck.

Exports run to hundreds of megabytes, so nothing here holds the document. The file is fed to
expat in chunks through defusedxml's parser, which refuses entity declarations (the
"billion laughs" bomb) and external entities (XXE) before anything is expanded or fetched.
Elements the caller *captures* (a Disqus ``<post>``, a WordPress item's ``<wp:comment>``)
are built whole and handed over with the line their start tag is on; every other element
is only announced by :class:`Start` and :class:`End` events and never kept, so memory stays
flat however long the file is.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from typing import BinaryIO
from urllib.parse import quote, urlsplit
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

CHUNK_SIZE = 64 * 1024
MAX_KEY_LENGTH = 1024  # as comments.services.inputs.MAX_URI_LENGTH
# What a browser percent-encodes in location.pathname besides non-ASCII (the URL standard's
# path percent-encode set, less "?" and "#", which cannot be in a path).
_PATH_ENCODE = frozenset(' "<>`{}')


class SourceError(ValueError):
    """The source cannot be read (any further): not the expected format, broken, or refused.

    Readers raise it, rather than yield a BadRecord, when nothing after this point can be
    read; the importer keeps what came before and reports the import as stopped early.
    ``str()`` is a sentence: ``"export.xml:12: not well-formed XML: ... ."``
    """

    def __init__(self, location: str, problem: str) -> None:
        super().__init__(f"{location}: {problem}.")
        self.location = location
        self.problem = problem


# Given the tags from the root down to an element (itself last): build it whole?
Capture = Callable[[tuple[str, ...]], bool]


@dataclasses.dataclass(frozen=True)
class Start:
    """An element that is not captured has begun; its children follow as events."""

    tag: str
    attrib: dict[str, str]
    depth: int  # 0 for the root
    line: int


@dataclasses.dataclass(frozen=True)
class End:
    """An element that is not captured has ended."""

    tag: str
    depth: int


@dataclasses.dataclass(frozen=True)
class Captured:
    """A captured element, complete with its children and text."""

    element: Element
    depth: int
    line: int


Event = Start | End | Captured


class _Target:
    """The parser's target: builds captured elements, announces the rest, keeps nothing."""

    def __init__(self, capture: Capture) -> None:
        self.capture = capture
        self.path: list[str] = []
        self.events: list[Event] = []
        self.current_line: Callable[[], int] = lambda: 0
        self._builder: TreeBuilder | None = None
        self._captured_depth = 0
        self._captured_line = 0

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.path.append(tag)
        if self._builder is not None:
            self._builder.start(tag, attrib)
        elif self.capture(tuple(self.path)):
            self._builder = TreeBuilder()
            self._builder.start(tag, attrib)
            self._captured_depth = len(self.path) - 1
            self._captured_line = self.current_line()
        else:
            self.events.append(Start(tag, attrib, len(self.path) - 1, self.current_line()))

    def data(self, text: str) -> None:
        # Text outside captured elements (indentation, mostly) is dropped.
        if self._builder is not None:
            self._builder.data(text)

    def end(self, tag: str) -> None:
        depth = len(self.path) - 1
        self.path.pop()
        if self._builder is None:
            self.events.append(End(tag, depth))
            return
        element = self._builder.end(tag)
        if depth == self._captured_depth:
            self._builder = None
            self.events.append(Captured(element, depth, self._captured_line))

    def close(self) -> None:
        return None

    def drain(self) -> list[Event]:
        events, self.events = self.events, []
        return events


def read_events(source: BinaryIO, name: str, capture: Capture) -> Iterator[Event]:
    """Parse ``source`` (called ``name`` in messages) incrementally, yielding events as
    each chunk is parsed.

    Raises :class:`SourceError` if the XML is not well-formed or declares entities (a DTD
    without entity declarations is allowed); everything complete before that point has
    already been yielded.
    """
    target = _Target(capture)
    parser = DefusedXMLParser(
        target=target, forbid_dtd=False, forbid_entities=True, forbid_external=True
    )
    expat = parser.parser
    target.current_line = lambda: int(expat.CurrentLineNumber)
    try:
        while chunk := source.read(CHUNK_SIZE):
            parser.feed(chunk)
            yield from target.drain()
        parser.close()
    except ParseError as exc:
        yield from target.drain()
        line, column = exc.position
        problem = f"not well-formed XML: {_reason(exc)} (column {column})"
        raise SourceError(f"{name}:{line}", problem) from None
    except DefusedXmlException as exc:
        yield from target.drain()
        raise SourceError(f"{name}:{expat.CurrentLineNumber}", _refusal(exc)) from None
    yield from target.drain()


def _reason(exc: ParseError) -> str:
    """expat's message without the position (the location says it) or the repeated phrase."""
    reason = re.sub(r": line \d+, column \d+$", "", str(exc))
    return re.sub(r"^not well-formed \((.*)\)$", r"\1", reason)


def _refusal(exc: DefusedXmlException) -> str:
    return (
        "refused: the file declares or refers to XML entities, which exports never need "
        f"(an entity-expansion bomb or an external entity): {exc}"
    )


def child_text(element: Element, tag: str) -> str | None:
    """The text of the first child ``tag`` (CDATA included), stripped; None if no such child."""
    child = element.find(tag)
    if child is None:
        return None
    return "".join(child.itertext()).strip()


def local_name(tag: str) -> str:
    """``"{http://disqus.com}post"`` -> ``"post"``."""
    return tag.rpartition("}")[2]


def namespace(tag: str) -> str:
    """``"{http://disqus.com}post"`` -> ``"http://disqus.com"``; ``""`` for no namespace."""
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


def page_key(link: str, *, keep_query: bool = False) -> str:
    """The thread key for a page's URL: its path as ``location.pathname`` reports it.

    That is what the widget keys a thread by unless the page sets ``data-uri``:
    ``https://example.com/café/?x=1#c`` -> ``/caf%C3%A9/``. With ``keep_query`` the query
    stays (``/?p=4``), for sites whose pages differ only by it. "" if there is no usable path.
    """
    link = link.strip()
    if not link or any(ord(ch) < 32 or ord(ch) == 127 for ch in link):
        return ""
    try:
        parts = urlsplit(link)
    except ValueError:
        return ""
    key = parts.path or "/"
    if keep_query and parts.query:
        key += "?" + parts.query
    if not key.startswith("/"):
        return ""
    key = "".join(quote(ch, safe="") if ord(ch) > 127 or ch in _PATH_ENCODE else ch for ch in key)
    return key if len(key) <= MAX_KEY_LENGTH else ""
