"""End to end: each sample file through `comments import <format>` into the database, again
(adding nothing), as a dry run, and out through `comments export` and back in."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from comments.extensions import db
from comments.models import Comment, Site, Thread
from comments.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_PROTOCOLS, ALLOWED_TAGS
from tests.factories import make_site
from tests.porting.helpers import problems_in_database
from tests.porting.samples import (
    DISQUS_SAMPLE,
    ENTITY_BOMB,
    WORDPRESS_SAMPLE,
    build_isso_database,
    line_of,
)

# (key, title, url, locked, approved comments, created_at)
ThreadRow = tuple[str, str, str, bool, int, str]
# (thread key, source key, parent source key, depth, status, created_at)
CommentRow = tuple[str, str, str | None, int, str, str]
# source key -> (name, e-mail, website)
Authors = dict[str, tuple[str, str, str]]


def invoke(runner: FlaskCliRunner, *args: str) -> Result:
    result = runner.invoke(args=list(args))
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result


def summary(threads: tuple[int, int], comments: tuple[int, int, int]) -> str:
    return (
        f"Threads: {threads[0]} created, {threads[1]} already there. "
        f"Comments: {comments[0]} added, {comments[1]} already there, {comments[2]} skipped."
    )


def site_id(app: Flask, slug: str) -> int:
    with app.app_context():
        return db.session.execute(select(Site.id).where(Site.slug == slug)).scalar_one()


def stored_threads(app: Flask, slug: str) -> list[ThreadRow]:
    with app.app_context():
        found = db.session.execute(
            select(Thread).where(Thread.site_id == site_id(app, slug)).order_by(Thread.key)
        ).scalars()
        return [
            (t.key, t.title, t.url, t.locked, t.comment_count, t.created_at.isoformat())
            for t in found
        ]


def stored_comments(app: Flask, slug: str) -> list[CommentRow]:
    with app.app_context():
        found = db.session.execute(
            select(Comment, Thread.key)
            .join(Thread)
            .where(Thread.site_id == site_id(app, slug))
            .order_by(Thread.key, Comment.created_at)
        ).all()
        keys = {c.id: c.source_key for c, _ in found}
        return [
            (
                thread_key,
                c.source_key,
                keys[c.parent_id] if c.parent_id is not None else None,
                c.depth,
                c.status.value,
                c.created_at.isoformat(),
            )
            for c, thread_key in found
        ]


def stored_authors(app: Flask, slug: str) -> Authors:
    with app.app_context():
        found = db.session.execute(
            select(Comment).join(Thread).where(Thread.site_id == site_id(app, slug))
        ).scalars()
        return {c.source_key: (c.author_name, c.author_email, c.author_url) for c in found}


def stored_html(app: Flask, slug: str) -> dict[str, str]:
    with app.app_context():
        found = db.session.execute(
            select(Comment.source_key, Comment.html)
            .join(Thread)
            .where(Thread.site_id == site_id(app, slug))
        ).all()
        return {key: html for key, html in found}


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def unsafe_markup(html: str) -> list[str]:
    """Whatever in stored HTML is outside the allowlist: it must be nothing."""
    parser = _Markup()
    parser.feed(html)
    parser.close()
    problems = []
    for tag, attrs in parser.found:
        if tag not in ALLOWED_TAGS:
            problems.append(f"<{tag}>")
        for name, value in attrs:
            if name not in (*ALLOWED_ATTRIBUTES.get(tag, ()), "rel"):
                problems.append(f"<{tag} {name}>")
            if name == "href" and urlsplit(value or "").scheme not in ALLOWED_PROTOCOLS:
                problems.append(f"<{tag} href={value!r}>")
    return problems


@pytest.mark.parametrize(
    ("html", "problems"),
    [
        ('<p>ok <a href="https://x.example/" rel="nofollow">x</a></p>', []),
        ('<img src="x" onerror="alert(1)">', ["<img>", "<img src>", "<img onerror>"]),
        ('<a href="javascript:alert(1)">x</a>', ["<a href='javascript:alert(1)'>"]),
        ("<p onclick='x'>y</p>", ["<p onclick>"]),
    ],
)
def test_the_markup_check_finds_what_the_allowlist_leaves_out(
    html: str, problems: list[str]
) -> None:
    assert unsafe_markup(html) == problems


def expect_stored_safely(app: Flask, slug: str) -> dict[str, str]:
    html = stored_html(app, slug)
    assert {key: unsafe_markup(h) for key, h in html.items() if unsafe_markup(h)} == {}
    assert problems_in_database(app) == []
    return html


def utc(text: str) -> str:
    """``"2019-05-01 10:15"`` (UTC, seconds optional) as the database gives it back."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC).isoformat()


