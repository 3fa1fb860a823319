"""Every response carries the security headers its kind needs, found by walking the URL map.

The walk requests every GET route of ``app.url_map`` (signed in for /mod, with an API token
for /api/v1/mod) and judges each response by what it turned out to be:

- HTML: a Content-Security-Policy without 'unsafe-inline' or 'unsafe-eval' for scripts and
  styles, ``object-src 'none'``, a restricted ``base-uri``, an explicit ``frame-ancestors``
  ('none', except the embeddable thread pages: exactly the site's origins), nosniff and a
  Referrer-Policy;
- JSON: nosniff and a policy that allows nothing (``default-src 'none'``), not framable;
- anything else (static files, avatars, the CSV export): nosniff.

A new route with an argument the walk has no value for fails the test, so nobody can add an
HTML page that this test never looks at. Error pages, refusals and a 500 are checked too, and
so are the two headers that carry values from elsewhere: the session cookie's attributes
(Set-Cookie) and where signing in leads (Location).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.security import generate_password_hash
from werkzeug.test import TestResponse

from comments.extensions import db
from comments.models import Role, Site, Subscription
from comments.services import accounts, mail_tokens
from comments.services.demo import DEMO_SITE
from comments.services.mail_tokens import Purpose
from tests.factories import DEFAULT_URI, Api, make_site
from tests.moderation.helpers import PASSWORD, Mod, add_moderator, post_form

ORIGINS = ("https://news.example", "https://www.news.example")
READER = "203.0.113.7"
# Referrer policies that never send a path to another origin.
STRICT_REFERRER_POLICIES = {
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
}
# Embeddable in the site's own pages: framable by exactly the site's origins.
FRAMED_BY_THE_SITE = {"pages.embed_thread", "pages.embed_replies"}
# Pages for moderators who are not signed in (signed in, they redirect).
SIGNED_OUT_PAGES = {"moderation.login"}
# GET routes that answer with a redirect when all is well.
REDIRECTS = {"moderation.home"}
UNSAFE_SOURCES = {
    "'unsafe-inline'",
    "'unsafe-eval'",
    "'unsafe-hashes'",
    "*",
    "data:",
    "http:",
    "https:",
}


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sign-in still checks the password, just with a cheap hash (as tests/moderation do)."""

    def cheap(password: str, method: str = "", **_: Any) -> str:
        return generate_password_hash(password, method="pbkdf2:sha256:1")

    monkeypatch.setattr(accounts, "generate_password_hash", cheap)


@pytest.fixture
def app_config(app_config: dict[str, Any], request: pytest.FixtureRequest) -> dict[str, Any]:
    """The suite's settings, changed by a test's indirect ``app_config`` parameter."""
    return {**app_config, **getattr(request, "param", {})}


@dataclass
class World:
    """A site with a comment, the demo site, a signed-in admin and their API token."""

    app: Flask
    reader: FlaskClient
    admin: Mod
    token: str
    comment_id: int


@pytest.fixture
def world(app: Flask, client: FlaskClient) -> World:
    make_site(app, "news", ORIGINS)
    make_site(app, DEMO_SITE, ("http://127.0.0.1:8000",))
    # With a subscription, so the pages behind mailed links have a real link to show.
    comment_id = Api(client, READER).comment(
        "Headers, please", author_email="reader@example.org", notify_replies=True
    )["comment"]["id"]
    add_moderator(app, "admin@example.org", Role.ADMIN, ())
    admin = Mod(app.test_client(), "admin@example.org")
    admin.sign_in()
    with app.app_context():
        _, token = accounts.create_token(accounts.get_by_email("admin@example.org"), "headers")
    return World(app, client, admin, token, comment_id)


def directives(response: TestResponse) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    parsed: dict[str, list[str]] = {}
    for directive in policy.split(";"):
        name, *sources = directive.split()
        assert name not in parsed, f"{name} given twice in {policy!r}"
        parsed[name.lower()] = sources
    return parsed


def assert_strict_html(response: TestResponse, where: str, framed_by: tuple[str, ...]) -> None:
    assert response.mimetype == "text/html", where
    csp = directives(response)
    assert csp, f"{where}: no Content-Security-Policy"
    assert "default-src" in csp and "*" not in csp["default-src"], where
    for name in ("script-src", "style-src"):
        sources = csp.get(name, csp["default-src"])
        assert not UNSAFE_SOURCES & set(sources), f"{where}: {name} {sources}"
        assert not [s for s in sources if "*" in s], f"{where}: wildcard in {name}"
    assert csp.get("object-src") == ["'none'"], where
    assert csp.get("base-uri") in (["'none'"], ["'self'"]), where
    assert "frame-ancestors" in csp, f"{where}: frame-ancestors must be explicit"
    expected = sorted(framed_by) if framed_by else ["'none'"]
    assert sorted(csp["frame-ancestors"]) == expected, where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") in STRICT_REFERRER_POLICIES, where


