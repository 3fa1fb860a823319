"""`comments import ...` and `comments export`: moving comments in and out."""

from __future__ import annotations

import click


@click.group("import")
def import_group() -> None:
    """Import comments from Disqus, WordPress, Isso or our own export."""


@click.command("export")
def export_command() -> None:
    """Export a site's threads and comments as JSON Lines."""
