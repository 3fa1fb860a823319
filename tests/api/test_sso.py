"""Single sign-on: a site vouches for its readers with an HMAC-signed payload."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from comments.extensions import db
from comments.models import Comment, Site
from comments.services import sites
from comments.services.identity import sign_sso
from tests.factories import DEFAULT_URI, Api, make_site


@pytest.fixture
def secret(app: Flask) -> str:
    make_site(app)
    with app.app_context():
        site = db.session.query(Site).filter_by(slug="news").one()
        return site.sso_secret


def token(secret: str, **fields: Any) -> str:
    payload = {
        "id": "u-42",
        "name": "Dana Reader",
        "email": "dana@example.org",
        "avatar": "https://news.example/avatars/42.png",
        "exp": int(time.time()) + 600,
    }
    payload.update(fields)
    return sign_sso(payload, secret)


def post(client: FlaskClient, sso: str, address: str = "203.0.113.5", **body: Any) -> Any:
    payload = {"site": "news", "uri": DEFAULT_URI, "body": "hello", **body}
    return client.post(
        "/api/v1/comments",
        json=payload,
        headers={"X-Comments-SSO": sso},
        environ_base={"REMOTE_ADDR": address},
    )


def test_a_signed_reader_posts_as_themselves_with_a_badge(
    app: Flask, client: FlaskClient, secret: str
) -> None:
    response = post(client, token(secret), author_name="Someone Else", author_email="x@y.org")
    assert response.status_code == 201
    author = response.get_json()["comment"]["author"]
    assert author == {
        "name": "Dana Reader",
        "url": None,
        "verified": True,
        "avatar": "https://news.example/avatars/42.png",
    }
    with app.app_context():
        stored = db.session.get(Comment, response.get_json()["comment"]["id"])
        assert stored is not None
        assert stored.author_key == "sso:u-42" and stored.author_email == "dana@example.org"


def test_anonymous_comments_are_not_verified(client: FlaskClient, secret: str) -> None:
    assert Api(client).comment()["comment"]["author"]["verified"] is False


def test_expired_token_is_401(client: FlaskClient, secret: str) -> None:
    response = post(client, token(secret, exp=int(time.time()) - 1))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "sso_expired"


@pytest.mark.parametrize("mangle", ["payload", "signature", "secret", "shape"])
def test_tampered_token_is_401(client: FlaskClient, secret: str, mangle: str) -> None:
    good = token(secret)
    encoded, signature = good.split(".")
    if mangle == "payload":
        evil = json.dumps({"id": "admin", "name": "Admin", "exp": int(time.time()) + 600})
        bad = base64.urlsafe_b64encode(evil.encode()).decode().rstrip("=") + "." + signature
    elif mangle == "signature":
        bad = encoded + "." + ("0" if signature[0] != "0" else "1") + signature[1:]
    elif mangle == "secret":
        bad = token("not-the-site-secret")
    else:
        bad = good + ".extra"
    response = post(client, bad)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "sso_invalid"
    assert Api(client).thread().get_json()["comments"] == []


def test_rotated_secret_invalidates_old_tokens(
    app: Flask, client: FlaskClient, secret: str
) -> None:
    old = token(secret)
    with app.app_context():
        sites.edit_site("news", rotate_sso_secret=True)
    assert post(client, old).status_code == 401


def test_sso_id_is_the_identity_for_votes(client: FlaskClient, secret: str) -> None:
    cid = Api(client, "198.51.100.9").comment("vote here")["comment"]["id"]
    sso = token(secret)
    for address in ("203.0.113.1", "203.0.113.2"):
        response = client.post(
            f"/api/v1/comments/{cid}/votes",
            json={"value": 1},
            headers={"X-Comments-SSO": sso},
            environ_base={"REMOTE_ADDR": address},
        )
        assert response.status_code == 200
    assert response.get_json()["likes"] == 1


def test_no_voting_on_your_own_comment_from_another_address(
    client: FlaskClient, secret: str
) -> None:
    sso = token(secret)
    cid = post(client, sso, "203.0.113.1").get_json()["comment"]["id"]
    response = client.post(
        f"/api/v1/comments/{cid}/votes",
        json={"value": 1},
        headers={"X-Comments-SSO": sso},
        environ_base={"REMOTE_ADDR": "203.0.113.99"},
    )
    assert response.status_code == 403


def test_first_comment_policy_knows_sso_readers_by_id(
    app: Flask, client: FlaskClient, secret: str
) -> None:
    from comments.models import CommentStatus
    from comments.services import visibility

    with app.app_context():
        sites.update_policy("news", {"mode": "first"})
    sso = token(secret)
    first = post(client, sso, "203.0.113.1", body="first words")
    assert first.status_code == 202 and first.get_json()["reason"] == "first_comment"
    with app.app_context():
        stored = db.session.get(Comment, first.get_json()["comment"]["id"])
        assert stored is not None
        visibility.set_status(stored, CommentStatus.APPROVED)
        db.session.commit()
    # Another device, another address, same person: now known.
    assert post(client, sso, "198.51.100.77", body="second words").status_code == 201
