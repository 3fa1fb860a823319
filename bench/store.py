"""Our databases: fresh schema (the real migrations), bulk-loaded rows, and checks via the API.

SQLite is filled with executemany inside one transaction, PostgreSQL with COPY; secondary
indexes are dropped first and rebuilt from their own saved definitions afterwards, so the
schema ends up exactly as the migrations made it.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask

from bench import data as d

SECRET_KEY = "bench-secret-key-not-for-production"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_PREFIX = "comments_bench"

COMMENT_COLUMNS = (
    "id", "thread_id", "parent_id", "anchor_id", "path", "depth", "author_name", "author_email",
    "author_url", "author_avatar", "author_key", "body", "html", "status", "created_at",
    "edited_at", "likes", "dislikes", "score", "reply_count", "ip_hash", "edit_token_hash",
    "moderation_reasons", "flagged", "report_count", "decided_at",
)  # fmt: skip
THREAD_COLUMNS = (
    "id", "site_id", "key", "title", "url", "locked", "comment_count", "version", "created_at",
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Database:
    engine: str  # "sqlite" or "postgresql"
    url: str  # SQLAlchemy URL, as COMMENTS_DATABASE_URL
    label: str  # "small" or "big"

    @property
    def pg_name(self) -> str:
        return self.url.rsplit("/", 1)[1]

    @property
    def sqlite_path(self) -> Path:
        return Path(self.url.removeprefix("sqlite:///"))


def database(engine: str, label: str, out_dir: Path) -> Database:
    if engine == "sqlite":
        return Database(engine, f"sqlite:///{out_dir / f'{label}.db'}", label)
    if engine == "postgresql":
        name = PG_PREFIX if label == "small" else f"{PG_PREFIX}_{label}"
        return Database(engine, f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", label)
    raise ValueError(f"unknown engine {engine!r}")


def make_app(url: str, instance: Path, **overrides: Any) -> Flask:
    from comments.app import create_app

    config = {"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "RATE_LIMITS_ENABLED": False}
    return create_app({**config, **overrides}, instance_path=str(instance.resolve()))


# --- creating ---------------------------------------------------------------------------------


def recreate(db: Database, instance: Path) -> None:
    """An empty database with the migrated schema and the benchmark site."""
    if db.engine == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db.sqlite_path}{suffix}").unlink(missing_ok=True)
        db.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    else:
        import psycopg

        if not db.pg_name.startswith(PG_PREFIX):
            raise ValueError(f"refusing to recreate {db.pg_name}: not a benchmark database")
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db.pg_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{db.pg_name}"')
    from comments.cli import upgrade_database
    from comments.services import sites

    app = make_app(db.url, instance)
    with app.app_context():
        upgrade_database()
        sites.add_site(d.SITE_SLUG, d.SITE_NAME, ["http://127.0.0.1"])
        from comments.extensions import db as sa

        sa.engine.dispose()


def _check_columns(present: dict[str, bool], wanted: Sequence[str], table: str) -> None:
    """Fail clearly if the schema gained a required column this loader does not fill."""
    missing = [name for name, required in present.items() if required and name not in wanted]
    unknown = [name for name in wanted if name not in present]
    if missing or unknown:
        raise RuntimeError(
            f"bench.store does not match the {table} table: "
            f"required but not loaded {missing}, loaded but absent {unknown}"
        )


# --- rows -------------------------------------------------------------------------------------


def _rows(
    data: d.Dataset, site_id: int, sqlite: bool
) -> tuple[list[tuple[Any, ...]], Iterator[tuple[Any, ...]]]:
    from comments import sanitize

    def moment(epoch: float) -> Any:
        value = d.iso_time(epoch)
        # SQLAlchemy stores SQLite datetimes as naive UTC text with microseconds.
        return value.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else value

    threads = [
        (
            tid,
            site_id,
            plan.uri,
            plan.title,
            "https://news.example" + plan.uri,
            False,
            data.thread_counts[tid - 1],
            0,
            moment(data.thread_created[tid - 1]),
        )
        for tid, plan in enumerate(data.thread_plans, start=1)
    ]
    html = [sanitize.render(body) for body in data.bodies]
    empty = "[]"

    def comments() -> Iterator[tuple[Any, ...]]:
        for i in range(data.comment_total):
            author = data.authors[data.c_author[i]]
            body = data.c_body[i]
            yield (
                i + 1,
                data.c_thread[i],
                data.c_parent[i],
                data.c_anchor[i],
                data.c_path[i],
                data.c_depth[i],
                author.name,
                author.email,
                "",
                "",
                author.key,
                data.bodies[body],
                html[body],
                "approved",
                moment(data.c_time[i]),
                None,
                0,
                0,
                0,
                data.c_reply_count[i],
                author.ip_hash,
                "",
                empty,
                False,
                0,
                None,
            )

    return threads, comments()


# --- loading ----------------------------------------------------------------------------------


def load(db: Database, data: d.Dataset, instance: Path) -> float:
    """Recreate ``db`` and bulk-load ``data`` into it. Returns the seconds it took."""
    started = time.perf_counter()
    recreate(db, instance)
    if db.engine == "sqlite":
        _load_sqlite(db.sqlite_path, data)
    else:
        _load_postgresql(db.pg_name, data)
    return time.perf_counter() - started


def _load_sqlite(path: Path, data: d.Dataset) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for table, wanted in (("comment", COMMENT_COLUMNS), ("thread", THREAD_COLUMNS)):
            info = conn.execute(f"PRAGMA table_info({table})").fetchall()
            _check_columns({row[1]: bool(row[3]) and row[4] is None for row in info}, wanted, table)
        (site_id,) = conn.execute("SELECT id FROM site WHERE slug = ?", (d.SITE_SLUG,)).fetchone()
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'comment' "
            "AND sql IS NOT NULL"
        ).fetchall()
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        threads, comments = _rows(data, site_id, sqlite=True)
        conn.executemany(_insert("thread", THREAD_COLUMNS), threads)
        insert = _insert("comment", COMMENT_COLUMNS)
        batch: list[tuple[Any, ...]] = []
        for row in comments:
            batch.append(row)
            if len(batch) == 20_000:
                conn.executemany(insert, batch)
                batch.clear()
        conn.executemany(insert, batch)
        for _, sql in indexes:
            conn.execute(sql)
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()


def _insert(table: str, columns: Sequence[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"


def _load_postgresql(name: str, data: d.Dataset) -> None:
    import psycopg

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{name}") as conn:
        for table, wanted in (("comment", COMMENT_COLUMNS), ("thread", THREAD_COLUMNS)):
            info = conn.execute(
                "SELECT column_name, is_nullable = 'NO' AND column_default IS NULL "
                "FROM information_schema.columns WHERE table_name = %s",
                (table,),
            ).fetchall()
            _check_columns(dict(info), wanted, table)
        row = conn.execute("SELECT id FROM site WHERE slug = %s", (d.SITE_SLUG,)).fetchone()
        assert row is not None
        # Secondary indexes only: those behind a constraint (primary key, unique) stay.
        indexes = conn.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "WHERE t.relname = 'comment' "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"
        ).fetchall()
        conn.execute("SET session_replication_role = replica")  # no FK triggers while loading
        conn.execute("SET maintenance_work_mem = '512MB'")
        for index, _ in indexes:
            conn.execute(f'DROP INDEX "{index}"')
        threads, comments = _rows(data, row[0], sqlite=False)
        with conn.cursor() as cur:
            with cur.copy(f"COPY thread ({', '.join(THREAD_COLUMNS)}) FROM STDIN") as copy:
                for values in threads:
                    copy.write_row(values)
            with cur.copy(f"COPY comment ({', '.join(COMMENT_COLUMNS)}) FROM STDIN") as copy:
                for values in comments:
                    copy.write_row(values)
        for _, sql in indexes:
            conn.execute(sql)
        for table in ("thread", "comment"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        conn.commit()
    # As a database that has been running for a while: statistics gathered, visibility map set.
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{name}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


# --- checking ---------------------------------------------------------------------------------


def _shape(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The API's nested comments as (id, parent_id, depth, reply_count, replies)."""
    out: list[tuple[Any, ...]] = []
    stack: list[tuple[dict[str, Any], list[tuple[Any, ...]]]] = [(c, out) for c in reversed(items)]
    while stack:
        item, siblings = stack.pop()
        if item["replies_cursor"] is not None:
            raise AssertionError(f"comment {item['id']} has replies held back behind a cursor")
        node = (item["id"], item["parent_id"], item["depth"], item["reply_count"], [])
        siblings.append(node)
        stack.extend((child, node[4]) for child in reversed(item["replies"]))
    return out


