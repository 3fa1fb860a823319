"""Seeding the demo: the site, the article's discussion, its moderator and their queues.

The queues get held, reported, spam and hidden comments, each with the reason it is there.
Everything goes through the real services (posting, reports, moderation, settings), so the
queues, reasons and audit log look exactly as they would on a real site.
"""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypedDict

from sqlalchemy import select
from werkzeug.security import check_password_hash

from comments.demo_content import ARTICLE, ARTICLE_URI, COMMENTS
from comments.errors import NotFound
from comments.extensions import db
from comments.models import Comment, Moderator, ReportReason, Role, Site
from comments.services import accounts, identity, moderation, reports, sites
from comments.services.comments import Limits, NewComment, post_comment
from comments.services.moderation import Action

DEMO_SITE = "demo"
DEMO_MODERATOR = "moderator@demo.example"
# In the instance folder, readable by its owner only: the demo moderator's e-mail and password.
PASSWORD_FILE = "demo-moderator.txt"  # noqa: S105 - a file name, not a secret

# The demo site's moderation settings: readers' comments still publish at once ("post"), but
# these words hold a comment (banned) or flag it for a second look (suspect).
DEMO_POLICY = {
    "banned_words": ["crypto signals", "casino"],
    "banned_word_action": "hold",
    "suspect_words": ["paid shill", "traitors"],
}


class DemoReport(TypedDict):
    reader: str
    reason: ReportReason
    note: str


class Decision(TypedDict):
    action: Action
    reason: str


class QueueComment(TypedDict, total=False):
    """A comment written for the moderation queues, posted like a reader's."""

    key: str
    parent: str | None  # a key from demo_content.COMMENTS, or None for top-level
    author: str
    email: str
    minutes_after: int
    body: str
    honeypot: str  # filled in by a bot
    seconds_on_page: float  # too quick for a person
    reports: list[DemoReport]
    decision: Decision  # taken by the demo moderator afterwards


# Readers' reports on comments of the discussion itself: they stay published (below the
# site's threshold of 3) and wait in the Reported queue.
DISCUSSION_REPORTS: dict[str, list[DemoReport]] = {
    "c09": [
        {"reader": "reader-1", "reason": ReportReason.ABUSE,
         "note": "Repeats the Kremlin line that Ukraine started this."},
        {"reader": "reader-2", "reason": ReportReason.OTHER,
         "note": "Misleading about the order of events."},
    ],
    "c12": [
        {"reader": "reader-3", "reason": ReportReason.ABUSE,
         "note": "Says everyone who disagrees is paid to."},
        {"reader": "reader-4", "reason": ReportReason.OFF_TOPIC, "note": ""},
    ],
}  # fmt: skip