@pytest.fixture
def isso_file(tmp_path: Path) -> Path:
    return build_isso_database(tmp_path / "comments.db")


def source_of(fmt: str, isso_file: Path) -> Path:
    return {"disqus": DISQUS_SAMPLE, "wordpress": WORDPRESS_SAMPLE, "isso": isso_file}[fmt]


# --- what each sample becomes --------------------------------------------------------------------

BLOG = "https://blog.example.com"
HELLO = "/2019/05/hello-world/"
CAFE = "/2019/06/caf%C3%A9-cr%C3%A8me/"
OLD = "/2018/01/old-news/"


def disqus_at(needle: str, after: str = "") -> str:
    return f"disqus-sample.xml:{line_of(DISQUS_SAMPLE, needle, after)}"


def disqus_thread(dsq_id: str, after: str = "") -> str:
    return disqus_at(f'<thread dsq:id="{dsq_id}">', after)


def disqus_post(dsq_id: str) -> str:
    return disqus_at(f'<post dsq:id="{dsq_id}">')


FIRST_5001 = line_of(DISQUS_SAMPLE, '<thread dsq:id="5001">')
DISQUS_SUMMARY = summary((3, 1), (14, 0, 6))
DISQUS_PROBLEMS = [
    f"{disqus_thread('5003')}: thread 5003 has no usable <link> to tell which page it belongs to",
    f"{disqus_thread('5001', after='The same dsq:id twice')}: duplicate thread dsq:id '5001' "
    f"(first at line {FIRST_5001})",
    f"{disqus_thread('')}: thread without a dsq:id attribute",
    f"{disqus_post('9011')}: post disqus:9011 has an unreadable <createdAt> '2019-13-45T25:61:00Z'",
    f"{disqus_post('9014')}: thread '1337' is not in the file; skipped",
    f"{disqus_at('<post>', after='From the old system')}: post without a dsq:id attribute or "
    "an <id>",
]
TRACKED = "utm_source=feed#disqus_thread"  # the key is the path alone
DISQUS_THREADS: list[ThreadRow] = [
    (OLD, "Old news", f"{BLOG}{OLD}", False, 0, utc("2018-01-01 08:00")),
    (HELLO, "Hello, world", f"{BLOG}{HELLO}?{TRACKED}", False, 7, utc("2019-05-01 09:00")),
    (CAFE, "Café & crème", f"{BLOG}/2019/06/café-crème/", True, 2, utc("2019-06-01 10:00")),
]
DISQUS_COMMENTS: list[CommentRow] = [
    (OLD, "disqus:9013", None, 0, "deleted", utc("2018-01-02 08:00")),  # a deleted thread
    (HELLO, "disqus:9001", None, 0, "approved", utc("2019-05-01 10:15")),
    (HELLO, "disqus:9002", "disqus:9001", 1, "approved", utc("2019-05-01 11:00")),
    (HELLO, "disqus:9003", "disqus:9002", 2, "approved", utc("2019-05-01 12:00")),
    (HELLO, "disqus:9004", "disqus:9003", 3, "approved", utc("2019-05-01 13:00")),
    (HELLO, "disqus:9005", None, 0, "spam", utc("2019-05-02 03:00")),
    (HELLO, "disqus:9006", None, 0, "deleted", utc("2019-05-02 08:00")),
    (HELLO, "disqus:9007", "disqus:9006", 1, "approved", utc("2019-05-02 09:30")),
    (HELLO, "disqus:9010", None, 0, "pending", utc("2019-05-03 10:00")),  # isSpam "maybe"
    # Posted on the second Disqus thread for the same page: the same thread here.
    (HELLO, "disqus:9012", None, 0, "approved", utc("2019-05-03 12:30")),
    (HELLO, "disqus:id:legacy-77", None, 0, "approved", utc("2019-05-05 10:00")),
    (HELLO, "disqus:9015", "disqus:9001", 1, "pending", utc("2019-05-06 10:00")),
    (CAFE, "disqus:9008", None, 0, "approved", utc("2019-06-02 08:00")),  # no zone given
    (CAFE, "disqus:9009", "disqus:9008", 1, "approved", utc("2019-06-02 09:00")),
]
DISQUS_AUTHORS: Authors = {
    "disqus:9013": ("Fred", "fred@example.org", ""),
    "disqus:9001": ("Ana Lima", "ana@example.org", ""),
    "disqus:9002": ("Zoë Ångström", "", ""),
    "disqus:9003": ("Bo Berg", "bo@example.net", ""),
    "disqus:9004": ("Ana Lima", "ana@example.org", ""),
    "disqus:9005": ("Best Deals", "deals@spam.example", ""),
    "disqus:9006": ("Carl", "carl@example.com", ""),
    "disqus:9007": ("山田太郎", "", ""),
    "disqus:9010": ("Dana", "dana@example.org", ""),
    "disqus:9012": ("Eve", "eve@example.org", ""),
    "disqus:id:legacy-77": ("Hal", "hal@example.org", ""),
    "disqus:9015": ("Ivy", "ivy@example.org", ""),
    "disqus:9008": ("Élodie", "", ""),
    "disqus:9009": ("Mallory", "mallory@example.com", ""),
}


