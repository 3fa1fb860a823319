"""Building and sending mail: EmailMessage only, plain text, over SMTP."""

from __future__ import annotations

from collections.abc import Mapping

from comments.config import Settings


def deliver(payload: Mapping[str, object], settings: Settings) -> None:
    """Send one queued mail."""
    raise NotImplementedError
