"""The WordPress (WXR) reader: records, locations and statuses from a realistic export."""

from __future__ import annotations

import io
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from comments.models import CommentStatus
from comments.porting import wordpress
from comments.porting.records import BadRecord, CommentRecord, Record, ThreadRecord
from tests.porting.samples import (
    ENTITY_BOMB,
    EXTERNAL_ENTITY,
    WORDPRESS_SAMPLE,
    line_of,
    read_until_stopped,
)

NAME = "wordpress-sample.xml"


def head(version: str = "1.2") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" ?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        f' xmlns:wp="http://wordpress.org/export/{version}/">\n<channel>\n'
    )


def comment_xml(comment_id: int, parent: int = 0, **fields: str) -> str:
    values = {
        "comment_author": "Ana",
        "comment_author_email": "ana@example.org",
        "comment_date": "2020-01-01 10:00:00",
        "comment_date_gmt": "2020-01-01 09:00:00",
        "comment_content": f"Comment {comment_id}",
        "comment_approved": "1",
        "comment_type": "",
        **fields,
    }
    inner = "".join(f"<wp:{k}><![CDATA[{v}]]></wp:{k}>" for k, v in values.items())
    return (
        f"<wp:comment><wp:comment_id>{comment_id}</wp:comment_id>{inner}"
        f"<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>\n"
    )


def read_sample() -> list[Record]:
    with WORDPRESS_SAMPLE.open("rb") as source:
        return list(wordpress.read(source, NAME))


def read_text(text: str, name: str = "export.xml") -> list[Record]:
    return list(wordpress.read(io.BytesIO(text.encode()), name))


def threads(records: list[Record]) -> dict[str, ThreadRecord]:
    return {r.source_id: r for r in records if isinstance(r, ThreadRecord)}


def comments(records: list[Record]) -> dict[str, CommentRecord]:
    return {r.source_key: r for r in records if isinstance(r, CommentRecord)}


def bad(records: list[Record]) -> list[BadRecord]:
    return [r for r in records if isinstance(r, BadRecord)]


def at(needle: str, after: str = "") -> str:
    return f"{NAME}:{line_of(WORDPRESS_SAMPLE, needle, after)}"


def item_at(title: str) -> str:
    return f"{NAME}:{line_of(WORDPRESS_SAMPLE, title) - 1}"


def test_each_item_with_comments_is_a_thread_keyed_by_its_link() -> None:
    assert threads(read_sample()) == {
        "10": ThreadRecord(
            source_id="10",
            key="/2014/01/hello-world/",
            location=item_at("<title><![CDATA[Hello world!]]></title>"),
            title="Hello world!",
            url="https://blog.example.com/2014/01/hello-world/",
            created_at=datetime(2014, 1, 14, 17, 31, 3, tzinfo=UTC),
        ),
        "20": ThreadRecord(
            source_id="20",
            key="/about/",
            location=item_at("<title><![CDATA[About]]></title>"),
            title="About",
            url="https://blog.example.com/about/",
            locked=True,  # comment_status closed
            created_at=datetime(2014, 1, 1, 12, 0, tzinfo=UTC),
        ),
        # Plain permalinks: the query is what tells the posts apart.
        "40": ThreadRecord(
            source_id="40",
            key="/?p=40",
            location=item_at("<title><![CDATA[Plain permalink]]></title>"),
            title="Plain permalink",
            url="https://blog.example.com/?p=40",
        ),
    }
    # "Nobody commented" (no comments) and "Linked to" (only a pingback) make no thread.


def test_each_thread_comes_before_its_comments() -> None:
    records = [r for r in read_sample() if not isinstance(r, BadRecord)]
    seen: set[str] = set()
    for record in records:
        if isinstance(record, ThreadRecord):
            seen.add(record.source_id)
        else:
            assert isinstance(record, CommentRecord)
            assert record.thread_source_id in seen


