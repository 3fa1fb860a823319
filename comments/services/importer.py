"""Importing: write a stream of import records into a site, idempotently and in batches.

Readers (``comments.porting``) turn a source into records; this service decides what each
record becomes. The rules, in short (docs/export-format.md has the long form):

- Threads are found or created by key within the site. Comments are keyed by
  ``(thread, source_key)``, so importing the same records again adds nothing.
- A reply waits for its parent (readers may list replies first); one whose parent never
  comes is imported at top level, with a warning. A parent that is deleted in the source is
  imported as a deleted placeholder and keeps its replies.
- Bodies are re-sanitised through ``comments.sanitize``; an imported comment's stored
  source is Markdown that renders to its HTML, so ``comments rerender`` keeps it.
- Rows are written directly, never through ``post_comment`` or ``set_status``: an import
  sends no notifications, webhooks or alerts. Counters are kept exact batch by batch.
- A bad record is reported with its location and skipped; nothing aborts the rest.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html as html_lib
import multiprocessing
import pickle
import re
import sqlite3
import tempfile
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import BrokenExecutor, Executor, Future, ProcessPoolExecutor
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, insert, select, tuple_, update

from comments import sanitize
from comments.errors import ValidationFailed
from comments.extensions import db
from comments.models import Comment, CommentStatus, Site, Thread, utcnow
from comments.porting.records import (
    NOT_GIVEN,
    BadRecord,
    CommentRecord,
    Record,
    ThreadRecord,
)
from comments.services import inputs, sites, threads, visibility
from comments.services.comments import TreePlace, tree_place

# Comments written (and committed) together; a crash loses at most one batch, which a
# second run of the same import then adds.
BATCH_SIZE = 500
# Recently placed comments kept to find parents without a query; older ones are looked up.
PLACE_CACHE_SIZE = 2_000
# Replies waiting for their parent kept in memory; more wait in a temporary file.
ORPHANS_IN_MEMORY = 5_000
# Longer bodies are reported and skipped (posting allows MAX_BODY_LENGTH, 10,000 by default;
# imports keep longer ones, as the sanitiser's cost stays linear in the length).
MAX_IMPORT_BODY_LENGTH = 100_000
# Problems listed in the summary; past this they are only counted.
MAX_PROBLEMS_KEPT = 10_000
PROGRESS_EVERY = 100
# Records read ahead, to look up which of their comments are already there in one query.
CHUNK_SIZE = 200
# Chunks read ahead while render workers sanitise their bodies.
RENDER_AHEAD = 4

SOURCE_KEY_LENGTH = 200
AUTHOR_KEY_PREFIXES = ("sso:", "import:")
IMPORT_KEY_PREFIX = "import:"
# The source key our export gives a comment that was written here: comments:<site>:<id>.
NATIVE_KEY = re.compile(r"comments:([0-9a-f]{16}):([1-9][0-9]{0,17})")


@dataclasses.dataclass(frozen=True)
class Problem:
    """Something about one record: skipped (left out) or imported with a change."""

    location: str
    message: str
    skipped: bool = True

    def line(self) -> str:
        return f"{self.location}: {self.message}"


@dataclasses.dataclass
class ImportSummary:
    """What an import did (or, in a dry run, would do)."""

    dry_run: bool = False
    records: int = 0
    threads_created: int = 0
    threads_existing: int = 0
    comments_added: int = 0
    comments_existing: int = 0
    skipped: int = 0
    problems: list[Problem] = dataclasses.field(default_factory=list)
    problems_not_kept: int = 0
    # Why reading the source stopped before its end (it could not be read further).
    stopped: str | None = None

    def line(self) -> str:
        return (
            f"Threads: {self.threads_created} created, {self.threads_existing} already there. "
            f"Comments: {self.comments_added} added, {self.comments_existing} already there, "
            f"{self.skipped} skipped."
        )


ProgressCallback = Callable[[ImportSummary], None]


def import_records(
    site_slug: str,
    records: Iterable[Record],
    *,
    dry_run: bool = False,
    on_progress: ProgressCallback | None = None,
    render_workers: int = 0,
) -> ImportSummary:
    """Write ``records`` into the site ``site_slug``; returns what was done.

    ``render_workers`` processes sanitise the bodies of the records read ahead while this
    one writes (sanitising is most of an import's work); 0 does it all here.

    Commits every BATCH_SIZE comments. A dry run checks everything the same way and writes
    nothing (it only reads the database). An exception raised by the record stream ends the
    import cleanly: what was read is written, ``stopped`` says why, and replies still
    waiting for a parent are left out (the unread part may hold it), so running the import
    again on a repaired file completes it. Raises NotFound for an unknown site.
    """
    site = sites.get_site(site_slug)
    job = _Import(site, dry_run)
    pool = None
    if render_workers > 0:
        pool = ProcessPoolExecutor(render_workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        job.run(records, on_progress, pool)
    except BaseException:
        db.session.rollback()
        raise
    finally:
        job.orphans.close()
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    if on_progress is not None:
        on_progress(job.summary)
    return job.summary


def derived_author_key(email: str, name: str, source_key: str) -> str:
    """A stable identity for an imported author: their e-mail, else their name, else only
    this comment. The same person gets the same key in every import and export."""
    if email:
        basis = "email:" + email.strip().lower()
    elif name:
        basis = "name:" + name.strip().lower()
    else:
        basis = "comment:" + source_key
    return IMPORT_KEY_PREFIX + hashlib.sha256(basis.encode("utf-8")).hexdigest()[:32]


def stored_source_key(key: str) -> str:
    """A source key as stored: one too long for the column is replaced by its hash."""
    if len(key) <= SOURCE_KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def site_fingerprint(site: Site) -> str:
    """Names one site of one deployment in the source keys of its own comments."""
    seed = f"{site.id}\n{site.slug}\n{site.created_at.astimezone(UTC).isoformat()}"
    return hashlib.sha256(seed.encode()).hexdigest()[:16]


def native_source_key(site: Site, comment_id: int) -> str:
    """The source key an export gives a comment written on this site (it has none stored)."""
    return f"comments:{site_fingerprint(site)}:{comment_id}"


# --- text --------------------------------------------------------------------------------------

_SURROGATES = re.compile("[\ud800-\udfff]")


def _text(value: str) -> str:
    """Text that can be stored: no NUL, lone surrogates replaced."""
    return _SURROGATES.sub("\ufffd", value.replace("\x00", ""))


def _text_to_html(text: str) -> str:
    """Plain text as HTML: blank lines separate paragraphs, other line breaks are kept."""
    paragraphs = [p.strip("\n") for p in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n"))]
    return "\n".join(
        "<p>" + "<br>\n".join(html_lib.escape(line, quote=False) for line in p.split("\n")) + "</p>"
        for p in paragraphs
        if p.strip()
    )


_NEWLINE_BEFORE_BLANK = re.compile(r"\n(?=[ \t]*\n)")


def markdown_source_for_html(cleaned: str) -> str:
    """Markdown that renders to ``cleaned`` (sanitised HTML): the HTML as one raw block.

    CommonMark passes a block that starts with ``<div>`` through untouched up to the first
    blank line, and the sanitiser then drops the ``<div>``. So there must be no blank line:
    the line break before each one becomes ``&#10;``, which HTML reads as the same line
    break, in text, in ``<pre>`` and in attribute values alike.
    """
    if not cleaned:
        return ""
    return "<div>" + _NEWLINE_BEFORE_BLANK.sub("&#10;", cleaned) + "</div>"


@dataclasses.dataclass(frozen=True, slots=True)
class Rendered:
    """A body as stored: Markdown source and its HTML, or why it was changed or skipped."""

    body: str = ""
    html: str = ""
    warning: str | None = None
    skipped: str | None = None


def render_body(text: str, body_format: str, given_html: str, deleted: bool) -> Rendered:
    """Sanitise an imported body through our pipeline (pure: runs in workers too)."""
    if deleted:
        return Rendered()  # as our own delete leaves it: the text is gone
    text = _text(text).strip("\n\r\t ")
    if len(text) > MAX_IMPORT_BODY_LENGTH:
        return Rendered(
            skipped=f"the text is {len(text):,} characters long, more than an import takes "
            f"({MAX_IMPORT_BODY_LENGTH:,}); skipped"
        )
    if not text:
        return Rendered()
    if body_format == "markdown":
        try:
            return Rendered(text, sanitize.render(text))
        except sanitize.BodyTooComplex as exc:
            given = _text(given_html)
            if given.strip() and len(given) <= 2 * MAX_IMPORT_BODY_LENGTH:
                # The source's own rendering, sanitised again: nothing is lost.
                return Rendered(text, sanitize.clean_html(given))
            return Rendered(
                text,
                sanitize.clean_html(_text_to_html(text)),
                warning=f"the text is too complex to render as Markdown ({exc.reason}); "
                "imported as plain text",
            )
    if body_format == "html":
        cleaned = sanitize.clean_html(text)
        if not sanitize.plain_text(cleaned).strip():
            return Rendered(warning="nothing of the text is left once cleaned")
    elif body_format == "text":
        cleaned = sanitize.clean_html(_text_to_html(text))
    else:
        return Rendered(skipped=f"unknown body format {body_format!r}; skipped")
    source = markdown_source_for_html(cleaned)
    try:
        return Rendered(source, sanitize.render(source))
    except sanitize.BodyTooComplex:
        # Shown as it came; `comments rerender` keeps this HTML and lists the comment.
        return Rendered(source, cleaned)


RenderJob = tuple[str, str, str, bool]


def _render_job(record: CommentRecord, status: CommentStatus | str) -> RenderJob:
    return (record.body, record.body_format, record.html, status == CommentStatus.DELETED)


def _render_all(jobs: list[RenderJob]) -> list[Rendered]:
    """A worker's share: render a chunk's bodies."""
    return [render_body(*job) for job in jobs]


# --- the import --------------------------------------------------------------------------------


@dataclasses.dataclass(eq=False, slots=True)
class _Node:
    """A comment this import placed or found: enough to hang replies under it."""

    thread_id: int
    key: str
    id: int = 0  # 0 until its batch is written (a stand-in in a dry run)
    place: TreePlace | None = None
    parent: _Node | None = None  # until written
    row: dict[str, Any] | None = None  # until written


@dataclasses.dataclass(slots=True)
class _Counters:
    status: CommentStatus
    reply_count: int
    parent_id: int | None


@dataclasses.dataclass
class _ThreadRef:
    id: int
    key: str
    location: str


class _Orphans:
    """Replies waiting for their parent, by (thread id, parent key), in arrival order.

    The first ORPHANS_IN_MEMORY wait in memory; more wait in a temporary SQLite file, so
    a source listing every reply before its parent still imports in bounded memory.
    """

    def __init__(self, in_memory: int = ORPHANS_IN_MEMORY) -> None:
        self._limit = in_memory
        # (thread id, parent key) -> [(arrival, own key, record)]; groups in arrival order.
        self._memory: dict[tuple[int, str], list[tuple[int, str, CommentRecord]]] = {}
        self._own: dict[tuple[int, str], str] = {}  # (thread id, own key) -> parent key
        self._in_memory = 0
        self._disk: sqlite3.Connection | None = None
        self._file: Any = None
        self._on_disk = 0
        self._arrivals = 0

    def __len__(self) -> int:
        return self._in_memory + self._on_disk

    def hold(self, thread_id: int, parent_key: str, own_key: str, record: CommentRecord) -> None:
        self._arrivals += 1
        if self._in_memory < self._limit:
            group = self._memory.setdefault((thread_id, parent_key), [])
            group.append((self._arrivals, own_key, record))
            self._own[(thread_id, own_key)] = parent_key
            self._in_memory += 1
            return
        disk = self._open_disk()
        disk.execute(
            "INSERT INTO orphan VALUES (?, ?, ?, ?, ?)",
            (self._arrivals, thread_id, parent_key, own_key, pickle.dumps(record)),
        )
        self._on_disk += 1

    def release(self, thread_id: int, parent_key: str) -> list[CommentRecord]:
        """The replies waiting for this parent, in arrival order; they wait no more."""
        if not len(self):
            return []
        group = self._memory.pop((thread_id, parent_key), [])
        self._in_memory -= len(group)
        for _, own, _ in group:
            self._own.pop((thread_id, own), None)
        held = [(n, record) for n, _, record in group]
        if self._disk is not None and self._on_disk:
            rows = self._disk.execute(
                "SELECT seq, record FROM orphan WHERE thread_id = ? AND parent = ?",
                (thread_id, parent_key),
            ).fetchall()
            if rows:
                self._disk.execute(
                    "DELETE FROM orphan WHERE thread_id = ? AND parent = ?",
                    (thread_id, parent_key),
                )
                self._on_disk -= len(rows)
                held.extend((n, pickle.loads(blob)) for n, blob in rows)  # noqa: S301 - our own
                held.sort(key=lambda item: item[0])
        return [record for _, record in held]

    def waiting_for(self, thread_id: int, own_key: str) -> str | None:
        """The parent key a held reply with this key waits for, if one is held."""
        found = self._own.get((thread_id, own_key))
        if found is None and self._disk is not None and self._on_disk:
            row = self._disk.execute(
                "SELECT parent FROM orphan WHERE thread_id = ? AND own = ? LIMIT 1",
                (thread_id, own_key),
            ).fetchone()
            found = row[0] if row else None
        return found

    def first(self) -> tuple[int, str] | None:
        """(thread id, parent key) of the earliest held reply."""
        best: tuple[int, int, str] | None = None
        if self._memory:
            (thread_id, parent_key), group = next(iter(self._memory.items()))
            best = (group[0][0], thread_id, parent_key)
        if self._disk is not None and self._on_disk:
            row = self._disk.execute(
                "SELECT seq, thread_id, parent FROM orphan ORDER BY seq LIMIT 1"
            ).fetchone()
            if row and (best is None or row[0] < best[0]):
                best = (row[0], row[1], row[2])
        return None if best is None else (best[1], best[2])

    def drain(self) -> Iterator[CommentRecord]:
        """Every held reply, once; they wait no more."""
        while (item := self.first()) is not None:
            yield from self.release(*item)

    def _open_disk(self) -> sqlite3.Connection:
        if self._disk is None:
            self._file = tempfile.NamedTemporaryFile(prefix="comments-import-", suffix=".db")  # noqa: SIM115
            self._disk = sqlite3.connect(self._file.name, isolation_level=None)
            self._disk.execute("PRAGMA journal_mode=OFF")
            self._disk.execute("PRAGMA synchronous=OFF")
            self._disk.execute(
                "CREATE TABLE orphan (seq INTEGER PRIMARY KEY, thread_id INTEGER, parent TEXT,"
                " own TEXT, record BLOB)"
            )
            self._disk.execute("CREATE INDEX orphan_parent ON orphan (thread_id, parent)")
            self._disk.execute("CREATE INDEX orphan_own ON orphan (thread_id, own)")
        return self._disk

    def close(self) -> None:
        if self._disk is not None:
            self._disk.close()
            self._disk = None
            self._file.close()


def _own_key(record: CommentRecord) -> str:
    return stored_source_key(_text(record.source_key).strip())


class _Skipped(Exception):
    """A comment that cannot be imported; the message says why."""


# How a comment is to be placed: under the parent its record names, or at top level.
_AS_GIVEN = None


@dataclasses.dataclass(frozen=True)
class _TopLevel:
    why: str  # the warning to report


class _Import:
    def __init__(self, site: Site, dry_run: bool) -> None:
        self.site = site
        self.site_id = site.id
        self.fingerprint = site_fingerprint(site)
        self.dry_run = dry_run
        self.summary = ImportSummary(dry_run=dry_run)
        self.now = utcnow()
        self.threads: dict[str, _ThreadRef] = {}
        self.skipped_threads: dict[str, str] = {}  # source id -> location
        self.orphans = _Orphans()
        self.cache: OrderedDict[tuple[int, str], _Node] = OrderedDict()
        self.pending: list[_Node] = []
        self.pending_keys: dict[tuple[int, str], _Node] = {}
        # A dry run writes nothing: what it would have written is remembered instead.
        self.dry_threads: dict[str, int] = {}
        self.dry_comments: dict[tuple[int, str], _Node] = {}
        self.next_stand_in = -1
        # Comments of the current chunk known not to be in the database.
        self.ahead: set[tuple[int, str]] = set()
        # The current chunk's bodies, rendered by a worker: by id() of their record.
        self.rendered: dict[int, Rendered] = {}

    # --- reporting

    def problem(self, location: str, message: str, *, skipped: bool = True) -> None:
        if skipped:
            self.summary.skipped += 1
        if len(self.summary.problems) < MAX_PROBLEMS_KEPT:
            self.summary.problems.append(Problem(location, message, skipped))
        else:
            self.summary.problems_not_kept += 1

    def warn(self, location: str, message: str) -> None:
        self.problem(location, message, skipped=False)

    # --- the loop

    def run(
        self,
        records: Iterable[Record],
        on_progress: ProgressCallback | None,
        pool: Executor | None = None,
    ) -> None:
        stream = iter(records)
        # Chunks read, each with its bodies being rendered by the pool meanwhile.
        window: deque[tuple[list[Record], str | None, Future[list[Rendered]] | None]] = deque()
        at_end = False
        while True:
            while not at_end and len(window) < (RENDER_AHEAD if pool is not None else 1):
                chunk, stopped = self.read_chunk(stream)
                window.append((chunk, stopped, self.render_ahead(pool, chunk)))
                at_end = stopped is not None or len(chunk) < CHUNK_SIZE
            if not window:
                break
            chunk, stopped, rendering = window.popleft()
            if rendering is not None:
                self.collect_rendered(chunk, rendering)
            self.look_up_ahead(chunk)
            for record in chunk:
                self.summary.records += 1
                if isinstance(record, ThreadRecord):
                    self.take_thread(record)
                elif isinstance(record, CommentRecord):
                    self.take_comment(record, _AS_GIVEN)
                elif isinstance(record, BadRecord):
                    self.problem(record.location, record.problem)
                else:
                    self.problem("?", f"not an import record: {type(record).__name__}")
                if on_progress is not None and self.summary.records % PROGRESS_EVERY == 0:
                    on_progress(self.summary)
            self.ahead.clear()
            self.rendered.clear()  # replies still waiting are rendered when placed
            if stopped is not None:
                self.summary.stopped = stopped
                break
        self.finish()

    @staticmethod
    def render_ahead(pool: Executor | None, chunk: list[Record]) -> Future[list[Rendered]] | None:
        jobs = [_render_job(r, r.status) for r in chunk if isinstance(r, CommentRecord)]
        if pool is None or not jobs:
            return None
        try:
            return pool.submit(_render_all, jobs)
        except BrokenExecutor:
            return None  # rendered here instead

    def collect_rendered(self, chunk: list[Record], rendering: Future[list[Rendered]]) -> None:
        try:
            results = rendering.result()
        except BrokenExecutor:
            return  # a worker died: its chunk is rendered here instead
        comments = [r for r in chunk if isinstance(r, CommentRecord)]
        self.rendered = {id(r): done for r, done in zip(comments, results, strict=True)}

    @staticmethod
    def read_chunk(stream: Iterator[Record]) -> tuple[list[Record], str | None]:
        """The next records, and why the source stopped if it could not be read further."""
        chunk: list[Record] = []
        try:
            for record in stream:
                chunk.append(record)
                if len(chunk) >= CHUNK_SIZE:
                    break
        except Exception as exc:  # the reader gave up: keep what was read
            return chunk, str(exc) or type(exc).__name__
        return chunk, None

    def look_up_ahead(self, chunk: list[Record]) -> None:
        """Find the chunk's comments and parents already in the database in one query
        (rather than one per comment); ``find`` then only asks about the rest."""
        wanted: set[tuple[int, str]] = set()
        for record in chunk:
            if not isinstance(record, CommentRecord):
                continue
            thread = self.threads.get(_text(record.thread_source_id).strip())
            if thread is None or thread.id < 0:  # unknown yet, or new in a dry run
                continue
            keys = [_own_key(record)]
            if record.parent_source_key:
                keys.append(stored_source_key(_text(record.parent_source_key).strip()))
            for key in keys:
                if key and (thread.id, key) not in self.cache and NATIVE_KEY.fullmatch(key) is None:
                    wanted.add((thread.id, key))
        pairs = sorted(wanted)
        for start in range(0, len(pairs), _LOOKUP_SIZES[-1]):
            part = pairs[start : start + _LOOKUP_SIZES[-1]]
            # Padded to a few sizes, so the database sees a few statements, not hundreds.
            size = next(n for n in _LOOKUP_SIZES if n >= len(part))
            part += [(0, "")] * (size - len(part))
            rows = db.session.connection().execute(_BY_KEYS, {"pairs": part})
            for thread_id, key, comment_id, depth, anchor_id, path in rows:
                place = TreePlace(depth, anchor_id if anchor_id is not None else comment_id, path)
                self.remember(_Node(thread_id, key, id=comment_id, place=place))
        # What the query did not find is not in the database (until this import adds it).
        self.ahead = {pair for pair in wanted if pair not in self.cache}

    def finish(self) -> None:
        if self.summary.stopped is None:
            self.place_remaining_orphans()
        else:
            for record in self.orphans.drain():
                self.problem(
                    record.location,
                    f"not imported: its parent {record.parent_source_key} was not reached "
                    "before the source stopped",
                )
        self.write_batch()
        if self.dry_run:
            db.session.rollback()
        else:
            db.session.commit()

    def place_remaining_orphans(self) -> None:
        """Replies whose parent never came go to the top level, ancestors first."""
        while (item := self.orphans.first()) is not None:
            thread_id, parent_key = item
            # Climb to the reply whose missing parent is not itself a waiting reply.
            seen = {parent_key}
            cycle = False
            while (above := self.orphans.waiting_for(thread_id, parent_key)) is not None:
                if above in seen:
                    cycle = True
                    break
                seen.add(above)
                parent_key = above
            waiting = self.orphans.release(thread_id, parent_key)
            for reply in waiting:
                if cycle:
                    why = "its parent is one of its own replies; imported at top level"
                else:
                    why = (
                        f"parent {reply.parent_source_key} is not in the file; "
                        "imported at top level"
                    )
                self.take_comment(reply, _TopLevel(why))

    # --- threads

    def take_thread(self, record: ThreadRecord) -> None:
        source_id = _text(record.source_id).strip()
        if not source_id:
            self.problem(record.location, "the thread has no id; skipped with its comments")
            return
        try:
            key = inputs.normalise_uri(_text(record.key), "key")
        except ValidationFailed as exc:
            self.skipped_threads[source_id] = record.location
            self.problem(record.location, f"the thread's key is not usable: {exc.message}")
            return
        known = self.threads.get(source_id)
        if known is not None:
            if known.key != key:
                self.problem(
                    record.location,
                    f"thread id {source_id} was already used for {known.key} "
                    f"({known.location}); this thread is ignored",
                )
            return  # the same thread again: merged into the first
        title = " ".join(_text(record.title).split())
        if len(title) > inputs.MAX_TITLE_LENGTH:
            title = title[: inputs.MAX_TITLE_LENGTH].rstrip()
            self.warn(record.location, f"title shortened to {inputs.MAX_TITLE_LENGTH} characters")
        url = self.clean_url(record.url, "url", record.location, bare_host=False)
        if self.dry_run:
            thread_id = self.find_thread_dry(key)
            if thread_id is None:
                thread_id = self.dry_threads[key] = self.stand_in()
                self.summary.threads_created += 1
            else:
                self.summary.threads_existing += 1
        else:
            thread_id = self.find_or_create_thread(record, key, title, url)
        self.threads[source_id] = _ThreadRef(thread_id, key, record.location)

    def find_thread_dry(self, key: str) -> int | None:
        if key in self.dry_threads:
            return self.dry_threads[key]
        found = threads.find_thread(self.site_id, key)
        return None if found is None else found.id

    def find_or_create_thread(self, record: ThreadRecord, key: str, title: str, url: str) -> int:
        thread = threads.find_thread(self.site_id, key)
        if thread is None:
            thread = threads.get_or_create_thread(self.site, key, title, url)
            self.summary.threads_created += 1
            thread.locked = record.locked
            if record.created_at is not None:
                thread.created_at = _aware(record.created_at)
        else:
            self.summary.threads_existing += 1
            changed = False
            if not thread.title and title:
                thread.title, changed = title, True
            if not thread.url and url:
                thread.url, changed = url, True
            if record.locked and not thread.locked:
                thread.locked, changed = True, True
            if changed:
                visibility.bump_thread(thread.id)
        db.session.flush()
        return thread.id

    def stand_in(self) -> int:
        self.next_stand_in -= 1
        return self.next_stand_in

    # --- comments

    def take_comment(self, first: CommentRecord, how: _TopLevel | None) -> None:
        """Place a comment, then every reply that was waiting for it, and theirs."""
        work: deque[tuple[CommentRecord, _TopLevel | _Node | None]] = deque([(first, how)])
        while work:
            record, placement = work.popleft()
            thread = self.threads.get(_text(record.thread_source_id).strip())
            if thread is None:
                self.problem(record.location, self.unknown_thread(record.thread_source_id))
                continue
            key = _own_key(record)
            if not key:
                self.problem(record.location, "the comment has no id (source key); skipped")
                continue
            try:
                node = self.place(record, thread, key, placement)
            except _Skipped as exc:
                self.problem(record.location, str(exc))
                why = f"parent {record.source_key} was skipped; imported at top level"
                work.extend(
                    (reply, _TopLevel(why)) for reply in self.orphans.release(thread.id, key)
                )
                continue
            if node is not None:
                work.extend((reply, node) for reply in self.orphans.release(thread.id, key))

    def unknown_thread(self, source_id: str) -> str:
        if source_id in self.skipped_threads:
            return (
                f"its thread {source_id} was skipped ({self.skipped_threads[source_id]}); skipped"
            )
        return f"thread {source_id!r} is not in the file; skipped"

    def place(
        self,
        record: CommentRecord,
        thread: _ThreadRef,
        key: str,
        placement: _TopLevel | _Node | None,
    ) -> _Node | None:
        """The comment's node (new or already there), or None while it waits for its parent.

        Raises _Skipped.
        """
        existing = self.find(thread.id, key)
        if existing is not None:
            self.summary.comments_existing += 1
            return existing
        parent: _Node | None = None
        if isinstance(placement, _Node):
            parent = placement
        elif isinstance(placement, _TopLevel):
            self.warn(record.location, placement.why)
        elif record.parent_source_key:
            parent_key = stored_source_key(_text(record.parent_source_key).strip())
            if parent_key == key:
                self.warn(record.location, "the comment names itself as its parent; top level")
            elif parent_key:
                parent = self.find(thread.id, parent_key)
                if parent is None:
                    self.orphans.hold(thread.id, parent_key, key, record)
                    return None
        row = self.row(record, thread.id, key)
        node = _Node(thread_id=thread.id, key=key, parent=parent, row=row)
        self.summary.comments_added += 1
        if self.dry_run:
            node.id = self.stand_in()
            node.row = node.parent = None
            self.dry_comments[(thread.id, key)] = node
            return node
        self.pending.append(node)
        self.pending_keys[(thread.id, key)] = node
        if len(self.pending) >= BATCH_SIZE:
            self.write_batch()
            db.session.commit()
        return node

    def find(self, thread_id: int, key: str) -> _Node | None:
        """A comment already in the thread with this source key (or our own id)."""
        found = self.pending_keys.get((thread_id, key))
        if found is not None:
            return found
        found = self.cache.get((thread_id, key))
        if found is not None:
            self.cache.move_to_end((thread_id, key))
            return found
        if self.dry_run:
            found = self.dry_comments.get((thread_id, key))
            if found is not None or thread_id < 0:
                return found
        if (thread_id, key) in self.ahead:
            return None
        native_id = _native_id(key, self.fingerprint)
        connection = db.session.connection()
        row = connection.execute(_BY_KEY, {"thread_id": thread_id, "key": key}).first()
        if row is None and native_id is not None:
            row = connection.execute(_BY_ID, {"thread_id": thread_id, "id": native_id}).first()
        if row is None:
            return None
        comment_id, depth, anchor_id, path = row
        place = TreePlace(depth, anchor_id if anchor_id is not None else comment_id, path)
        node = _Node(thread_id, key, id=comment_id, place=place)
        self.remember(node)
        return node

    def remember(self, node: _Node) -> None:
        self.cache[(node.thread_id, node.key)] = node
        if len(self.cache) > PLACE_CACHE_SIZE:
            self.cache.popitem(last=False)

    # --- rows

    def row(self, record: CommentRecord, thread_id: int, key: str) -> dict[str, Any]:
        """The comment's column values, checked and sanitised. Raises _Skipped."""
        location = record.location
        try:
            status = CommentStatus(record.status)
        except ValueError as exc:
            raise _Skipped(f"unknown status {record.status!r}; skipped") from exc
        created_at = _aware(record.created_at)
        name = self.clean_name(record.author_name, location)
        email = self.clean_email(record.author_email, location)
        website = self.clean_url(record.author_url, "author_url", location, bare_host=True)
        avatar = self.clean_url(record.author_avatar, "avatar", location, bare_host=False)
        body, html = self.render(record, status)
        author_key = _text(record.author_key).strip()
        if not (
            author_key.startswith(AUTHOR_KEY_PREFIXES) and len(author_key) <= 128 and author_key
        ):
            author_key = derived_author_key(email, name, key)
        if record.decided_at is NOT_GIVEN:
            decided_at = None if status is CommentStatus.PENDING else created_at
        else:
            decided_at = None if record.decided_at is None else _aware(record.decided_at)
        likes, dislikes = max(0, int(record.likes)), max(0, int(record.dislikes))
        return {
            "thread_id": thread_id,
            "parent_id": None,
            "anchor_id": None,
            "path": "",
            "depth": 0,
            "author_name": name,
            "author_email": email,
            "author_url": website,
            "author_avatar": avatar,
            "author_key": author_key,
            "body": body,
            "html": html,
            "status": status,
            "created_at": created_at,
            "edited_at": None if record.edited_at is None else _aware(record.edited_at),
            "likes": likes,
            "dislikes": dislikes,
            "score": likes - dislikes,
            "reply_count": 0,
            "ip_hash": "",
            "edit_token_hash": "",
            "moderation_reasons": [
                {"code": _text(code), "text": _text(text)}
                for code, text in record.moderation_reasons
            ],
            "flagged": bool(record.flagged),
            "report_count": 0,
            "decided_at": decided_at,
            "source_key": key,
            # Nothing is ever sent about an imported comment, even once approved later.
            "notified_at": self.now,
        }

    def render(self, record: CommentRecord, status: CommentStatus) -> tuple[str, str]:
        """(stored Markdown source, sanitised HTML), rendered ahead by a worker if there
        are any. Raises _Skipped."""
        done = self.rendered.pop(id(record), None)
        if done is None:
            done = render_body(*_render_job(record, status))
        if done.skipped is not None:
            raise _Skipped(done.skipped)
        if done.warning is not None:
            self.warn(record.location, done.warning)
        return done.body, done.html

    def clean_name(self, value: str, location: str) -> str:
        try:
            return inputs.normalise_name(_text(value))
        except ValidationFailed:
            self.warn(location, f"author name shortened to {inputs.MAX_NAME_LENGTH} characters")
        text = _text(value)
        # The longest beginning that fits once normalised (NFKC can lengthen, the dropped
        # control characters shorten).
        for end in range(min(len(text), 4 * inputs.MAX_NAME_LENGTH), 0, -1):
            try:
                return inputs.normalise_name(text[:end])
            except ValidationFailed:
                continue
        return ""

    def clean_email(self, value: str, location: str) -> str:
        try:
            return inputs.normalise_email(_text(value))
        except ValidationFailed:
            self.warn(location, f"e-mail address {_shown(value)} is not valid; dropped")
            return ""

    def clean_url(self, value: str, field: str, location: str, *, bare_host: bool) -> str:
        try:
            return inputs.normalise_url(_text(value), field, allow_bare_host=bare_host)
        except ValidationFailed:
            self.warn(location, f"{field} {_shown(value)} is not an http(s) address; dropped")
            return ""

    # --- writing

    def write_batch(self) -> None:
        """Insert the pending comments, place them in their trees, keep counters exact."""
        if not self.pending:
            return
        batch, self.pending, self.pending_keys = self.pending, [], {}
        rows: list[dict[str, Any]] = []
        for node in batch:
            assert node.row is not None
            rows.append(node.row)
        connection = db.session.connection()
        ids = connection.execute(_INSERT, rows).scalars().all()
        placed: list[dict[str, Any]] = []
        shown_under: list[int] = []
        counters: dict[int, _Counters] = {}
        approved: dict[int, int] = {}
        earliest: dict[int, datetime] = {}
        for node, comment_id, row in zip(batch, ids, rows, strict=True):
            node.id = comment_id
            parent = node.parent
            node.place = tree_place(comment_id, parent.place if parent is not None else None)
            placed.append(
                {
                    "comment_id": comment_id,
                    "new_parent_id": parent.id if parent is not None else None,
                    "new_depth": node.place.depth,
                    "new_anchor_id": node.place.anchor_id,
                    "new_path": node.place.path,
                }
            )
            if row["status"] is CommentStatus.APPROVED:
                approved[node.thread_id] = approved.get(node.thread_id, 0) + 1
                if parent is not None:
                    shown_under.append(parent.id)
            counters[comment_id] = _Counters(
                row["status"], 0, parent.id if parent is not None else None
            )
            created = row["created_at"]
            if node.thread_id not in earliest or created < earliest[node.thread_id]:
                earliest[node.thread_id] = created
        connection.execute(_PLACE, placed)
        self.count_replies(shown_under, counters)
        # What visibility.bump_thread does, for every thread of the batch in one statement.
        connection.execute(
            _BUMP_THREAD,
            [
                {"tid": thread_id, "approved": approved.get(thread_id, 0), "first": first}
                for thread_id, first in earliest.items()
            ],
        )
        for node in batch:
            node.row = node.parent = None
            self.remember(node)

    def count_replies(self, shown_under: list[int], counters: dict[int, _Counters]) -> None:
        """Count each new approved reply up its tree, as ``visibility`` does for one comment:
        a parent's reply_count goes up, and if that makes a removed parent shown (a
        placeholder), its own parent counts it in turn. Done for the whole batch in memory,
        then written with one statement; ``counters`` holds the batch's new comments and
        gets the parents outside it, read (and locked, on PostgreSQL) first."""
        self.load_counters(set(shown_under) - counters.keys(), counters)
        deltas: dict[int, int] = {}
        for first_parent in shown_under:
            parent_id: int | None = first_parent
            delta = 1
            while parent_id is not None:
                if parent_id not in counters:
                    self.load_counters({parent_id}, counters)
                entry = counters[parent_id]
                was = visibility.is_shown(entry.status, entry.reply_count)
                entry.reply_count += delta
                deltas[parent_id] = deltas.get(parent_id, 0) + delta
                now = visibility.is_shown(entry.status, entry.reply_count)
                if was == now:
                    break
                delta = 1 if now else -1
                parent_id = entry.parent_id
        changes = [{"comment_id": c, "delta": d} for c, d in deltas.items() if d]
        if changes:
            db.session.connection().execute(_ADD_REPLIES, changes)

    def load_counters(self, ids: set[int], counters: dict[int, _Counters]) -> None:
        wanted = sorted(ids)
        for start in range(0, len(wanted), 500):
            rows = db.session.connection().execute(
                _COUNTERS.where(_comment.c.id.in_(wanted[start : start + 500])).with_for_update()
            )
            for comment_id, status, reply_count, parent_id in rows:
                counters[comment_id] = _Counters(CommentStatus(status), reply_count, parent_id)


_comment = cast(Table, Comment.__table__)
# Plain Core statements, built once: run for every record, they skip the ORM's overhead.
_PLACE_COLUMNS = (_comment.c.id, _comment.c.depth, _comment.c.anchor_id, _comment.c.path)
_BY_KEY = select(*_PLACE_COLUMNS).where(
    _comment.c.thread_id == bindparam("thread_id"), _comment.c.source_key == bindparam("key")
)
_BY_KEYS = select(_comment.c.thread_id, _comment.c.source_key, *_PLACE_COLUMNS).where(
    tuple_(_comment.c.thread_id, _comment.c.source_key).in_(bindparam("pairs", expanding=True))
)
_LOOKUP_SIZES = (8, 32, 128, 512)
# A comment written here, named by our own export's key for it.
_BY_ID = select(*_PLACE_COLUMNS).where(
    _comment.c.thread_id == bindparam("thread_id"),
    _comment.c.id == bindparam("id"),
    _comment.c.source_key.is_(None),
)
# A batch goes in a few multi-row statements: one of BATCH_SIZE rows would make the driver
# build (and on PostgreSQL convert) a statement of ~13,000 parameters at once.
_INSERT = (
    insert(_comment)
    .returning(_comment.c.id, sort_by_parameter_order=True)
    .execution_options(insertmanyvalues_page_size=100)
)
_PLACE = (
    update(_comment)
    .where(_comment.c.id == bindparam("comment_id"))
    .values(
        parent_id=bindparam("new_parent_id"),
        depth=bindparam("new_depth"),
        anchor_id=bindparam("new_anchor_id"),
        path=bindparam("new_path"),
    )
)
_thread = cast(Table, Thread.__table__)
_BUMP_THREAD = (
    update(_thread)
    .where(_thread.c.id == bindparam("tid"))
    .values(
        version=_thread.c.version + 1,
        comment_count=_thread.c.comment_count + bindparam("approved"),
        # A thread is as old as its oldest comment.
        created_at=case(
            (_thread.c.created_at > bindparam("first"), bindparam("first")),
            else_=_thread.c.created_at,
        ),
    )
)
_COUNTERS = select(_comment.c.id, _comment.c.status, _comment.c.reply_count, _comment.c.parent_id)
_ADD_REPLIES = (
    update(_comment)
    .where(_comment.c.id == bindparam("comment_id"))
    .values(reply_count=_comment.c.reply_count + bindparam("delta"))
)


def _native_id(key: str, fingerprint: str) -> int | None:
    match = NATIVE_KEY.fullmatch(key)
    if match is None or match[1] != fingerprint:
        return None
    return int(match[2])


def _aware(moment: datetime) -> datetime:
    """Readers give timezone-aware times; a naive one is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _shown(value: str, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"
