"""Load benchmarks: our app against Isso 0.14 and a Flask hello-world, under gunicorn and wrk.

Run from the repository root:  make bench  (or  .venv/bin/python -m bench [options])

One run builds the data (seeded), loads it into SQLite and PostgreSQL (and a 1,000,000-comment
database when --big), serves it with `comments run` (2 and 4 workers), drives each scenario
with wrk, then does the same for Isso (SQLite only) and the hello-world ceiling, and writes
bench/RESULTS.md and bench/results.png. Every process it starts is stopped at the end, on
errors and on Ctrl-C. Not a test: nothing is asserted, goals are reported as met or not.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench import data, isso, load, report, servers, store
from bench import scenarios as sc
from bench.scenarios import Scenario

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
QUIET_LIMIT = 0.10  # other processes' share of the machine we wait to fall under
SLOW_PROBE_S = 0.5  # slower single requests: no warm-up run, longer duration and timeout
MIN_RESPONSES = 20


@dataclasses.dataclass
class Options:
    engines: list[str]
    workers: list[int]
    sizes: list[int]
    wrk: load.WrkSettings
    max_duration: float
    big: bool
    big_comments: int
    big_threads: int
    uncached: bool
    isso: bool
    seed: int
    out: Path
    results_md: Path
    results_png: Path
    quiet_wait: float
    nice: int
    report_only: bool
    command: str


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run (2 s per run)")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--workers", default="2,4", help="gunicorn worker counts")
    parser.add_argument("--sizes", default=",".join(map(str, data.THREAD_SIZES)))
    parser.add_argument("--duration", type=float, help="seconds per wrk run (default 8)")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up before each run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--big", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--big-comments", type=int, default=data.BIG_TOTAL_COMMENTS)
    parser.add_argument("--big-threads", type=int, default=data.BIG_TOTAL_THREADS)
    parser.add_argument(
        "--uncached",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also read threads with the read cache off",
    )
    parser.add_argument("--skip-isso", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=BENCH / "out")
    parser.add_argument("--results", type=Path, help="report path (default bench/RESULTS.md)")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=3.0,
        help="seconds to wait before each run for other processes to go quiet",
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=-10,
        help="priority of the servers and wrk (negative needs root; 0 to leave it)",
    )
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the report from bench/out"
    )
    args = parser.parse_args(argv)
    quick = args.quick
    out = args.out.resolve()
    results_md = args.results or (out / "RESULTS.md" if quick else BENCH / "RESULTS.md")
    options = Options(
        engines=[e.strip() for e in args.engines.split(",") if e.strip()],
        workers=[int(w) for w in args.workers.split(",")] if not quick else [2],
        sizes=[int(s) for s in args.sizes.split(",")],
        wrk=load.WrkSettings(
            threads=args.threads,
            connections=args.connections,
            duration=args.duration or (2.0 if quick else 8.0),
            warmup=args.warmup if args.warmup is not None else (0.5 if quick else 2.0),
        ),
        max_duration=10.0 if quick else 60.0,
        big=args.big if args.big is not None else not quick,
        big_comments=args.big_comments,
        big_threads=args.big_threads,
        uncached=args.uncached,
        isso=not args.skip_isso,
        seed=args.seed,
        out=out,
        results_md=results_md.resolve(),
        results_png=results_md.resolve().with_name("results.png"),
        quiet_wait=0.0 if quick else args.quiet_wait,
        nice=args.nice,
        report_only=args.report_only,
        command="python -m bench " + " ".join(argv if argv is not None else sys.argv[1:]),
    )
    return options


# --- one measurement ----------------------------------------------------------------------------


@dataclasses.dataclass
class Run:
    system: str  # comments, isso, hello
    engine: str  # sqlite, postgresql
    database: str  # small, big, none
    cache: str  # cached, uncached
    workers: int
    scenario: str
    result: load.WrkResult
    rss_mb: list[float]
    pss_mb: list[float]
    probe_ms: float
    requests_recorded: int | None  # writes the server really kept (posts, effective votes)


class Bench:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.runs: list[Run] = []
        self.facts: dict[str, Any] = {}
        self.nonce = int(time.time()) % 10_000
        self.started = time.monotonic()

    def log(self, message: str) -> None:
        elapsed = time.monotonic() - self.started
        print(f"[{elapsed / 60:5.1f} min] {message}", flush=True)

    def save(self) -> None:
        self.options.out.mkdir(parents=True, exist_ok=True)
        payload = {
            "facts": self.facts,
            "runs": [dataclasses.asdict(r) | {"result": _result_dict(r.result)} for r in self.runs],
        }
        (self.options.out / "results.json").write_text(json.dumps(payload, indent=1))

    def measure(
        self,
        server: servers.Server,
        system: str,
        scenario: Scenario,
        request: load.Request,
        *,
        engine: str,
        database: str,
        cache: str,
        workers: int,
    ) -> Run:
        settings = self.options.wrk
        server.wait_idle()
        busy = load.wait_for_quiet(QUIET_LIMIT, self.options.quiet_wait)
        probe = 0.0 if scenario.writes or request.script else _probe(server.base_url + request.path)
        seconds, wrk = settings.duration, settings
        if probe > SLOW_PROBE_S:
            # Enough responses to count: at most min(workers, cores) requests run at once.
            parallel = min(workers, os.cpu_count() or 1)
            seconds = min(self.options.max_duration, max(seconds, MIN_RESPONSES * probe / parallel))
            queue = settings.connections * probe / parallel
            wrk = dataclasses.replace(settings, timeout=max(settings.timeout, 2.5 * queue))
        elif settings.warmup > 0:
            self.nonce += 1
            load.run(self._with_nonce(request, scenario), server.base_url, wrk, settings.warmup)
            server.wait_idle()
        before = sc.tally(system, scenario, server.base_url)
        self.nonce += 1
        pids = server.cpu_pids()
        cpu_before = servers.cpu_ticks(pids)
        result = load.run(self._with_nonce(request, scenario), server.base_url, wrk, seconds, pids)
        # Requests still queued when wrk stopped are served before anything else is measured;
        # their CPU time counts, and so do they: one in flight per connection.
        server.wait_idle()
        pids = sorted(set(pids) | set(server.cpu_pids()))
        result.server_cpu_s = (servers.cpu_ticks(pids) - cpu_before) / servers.CLOCK_TICKS
        result.served = result.requests + wrk.connections
        after = sc.tally(system, scenario, server.base_url)
        memory = server.memory()
        run = Run(
            system=system,
            engine=engine,
            database=database,
            cache=cache,
            workers=workers,
            scenario=scenario.key,
            result=result,
            rss_mb=memory.rss_mb,
            pss_mb=memory.pss_mb,
            probe_ms=probe * 1000,
            requests_recorded=None if before is None or after is None else after - before,
        )
        self.runs.append(run)
        self.save()
        flags = []
        if result.requests == 0:
            flags.append("NO RESPONSES")
        if result.failed:
            flags.append(f"ERRORS {result.errors} http, {result.socket_errors} socket")
        if result.foreign_cpu > QUIET_LIMIT or busy > QUIET_LIMIT:
            flags.append(f"busy machine: others used {result.foreign_cpu:.0%}")
        if run.requests_recorded is not None:
            flags.append(f"{run.requests_recorded} recorded of {result.requests}")
        self.log(
            f"  {system}/{engine}/{database}/{cache}/w{workers} {scenario.key:<11} "
            f"{result.rps:9.1f} req/s  p50 {result.p50_ms:8.1f} ms  p99 {result.p99_ms:8.1f} ms  "
            f"cpu {result.cpu_ms_per_request:7.2f} ms/req  rss {memory.max_rss_mb:4.0f} MB  "
            f"{'; '.join(flags)}"
        )
        return run

    def _with_nonce(self, request: load.Request, scenario: Scenario) -> load.Request:
        """Write scripts take a run number so no two runs send the same text or voter."""
        if not scenario.writes:
            return request
        args = tuple(str(self.nonce) if a == sc.NONCE else a for a in request.args)
        return dataclasses.replace(request, args=args)


def _probe(url: str) -> float:
    """Seconds one request takes on an idle server (also warms it up)."""
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as response:
        response.read()
    return time.perf_counter() - started


def _result_dict(result: load.WrkResult) -> dict[str, Any]:
    values = dataclasses.asdict(result)
    values.pop("raw")
    return values


# --- the systems ----------------------------------------------------------------------------------


def our_env(db: store.Database, instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMENTS_")}
    env.update(
        COMMENTS_DATABASE_URL=db.url,
        COMMENTS_INSTANCE_PATH=str(instance),
        COMMENTS_SECRET_KEY=store.SECRET_KEY,
        COMMENTS_RATE_LIMITS_ENABLED="false",
        COMMENTS_TRUSTED_PROXIES="127.0.0.1",
    )
    return env


def our_server(
    db: store.Database, instance: Path, workers: int, cached: bool, out: Path
) -> servers.Server:
    port = servers.free_port()
    bin_dir = Path(sys.executable).parent
    if cached:
        argv = [str(bin_dir / "comments"), "run", "--host", servers.HOST, "--port", str(port)]
        argv += ["--workers", str(workers)]
    else:
        argv = servers.gunicorn_argv(bin_dir / "gunicorn", "bench.apps:uncached()", port, workers)
    name = f"comments-{db.engine}-{db.label}-{'cached' if cached else 'uncached'}-w{workers}"
    return servers.Server(
        name=name,
        argv=argv,
        env=our_env(db, instance),
        cwd=ROOT,
        port=port,
        log=out / "logs" / f"{name}.log",
        ready_path="/api/v1/counts?site=" + data.SITE_SLUG,
    )


def run_ours(
    bench: Bench,
    db: store.Database,
    dataset: data.Dataset,
    keys: Sequence[Scenario],
    uncached_keys: Sequence[Scenario],
) -> None:
    options = bench.options
    instance = options.out / f"instance-{db.engine}"
    for workers in options.workers:
        for cached, scenarios in ((True, keys), (False, uncached_keys)):
            if not scenarios:
                continue
            server = our_server(db, instance, workers, cached, options.out)
            with servers.running(server, workers):
                bench.log(f"{server.name} on port {server.port}")
                check_page_sizes(server.base_url, dataset, scenarios)
                for scenario in scenarios:
                    bench.measure(
                        server,
                        "comments",
                        scenario,
                        sc.ours(scenario, dataset),
                        engine=db.engine,
                        database=db.label,
                        cache="cached" if cached else "uncached",
                        workers=workers,
                    )


def run_isso(bench: Bench, dataset: data.Dataset, keys: Sequence[Scenario]) -> None:
    options = bench.options
    bench.log("Isso: virtual environment")
    isso.ensure_venv(options.out)
    bench.facts["isso"] = isso.version(options.out, "isso")
    bench.facts["isso_gunicorn"] = isso.version(options.out, "gunicorn")
    loaded = False
    for workers in options.workers:
        port = servers.free_port()
        config = isso.write_config(options.out, port)
        if not loaded:
            started = time.perf_counter()
            isso.load(options.out, config, dataset)
            bench.facts["isso_load_s"] = time.perf_counter() - started
            loaded = True
        server = isso.server(options.out, config, port, workers)
        with servers.running(server, workers):
            bench.log(f"{server.name} on port {server.port}")
            check_same_content(server.base_url, dataset, [k for k in keys if not k.writes])
            for scenario in keys:
                bench.measure(
                    server,
                    "isso",
                    scenario,
                    sc.isso(scenario, dataset),
                    engine="sqlite",
                    database="small",
                    cache="-",
                    workers=workers,
                )


def check_page_sizes(url: str, dataset: data.Dataset, reads: Sequence[Scenario]) -> None:
    """Our first page holds the oldest 50 top-level comments and all their replies."""
    for scenario in reads:
        if scenario.kind == "page":
            expected = data.page_size(dataset, data.thread_uri(scenario.size))
            sent = sc.ours_comment_count(url, scenario)
            if sent != expected:
                raise RuntimeError(f"we send {sent} comments for {scenario.key}, not {expected}")


def check_same_content(isso_url: str, dataset: data.Dataset, reads: Sequence[Scenario]) -> None:
    """Isso must send as many comments for each read as we do."""
    for scenario in reads:
        if scenario.kind not in ("page", "whole"):
            continue
        uri = data.thread_uri(scenario.size)
        expected = dataset.thread_counts[dataset.thread_id(uri) - 1]
        if scenario.kind == "page":
            expected = data.page_size(dataset, uri)
        sent = sc.isso_comment_count(isso_url, scenario)
        if sent != expected:
            raise RuntimeError(f"Isso sends {sent} comments for {scenario.key}, we {expected}")


def run_hello(bench: Bench) -> None:
    options = bench.options
    for workers in options.workers:
        port = servers.free_port()
        gunicorn = Path(sys.executable).parent / "gunicorn"
        server = servers.Server(
            name=f"hello-w{workers}",
            argv=servers.gunicorn_argv(gunicorn, "bench.apps:hello", port, workers),
            env=dict(os.environ),
            cwd=ROOT,
            port=port,
            log=options.out / "logs" / f"hello-w{workers}.log",
        )
        with servers.running(server, workers):
            bench.measure(
                server,
                "hello",
                sc.HELLO,
                load.Request("/"),
                engine="-",
                database="-",
                cache="-",
                workers=workers,
            )


# --- databases ----------------------------------------------------------------------------------


def prepare(
    bench: Bench, engine: str, label: str, dataset: data.Dataset, verify: Sequence[str]
) -> store.Database:
    db = store.database(engine, label, bench.options.out)
    instance = bench.options.out / f"instance-{engine}"
    bench.log(f"loading {dataset.comment_total:,} comments into {engine} ({label})")
    seconds = store.load(db, dataset, instance)
    bench.facts[f"load_{engine}_{label}_s"] = seconds
    bench.log(f"  loaded in {seconds:.1f} s; checking threads through the API")
    store.verify(db, dataset, verify, instance)
    return db


def timed(bench: Bench, what: str, build: Callable[[], data.Dataset]) -> data.Dataset:
    started = time.perf_counter()
    dataset = build()
    bench.facts[f"generate_{what}_s"] = time.perf_counter() - started
    return dataset


def run(options: Options) -> None:
    bench = Bench(options)
    bench.facts.update(report.environment(options.out))
    bench.facts["command"] = options.command
    bench.facts["options"] = {
        "engines": options.engines,
        "workers": options.workers,
        "sizes": options.sizes,
        "wrk": dataclasses.asdict(options.wrk),
        "big": options.big,
        "big_comments": options.big_comments,
        "big_threads": options.big_threads,
        "seed": options.seed,
        "nice": options.nice if os.geteuid() == 0 or options.nice > 0 else 0,
        "quiet_wait": options.quiet_wait,
    }
    options.out.mkdir(parents=True, exist_ok=True)
    checked = store.check_tree_rules(options.out)
    bench.log(f"tree columns match the real service on {checked} posted comments")
    small = timed(bench, "small", lambda: data.build(data.small_plan(), options.seed))
    bench.facts["small_comments"] = small.comment_total
    bench.facts["small_threads"] = len(small.thread_plans)
    reads = sc.reads(options.sizes)
    ours_small = [*reads, sc.COUNTS, sc.VOTE, sc.POST]
    verify = [data.thread_uri(n) for n in options.sizes] + [data.VOTE_URI]

    bench.log("hello-world ceiling")
    run_hello(bench)
    for engine in options.engines:
        db = prepare(bench, engine, "small", small, verify)
        run_ours(bench, db, small, ours_small, reads if options.uncached else [])
    if options.isso:
        run_isso(bench, small, [*reads, sc.COUNTS, sc.VOTE, sc.POST])
    if options.big:
        big = timed(
            bench,
            "big",
            lambda: data.build(
                data.big_plan(options.big_comments, options.big_threads), options.seed
            ),
        )
        bench.facts["big_comments"] = big.comment_total
        bench.facts["big_threads"] = len(big.thread_plans)
        size = 1_000 if 1_000 in options.sizes else options.sizes[-1]
        big_reads = [Scenario("page", size), Scenario("whole", size)]
        for engine in options.engines:
            db = prepare(bench, engine, "big", big, [data.thread_uri(size), data.VOTE_URI])
            run_ours(
                bench,
                db,
                big,
                [*big_reads, sc.COUNTS, sc.POST],
                big_reads if options.uncached else [],
            )
            if engine == "postgresql":
                bench.facts["pg_big_size"] = store.pg_size(db)
            else:
                bench.facts["sqlite_big_size"] = db.sqlite_path.stat().st_size
    bench.facts["wall_s"] = time.monotonic() - bench.started
    bench.save()
    report.write(options.out / "results.json", options.results_md, options.results_png)
    bench.log(f"done in {bench.facts['wall_s'] / 60:.1f} min: {options.results_md}")


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    if options.report_only:
        report.write(options.out / "results.json", options.results_md, options.results_png)
        return 0
    servers.install_signal_handlers()
    servers.PRIORITY["nice"] = options.nice
    try:
        run(options)
    except KeyboardInterrupt:
        print("\ninterrupted: stopping every server and wrk we started", file=sys.stderr)
        return 130
    finally:
        servers.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
