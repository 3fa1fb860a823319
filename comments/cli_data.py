"""`comments import ...` and `comments export`: moving comments in and out."""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import click
from flask.cli import with_appcontext

from comments.errors import DomainError
from comments.porting.records import RecordStream
from comments.services import sites
from comments.services.importer import ImportSummary

FileReader = Callable[[BinaryIO, str], RecordStream]


def _reader(kind: str) -> Any:
    """The reader module ``comments.porting.<kind>``, imported when first needed."""
    return importlib.import_module(f"comments.porting.{kind}")


def _fail(exc: DomainError) -> click.ClickException:
    from comments.cli import _fail as fail

    return fail(exc)


def _stderr_is_terminal() -> bool:
    """Whether a person watches standard error: only then is there a progress bar."""
    return sys.stderr.isatty()


class CountingReader(io.RawIOBase):
    """A raw binary file that counts the bytes read from it (for the progress bar)."""

    def __init__(self, raw: io.RawIOBase) -> None:
        super().__init__()
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        size = self.raw.readinto(buffer)
        self.count += size or 0
        return size

    def close(self) -> None:
        self.raw.close()
        super().close()


class _Progress:
    """A progress bar on standard error over a known total, or a running count of records."""

    def __init__(self, total: int | None, done: Callable[[ImportSummary], int], label: str):
        self.done = done
        self.shown = 0
        self.bar: Any = None
        self.total = total
        self.label = label
        self.counting = False

    def __enter__(self) -> _Progress:
        if _stderr_is_terminal() and self.total is not None:
            self.bar = click.progressbar(
                length=max(self.total, 1), label=self.label, file=sys.stderr, show_pos=False
            )
            self.bar.__enter__()
        elif _stderr_is_terminal():
            self.counting = True
        return self

    def update(self, summary: ImportSummary) -> None:
        done = self.done(summary)
        if self.bar is not None:
            self.bar.update(done - self.shown)
        elif self.counting:
            click.echo(f"\r{self.label} {done:,} records", nl=False, err=True)
        self.shown = done

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)
        elif self.counting:
            click.echo(err=True)


@contextlib.contextmanager
def _write_intent(dry_run: bool) -> Iterator[None]:
    """An import begins its SQLite transactions as writers (no lock upgrade failures)."""
    from comments.app import write_intent

    token = write_intent.set(not dry_run)
    try:
        yield
    finally:
        write_intent.reset(token)


def _check_site(slug: str) -> None:
    try:
        sites.get_site(slug)
    except DomainError as exc:
        raise _fail(exc) from exc


# Below this size an import is over before render workers would have started.
WORKERS_FROM_BYTES = 1_000_000


def _workers(jobs: int | None, size: int) -> int:
    """Render workers: as asked, else one per CPU beyond the first (at most 4) for a big file."""
    if jobs is not None:
        return jobs
    if size < WORKERS_FROM_BYTES:
        return 0
    return max(0, min(4, (os.cpu_count() or 1) - 1))


def _run(
    site_slug: str,
    records: Callable[[], RecordStream],
    dry_run: bool,
    progress: _Progress,
    workers: int,
) -> ImportSummary:
    from comments.services.importer import import_records

    with _write_intent(dry_run):
        return import_records(
            site_slug,
            records(),
            dry_run=dry_run,
            on_progress=progress.update,
            render_workers=workers,
        )


def _report(summary: ImportSummary) -> None:
    """Problems on standard error, one per line, then the summary; exit 1 if reading stopped."""
    if summary.stopped is not None and summary.records == 0:
        raise click.ClickException(summary.stopped)
    for problem in summary.problems:
        click.echo(problem.line(), err=True)
    if summary.problems_not_kept:
        click.echo(f"... and {summary.problems_not_kept:,} more problems.", err=True)
    click.echo(summary.line())
    if summary.dry_run:
        click.echo("(dry run: nothing was written)")
    if summary.stopped is not None:
        raise click.ClickException(
            f"reading stopped early: {summary.stopped} The records before that point are "
            "imported; run the import again once the file is repaired to add the rest."
        )


