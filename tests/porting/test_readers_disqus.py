"""The Disqus reader: records, locations and statuses from a realistic export, and its limits."""

from __future__ import annotations

import io
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from comments.models import CommentStatus
from comments.porting import disqus
from comments.porting.records import BadRecord, CommentRecord, Record, ThreadRecord
from tests.porting.samples import (
    DISQUS_SAMPLE,
    ENTITY_BOMB,
    EXTERNAL_ENTITY,
    line_of,
    read_until_stopped,
)

NAME = "disqus-sample.xml"
HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">\n'
)


def read_sample() -> list[Record]:
    with DISQUS_SAMPLE.open("rb") as source:
        return list(disqus.read(source, NAME))


def read_text(text: str, name: str = "export.xml") -> list[Record]:
    return list(disqus.read(io.BytesIO(text.encode()), name))


def threads(records: list[Record]) -> dict[str, ThreadRecord]:
    return {r.source_id: r for r in records if isinstance(r, ThreadRecord)}


def comments(records: list[Record]) -> dict[str, CommentRecord]:
    return {r.source_key: r for r in records if isinstance(r, CommentRecord)}


def bad(records: list[Record]) -> list[BadRecord]:
    return [r for r in records if isinstance(r, BadRecord)]


def at(needle: str, after: str = "") -> str:
    return f"{NAME}:{line_of(DISQUS_SAMPLE, needle, after)}"


def test_threads_are_keyed_by_the_path_of_their_link() -> None:
    found = threads(read_sample())

    assert found == {
        "5001": ThreadRecord(
            source_id="5001",
            key="/2019/05/hello-world/",
            location=at('<thread dsq:id="5001">'),
            title="Hello, world",
            url="https://blog.example.com/2019/05/hello-world/?utm_source=feed#disqus_thread",
            created_at=datetime(2019, 5, 1, 9, 0, tzinfo=UTC),
        ),
        # Non-ASCII in the path is percent-encoded, as location.pathname reports it.
        "5002": ThreadRecord(
            source_id="5002",
            key="/2019/06/caf%C3%A9-cr%C3%A8me/",
            location=at('<thread dsq:id="5002">'),
            title="Café & crème",
            url="https://blog.example.com/2019/06/café-crème/",
            locked=True,
            created_at=datetime(2019, 6, 1, 10, 0, tzinfo=UTC),
        ),
        # A second Disqus thread for the same page gets the same key.
        "5004": ThreadRecord(
            source_id="5004",
            key="/2019/05/hello-world/",
            location=at('<thread dsq:id="5004">'),
            title="Hello, world",
            url="http://blog.example.com/2019/05/hello-world/",
            created_at=datetime(2019, 5, 3, 12, 0, tzinfo=UTC),
        ),
        "5005": ThreadRecord(
            source_id="5005",
            key="/2018/01/old-news/",
            location=at('<thread dsq:id="5005">'),
            title="Old news",
            url="https://blog.example.com/2018/01/old-news/",
            created_at=datetime(2018, 1, 1, 8, 0, tzinfo=UTC),
        ),
    }


def test_unusable_threads_are_reported_where_they_are() -> None:
    problems = {r.location: r.problem for r in bad(read_sample())}

    assert problems[at('<thread dsq:id="5003">')] == (
        "thread 5003 has no usable <link> to tell which page it belongs to"
    )
    first = line_of(DISQUS_SAMPLE, '<thread dsq:id="5001">')
    duplicate = at('<thread dsq:id="5001">', after="The same dsq:id twice")
    assert problems[duplicate] == f"duplicate thread dsq:id '5001' (first at line {first})"
    assert problems[at('<thread dsq:id="">')] == "thread without a dsq:id attribute"


def test_posts_carry_thread_parent_author_time_and_location() -> None:
    found = comments(read_sample())

    assert found["disqus:9002"] == CommentRecord(
        source_key="disqus:9002",
        thread_source_id="5001",
        location=at('<post dsq:id="9002">'),
        body=(
            '<p>Second level, with a <a href="https://example.org/ref" rel="nofollow noopener"'
            ' title="ref">reference</a>.</p>'
        ),
        body_format="html",
        created_at=datetime(2019, 5, 1, 11, 0, tzinfo=UTC),
        status=CommentStatus.APPROVED,
        parent_source_key="disqus:9001",
        author_name="Zoë Ångström",
        author_email="",  # <email/>
    )
    assert found["disqus:9001"].author_email == "ana@example.org"
    assert found["disqus:9001"].parent_source_key is None
    # No <email> element at all, and a name in another script.
    assert (found["disqus:9007"].author_name, found["disqus:9007"].author_email) == ("山田太郎", "")


