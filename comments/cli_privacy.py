"""`comments privacy ...`: a person's data, exported or erased on request."""

from __future__ import annotations

import click


@click.group("privacy")
def privacy_group() -> None:
    """Export or erase everything stored about one person."""