def assert_strict_json(response: TestResponse, where: str) -> None:
    assert response.mimetype == "application/json", where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    csp = directives(response)
    assert csp.get("default-src") == ["'none'"], where
    assert csp.get("frame-ancestors") == ["'none'"], where


def assert_nosniff(response: TestResponse, where: str) -> None:
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") in STRICT_REFERRER_POLICIES, where


def judge(response: TestResponse, where: str, framed_by: tuple[str, ...] = ()) -> str:
    """Check the headers for what the response is; returns its kind."""
    if response.mimetype == "text/html":
        assert_strict_html(response, where, framed_by)
        return "html"
    if response.mimetype == "application/json":
        assert_strict_json(response, where)
        return "json"
    assert_nosniff(response, where)
    if response.mimetype == "image/svg+xml":
        # An SVG opened on its own is a document: it must not run script either.
        csp = directives(response)
        assert csp.get("default-src") == ["'none'"] and "script-src" not in csp, where
    return response.mimetype


def static_files(app: Flask) -> list[str]:
    assert app.static_folder
    root = Path(app.static_folder)
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert files, "no static files found"
    return files


def get_routes(app: Flask) -> Iterator[tuple[str, dict[str, Any]]]:
    """(endpoint, path arguments) for every GET route, one static file each."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in (rule.methods or set()):
            continue
        if rule.endpoint == "static":
            for name in static_files(app):
                yield rule.endpoint, {"filename": name}
            continue
        yield rule.endpoint, dict.fromkeys(rule.arguments, None)


def path_values(world: World, endpoint: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Real values for a route's arguments, so each page is its normal self (not a 404)."""
    known: dict[str, Any] = {
        "site": "news",
        "slug": "news",
        "comment_id": world.comment_id,
        "name": "pending",  # a queue, in /mod/queue/<name> and /api/v1/mod/queues/<name>
        "key": "0123456789abcdef0123",  # an avatar key: any 20 characters
    }
    if "token" in arguments:
        known["token"] = mail_link(world, endpoint)
    values = {}
    for name, value in arguments.items():
        if value is not None:
            values[name] = value
        elif name in known:
            values[name] = known[name]
        else:
            pytest.fail(
                f"{endpoint} has a path argument {name!r} that this test has no value for: "
                "add one to path_values() so the new route's headers are checked"
            )
    return values


def mail_link(world: World, endpoint: str) -> str:
    """The signed token of a real link in a mail (confirm or unsubscribe)."""
    purpose = Purpose.CONFIRM if endpoint == "pages.mail_confirm" else Purpose.UNSUBSCRIBE
    with world.app.app_context():
        subscription = db.session.execute(select(Subscription)).scalar_one()
        secret = world.app.extensions["comments.settings"].SECRET_KEY
        return mail_tokens.make_token(secret, purpose, subscription.id, subscription.email)


# Readers' routes get the query string most of them need (the others ignore it).
READER_QUERY = {"site": "news", "uri": DEFAULT_URI}


def fetch(world: World, endpoint: str, url: str) -> TestResponse:
    """GET as the right visitor: the admin for /mod, a token for /api/v1/mod, else a reader."""
    if endpoint.startswith("moderation.") and endpoint not in SIGNED_OUT_PAGES:
        return world.admin.get(url)
    headers = {"Authorization": f"Bearer {world.token}"} if endpoint.startswith("api.mod") else {}
    query = READER_QUERY if endpoint != "static" else {}
    return world.reader.get(
        url, query_string=query, headers=headers, environ_base={"REMOTE_ADDR": READER}
    )