def wordpress_at(number: int) -> str:
    return f"wordpress-sample.xml:{line_of(WORDPRESS_SAMPLE, f'<wp:comment_id>{number}<') - 1}"


WP_HELLO = "/2014/01/hello-world/"
WORDPRESS_SUMMARY = summary((3, 0), (15, 0, 6))
WORDPRESS_PROBLEMS = [
    f"{wordpress_at(105)}: comment 105 is a pingback, not a reader's comment: skipped",
    f"{wordpress_at(112)}: comment 112 has no readable time (comment_date_gmt "
    "'0000-00-00 00:00:00', comment_date 'yesterday')",
    f"{wordpress_at(114)}: author_url \"javascript:alert('url')\" is not an http(s) address; "
    "dropped",
    f"{wordpress_at(115)}: comment 115 is a trackback, not a reader's comment: skipped",
    f"{wordpress_at(501)}: comment 501 is a pingback, not a reader's comment: skipped",
    f"wordpress-sample.xml:{line_of(WORDPRESS_SAMPLE, '[CDATA[Broken]]') - 1}: item has no "
    "<link>, so no page for its comments",
    f"{wordpress_at(601)}: comment wordpress:601: its item has no <link>",
]
WORDPRESS_THREADS: list[ThreadRow] = [
    (WP_HELLO, "Hello world!", f"{BLOG}{WP_HELLO}", False, 8, utc("2014-01-14 17:31:03")),
    ("/?p=40", "Plain permalink", f"{BLOG}/?p=40", False, 1, utc("2014-03-02 09:00")),
    ("/about/", "About", f"{BLOG}/about/", True, 2, utc("2014-01-01 12:00")),
]
WORDPRESS_COMMENTS: list[CommentRow] = [
    (WP_HELLO, "wordpress:101", None, 0, "approved", utc("2014-01-14 18:00")),
    (WP_HELLO, "wordpress:102", "wordpress:101", 1, "approved", utc("2014-01-14 19:00")),
    (WP_HELLO, "wordpress:103", "wordpress:102", 2, "approved", utc("2014-01-14 20:00")),
    (WP_HELLO, "wordpress:104", "wordpress:103", 3, "approved", utc("2014-01-14 21:00")),
    (WP_HELLO, "wordpress:106", None, 0, "pending", utc("2014-01-15 09:00")),
    (WP_HELLO, "wordpress:107", None, 0, "spam", utc("2014-01-15 10:00")),
    (WP_HELLO, "wordpress:108", None, 0, "deleted", utc("2014-01-15 11:00")),
    (WP_HELLO, "wordpress:109", "wordpress:108", 1, "approved", utc("2014-01-15 12:00")),
    (WP_HELLO, "wordpress:110", None, 0, "pending", utc("2014-01-15 13:00")),  # unknown
    (WP_HELLO, "wordpress:113", None, 0, "approved", utc("2014-01-15 15:00")),
    (WP_HELLO, "wordpress:111", None, 0, "approved", utc("2014-01-15 15:30")),  # local time
    (WP_HELLO, "wordpress:114", "wordpress:113", 1, "approved", utc("2014-01-15 16:00")),
    ("/?p=40", "wordpress:401", None, 0, "approved", utc("2014-03-02 09:00")),
    ("/about/", "wordpress:201", None, 0, "approved", utc("2014-01-02 09:00")),
    ("/about/", "wordpress:202", "wordpress:201", 1, "approved", utc("2014-01-02 10:00")),
]
WORDPRESS_AUTHORS: Authors = {
    "wordpress:101": ("Ana Lima", "ana@example.org", "https://ana.example.org/"),
    "wordpress:102": ("Bo Berg", "bo@example.net", ""),
    "wordpress:103": ("Zoë Ångström", "", ""),
    "wordpress:104": ("Ana Lima", "ana@example.org", "https://ana.example.org/"),
    "wordpress:106": ("Carl", "", ""),
    "wordpress:107": ("Best Deals", "deals@spam.example", "http://spam.example/"),
    "wordpress:108": ("Dana", "dana@example.org", ""),
    "wordpress:109": ("山田太郎", "taro@example.jp", ""),
    "wordpress:110": ("Eve", "eve@example.org", ""),
    "wordpress:113": ("Élodie", "elodie@example.fr", ""),
    "wordpress:111": ("Fred", "fred@example.org", ""),
    "wordpress:114": ("Mallory", "mallory@example.com", ""),  # javascript: URL dropped
    "wordpress:401": ("Gil", "gil@example.org", ""),
    "wordpress:201": ("Jürgen Groß", "juergen@example.de", ""),
    "wordpress:202": ("editor", "editor@blog.example.com", "https://blog.example.com"),
}

