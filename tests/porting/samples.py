"""The sample export files in tests/porting/data, and what the tests need to use them."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

import pytest

from comments.porting.records import Record
from comments.porting.xmlstream import SourceError

DATA = Path(__file__).parent / "data"
DISQUS_SAMPLE = DATA / "disqus-sample.xml"
WORDPRESS_SAMPLE = DATA / "wordpress-sample.xml"
ISSO_SAMPLE_SQL = DATA / "isso-sample.sql"

# An entity-expansion bomb ("billion laughs"): ten levels of ten, 10**9 "lol"s if expanded.
ENTITY_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE %(root)s [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
"""

# An external entity (XXE) naming a local file: reading it would leak the file's contents.
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE %(root)s [
  <!ENTITY secret SYSTEM "%(url)s">
]>
"""


def line_of(path: Path, needle: str, after: str = "") -> int:
    """The 1-based number of the first line of ``path`` holding ``needle`` (after ``after``)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines) if i >= start and needle in line) + 1


def build_isso_database(path: Path, sql: Path = ISSO_SAMPLE_SQL) -> Path:
    """An Isso SQLite database at ``path`` made from the SQL text of ``sql``."""
    conn = sqlite3.connect(path)
    try:
        conn.executescript(sql.read_text(encoding="utf-8"))
        conn.commit()
    finally:
        conn.close()
    return path


def read_until_stopped(stream: Iterable[Record]) -> tuple[list[Record], SourceError]:
    """The records a reader yields before it raises SourceError, and the error."""
    records: list[Record] = []
    with pytest.raises(SourceError) as caught:
        for record in stream:
            records.append(record)
    return records, caught.value
