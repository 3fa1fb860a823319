"""Real `comments run` servers, concurrent HTTP clients and the checks the stress tests share.

Servers are started with the real CLI in their own process group (gunicorn master and
workers), polled for readiness, and stopped with SIGTERM, or killed with SIGKILL to
simulate a crash. Clients are threads with their own keep-alive ``http.client``
connection; every request they make is counted by status, and every comment a server
acknowledged (201) is recorded with the exact text its client sent, so the database can be
checked against it afterwards.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from comments.models import BLOCK_DEPTH, PATH_SEGMENT_WIDTH, Comment, CommentStatus, Site, Thread
from tests.support import PG_URL, app_on, comments_executable

ENGINE = "postgresql" if PG_URL else "sqlite"
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0
POLL_INTERVAL = 0.1
REQUEST_TIMEOUT = 30.0
# Not a status: the request got no HTTP answer at all (refused, reset, timed out).
NO_RESPONSE = 0


def unique(prefix: str) -> str:
    """A slug, uri part or address component no other run will use."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- HTTP -----------------------------------------------------------------------------------


@dataclasses.dataclass
class Reply:
    status: int  # NO_RESPONSE when the server never answered
    headers: dict[str, str]
    body: bytes
    error: str = ""

    def json(self) -> Any:
        return json.loads(self.body)


class Http:
    """One client's keep-alive connection to a server on 127.0.0.1 (reopened when closed)."""

    def __init__(self, port: int, address: str | None = None) -> None:
        self.port = port
        # With COMMENTS_TRUSTED_PROXIES=127.0.0.1, the address the server attributes us to.
        self.address = address
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(
        self,
        method: str,
        path: str,
        payload: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        sent = dict(headers or {})
        body = None
        if payload is not None:
            body = json.dumps(payload).encode()
            sent["Content-Type"] = "application/json"
        if self.address:
            sent["X-Forwarded-For"] = self.address
        if self._conn is None:
            self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            self._conn.request(method, path, body=body, headers=sent)
            response = self._conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return Reply(NO_RESPONSE, {}, b"", f"{type(exc).__name__}: {exc}")
        if response.will_close:
            self.close()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, data)

    def get(self, path: str, **params: Any) -> Reply:
        query = urllib.parse.urlencode(params)
        return self.request("GET", f"{path}?{query}" if query else path)

    def post_comment(self, site: str, uri: str, body: str, parent_id: int | None = None) -> Reply:
        payload: dict[str, Any] = {"site": site, "uri": uri, "body": body}
        if parent_id is not None:
            payload["parent_id"] = parent_id
        return self.request("POST", "/api/v1/comments", payload)


# --- servers --------------------------------------------------------------------------------


def _group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes in a process group, from /proc."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...: comm may contain spaces, so split after ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry))
    return members


