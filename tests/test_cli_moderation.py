"""`comments moderator ...` and `comments site edit --set`, through the real CLI objects."""

from __future__ import annotations

import re
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from comments import cli
from comments.extensions import db
from comments.models import ApiToken, ModerationAction, Moderator, Role
from comments.services import accounts, sites
from tests.factories import make_site

SHOWN_ONCE = re.compile(r"^Password \(shown once\): (\S+)$", re.M)
TOKEN_LINE = re.compile(r"^Token \(shown once\): (cmt_\S+)$", re.M)
CREATED_TOKEN = re.compile(r"^Created token (\d+) ", re.M)
PASSWORD = "correct horse battery"


def invoke(runner: FlaskCliRunner, *args: str, input: str | None = None) -> Result:
    result = runner.invoke(args=list(args), input=input)
    assert "Traceback" not in result.output, result.output
    return result


def assert_ok(result: Result) -> None:
    assert result.exit_code == 0, result.output
    assert result.exception is None, repr(result.exception)


def assert_failed_cleanly(result: Result, *fragments: str) -> None:
    """A refusal: exit status 1, Click's `Error: ...` message, no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Error: " in result.output
    for fragment in fragments:
        assert fragment in result.output, result.output


def moderators(app: Flask) -> dict[str, tuple[Role, list[str]]]:
    with app.app_context():
        return {
            m.email: (m.role, sorted(s.slug for s in m.sites))
            for m in db.session.execute(select(Moderator)).scalars()
        }


def signs_in(app: Flask, email: str, password: str) -> bool:
    with app.app_context():
        return accounts.authenticate(email, password) is not None


@pytest.fixture
def news(app: Flask) -> None:
    make_site(app, "news")
    make_site(app, "blog")


@pytest.fixture
def interactive(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if a person were typing at a terminal (the test runner's stdin is not one)."""
    monkeypatch.setattr(cli, "_interactive", lambda: True)


# --- moderator add ---------------------------------------------------------------------------


def test_add_without_a_terminal_generates_a_password_and_shows_it_once(
    app: Flask, runner: FlaskCliRunner, news: None
) -> None:
    result = invoke(runner, "moderator", "add", "Ann@Example.org", "--site", "news")
    assert_ok(result)
    assert "Created moderator ann@example.org (news)." in result.output
    shown = SHOWN_ONCE.findall(result.output)
    assert len(shown) == 1 and len(shown[0]) >= 16
    assert result.output.count(shown[0]) == 1
    assert moderators(app) == {"ann@example.org": (Role.MODERATOR, ["news"])}
    assert signs_in(app, "ann@example.org", shown[0])
    assert not signs_in(app, "ann@example.org", shown[0] + "x")


def test_add_asks_twice_for_a_hidden_password_at_a_terminal(
    app: Flask, runner: FlaskCliRunner, news: None, interactive: None
) -> None:
    typed = "first try mismatch\nsomething else\n" + f"{PASSWORD}\n{PASSWORD}\n"
    result = invoke(
        runner, "moderator", "add", "ann@example.org", "--site", "news", "--site", "blog",
        input=typed,
    )  # fmt: skip
    assert_ok(result)
    assert result.output.count("Password: ") == 2
    assert result.output.count("Repeat for confirmation: ") == 2
    assert "do not match" in result.output
    assert PASSWORD not in result.output  # hidden input is not echoed
    assert SHOWN_ONCE.search(result.output) is None
    assert moderators(app)["ann@example.org"] == (Role.MODERATOR, ["blog", "news"])
    assert signs_in(app, "ann@example.org", PASSWORD)


def test_add_reads_one_line_of_stdin_for_scripts(
    app: Flask, runner: FlaskCliRunner, news: None
) -> None:
    result = invoke(
        runner, "moderator", "add", "root@example.org", "--role", "admin", "--password-stdin",
        input=f"{PASSWORD}\nthe next line is not read\n",
    )  # fmt: skip
    assert_ok(result)
    assert "Created admin root@example.org (every site)." in result.output
    assert SHOWN_ONCE.search(result.output) is None and PASSWORD not in result.output
    assert moderators(app) == {"root@example.org": (Role.ADMIN, [])}
    assert signs_in(app, "root@example.org", PASSWORD)


