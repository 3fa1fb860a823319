"""`comments privacy ...`: a person's data, exported or erased on request."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from comments.config import Settings
from comments.errors import DomainError
from comments.services import privacy


def _secret() -> str:
    settings: Settings = current_app.extensions["comments.settings"]
    return settings.SECRET_KEY


def _fail(exc: DomainError) -> click.ClickException:
    detail = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
    return click.ClickException(exc.message + (f" ({detail})" if detail else ""))


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to a file only its owner can read: it is someone's personal data."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise click.ClickException(f"Cannot write {path}: {exc.strerror or exc}") from exc


@click.group("privacy")
def privacy_group() -> None:
    """Export or erase everything stored about one person."""


@privacy_group.command("export")
@click.option("--email", required=True, help="The person's e-mail address (any case).")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the JSON to this file (mode 0600) instead of standard output.",
)
@with_appcontext
def export_command(email: str, output: Path | None) -> None:
    """Print everything stored about a person as JSON (recorded in the audit log)."""
    try:
        document = privacy.export_person(email, moderator=None, secret=_secret())
    except DomainError as exc:
        raise _fail(exc) from exc
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    _write_private(output, text)
    click.echo(
        f"Wrote {len(document['comments'])} comments, {len(document['votes'])} votes, "
        f"{len(document['reports'])} reports, {len(document['subscriptions'])} subscriptions "
        f"and {len(document['bans'])} bans to {output}.",
        err=True,
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@privacy_group.command("erase")
@click.option("--email", required=True, help="The person's e-mail address (any case).")
@click.option(
    "--remove-text",
    is_flag=True,
    help="Also delete the comments' text (they become placeholders where replies remain).",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def erase_command(email: str, remove_text: bool, yes: bool) -> None:
    """Anonymise a person's comments, unlink their votes and reports, drop subscriptions.

    The comments stay in their threads (replies keep their context) unless --remove-text.
    Bans naming the address are kept: they are the site's record.
    """
    try:
        found = privacy.count_person(email)
    except DomainError as exc:
        raise _fail(exc) from exc
    if found.empty:
        click.echo("Nothing is stored about that address.")
        return
    click.echo(
        f"Found {_plural(found.comments, 'comment')} in {_plural(found.threads, 'thread')}, "
        f"{_plural(found.votes, 'vote')}, {_plural(found.reports, 'report')}, "
        f"{_plural(found.subscriptions, 'subscription')}, {_plural(found.mails, 'mail')} "
        f"and {_plural(found.bans, 'ban')}."
    )
    if not yes:
        what = "anonymise and delete the text of" if remove_text else "anonymise"
        click.confirm(f"Erase this person's data ({what} their comments)?", abort=True)
    try:
        done = privacy.erase_person(
            email, moderator=None, secret=_secret(), remove_text=remove_text
        )
    except DomainError as exc:
        raise _fail(exc) from exc
    kept = "text kept" if not remove_text else f"{done.texts_removed} texts removed"
    click.echo(
        f"Erased: {_plural(done.comments, 'comment')} anonymised ({kept}), "
        f"{_plural(done.votes, 'vote')} and {_plural(done.reports, 'report')} unlinked, "
        f"{_plural(done.subscriptions, 'subscription')} and {_plural(done.mails, 'mail')} "
        "deleted."
    )
    for ban in done.bans_kept:
        state = "active" if ban.active else "ended"
        click.echo(f"Kept ban #{ban.id} on {ban.site} ({state}): it names the address.")
