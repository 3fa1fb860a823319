"""Seeding the demo: the site, the article's thread and its discussion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from comments.demo_content import ARTICLE, ARTICLE_URI, COMMENTS
from comments.extensions import db
from comments.models import Comment, Site
from comments.services import identity, sites
from comments.services.comments import Limits, NewComment, post_comment

DEMO_SITE = "demo"


def published_at() -> datetime:
    return datetime.fromisoformat(ARTICLE["published"]).replace(hour=7, tzinfo=UTC)


def seed(origins: tuple[str, ...] = ()) -> bool:
    """Create the demo site and discussion unless present. Returns whether it created them."""
    if db.session.execute(select(Site.id).where(Site.slug == DEMO_SITE)).first():
        return False
    sites.add_site(DEMO_SITE, "The Meridian Ledger (demo)", origins)
    start = published_at()
    ids: dict[str, int] = {}
    for entry in COMMENTS:
        # Each demo author gets a stable pseudo-address so their comments belong together.
        address_hash = identity.hash_address("demo:" + entry["author"], "demo")
        comment, _token = post_comment(
            NewComment(
                site=DEMO_SITE,
                uri=ARTICLE_URI,
                title=ARTICLE["headline"],
                body=entry["body"],
                parent_id=ids[entry["parent"]] if entry["parent"] else None,
                author_name=entry["author"],
                author_email=entry["email"],
                author_url=entry["website"],
            ),
            author_key=identity.reader_key(address_hash),
            address_hash=address_hash,
            limits=Limits(edit_window=timedelta(0)),
        )
        ids[entry["key"]] = comment.id
        stored = db.session.get(Comment, comment.id)
        assert stored is not None
        stored.created_at = start + timedelta(minutes=entry["minutes_after"])
        stored.likes = entry["likes"]
        stored.dislikes = entry["dislikes"]
        stored.score = entry["likes"] - entry["dislikes"]
    db.session.commit()
    return True
