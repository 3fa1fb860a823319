"""Driving load with wrk and reading its report.

wrk's --latency report gives the 50/75/90/99th percentiles; "Non-2xx or 3xx responses"
counts responses with a status of 400 or more. Scripts for POST bodies live in bench/lua/.
"""

from __future__ import annotations

import dataclasses
import os
import re
import resource
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from bench import servers

LUA_DIR = Path(__file__).resolve().parent / "lua"
WRK = "wrk"


@dataclasses.dataclass(frozen=True)
class WrkSettings:
    threads: int = 2
    connections: int = 16
    duration: float = 8.0
    warmup: float = 2.0
    timeout: float = 60.0


@dataclasses.dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    errors: int  # responses with status >= 400
    socket_errors: int  # connect, read, write errors and timeouts
    timeouts: int
    bytes_read: float
    foreign_cpu: float = 0.0  # share of the machine other processes used during the run
    server_cpu_s: float = 0.0  # CPU the server (and its PostgreSQL backends) used for them
    served: int = 0  # responses plus the requests still in flight when wrk stopped
    raw: str = ""

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.server_cpu_s / self.served if self.served else float("nan")

    @property
    def failed(self) -> bool:
        return self.errors > 0 or self.socket_errors > 0


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_BYTES = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"cannot read a wrk duration from {text!r}")
    return float(match[1]) * _UNITS_MS[match[2]]


def parse(output: str) -> WrkResult:
    """Read wrk's report (run with --latency)."""
    percentiles = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.MULTILINE))
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m), ([\d.]+)(B|KB|MB|GB) read", output)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not done or not rps:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    counts = [int(x) for x in socket.groups()] if socket else [0, 0, 0, 0]

    def pct(key: str) -> float:
        return _ms(percentiles[key]) if key in percentiles else float("nan")

    return WrkResult(
        requests=int(done[1]),
        seconds=_ms(done[2] + done[3]) / 1000,
        rps=float(rps[1]),
        p50_ms=pct("50"),
        p75_ms=pct("75"),
        p90_ms=pct("90"),
        p99_ms=pct("99"),
        errors=int(non2xx[1]) if non2xx else 0,
        socket_errors=sum(counts),
        timeouts=counts[3],
        bytes_read=float(done[4]) * _BYTES[done[5]],
        raw=output,
    )


@dataclasses.dataclass(frozen=True)
class Request:
    """What wrk sends: a URL, and optionally a Lua script with its arguments."""

    path: str
    script: str | None = None
    args: tuple[str, ...] = ()

    def argv(self, base_url: str, settings: WrkSettings, seconds: float) -> list[str]:
        argv = [
            WRK,
            f"--threads={settings.threads}",
            f"--connections={settings.connections}",
            f"--duration={max(1, round(seconds))}s",
            f"--timeout={round(settings.timeout)}s",
            "--latency",
        ]
        if self.script:
            argv += ["--script", str(LUA_DIR / self.script)]
        argv.append(base_url + self.path)
        if self.args:
            argv += ["--", *self.args]
        return argv


def _busy_ticks() -> int:
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in fields]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values[:8]) - idle


def machine_busy(seconds: float = 1.0) -> float:
    """Share of all cores busy over ``seconds`` (0..1)."""
    before = _busy_ticks()
    time.sleep(seconds)
    used = _busy_ticks() - before
    return used / (servers.CLOCK_TICKS * seconds * (os.cpu_count() or 1))


def wait_for_quiet(limit: float, max_wait: float) -> float:
    """Wait (up to ``max_wait`` s) until other processes use less than ``limit`` of the machine.

    Returns the last reading.
    """
    deadline = time.monotonic() + max_wait
    busy = machine_busy()
    while busy > limit and time.monotonic() < deadline:
        busy = machine_busy(2.0)
    return busy


def run(
    request: Request,
    base_url: str,
    settings: WrkSettings,
    seconds: float,
    server_pids: Sequence[int] = (),
) -> WrkResult:
    """One wrk run. Also measures how much CPU processes other than wrk and ``server_pids``
    used meanwhile.
    """
    argv = request.argv(base_url, settings, seconds)
    ours_before = servers.cpu_ticks(server_pids)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy_before = _busy_ticks()
    started = time.monotonic()
    process = servers.track(
        subprocess.Popen(
            servers.niced(argv),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    )
    try:
        output, _ = process.communicate(timeout=seconds + settings.timeout + 30)
    finally:
        servers.terminate(process, grace=2.0)
    elapsed = time.monotonic() - started
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_ticks = (
        children_after.ru_utime
        + children_after.ru_stime
        - children_before.ru_utime
        - children_before.ru_stime
    ) * servers.CLOCK_TICKS
    ours = servers.cpu_ticks(server_pids) - ours_before + wrk_ticks
    busy = _busy_ticks() - busy_before
    text = output.decode("utf-8", "replace")
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed ({process.returncode}): {' '.join(argv)}\n{text}")
    result = parse(text)
    capacity = servers.CLOCK_TICKS * elapsed * (os.cpu_count() or 1)
    result.foreign_cpu = max(0.0, (busy - ours) / capacity)
    return result