def test_every_get_route_sends_the_headers_for_its_kind(app: Flask, world: World) -> None:
    adapter = app.url_map.bind("localhost")
    kinds: dict[str, set[str]] = {}
    for endpoint, arguments in get_routes(app):
        url = adapter.build(endpoint, path_values(world, endpoint, arguments), method="GET")
        response = fetch(world, endpoint, url)
        expected = 302 if endpoint in REDIRECTS else 200
        assert response.status_code == expected, (
            f"{url} answered {response.status_code}, not {expected}: give the walk what the "
            f"route needs, so its real page is checked. {response.text[:300]}"
        )
        framed_by = ORIGINS if endpoint in FRAMED_BY_THE_SITE else ()
        kinds.setdefault(judge(response, url, framed_by), set()).add(endpoint)
        response.close()  # static files are streamed from an open file

    # Every GET route was requested, and the walk found the pages it must find.
    get_endpoints = {r.endpoint for r in app.url_map.iter_rules() if "GET" in (r.methods or ())}
    assert set().union(*kinds.values()) == get_endpoints
    assert {
        "pages.article",
        "pages.embed_thread",
        "pages.embed_replies",
        "pages.embed_fragment",
        "moderation.login",
        "moderation.queue",
        "moderation.comment",
        "moderation.audit_log",
        "moderation.dashboard_page",
        "moderation.settings_index",
        "moderation.site_settings",
        "moderation.tokens",
        "moderation.bans",
        "moderation.home",
    } <= kinds["html"]
    assert {"api.read_thread", "api.openapi_document", "api.mod_queue"} <= kinds["json"]
    assert kinds["text/javascript"] and kinds["text/css"] and kinds["image/svg+xml"]
    assert kinds["text/csv"] == {"moderation.audit_csv"}


def test_the_demo_article_and_the_welcome_page(app: Flask, client: FlaskClient) -> None:
    welcome = client.get("/")
    assert welcome.status_code == 200 and "<h1" in welcome.text
    assert_strict_html(welcome, "welcome page", ())
    make_site(app, DEMO_SITE, ("http://127.0.0.1:8000",))
    for host in ("127.0.0.1:8000", "localhost:8000", "comments.example"):
        article = client.get("/", base_url=f"http://{host}")
        assert article.status_code == 200
        assert_strict_html(article, f"demo article on {host}", ())
        # The widget comes from the other host name: that origin, never a wildcard.
        script_src = directives(article)["script-src"]
        assert script_src[0] == "'self'" and len(script_src) <= 2, script_src


def test_the_thread_page_in_frame_mode_and_for_a_site_without_origins(
    app: Flask, world: World
) -> None:
    framed = world.reader.get(
        "/embed/news/thread",
        query_string={"uri": DEFAULT_URI, "frame": "1", "origin": ORIGINS[0]},
    )
    assert framed.status_code == 200
    assert_strict_html(framed, "framed thread", ORIGINS)
    make_site(app, "intranet")
    lonely = world.reader.get("/embed/intranet/thread", query_string={"uri": DEFAULT_URI})
    assert_strict_html(lonely, "site without origins", ())


def test_a_hostile_stored_origin_never_reaches_the_policy(app: Flask, world: World) -> None:
    """Origins are checked when a site is saved; the policy filters them again, so a value
    planted in the database cannot add directives or wildcards to the header."""
    hostile = [
        "https://x.example; script-src *",
        "*",
        "https://*.example",
        "https://y.example 'unsafe-inline'",
        "https://z.example\r\nX-Injected: 1",
    ]
    with app.app_context():
        db.session.execute(
            update(Site).where(Site.slug == "news").values(allowed_origins=[*ORIGINS, *hostile])
        )
        db.session.commit()
    response = world.reader.get("/embed/news/thread", query_string={"uri": DEFAULT_URI})
    assert response.status_code == 200
    assert_strict_html(response, "thread with planted origins", ORIGINS)
    assert "X-Injected" not in response.headers