def _wait_group_gone(pgid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _group_members(pgid):
            return True
        time.sleep(POLL_INTERVAL)  # polling for exit, bounded by the deadline
    return not _group_members(pgid)


class Server:
    """`comments run --workers N` on one port, in its own process group."""

    def __init__(self, env: dict[str, str], cwd: Path, workers: int, port: int = 0) -> None:
        self.env = {**env, "XDG_RUNTIME_DIR": str(cwd)}
        self.cwd = cwd
        self.workers = workers
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.logs: list[Path] = []
        self.started_in: list[float] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None
        log = self.cwd / f"server-{self.port}-{len(self.logs)}.log"
        self.logs.append(log)
        began = time.monotonic()
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    comments_executable(),
                    "run",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--workers",
                    str(self.workers),
                ],
                env=self.env,
                cwd=self.cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready()
        self.started_in.append(time.monotonic() - began)

    def _wait_ready(self) -> None:
        """Poll until the master and every worker are up and the app answers."""
        assert self.process is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT
        last = ""
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"the server exited with {self.process.returncode}:\n{self.log_text()}"
                )
            probe = Http(self.port)
            reply = probe.request("GET", "/")
            probe.close()
            if reply.status == 200 and len(self.pids()) >= self.workers + 1:
                return
            last = reply.error or f"status {reply.status}, {len(self.pids())} processes"
            time.sleep(POLL_INTERVAL)  # polling for readiness, bounded by the deadline
        raise AssertionError(
            f"nothing ready at {self.base} in {STARTUP_TIMEOUT}s ({last}):\n{self.log_text()}"
        )

    def pids(self) -> list[int]:
        """The master and its workers: every live process in the server's group."""
        return [] if self.process is None else _group_members(self.process.pid)

    def kill_hard(self) -> list[int]:
        """SIGKILL the master and every worker at once, as a crash would; return their pids."""
        assert self.process is not None and self.process.poll() is None
        victims = self.pids()
        assert self.process.pid in victims and len(victims) >= self.workers + 1, victims
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)
        assert self.process.returncode == -signal.SIGKILL
        assert _wait_group_gone(self.process.pid, STOP_TIMEOUT), "workers survived SIGKILL"
        return victims

    def stop(self) -> None:
        """SIGTERM the group; gunicorn must shut down cleanly (status 0, no worker left)."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT)
            raise AssertionError("the server ignored SIGTERM and had to be killed") from None
        gone = _wait_group_gone(self.process.pid, STOP_TIMEOUT)
        if not gone:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        assert gone, "server workers outlived the master"
        assert self.process.returncode == 0, f"exit {self.process.returncode}:\n{self.log_text()}"

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.logs if p.exists())


@contextlib.contextmanager
def running(*servers: Server) -> Iterator[None]:
    """Start the servers; stop them however the body ends (check their logs afterwards)."""
    try:
        for server in servers:
            server.start()
        yield
    finally:
        for server in servers:
            with contextlib.suppress(Exception):
                server.stop()
            if server.process is not None and server.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.process.pid, signal.SIGKILL)


def tracebacks(*servers: Server) -> list[str]:
    """The first lines of every traceback the servers logged (none is expected)."""
    found = []
    for server in servers:
        lines = server.log_text().splitlines()
        for i, line in enumerate(lines):
            if line.startswith("Traceback"):
                tail = [x for x in lines[i + 1 : i + 80] if not x.startswith((" ", "127.0.0.1"))]
                found.append(tail[0] if tail else line)
    return found


def add_site(url: str, instance: Path, slug: str, **limits: int) -> None:
    """Create a site (and set its rate limits) through the services, on the servers' database."""
    from comments.services import limits as limit_service
    from comments.services import sites

    with app_on(url, instance):
        sites.add_site(slug, slug, ())
        if limits:
            limit_service.update_limits(slug, limits)


# --- the load ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Sent:
    client: int
    uri: str
    body: str
    parent_id: int | None


@dataclasses.dataclass(frozen=True)
class Plan:
    site: str
    clients: int = 16
    posts_per_client: int = 64
    shared_threads: int = 3
    # Steps at which every client posts at once on the same brand-new uri.
    race_steps: tuple[int, ...] = (0, 9, 21, 33, 45, 57)
    reply_share: float = 0.5
    read_every: int = 8
    run: str = dataclasses.field(default_factory=lambda: uuid.uuid4().hex[:8])

    def race_uri(self, step: int) -> str:
        return f"/stress/{self.run}/race/{step}"

    def shared_uri(self, k: int) -> str:
        return f"/stress/{self.run}/shared/{k}"

    def own_uri(self, client: int) -> str:
        return f"/stress/{self.run}/client/{client}"

    def chain_uri(self) -> str:
        return f"/stress/{self.run}/chain"

    @property
    def total(self) -> int:
        return self.clients * self.posts_per_client

    def __post_init__(self) -> None:
        assert self.clients <= 250 and max(self.race_steps) < self.posts_per_client