def test_comments_carry_parent_author_time_and_location() -> None:
    found = comments(read_sample())

    assert found["wordpress:101"] == CommentRecord(
        source_key="wordpress:101",
        thread_source_id="10",
        location=at("<wp:comment_id>101</wp:comment_id>").replace(
            str(line_of(WORDPRESS_SAMPLE, "<wp:comment_id>101")),
            str(line_of(WORDPRESS_SAMPLE, "<wp:comment_id>101") - 1),
        ),
        # WordPress shows comments through wpautop; the reader does the same.
        body="<p>Great post.<br>\nTwo lines in one paragraph.</p>\n<p>And a second paragraph.</p>",
        body_format="html",
        created_at=datetime(2014, 1, 14, 18, 0, tzinfo=UTC),
        status=CommentStatus.APPROVED,
        author_name="Ana Lima",
        author_email="ana@example.org",
        author_url="https://ana.example.org/",
    )
    assert found["wordpress:102"].parent_source_key == "wordpress:101"
    assert found["wordpress:103"].author_email == ""  # none given
    assert found["wordpress:201"].author_name == "Jürgen Groß"
    assert found["wordpress:109"].author_name == "山田太郎"


def test_comment_locations_are_the_lines_of_their_elements() -> None:
    for key, comment in comments(read_sample()).items():
        number = key.split(":")[1]
        line = line_of(WORDPRESS_SAMPLE, f"<wp:comment_id>{number}</wp:comment_id>") - 1
        assert comment.location == f"{NAME}:{line}"


def test_nesting_three_levels_deep_listed_out_of_order() -> None:
    found = comments(read_sample())
    order = list(found)

    assert order.index("wordpress:104") < order.index("wordpress:103")
    chain = [found["wordpress:104"].parent_source_key]
    while chain[-1] is not None:
        chain.append(found[chain[-1]].parent_source_key)
    assert chain == ["wordpress:103", "wordpress:102", "wordpress:101", None]


def test_statuses() -> None:
    statuses = {key: c.status for key, c in comments(read_sample()).items()}

    assert statuses == {
        "wordpress:101": CommentStatus.APPROVED,
        "wordpress:102": CommentStatus.APPROVED,
        "wordpress:104": CommentStatus.APPROVED,
        "wordpress:103": CommentStatus.APPROVED,
        "wordpress:106": CommentStatus.PENDING,  # "0"
        "wordpress:107": CommentStatus.SPAM,
        "wordpress:108": CommentStatus.DELETED,  # "trash"
        "wordpress:109": CommentStatus.APPROVED,  # its parent is in the trash; it is not
        "wordpress:110": CommentStatus.PENDING,  # "held-for-review": unknown
        "wordpress:111": CommentStatus.APPROVED,
        "wordpress:113": CommentStatus.APPROVED,
        "wordpress:114": CommentStatus.APPROVED,
        "wordpress:201": CommentStatus.APPROVED,
        "wordpress:202": CommentStatus.APPROVED,
        "wordpress:401": CommentStatus.APPROVED,
    }


@pytest.mark.parametrize(
    ("approved", "status"),
    [
        ("1", CommentStatus.APPROVED),
        ("0", CommentStatus.PENDING),
        ("spam", CommentStatus.SPAM),
        ("SPAM", CommentStatus.SPAM),
        ("trash", CommentStatus.DELETED),
        ("post-trashed", CommentStatus.DELETED),
        ("", CommentStatus.PENDING),
        ("2", CommentStatus.PENDING),
    ],
)
def test_comment_approved_values(approved: str, status: CommentStatus) -> None:
    records = read_text(
        head()
        + "<item><link>https://example.com/a/</link><wp:post_id>1</wp:post_id>"
        + comment_xml(5, comment_approved=approved)
        + "</item></channel></rss>"
    )

    assert comments(records)["wordpress:5"].status == status


def test_a_missing_gmt_time_falls_back_to_the_local_one() -> None:
    found = comments(read_sample())

    assert found["wordpress:111"].created_at == datetime(2014, 1, 15, 15, 30, tzinfo=UTC)


def test_pingbacks_trackbacks_and_bad_comments_are_reported_and_skipped() -> None:
    records = read_sample()

    def comment_at(number: int) -> str:
        return f"{NAME}:{line_of(WORDPRESS_SAMPLE, f'<wp:comment_id>{number}<') - 1}"

    assert bad(records) == [
        BadRecord(comment_at(105), "comment 105 is a pingback, not a reader's comment: skipped"),
        BadRecord(
            comment_at(112),
            "comment 112 has no readable time (comment_date_gmt '0000-00-00 00:00:00', "
            "comment_date 'yesterday')",
        ),
        BadRecord(comment_at(115), "comment 115 is a trackback, not a reader's comment: skipped"),
        BadRecord(comment_at(501), "comment 501 is a pingback, not a reader's comment: skipped"),
        BadRecord(
            item_at("<title><![CDATA[Broken]]></title>"),
            "item has no <link>, so no page for its comments",
        ),
        BadRecord(comment_at(601), "comment wordpress:601: its item has no <link>"),
    ]