def test_error_pages_and_refusals_carry_the_headers_too(app: Flask, world: World) -> None:
    reader, admin = world.reader, world.admin
    cases: list[tuple[str, TestResponse, tuple[str, ...]]] = [
        ("unrouted 404", reader.get("/no/such/page"), ()),
        ("unknown static file", reader.get("/static/nope.js"), ()),
        ("unknown site", reader.get("/embed/nosite/thread", query_string={"uri": "/x"}), ()),
        ("thread without uri", reader.get("/embed/news/thread"), ORIGINS),
        (
            "unknown reply page",
            reader.get("/embed/news/replies/999999", query_string={"uri": DEFAULT_URI}),
            ORIGINS,
        ),
        (
            "forged form token",
            reader.post(
                "/embed/news/thread",
                query_string={"uri": DEFAULT_URI},
                data={"token": "forged", "body": "hello"},
            ),
            ORIGINS,
        ),
        ("405 on a POST-only URL", admin.get("/mod/logout"), ()),
        ("sign-in without CSRF token", reader.post("/mod/login", data={}), ()),
        ("signed-out visitor", reader.get("/mod/queue/pending"), ()),
        ("unknown queue", admin.get("/mod/queue/nonsense"), ()),
        (
            "cross-site form",
            admin.post(
                f"/mod/comments/{world.comment_id}/decide",
                {"action": "hide"},
                headers={"Origin": "https://evil.example"},
            ),
            (),
        ),
    ]
    for where, response, framed_by in cases:
        assert response.status_code >= 300, where
        assert judge(response, where, framed_by) == "html", where
        response.close()

    for where, response in [
        ("API 404", reader.get("/api/v1/nope")),
        ("API 415", reader.post("/api/v1/comments", data="x", content_type="text/plain")),
        ("API 405", reader.get("/api/v1/preview")),
        ("mod API without token", reader.get("/api/v1/mod/queues")),
        ("API 413", reader.post("/api/v1/preview", data=b"x" * 100_000, content_type="text/plain")),
    ]:
        assert response.status_code >= 400, where
        assert judge(response, where) == "json", where


def test_an_unexpected_error_page_has_the_headers(app: Flask, client: FlaskClient) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken() -> str:
        raise RuntimeError("boom")

    app.add_url_rule("/broken-for-the-test", "broken_for_the_test", broken)
    response = client.get("/broken-for-the-test")
    assert response.status_code == 500
    assert_strict_html(response, "500 page", ())
    assert "boom" not in response.text


def test_static_files_are_not_sniffed(app: Flask, client: FlaskClient) -> None:
    types = {".js": "text/javascript", ".css": "text/css"}
    for name in static_files(app):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200, name
        assert response.headers["X-Content-Type-Options"] == "nosniff", name
        expected = types.get(Path(name).suffix)
        assert expected is None or response.mimetype == expected, (name, response.mimetype)
        response.close()


# --- Set-Cookie and Location --------------------------------------------------------------------


def signed_in_response(app: Flask, **kwargs: Any) -> TestResponse:
    add_moderator(app, "mod@example.org", Role.ADMIN, ())
    client = app.test_client()
    return post_form(
        client,
        "/mod/login",
        {"email": "mod@example.org", "password": PASSWORD},
        page="/mod/login",
        **kwargs,
    )


@pytest.mark.parametrize(
    ("app_config", "secure"),
    [({}, False), ({"SESSION_COOKIE_SECURE": True}, True)],
    indirect=["app_config"],
    ids=["http", "https"],
)
def test_the_session_cookie_is_httponly_samesite_and_secure_when_configured(
    app: Flask, secure: bool
) -> None:
    response = signed_in_response(app)
    assert response.status_code == 302
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if "comments_session=" in c]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path", "expires"} <= attributes, cookie
    assert "SameSite=Lax" in cookie, cookie
    assert ("secure" in attributes) is secure, cookie


@pytest.mark.parametrize(
    ("target", "landing"),
    [
        ("/mod/queue/all?site=news", "/mod/queue/all?site=news"),
        ("https://evil.example/mod/", "/mod/"),
        ("//evil.example/mod/", "/mod/"),
        ("/\\evil.example/mod/", "/mod/"),
        ("javascript:alert(1)//mod", "/mod/"),
        ("", "/mod/"),
    ],
)
def test_sign_in_sends_moderators_only_to_mod_pages(app: Flask, target: str, landing: str) -> None:
    response = signed_in_response(app, query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == landing


def test_a_next_with_a_line_break_lands_on_the_queue(app: Flask) -> None:
    response = signed_in_response(app, query_string={"next": "/mod\r\nSet-Cookie: planted=1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/mod/"
    assert "planted" not in str(response.headers)


def test_the_session_cookie_is_secure_when_the_request_came_over_https(app: Flask) -> None:
    add_moderator(app, "tls@example.org", Role.ADMIN, ())
    client = app.test_client()
    page = client.get("/mod/login", base_url="https://mod.example")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert token is not None
    response = client.post(
        "/mod/login",
        base_url="https://mod.example",
        data={"email": "tls@example.org", "password": PASSWORD, "csrf_token": token[1]},
        headers={"Referer": "https://mod.example/mod/login"},
    )
    assert response.status_code == 302
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if "comments_session=" in c]
    assert "; Secure" in cookie, cookie
