"""The import commands with the real Disqus, WordPress and Isso readers and their samples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from comments.models import Comment
from tests.porting.helpers import count, problems_in_database
from tests.porting.samples import DISQUS_SAMPLE, WORDPRESS_SAMPLE, build_isso_database
from tests.porting.test_cli_data import SAMPLE, invoke, refused, sites

__all__ = ["sites"]  # the fixture


def real_source(kind: str, tmp_path: Path) -> Path:
    if kind == "isso":
        return build_isso_database(tmp_path / "comments.db")
    return {"disqus": DISQUS_SAMPLE, "wordpress": WORDPRESS_SAMPLE, "json": SAMPLE}[kind]


PROBLEM_LINE = re.compile(r"^[\w.-]+:[\w#]+: \S.*$")
SUMMARY_RE = re.compile(
    r"^Threads: (\d+) created, (\d+) already there\. "
    r"Comments: (\d+) added, (\d+) already there, (\d+) skipped\.$"
)


@pytest.mark.parametrize("kind", ["disqus", "wordpress", "isso", "json"])
def test_each_import_with_its_real_reader_is_idempotent(
    app: Flask, runner: FlaskCliRunner, sites: None, tmp_path: Path, kind: str
) -> None:
    source = str(real_source(kind, tmp_path))
    first = invoke(runner, "import", kind, source, "--site", "news")
    assert first.exit_code == 0, first.output
    created, _, added, existing, skipped = map(int, SUMMARY_RE.match(first.stdout).groups())
    assert created > 0 and added > 0 and existing == 0
    assert all(PROBLEM_LINE.match(line) for line in first.stderr.splitlines()), first.stderr
    assert problems_in_database(app) == []
    again = invoke(runner, "import", kind, source, "--site", "news")
    created, _, added_again, existing, skipped_again = map(
        int, SUMMARY_RE.match(again.stdout).groups()
    )
    assert (created, added_again, existing, skipped_again) == (0, 0, added, skipped)
    assert problems_in_database(app) == []


@pytest.mark.parametrize("kind", ["disqus", "wordpress", "isso", "json"])
def test_each_import_refuses_a_file_of_another_kind_cleanly(
    app: Flask, runner: FlaskCliRunner, sites: None, tmp_path: Path, kind: str
) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00" + bytes(range(256)))
    result = invoke(runner, "import", kind, str(photo), "--site", "news")
    refused(result, "photo.jpg")
    assert count(app, Comment) == 0