@pytest.mark.parametrize(
    ("args", "input", "fragments"),
    [
        (("nobody", "--site", "news"), None, ("e-mail",)),
        (("ann@example.org", "--site", "nope"), None, ("nope",)),
        (("ann@example.org", "--site", "news", "--site", "nope"), None, ("nope",)),
        (("ann@example.org",), None, ("--site",)),
        (("ann@example.org", "--role", "admin", "--site", "news"), None, ("--site",)),
        (("ann@example.org", "--site", "news", "--password-stdin"), "short\n", ("10",)),
        (("ann@example.org", "--site", "news", "--password-stdin"), "", ("standard input",)),
    ],
)
def test_add_refuses_bad_input_clearly(
    app: Flask,
    runner: FlaskCliRunner,
    news: None,
    args: tuple[str, ...],
    input: str | None,
    fragments: tuple[str, ...],
) -> None:
    result = invoke(runner, "moderator", "add", *args, input=input)
    assert_failed_cleanly(result, *fragments)
    assert SHOWN_ONCE.search(result.output) is None
    assert moderators(app) == {}


def test_add_refuses_a_taken_email_before_asking_for_a_password(
    app: Flask, runner: FlaskCliRunner, news: None, interactive: None
) -> None:
    assert_ok(invoke(runner, "moderator", "add", "ann@example.org", "--site", "news",
                     input=f"{PASSWORD}\n{PASSWORD}\n"))  # fmt: skip
    result = invoke(
        runner, "moderator", "add", " ANN@example.org", "--role", "admin",
        input="another password\nanother password\n",
    )  # fmt: skip
    assert_failed_cleanly(result, "already a moderator ann@example.org")
    assert "Password" not in result.output  # refused before asking
    assert moderators(app) == {"ann@example.org": (Role.MODERATOR, ["news"])}
    assert signs_in(app, "ann@example.org", PASSWORD)


def test_role_must_be_admin_or_moderator(app: Flask, runner: FlaskCliRunner, news: None) -> None:
    result = invoke(runner, "moderator", "add", "a@example.org", "--role", "owner")
    assert result.exit_code == 2 and "'owner' is not one of" in result.output
    assert moderators(app) == {}


# --- list, remove, set-password --------------------------------------------------------------


def _add(runner: FlaskCliRunner, email: str, *args: str) -> None:
    result = invoke(runner, "moderator", "add", email, *args, "--password-stdin",
                    input=f"{PASSWORD}\n")  # fmt: skip
    assert_ok(result)


def test_list_shows_email_role_and_sites(runner: FlaskCliRunner, news: None) -> None:
    assert invoke(runner, "moderator", "list").output == ""
    _add(runner, "zed@example.org", "--site", "news", "--site", "blog")
    _add(runner, "amy@example.org", "--role", "admin")
    result = invoke(runner, "moderator", "list")
    assert_ok(result)
    assert result.output.splitlines() == [
        "amy@example.org\tadmin\t(all sites)",
        "zed@example.org\tmoderator\tblog, news",
    ]


def test_remove_asks_for_confirmation(app: Flask, runner: FlaskCliRunner, news: None) -> None:
    _add(runner, "ann@example.org", "--site", "news")
    _add(runner, "bob@example.org", "--site", "news")
    declined = invoke(runner, "moderator", "remove", "ann@example.org", input="n\n")
    assert declined.exit_code == 1 and "Remove moderator ann@example.org?" in declined.output
    assert set(moderators(app)) == {"ann@example.org", "bob@example.org"}
    confirmed = invoke(runner, "moderator", "remove", "ann@example.org", input="y\n")
    assert_ok(confirmed)
    assert "Removed moderator ann@example.org." in confirmed.output
    assert_ok(invoke(runner, "moderator", "remove", "BOB@example.org", "--yes"))
    assert moderators(app) == {}
    assert_failed_cleanly(
        invoke(runner, "moderator", "remove", "bob@example.org", "--yes"), "bob@example.org"
    )