ISSO_SUMMARY = summary((3, 0), (9, 0, 4))
ISSO_PROBLEMS = [
    "comments.db:threads#3: thread 3 has no usable uri ('')",
    "comments.db:comments#7: author_url \"javascript:alert('url')\" is not an http(s) address; "
    "dropped",
    "comments.db:comments#9: comment 9 has an unreadable time 'yesterday'",
    "comments.db:comments#10: comment 10 belongs to thread 99, which is missing",
    "comments.db:comments#11: comment 11: its thread 3 could not be read",
]
ISSO_THREADS: list[ThreadRow] = [
    # Isso keeps no page URL or start time: a thread dates from its first comment.
    (HELLO, "Hello, world", "", False, 3, utc("2019-05-01 10:15")),
    (CAFE, "Café & crème", "", False, 2, utc("2019-06-02 08:00")),
    ("/about/", "", "", False, 1, utc("2019-05-05 10:00")),
]
ISSO_COMMENTS: list[CommentRow] = [
    (HELLO, "isso:1", None, 0, "approved", utc("2019-05-01 10:15")),
    (HELLO, "isso:2", "isso:1", 1, "approved", utc("2019-05-01 11:00:00.250")),
    (HELLO, "isso:3", "isso:1", 1, "pending", utc("2019-05-01 12:00")),
    (HELLO, "isso:4", None, 0, "deleted", utc("2019-05-02 08:00")),
    (HELLO, "isso:5", "isso:4", 1, "approved", utc("2019-05-02 09:30")),
    (HELLO, "isso:6", None, 0, "pending", utc("2019-05-03 10:00")),  # mode 8: unknown
    (CAFE, "isso:7", None, 0, "approved", utc("2019-06-02 08:00")),
    (CAFE, "isso:8", "isso:7", 1, "approved", utc("2019-06-02 09:00")),
    ("/about/", "isso:12", None, 0, "approved", utc("2019-05-05 10:00")),
]
ISSO_AUTHORS: Authors = {
    "isso:1": ("Ana Lima", "ana@example.org", "https://ana.example.org/"),
    "isso:2": ("Zoë Ångström", "", ""),
    "isso:3": ("Bo Berg", "bo@example.net", ""),
    "isso:4": ("", "carl@example.com", ""),  # Isso blanked the name when deleting
    "isso:5": ("山田太郎", "", ""),
    "isso:6": ("Dana", "dana@example.org", ""),
    "isso:7": ("Mallory", "mallory@example.com", ""),  # javascript: URL dropped
    "isso:8": ("Élodie", "", ""),
    "isso:12": ("", "", ""),
}