def test_other_comment_types_are_skipped() -> None:
    records = read_text(
        head()
        + "<item><link>https://example.com/shop/order-7/</link><wp:post_id>7</wp:post_id>"
        + comment_xml(70, comment_type="order_note")
        + comment_xml(71, comment_type="comment")
        + "</item></channel></rss>"
    )

    assert list(comments(records)) == ["wordpress:71"]
    assert [r.problem for r in bad(records)] == [
        "comment 70 has type 'order_note', not a reader's comment: skipped"
    ]


def test_cdata_and_escaped_html_arrive_as_html_for_the_importer_to_clean() -> None:
    found = comments(read_sample())

    assert found["wordpress:113"].body == (
        '<p><b>Caf&eacute;</b> &amp; cr&egrave;me &mdash; <script>alert("entity")</script></p>'
    )
    assert "onerror=" in found["wordpress:114"].body  # cleaned by the importer, not here
    assert found["wordpress:102"].body == (  # block markup already: left as written
        "<blockquote>Great post.</blockquote>\n<p>Thanks, <strong>agreed</strong>.</p>"
    )
    assert {c.body_format for c in found.values()} == {"html"}


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("One line.", "<p>One line.</p>"),
        ("a\r\nb\r\n\r\n\r\nc", "<p>a<br>\nb</p>\n<p>c</p>"),
        ("  \n  ", ""),
        ("<pre>x\n\ny</pre>", "<pre>x\n\ny</pre>"),
        ("<p>Already\nparagraphs</p>", "<p>Already\nparagraphs</p>"),
        ("<b>bold</b>\n<i>it</i>", "<p><b>bold</b><br>\n<i>it</i></p>"),
    ],
)
def test_autop(text: str, html: str) -> None:
    assert wordpress.autop(text) == html


def test_ip_addresses_and_user_ids_are_not_carried_over() -> None:
    assert "203.0.113." not in repr(read_sample())


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
def test_every_wxr_version(version: str) -> None:
    # WXR 1.0 (as Isso's tests have it): no CDATA, whitespace around values.
    records = read_text(
        head(version) + "<item><title>Old</title><link>http://example.tld/2014/test/</link>"
        "<wp:post_id>18</wp:post_id><wp:comment_status>open</wp:comment_status>"
        "<wp:comment><wp:comment_id>2</wp:comment_id>"
        "<wp:comment_author>Ohai</wp:comment_author>"
        "<wp:comment_author_email>test@example.org\n   </wp:comment_author_email>"
        "<wp:comment_date_gmt>2014-01-14 17:32:12</wp:comment_date_gmt>"
        "<wp:comment_content>\n   <![CDATA[Erster!1]]></wp:comment_content>"
        "<wp:comment_approved>1</wp:comment_approved>"
        "<wp:comment_parent>0</wp:comment_parent></wp:comment>"
        "</item></channel></rss>"
    )

    assert records == [
        ThreadRecord("18", "/2014/test/", "export.xml:4", "Old", "http://example.tld/2014/test/"),
        CommentRecord(
            source_key="wordpress:2",
            thread_source_id="18",
            location="export.xml:4",
            body="<p>Erster!1</p>",
            body_format="html",
            created_at=datetime(2014, 1, 14, 17, 32, 12, tzinfo=UTC),
            status=CommentStatus.APPROVED,
            author_name="Ohai",
            author_email="test@example.org",
        ),
    ]


def test_comments_before_the_items_link_wait_for_it() -> None:
    records = read_text(
        head()
        + "<item>\n"
        + comment_xml(1)
        + comment_xml(2, parent=1)
        + "<link>https://example.com/late/</link>\n<wp:post_id>9</wp:post_id>\n</item>\n"
        "</channel></rss>"
    )

    assert [type(r).__name__ for r in records] == ["ThreadRecord", "CommentRecord", "CommentRecord"]
    assert threads(records)["9"].key == "/late/"
    assert {c.thread_source_id for c in comments(records).values()} == {"9"}


def test_an_item_without_a_post_id_still_makes_a_thread() -> None:
    records = read_text(
        head()
        + "<item>\n<link>https://example.com/x/</link>"
        + comment_xml(1)
        + "</item></channel></rss>"
    )

    assert threads(records)["item@4"].key == "/x/"
    assert comments(records)["wordpress:1"].thread_source_id == "item@4"