class Ledger:
    """What the clients sent and what the servers answered; shared by every client thread."""

    def __init__(self, acks_wanted: int = 0) -> None:
        self._lock = threading.Lock()
        self.statuses: Counter[tuple[str, int]] = Counter()
        self.acknowledged: dict[int, Sent] = {}
        # Sent, but no HTTP answer (the server died): stored at most once, maybe not at all.
        self.unanswered: list[Sent] = []
        self.refused: list[tuple[Sent, Reply]] = []
        self.problems: list[str] = []
        self.errors: Counter[str] = Counter()
        self.pools: dict[str, list[int]] = {}
        self.chain_tip: int | None = None
        # Set once ``acks_wanted`` comments have been acknowledged (0: never).
        self.acks_event = threading.Event()
        self.acks_wanted = acks_wanted
        self.elapsed = 0.0

    def count(self, kind: str, reply: Reply) -> None:
        with self._lock:
            self.statuses[(kind, reply.status)] += 1
            if reply.status == NO_RESPONSE:
                self.errors[reply.error.split(":")[0]] += 1

    def unanswered_post(self, sent: Sent) -> None:
        with self._lock:
            self.unanswered.append(sent)

    def refused_post(self, sent: Sent, reply: Reply) -> None:
        with self._lock:
            self.refused.append((sent, reply))

    def problem(self, message: str) -> None:
        with self._lock:
            if len(self.problems) < 50:
                self.problems.append(message)

    def acknowledge(self, comment_id: int, sent: Sent, *, chain: bool) -> None:
        with self._lock:
            if comment_id in self.acknowledged:
                self.problems.append(f"id {comment_id} acknowledged twice: {sent}")
            self.acknowledged[comment_id] = sent
            self.pools.setdefault(sent.uri, []).append(comment_id)
            if chain:
                self.chain_tip = comment_id
            if self.acks_wanted and len(self.acknowledged) >= self.acks_wanted:
                self.acks_event.set()

    def parent_for(self, uri: str, rng: random.Random) -> int | None:
        with self._lock:
            pool = self.pools.get(uri)
            return rng.choice(pool) if pool else None

    def tip(self) -> int | None:
        with self._lock:
            return self.chain_tip

    def summary(self) -> dict[str, Any]:
        return {
            "acknowledged": len(self.acknowledged),
            "unanswered": len(self.unanswered),
            "refused": len(self.refused),
            "statuses": {f"{k} {s}": n for (k, s), n in sorted(self.statuses.items())},
            "transport_errors": dict(self.errors),
            "seconds": round(self.elapsed, 1),
            "first_refusals": [
                (r.status, r.body[:160].decode(errors="replace")) for _, r in self.refused[:3]
            ],
        }


def _expected_html(body: str) -> str:
    return f"<p>{body}</p>\n"


class LoadClient:
    """One reader: posts top-level comments and replies, reads now and then."""

    def __init__(
        self,
        index: int,
        plan: Plan,
        ledger: Ledger,
        port: int,
        barrier: threading.Barrier,
        serving: threading.Event,
    ) -> None:
        self.index = index
        self.plan = plan
        self.ledger = ledger
        self.http = Http(port, address=f"10.0.{index}.7")
        self.barrier = barrier
        self.serving = serving
        self.rng = random.Random(f"{plan.run}-{index}")
        self.last_ack: tuple[int, str] | None = None

    def run(self) -> None:
        try:
            for step in range(self.plan.posts_per_client):
                self._step(step)
        except BaseException:
            self.barrier.abort()
            raise
        finally:
            self.http.close()

    def _target(self, step: int) -> tuple[str, int | None, bool]:
        """(uri, parent_id, continues_the_chain) for this step."""
        plan, rng = self.plan, self.rng
        if step in plan.race_steps:
            return plan.race_uri(step), None, False
        roll = rng.random()
        if roll < 0.2:
            return plan.chain_uri(), self.ledger.tip(), True
        if roll < 0.4:
            uri = plan.own_uri(self.index)
        else:
            uri = plan.shared_uri(rng.randrange(plan.shared_threads))
        parent = self.ledger.parent_for(uri, rng) if rng.random() < plan.reply_share else None
        return uri, parent, False

    def _step(self, step: int) -> None:
        uri, parent, chain = self._target(step)
        if step in self.plan.race_steps:
            # Everyone posts the first comment of the same new thread at the same moment.
            self.barrier.wait(timeout=REQUEST_TIMEOUT * 4)
        self.serving.wait(timeout=REQUEST_TIMEOUT * 2)
        sent = Sent(
            self.index, uri, f"client {self.index} comment {step} {uuid.uuid4().hex}", parent
        )
        reply = self.http.post_comment(self.plan.site, uri, sent.body, parent)
        self.ledger.count("POST", reply)
        self._check_post(sent, reply, chain)
        if step % self.plan.read_every == self.index % self.plan.read_every:
            self._read(uri)

    def _check_post(self, sent: Sent, reply: Reply, chain: bool) -> None:
        ledger = self.ledger
        if reply.status == NO_RESPONSE:
            ledger.unanswered_post(sent)
            return
        if reply.status != 201:
            ledger.refused_post(sent, reply)
            return
        try:
            data = reply.json()
            comment = data["comment"]
            ok = (
                isinstance(comment["id"], int)
                and comment["html"] == _expected_html(sent.body)
                and comment["parent_id"] == sent.parent_id
                and comment["status"] == "approved"
                and data["status"] == "approved"
                and isinstance(data["edit_token"], str)
            )
        except (ValueError, KeyError, TypeError) as exc:
            ledger.problem(f"unreadable 201 for {sent}: {exc}: {reply.body[:200]!r}")
            return
        if not ok:
            ledger.problem(f"201 does not carry what was sent: {sent} -> {comment}")
            return
        ledger.acknowledge(comment["id"], sent, chain=chain)
        self.last_ack = (comment["id"], sent.body)

    def _read(self, uri: str) -> None:
        """Read the thread, and our last comment back (from whichever worker answers)."""
        reply = self.http.get("/api/v1/threads", site=self.plan.site, uri=uri)
        self.ledger.count("GET", reply)
        if reply.status == 200:
            try:
                reply.json()["comments"]
            except (ValueError, KeyError) as exc:
                self.ledger.problem(f"unreadable thread read: {exc}")
        if self.last_ack is not None:
            comment_id, body = self.last_ack
            reply = self.http.get(f"/api/v1/comments/{comment_id}")
            self.ledger.count("GET", reply)
            if reply.status == 200 and reply.json()["html"] != _expected_html(body):
                self.ledger.problem(f"comment {comment_id} reads back as {reply.body[:200]!r}")


