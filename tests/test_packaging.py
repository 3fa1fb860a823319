"""The built wheel is complete: installed into a fresh virtualenv, away from the repository,
it finds its templates, static files and migrations and serves pages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import venv
import zipfile
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
BUILD_TIMEOUT = 600

# What a failed build prints when the cause is the network (build isolation fetches hatchling).
NETWORK_FAILURES = (
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "NewConnectionError",
    "Max retries exceeded",
    "No matching distribution found for hatchling",
    "Could not find a version that satisfies the requirement hatchling",
)

REQUIRED_FILES = (
    "comments/__init__.py",
    "comments/py.typed",
    "comments/templates/base.html",
    "comments/templates/pages/article.html",
    "comments/templates/pages/welcome.html",
    "comments/templates/pages/_thread.html",
    "comments/static/site.css",
    "comments/migrations/env.py",
    "comments/migrations/alembic.ini",
    "comments/migrations/script.py.mako",
)

# Runs inside the fresh virtualenv, from a directory outside the repository.
SMOKE_SCRIPT = textwrap.dedent(
    """
    import json
    import sys
    from pathlib import Path

    import flask_migrate
    from sqlalchemy import inspect

    import comments
    from comments import create_app
    from comments.extensions import db
    from comments.services import demo

    work = Path(sys.argv[1])
    app = create_app(
        {"DATABASE_URL": f"sqlite:///{work / 'smoke.db'}", "SECRET_KEY": "s" * 40},
        instance_path=str(work / "instance"),
    )
    report = {
        "package": comments.__file__,
        "templates": app.template_folder,
        "static": app.static_folder,
        "migrations": app.extensions["migrate"].directory,
        "sys_path": sys.path,
    }
    with app.app_context():
        flask_migrate.upgrade()
        report["tables"] = sorted(inspect(db.engine).get_table_names())
    client = app.test_client()

    def page(path):
        with client.get(path) as response:
            return {
                "status": response.status_code,
                "mimetype": response.mimetype,
                "body": response.get_data(as_text=True),
            }

    report["welcome"] = page("/")
    with app.app_context():
        report["seeded"] = demo.seed()
    report["article"] = page("/")
    report["css"] = page("/static/site.css")
    with app.app_context():
        db.engine.dispose()
    print(json.dumps(report))
    """
)


def clean_env(**extra: str) -> dict[str, str]:
    """Our environment minus anything that would let the repository leak into the subprocess."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
        and not k.startswith(("COMMENTS_", "FLASK_"))
    }
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env.update(extra)
    return env


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=cwd,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    result = run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(REPO)], out)
    if result.returncode != 0:
        output = result.stdout + result.stderr
        if any(marker in output for marker in NETWORK_FAILURES):
            pytest.skip(f"cannot build the wheel without network access to PyPI:\n{output[-2000:]}")
        pytest.fail(f"building the wheel failed:\n{output}")
    wheels = list(out.glob("comments-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv (no system site-packages) with the wheel and its dependencies."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    result = run([str(python), "-m", "pip", "install", "-q", str(wheel)], env_dir)
    if result.returncode != 0:
        output = result.stdout + result.stderr
        if any(marker in output for marker in NETWORK_FAILURES):
            pytest.skip(f"cannot install the wheel's dependencies without PyPI:\n{output[-2000:]}")
        pytest.fail(f"installing the wheel failed:\n{output}")
    return env_dir


def test_wheel_contains_templates_static_and_migrations(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        scripts = archive.read(entry_points).decode()
    missing = [name for name in REQUIRED_FILES if name not in names]
    assert not missing, f"missing from the wheel: {missing}"
    revisions = [n for n in names if n.startswith("comments/migrations/versions/")]
    assert any(n.endswith(".py") for n in revisions), revisions
    assert "comments = comments.cli:main" in scripts
    # Nothing from the development tree rides along.
    assert not [n for n in names if n.startswith("tests/") or "__pycache__" in n]
    assert not [n for n in names if n.startswith(("templates/", "static/", "migrations/"))]


def test_installed_wheel_serves_pages_outside_the_repository(
    installed: Path, tmp_path: Path
) -> None:
    work = tmp_path / "elsewhere"
    work.mkdir()
    assert REPO not in work.parents
    script = work / "smoke.py"
    script.write_text(SMOKE_SCRIPT)
    result = run([str(installed / "bin" / "python"), str(script), str(work)], work)
    assert result.returncode == 0, result.stdout + result.stderr
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])

    # Everything comes from the installed package, nothing from the repository.
    site_packages = str(installed / "lib")
    for key in ("package", "templates", "static", "migrations"):
        assert report[key].startswith(site_packages), (key, report[key])
        assert not report[key].startswith(str(REPO)), (key, report[key])
    assert not [p for p in report["sys_path"] if p.startswith(str(REPO))]

    assert {"site", "thread", "comment", "vote", "report", "alembic_version"} <= set(
        report["tables"]
    )

    welcome = report["welcome"]
    assert welcome["status"] == 200, welcome["body"][:2000]
    assert welcome["mimetype"] == "text/html"
    assert "<html" in welcome["body"]
    assert "comments is running" in welcome["body"]

    assert report["seeded"] is True
    article = report["article"]
    assert article["status"] == 200, article["body"][:2000]
    assert "<html" in article["body"]
    assert 'class="cm-list cm-replies"' in article["body"]
    assert '<link rel="stylesheet" href="/static/site.css">' in article["body"]

    css = report["css"]
    assert css["status"] == 200
    assert css["mimetype"] == "text/css"
    assert css["body"] == (REPO / "static" / "site.css").read_text()


def test_installed_console_script_runs_the_migrations(installed: Path, tmp_path: Path) -> None:
    database = tmp_path / "cli.db"
    env = {
        "COMMENTS_DATABASE_URL": f"sqlite:///{database}",
        "COMMENTS_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    comments = str(installed / "bin" / "comments")
    upgraded = run([comments, "db", "upgrade"], tmp_path, **env)
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    added = run(
        [comments, "site", "add", "news", "--origin", "https://news.example"], tmp_path, **env
    )
    assert added.returncode == 0, added.stdout + added.stderr
    assert "SSO secret" in added.stdout
    listed = run([comments, "site", "list"], tmp_path, **env)
    assert listed.stdout.splitlines() == ["news\tnews\thttps://news.example"]
    assert (tmp_path / "instance" / "secret_key").is_file()
