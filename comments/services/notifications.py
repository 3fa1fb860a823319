"""E-mail notifications: reply notifications for readers and alerts for moderators."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from comments.config import Settings

if TYPE_CHECKING:
    from comments.models import Comment
    from comments.services.events import Event


def on_event(event: Event, comment: Comment) -> None:
    """Queue the mails ``event`` calls for."""


def queue_digests(settings: Settings, now: datetime) -> None:
    """Queue the daily digest for each moderator whose digest is due."""