def verify(db: Database, data: d.Dataset, uris: Sequence[str], instance: Path) -> None:
    """Read threads and counts through the real API and compare with the generated data."""
    app = make_app(db.url, instance)
    client = app.test_client()
    for uri in uris:
        query = urlencode({"site": d.SITE_SLUG, "uri": uri, "limit": 200})
        response = client.get(f"/api/v1/threads?{query}")
        body = response.get_json()
        if response.status_code != 200:
            raise AssertionError(f"{db.engine} {uri}: HTTP {response.status_code} {body}")
        expected = data.thread_counts[data.thread_id(uri) - 1]
        if body["thread"]["comment_count"] != expected or body["next_cursor"] is not None:
            raise AssertionError(f"{db.engine} {uri}: comment_count or paging differ")
        if _shape(body["comments"]) != _listify(d.expected_forest(data, uri)):
            raise AssertionError(f"{db.engine} {uri}: the API returns another tree than loaded")
    uris = d.count_uris()
    query = urlencode([("site", d.SITE_SLUG), *(("uri", u) for u in uris)])
    counts = client.get(f"/api/v1/counts?{query}").get_json()["counts"]
    if counts != {u: data.thread_counts[data.thread_id(u) - 1] for u in uris}:
        raise AssertionError(f"{db.engine}: counts differ from the loaded data")
    with app.app_context():
        from comments.extensions import db as sa

        sa.engine.dispose()


