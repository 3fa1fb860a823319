"""The queues: what each lists, why, with which context, filtered and paged."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from tests.factories import Api
from tests.moderation.helpers import Mod, premoderate


def item_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'id="item-(\d+)"', page)]


def test_every_queue_lists_its_comments_with_the_reasons_in_words(
    app: Flask, client: FlaskClient, api: Api, admin: Mod
) -> None:
    with app.app_context():
        from comments.services import sites

        sites.update_policy("news", {"suspect_words": "crypto"})
    plain = api.comment("A plain published comment")["comment"]["id"]
    flagged = api.comment("Buy crypto now")["comment"]["id"]
    reported = Api(client, "198.51.100.7").comment("Reported later")["comment"]["id"]
    Api(client, "198.51.100.8").report(reported, "abuse")
    spam = api.comment("I am a bot", hp="filled")["comment"]["id"]
    to_hide = api.comment("Soon hidden")["comment"]["id"]
    admin.post(f"/mod/comments/{to_hide}/decide", {"action": "hide", "next": "/mod/queue/all"})
    premoderate(app)
    held = api.comment("Held for review")["comment"]["id"]

    pending = admin.text("/mod/queue/pending")
    assert item_ids(pending) == [held]
    assert "every comment on this site is held for review" in pending

    reported_page = admin.text("/mod/queue/reported")
    assert set(item_ids(reported_page)) == {flagged, reported}
    assert "suspect word &#39;crypto&#39;" in reported_page
    assert "reported once: abuse 1" in reported_page

    spam_page = admin.text("/mod/queue/spam")
    assert item_ids(spam_page) == [spam]
    assert "hidden form field filled in" in spam_page

    assert item_ids(admin.text("/mod/queue/hidden")) == [to_hide]
    assert set(item_ids(admin.text("/mod/queue/approved"))) == {plain, flagged, reported}
    everything = admin.text("/mod/queue/all")
    assert set(item_ids(everything)) == {plain, flagged, reported, spam, to_hide, held}
    # The navigation counts every queue.
    assert re.search(r"Pending <span class=\"mod-count\">1<", everything)
    assert re.search(r"All <span class=\"mod-count\">6<", everything)


def test_an_item_shows_its_thread_parent_author_history_and_time(
    app: Flask, client: FlaskClient, api: Api, admin: Mod
) -> None:
    parent = api.comment("The parent says **hello**", title="Big story")["comment"]["id"]
    reader = Api(client, "198.51.100.20")
    reader.comment("Earlier words", author_name="Bea", author_email="bea@example.org")
    reply = reader.comment(
        "A reply",
        parent_id=parent,
        author_name="Bea",
        author_email="bea@example.org",
        author_url="https://bea.example",
    )["comment"]["id"]
    page = admin.text("/mod/queue/all")
    start = page.index(f'id="item-{reply}"')
    card = page[start : page.index("</article>", start)]
    assert f'href="https://news.example/2026/11/story#comment-{reply}"' in card
    assert ">Big story</a>" in card
    assert "In reply to:</span> The parent says hello" in card
    assert "Bea" in card and "bea@example.org" in card
    assert 'href="https://bea.example"' in card
    assert re.search(r"<code>[0-9a-f]{8}</code>", card)
    assert "approved 2, hidden 0, spam 0, pending 0" in card
    assert f"/mod/queue/all?author_of={reply}" in card
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT', card)
    # The comment's sanitised HTML is shown as HTML; everything else is escaped.
    assert "<strong>hello</strong>" in page


def test_author_history_link_lists_only_that_authors_comments(
    client: FlaskClient, api: Api, admin: Mod
) -> None:
    mine = [api.comment(f"Mine {n}")["comment"]["id"] for n in range(2)]
    theirs = Api(client, "198.51.100.30").comment("Theirs")["comment"]["id"]
    page = admin.text(f"/mod/queue/all?author_of={mine[0]}")
    assert set(item_ids(page)) == set(mine)
    assert theirs not in item_ids(page)
    assert "Showing only comments by the author of comment" in page


def test_filters_narrow_the_queue_and_bad_values_are_named(
    client: FlaskClient, api: Api, admin: Mod
) -> None:
    ada = api.comment("Apples are great", author_name="Ada", author_email="ada@example.org")
    bob = Api(client, "198.51.100.40").comment(
        "Bananas", author_name="Bob", author_email="bob@example.org", uri="/other-story"
    )
    ada_id, bob_id = ada["comment"]["id"], bob["comment"]["id"]
    assert item_ids(admin.text("/mod/queue/all?text=apples")) == [ada_id]
    assert item_ids(admin.text("/mod/queue/all?author=bo")) == [bob_id]
    assert item_ids(admin.text("/mod/queue/all?email=ada%40")) == [ada_id]
    assert set(item_ids(admin.text("/mod/queue/all?site=news"))) == {ada_id, bob_id}
    assert item_ids(admin.text("/mod/queue/all?site=nosuchsite")) == []
    assert item_ids(admin.text("/mod/queue/all?since=2999-01-01")) == []
    assert set(item_ids(admin.text("/mod/queue/all?until=2999-01-01"))) == {ada_id, bob_id}
    page = admin.text("/mod/queue/all?since=yesterday&thread_id=abc")
    assert "From must be a date" in page and "Thread id must be a whole number" in page
    assert set(item_ids(page)) == {ada_id, bob_id}
    # The form shows the filter again, and the thread filter works by id.
    text_page = admin.text("/mod/queue/all?text=apples")
    assert 'name="text" type="search" value="apples"' in text_page


def test_pages_of_25_keep_the_filters_in_their_links(api: Api, admin: Mod) -> None:
    ids = [api.comment(f"Number {n} of many")["comment"]["id"] for n in range(27)]
    first = admin.text("/mod/queue/approved?text=many")
    assert len(item_ids(first)) == 25
    assert "Page 1 of 2" in first
    assert 'href="/mod/queue/approved?text=many&amp;page=2"' in first
    second = admin.text("/mod/queue/approved?text=many&page=2")
    assert sorted(item_ids(second)) == sorted(ids)[:2]


def test_an_unknown_queue_is_not_found(admin: Mod) -> None:
    response = admin.get("/mod/queue/nonsense")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "nonsense" in response.get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/mod/queue/pending")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/mod/login?next=")
