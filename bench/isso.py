"""Isso 0.14 as the baseline: its own virtual environment, config, database and server.

Isso is installed from PyPI into bench/out/isso-venv together with the same gunicorn version
as ours. Its schema is created by Isso's own code; the benchmark data is then written into it
directly. Isso keeps one level of nesting (a reply to a reply is stored under the top-level
comment, as its /new endpoint does), so each comment's parent there is its top-level ancestor.
Only SQLite is supported by Isso.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from bench import data as d
from bench import servers

ISSO_VERSION = "0.14.0"
AUTHOR_ADDRESS = "203.0.113.0"  # Isso stores addresses anonymised to /24

_SCHEMA = """
import sys
from isso import config
from isso.db import SQLite3
from isso.utils import Bloomfilter
conf = config.load(config.default_file(), sys.argv[1])
SQLite3(sys.argv[2], conf)
print(bytes(Bloomfilter(iterable=[sys.argv[3]]).array).hex())
"""


def venv_dir(out_dir: Path) -> Path:
    return out_dir / "isso-venv"


def ensure_venv(out_dir: Path) -> Path:
    """Create the venv with isso==0.14.0 and our gunicorn version, unless it is there."""
    venv = venv_dir(out_dir)
    gunicorn = metadata.version("gunicorn")
    marker = venv / "bench-installed.txt"
    wanted = f"isso=={ISSO_VERSION} gunicorn=={gunicorn}"
    if marker.exists() and marker.read_text() == wanted:
        return venv
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", *wanted.split()],
        check=True,
    )
    marker.write_text(wanted)
    return venv


def version(out_dir: Path, package: str) -> str:
    python = venv_dir(out_dir) / "bin" / "python"
    code = f"from importlib.metadata import version; print(version({package!r}))"
    return subprocess.run(
        [str(python), "-c", code], check=True, capture_output=True, text=True
    ).stdout.strip()


def write_config(out_dir: Path, port: int) -> Path:
    path = out_dir / "isso.cfg"
    path.write_text(
        f"""[general]
dbpath = {out_dir / "isso.db"}
host = http://127.0.0.1:{port}/
notify = stdout

[moderation]
enabled = false

[guard]
enabled = false

[server]
listen = http://127.0.0.1:{port}/
trusted-proxies = 127.0.0.1

[admin]
enabled = false
"""
    )
    return path


def load(out_dir: Path, config: Path, data: d.Dataset) -> None:
    """A fresh Isso database holding ``data``."""
    db_path = out_dir / "isso.db"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    python = venv_dir(out_dir) / "bin" / "python"
    voters = bytes.fromhex(
        subprocess.run(
            [str(python), "-c", _SCHEMA, str(config), str(db_path), AUTHOR_ADDRESS],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    conn = sqlite3.connect(db_path)
    try:
        with conn:
            conn.executemany(
                "INSERT INTO threads (id, uri, title) VALUES (?, ?, ?)",
                [(i, p.uri, p.title) for i, p in enumerate(data.thread_plans, start=1)],
            )
            conn.executemany(
                "INSERT INTO comments (tid, id, parent, created, modified, mode, remote_addr, "
                "text, author, email, website, likes, dislikes, voters, notification) "
                "VALUES (?, ?, ?, ?, NULL, 1, ?, ?, ?, ?, NULL, 0, 0, ?, 0)",
                (
                    (
                        data.c_thread[i],
                        i + 1,
                        None if data.c_parent[i] is None else data.c_root[i],
                        data.c_time[i],
                        AUTHOR_ADDRESS,
                        data.bodies[data.c_body[i]],
                        data.authors[data.c_author[i]].name,
                        data.authors[data.c_author[i]].email or None,
                        voters,
                    )
                    for i in range(data.comment_total)
                ),
            )
    finally:
        conn.close()


def server(out_dir: Path, config: Path, port: int, workers: int) -> servers.Server:
    venv = venv_dir(out_dir)
    return servers.Server(
        name=f"isso-w{workers}",
        argv=servers.gunicorn_argv(
            venv / "bin" / "gunicorn", "isso.run:application", port, workers
        ),
        env={"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "ISSO_SETTINGS": str(config)},
        cwd=out_dir,
        port=port,
        log=out_dir / "logs" / f"isso-w{workers}.log",
        ready_path=f"/?uri={d.thread_uri(d.THREAD_SIZES[0])}",
    )