Expected = tuple[str, list[str], list[ThreadRow], list[CommentRow], Authors]
EXPECTED: dict[str, Expected] = {
    "disqus": (DISQUS_SUMMARY, DISQUS_PROBLEMS, DISQUS_THREADS, DISQUS_COMMENTS, DISQUS_AUTHORS),
    "wordpress": (
        WORDPRESS_SUMMARY,
        WORDPRESS_PROBLEMS,
        WORDPRESS_THREADS,
        WORDPRESS_COMMENTS,
        WORDPRESS_AUTHORS,
    ),
    "isso": (ISSO_SUMMARY, ISSO_PROBLEMS, ISSO_THREADS, ISSO_COMMENTS, ISSO_AUTHORS),
}
FORMATS = list(EXPECTED)
# The second time: every thread record finds its thread (two Disqus threads share a page).
AGAIN = {
    "disqus": summary((0, 4), (0, 14, 6)),
    "wordpress": summary((0, 3), (0, 15, 6)),
    "isso": summary((0, 3), (0, 9, 4)),
}


# --- the tests ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_sample_is_imported_exactly(
    app: Flask, runner: FlaskCliRunner, isso_file: Path, fmt: str
) -> None:
    make_site(app, "news")
    expected_summary, expected_problems, expected_threads, expected_comments, authors = EXPECTED[
        fmt
    ]

    result = invoke(runner, "import", fmt, str(source_of(fmt, isso_file)), "--site", "news")

    assert result.exit_code == 0, result.output
    assert result.stdout == expected_summary + "\n"
    assert sorted(result.stderr.splitlines()) == sorted(expected_problems)
    assert stored_threads(app, "news") == expected_threads
    assert stored_comments(app, "news") == expected_comments
    assert stored_authors(app, "news") == authors
    expect_stored_safely(app, "news")


def test_disqus_html_is_sanitised_and_entities_kept(app: Flask, runner: FlaskCliRunner) -> None:
    make_site(app, "news")
    invoke(runner, "import", "disqus", str(DISQUS_SAMPLE), "--site", "news")

    html = expect_stored_safely(app, "news")

    assert html["disqus:9002"] == (
        '<p>Second level, with a <a href="https://example.org/ref" title="ref" '
        'rel="nofollow ugc noopener noreferrer">reference</a>.</p>'
    )
    # Escaped in the XML, HTML in the message: the script tag is gone, its text harmless.
    assert html["disqus:9008"] == ('<p>Caf&eacute; &amp; cr&egrave;me &mdash; alert("entity")</p>')
    # CDATA with an onerror image, a script and a javascript: link.
    assert "<img" not in html["disqus:9009"]
    assert "<script" not in html["disqus:9009"]
    assert "onclick" not in html["disqus:9009"]
    assert "javascript:" not in html["disqus:9009"]
    assert html["disqus:9009"].endswith("click me</p>")
    # Deleted in the source: the text is gone, as our own delete leaves it.
    assert html["disqus:9006"] == html["disqus:9013"] == ""


