"""The signed links in mails: expiry, forgery, purpose, and the pages behind them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from comments.extensions import db
from comments.models import Subscription, utcnow
from comments.services import mail_tokens, notifications
from comments.services.mail_tokens import LinkExpired, LinkInvalid, Purpose
from tests.factories import Api, make_site
from tests.mail.conftest import subscriptions

SECRET = "test-secret-key-" + "x" * 32  # tests/conftest.py's SECRET_KEY
DAYS = timedelta(days=30)  # MAIL_LINK_DAYS' default


@pytest.fixture
def news(app: Flask) -> str:
    make_site(app, "news")
    make_site(app, "other")
    return "news"


def subscribe(client: FlaskClient, email: str = "ann@example.org", site: str = "news",
              address: str = "203.0.113.1") -> int:  # fmt: skip
    response = Api(client, address).post(
        "Hello", site=site, author_email=email, notify_replies=True
    )
    assert response.status_code == 201, response.get_json()
    return max(s.id for s in subscriptions(client.application))


def token(purpose: Purpose, subscription_id: int, email: str = "ann@example.org",
          **kwargs: Any) -> str:  # fmt: skip
    return mail_tokens.make_token(SECRET, purpose, subscription_id, email, **kwargs)


def test_a_link_works_until_it_expires() -> None:
    now = utcnow()
    link = token(Purpose.UNSUBSCRIBE, 7, now=now)
    tag = mail_tokens.address_tag(SECRET, "ann@example.org")
    assert mail_tokens.read_token(link, SECRET, Purpose.UNSUBSCRIBE, DAYS, now) == (7, tag)
    later = now + DAYS - timedelta(seconds=1)
    assert mail_tokens.read_token(link, SECRET, Purpose.UNSUBSCRIBE, DAYS, later) == (7, tag)
    with pytest.raises(LinkExpired):
        mail_tokens.read_token(link, SECRET, Purpose.UNSUBSCRIBE, DAYS, now + DAYS + timedelta(1))


@pytest.mark.parametrize(
    "forged",
    [
        "",
        "garbage",
        "x" * 1000,
        token(Purpose.CONFIRM, 7),  # a confirmation link is no unsubscribe link
        mail_tokens.make_token("another-secret-" + "y" * 32, Purpose.UNSUBSCRIBE, 7, "a@b.c"),
        token(Purpose.UNSUBSCRIBE, 7)[:-2] + "AA",  # signature changed
        token(Purpose.UNSUBSCRIBE, 7).replace(".", "x", 1),  # payload changed
    ],
)
def test_forged_links_are_refused(forged: str) -> None:
    with pytest.raises(LinkInvalid):
        mail_tokens.read_token(forged, SECRET, Purpose.UNSUBSCRIBE, DAYS, utcnow())


def test_the_secret_must_be_given() -> None:
    with pytest.raises(ValueError):
        mail_tokens.make_token("", Purpose.CONFIRM, 1, "a@b.c")


def test_a_link_names_its_address_too(app: Flask, client: FlaskClient, news: str) -> None:
    """Should a subscription id be reused (SQLite reuses the last row's), an old link for
    another address does not work on the new subscription."""
    sub_id = subscribe(client, "ann@example.org")
    stale = token(Purpose.CONFIRM, sub_id, email="mallory@example.org")
    response = client.post(f"/mail/confirm/{stale}")
    assert response.status_code == 400
    assert subscriptions(app)[0].confirmed_at is None
    assert client.post(f"/mail/confirm/{token(Purpose.CONFIRM, sub_id)}").status_code == 200
    assert subscriptions(app)[0].confirmed_at is not None


def test_expired_and_forged_links_get_a_page_saying_so(
    app: Flask, client: FlaskClient, news: str
) -> None:
    sub_id = subscribe(client)
    old = utcnow() - timedelta(days=31)
    for purpose, path in ((Purpose.CONFIRM, "confirm"), (Purpose.UNSUBSCRIBE, "unsubscribe")):
        expired = token(purpose, sub_id, now=old)
        for method in ("GET", "POST"):
            response = client.open(f"/mail/{path}/{expired}", method=method)
            assert response.status_code == 400, (path, method)
            assert response.mimetype == "text/html"
            assert "This link has expired" in response.text
            assert "links in our mails work for 30 days" in response.text
            forged = client.open(f"/mail/{path}/{expired[:-3]}abc", method=method)
            assert forged.status_code == 400
            assert "This link cannot be used" in forged.text
            assert "default-src 'self'" in forged.headers["Content-Security-Policy"]
    [subscription] = subscriptions(app)
    assert subscription.confirmed_at is None and subscription.unsubscribed_at is None


def test_a_link_to_a_deleted_subscription_is_404(
    app: Flask, client: FlaskClient, news: str
) -> None:
    sub_id = subscribe(client)
    with app.app_context():
        db.session.delete(db.session.get(Subscription, sub_id))
        db.session.commit()
    response = client.get(f"/mail/unsubscribe/{token(Purpose.UNSUBSCRIBE, sub_id)}")
    assert response.status_code == 404
    assert "no longer exists" in response.text


def test_get_changes_nothing_post_unsubscribes_this_or_every_comment(
    app: Flask, client: FlaskClient, news: str
) -> None:
    first = subscribe(client, "ann@example.org", address="203.0.113.1")
    second = subscribe(client, "ANN@example.org", address="203.0.113.2")
    elsewhere = subscribe(client, "ann@example.org", site="other", address="203.0.113.3")
    someone_else = subscribe(client, "bob@example.org", address="203.0.113.4")
    link = f"/mail/unsubscribe/{token(Purpose.UNSUBSCRIBE, first)}"

    page = client.get(link)
    assert page.status_code == 200
    assert "Unsubscribe from this comment" in page.text
    assert "Unsubscribe from every comment on News" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert all(s.unsubscribed_at is None for s in subscriptions(app))

    assert client.post(link, data={"scope": "this"}).status_code == 200
    ended = {s.id for s in subscriptions(app) if s.unsubscribed_at}
    assert ended == {first}

    everything = client.post(link, data={"scope": "all"})
    assert everything.status_code == 200
    assert "any of your comments on News" in " ".join(everything.text.split())
    ended = {s.id for s in subscriptions(app) if s.unsubscribed_at}
    assert ended == {first, second}
    assert elsewhere not in ended and someone_else not in ended


def test_confirm_get_shows_a_button_and_post_confirms_once(
    app: Flask, client: FlaskClient, news: str
) -> None:
    sub_id = subscribe(client)
    link = f"/mail/confirm/{token(Purpose.CONFIRM, sub_id)}"
    for _ in range(2):  # prefetching twice changes nothing either
        page = client.get(link)
        assert page.status_code == 200 and '<form method="post"' in page.text
    assert subscriptions(app)[0].confirmed_at is None
    assert client.post(link).status_code == 200
    confirmed_at = subscriptions(app)[0].confirmed_at
    assert confirmed_at is not None
    assert client.post(link).status_code == 200
    assert subscriptions(app)[0].confirmed_at == confirmed_at
    assert "already confirmed" in client.get(link).text


def test_unsubscribe_service_checks_time_it_is_given(
    app: Flask, client: FlaskClient, news: str
) -> None:
    sub_id = subscribe(client)
    link = token(Purpose.UNSUBSCRIBE, sub_id)
    with app.app_context():
        with pytest.raises(LinkExpired):
            notifications.unsubscribe(link, SECRET, DAYS, now=utcnow() + DAYS + timedelta(1))
        assert notifications.unsubscribe(link, SECRET, DAYS) == 1
        assert notifications.unsubscribe(link, SECRET, DAYS) == 0
