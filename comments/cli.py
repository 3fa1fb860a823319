"""The `comments` command: run, demo, db, site and rerender."""

from __future__ import annotations

import os
from collections.abc import Sequence

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade as migrate_upgrade

from comments.errors import DomainError
from comments.services import maintenance, sites

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def _create_app() -> Flask:
    from comments.app import create_app

    return create_app()


def upgrade_database() -> None:
    """Bring the schema up to date (Alembic), quietly."""
    migrate_upgrade(directory=current_app.extensions["migrate"].directory)


def _fail(exc: DomainError) -> click.ClickException:
    detail = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
    return click.ClickException(exc.message + (f" ({detail})" if detail else ""))


@click.command("run")
@click.option("--host", default=DEFAULT_HOST, show_default=True)
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="gunicorn workers")
@with_appcontext
def run_command(host: str, port: int, workers: int) -> None:
    """Upgrade the database, then serve the app with gunicorn."""
    upgrade_database()
    serve(current_app._get_current_object(), host, port, workers)  # type: ignore[attr-defined]


def serve(app: Flask, host: str, port: int, workers: int) -> None:
    """Serve under gunicorn (the same server as production)."""
    from gunicorn.app.base import BaseApplication

    from comments.extensions import db

    # Workers are forked: they must not inherit the master's open database connections.
    with app.app_context():
        db.engine.dispose()

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("accesslog", "-")
            # One control socket per host would be shared by every instance we start.
            self.cfg.set("control_socket_disable", True)

        def load(self) -> Flask:
            return app

    _Server().run()


@click.command("demo")
@click.option("--host", default=DEFAULT_HOST, show_default=True)
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Only create and seed the database.")
@with_appcontext
def demo_command(host: str, port: int, no_serve: bool) -> None:
    """Create the demo site, article and discussion, then serve it."""
    from comments.services import demo

    upgrade_database()
    created = demo.seed()
    click.echo(
        "Seeded the demo discussion." if created else "The demo discussion is already there."
    )
    if no_serve:
        return
    click.echo(f"Demo article: http://{host}:{port}/")
    serve(current_app._get_current_object(), host, port, 2)  # type: ignore[attr-defined]


@click.group("site")
def site_group() -> None:
    """Manage the sites that embed comments."""


@site_group.command("add")
@click.argument("slug")
@click.option("--name", default="", help="Display name (defaults to the slug).")
@click.option("--origin", "origins", multiple=True, help="Allowed origin; repeat for several.")
@with_appcontext
def site_add(slug: str, name: str, origins: Sequence[str]) -> None:
    """Create a site."""
    try:
        site = sites.add_site(slug, name, origins)
    except DomainError as exc:
        raise _fail(exc) from exc
    click.echo(f"Created site {site.slug}.")
    click.echo(f"SSO secret (keep it on your server): {site.sso_secret}")


@site_group.command("list")
@with_appcontext
def site_list() -> None:
    """List the sites."""
    for site in sites.list_sites():
        origins = ", ".join(site.allowed_origins) or "-"
        click.echo(f"{site.slug}\t{site.name}\t{origins}")


@site_group.command("edit")
@click.argument("slug")
@click.option("--name", default=None)
@click.option("--origin", "origins", multiple=True, help="Replace the allowed origins.")
@click.option("--clear-origins", is_flag=True, help="Remove every allowed origin.")
@click.option("--rotate-sso-secret", is_flag=True)
@with_appcontext
def site_edit(
    slug: str,
    name: str | None,
    origins: Sequence[str],
    clear_origins: bool,
    rotate_sso_secret: bool,
) -> None:
    """Change a site."""
    new_origins: Sequence[str] | None = None
    if origins or clear_origins:
        new_origins = () if clear_origins else origins
    try:
        site = sites.edit_site(
            slug, name=name, origins=new_origins, rotate_sso_secret=rotate_sso_secret
        )
    except DomainError as exc:
        raise _fail(exc) from exc
    click.echo(f"Updated site {site.slug}.")
    if rotate_sso_secret:
        click.echo(f"New SSO secret: {site.sso_secret}")


@click.command("rerender")
@click.option("--batch-size", default=500, show_default=True, type=int)
@with_appcontext
def rerender_command(batch_size: int) -> None:
    """Re-render every stored comment from its source (after an allowlist change)."""
    result = maintenance.rerender_all(batch_size=batch_size)
    click.echo(f"Re-rendered {result.total} comments; {result.changed} changed.")
    for comment_id, problem in result.failed:
        click.echo(f"comment {comment_id}: kept the old HTML ({problem})", err=True)


def register_commands(app: Flask) -> None:
    for command in (run_command, demo_command, site_group, rerender_command):
        app.cli.add_command(command)


class CommentsGroup(FlaskGroup):
    """FlaskGroup over create_app, without Flask's development `run`."""

    def __init__(self) -> None:
        super().__init__(
            create_app=_create_app,
            add_default_commands=False,
            add_version_option=False,
            load_dotenv=False,
            help="The comments service.",
        )
        from flask.cli import routes_command, shell_command

        self.add_command(shell_command)
        self.add_command(routes_command)


def main() -> None:
    os.environ.setdefault("FLASK_APP", "comments")
    CommentsGroup().main(prog_name="comments")
