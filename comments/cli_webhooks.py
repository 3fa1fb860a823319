"""`comments webhook ...`: a site's webhook receivers."""

from __future__ import annotations

from collections.abc import Sequence

import click
from flask import current_app
from flask.cli import with_appcontext

from comments.config import Settings
from comments.errors import DomainError
from comments.services import webhooks

WEBHOOK_ID = click.IntRange(1, 2**31 - 1)


def _fail(exc: DomainError) -> click.ClickException:
    return click.ClickException(exc.message)


@click.group("webhook")
def webhook_group() -> None:
    """Manage a site's webhooks: signed calls to your URL when comments change."""


@webhook_group.command("add")
@click.argument("site")
@click.argument("url")
@click.option(
    "--event",
    "events",
    multiple=True,
    type=click.Choice(webhooks.EVENTS),
    help="An event to send; repeat for several. Default: all of them.",
)
@with_appcontext
def webhook_add(site: str, url: str, events: Sequence[str]) -> None:
    """Add a webhook to SITE that POSTs events to URL; its signing secret is shown once.

    The URL must be http(s) and must not lead to a loopback or private address unless
    COMMENTS_WEBHOOKS_ALLOW_PRIVATE is on.
    """
    settings: Settings = current_app.extensions["comments.settings"]
    try:
        webhook = webhooks.add_webhook(
            site, url, events, allow_private=settings.WEBHOOKS_ALLOW_PRIVATE
        )
    except DomainError as exc:
        raise _fail(exc) from exc
    click.echo(f"Added webhook {webhook.id} to {site}: {webhook.url}")
    click.echo(f"Events: {_events(webhook.events)}")
    click.echo(f"Signing secret (shown once; keep it on the receiver): {webhook.secret}")


def _events(events: Sequence[str] | None) -> str:
    return ", ".join(events) if events else "all"


@webhook_group.command("list")
@click.option("--site", default=None, help="Only this site's webhooks.")
@with_appcontext
def webhook_list(site: str | None) -> None:
    """List the webhooks: id, site, URL, events, state, created."""
    try:
        rows = webhooks.list_webhooks(site)
    except DomainError as exc:
        raise _fail(exc) from exc
    if not rows:
        click.echo("No webhooks.")
        return
    for webhook, slug in rows:
        state = "active" if webhook.active else "off"
        click.echo(
            f"{webhook.id}\t{slug}\t{webhook.url}\t{_events(webhook.events)}\t{state}\t"
            f"{webhook.created_at:%Y-%m-%d %H:%M}"
        )


@webhook_group.command("remove")
@click.argument("webhook_id", metavar="ID", type=WEBHOOK_ID)
@with_appcontext
def webhook_remove(webhook_id: int) -> None:
    """Remove a webhook; calls still queued for it are not sent."""
    try:
        url = webhooks.remove_webhook(webhook_id)
    except DomainError as exc:
        raise _fail(exc) from exc
    click.echo(f"Removed webhook {webhook_id} ({url}).")


@webhook_group.command("rotate-secret")
@click.argument("webhook_id", metavar="ID", type=WEBHOOK_ID)
@with_appcontext
def webhook_rotate(webhook_id: int) -> None:
    """Give a webhook a new signing secret (shown once); queued calls are signed with it."""
    try:
        webhook = webhooks.rotate_secret(webhook_id)
    except DomainError as exc:
        raise _fail(exc) from exc
    click.echo(f"New signing secret of webhook {webhook.id} (shown once): {webhook.secret}")


@webhook_group.command("test")
@click.argument("webhook_id", metavar="ID", type=WEBHOOK_ID)
@with_appcontext
def webhook_test(webhook_id: int) -> None:
    """Queue a "ping" call to a webhook; the worker sends it (`comments worker --once`)."""
    try:
        delivery = webhooks.queue_ping(webhook_id)
    except DomainError as exc:
        raise _fail(exc) from exc
    click.echo(f"Queued a ping to webhook {webhook_id} (delivery {delivery}).")
    click.echo("The worker sends it; `comments worker --once` does so now.")
