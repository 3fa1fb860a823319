"""`comments import ...` and `comments export`: through the CLI objects, and as the real
executable (without a terminal, and on a pseudo-terminal for the progress bar)."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import subprocess
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner

import comments.porting
from comments import cli_data
from comments.models import Comment, Thread
from comments.porting import jsonl
from comments.porting.records import Record
from tests.factories import make_site
from tests.porting.helpers import by_key, comment, count, thread
from tests.support import cli_env, comments_executable

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "sample-export.jsonl"
BAD = DATA / "bad-lines.jsonl"


def summary(threads: tuple[int, int], comments: tuple[int, int, int]) -> str:
    return (
        f"Threads: {threads[0]} created, {threads[1]} already there. "
        f"Comments: {comments[0]} added, {comments[1]} already there, {comments[2]} skipped."
    )


@pytest.fixture
def sites(app: Flask) -> None:
    make_site(app, "news")
    make_site(app, "copy")


def invoke(runner: FlaskCliRunner, *args: str) -> Result:
    result = runner.invoke(args=list(args))
    assert "Traceback" not in result.output, result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def refused(result: Result, message: str) -> None:
    """A clean refusal: exit status 1 and Click's `Error: ...` on standard error."""
    assert result.exit_code == 1, result.output
    assert f"Error: {message}" in result.stderr, result.stderr


# --- import json -------------------------------------------------------------------------------


def test_import_prints_the_summary_and_each_problem_with_its_location(
    app: Flask, runner: FlaskCliRunner, sites: None
) -> None:
    result = invoke(runner, "import", "json", str(BAD), "--site", "news")
    assert result.exit_code == 0, result.output
    assert result.stdout == summary((1, 0), (2, 0, 4)) + "\n"
    assert result.stderr.splitlines() == [
        "bad-lines.jsonl:4: not valid JSON: Expecting value (column 51)",
        "bad-lines.jsonl:5: unknown status 'published'",
        "bad-lines.jsonl:6: thread '/nowhere' is not in the file; skipped",
        "bad-lines.jsonl:8: \"created_at\" has no time zone (use Z for UTC): '2026-11-20 08:05:00'",
        "bad-lines.jsonl:7: parent missing-parent is not in the file; imported at top level",
    ]
    assert set(by_key(app)) == {"comments:5d41402abc4b2a76:1", "x3"}