QUEUE_COMMENTS: list[QueueComment] = [
    # Pending: held by the site's rules or by readers' reports.
    {
        "key": "p1",
        "parent": "c26",
        "author": "Hye-jin Park",
        "email": "hyejin.park@example.net",
        "minutes_after": 150,
        "body": (
            "For anyone who wants to go to the sources rather than the summaries:\n\n"
            "- Yonhap's running coverage: https://en.yna.co.kr/\n"
            "- 38 North on the Russia-DPRK treaty: https://www.38north.org/\n"
            "- NK News deployment tracker: https://www.nknews.org/\n"
            "- The Kremlin's own readout: http://en.kremlin.ru/\n"
            "- KCNA Watch for the Pyongyang statement: https://kcnawatch.org/"
        ),
    },
    {
        "key": "p2",
        "parent": None,
        "author": "Trader Mike",
        "email": "mike.trades@example.com",
        "minutes_after": 171,
        "body": (
            "Wars move markets. I called the rouble drop back in August with my crypto "
            "signals group and nobody listened. Message me if you want in before the next leg."
        ),
    },
    {
        "key": "p3",
        "parent": "c08",
        "author": "Vlad S.",
        "email": "vlad.s@example.org",
        "minutes_after": 193,
        "body": (
            "Nobody has shown a single real photo of these shelled towns in Sumy. Footage can "
            "be made anywhere. I'll believe it when I see it with my own eyes."
        ),
        "reports": [
            {
                "reader": "reader-5",
                "reason": ReportReason.ABUSE,
                "note": "Denies the shelling of civilians.",
            },
            {"reader": "reader-6", "reason": ReportReason.ABUSE, "note": ""},
            {
                "reader": "reader-7",
                "reason": ReportReason.OTHER,
                "note": "Disinformation; the BBC and Reuters have filmed there.",
            },
        ],
    },
    # Spam: bots, caught by the hidden form field and by speed.
    {
        "key": "s1",
        "parent": None,
        "author": "Best Deals 2025",
        "email": "promo@bestdeals2025.example",
        "minutes_after": 133,
        "body": (
            "Great article!!! Want to watch Russian and Korean state TV uncensored? Our VPN is "
            "70% OFF today only: https://bestdeals2025.example/vpn"
        ),
        "honeypot": "https://bestdeals2025.example",
    },
    {
        "key": "s2",
        "parent": "c14",
        "author": "Kursk Tours",
        "email": "info@kursk-tours.example",
        "minutes_after": 215,
        "body": (
            "Visit the historic Prokhorovka battlefield with our guided tank tours! Book now "
            "and get a free casino night in Belgorod."
        ),
        "seconds_on_page": 0.8,
    },
    # Hidden: published, then taken down by the moderator, with the reason it was looked at.
    {
        "key": "h1",
        "parent": "c10",
        "author": "Patriot1991",
        "email": "patriot1991@example.com",
        "minutes_after": 64,
        "body": (
            "Everyone in this thread defending Kyiv is a paid shill. Same accounts, same "
            "talking points, every single time."
        ),
        "decision": {
            "action": Action.HIDE,
            "reason": "Accuses other readers of being paid, with nothing to back it up.",
        },
    },
    {
        "key": "h2",
        "parent": "c34",
        "author": "Gary W.",
        "email": "garyw@example.net",
        "minutes_after": 138,
        "body": (
            "Your uncle has more sense than you do. People like you will cheer on any war as "
            "long as someone else's kids fight it."
        ),
        "reports": [
            {"reader": "reader-8", "reason": ReportReason.ABUSE, "note": "Personal attack."},
            {"reader": "reader-9", "reason": ReportReason.ABUSE, "note": ""},
        ],
        "decision": {"action": Action.HIDE, "reason": "Personal attack on another reader."},
    },
]

# The spam bot of s1 is also banned, so the Bans page has something on it.
BANNED = {"s1": (30, "Spam bot advertising a VPN.")}


@dataclasses.dataclass(frozen=True)
class SignIn:
    """How to sign in as the demo moderator; no password if it was changed since."""

    email: str
    password: str | None


def published_at() -> datetime:
    return datetime.fromisoformat(ARTICLE["published"]).replace(hour=7, tzinfo=UTC)


def _address_hash(author: str) -> str:
    # Each demo author gets a stable pseudo-address so their comments belong together.
    return identity.hash_address("demo:" + author, "demo")


def _reader(name: str) -> str:
    return identity.reader_key(identity.hash_address("demo:" + name, "demo"))


def seed(origins: tuple[str, ...] = (), instance_path: str | Path | None = None) -> bool:
    """Create the demo site, discussion, moderator and queues unless present.

    Returns whether it created them. With ``instance_path``, the new moderator's password
    is written to PASSWORD_FILE there (mode 0600); without, it is not kept anywhere and
    ``sign_in`` sets a new one.
    """
    if db.session.execute(select(Site.id).where(Site.slug == DEMO_SITE)).first():
        return False
    sites.add_site(DEMO_SITE, "The Meridian Ledger (demo)", origins)
    ids = _seed_discussion()
    moderator = _find_moderator()
    if moderator is None:
        moderator, password = accounts.add_moderator(DEMO_MODERATOR, Role.ADMIN)
        if instance_path is not None and password is not None:
            _write_password(Path(instance_path), password)
    sites.update_policy(DEMO_SITE, DEMO_POLICY, moderator)
    _seed_queues(moderator, ids)
    return True