def run_load(
    plan: Plan,
    port: int,
    *,
    ledger: Ledger | None = None,
    serving: threading.Event | None = None,
    during: Callable[[Ledger], None] | None = None,
) -> Ledger:
    """Run every client to the end; ``during`` runs in this thread while they post."""
    from concurrent.futures import ThreadPoolExecutor

    ledger = ledger or Ledger()
    if serving is None:
        serving = threading.Event()
        serving.set()
    barrier = threading.Barrier(plan.clients)
    clients = [LoadClient(i, plan, ledger, port, barrier, serving) for i in range(plan.clients)]
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=plan.clients, thread_name_prefix="client") as pool:
        futures = [pool.submit(c.run) for c in clients]
        try:
            if during is not None:
                during(ledger)
        finally:
            serving.set()  # never leave a client waiting for a server that is not coming
            for future in futures:
                future.result(timeout=300)
    ledger.elapsed = time.monotonic() - began
    return ledger


# --- checks -----------------------------------------------------------------------------------


def segment(comment_id: int) -> str:
    return str(comment_id).zfill(PATH_SEGMENT_WIDTH)


@dataclasses.dataclass
class Stored:
    """The database's view of one site, for comparing with what the clients saw."""

    threads: dict[int, Thread]
    comments: dict[int, Comment]

    def uri_of(self, comment: Comment) -> str:
        return self.threads[comment.thread_id].key


def load_site(url: str, slug: str) -> Stored:
    """Every thread and comment of the site, read straight from the database."""
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            site = session.execute(select(Site).where(Site.slug == slug)).scalar_one()
            threads = {
                t.id: t
                for t in session.execute(select(Thread).where(Thread.site_id == site.id)).scalars()
            }
            comments = {
                c.id: c
                for c in session.execute(
                    select(Comment).where(Comment.thread_id.in_(list(threads)))
                ).scalars()
            }
            session.expunge_all()
        return Stored(threads, comments)
    finally:
        engine.dispose()


def check_acknowledged(stored: Stored, ledger: Ledger) -> list[str]:
    """Every acknowledged comment exactly once, as sent; nothing stored that nobody sent."""
    problems = []
    by_body: dict[str, list[Comment]] = {}
    for comment in stored.comments.values():
        by_body.setdefault(comment.body, []).append(comment)
    for comment_id, sent in ledger.acknowledged.items():
        rows = by_body.get(sent.body, [])
        stored_comment = stored.comments.get(comment_id)
        if len(rows) != 1 or stored_comment is None or rows[0].id != comment_id:
            problems.append(
                f"acknowledged {comment_id} {sent}: stored as {[r.id for r in rows]}, "
                f"id holds {stored_comment.body if stored_comment else None!r}"
            )
            continue
        if (
            stored.uri_of(stored_comment) != sent.uri
            or stored_comment.parent_id != sent.parent_id
            or stored_comment.html != _expected_html(sent.body)
            or stored_comment.status is not CommentStatus.APPROVED
        ):
            problems.append(f"acknowledged {comment_id} stored differently: {sent}")
    unanswered = {s.body for s in ledger.unanswered}
    for body, rows in by_body.items():
        if body in unanswered:
            if len(rows) > 1:
                problems.append(f"an unanswered post was stored {len(rows)} times: {body}")
        elif not any(ledger.acknowledged.get(r.id, None) for r in rows):
            problems.append(f"stored but never acknowledged: {[r.id for r in rows]} {body!r}")
    refused = {s.body for s, _ in ledger.refused}
    problems.extend(f"a refused post was stored: {b}" for b in refused & set(by_body))
    return problems