def test_set_password(app: Flask, runner: FlaskCliRunner, news: None) -> None:
    _add(runner, "ann@example.org", "--site", "news")
    with app.app_context():
        version = accounts.get_by_email("ann@example.org").session_version
    result = invoke(runner, "moderator", "set-password", "ann@example.org", "--password-stdin",
                    input="a brand new password\n")  # fmt: skip
    assert_ok(result)
    assert signs_in(app, "ann@example.org", "a brand new password")
    assert not signs_in(app, "ann@example.org", PASSWORD)
    with app.app_context():  # signed out everywhere
        assert accounts.get_by_email("ann@example.org").session_version == version + 1
    generated = invoke(runner, "moderator", "set-password", "ann@example.org")
    assert_ok(generated)
    shown = SHOWN_ONCE.findall(generated.output)
    assert len(shown) == 1 and signs_in(app, "ann@example.org", shown[0])
    too_short = invoke(runner, "moderator", "set-password", "ann@example.org",
                       "--password-stdin", input="short\n")  # fmt: skip
    assert_failed_cleanly(too_short, "10")
    assert signs_in(app, "ann@example.org", shown[0])
    assert_failed_cleanly(
        invoke(runner, "moderator", "set-password", "nobody@example.org"), "nobody@example.org"
    )


# --- tokens ----------------------------------------------------------------------------------


def _queues(app: Flask, token: str) -> Any:
    return app.test_client().get("/api/v1/mod/queues", headers={"Authorization": f"Bearer {token}"})


def test_token_create_list_and_revoke(app: Flask, runner: FlaskCliRunner, news: None) -> None:
    _add(runner, "ann@example.org", "--site", "news")
    created = invoke(runner, "moderator", "token", "create", "ann@example.org", "--name", "bot")
    assert_ok(created)
    token_match, id_match = TOKEN_LINE.search(created.output), CREATED_TOKEN.search(created.output)
    assert token_match and id_match, created.output
    token, token_id = token_match.group(1), id_match.group(1)
    assert created.output.count(token) == 1
    with app.app_context():  # stored only as a hash
        stored = db.session.execute(select(ApiToken.token_hash)).scalar_one()
        assert token not in stored
    assert _queues(app, token).status_code == 200

    listed = invoke(runner, "moderator", "token", "list", "ann@example.org")
    assert_ok(listed)
    line = listed.output.splitlines()[0].split("\t")
    assert line[:2] == [token_id, "bot"] and line[3] != "-" and line[4] == "-"

    revoked = invoke(runner, "moderator", "token", "revoke", "ann@example.org", token_id)
    assert_ok(revoked)
    assert f"Revoked token {token_id} of ann@example.org." in revoked.output
    refused = _queues(app, token)
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "unauthorized"
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_token_revoke_names_only_the_moderators_own_tokens(
    app: Flask, runner: FlaskCliRunner, news: None
) -> None:
    _add(runner, "ann@example.org", "--site", "news")
    _add(runner, "root@example.org", "--role", "admin")
    created = invoke(runner, "moderator", "token", "create", "ann@example.org", "--name", "x")
    token_match, id_match = TOKEN_LINE.search(created.output), CREATED_TOKEN.search(created.output)
    assert token_match and id_match
    # Another account (even an admin) does not own it; an unknown id is refused too.
    for email, token_id in (("root@example.org", id_match.group(1)), ("ann@example.org", "99")):
        result = invoke(runner, "moderator", "token", "revoke", email, token_id)
        assert_failed_cleanly(result, f"no token {token_id}")
    assert _queues(app, token_match.group(1)).status_code == 200
    assert invoke(runner, "moderator", "token", "revoke", "ann@example.org", "0").exit_code == 2
    assert_failed_cleanly(
        invoke(runner, "moderator", "token", "create", "nobody@example.org", "--name", "x"),
        "nobody@example.org",
    )


