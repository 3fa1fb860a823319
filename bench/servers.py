"""Servers under test: start in their own process group on 127.0.0.1, wait, measure, stop.

Every process the harness starts is registered here; ``stop_all`` (run on exit, on errors
and on Ctrl-C or SIGTERM) ends each of them, and only them, by its own process group.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType

HOST = "127.0.0.1"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
BENCH_DATABASES = "comments_bench"  # PostgreSQL backends serving these are the server's work
_started: list[subprocess.Popen[bytes]] = []
# Scheduling priority for everything we start (servers and wrk alike): the machine is shared,
# and a higher priority keeps other work from eating into the measurement. 0 leaves it alone.
PRIORITY = {"nice": 0}


def niced(argv: Sequence[str]) -> list[str]:
    """``argv`` run at the configured priority (raising it needs root)."""
    nice = PRIORITY["nice"]
    if nice == 0 or (nice < 0 and os.geteuid() != 0):
        return list(argv)
    return ["nice", "-n", str(nice), *argv]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def spawn(
    argv: Sequence[str], *, env: Mapping[str, str], cwd: Path, log: Path
) -> subprocess.Popen[bytes]:
    """Start a process in a new session (its own process group), output to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(
            niced(argv),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return track(process)


def track(process: subprocess.Popen[bytes]) -> subprocess.Popen[bytes]:
    """Register a process started in its own session, to be ended by ``stop_all``."""
    _started.append(process)
    return process


def terminate(process: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    """SIGTERM the process (gunicorn stops its workers), then SIGKILL its group if needed."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(grace)
    # Whatever is left in the group we created (workers of a killed master) goes too.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(5)
    if process in _started:
        _started.remove(process)


def stop_all() -> None:
    for process in list(reversed(_started)):
        terminate(process, grace=5.0)


def install_signal_handlers() -> None:
    """Turn SIGTERM and SIGHUP into KeyboardInterrupt, so ``finally`` blocks clean up."""

    def interrupt(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)


# --- memory -------------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclasses.dataclass(frozen=True)
class Memory:
    """Per gunicorn worker: resident set (shared pages counted in full) and proportional set."""

    rss_mb: list[float]
    pss_mb: list[float]

    @property
    def max_rss_mb(self) -> float:
        return max(self.rss_mb, default=0.0)

    @property
    def mean_pss_mb(self) -> float:
        return sum(self.pss_mb) / len(self.pss_mb) if self.pss_mb else 0.0


def database_backends(name_prefix: str) -> list[int]:
    """PostgreSQL backend processes serving databases whose name starts with ``name_prefix``.

    Only read (their CPU time is the server's work for us), never signalled.
    """
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres: ") and f" {name_prefix}" in title:
            found.append(int(entry.name))
    return found


def cpu_ticks(pids: Sequence[int]) -> int:
    """utime + stime of the given processes, in clock ticks."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total


# --- a server -----------------------------------------------------------------------------------


@dataclasses.dataclass
class Server:
    """A gunicorn master we started, with its workers."""

    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    port: int
    log: Path
    ready_path: str = "/"
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, workers: int, timeout: float = 90.0) -> None:
        self.process = spawn(self.argv, env=self.env, cwd=self.cwd, log=self.log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start; see {self.log}")
            if len(self.workers()) >= workers and self._answers():
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s; see {self.log}")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.base_url + self.ready_path, timeout=10) as response:
                return bool(200 <= response.status < 300)
        except (urllib.error.URLError, OSError):
            return False

    def workers(self) -> list[int]:
        return children(self.process.pid) if self.process else []

    def pids(self) -> list[int]:
        return ([self.process.pid] if self.process else []) + self.workers()

    def cpu_pids(self) -> list[int]:
        """Processes whose CPU time is this server's work: master, workers, database backends."""
        return self.pids() + database_backends(BENCH_DATABASES)

    def memory(self) -> Memory:
        pids = self.workers()
        rss = [_status_kb(pid, "VmRSS") / 1024 for pid in pids]
        pss = [_pss_kb(pid) / 1024 for pid in pids]
        return Memory(rss, pss)

    def wait_idle(self, max_wait: float = 180.0) -> float:
        """Wait until the workers stop using CPU (requests queued by a finished run are done).

        Returns the seconds waited.
        """
        started = time.monotonic()
        while time.monotonic() - started < max_wait:
            before = cpu_ticks(self.workers())
            time.sleep(0.5)
            if cpu_ticks(self.workers()) - before <= 2:
                break
        return time.monotonic() - started

    def stop(self) -> None:
        if self.process is not None:
            terminate(self.process)
            self.process = None


@contextlib.contextmanager
def running(server: Server, workers: int) -> Iterator[Server]:
    try:
        server.start(workers)
        yield server
    finally:
        server.stop()


def gunicorn_argv(gunicorn: Path, app: str, port: int, workers: int) -> list[str]:
    """The flags `comments run` gives gunicorn, for servers started from gunicorn's CLI."""
    return [
        str(gunicorn),
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        "--no-control-socket",
        app,
    ]
