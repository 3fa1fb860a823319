"""Export, import into an empty database, export again: the same threads and comments.

Site A is built through the real services: replies nested past a block (BLOCK_DEPTH), every
status, placeholders left by an author's and a moderator's delete, edits, votes, SSO authors,
held and flagged comments with their reasons, Unicode, emoji, right-to-left text, HTML
entities, long bodies, locked and empty threads, and comments imported from elsewhere.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from comments.extensions import db
from comments.models import BLOCK_DEPTH, Comment, CommentStatus, Role, Thread
from comments.porting import jsonl
from comments.services import accounts, exporter, maintenance, moderation, sites, threads, votes
from comments.services import comments as service
from comments.services.importer import import_records, native_source_key
from comments.services.moderation import Action
from tests.factories import make_site
from tests.porting.helpers import comment, problems_in_database, thread
from tests.support import app_on, scratch_database

LIMITS = service.Limits()
LONG_BODY = "\n\n".join(
    f"Paragraph {i}: " + "a considered sentence about the article, " * 12 for i in range(16)
)


class Author:
    """A reader posting through the service, each from their own address."""

    def __init__(self, name: str, email: str = "", key: str = "", **extra: str) -> None:
        self.name, self.email, self.extra = name, email, extra
        self.key = key or f"ip:{name.lower()}"

    def post(self, uri: str, body: str, parent: int | None = None) -> tuple[int, str]:
        new = service.NewComment(
            site="news",
            uri=uri,
            body=body,
            parent_id=parent,
            title="A story" if uri == "/story" else "",
            url="https://news.example" + uri if uri == "/story" else "",
            author_name=self.name,
            author_email=self.email,
            **self.extra,
        )
        created, token = service.post_comment(
            new, author_key=self.key, address_hash=self.key[-8:], limits=LIMITS
        )
        return created.id, token


def build_site_a(app: Flask) -> None:
    make_site(app)
    with app.app_context():
        accounts.add_moderator("admin@example.org", Role.ADMIN, (), password="x" * 16)
        admin = accounts.get_by_email("admin@example.org")
        ann = Author("Ann", "ann@example.org", author_url="ann.example")
        ben = Author("Ben")
        zoe = Author("Zoë 🐙", "zoe@example.org")
        sso = Author(
            "Sam", "sam@example.org", key="sso:news:42", author_avatar="https://cdn.example/s.png"
        )
        rtl = Author("مريم", "maryam@example.org")

        root, _ = ann.post("/story", "Hello **world** & <b>you</b>: naïve café ☕ 🐙")
        # A chain two blocks deep.
        parent = root
        for depth in range(1, BLOCK_DEPTH + 9):
            who = ben if depth % 2 else zoe
            parent, _ = who.post("/story", f"Level {depth} of the chain", parent)
        rtl.post(
            "/story", "\u202bمرحبا بالعالم\u202c — right to left, with a [link](https://a.example)"
        )
        entities, token = ben.post(
            "/story", "5 &lt; 6 &amp;&amp; &quot;quoted&quot; &#x1F600; x < y"
        )
        service.edit_comment(entities, token, "Edited: 5 &lt; 6 &amp;&amp; &#x1F600; x < y", LIMITS)
        long_id, _ = zoe.post("/story", LONG_BODY)
        sso_id, _ = sso.post("/story", "Signed in through the site", root)
        for voter in ("v1", "v2", "v3"):
            votes.vote(long_id, f"ip:{voter}", 1)
        votes.vote(long_id, "ip:v4", -1)
        votes.vote(sso_id, "ip:v5", -1)

        # Placeholders: deleted by the author, deleted by a moderator, hidden; each answered.
        gone, gone_token = ann.post("/story", "I will delete this", root)
        zoe.post("/story", "Answer to a comment its author deleted", gone)
        service.delete_comment(gone, gone_token, LIMITS)
        removed, _ = ben.post("/story", "A moderator removes this")
        ann.post("/story", "Answer to a removed comment", removed)
        moderation.moderate(admin, removed, Action.DELETE, "rude")
        hidden, _ = zoe.post("/story", "Soon hidden")
        sso.post("/story", "Answer to a hidden comment", hidden)
        moderation.moderate(admin, hidden, Action.HIDE)
        spam, _ = Author("Buy", "buy@example.net").post("/story", "Cheap pills")
        moderation.moderate(admin, spam, Action.SPAM)
        lonely, _ = ben.post("/story", "Deleted without answers")
        moderation.moderate(admin, lonely, Action.DELETE)  # gone for good

        # Held with reasons, and published but flagged.
        sites.update_policy("news", {"max_links": "1", "suspect_words": "casino"})
        rtl.post("/story", "Two links: https://a.example and https://b.example")
        zoe.post("/story", "Is this a casino?")
        sites.update_policy("news", {"max_links": "3", "suspect_words": ""})

        # A locked thread, and a thread with no comments left.
        locked, _ = ann.post("/locked", "The last word")
        moderation.set_locked(admin, service.site_of(locked).threads[0].id, True)
        empty, _ = ben.post("/empty", "Removed for good")
        moderation.moderate(admin, empty, Action.DELETE)
        db.session.commit()

    # Comments that came from elsewhere: HTML with blank lines and <pre>, a reply first.
    records = [
        thread("d1", "/story"),
        thread("d2", "/imported", title="From Disqus", url="https://news.example/imported"),
        comment("disqus:2", "disqus:1", thread="d2", body="<p>Reply</p>", body_format="html"),
        comment(
            "disqus:1",
            thread="d2",
            body="<p>Code:</p>\n\n<pre>a\n\n\nb</pre>\n\n<p>done &amp; dusted</p>",
            body_format="html",
            author_name="Dee",
            author_email="dee@example.org",
        ),
        comment("disqus:3", thread="d1", body="Plain\n\ntext <b>", body_format="text"),
    ]
    with app.app_context():
        summary = import_records("news", records)
        assert summary.problems == []


def export(site: str = "news") -> bytes:
    out = io.BytesIO()
    exporter.write_export(site, out)
    return out.getvalue()


def comparable(data: bytes) -> list[dict[str, Any]]:
    """The export's lines without the fields documented as deployment-specific."""
    lines = [json.loads(line) for line in data.splitlines()]
    lines[0].pop("exported_at")
    for line in lines[1:]:
        line.pop("id")
    return lines


