"""Webhooks: signed JSON calls to a site's receivers for comment events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from comments.config import Settings

if TYPE_CHECKING:
    from comments.models import Comment
    from comments.services.events import Event


def on_event(event: Event, comment: Comment) -> None:
    """Queue a call to each of the site's webhooks that wants ``event``."""


def deliver(payload: Mapping[str, object], settings: Settings) -> None:
    """Send one queued webhook call."""
    raise NotImplementedError