def test_wordpress_paragraphs_and_html_survive_sanitised(
    app: Flask, runner: FlaskCliRunner
) -> None:
    make_site(app, "news")
    invoke(runner, "import", "wordpress", str(WORDPRESS_SAMPLE), "--site", "news")

    html = expect_stored_safely(app, "news")

    assert html["wordpress:101"] == (
        "<p>Great post.<br>\nTwo lines in one paragraph.</p>\n<p>And a second paragraph.</p>"
    )
    assert html["wordpress:102"] == (
        "<blockquote>Great post.</blockquote>\n<p>Thanks, <strong>agreed</strong>.</p>"
    )
    assert html["wordpress:113"] == (
        '<p><b>Caf&eacute;</b> &amp; cr&egrave;me &mdash; alert("entity")</p>'
    )
    assert "<img" not in html["wordpress:114"]
    assert "javascript:" not in html["wordpress:114"]
    assert html["wordpress:108"] == ""


def test_isso_markdown_is_rendered_by_our_pipeline(
    app: Flask, runner: FlaskCliRunner, isso_file: Path
) -> None:
    make_site(app, "news")
    invoke(runner, "import", "isso", str(isso_file), "--site", "news")

    html = expect_stored_safely(app, "news")

    assert html["isso:1"] == "<p>First! <strong>Lovely</strong> write-up.</p>\n"
    assert html["isso:12"] == "<p>Short and\nsweet.</p>\n<p>Two paragraphs.</p>\n"
    assert (
        html["isso:8"] == '<p>Café &amp; crème &lt;script&gt;alert("entity")&lt;/script&gt;</p>\n'
    )
    assert "<img" not in html["isso:7"]
    assert 'href="javascript' not in html["isso:7"]
    assert html["isso:4"] == ""
    with app.app_context():
        second = db.session.execute(
            select(Comment).where(Comment.source_key == "isso:2")
        ).scalar_one()
        assert (second.likes, second.dislikes) == (1, 2)
        assert second.edited_at is not None
        assert second.edited_at.isoformat() == "2019-05-01T12:00:00.500000+00:00"


@pytest.mark.parametrize("fmt", FORMATS)
def test_importing_the_same_file_again_adds_nothing(
    app: Flask, runner: FlaskCliRunner, isso_file: Path, fmt: str
) -> None:
    make_site(app, "news")
    source = str(source_of(fmt, isso_file))
    invoke(runner, "import", fmt, source, "--site", "news")
    threads, comments = stored_threads(app, "news"), stored_comments(app, "news")
    html = stored_html(app, "news")

    again = invoke(runner, "import", fmt, source, "--site", "news")

    assert again.exit_code == 0, again.output
    assert again.stdout == AGAIN[fmt] + "\n"
    assert stored_threads(app, "news") == threads
    assert stored_comments(app, "news") == comments
    assert stored_html(app, "news") == html
    assert problems_in_database(app) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_dry_run_reports_the_same_and_writes_nothing(
    app: Flask, runner: FlaskCliRunner, isso_file: Path, fmt: str
) -> None:
    make_site(app, "news")
    expected_summary, expected_problems, *_ = EXPECTED[fmt]

    result = invoke(
        runner, "import", fmt, str(source_of(fmt, isso_file)), "--site", "news", "--dry-run"
    )

    assert result.exit_code == 0, result.output
    assert result.stdout == expected_summary + "\n(dry run: nothing was written)\n"
    assert sorted(result.stderr.splitlines()) == sorted(expected_problems)
    assert stored_threads(app, "news") == []
    assert stored_comments(app, "news") == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_and_import_again_reproduces_the_import(
    app: Flask, runner: FlaskCliRunner, isso_file: Path, tmp_path: Path, fmt: str
) -> None:
    make_site(app, "news")
    make_site(app, "copy")
    invoke(runner, "import", fmt, str(source_of(fmt, isso_file)), "--site", "news")
    export = tmp_path / "news.jsonl"

    exported = invoke(runner, "export", "--site", "news", "--output", str(export))
    assert exported.exit_code == 0, exported.output
    result = invoke(runner, "import", "json", str(export), "--site", "copy")

    _, _, expected_threads, expected_comments, _ = EXPECTED[fmt]
    assert result.exit_code == 0, result.output
    assert (
        result.stdout == summary((len(expected_threads), 0), (len(expected_comments), 0, 0)) + "\n"
    )
    assert result.stderr == ""
    assert stored_threads(app, "copy") == stored_threads(app, "news")
    assert stored_comments(app, "copy") == stored_comments(app, "news")
    assert stored_authors(app, "copy") == stored_authors(app, "news")
    assert stored_html(app, "copy") == stored_html(app, "news")
    assert problems_in_database(app) == []
    # Both ways round, again: nothing more.
    again = invoke(runner, "import", "json", str(export), "--site", "copy")
    assert (
        again.stdout == summary((0, len(expected_threads)), (0, len(expected_comments), 0)) + "\n"
    )
    export_copy = tmp_path / "copy.jsonl"
    invoke(runner, "export", "--site", "copy", "--output", str(export_copy))
    assert _without_ids(export_copy) == _without_ids(export)