def _seed_discussion() -> dict[str, int]:
    start = published_at()
    ids: dict[str, int] = {}
    for entry in COMMENTS:
        address_hash = _address_hash(entry["author"])
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
    return ids


def _seed_queues(moderator: Moderator, ids: dict[str, int]) -> None:
    """Readers' reports, held comments, spam and the moderator's decisions."""
    for key, entries in DISCUSSION_REPORTS.items():
        for entry in entries:
            reports.report(ids[key], _reader(entry["reader"]), entry["reason"], entry["note"])
    start = published_at()
    for item in QUEUE_COMMENTS:
        address_hash = _address_hash(item["author"])
        parent = item.get("parent")
        comment, _token = post_comment(
            NewComment(
                site=DEMO_SITE,
                uri=ARTICLE_URI,
                body=item["body"],
                parent_id=ids[parent] if parent else None,
                author_name=item["author"],
                author_email=item["email"],
                honeypot=item.get("honeypot", ""),
                seconds_on_page=item.get("seconds_on_page"),
            ),
            author_key=identity.reader_key(address_hash),
            address_hash=address_hash,
            limits=Limits(edit_window=timedelta(0)),
        )
        comment.created_at = start + timedelta(minutes=item["minutes_after"])
        db.session.commit()
        for report in item.get("reports", []):
            reports.report(comment.id, _reader(report["reader"]), report["reason"], report["note"])
        decision = item.get("decision")
        if decision is not None:
            moderation.moderate(moderator, comment.id, decision["action"], decision["reason"])
        if item["key"] in BANNED:
            days, reason = BANNED[item["key"]]
            moderation.ban_author(moderator, comment.id, days=days, reason=reason)


# --- The demo moderator's sign-in ------------------------------------------------------------


def _find_moderator() -> Moderator | None:
    try:
        return accounts.get_by_email(DEMO_MODERATOR)
    except NotFound:
        return None


def _write_password(instance_path: Path, password: str) -> None:
    """Write the sign-in to the instance folder, readable by its owner only."""
    instance_path.mkdir(parents=True, exist_ok=True)
    path = instance_path / PASSWORD_FILE
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        os.fchmod(out.fileno(), 0o600)  # an existing file keeps its old mode otherwise
        out.write(f"{DEMO_MODERATOR}\n{password}\n")


def stored_password(instance_path: str | Path) -> str | None:
    """The demo moderator's password as stored in the instance folder, if it is there."""
    try:
        lines = (Path(instance_path) / PASSWORD_FILE).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    if len(lines) < 2 or lines[0].strip() != DEMO_MODERATOR or not lines[1]:
        return None
    return lines[1]


def sign_in(instance_path: str | Path) -> SignIn:
    """How to sign in as the demo moderator, for the demo to print at every start.

    Creates the account if it is missing (a demo seeded before it existed, or removed) and
    sets a new password when none is stored; a password changed since is left alone.
    """
    instance = Path(instance_path)
    moderator = _find_moderator()
    stored = stored_password(instance)
    if moderator is None:
        _moderator, generated = accounts.add_moderator(DEMO_MODERATOR, Role.ADMIN)
        assert generated is not None
        _write_password(instance, generated)
        return SignIn(DEMO_MODERATOR, generated)
    if stored is None:
        password = accounts.generate_password()
        accounts.set_password(moderator, password)
        _write_password(instance, password)
        return SignIn(DEMO_MODERATOR, password)
    if check_password_hash(moderator.password_hash, stored):
        return SignIn(DEMO_MODERATOR, stored)
    return SignIn(DEMO_MODERATOR, None)


LOOPBACK_NAMES = ("127.0.0.1", "localhost")


def allow_origins(host: str, port: int) -> None:
    """Let the demo article's page call the API from whichever host name serves it."""
    names = LOOPBACK_NAMES if host in LOOPBACK_NAMES else (host,)
    wanted = sorted({f"http://{name}:{port}" for name in names})
    site = sites.get_site(DEMO_SITE)
    if sorted(site.allowed_origins) != wanted:
        sites.edit_site(DEMO_SITE, origins=wanted)