NOT_WXR = (
    "not a WordPress export (WXR): no element in the WordPress export namespace "
    "(http://wordpress.org/export/1.N/)."
)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "x.xml:1: not well-formed XML: no element found (column 0)."),
        (
            b"<html><body>Not an export</body></html>",
            "x.xml:1: not a WordPress export (WXR): the root element is <html>, not <rss>.",
        ),
        (
            b'<rss version="2.0"><channel><title>A feed</title><item><title>Post</title>'
            b"<link>https://example.com/post/</link></item></channel></rss>",
            "x.xml:1: " + NOT_WXR,
        ),
        (
            b'<rss xmlns:wp="http://wordpress.org/export/2.0/"><channel><wp:wxr_version>2.0'
            b"</wp:wxr_version></channel></rss>",
            "x.xml:1: " + NOT_WXR,
        ),
        (
            b'<?xml version="1.0"?>\n<disqus xmlns="http://disqus.com"></disqus>',
            "x.xml:2: not a WordPress export (WXR): the root element is <disqus>, not <rss>.",
        ),
    ],
)
def test_a_file_that_is_not_a_wxr_export_is_a_clear_error(content: bytes, message: str) -> None:
    records, error = read_until_stopped(wordpress.read(io.BytesIO(content), "x.xml"))

    assert records == []
    assert str(error) == message


def test_a_broken_file_keeps_what_came_before_the_break() -> None:
    content = WORDPRESS_SAMPLE.read_bytes()
    cut = content.index(b"<wp:comment_id>102</wp:comment_id>")
    broken = content[:cut] + b"<wp:comment_id>102</wp:comment_idx>" + content[cut + 34 :]

    records, error = read_until_stopped(wordpress.read(io.BytesIO(broken), NAME))

    assert [type(r).__name__ for r in records] == ["ThreadRecord", "CommentRecord"]
    assert error.location == at("<wp:comment_id>102</wp:comment_id>")
    assert error.problem == "not well-formed XML: mismatched tag (column 23)"


def test_an_entity_expansion_bomb_is_refused_before_it_expands() -> None:
    body = head().split("\n", 1)[1] + "<item><title>&lol9;</title></item></channel></rss>"
    bomb = ENTITY_BOMB % {b"root": b"rss"} + body.encode()

    started = time.perf_counter()
    records, error = read_until_stopped(wordpress.read(io.BytesIO(bomb), "bomb.xml"))

    assert time.perf_counter() - started < 1
    assert records == []
    assert error.location == "bomb.xml:3"
    assert error.problem.startswith("refused: the file declares or refers to XML entities")


def test_an_external_entity_is_refused_and_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    body = (
        head().split("\n", 1)[1]
        + "<item><link>https://example.com/a/</link>"
        + comment_xml(1).replace("Comment 1", "]]>&secret;<![CDATA[")
        + "</item></channel></rss>"
    )
    xxe = EXTERNAL_ENTITY % {b"root": b"rss", b"url": secret.as_uri().encode()} + body.encode()

    records, error = read_until_stopped(wordpress.read(io.BytesIO(xxe), "xxe.xml"))

    assert records == []
    assert error.location == "xxe.xml:3"
    assert error.problem.startswith("refused:")
    assert "TOP-SECRET-VALUE" not in str(error)


def _one_huge_item(count: int) -> Iterator[bytes]:
    yield (head() + "<item><title>Popular</title><link>https://example.com/hot/</link>").encode()
    yield b"<wp:post_id>1</wp:post_id>\n"
    text = ("All work and no play makes Jack a dull boy. " * 24 + "\n\n") * 2
    for n in range(1, count + 1):
        yield comment_xml(n, parent=n - 1 if n % 3 else 0, comment_content=text).encode()
    yield b"</item></channel></rss>\n"


@pytest.mark.slow
def test_one_item_with_a_huge_number_of_comments_is_read_in_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    with path.open("wb") as out:
        for chunk in _one_huge_item(12_000):
            out.write(chunk)
    size = path.stat().st_size
    assert size > 30_000_000

    counts = {ThreadRecord: 0, CommentRecord: 0, BadRecord: 0}
    tracemalloc.start()
    try:
        with path.open("rb") as source:
            for record in wordpress.read(source, "big.xml"):
                counts[type(record)] += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert counts == {ThreadRecord: 1, CommentRecord: 12_000, BadRecord: 0}
    assert peak < 4_000_000, f"peak {peak:,} bytes for a {size:,}-byte file"
