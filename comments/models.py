"""The stored data: sites, threads, comments, votes and reports."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from comments.extensions import Base

# A comment's path holds one fixed-width segment per level, relative to its anchor.
PATH_SEGMENT_WIDTH = 10
# Every this many levels a comment starts a new block (anchor) so paths stay bounded
# however deep a reply chain grows; a reader fetches the next block with a cursor.
BLOCK_DEPTH = 32


def utcnow() -> datetime:
    """The current time in UTC, timezone-aware."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Datetimes stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use comments.models.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class CommentStatus(enum.StrEnum):
    """Where a comment stands. Stored as its string value, never a number."""

    PENDING = "pending"
    APPROVED = "approved"
    HIDDEN = "hidden"
    SPAM = "spam"
    DELETED = "deleted"


# States in which a comment's own content is withheld from readers; with shown replies it
# stays as a placeholder so they keep their context (a reported comment taken back to
# pending included).
REMOVED_STATUSES = (
    CommentStatus.PENDING,
    CommentStatus.HIDDEN,
    CommentStatus.SPAM,
    CommentStatus.DELETED,
)


class ReportReason(enum.StrEnum):
    SPAM = "spam"
    ABUSE = "abuse"
    OFF_TOPIC = "off_topic"
    OTHER = "other"


def _enum(kind: type[enum.Enum], name: str) -> Enum:
    return Enum(
        kind,
        name=name,
        native_enum=False,
        length=16,
        create_constraint=True,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Site(Base):
    """A website that embeds threads; the unit of configuration and moderation."""

    __tablename__ = "site"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    allowed_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    sso_secret: Mapped[str] = mapped_column(String(128), default="")
    # Moderation policy; the moderation issue gives it a schema. Empty means defaults.
    settings: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    # Per-client rate limits for this site's readers; empty means the defaults.
    limits: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    threads: Mapped[list[Thread]] = relationship(back_populates="site")


class Thread(Base):
    """One page's discussion, created with its first comment."""

    __tablename__ = "thread"
    __table_args__ = (UniqueConstraint("site_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(1024))
    title: Mapped[str] = mapped_column(String(300), default="")
    url: Mapped[str] = mapped_column(String(2048), default="")
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    # Approved comments, kept in step by the comment services so counts are one lookup.
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped by every write readers can see: the cache and ETag key.
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    site: Mapped[Site] = relationship(back_populates="threads")


class Comment(Base):
    """One comment in a thread tree (adjacency list plus a bounded materialised path)."""

    __tablename__ = "comment"
    __table_args__ = (
        # A thread's top-level page, in any order, never touches other threads' rows.
        Index("ix_comment_thread_id_parent_id_id", "thread_id", "parent_id", "id"),
        # A block of replies read in display order with one range scan.
        Index("ix_comment_anchor_id_path", "anchor_id", "path"),
        Index("ix_comment_parent_id", "parent_id"),
        # A site's recent comments (via thread) and per-status queues.
        Index("ix_comment_thread_id_status_created_at", "thread_id", "status", "created_at"),
        UniqueConstraint("thread_id", "source_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    # The comment that opens this comment's block (itself at depth 0, 32, 64, ...).
    anchor_id: Mapped[int | None] = mapped_column(Integer)
    # Fixed-width ids from the anchor down to this comment; sorts in display order.
    path: Mapped[str] = mapped_column(
        String(BLOCK_DEPTH * PATH_SEGMENT_WIDTH).with_variant(
            # Byte order, whatever the database's locale: paths must sort digit by digit.
            String(BLOCK_DEPTH * PATH_SEGMENT_WIDTH, collation="C"),
            "postgresql",
        ),
        default="",
    )
    depth: Mapped[int] = mapped_column(Integer, default=0)
    author_name: Mapped[str] = mapped_column(String(64), default="")
    author_email: Mapped[str] = mapped_column(String(254), default="")
    author_url: Mapped[str] = mapped_column(String(2048), default="")
    # An avatar URL the site vouched for (SSO); otherwise we draw one locally.
    author_avatar: Mapped[str] = mapped_column(String(2048), default="")
    # Who wrote it, as voters and reporters are told apart: an address hash (or SSO id).
    author_key: Mapped[str] = mapped_column(String(128), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[CommentStatus] = mapped_column(
        _enum(CommentStatus, "comment_status"), default=CommentStatus.APPROVED
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    likes: Mapped[int] = mapped_column(Integer, default=0)
    dislikes: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[int] = mapped_column(Integer, default=0)
    # Direct replies readers can see (approved, or placeholders with visible replies).
    reply_count: Mapped[int] = mapped_column(Integer, default=0)
    ip_hash: Mapped[str] = mapped_column(String(64), default="")
    edit_token_hash: Mapped[str] = mapped_column(String(64), default="")
    # Why the automatic rules held, flagged or marked it: [{"code": ..., "text": ...}].
    moderation_reasons: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    # Published but sent to the Reported queue by a suspect-word rule.
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    # Readers' reports, kept in step with the Report rows to order the Reported queue.
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    # When a moderator first decided on it: the time-to-decision figure on the dashboard.
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Where an imported comment came from ("disqus:123"); makes re-importing a no-op.
    source_key: Mapped[str | None] = mapped_column(String(200))
    # When the reply notifications for this comment were queued: at most once, even if a
    # moderator hides and approves it again.
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    thread: Mapped[Thread] = relationship()


class Vote(Base):
    """One voter's standing vote on one comment."""

    __tablename__ = "vote"
    __table_args__ = (UniqueConstraint("comment_id", "voter"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    voter: Mapped[str] = mapped_column(String(128))
    value: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Report(Base):
    """A reader's report that a comment breaks the rules."""

    __tablename__ = "report"
    __table_args__ = (UniqueConstraint("comment_id", "reporter"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    reporter: Mapped[str] = mapped_column(String(128))
    reason: Mapped[ReportReason] = mapped_column(_enum(ReportReason, "report_reason"))
    note: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Role(enum.StrEnum):
    ADMIN = "admin"  # every site, moderators and settings
    MODERATOR = "moderator"  # the comments of the sites assigned to them


moderator_site = Table(
    "moderator_site",
    Base.metadata,
    Column("moderator_id", ForeignKey("moderator.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", ForeignKey("site.id", ondelete="CASCADE"), primary_key=True),
)


class Moderator(Base):
    """A person who signs in to moderate."""

    __tablename__ = "moderator"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(_enum(Role, "moderator_role"), default=Role.MODERATOR)
    # Part of every session; bumping it signs the moderator out everywhere.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    # E-mail alerts for new pending and reported comments: off, immediate or digest.
    alert_mode: Mapped[str] = mapped_column(String(16), default="off")
    # The end of the period the last daily digest covered.
    digest_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    sites: Mapped[list[Site]] = relationship(secondary=moderator_site)


class ApiToken(Base):
    """A moderator's token for the moderation API; shown once, stored hashed."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    moderator_id: Mapped[int] = mapped_column(ForeignKey("moderator.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    moderator: Mapped[Moderator] = relationship()


class ModerationAction(Base):
    """The append-only audit log: who did what, when, to what, and why."""

    __tablename__ = "moderation_action"
    __table_args__ = (Index("ix_moderation_action_site_id_created_at", "site_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    # None for the automatic rules.
    moderator_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderator.id", ondelete="SET NULL")
    )
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comment.id", ondelete="SET NULL"), index=True
    )
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("thread.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))
    status_before: Mapped[str | None] = mapped_column(String(16))
    status_after: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    previous_text: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    undoes_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderation_action.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    moderator: Mapped[Moderator | None] = relationship()


class Ban(Base):
    """An author barred from a site by e-mail and address hash, until it expires."""

    __tablename__ = "ban"
    __table_args__ = (
        Index("ix_ban_site_id_email", "site_id", "email"),
        Index("ix_ban_site_id_ip_hash", "site_id", "ip_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254), default="")
    ip_hash: Mapped[str] = mapped_column(String(64), default="")
    author_key: Mapped[str] = mapped_column(String(128), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderator.id", ondelete="SET NULL")
    )


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # given up after the last attempt


class OutboxMessage(Base):
    """A mail or webhook call queued in the transaction of the change it reports.

    The worker delivers it after the commit, so a rolled-back change sends nothing.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "email" or "webhook"
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    status: Mapped[OutboxStatus] = mapped_column(
        _enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A worker's claim: others leave the message alone until this passes.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Subscription(Base):
    """A reader's wish to hear by e-mail about replies to one of their comments."""

    __tablename__ = "subscription"
    __table_args__ = (
        UniqueConstraint("comment_id", "email"),
        Index("ix_subscription_site_id_email", "site_id", "email"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    # Anonymous readers confirm by mail first (double opt-in); SSO readers need not.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Webhook(Base):
    """A site's receiver for comment events, signed with its own secret."""

    __tablename__ = "webhook"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    secret: Mapped[str] = mapped_column(String(128))
    # The events it receives; empty means all of them.
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
