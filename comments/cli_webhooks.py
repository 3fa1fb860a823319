"""`comments webhook ...`: a site's webhook receivers."""

from __future__ import annotations

import click


@click.group("webhook")
def webhook_group() -> None:
    """Manage a site's webhooks."""