def check_tree(stored: Stored) -> list[str]:
    """Counters exact and every path and anchor consistent with the parent chain."""
    problems = []
    approved: Counter[int] = Counter()
    shown_children: Counter[int] = Counter()
    total: Counter[int] = Counter()
    for c in stored.comments.values():
        total[c.thread_id] += 1
        if c.status is CommentStatus.APPROVED:
            approved[c.thread_id] += 1
            if c.parent_id is not None:
                shown_children[c.parent_id] += 1
    for thread in stored.threads.values():
        if thread.comment_count != approved[thread.id]:
            problems.append(
                f"thread {thread.id} {thread.key}: comment_count {thread.comment_count}, "
                f"{approved[thread.id]} approved"
            )
        if thread.version != total[thread.id]:
            problems.append(
                f"thread {thread.id}: version {thread.version}, {total[thread.id]} posts"
            )
    for c in stored.comments.values():
        if c.reply_count != shown_children[c.id]:
            problems.append(f"comment {c.id}: reply_count {c.reply_count}, {shown_children[c.id]}")
        expected: tuple[int, int | None, str]
        if c.parent_id is None:
            expected = (0, c.id, segment(c.id))
        else:
            parent = stored.comments.get(c.parent_id)
            if parent is None or parent.thread_id != c.thread_id:
                problems.append(f"comment {c.id}: parent {c.parent_id} missing or elsewhere")
                continue
            depth = parent.depth + 1
            if depth % BLOCK_DEPTH == 0:
                expected = (depth, c.id, segment(c.id))
            else:
                expected = (depth, parent.anchor_id, parent.path + segment(c.id))
                # A reply's path extends its parent's, inside the same anchor block.
                if not c.path.startswith(parent.path) or c.anchor_id != parent.anchor_id:
                    problems.append(f"comment {c.id}: path {c.path} not under {parent.path}")
        placed = (c.depth, c.anchor_id, c.path)
        if placed != expected:
            problems.append(f"comment {c.id}: (depth, anchor, path) {placed} != {expected}")
    return problems


CONSISTENCY_SQL = {
    "thread count differs from its approved comments": """
        SELECT t.id FROM thread t
        WHERE t.comment_count <> (
            SELECT count(*) FROM comment c WHERE c.thread_id = t.id AND c.status = 'approved')
    """,
    "reply count differs from the shown direct replies": """
        SELECT p.id FROM comment p
        WHERE p.reply_count <> (
            SELECT count(*) FROM comment c WHERE c.parent_id = p.id AND c.status = 'approved')
    """,
    "reply in another thread than its parent, or parent missing": """
        SELECT c.id FROM comment c LEFT JOIN comment p ON p.id = c.parent_id
        WHERE c.parent_id IS NOT NULL AND (p.id IS NULL OR p.thread_id <> c.thread_id)
    """,
    "comment without its thread": """
        SELECT c.id FROM comment c LEFT JOIN thread t ON t.id = c.thread_id WHERE t.id IS NULL
    """,
    "thread of a missing site": """
        SELECT t.id FROM thread t LEFT JOIN site s ON s.id = t.site_id WHERE s.id IS NULL
    """,
    "depth not one more than the parent's": """
        SELECT c.id FROM comment c JOIN comment p ON p.id = c.parent_id
        WHERE c.depth <> p.depth + 1
    """,
    "path not the parent's path extended within one block": """
        SELECT c.id FROM comment c JOIN comment p ON p.id = c.parent_id
        WHERE c.depth % :block <> 0
          AND (c.anchor_id <> p.anchor_id OR substr(c.path, 1, length(p.path)) <> p.path
               OR length(c.path) <> length(p.path) + :width)
    """,
    "block opener not its own anchor": """
        SELECT c.id FROM comment c
        WHERE c.depth % :block = 0 AND (c.anchor_id <> c.id OR length(c.path) <> :width)
    """,
    "duplicate thread for one page": """
        SELECT site_id, key FROM thread GROUP BY site_id, key HAVING count(*) > 1
    """,
}


