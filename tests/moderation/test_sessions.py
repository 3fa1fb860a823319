"""Signing in and out, sessions, CSRF, Origin checks and the sign-in rate limit."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from comments.moderation.auth import SIGN_IN_FAILED
from comments.services import accounts
from tests.factories import Api
from tests.moderation.helpers import (
    Mod,
    add_moderator,
    csrf,
    post_form,
    sign_in,
    status_of,
)

COOKIE = "comments_session"


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    return cookie.value


def test_the_sign_in_page_has_a_csrf_field(client: FlaskClient) -> None:
    response = client.get("/mod/login")
    assert response.status_code == 200
    assert 'name="csrf_token" value="' in response.get_data(as_text=True)
    assert '<label for="email">' in response.get_data(as_text=True)


def test_wrong_password_and_unknown_email_get_the_same_answer(
    app: Flask, client: FlaskClient, news: str
) -> None:
    add_moderator(app, "mod@example.org")
    wrong = post_form(
        client,
        "/mod/login",
        {"email": "mod@example.org", "password": "nope" * 4},
        page="/mod/login",
    )
    unknown = post_form(
        client,
        "/mod/login",
        {"email": "who@example.org", "password": "nope" * 4},
        page="/mod/login",
    )
    assert wrong.status_code == unknown.status_code == 401
    message = SIGN_IN_FAILED.replace("'", "&#39;")
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)
    assert "who@example.org" in unknown.get_data(as_text=True)  # typed e-mail kept in the form


def test_signing_in_starts_a_fresh_session(app: Flask, client: FlaskClient, news: str) -> None:
    add_moderator(app, "mod@example.org")
    client.get("/mod/login")
    with client.session_transaction() as planted:
        planted["planted"] = "by an attacker"
    before = session_cookie(client)
    sign_in(client, "mod@example.org")
    after = session_cookie(client)
    assert after != before
    with client.session_transaction() as session:
        assert "planted" not in session
        first_nonce = session["sid"]
    assert client.get("/mod/queue/pending").status_code == 200

    # The cookie from before signing in does not carry the sign-in.
    client.set_cookie(COOKIE, before)
    assert client.get("/mod/queue/pending").status_code == 302

    sign_in(client, "mod@example.org")
    with client.session_transaction() as session:
        assert session["sid"] != first_nonce


def test_signing_out_kills_the_old_cookie_on_the_server(admin: Mod) -> None:
    old = session_cookie(admin.client)
    response = admin.post("/mod/logout", page="/mod/queue/pending")
    assert response.status_code == 302
    assert admin.get("/mod/queue/pending").status_code == 302
    admin.client.set_cookie(COOKIE, old)  # replay the cookie from before signing out
    replayed = admin.get("/mod/queue/pending")
    assert replayed.status_code == 302
    assert replayed.headers["Location"].startswith("/mod/login")


def test_changing_the_password_signs_out_every_session(app: Flask, admin: Mod) -> None:
    second = Mod(app.test_client(), admin.email)
    second.sign_in()
    with app.app_context():
        accounts.set_password(accounts.get_by_email(admin.email), "a brand new password")
    assert admin.get("/mod/queue/pending").status_code == 302
    assert second.get("/mod/queue/pending").status_code == 302
    second.sign_in("a brand new password")
    assert second.get("/mod/queue/pending").status_code == 200


def test_forms_without_a_valid_token_or_from_elsewhere_are_refused(
    app: Flask, api: Api, admin: Mod
) -> None:
    comment_id = api.comment("Keep me")["comment"]["id"]
    url = f"/mod/comments/{comment_id}/decide"
    data = {"action": "hide", "next": "/mod/queue/all"}

    missing = admin.client.post(url, data=data)
    assert missing.status_code == 400
    assert "Form expired" in missing.get_data(as_text=True)

    stranger = app.test_client()
    foreign_token = csrf(stranger, "/mod/login")
    assert admin.post(url, data, token=foreign_token).status_code == 400

    elsewhere = admin.post(url, data, headers={"Origin": "https://evil.example"})
    assert elsewhere.status_code == 403
    assert admin.post(url, data, headers={"Origin": "null"}).status_code == 403

    assert status_of(app, comment_id) == "approved"
    assert admin.post(url, data, headers={"Origin": "http://localhost"}).status_code == 303