def _import_file(
    path_text: str, site_slug: str, dry_run: bool, jobs: int | None, kind: str
) -> None:
    _check_site(site_slug)
    path = Path(path_text)
    if path.is_dir():
        raise click.ClickException(f"{path} is a folder, not a file.")
    try:
        raw = path.open("rb", buffering=0)
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror or exc}.") from exc
    read: FileReader = _reader(kind).read
    counter = CountingReader(raw)
    with io.BufferedReader(counter, buffer_size=1 << 16) as source:
        total = os.fstat(raw.fileno()).st_size
        with _Progress(total, lambda _summary: counter.count, "Importing") as progress:
            summary = _run(
                site_slug, lambda: read(source, path.name), dry_run, progress, _workers(jobs, total)
            )
    _report(summary)


_site_option = click.option(
    "--site", "site_slug", required=True, metavar="SLUG", help="The site to import into."
)
_dry_run_option = click.option(
    "--dry-run", is_flag=True, help="Read and check everything, report, and write nothing."
)
_jobs_option = click.option(
    "--jobs",
    type=click.IntRange(0, 64),
    default=None,
    help="Processes that sanitise the text while the import writes. Default: one per CPU "
    "beyond the first, at most 4, for files over 1 MB; 0 for none.",
)


@click.group("import")
def import_group() -> None:
    """Import comments from Disqus, WordPress, Isso or our own export.

    Importing is idempotent: importing the same file again adds nothing, and an import that
    was interrupted completes when run again. Problems are listed as LOCATION: message on
    standard error; a bad record is skipped, never the rest.
    """


@import_group.command("disqus")
@click.argument("source", metavar="FILE")
@_site_option
@_dry_run_option
@_jobs_option
@with_appcontext
def import_disqus(source: str, site_slug: str, dry_run: bool, jobs: int | None) -> None:
    """Import a Disqus XML export."""
    _import_file(source, site_slug, dry_run, jobs, "disqus")


@import_group.command("wordpress")
@click.argument("source", metavar="FILE")
@_site_option
@_dry_run_option
@_jobs_option
@with_appcontext
def import_wordpress(source: str, site_slug: str, dry_run: bool, jobs: int | None) -> None:
    """Import a WordPress export (WXR)."""
    _import_file(source, site_slug, dry_run, jobs, "wordpress")


@import_group.command("isso")
@click.argument("source", metavar="DBFILE")
@_site_option
@_dry_run_option
@_jobs_option
@with_appcontext
def import_isso(source: str, site_slug: str, dry_run: bool, jobs: int | None) -> None:
    """Import an Isso database (its SQLite file)."""
    _check_site(site_slug)
    path = Path(source)
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise click.ClickException(f"cannot read {path}: it {what}.")
    try:
        path.open("rb").close()
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror or exc}.") from exc
    with _Progress(None, lambda summary: summary.records, "Read") as progress:
        workers = _workers(jobs, path.stat().st_size)
        summary = _run(site_slug, lambda: _reader("isso").read(path), dry_run, progress, workers)
    _report(summary)


@import_group.command("json")
@click.argument("source", metavar="FILE")
@_site_option
@_dry_run_option
@_jobs_option
@with_appcontext
def import_json(source: str, site_slug: str, dry_run: bool, jobs: int | None) -> None:
    """Import our own export (JSON Lines, docs/export-format.md)."""
    _import_file(source, site_slug, dry_run, jobs, "jsonl")


@click.command("export")
@click.option("--site", "site_slug", required=True, metavar="SLUG", help="The site to export.")
@click.option(
    "--output",
    "-o",
    default="-",
    metavar="FILE",
    help="Where to write the export; standard output if left out or '-'.",
)
@with_appcontext
def export_command(site_slug: str, output: str) -> None:
    """Export a site's threads and comments as JSON Lines (docs/export-format.md).

    A file is written under a temporary name and renamed when complete, so an interrupted
    export never leaves a partial file behind.
    """
    from comments.services.exporter import write_export

    _check_site(site_slug)
    if output == "-":
        sys.stdout.flush()
        out = sys.stdout.buffer
        try:
            summary = write_export(site_slug, out)
            out.flush()
        except BrokenPipeError:  # `comments export ... | head`: the reader left
            sys.stderr.close()
            raise SystemExit(1) from None
    else:
        target = Path(output)
        partial = target.with_name(f".{target.name}.partial")
        try:
            with partial.open("wb") as file:
                summary = write_export(site_slug, file)
                file.flush()
                os.fsync(file.fileno())
            partial.replace(target)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise click.ClickException(f"cannot write {target}: {exc.strerror or exc}.") from exc
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    click.echo(
        f"Exported {summary.threads} threads and {summary.comments} comments of {site_slug}.",
        err=True,
    )