def test_replies_listed_before_their_parents_keep_their_parents_and_order() -> None:
    records = read_sample()
    order = [r.source_key for r in records if isinstance(r, CommentRecord)]
    found = comments(records)

    assert order.index("disqus:9004") < order.index("disqus:9003") < order.index("disqus:9002")
    chain = [found["disqus:9004"].parent_source_key]
    while chain[-1] is not None:
        chain.append(found[chain[-1]].parent_source_key)
    assert chain == ["disqus:9003", "disqus:9002", "disqus:9001", None]


def test_statuses() -> None:
    statuses = {key: c.status for key, c in comments(read_sample()).items()}

    assert statuses == {
        "disqus:9001": CommentStatus.APPROVED,
        "disqus:9004": CommentStatus.APPROVED,
        "disqus:9003": CommentStatus.APPROVED,
        "disqus:9002": CommentStatus.APPROVED,
        "disqus:9005": CommentStatus.SPAM,
        "disqus:9006": CommentStatus.DELETED,
        "disqus:9007": CommentStatus.APPROVED,  # its parent was deleted; it was not
        "disqus:9008": CommentStatus.APPROVED,
        "disqus:9009": CommentStatus.APPROVED,
        "disqus:9010": CommentStatus.PENDING,  # <isSpam>maybe</isSpam>
        "disqus:9012": CommentStatus.APPROVED,
        "disqus:9013": CommentStatus.DELETED,  # on a deleted thread
        "disqus:9014": CommentStatus.APPROVED,
        "disqus:id:legacy-77": CommentStatus.APPROVED,
        "disqus:9015": CommentStatus.PENDING,  # <isApproved>false</isApproved>
    }


@pytest.mark.parametrize(
    ("flags", "status"),
    [
        ("<isSpam>true</isSpam><isDeleted>true</isDeleted>", CommentStatus.SPAM),
        ("<isSpam>TRUE</isSpam>", CommentStatus.SPAM),
        ("<isDeleted>1</isDeleted>", CommentStatus.DELETED),
        ("<isDeleted>gone</isDeleted>", CommentStatus.PENDING),
        ("", CommentStatus.APPROVED),  # flags left out mean false
        ("<isSpam>false</isSpam><isDeleted>false</isDeleted>", CommentStatus.APPROVED),
        ("<isApproved>true</isApproved>", CommentStatus.APPROVED),
        ("<isApproved>nope</isApproved>", CommentStatus.PENDING),
    ],
)
def test_flags(flags: str, status: CommentStatus) -> None:
    records = read_text(
        HEAD + '<thread dsq:id="1"><link>https://example.com/a</link></thread>'
        f'<post dsq:id="2"><message>hi</message><createdAt>2020-01-01T00:00:00Z</createdAt>'
        f'{flags}<thread dsq:id="1"/></post></disqus>'
    )

    assert comments(records)["disqus:2"].status == status


def test_cdata_and_escaped_html_arrive_as_html_for_the_importer_to_clean() -> None:
    found = comments(read_sample())

    assert found["disqus:9008"].body == (
        '<p>Caf&eacute; &amp; cr&egrave;me &mdash; <script>alert("entity")</script></p>'
    )
    assert found["disqus:9009"].body.startswith('<p>Nice photo <img src="x" onerror=')
    assert {c.body_format for c in found.values()} == {"html"}


def test_posts_that_cannot_be_read_are_reported_and_the_rest_still_read() -> None:
    records = read_sample()
    problems = {r.location: r.problem for r in bad(records)}

    assert problems[at('<post dsq:id="9011">')] == (
        "post disqus:9011 has an unreadable <createdAt> '2019-13-45T25:61:00Z'"
    )
    no_ids = at("<post>", after="From the old system")
    assert problems[no_ids] == "post without a dsq:id attribute or an <id>"
    assert "disqus:9015" in comments(records)  # read after both
    assert len(bad(records)) == 5