def test_import_again_adds_nothing_and_a_dry_run_writes_nothing(
    app: Flask, runner: FlaskCliRunner, sites: None
) -> None:
    dry = invoke(runner, "import", "json", str(SAMPLE), "--site", "news", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.stdout == summary((2, 0), (6, 0, 0)) + "\n(dry run: nothing was written)\n"
    assert count(app, Thread) == count(app, Comment) == 0

    first = invoke(runner, "import", "json", str(SAMPLE), "--site", "news")
    assert first.stdout == summary((2, 0), (6, 0, 0)) + "\n"
    assert first.stderr == ""
    again = invoke(runner, "import", "json", str(SAMPLE), "--site", "news")
    assert again.stdout == summary((0, 2), (0, 6, 0)) + "\n"
    dry_again = invoke(runner, "import", "json", str(SAMPLE), "--site", "news", "--dry-run")
    assert dry_again.stdout == summary((0, 2), (0, 6, 0)) + "\n(dry run: nothing was written)\n"
    assert count(app, Comment) == 6


def test_an_unknown_site_is_refused(runner: FlaskCliRunner, sites: None) -> None:
    refused(invoke(runner, "import", "json", str(SAMPLE), "--site", "nope"), "There is no site")
    refused(invoke(runner, "export", "--site", "nope"), "There is no site 'nope'.")


def test_a_file_that_cannot_be_read_is_refused(
    runner: FlaskCliRunner, sites: None, tmp_path: Path
) -> None:
    missing = tmp_path / "missing.jsonl"
    refused(
        invoke(runner, "import", "json", str(missing), "--site", "news"),
        f"cannot read {missing}: No such file or directory.",
    )
    refused(
        invoke(runner, "import", "json", str(tmp_path), "--site", "news"),
        f"{tmp_path} is a folder, not a file.",
    )
    refused(
        invoke(runner, "import", "isso", str(missing), "--site", "news"),
        f"cannot read {missing}: it does not exist.",
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00H\x00H\x00\x00\xff\xdb",
            "photo.jpg is not a comments export: its first line is not the export header.",
        ),
        (b"", "photo.jpg is not a comments export: it is empty."),
        (
            b'{"format": "comments-export", "version": 2}\n{"type": "thread", "key": "/a"}\n',
            "photo.jpg is in export format version 2; this version of comments reads version 1."
            " Upgrade comments to import it.",
        ),
    ],
)
def test_a_file_in_another_format_is_refused_before_anything_is_written(
    app: Flask, runner: FlaskCliRunner, sites: None, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(content)
    result = invoke(runner, "import", "json", str(path), "--site", "news")
    refused(result, message)
    assert result.stdout == ""
    assert count(app, Thread) == 0


def test_a_source_that_breaks_off_imports_what_was_read_and_fails(
    app: Flask, runner: FlaskCliRunner, sites: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def truncated(source: BinaryIO, name: str) -> Iterator[Record]:
        yield thread("t", "/a")
        yield comment("c1", thread="t")
        raise ValueError(f"{name}: unexpected end of data at line 3.")

    monkeypatch.setattr(jsonl, "read", truncated)
    result = invoke(runner, "import", "json", str(SAMPLE), "--site", "news")
    refused(result, "reading stopped early: sample-export.jsonl: unexpected end of data")
    assert "run the import again once the file is repaired" in result.stderr
    assert result.stdout == summary((1, 0), (1, 0, 0)) + "\n"
    assert set(by_key(app)) == {"c1"}


def test_a_progress_bar_is_drawn_on_a_terminal(
    app: Flask, runner: FlaskCliRunner, sites: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_data, "_stderr_is_terminal", lambda: True)
    result = invoke(runner, "import", "json", str(SAMPLE), "--site", "news")
    assert result.exit_code == 0, result.output
    assert "Importing" in result.stderr
    assert result.stdout == summary((2, 0), (6, 0, 0)) + "\n"


def test_without_a_terminal_there_is_no_progress_output(
    runner: FlaskCliRunner, sites: None
) -> None:
    result = invoke(runner, "import", "json", str(SAMPLE), "--site", "news")
    assert result.stderr == ""


def fake_reader_module(monkeypatch: pytest.MonkeyPatch, name: str, **functions: Any) -> None:
    module = types.ModuleType(f"comments.porting.{name}")
    for attribute, function in functions.items():
        setattr(module, attribute, function)
    monkeypatch.setitem(__import__("sys").modules, module.__name__, module)
    monkeypatch.setattr(comments.porting, name, module, raising=False)


@pytest.mark.parametrize("kind", ["disqus", "wordpress"])
def test_the_xml_imports_give_their_reader_the_file_and_its_name(
    app: Flask,
    runner: FlaskCliRunner,
    sites: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    kind: str,
) -> None:
    seen: list[tuple[bytes, str]] = []

    def read(source: BinaryIO, name: str) -> Iterator[Record]:
        seen.append((source.read(), name))
        yield thread("t", "/a")
        yield comment(f"{kind}:1", thread="t", body="<p>Hi</p>", body_format="html")

    fake_reader_module(monkeypatch, kind, read=read)
    path = tmp_path / "export.xml"
    path.write_bytes(b"<xml/>")
    monkeypatch.setattr(cli_data, "_stderr_is_terminal", lambda: True)
    result = invoke(runner, "import", kind, str(path), "--site", "news")
    assert result.exit_code == 0, result.output
    assert seen == [(b"<xml/>", "export.xml")]
    assert result.stdout == summary((1, 0), (1, 0, 0)) + "\n"
    assert by_key(app)[f"{kind}:1"].html == "<p>Hi</p>"


def test_the_isso_import_counts_records_on_a_terminal(
    app: Flask,
    runner: FlaskCliRunner,
    sites: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    database = tmp_path / "comments.db"
    database.write_bytes(b"")
    seen: list[Path] = []

    def read(path: Path) -> Iterator[Record]:
        seen.append(path)
        yield thread("1", "/a")
        yield from (comment(f"isso:{i}", thread="1") for i in range(250))

    fake_reader_module(monkeypatch, "isso", read=read)
    monkeypatch.setattr(cli_data, "_stderr_is_terminal", lambda: True)
    result = invoke(runner, "import", "isso", str(database), "--site", "news")
    assert result.exit_code == 0, result.output
    assert seen == [database]
    assert "Read 200 records" in result.stderr
    assert result.stdout == summary((1, 0), (250, 0, 0)) + "\n"


def test_the_counting_reader_counts_what_was_read(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"line one\nline two\n" * 1000)
    counter = cli_data.CountingReader(path.open("rb", buffering=0))
    with io.BufferedReader(counter, buffer_size=1024) as source:
        assert source.readline() == b"line one\n"
        assert 0 < counter.count <= 1024
        assert len(source.read()) == 18_000 - 9
        assert counter.count == 18_000


# --- export ------------------------------------------------------------------------------------


def test_export_writes_to_standard_output_or_a_file(
    app: Flask, runner: FlaskCliRunner, sites: None, tmp_path: Path
) -> None:
    invoke(runner, "import", "json", str(SAMPLE), "--site", "news")
    result = invoke(runner, "export", "--site", "news")
    assert result.exit_code == 0, result.output
    assert result.stderr == "Exported 2 threads and 6 comments of news.\n"
    lines = [json.loads(line) for line in result.stdout_bytes.splitlines()]
    assert lines[0]["format"] == "comments-export" and lines[0]["site"]["slug"] == "news"
    assert [line["type"] for line in lines[1:]] == ["thread"] * 2 + ["comment"] * 6

    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "news.jsonl"
    to_file = invoke(runner, "export", "--site", "news", "--output", str(target))
    assert to_file.exit_code == 0 and to_file.stdout == ""
    written = target.read_bytes().splitlines()
    assert written[1:] == result.stdout_bytes.splitlines()[1:]
    assert [p.name for p in target.parent.iterdir()] == ["news.jsonl"]  # no partial file

    # And the export imports into another site as it was.
    copied = invoke(runner, "import", "json", str(target), "--site", "copy")
    assert copied.stdout == summary((2, 0), (6, 0, 0)) + "\n"
    assert copied.stderr == ""


def test_export_to_a_place_that_cannot_be_written_is_refused(
    runner: FlaskCliRunner, sites: None, tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "news.jsonl"
    result = invoke(runner, "export", "--site", "news", "--output", str(target))
    refused(result, f"cannot write {target}: No such file or directory.")
    assert not (tmp_path / "missing").exists()


# --- the real executable -----------------------------------------------------------------------


def run_cli(tmp_path: Path, database_url: str, *args: str, **options: Any) -> Any:
    return subprocess.run(
        [comments_executable(), *args],
        env=cli_env(tmp_path, database_url),
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
        check=False,
        **options,
    )


def test_export_and_import_through_the_executable(
    app: Flask, sites: None, tmp_path: Path, database_url: str
) -> None:
    imported = run_cli(tmp_path, database_url, "import", "json", str(SAMPLE), "--site", "news")
    assert imported.returncode == 0, imported.stderr
    exported = run_cli(tmp_path, database_url, "export", "--site", "news")
    assert exported.returncode == 0, exported.stderr
    path = tmp_path / "news.jsonl"
    path.write_bytes(exported.stdout)
    copied = run_cli(tmp_path, database_url, "import", "json", str(path), "--site", "copy")
    assert copied.returncode == 0, copied.stderr
    assert copied.stdout.decode() == summary((2, 0), (6, 0, 0)) + "\n"
    # Standard error is no terminal here: no progress bar, no carriage returns.
    assert copied.stderr == b""
    broken = run_cli(tmp_path, database_url, "import", "json", "/etc/hostname", "--site", "copy")
    assert broken.returncode == 1
    assert b"is not a comments export" in broken.stderr and b"Traceback" not in broken.stderr


def test_the_progress_bar_on_a_real_terminal(
    app: Flask, sites: None, tmp_path: Path, database_url: str
) -> None:
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [comments_executable(), "import", "json", str(SAMPLE), "--site", "news"],
            env={**cli_env(tmp_path, database_url), "TERM": "xterm", "COLUMNS": "80"},
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=terminal,
        )
        os.close(terminal)
        drawn = b""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(controller, 4096)
                except OSError:  # the terminal closed with the process
                    break
                if not chunk:
                    break
                drawn += chunk
            elif process.poll() is not None:
                break
        stdout, _ = process.communicate(timeout=60)
    finally:
        os.close(controller)
    assert process.returncode == 0, drawn
    assert b"Importing" in drawn and b"100%" in drawn, drawn
    assert b"Traceback" not in drawn
    assert stdout.decode() == summary((2, 0), (6, 0, 0)) + "\n"