def check_database(url: str) -> dict[str, Any]:
    """Engine-level integrity plus the application's invariants, as SQL on the whole database.

    SQLite: ``PRAGMA integrity_check`` and ``foreign_key_check``. PostgreSQL: the same
    invariant queries, plus ``amcheck`` over every B-tree index of the app's tables when the
    server ships it.
    """
    engine = create_engine(url)
    found: dict[str, Any] = {}
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                found["integrity_check"] = [
                    r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check")
                ]
                found["foreign_key_check"] = list(conn.exec_driver_sql("PRAGMA foreign_key_check"))
            else:
                found["amcheck"] = _amcheck(conn)
            for name, sql in CONSISTENCY_SQL.items():
                rows = conn.execute(text(sql), {"block": BLOCK_DEPTH, "width": PATH_SEGMENT_WIDTH})
                found[name] = [tuple(r) for r in rows]
            found["comments"] = conn.execute(select(func.count()).select_from(Comment)).scalar_one()
    finally:
        engine.dispose()
    return found


def _amcheck(conn: Any) -> list[str]:
    """B-tree index verification with amcheck, when the extension is installed on the server."""
    available = conn.execute(
        text("SELECT 1 FROM pg_available_extensions WHERE name = 'amcheck'")
    ).first()
    if available is None:
        return []
    conn.execute(text("CREATE EXTENSION IF NOT EXISTS amcheck"))
    indexes = conn.execute(
        text(
            """
            SELECT c.relname FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid
            JOIN pg_class t ON t.oid = i.indrelid
            JOIN pg_am a ON a.oid = c.relam
            WHERE a.amname = 'btree' AND t.relname IN ('site', 'thread', 'comment')
            """
        )
    ).scalars()
    checked = []
    for name in indexes:
        conn.execute(text("SELECT bt_index_check(CAST(:n AS regclass), true)"), {"n": name})
        checked.append(name)
    conn.commit()
    return checked


def assert_consistent(found: dict[str, Any]) -> None:
    if "integrity_check" in found:
        assert found["integrity_check"] == ["ok"], found["integrity_check"]
        assert found["foreign_key_check"] == [], found["foreign_key_check"]
    bad = {k: v for k, v in found.items() if k in CONSISTENCY_SQL and v}
    assert not bad, bad


def walk_thread(http: Http, site: str, uri: str) -> list[dict[str, Any]]:
    """Every comment of a thread as the public API serves it, following every cursor."""
    seen: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"site": site, "uri": uri, "limit": 200}
        if cursor:
            params["cursor"] = cursor
        reply = http.get("/api/v1/threads", **params)
        assert reply.status == 200, (reply.status, reply.body[:300])
        page = reply.json()
        pending.extend(page["comments"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    while pending:
        item = pending.pop()
        seen.append(item)
        pending.extend(item["replies"])
        replies_cursor = item["replies_cursor"]
        while replies_cursor:
            reply = http.get(f"/api/v1/comments/{item['id']}/replies", cursor=replies_cursor)
            assert reply.status == 200, (reply.status, reply.body[:300])
            more = reply.json()
            pending.extend(more["comments"])
            replies_cursor = more["next_cursor"]
    return seen


def check_api(http: Http, site: str, stored: Stored) -> tuple[list[str], int]:
    """Each thread read through the API holds exactly its stored comments, as stored."""
    problems = []
    served = 0
    for thread in stored.threads.values():
        items = walk_thread(http, site, thread.key)
        served += len(items)
        ids = [i["id"] for i in items]
        expected = {c.id for c in stored.comments.values() if c.thread_id == thread.id}
        if len(ids) != len(set(ids)) or set(ids) != expected:
            problems.append(
                f"{thread.key}: API served {len(ids)} ({len(set(ids))} distinct), "
                f"stored {len(expected)}; missing {sorted(expected - set(ids))[:10]}"
            )
        for item in items:
            comment = stored.comments.get(item["id"])
            if comment is None:
                continue
            if (item["parent_id"], item["depth"], item["html"], item["reply_count"]) != (
                comment.parent_id,
                comment.depth,
                comment.html,
                comment.reply_count,
            ):
                problems.append(f"{thread.key}: comment {comment.id} served differently")
    return problems, served