def test_a_post_without_a_dsq_id_falls_back_to_its_own_id() -> None:
    legacy = comments(read_sample())["disqus:id:legacy-77"]

    assert legacy.location == f"{NAME}:{line_of(DISQUS_SAMPLE, '<id>legacy-77</id>') - 1}"
    assert legacy.thread_source_id == "5001"


def test_times_without_a_zone_are_utc_and_offsets_are_converted() -> None:
    found = comments(read_sample())
    assert found["disqus:9008"].created_at == datetime(2019, 6, 2, 8, 0, tzinfo=UTC)

    records = read_text(
        HEAD + '<post dsq:id="2"><message>hi</message>'
        "<createdAt>2020-01-01T02:30:00.250+02:00</createdAt>"
        '<thread dsq:id="1"/></post></disqus>'
    )
    assert comments(records)["disqus:2"].created_at == datetime(
        2020, 1, 1, 0, 30, 0, 250000, tzinfo=UTC
    )


def test_a_missing_time_or_thread_is_a_bad_record() -> None:
    records = read_text(
        HEAD + '<post dsq:id="2"><message>hi</message><thread dsq:id="1"/></post>\n'
        '<post dsq:id="3"><message>hi</message><createdAt>2020-01-01T00:00:00Z</createdAt>'
        "</post>\n"
        '<post dsq:id="4"><createdAt>2020-01-01T00:00:00Z</createdAt><thread/></post>\n'
        "</disqus>"
    )

    assert records == [
        BadRecord("export.xml:3", "post disqus:2 has no <createdAt>"),
        BadRecord("export.xml:4", "post without a <thread>"),
        BadRecord("export.xml:5", "post whose <thread> has no dsq:id"),
    ]


def test_a_thread_named_by_its_identifier_is_found() -> None:
    # Disqus's own format example refers to threads by <id> rather than dsq:id.
    records = read_text(
        HEAD + '<thread dsq:id="2"><id>page-1</id><link>https://example.com/p/1</link></thread>'
        '<post dsq:id="1"><message>Yo</message><thread>page-1</thread>'
        "<createdAt>2012-12-12T12:12:12</createdAt></post>"
        '<post dsq:id="3"><message>?</message><thread>page-9</thread>'
        "<createdAt>2012-12-12T12:12:12</createdAt></post></disqus>"
    )

    assert comments(records)["disqus:1"].thread_source_id == "2"
    assert bad(records) == [
        BadRecord(
            "export.xml:3", "post refers to thread 'page-9', which no thread before it has as <id>"
        )
    ]


def test_ip_addresses_and_usernames_are_not_carried_over() -> None:
    text = repr(read_sample())

    assert "203.0.113." not in text
    assert "analima" not in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "x.xml:1: not well-formed XML: no element found (column 0)."),
        (b"Thread,Post\n1,2\n", "x.xml:1: not well-formed XML: syntax error (column 0)."),
        (b'{"threads": []}', "x.xml:1: not well-formed XML: invalid token (column 0)."),
        (
            b'<?xml version="1.0"?>\n<rss version="2.0"><channel/></rss>',
            "x.xml:2: not a Disqus export: the root element is <rss>, not <disqus>.",
        ),
    ],
)
def test_a_file_that_is_not_a_disqus_export_is_a_clear_error(content: bytes, message: str) -> None:
    records, error = read_until_stopped(disqus.read(io.BytesIO(content), "x.xml"))

    assert records == []
    assert str(error) == message


def test_a_truncated_export_keeps_what_came_before_the_break() -> None:
    content = DISQUS_SAMPLE.read_bytes()
    cut = content.index(b'<post dsq:id="9003">') + 60

    records, error = read_until_stopped(disqus.read(io.BytesIO(content[:cut]), NAME))

    assert list(comments(records)) == ["disqus:9001", "disqus:9004"]
    last_line = content[:cut].count(b"\n") + 1
    assert error.location == f"{NAME}:{last_line}"
    assert error.problem == "not well-formed XML: unclosed token (column 17)"