def state(slug: str = "news") -> dict[str, Any]:
    """What readers and moderators see of a site, by stable identities (no ids)."""
    site = sites.get_site(slug)
    comments = list(
        db.session.execute(
            select(Comment)
            .join(Thread)
            .where(Thread.site_id == site.id)
            .order_by(Comment.thread_id, Comment.id)
        ).scalars()
    )
    keys = {c.id: c.source_key or native_source_key(site, c.id) for c in comments}
    pages = {}
    for t in db.session.execute(select(Thread).where(Thread.site_id == site.id)).scalars():
        page = threads.read_thread(site, t.key, limit=100, replies_limit=1000)
        pages[t.key] = {
            "thread": (t.title, t.url, t.locked, t.comment_count, t.created_at),
            "tree": list(_tree(page.comments, keys)),
        }
    return {
        "pages": pages,
        "comments": [
            {
                "key": keys[c.id],
                "parent": keys.get(c.parent_id) if c.parent_id else None,
                **{column: getattr(c, column) for column in COMPARED},
            }
            for c in comments
        ],
    }


COMPARED = (
    *("status", "depth", "reply_count", "body", "html", "author_name", "author_email"),
    *("author_url", "author_avatar", "created_at", "edited_at", "decided_at", "likes"),
    *("dislikes", "score", "flagged", "moderation_reasons"),
)


def _tree(nodes: list[threads.CommentNode], keys: dict[int, str]) -> Iterator[Any]:
    for node in nodes:
        yield (
            keys[node.comment.id],
            node.comment.status.value,
            node.replies_cursor is not None,
            list(_tree(node.replies, keys)),
        )


@pytest.fixture
def site_a(app: Flask) -> Flask:
    build_site_a(app)
    return app


def test_export_then_import_into_an_empty_database_gives_the_same_site(
    site_a: Flask, tmp_path: Path
) -> None:
    with site_a.app_context():
        first = export()
        before = state()
    statuses = {line.get("status") for line in comparable(first)[1:]}
    assert statuses == {None, *(s.value for s in CommentStatus)}

    with scratch_database(tmp_path, "comments_roundtrip") as url, app_on(url, tmp_path / "b"):
        db.create_all()
        sites.add_site("news", "News", ())
        summary = import_records("news", jsonl.read(io.BytesIO(first), "a.jsonl"))
        assert summary.problems == []
        assert summary.skipped == 0
        second = export()
        after = state()
        rerendered = maintenance.rerender_all()
        assert (rerendered.changed, rerendered.failed) == (0, [])
        db.session.remove()

    assert comparable(second) == comparable(first)
    assert after == before


def test_importing_a_sites_own_export_adds_nothing(site_a: Flask) -> None:
    with site_a.app_context():
        data = export()
        before = state()
        summary = import_records("news", jsonl.read(io.BytesIO(data), "a.jsonl"))
        assert (summary.threads_created, summary.comments_added, summary.skipped) == (0, 0, 0)
        assert summary.comments_existing == len(comparable(data)) - 1 - summary.threads_existing
        assert state() == before
    assert problems_in_database(site_a) == []


def test_the_export_of_a_copy_adds_only_what_is_new_back_home(
    site_a: Flask, tmp_path: Path
) -> None:
    with site_a.app_context():
        first = export()
        chain_start = db.session.execute(
            select(Comment.created_at).where(Comment.body == "Level 1 of the chain")
        ).scalar_one()
    with scratch_database(tmp_path, "comments_roundtrip") as url, app_on(url, tmp_path / "b"):
        db.create_all()
        sites.add_site("copy", "Copy", ())
        import_records("copy", jsonl.read(io.BytesIO(first), "a.jsonl"))
        # Written in the copy: a reply to a comment that came from the original.
        reply_to = db.session.execute(
            select(Comment.id).where(Comment.created_at == chain_start)
        ).scalar_one()
        new = service.NewComment(
            site="copy", uri="/story", body="Written in the copy", parent_id=reply_to
        )
        written, _ = service.post_comment(
            new, author_key="ip:new", address_hash="new", limits=LIMITS
        )
        new_key = native_source_key(sites.get_site("copy"), written.id)
        second = export("copy")
        db.session.remove()
    with site_a.app_context():
        before = state()
        summary = import_records("news", jsonl.read(io.BytesIO(second), "b.jsonl"))
        assert summary.problems == []
        assert (summary.threads_created, summary.comments_added) == (0, 1)
        added = db.session.execute(
            select(Comment).where(Comment.source_key == new_key)
        ).scalar_one()
        parent = db.session.get(Comment, added.parent_id)
        assert parent is not None and parent.body == "Level 1 of the chain"
        after = state()
        assert [
            c for c in after["comments"] if c["key"] != new_key and c["key"] != parent_key(parent)
        ] == [c for c in before["comments"] if c["key"] != parent_key(parent)]
    assert problems_in_database(site_a) == []


def parent_key(comment: Comment) -> str:
    return comment.source_key or native_source_key(sites.get_site("news"), comment.id)