def _listify(nodes: Sequence[Any]) -> list[tuple[Any, ...]]:
    return [(n[0], n[1], n[2], n[3], _listify(n[4])) for n in nodes]


def check_tree_rules(out_dir: Path) -> int:
    """Post a tree (with a reply chain deeper than two blocks) through the real API and check
    that bench.data.place and the reply counts give the same columns the service stored.

    Returns the number of comments checked.
    """
    from sqlalchemy import select

    from comments.extensions import db as sa
    from comments.models import Comment, Thread
    from comments.services import sites

    path = out_dir / "tree-check.db"
    path.unlink(missing_ok=True)
    app = make_app(f"sqlite:///{path}", out_dir / "instance-check")
    with app.app_context():
        from comments.cli import upgrade_database

        upgrade_database()
        sites.add_site(d.SITE_SLUG, d.SITE_NAME)
    client = app.test_client()

    def post(parent: int | None, n: int) -> int:
        payload = {
            "site": d.SITE_SLUG,
            "uri": "/check",
            "body": f"comment {n} with **markdown**",
            "parent_id": parent,
            "seconds_on_page": 30,
        }
        response = client.post("/api/v1/comments", json=payload)
        if response.status_code != 201:
            raise AssertionError(f"posting failed: {response.status_code} {response.get_json()}")
        comment_id: int = response.get_json()["comment"]["id"]
        return comment_id

    ids = [post(None, 0), post(None, 1)]
    chain = ids[0]
    for n in range(2, 2 + 2 * 32 + 5):  # depth 0 .. 70: three blocks
        chain = post(chain, n)
        ids.append(chain)
        if n % 9 == 0:
            ids.append(post(chain, 1000 + n))  # a side reply inside the chain
    ids.append(post(ids[1], 5000))
    with app.app_context():
        rows = {c.id: c for c in sa.session.execute(select(Comment)).scalars()}
        thread = sa.session.execute(select(Thread)).scalar_one()
        placed: dict[int, tuple[int, int, str]] = {}
        for cid in sorted(rows):
            row = rows[cid]
            parent = placed[row.parent_id] if row.parent_id is not None else None
            placed[cid] = d.place(cid, parent)
            stored = (row.depth, row.anchor_id, row.path)
            if stored != placed[cid]:
                raise AssertionError(f"comment {cid}: service {stored}, bench {placed[cid]}")
            children = sum(1 for r in rows.values() if r.parent_id == cid)
            if row.reply_count != children:
                raise AssertionError(f"comment {cid}: reply_count {row.reply_count} != {children}")
        if thread.comment_count != len(rows):
            raise AssertionError("thread comment_count differs from the number of comments")
        sa.engine.dispose()
    return len(rows)


def vote_ids(data: d.Dataset) -> list[int]:
    return data.comment_ids(d.VOTE_URI)


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def pg_size(db: Database) -> int:
    import psycopg

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{db.pg_name}") as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        assert row is not None
        return int(row[0])