def test_a_broken_element_stops_reading_where_it_is() -> None:
    content = DISQUS_SAMPLE.read_text(encoding="utf-8")
    broken = content.replace('<thread dsq:id="5004"/>', "<thread dsq:id=5004/>")

    records, error = read_until_stopped(disqus.read(io.BytesIO(broken.encode()), NAME))

    assert list(comments(records))[-1] == "disqus:9010"
    assert error.location == at('<thread dsq:id="5004"/>')
    assert error.problem == "not well-formed XML: invalid token (column 23)"


def test_an_entity_expansion_bomb_is_refused_before_it_expands() -> None:
    body = HEAD.split("\n", 1)[1] + "<x>&lol9;</x></disqus>"
    bomb = ENTITY_BOMB % {b"root": b"disqus"} + body.encode()

    started = time.perf_counter()
    records, error = read_until_stopped(disqus.read(io.BytesIO(bomb), "bomb.xml"))

    assert time.perf_counter() - started < 1
    assert records == []
    assert error.location == "bomb.xml:3"
    assert error.problem.startswith("refused: the file declares or refers to XML entities")


def test_an_external_entity_is_refused_and_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    xxe = (
        EXTERNAL_ENTITY % {b"root": b"disqus", b"url": secret.as_uri().encode()}
        + (
            HEAD.split("\n", 1)[1]
            + '<thread dsq:id="1"><link>https://example.com/a</link><title>&secret;</title></thread>'
            "</disqus>"
        ).encode()
    )

    records, error = read_until_stopped(disqus.read(io.BytesIO(xxe), "xxe.xml"))

    assert records == []
    assert error.location == "xxe.xml:3"
    assert error.problem.startswith("refused:")
    assert "TOP-SECRET-VALUE" not in str(error)


def test_an_external_dtd_is_not_fetched(tmp_path: Path) -> None:
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY secret "TOP-SECRET-VALUE">')
    content = (
        f'<?xml version="1.0"?>\n<!DOCTYPE disqus SYSTEM "{dtd.as_uri()}">\n'
        + HEAD.split("\n", 1)[1]
        + '<thread dsq:id="1"><link>https://example.com/a</link><title>&secret;</title></thread>'
        "</disqus>"
    ).encode()

    records, error = read_until_stopped(disqus.read(io.BytesIO(content), "dtd.xml"))

    assert records == []
    assert error.problem == "not well-formed XML: undefined entity &secret; (column 60)"


def _big_export(count: int) -> Iterator[bytes]:
    yield HEAD.encode()
    for t in range(100):
        yield (
            f'<thread dsq:id="t{t}"><id>page-{t}</id><link>https://example.com/p/{t}/</link>'
            f"<title>Page {t}</title><createdAt>2020-01-01T00:00:00Z</createdAt></thread>\n"
        ).encode()
    message = "<p>" + "All work and no play makes Jack a dull boy. " * 48 + "</p>"
    for n in range(count):
        parent = f'<parent dsq:id="{n - 1}"/>' if n % 3 else ""
        yield (
            f'<post dsq:id="{n}"><id/><message><![CDATA[{message}]]></message>'
            "<createdAt>2020-01-02T03:04:05Z</createdAt><isDeleted>false</isDeleted>"
            "<isSpam>false</isSpam><author><email>reader@example.org</email>"
            "<name>A Reader</name><isAnonymous>false</isAnonymous></author>"
            f'<ipAddress>203.0.113.9</ipAddress><thread dsq:id="t{n % 100}"/>{parent}</post>\n'
        ).encode()
    yield b"</disqus>\n"


@pytest.mark.slow
def test_a_large_export_is_read_in_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    with path.open("wb") as out:
        for chunk in _big_export(12_500):
            out.write(chunk)
    size = path.stat().st_size
    assert size > 30_000_000

    counts = {ThreadRecord: 0, CommentRecord: 0, BadRecord: 0}
    tracemalloc.start()
    try:
        with path.open("rb") as source:
            for record in disqus.read(source, "big.xml"):
                counts[type(record)] += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert counts == {ThreadRecord: 100, CommentRecord: 12_500, BadRecord: 0}
    assert peak < 4_000_000, f"peak {peak:,} bytes for a {size:,}-byte file"