def test_removing_a_moderator_ends_their_tokens(
    app: Flask, runner: FlaskCliRunner, news: None
) -> None:
    _add(runner, "ann@example.org", "--site", "news")
    created = invoke(runner, "moderator", "token", "create", "ann@example.org", "--name", "x")
    token_match = TOKEN_LINE.search(created.output)
    assert token_match
    assert _queues(app, token_match.group(1)).status_code == 200
    assert_ok(invoke(runner, "moderator", "remove", "ann@example.org", "--yes"))
    assert _queues(app, token_match.group(1)).status_code == 401


# --- site edit --set -------------------------------------------------------------------------


def policy(app: Flask, slug: str = "news") -> dict[str, Any]:
    with app.app_context():
        return sites.policy_of(sites.get_site(slug)).to_json()


def settings_changes(app: Flask) -> int:
    with app.app_context():
        query = select(func.count(ModerationAction.id)).where(ModerationAction.action == "settings")
        return int(db.session.execute(query).scalar_one())


def test_site_edit_sets_moderation_settings(app: Flask, runner: FlaskCliRunner, news: None) -> None:
    before = policy(app)
    result = invoke(
        runner, "site", "edit", "news",
        "--set", "mode=first", "--set", "max_links = 1",
        "--set", "banned_words=casino, Crypto Signals,casino", "--set", "honeypot=off",
    )  # fmt: skip
    assert_ok(result)
    assert result.output.splitlines() == [
        "Updated site news.",
        "mode = first",
        "max_links = 1",
        "banned_words = casino, Crypto Signals",
        "honeypot = false",
    ]
    assert policy(app) == {
        **before,
        "mode": "first",
        "max_links": 1,
        "banned_words": ["casino", "Crypto Signals"],
        "honeypot": False,
    }
    assert policy(app, "blog") == before  # the other site is untouched
    assert settings_changes(app) == 1
    cleared = invoke(runner, "site", "edit", "news", "--set", "banned_words=")
    assert_ok(cleared)
    assert "banned_words = (none)" in cleared.output
    assert policy(app)["banned_words"] == []


@pytest.mark.parametrize(
    ("assignments", "fragments"),
    [
        (("max_links=-1",), ("max_links", "0 to 1000")),
        (("max_links=lots",), ("max_links",)),
        (("mode=sometimes",), ("mode", "post, first, pre")),
        (("honeypot=maybe",), ("honeypot", "true or false")),
        (("colour=blue",), ("colour", "unknown setting")),
        (("banned_words=" + "x" * 65,), ("banned_words",)),
        (("max_links",), ("key=value",)),
        (("=3",), ("key=value",)),
        (("max_links=1", "max_links=2"), ("max_links", "more than once")),
        (("mode=pre", "min_seconds=99999"), ("min_seconds",)),
    ],
)
def test_site_edit_refuses_bad_settings_and_changes_nothing(
    app: Flask,
    runner: FlaskCliRunner,
    news: None,
    assignments: tuple[str, ...],
    fragments: tuple[str, ...],
) -> None:
    before = policy(app)
    args = [arg for assignment in assignments for arg in ("--set", assignment)]
    result = invoke(runner, "site", "edit", "news", "--name", "Renamed", *args)
    assert_failed_cleanly(result, *fragments)
    assert policy(app) == before
    assert settings_changes(app) == 0
    with app.app_context():  # the other changes in the same command did not happen either
        assert sites.get_site("news").name == "News"


def test_site_edit_set_on_an_unknown_site(runner: FlaskCliRunner, news: None) -> None:
    assert_failed_cleanly(invoke(runner, "site", "edit", "nope", "--set", "max_links=1"), "nope")
