"""bench/RESULTS.md and bench/results.png from bench/out/results.json."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import platform
import sqlite3
import subprocess
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.scenarios import Scenario, parse_key

BUSY = 0.10  # other processes' CPU share above which a run is flagged


# --- facts about the machine ----------------------------------------------------------------------


def _first(path: str, prefix: str, separator: str = ":") -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line[len(prefix) :].strip().lstrip(separator).strip()
    except OSError:
        pass
    return "?"


def _command(argv: Sequence[str], cwd: Path | None = None) -> str:
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, cwd=cwd, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (done.stdout or done.stderr).strip() or "?"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def environment(out: Path) -> dict[str, Any]:
    """Machine and versions (read-only: git is only asked, never changed)."""
    root = Path(__file__).resolve().parent.parent
    commit = _command(["git", "rev-parse", "--short", "HEAD"], root)
    dirty = _command(["git", "status", "--porcelain", "--untracked-files=no"], root)
    try:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres") as conn:
            row = conn.execute("SHOW server_version").fetchone()
            postgres = str(row[0]) if row else "?"
    except Exception:
        postgres = "unavailable"
    memory_kb = int(_first("/proc/meminfo", "MemTotal").split()[0] or 0)
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "cpu_model": _first("/proc/cpuinfo", "model name"),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": _first("/etc/os-release", "PRETTY_NAME", "=").strip('"'),
        "python": platform.python_version(),
        "comments": _version("comments"),
        "commit": commit + (" (with uncommitted changes)" if dirty not in ("", "?") else ""),
        "flask": _version("flask"),
        "werkzeug": _version("werkzeug"),
        "sqlalchemy": _version("sqlalchemy"),
        "gunicorn": _version("gunicorn"),
        "psycopg": _version("psycopg"),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres,
        "wrk": _command(["dpkg-query", "-W", "-f", "${Version}", "wrk"]),
    }


# --- reading results ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Row:
    system: str
    engine: str
    database: str
    cache: str
    workers: int
    scenario: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    socket_errors: int
    foreign_cpu: float
    rss_mb: float
    pss_mb: float
    seconds: float
    recorded: int | None
    cpu_ms: float  # server CPU per request (workers and their PostgreSQL backends)

    @property
    def flag(self) -> str:
        notes = []
        if self.requests == 0:
            notes.append("**no responses**")
        if self.errors or self.socket_errors:
            notes.append(f"**{self.errors + self.socket_errors} errors**")
        if self.recorded is not None:
            # Requests in flight when wrk stops are still served: up to one per connection more.
            kept = "all kept" if self.recorded >= self.requests else f"only {self.recorded:,} kept"
            notes.append(f"{kept} ({self.recorded:,} for {self.requests:,} responses)")
        if self.foreign_cpu > BUSY:
            notes.append(f"busy machine ({self.foreign_cpu:.0%})")
        if 0 < self.requests < 50:
            notes.append(f"{self.requests} responses in {self.seconds:.0f} s")
        return "; ".join(notes)


def read(path: Path) -> tuple[dict[str, Any], list[Row]]:
    payload = json.loads(path.read_text())
    rows = []
    for run in payload["runs"]:
        result = run["result"]
        rss = run["rss_mb"]
        pss = run["pss_mb"]
        rows.append(
            Row(
                system=run["system"],
                engine=run["engine"],
                database=run["database"],
                cache=run["cache"],
                workers=run["workers"],
                scenario=run["scenario"],
                rps=result["rps"],
                p50_ms=result["p50_ms"],
                p99_ms=result["p99_ms"],
                requests=result["requests"],
                errors=result["errors"],
                socket_errors=result["socket_errors"],
                foreign_cpu=result["foreign_cpu"],
                rss_mb=max(rss, default=0.0),
                pss_mb=sum(pss) / len(pss) if pss else 0.0,
                seconds=result["seconds"],
                recorded=run["requests_recorded"],
                cpu_ms=1000 * result["server_cpu_s"] / result["served"]
                if result.get("served")
                else float("nan"),
            )
        )
    return payload["facts"], rows


class Index:
    def __init__(self, rows: Iterable[Row]) -> None:
        self.rows = list(rows)

    def find(self, **where: Any) -> Row | None:
        for row in self.rows:
            if all(getattr(row, k) == v for k, v in where.items()):
                return row
        return None

    def ours(
        self,
        engine: str,
        workers: int,
        scenario: str,
        database: str = "small",
        cache: str = "cached",
    ) -> Row | None:
        return self.find(
            system="comments",
            engine=engine,
            workers=workers,
            scenario=scenario,
            database=database,
            cache=cache,
        )

    def isso(self, workers: int, scenario: str) -> Row | None:
        return self.find(system="isso", workers=workers, scenario=scenario)

    def hello(self, workers: int) -> Row | None:
        return self.find(system="hello", workers=workers)

    def values(self, field: str, **where: Any) -> list[Any]:
        if field == "engine":
            found = {
                r.engine for r in self.rows if all(getattr(r, k) == v for k, v in where.items())
            }
            return sorted(found, key=lambda e: (e != "sqlite", e))
        found = {
            getattr(r, field)
            for r in self.rows
            if all(getattr(r, k) == v for k, v in where.items())
        }
        return sorted(found)


# --- formatting -----------------------------------------------------------------------------------


def num(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or a == 0 or b == 0 or math.isnan(a) or math.isnan(b):
        return None
    return a / b


def times(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}x" if value < 100 else f"{value:,.0f}x"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


ENGINE = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _scenario_order(key: str) -> tuple[int, int]:
    scenario = parse_key(key)
    order = ["page", "whole", "counts", "vote", "post", "hello"]
    return (order.index(scenario.kind) if scenario.kind in order else 99, scenario.size)


# --- goals ----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Check:
    """One goal in one configuration, judged by throughput and by server CPU per request."""

    goal: str
    where: str
    figure: str
    cpu_figure: str
    met: bool | None
    cpu_met: bool | None

    @staticmethod
    def word(met: bool | None) -> str:
        return "n/a" if met is None else ("MET" if met else "**NOT MET**")


def _measured(row: Row | None) -> bool:
    return row is not None and row.requests > 0


def goals(index: Index, big_comments: int) -> list[Check]:
    checks: list[Check] = []
    engines = index.values("engine", system="comments")
    workers = index.values("workers", system="comments")

    def compare(
        goal: str, where: str, ours: Row | None, other: Row | None, at_least: float, pct: bool
    ) -> None:
        if not (_measured(ours) and _measured(other)):
            checks.append(Check(goal, where, "not measured", "not measured", None, None))
            return
        assert ours is not None and other is not None
        by_rps = ratio(ours.rps, other.rps)
        by_cpu = ratio(other.cpu_ms, ours.cpu_ms)
        show = percent if pct else times
        checks.append(
            Check(
                goal,
                where,
                f"{show(by_rps)} ({num(ours.rps)} vs {num(other.rps)} req/s)",
                f"{show(by_cpu)} ({num(ours.cpu_ms)} vs {num(other.cpu_ms)} ms)",
                None if by_rps is None else by_rps >= at_least,
                None if by_cpu is None else by_cpu >= at_least,
            )
        )

    def each(goal: str, scenario: str, at_least: float, ceiling: bool = False) -> None:
        for engine in engines:
            for w in workers:
                other = index.hello(w) if ceiling else index.isso(w, scenario)
                where = f"{ENGINE.get(engine, engine)}, {w} workers"
                compare(goal, where, index.ours(engine, w, scenario), other, at_least, ceiling)

    each("100-comment thread ≥ 50x Isso", "page-100", 50)
    each("100-comment thread ≥ 40% of hello world", "page-100", 0.40, ceiling=True)
    each("1,000-comment thread ≥ 50x Isso (whole thread)", "whole-1000", 50)
    each("1,000-comment thread ≥ 50x Isso (first page)", "page-1000", 50)
    each("counts for 20 uris ≥ 3x Isso", "counts", 3)
    each("posting ≥ 2x Isso", "post", 2)
    for cache in ("cached", "uncached"):
        for scenario in ("whole-1000", "page-1000"):
            for engine in engines:
                for w in workers:
                    small = index.ours(engine, w, scenario, "small", cache)
                    big = index.ours(engine, w, scenario, "big", cache)
                    if not (_measured(small) and _measured(big)):
                        continue
                    assert small is not None and big is not None
                    by_rps = ratio(small.rps, big.rps)
                    by_cpu = ratio(big.cpu_ms, small.cpu_ms)
                    checks.append(
                        Check(
                            f"{parse_key(scenario).label} with {big_comments:,} comments in "
                            f"the database ≤ 1.25x the time with the small one ({cache})",
                            f"{ENGINE.get(engine, engine)}, {w} workers",
                            f"{by_rps or 0:.2f}x ({num(small.rps)} → {num(big.rps)} req/s, "
                            f"p50 {num(small.p50_ms)} → {num(big.p50_ms)} ms)",
                            f"{by_cpu or 0:.2f}x ({num(small.cpu_ms)} → {num(big.cpu_ms)} ms)",
                            None if by_rps is None else by_rps <= 1.25,
                            None if by_cpu is None else by_cpu <= 1.25,
                        )
                    )
    return checks


# --- the report -----------------------------------------------------------------------------------


def _run_table(index: Index, rows: list[Row], with_isso: bool) -> str:
    header = [
        "scenario",
        "req/s",
        "p50 ms",
        "p99 ms",
        "CPU ms / req",
        "x Isso (req/s, CPU)",
        "% of ceiling (req/s, CPU)",
        "RSS / PSS per worker MB",
        "notes",
    ]
    if not with_isso:
        header.remove("x Isso (req/s, CPU)")
    body = []
    for row in sorted(rows, key=lambda r: _scenario_order(r.scenario)):
        isso = index.isso(row.workers, row.scenario)
        hello = index.hello(row.workers)
        cells = [
            Scenario_label(row.scenario),
            num(row.rps),
            num(row.p50_ms),
            num(row.p99_ms),
            num(row.cpu_ms),
            f"{times(ratio(row.rps, isso.rps if isso else None))}, "
            f"{times(ratio(isso.cpu_ms if isso else None, row.cpu_ms))}",
            f"{percent(ratio(row.rps, hello.rps if hello else None))}, "
            f"{percent(ratio(hello.cpu_ms if hello else None, row.cpu_ms))}",
            f"{row.rss_mb:.0f} / {row.pss_mb:.0f}",
            row.flag,
        ]
        if not with_isso:
            del cells[5]
        body.append(cells)
    return table(header, body)


def _cell(row: Row | None) -> str:
    return "-" if row is None else f"{num(row.rps)} ({num(row.cpu_ms)})"


def _times(ours: Row | None, other: Row | None) -> str:
    if ours is None or other is None:
        return "-"
    return f"{times(ratio(ours.rps, other.rps))}, {times(ratio(other.cpu_ms, ours.cpu_ms))}"


def _percent(ours: Row | None, hello: Row | None) -> str:
    if ours is None or hello is None:
        return "-"
    return f"{percent(ratio(ours.rps, hello.rps))}, {percent(ratio(hello.cpu_ms, ours.cpu_ms))}"


def Scenario_label(key: str) -> str:
    return parse_key(key).label


def render(facts: dict[str, Any], rows: list[Row], png_name: str) -> str:
    index = Index(rows)
    opts = facts.get("options", {})
    wrk = opts.get("wrk", {})
    out: list[str] = []
    add = out.append
    wall = facts.get("wall_s")
    add("# Benchmarks\n")
    add(
        "Generated by `bench/` (`make bench`, i.e. `.venv/bin/python -m bench`); do not edit by "
        "hand. Figures are requests per second (higher is better) and latency percentiles "
        f"measured by wrk; run on {facts.get('date', '?')}.\n"
    )
    add(f"- Command: `{facts.get('command', '?')}`")
    if wall:
        add(f"- Total wall time: **{wall / 60:.1f} minutes** (data, loads, every server and run)")
    add("")
    add("## Machine and versions\n")
    add(
        table(
            ["what", "value"],
            [
                ["CPU", f"{facts.get('cpus')} x {facts.get('cpu_model')}"],
                ["memory", f"{facts.get('memory_gib')} GiB"],
                ["OS / kernel", f"{facts.get('os')} / {facts.get('kernel')}"],
                ["Python", str(facts.get("python"))],
                ["comments (ours)", f"{facts.get('comments')} at {facts.get('commit')}"],
                [
                    "Flask / Werkzeug / SQLAlchemy",
                    f"{facts.get('flask')} / {facts.get('werkzeug')} / {facts.get('sqlalchemy')}",
                ],
                [
                    "gunicorn (ours, Isso's)",
                    f"{facts.get('gunicorn')}, {facts.get('isso_gunicorn', '-')} (sync workers)",
                ],
                ["Isso", str(facts.get("isso", "not run"))],
                ["SQLite", str(facts.get("sqlite"))],
                ["PostgreSQL / psycopg", f"{facts.get('postgresql')} / {facts.get('psycopg')}"],
                ["wrk (Debian package)", str(facts.get("wrk"))],
            ],
        )
    )
    add("")
    add("## How it was measured\n")
    small_c, small_t = facts.get("small_comments", 0), facts.get("small_threads", 0)
    sizes = ", ".join(f"{n:,}" for n in opts.get("sizes", []))
    add(
        f"- **Data** (seed {opts.get('seed')}): threads of {sizes} "
        "comments with nested replies (30% top-level, at most 200 top-level comments and 190 "
        "replies under each, depth up to 10), Markdown bodies of about 300 characters, 500 "
        f"authors; plus a 500-comment thread to vote on, one to post to and 20 small threads to "
        f"count: {small_c:,} comments in {small_t} threads (the *small* database). "
        "Comments of all threads are interleaved in time before ids are given, as on a live "
        "site. Tree columns (path, anchor, depth, reply_count, comment_count) are computed as "
        "the services do; each run first checks that rule against a thread posted through the "
        "real API, then reads every benchmark thread back through the API and compares trees."
    )
    if opts.get("big"):
        add(
            f"- **Big database**: {facts.get('big_comments', 0):,} comments in "
            f"{facts.get('big_threads', 0):,} threads (the small plan plus long-tailed filler "
            "threads), containing the same 1,000-comment thread. Bulk-loaded (SQLite "
            "executemany, PostgreSQL COPY; secondary indexes rebuilt after; PostgreSQL then "
            f"VACUUM ANALYZE): SQLite {num(facts.get('load_sqlite_big_s'))} s, PostgreSQL "
            f"{num(facts.get('load_postgresql_big_s'))} s; generating the data took "
            f"{num(facts.get('generate_big_s'))} s."
        )
    add(
        "- **Servers**: ours with `comments run --workers N` (migrations, then gunicorn: sync "
        "workers, access log to a file); Isso 0.14 (`isso.run:application`, its own venv, "
        "guard/rate limiter off, moderation off) and a one-route Flask hello world under "
        "gunicorn's CLI with the same flags (`--workers N --access-logfile - "
        "--no-control-socket`). Our rate limits are off (`COMMENTS_RATE_LIMITS_ENABLED=false`), "
        "no Redis: each worker has its in-process read cache. *Uncached* rows serve the same "
        "app with its read cache replaced by one that never hits (`bench.apps:uncached()`), "
        "i.e. what every read costs right after a write to the thread."
    )
    add(
        f"- **Load**: wrk, {wrk.get('threads')} threads, {wrk.get('connections')} connections, "
        f"{num(wrk.get('duration'))} s per run after a {num(wrk.get('warmup'))} s warm-up; "
        "gunicorn's sync workers close every connection, so each request is a new TCP "
        "connection for every system alike. Requests slower than 0.5 s on an idle server "
        "(Isso's large threads) get no warm-up, a longer run (enough for about 20 responses, "
        "at most 60 s) and a longer timeout. wrk runs on the same 2 cores as the servers."
    )
    add(
        "- **Equivalent requests**: first page = ours `GET /api/v1/threads?site&uri` (50 "
        "top-level comments with their replies), Isso `GET /?uri&limit=50` (50 top-level with "
        "all replies); whole thread = ours `limit=200`, Isso `GET /?uri` (every benchmark "
        "thread fits in one response of ours, no cursor left). Counts: ours `GET "
        "/api/v1/counts` with 20 `uri`s, Isso `POST /count` with the 20 uris. Posting: a "
        "distinct ~300-character Markdown text per request on a separate thread. Voting: a like "
        "on a random comment of the 500-comment thread, each request from a new address in "
        "`X-Forwarded-For` (both servers trust 127.0.0.1 as a proxy; votes are one per voter, "
        "and Isso keys voters by /24, so the first three octets vary). 'kept' counts what the "
        "server really recorded (comments or likes before and after the run)."
    )
    add(
        "- **Isso** only runs on SQLite, on the same small data set (replies stored under their "
        "top-level comment, as Isso keeps one level of nesting); every ratio to Isso, for "
        "our SQLite and our PostgreSQL rows alike, is to Isso on SQLite with the same number of "
        "workers. Isso renders Markdown on every read and has no read cache; ours stores "
        "rendered HTML and caches serialised pages per thread version."
    )
    add(
        "- **Memory per worker**: RSS (shared copy-on-write pages counted in full) and PSS "
        "(shared pages divided among processes) of each gunicorn worker after the run; the "
        "table shows the largest RSS and the mean PSS."
    )
    busy = sorted(r.foreign_cpu for r in rows)
    flagged = sum(1 for v in busy if v > BUSY)
    median = busy[len(busy) // 2] if busy else 0.0
    add(
        "- **Noise**: this machine is shared; other work is measured during every run (CPU used "
        "by anything but wrk, the server and its database backends) and runs where it exceeded "
        f"10% of the machine are flagged 'busy machine': **{flagged} of {len(rows)} runs** "
        f"(median {median:.0%}, highest {busy[-1] if busy else 0:.0%}). Servers and wrk ran at "
        f"nice {opts.get('nice', 0)} to keep that from eating into the measurement. Throughput "
        "suffers from such sharing; server CPU time per request (CPU ms / req) much less, so "
        "both are reported. Any response with status ≥ 400 or socket error is flagged as "
        "errors."
    )
    add("")
    add("## Goals\n")
    add(
        "Verdicts by requests per second, as the goals are stated, and the same comparison by "
        "server CPU time per request (the worker processes and, for PostgreSQL, their database "
        "backends), which other work on a shared machine disturbs far less than throughput.\n"
    )
    add(
        table(
            ["goal", "configuration", "by req/s", "verdict", "by CPU / request", "verdict"],
            [
                [c.goal, c.where, c.figure, Check.word(c.met), c.cpu_figure, Check.word(c.cpu_met)]
                for c in goals(index, facts.get("big_comments", 0))
            ],
        )
    )
    add("")
    add("## Against thread size\n")
    add(f"![requests per second and CPU per request against thread size]({png_name})\n")
    add("## Headline: ours against Isso and the ceiling\n")
    add(
        "Each cell: requests per second, then server CPU milliseconds per request in "
        "brackets; ratios are by requests per second, then by CPU per request.\n"
    )
    engines = index.values("engine", system="comments")
    for w in index.values("workers", system="comments"):
        hello = index.hello(w)
        ceiling = f"{num(hello.rps)} req/s ({num(hello.cpu_ms)} ms)" if hello else "-"
        add(f"### {w} workers (hello-world ceiling: {ceiling})\n")
        header = ["scenario", "Isso"]
        for e in engines:
            header += [ENGINE.get(e, e), "x Isso", "% ceiling"]
        body = []
        keys = sorted(
            set(index.values("scenario", system="comments", database="small", cache="cached")),
            key=_scenario_order,
        )
        for key in keys:
            isso = index.isso(w, key)
            cells = [Scenario_label(key), _cell(isso)]
            for e in engines:
                ours = index.ours(e, w, key)
                cells += [_cell(ours), _times(ours, isso), _percent(ours, hello)]
            body.append(cells)
        add(table(header, body))
        add("")
    if index.find(database="big"):
        add("## The 1,000,000-comment database\n")
        add(
            "The same 1,000-comment thread, read from the small database and from the big "
            "one; 'time x' is the small database's rate over the big one's (1.00x = no slower).\n"
        )
        body = []
        for row in sorted(
            (r for r in rows if r.database == "big"),
            key=lambda r: (r.engine, r.workers, r.cache, _scenario_order(r.scenario)),
        ):
            small = index.ours(row.engine, row.workers, row.scenario, "small", row.cache)
            body.append(
                [
                    ENGINE.get(row.engine, row.engine),
                    str(row.workers),
                    row.cache,
                    Scenario_label(row.scenario),
                    num(small.rps if small else None),
                    num(row.rps),
                    "-" if not small else f"{ratio(small.rps, row.rps) or 0:.2f}x",
                    f"{num(small.p50_ms if small else None)} / {num(row.p50_ms)}",
                    f"{num(small.p99_ms if small else None)} / {num(row.p99_ms)}",
                    row.flag,
                ]
            )
        add(
            table(
                [
                    "engine",
                    "workers",
                    "cache",
                    "scenario",
                    "small req/s",
                    "big req/s",
                    "time x",
                    "p50 ms small / big",
                    "p99 ms small / big",
                    "notes (big)",
                ],
                body,
            )
        )
        sizes = []
        if facts.get("sqlite_big_size"):
            sizes.append(f"SQLite file {facts['sqlite_big_size'] / 1024**3:.2f} GiB")
        if facts.get("pg_big_size"):
            sizes.append(f"PostgreSQL database {facts['pg_big_size'] / 1024**3:.2f} GiB")
        if sizes:
            add("\nSize on disk: " + ", ".join(sizes) + ".")
        add("")
    add("## Every run\n")
    groups: dict[tuple[str, str, str, str, int], list[Row]] = {}
    for row in rows:
        groups.setdefault(
            (row.system, row.engine, row.database, row.cache, row.workers), []
        ).append(row)
    order = {"hello": 0, "comments": 1, "isso": 2}
    for key in sorted(
        groups, key=lambda k: (order.get(k[0], 9), k[1], k[2] != "small", k[3], k[4])
    ):
        system, engine, database, cache, w = key
        if system == "comments":
            title = f"Ours, {ENGINE.get(engine, engine)}, {database} database, {cache}, {w} workers"
        elif system == "isso":
            title = f"Isso 0.14, SQLite, {w} workers"
        else:
            title = f"Hello world (ceiling), {w} workers"
        add(f"### {title}\n")
        add(_run_table(index, groups[key], with_isso=system == "comments"))
        add("")
    return "\n".join(out).rstrip() + "\n"


def plot(rows: list[Row], path: Path) -> bool:
    """Requests per second, and server CPU per request, against thread size (log-log).

    Returns False when matplotlib is not installed.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    index = Index(rows)
    fig, axes = plt.subplots(2, 2, figsize=(11, 8.2), sharex=True)
    colours = {"sqlite": "tab:blue", "postgresql": "tab:green"}
    styles = {2: "-", 4: "--"}
    for column, kind in enumerate(("page", "whole")):
        for row_number, field in enumerate(("rps", "cpu_ms")):
            ax = axes[row_number][column]
            for w in index.values("workers"):
                style = styles.get(w, ":")
                hello = index.hello(w)
                if hello:
                    value = getattr(hello, field)
                    ax.axhline(value, color="grey", linestyle=style, linewidth=1)
                    ax.annotate(
                        f"hello world, {w} workers",
                        (10, value),
                        textcoords="offset points",
                        xytext=(2, 3),
                        fontsize=7,
                        color="grey",
                    )
                for engine in index.values("engine", system="comments"):
                    for cache, width, alpha in (("cached", 2.0, 1.0), ("uncached", 1.0, 0.55)):
                        where = {
                            "engine": engine,
                            "workers": w,
                            "database": "small",
                            "cache": cache,
                        }
                        points = _series(index, kind, field, system="comments", **where)
                        if points:
                            label = f"ours, {ENGINE.get(engine, engine)}, {w} workers"
                            label += ", read cache off" if cache == "uncached" else ""
                            ax.plot(
                                *zip(*points, strict=True),
                                style,
                                color=colours.get(engine),
                                linewidth=width,
                                alpha=alpha,
                                marker="o",
                                markersize=3,
                                label=label,
                            )
                points = _series(index, kind, field, system="isso", workers=w)
                if points:
                    ax.plot(
                        *zip(*points, strict=True),
                        style,
                        color="tab:red",
                        marker="s",
                        markersize=3,
                        label=f"Isso 0.14 (SQLite), {w} workers",
                    )
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.grid(True, which="both", linewidth=0.3)
            if row_number == 0:
                ax.set_title("first page" if kind == "page" else "whole thread")
            else:
                ax.set_xlabel("comments in the thread")
        axes[0][0].set_ylabel("requests per second (higher is better)")
        axes[1][0].set_ylabel("server CPU ms per request (lower is better)")
    handles, labels = axes[0][1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, 0.09, 1, 1))
    fig.savefig(path, dpi=72)
    plt.close(fig)
    return True


def _series(index: Index, kind: str, field: str, **where: Any) -> list[tuple[int, float]]:
    points = []
    for row in index.rows:
        scenario: Scenario = parse_key(row.scenario)
        value = getattr(row, field)
        if (
            scenario.kind == kind
            and row.requests > 0
            and not math.isnan(value)
            and all(getattr(row, k) == v for k, v in where.items())
        ):
            points.append((scenario.size, value))
    return sorted(points)


def write(results: Path, markdown: Path, png: Path) -> None:
    facts, rows = read(results)
    has_plot = plot(rows, png)
    text = render(facts, rows, png.name)
    if not has_plot:
        text = text.replace(
            f"![requests per second and CPU per request against thread size]({png.name})",
            "(matplotlib is not installed: `pip install -e '.[bench]'` for the plot)",
        )
    markdown.write_text(text)
