"""The `comments` command: run, demo, db, site, moderator, rerender and check."""

from __future__ import annotations

import contextvars
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext
from flask_migrate import upgrade as migrate_upgrade

from comments import checks
from comments.config import Settings
from comments.errors import DomainError, NotFound
from comments.models import Moderator, Role
from comments.services import accounts, maintenance, sites
from comments.services.policy import build_policy

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
@click.pass_context
def run_command(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Upgrade the database, then serve the app with gunicorn."""
    app = ctx.ensure_object(ScriptInfo).load_app()
    with app.app_context():
        upgrade_database()
    # serve() runs the server from an empty context: each request gets its own app context.
    serve(app, host, port, workers)


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

    # FlaskGroup pushed an app context for this command. Workers forked from here would
    # inherit it, and Flask reuses an app context that is already active, so every request
    # in a worker would share one `g`. Serve from an empty context instead.
    contextvars.Context().run(_Server().run)


@click.command("demo")
@click.option("--host", default=DEFAULT_HOST, show_default=True)
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Only create and seed the database.")
@click.pass_context
def demo_command(ctx: click.Context, host: str, port: int, no_serve: bool) -> None:
    """Create the demo site, article and discussion, then serve it."""
    from comments.services import demo

    app = ctx.ensure_object(ScriptInfo).load_app()
    with app.app_context():
        upgrade_database()
        instance = Path(app.instance_path)
        created = demo.seed(instance_path=instance)
        # The article's page embeds the widget from the other host name, so both count.
        demo.allow_origins(host, port)
        login = demo.sign_in(instance)
    click.echo(
        "Seeded the demo discussion." if created else "The demo discussion is already there."
    )
    password = login.password or "(changed since; set one with `comments moderator set-password`)"
    click.echo(f"Moderator sign-in: http://{host}:{port}/mod/login  {login.email}  {password}")
    if no_serve:
        return
    click.echo(f"Demo article: http://{host}:{port}/")
    serve(app, host, port, 2)


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due and run the jobs once, then exit.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds.")
@with_appcontext
def worker_command(once: bool, interval: float) -> None:
    """Deliver queued mails and webhooks, send digests and drop old address hashes."""
    import threading

    from comments import worker

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    settings: Settings = app.extensions["comments.settings"]
    if once:
        sent, failed = worker.run_once(settings)
        click.echo(f"Delivered {sent}, failed {failed}.")
        return
    click.echo(f"Worker running; a round every {interval:g} s. Ctrl+C stops it.")
    stop = threading.Event()
    try:
        worker.run_forever(app, interval, stop)
    except KeyboardInterrupt:
        stop.set()


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


def _settings(assignments: Sequence[str]) -> dict[str, str]:
    """``--set key=value`` options as a mapping; each key once."""
    changes: dict[str, str] = {}
    for assignment in assignments:
        key, equals, value = assignment.partition("=")
        key = key.strip()
        if not equals or not key:
            raise click.ClickException(
                f"--set takes key=value, such as max_links=2; got {assignment!r}."
            )
        if key in changes:
            raise click.ClickException(f"--set {key} is given more than once.")
        changes[key] = value.strip()
    return changes


def _setting_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(value) or "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@site_group.command("edit")
@click.argument("slug")
@click.option("--name", default=None)
@click.option("--origin", "origins", multiple=True, help="Replace the allowed origins.")
@click.option("--clear-origins", is_flag=True, help="Remove every allowed origin.")
@click.option("--rotate-sso-secret", is_flag=True)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="KEY=VALUE",
    help="Change a moderation setting, e.g. mode=first, max_links=2 or "
    "banned_words='casino, crypto signals' (lists comma-separated, empty to clear). Repeatable.",
)
@with_appcontext
def site_edit(
    slug: str,
    name: str | None,
    origins: Sequence[str],
    clear_origins: bool,
    rotate_sso_secret: bool,
    assignments: Sequence[str],
) -> None:
    """Change a site and its moderation settings."""
    new_origins: Sequence[str] | None = None
    if origins or clear_origins:
        new_origins = () if clear_origins else origins
    changes = _settings(assignments)
    try:
        if changes:
            # Check every setting before changing anything, so a bad one changes nothing.
            build_policy(changes, sites.policy_of(sites.get_site(slug)))
        site = sites.edit_site(
            slug, name=name, origins=new_origins, rotate_sso_secret=rotate_sso_secret
        )
        policy = sites.update_policy(slug, changes).to_json() if changes else {}
    except DomainError as exc:
        raise _fail(exc) from exc
    click.echo(f"Updated site {site.slug}.")
    if rotate_sso_secret:
        click.echo(f"New SSO secret: {site.sso_secret}")
    for key in changes:
        click.echo(f"{key} = {_setting_text(policy[key])}")


# --- moderator ------------------------------------------------------------------------------


@click.group("moderator")
def moderator_group() -> None:
    """Manage moderator accounts and their API tokens."""


def _interactive() -> bool:
    """Whether a person is at the keyboard to type a password (stdin is a terminal)."""
    return sys.stdin.isatty()


def _read_password(password_stdin: bool) -> str | None:
    """The new password: one line of stdin, typed twice at a prompt, or None to generate one."""
    if password_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise click.ClickException("--password-stdin: no password on standard input.")
        return line
    if _interactive():
        password: str = click.prompt(
            "Password", hide_input=True, confirmation_prompt=True, prompt_suffix=": "
        )
        return password
    return None


def _account(email: str) -> Moderator:
    try:
        return accounts.get_by_email(email)
    except DomainError as exc:
        raise _fail(exc) from exc


@moderator_group.command("add")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.MODERATOR.value,
    show_default=True,
    help="admin: every site, the settings and the moderators; moderator: the sites given.",
)
@click.option("--site", "site_slugs", multiple=True, help="A site to moderate; repeatable.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def moderator_add(email: str, role: str, site_slugs: Sequence[str], password_stdin: bool) -> None:
    """Create a moderator account.

    The password is asked for (twice) at a terminal, read from standard input with
    --password-stdin, or else generated and shown once.
    """
    kind = Role(role)
    if kind is Role.ADMIN and site_slugs:
        raise click.ClickException("Admins moderate every site: leave out --site.")
    if kind is Role.MODERATOR and not site_slugs:
        raise click.ClickException("Give a moderator at least one --site to moderate.")
    try:
        # Refuse a taken e-mail or an unknown site before asking for a password.
        for slug in site_slugs:
            sites.get_site(slug)
        try:
            accounts.get_by_email(email)
        except NotFound:
            pass
        else:
            raise click.ClickException(f"There is already a moderator {email.strip().lower()}.")
        moderator, generated = accounts.add_moderator(
            email, kind, site_slugs, _read_password(password_stdin)
        )
    except DomainError as exc:
        raise _fail(exc) from exc
    where = "every site" if kind is Role.ADMIN else ", ".join(sorted(site_slugs))
    click.echo(f"Created {kind.value} {moderator.email} ({where}).")
    if generated is not None:
        click.echo(f"Password (shown once): {generated}")


@moderator_group.command("list")
@with_appcontext
def moderator_list() -> None:
    """List the moderators: e-mail, role and sites."""
    for moderator in accounts.list_moderators():
        if moderator.role is Role.ADMIN:
            where = "(all sites)"
        else:
            where = ", ".join(sorted(s.slug for s in moderator.sites)) or "-"
        click.echo(f"{moderator.email}\t{moderator.role.value}\t{where}")


@moderator_group.command("remove")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def moderator_remove(email: str, yes: bool) -> None:
    """Delete a moderator account; its sessions and API tokens stop working at once."""
    moderator = _account(email)
    if not yes:
        click.confirm(f"Remove moderator {moderator.email}?", abort=True)
    try:
        accounts.remove_moderator(moderator.email)
    except DomainError as exc:
        raise _fail(exc) from exc
    click.echo(f"Removed moderator {moderator.email}.")


@moderator_group.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def moderator_set_password(email: str, password_stdin: bool) -> None:
    """Set a moderator's password and sign them out everywhere."""
    moderator = _account(email)
    password = _read_password(password_stdin)
    generated = None
    if password is None:
        generated = password = accounts.generate_password()
    try:
        accounts.set_password(moderator, password)
    except DomainError as exc:
        raise _fail(exc) from exc
    click.echo(f"Changed the password of {moderator.email}; their sessions have ended.")
    if generated is not None:
        click.echo(f"Password (shown once): {generated}")


@moderator_group.command("alerts")
@click.argument("email")
@click.argument("mode", type=click.Choice(["off", "immediate", "digest"]))
@with_appcontext
def moderator_alerts(email: str, mode: str) -> None:
    """Choose a moderator's e-mail alerts: off, immediate or a daily digest."""
    from comments.services import notifications

    moderator = _account(email)
    try:
        notifications.set_alert_mode(moderator, mode)
    except DomainError as exc:
        raise _fail(exc) from exc
    click.echo(f"E-mail alerts for {moderator.email}: {mode}.")


@moderator_group.group("token")
def token_group() -> None:
    """API tokens for the moderation API (/api/v1/mod)."""


@token_group.command("create")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for, e.g. 'spam script'.")
@with_appcontext
def token_create(email: str, name: str) -> None:
    """Create an API token for a moderator; it is shown once."""
    moderator = _account(email)
    entry, token = accounts.create_token(moderator, name)
    click.echo(f"Created token {entry.id} ({entry.name}) for {moderator.email}.")
    click.echo(f"Token (shown once): {token}")


@token_group.command("list")
@click.argument("email")
@with_appcontext
def token_list(email: str) -> None:
    """List a moderator's tokens: id, name, created, last used, revoked."""
    for entry in accounts.tokens_of(_account(email)):
        moments = (entry.created_at, entry.last_used_at, entry.revoked_at)
        created, used, revoked = (f"{m:%Y-%m-%d %H:%M}" if m else "-" for m in moments)
        click.echo(f"{entry.id}\t{entry.name}\t{created}\t{used}\t{revoked}")


@token_group.command("revoke")
@click.argument("email")
@click.argument("token_id", type=click.IntRange(1, 2**31 - 1))
@with_appcontext
def token_revoke(email: str, token_id: int) -> None:
    """Revoke one of a moderator's tokens; it stops working at once."""
    moderator = _account(email)
    if token_id not in {entry.id for entry in accounts.tokens_of(moderator)}:
        raise click.ClickException(f"{moderator.email} has no token {token_id}.")
    try:
        accounts.revoke_token(moderator, token_id)
    except DomainError as exc:
        raise _fail(exc) from exc
    click.echo(f"Revoked token {token_id} of {moderator.email}.")


@click.command("rerender")
@click.option("--batch-size", default=500, show_default=True, type=int)
@with_appcontext
def rerender_command(batch_size: int) -> None:
    """Re-render every stored comment from its source (after an allowlist change)."""
    result = maintenance.rerender_all(batch_size=batch_size)
    click.echo(f"Re-rendered {result.total} comments; {result.changed} changed.")
    for comment_id, problem in result.failed:
        click.echo(f"comment {comment_id}: kept the old HTML ({problem})", err=True)


def _public_url(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if not value:
        return value
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise click.BadParameter("give an http(s) address such as https://comments.example")
    return value


@click.command("check")
@click.option(
    "--hosts",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="How many machines will run the service against this database.",
)
@click.option(
    "--behind-proxy",
    is_flag=True,
    help="Readers reach the service through a reverse proxy or load balancer.",
)
@click.option(
    "--public-url",
    default="",
    callback=_public_url,
    help="The address readers and moderators use, e.g. https://comments.example.",
)
@with_appcontext
def check_command(hosts: int, behind_proxy: bool, public_url: str) -> None:
    """Check the configuration before going live; exit status 1 if anything must be fixed.

    Prints one line per finding: ERROR (fix it), WARNING (look at it) or OK. Reads the
    settings, the database (without changing it), the sites and Redis.
    """
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    settings: Settings = app.extensions["comments.settings"]
    deployment = checks.Deployment(hosts=hosts, behind_proxy=behind_proxy, public_url=public_url)
    findings = checks.run_checks(settings, app, deployment)
    for finding in findings:
        click.echo(finding.line())
    if checks.has_errors(findings):
        raise SystemExit(1)


def register_commands(app: Flask) -> None:
    from comments.cli_data import export_command, import_group
    from comments.cli_privacy import privacy_group
    from comments.cli_webhooks import webhook_group

    for command in (
        run_command,
        demo_command,
        worker_command,
        site_group,
        moderator_group,
        webhook_group,
        import_group,
        export_command,
        privacy_group,
        rerender_command,
        check_command,
    ):
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