def _without_ids(path: Path) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for line in lines:
        for field in ("id", "exported_at", "site"):
            line.pop(field, None)
    return lines


@pytest.mark.parametrize("fmt", ["disqus", "wordpress"])
def test_an_entity_bomb_is_refused_by_the_command(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, fmt: str
) -> None:
    make_site(app, "news")
    root = {"disqus": b"disqus", "wordpress": b"rss"}[fmt]
    path = tmp_path / "bomb.xml"
    path.write_bytes(ENTITY_BOMB % {b"root": root} + b"<" + root + b">&lol9;</" + root + b">")

    result = invoke(runner, "import", fmt, str(path), "--site", "news")

    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: bomb.xml:3: refused: the file declares or refers to XML entities"
    )
    assert stored_threads(app, "news") == []


def test_a_file_of_another_format_is_refused_by_the_command(
    app: Flask, runner: FlaskCliRunner, isso_file: Path
) -> None:
    make_site(app, "news")

    as_disqus = invoke(runner, "import", "disqus", str(WORDPRESS_SAMPLE), "--site", "news")
    as_wordpress = invoke(runner, "import", "wordpress", str(DISQUS_SAMPLE), "--site", "news")
    as_isso = invoke(runner, "import", "isso", str(DISQUS_SAMPLE), "--site", "news")

    assert (as_disqus.exit_code, as_wordpress.exit_code, as_isso.exit_code) == (1, 1, 1)
    assert as_disqus.stderr == (
        "Error: wordpress-sample.xml:5: not a Disqus export: the root element is <rss>, "
        "not <disqus>.\n"
    )
    assert as_wordpress.stderr == (
        "Error: disqus-sample.xml:2: not a WordPress export (WXR): the root element is "
        "<disqus>, not <rss>.\n"
    )
    assert as_isso.stderr == (
        "Error: disqus-sample.xml: cannot read the Isso database: file is not a database.\n"
    )


def test_a_broken_file_imports_what_came_before_and_says_where_it_stopped(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    make_site(app, "news")
    broken = tmp_path / "broken.xml"
    text = DISQUS_SAMPLE.read_text(encoding="utf-8")
    broken.write_text(text.replace('<thread dsq:id="5004"/>', "<thread dsq:id=5004/>"))

    result = invoke(runner, "import", "disqus", str(broken), "--site", "news")

    assert result.exit_code == 1
    line = line_of(DISQUS_SAMPLE, '<thread dsq:id="5004"/>')
    assert result.stderr.splitlines()[-1] == (
        f"Error: reading stopped early: broken.xml:{line}: not well-formed XML: invalid token "
        "(column 23). The records before that point are imported; run the import again once "
        "the file is repaired to add the rest."
    )
    imported = {row[1] for row in stored_comments(app, "news")}
    assert "disqus:9010" in imported
    assert "disqus:9012" not in imported

    # Repaired: the rest comes in, nothing twice.
    again = invoke(runner, "import", "disqus", str(DISQUS_SAMPLE), "--site", "news")
    assert again.exit_code == 0, again.output
    assert stored_comments(app, "news") == DISQUS_COMMENTS
    assert problems_in_database(app) == []
