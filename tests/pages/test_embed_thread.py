"""The embeddable thread without JavaScript: reading, posting through forms, tokens, headers."""

from __future__ import annotations

import dataclasses
import re
import time
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from comments.extensions import db
from comments.models import Comment, CommentStatus, Role
from comments.pages import embed
from comments.services import accounts, identity, limits, moderation, sites
from tests.factories import DEFAULT_SITE, DEFAULT_URI, Api, make_site

SITE = DEFAULT_SITE
URI = DEFAULT_URI
ORIGIN = "https://news.example"
OTHER_ORIGIN = "https://www.news.example"
READER = "198.51.100.7"
COMMENT_TYPE = "https://schema.org/Comment"
THREAD_URL = f"/embed/{SITE}/thread"


# --- Reading pages --------------------------------------------------------------------------


@dataclasses.dataclass
class Item:
    """One microdata item: its type, the item it is a property of, and its own properties."""

    type: str
    element_id: str
    prop: str | None
    parent: Item | None
    props: dict[str, list[str]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class _Open:
    tag: str
    element_id: str
    item: Item | None = None
    capture: tuple[Item, str] | None = None
    text: list[str] = dataclasses.field(default_factory=list)


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
VALUE_ATTRIBUTE = {"meta": "content", "link": "href", "a": "href", "time": "datetime"}


class PageParser(HTMLParser):
    """Microdata items (https://html.spec.whatwg.org/#microdata), tags, and texts by id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[Item] = []
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.texts: dict[str, str] = {}
        self._stack: list[_Open] = []

    def _item(self) -> Item | None:
        return next((f.item for f in reversed(self._stack) if f.item is not None), None)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        outer = self._item()
        prop = attributes.get("itemprop")
        frame = _Open(tag, attributes.get("id", ""))
        if "itemscope" in attributes:
            frame.item = Item(attributes.get("itemtype", ""), frame.element_id, prop, outer)
            self.items.append(frame.item)
            if prop and outer is not None:
                outer.props.setdefault(prop, []).append(f"item:{len(self.items) - 1}")
        elif prop and outer is not None:
            if tag == "data":
                outer.props.setdefault(prop, []).append(attributes.get("value", ""))
            elif tag in VALUE_ATTRIBUTE:
                outer.props.setdefault(prop, []).append(attributes.get(VALUE_ATTRIBUTE[tag], ""))
            else:
                frame.capture = (outer, prop)
        if tag not in VOID:
            self._stack.append(frame)

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            frame = self._stack.pop()
            text = "".join(frame.text)
            if frame.capture is not None:
                item, prop = frame.capture
                item.props.setdefault(prop, []).append(text.strip())
            if frame.element_id:
                self.texts[frame.element_id] = text
            if frame.tag == tag:
                return

    def handle_data(self, data: str) -> None:
        for frame in self._stack:
            frame.text.append(data)


def parse(response: TestResponse | str) -> PageParser:
    text = response if isinstance(response, str) else response.get_data(as_text=True)
    parser = PageParser()
    parser.feed(text)
    parser.close()
    return parser


def comment_items(page: PageParser) -> dict[int, Item]:
    found = {}
    for item in page.items:
        if item.type == COMMENT_TYPE:
            assert item.prop == "comment", item
            found[int(item.element_id.removeprefix("comment-"))] = item
    return found


def parent_comment_id(item: Item) -> int | None:
    """The comment this item is a `comment` of, or None for the page."""
    if item.parent is None or item.parent.type != COMMENT_TYPE:
        return None
    return int(item.parent.element_id.removeprefix("comment-"))


def form_token(response: TestResponse) -> str:
    match = re.search(r'name="token" value="([^"]+)"', response.get_data(as_text=True))
    assert match, "the page has no form token"
    return match.group(1)


def csp_directives(response: TestResponse) -> dict[str, list[str]]:
    csp = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}


def stored() -> list[Comment]:
    return list(db.session.execute(select(Comment).order_by(Comment.id)).scalars())


# --- Fixtures and helpers --------------------------------------------------------------------


@pytest.fixture
def site(app: Flask) -> None:
    make_site(app, SITE, (ORIGIN, OTHER_ORIGIN))
    with app.app_context():
        # The minimum-seconds rule has a test of its own; here readers may be quick.
        sites.update_policy(SITE, {"min_seconds": 0})


class Reader:
    """A reader with JavaScript off: loads the page, submits its forms, follows redirects."""

    def __init__(self, client: FlaskClient, address: str = READER) -> None:
        self.client = client
        self.address = address

    def get(self, url: str = THREAD_URL, **params: Any) -> TestResponse:
        query = {"uri": URI, **params} if "?" not in url else None
        return self.client.get(url, query_string=query, environ_base={"REMOTE_ADDR": self.address})

    def post(
        self, token: str | None, body: str = "Hello", url: str = THREAD_URL, **fields: Any
    ) -> TestResponse:
        data = {"body": body, **fields}
        if token is not None:
            data["token"] = token
        query = {"uri": URI} if "?" not in url else None
        return self.client.post(
            url, query_string=query, data=data, environ_base={"REMOTE_ADDR": self.address}
        )

    def comment(self, body: str = "Hello", **fields: Any) -> int:
        """Post a comment through the page's form; return its id from the redirect."""
        response = self.post(form_token(self.get()), body, **fields)
        assert response.status_code == 303, response.get_data(as_text=True)
        fragment = urlsplit(response.headers["Location"]).fragment
        assert fragment.startswith("comment-"), response.headers["Location"]
        return int(fragment.removeprefix("comment-"))


@pytest.fixture
def reader(client: FlaskClient, site: None) -> Reader:
    return Reader(client)


def aged_token(app: Flask, seconds_ago: float, *, site: str = SITE, uri: str = URI) -> str:
    """A form token for READER issued ``seconds_ago``: signed as if the clock said so."""
    config = app.extensions["comments.settings"]
    issued = int(time.time() - seconds_ago)

    class SignedThen(TimestampSigner):
        def get_timestamp(self) -> int:
            return issued

    address_hash = identity.hash_address(READER, config.IP_HASH_SALT or config.SECRET_KEY)
    with app.test_request_context():
        fresh = embed.issue_form_token(site, uri, address_hash)
    payload = URLSafeTimedSerializer(config.SECRET_KEY, salt="embed-form").loads(fresh)
    then = URLSafeTimedSerializer(config.SECRET_KEY, salt="embed-form", signer=SignedThen)
    return then.dumps(payload)


@pytest.fixture
def admin(app: Flask) -> int:
    with app.app_context():
        moderator, _ = accounts.add_moderator("admin@news.example", Role.ADMIN)
        moderator_id: int = moderator.id
    return moderator_id


def as_admin(admin_id: int) -> Any:
    from comments.models import Moderator

    moderator = db.session.get(Moderator, admin_id)
    assert moderator is not None
    return moderator


# --- Reading -------------------------------------------------------------------------------


def test_thread_renders_nested_comments_as_schema_org_items(
    app: Flask, client: FlaskClient, reader: Reader, admin: int
) -> None:
    api = Api(client)
    a = api.comment("First *point*", author_name="Ann")["comment"]["id"]
    b = api.comment("Reply to Ann", author_name="Bob", parent_id=a)["comment"]["id"]
    c = api.comment("Reply to Bob", author_name="Cy", parent_id=b)["comment"]["id"]
    d = api.comment("Second point", author_name="Dee")["comment"]["id"]
    x = api.comment("Soon removed", author_name="Xan")["comment"]["id"]
    y = api.comment("Reply to the removed one", author_name="Yul", parent_id=x)["comment"]["id"]
    assert Api(client, "203.0.113.99").vote(a, 1).status_code == 200
    with app.app_context():
        moderation.moderate(as_admin(admin), x, moderation.Action.HIDE)

    response = reader.get()
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = parse(response)
    items = comment_items(page)

    # Every shown comment is an item, nested as a `comment` of the comment it answers; the
    # removed one is a placeholder, not an item, so its reply belongs to the page.
    assert set(items) == {a, b, c, d, y}
    assert {i: parent_comment_id(item) for i, item in items.items()} == {
        a: None,
        b: a,
        c: b,
        d: None,
        y: None,
    }
    pages = [i for i in page.items if i.type == "https://schema.org/WebPage"]
    assert len(pages) == 1
    assert items[a].parent is pages[0]
    assert "Soon removed" not in response.get_data(as_text=True)
    assert "removed by a moderator" in page.texts[f"comment-{x}"]

    with app.app_context():
        ann = db.session.get(Comment, a)
        assert ann is not None
        created = ann.created_at.isoformat()
    first = items[a].props
    assert first["text"] == ["First point"]
    assert first["dateCreated"] == [created]
    assert first["upvoteCount"] == ["1"]
    assert first["url"] == [f"#comment-{a}"]
    person = page.items[int(first["author"][0].removeprefix("item:"))]
    assert person.type == "https://schema.org/Person"
    assert person.props["name"] == ["Ann"]
    assert items[b].props["upvoteCount"] == ["0"]
    assert pages[0].props["commentCount"] == ["5"]
    assert " ".join(page.texts["cm-title"].split()) == "5 comments"
    # One post form and a reply form under each shown comment.
    forms = [attrs for tag, attrs in page.tags if tag == "form"]
    assert len(forms) == 1 + len(items)
    assert all(attrs["method"] == "post" for attrs in forms)
    assert all(attrs["action"] == f"{THREAD_URL}?uri={URI}" for attrs in forms)


def test_an_empty_thread_invites_the_first_comment(reader: Reader) -> None:
    response = reader.get()
    assert response.status_code == 200
    page = parse(response)
    assert comment_items(page) == {}
    assert " ".join(page.texts["cm-title"].split()) == "0 comments"
    assert "Be the first to comment." in response.get_data(as_text=True)


def test_bad_requests_get_an_html_page_not_a_500(
    app: Flask, client: FlaskClient, reader: Reader
) -> None:
    make_site(app, "blog")
    other_thread = Api(client).comment("Elsewhere", uri="/other")["comment"]["id"]
    cases = {
        f"/embed/nosuch/thread?uri={URI}": (404, "There is no site"),
        f"/embed/NUL%00/thread?uri={URI}": (404, "There is no site"),
        THREAD_URL: (400, "The page uri is empty."),
        f"{THREAD_URL}?uri=%00": (400, "uri"),
        f"{THREAD_URL}?uri={URI}&sort=best": (400, "sort must be one of"),
        f"{THREAD_URL}?uri={URI}&cursor=not-a-cursor": (400, "The cursor is not valid"),
        f"{THREAD_URL}?uri={URI}&cursor=" + "A" * 600: (400, "The cursor is not valid"),
        f"/embed/{SITE}/fragment?uri={URI}&sort=x": (400, "sort must be one of"),
        f"/embed/{SITE}/replies/99999999999?uri={URI}": (404, "There is no such comment"),
        f"/embed/{SITE}/replies/{other_thread}?uri={URI}": (404, "no such comment"),
        f"/embed/blog/replies/{other_thread}?uri=/other": (404, "no such comment"),
    }
    for url, (status, message) in cases.items():
        response = client.get(url)
        assert response.status_code == status, url
        assert response.mimetype == "text/html", url
        assert message in response.get_data(as_text=True), url
        assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    response = reader.post(None, url=f"/embed/nosuch/thread?uri={URI}")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


# --- Posting -------------------------------------------------------------------------------


def test_posting_redirects_to_the_new_comment_and_shows_it(app: Flask, reader: Reader) -> None:
    page = reader.get()
    response = reader.post(
        form_token(page),
        "Hello from a **plain** form",
        author_name="Nora",
        author_url="nora.example",
    )
    assert response.status_code == 303
    with app.app_context():
        (comment,) = stored()
        assert comment.status is CommentStatus.APPROVED
        assert comment.author_name == "Nora"
        assert comment.author_url == "https://nora.example"
        assert comment.ip_hash == identity.hash_address(READER, app.config["SECRET_KEY"])
        comment_id = comment.id
    location = urlsplit(response.headers["Location"])
    assert location.path == THREAD_URL
    assert parse_qs(location.query) == {"uri": [URI]}
    assert location.fragment == f"comment-{comment_id}"

    shown = parse(reader.get(response.headers["Location"]))
    items = comment_items(shown)
    assert list(items) == [comment_id]
    assert items[comment_id].props["text"] == ["Hello from a plain form"]


def test_a_reply_through_the_reply_form_nests_under_its_parent(app: Flask, reader: Reader) -> None:
    parent = reader.comment("The parent")
    page = reader.get()
    reply_forms = [
        attrs for tag, attrs in parse(page).tags if tag == "input" and attrs["name"] == "parent_id"
    ]
    assert [attrs["value"] for attrs in reply_forms] == [str(parent)]
    response = reader.post(form_token(page), "The reply", parent_id=str(parent))
    assert response.status_code == 303
    reply = int(urlsplit(response.headers["Location"]).fragment.removeprefix("comment-"))
    items = comment_items(parse(reader.get(response.headers["Location"])))
    assert parent_comment_id(items[reply]) == parent


def test_the_flask_wtf_session_token_is_not_needed(app: Flask, reader: Reader) -> None:
    """CSRFProtect guards the app, but these forms carry their own token instead."""
    assert app.config.get("WTF_CSRF_ENABLED", True)
    response = reader.post(form_token(reader.get()), "No session, no cookie")
    assert response.status_code == 303
    assert "Set-Cookie" not in response.headers


def _broken_tokens(app: Flask) -> dict[str, tuple[str | None, str]]:
    config = app.extensions["comments.settings"]
    good = aged_token(app, 60)
    payload, signature = good.split(".", 1)
    wrong_key = URLSafeTimedSerializer("another-key-" + "y" * 32, salt="embed-form")
    return {
        "missing": (None, "sent without its security token"),
        "empty": ("", "sent without its security token"),
        "tampered": (
            payload + "." + signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB"),
            "security token is not valid",
        ),
        "other key": (wrong_key.dumps({"s": SITE, "u": URI}), "security token is not valid"),
        "other salt": (
            URLSafeTimedSerializer(config.SECRET_KEY, salt="other").dumps({"s": SITE, "u": URI}),
            "security token is not valid",
        ),
        "expired": (aged_token(app, 2 * 3600 + 60), "This form has expired"),
        "other thread": (aged_token(app, 60, uri="/another/story"), "another discussion"),
        "other site": (aged_token(app, 60, site="blog"), "another discussion"),
    }


@pytest.mark.parametrize(
    "case",
    ["missing", "empty", "tampered", "other key", "other salt", "expired", "other thread",
     "other site"],
)  # fmt: skip
def test_a_bad_form_token_is_refused_and_nothing_is_lost(
    app: Flask, reader: Reader, case: str
) -> None:
    make_site(app, "blog")
    token, message = _broken_tokens(app)[case]
    typed = "My carefully written comment\nover two lines"
    response = reader.post(token, typed, author_name="Kept Name")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    page = parse(response)
    assert message in page.texts["cm-new-problem"]
    # What the reader typed is back in the form, with a fresh token that works.
    assert page.texts["cm-new-body"] == typed
    name_input = next(
        a for t, a in page.tags if t == "input" and a.get("id") == "cm-new-author_name"
    )
    assert name_input["value"] == "Kept Name"
    with app.app_context():
        assert stored() == []
    again = reader.post(form_token(response), typed)
    assert again.status_code == 303
    with app.app_context():
        assert [c.body for c in stored()] == [typed]


def test_a_token_from_another_address_is_refused(
    app: Flask, client: FlaskClient, site: None
) -> None:
    """A forger can fetch a token, but only for their own address, not the victim's."""
    token = form_token(Reader(client, "192.0.2.66").get())
    response = Reader(client, READER).post(token, "Posted from the victim's browser")
    assert response.status_code == 400
    assert "another network address" in response.get_data(as_text=True)
    with app.app_context():
        assert stored() == []


def test_the_form_token_is_the_clock_for_the_minimum_seconds_rule(
    app: Flask, reader: Reader
) -> None:
    with app.app_context():
        sites.update_policy(SITE, {"min_seconds": 5})
    fast = reader.post(form_token(reader.get()), "Sent at once")
    assert fast.status_code == 303
    assert parse_qs(urlsplit(fast.headers["Location"]).query)["held"] == ["1"]
    slow = reader.post(aged_token(app, 30), "Sent after reading")
    assert slow.status_code == 303
    assert urlsplit(slow.headers["Location"]).fragment.startswith("comment-")
    with app.app_context():
        quick, patient = stored()
        assert quick.status is CommentStatus.SPAM
        assert quick.moderation_reasons[0]["code"] == "too_fast"
        assert patient.status is CommentStatus.APPROVED


def test_a_refused_comment_keeps_its_text_and_names_the_field(app: Flask, reader: Reader) -> None:
    typed = "Careful </textarea><script>alert(1)</script> & <b>text</b>"
    response = reader.post(
        form_token(reader.get()), typed, author_name="Em", author_email="not-an-address"
    )
    assert response.status_code == 422
    page = parse(response)
    assert page.texts["cm-new-body"] == typed
    assert "not an e-mail address" in page.texts["cm-new-author_email-error"]
    assert "The e-mail address is not valid." in page.texts["cm-new-problem"]
    email = next(a for t, a in page.tags if t == "input" and a.get("id") == "cm-new-author_email")
    assert email["value"] == "not-an-address"
    assert email["aria-invalid"] == "true"
    assert not [t for t, a in page.tags if t == "script"]
    with app.app_context():
        assert stored() == []


def test_a_refused_reply_reopens_its_reply_form(app: Flask, reader: Reader) -> None:
    parent = reader.comment("Parent")
    response = reader.post(form_token(reader.get()), "  \n ", parent_id=str(parent))
    assert response.status_code == 422
    page = parse(response)
    assert "The comment is empty." in page.texts[f"cm-r{parent}-problem"]
    assert "cm-new-problem" not in page.texts
    details = [a for t, a in page.tags if t == "details"]
    assert len(details) == 1 and "open" in details[0]


def test_a_reply_to_an_unknown_comment_is_a_404_page_with_the_text(
    app: Flask, reader: Reader
) -> None:
    for parent in ("424242", "abc", "99999999999"):
        response = reader.post(form_token(reader.get()), "Orphan reply", parent_id=parent)
        assert response.status_code == 404
        assert "does not exist" in response.get_data(as_text=True)
        assert "Orphan reply" in response.get_data(as_text=True)
    with app.app_context():
        assert stored() == []


def test_the_honeypot_stores_spam_and_says_it_awaits_moderation(app: Flask, reader: Reader) -> None:
    page = reader.get()
    honeypot = next(a for t, a in parse(page).tags if t == "input" and a.get("name") == "hp")
    assert honeypot["value"] == ""
    assert "Leave this field empty" in page.get_data(as_text=True)
    response = reader.post(form_token(page), "Buy things", hp="http://spam.example")
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert parse_qs(location.query) == {"uri": [URI], "held": ["1"]}
    assert location.fragment == "cm-notice"
    with app.app_context():
        (comment,) = stored()
        assert comment.status is CommentStatus.SPAM
    after = reader.get(response.headers["Location"])
    assert "Your comment is awaiting moderation." in parse(after).texts["cm-notice"]
    assert comment_items(parse(after)) == {}
    assert "Buy things" not in after.get_data(as_text=True)


def test_premoderation_shows_the_awaiting_moderation_notice(app: Flask, reader: Reader) -> None:
    with app.app_context():
        sites.update_policy(SITE, {"mode": "pre"})
    response = reader.post(form_token(reader.get()), "Held for review")
    assert response.status_code == 303
    after = reader.get(response.headers["Location"])
    assert after.status_code == 200
    assert parse(after).texts["cm-notice"] == "Your comment is awaiting moderation."
    assert "Held for review" not in after.get_data(as_text=True)
    with app.app_context():
        (comment,) = stored()
        assert comment.status is CommentStatus.PENDING
    assert "cm-notice" not in parse(reader.get()).texts


def test_a_locked_thread_has_no_forms_and_refuses_posts(
    app: Flask, reader: Reader, admin: int
) -> None:
    first = reader.comment("Before the lock")
    token = form_token(reader.get())
    with app.app_context():
        comment = db.session.get(Comment, first)
        assert comment is not None
        moderation.set_locked(as_admin(admin), comment.thread_id, True)

    page = reader.get()
    assert "Comments are closed on this page." in page.get_data(as_text=True)
    assert not [t for t, a in parse(page).tags if t in {"form", "textarea", "details"}]

    response = reader.post(token, "After the lock")
    assert response.status_code == 409
    refused = parse(response)
    assert not [t for t, a in refused.tags if t == "form"]
    assert "This thread is closed" in response.get_data(as_text=True)
    assert refused.texts["cm-unsent"] == "After the lock"
    with app.app_context():
        assert [c.id for c in stored()] == [first]


def test_a_banned_author_gets_a_403_page(app: Flask, reader: Reader, admin: int) -> None:
    first = reader.comment("Something rude")
    with app.app_context():
        moderation.ban_author(as_admin(admin), first, days=None, reason="rude")
    response = reader.post(form_token(reader.get()), "Again")
    assert response.status_code == 403
    assert parse(response).texts["cm-new-body"] == "Again"


# --- Paging --------------------------------------------------------------------------------


class TestPaging:
    """Two top-level comments and two replies a page: the "more" links carry on."""

    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return {**app_config, "PAGE_SIZE": 2, "REPLIES_PER_PAGE": 2}

    def test_more_links_page_through_comments_and_held_back_replies(
        self, app: Flask, reader: Reader
    ) -> None:
        t1 = reader.comment("Top one")
        replies = [reader.comment(f"Reply {n}", parent_id=str(t1)) for n in range(3)]
        t2 = reader.comment("Top two")
        t3 = reader.comment("Top three")

        first = reader.get()
        html = first.get_data(as_text=True)
        assert set(comment_items(parse(first))) == {t1, t2, *replies[:2]}
        more = re.search(r'<a href="([^"]+)" rel="next">More comments</a>', html)
        assert more
        second = reader.get(more.group(1).replace("&amp;", "&"))
        assert set(comment_items(parse(second))) == {t3}
        assert "Back to the first comments" in second.get_data(as_text=True)

        held_back = re.search(r'<a href="([^"]+)">More replies</a>', html)
        assert held_back
        url = held_back.group(1).replace("&amp;", "&")
        assert url.startswith(f"/embed/{SITE}/replies/{t1}?")
        rest = reader.get(url)
        assert rest.status_code == 200
        items = comment_items(parse(rest))
        assert set(items) == {t1, replies[2]}
        assert parent_comment_id(items[replies[2]]) == t1

        # Replying from the replies page lands below the new reply's parent.
        response = reader.post(form_token(rest), "Deep reply", url=url, parent_id=str(replies[2]))
        assert response.status_code == 303
        location = urlsplit(response.headers["Location"])
        assert location.path == f"/embed/{SITE}/replies/{replies[2]}"
        new_id = int(location.fragment.removeprefix("comment-"))
        shown = comment_items(parse(reader.get(response.headers["Location"])))
        assert parent_comment_id(shown[new_id]) == replies[2]

    def test_a_refused_reply_to_a_comment_on_a_later_page_keeps_its_form(
        self, app: Flask, reader: Reader
    ) -> None:
        reader.comment("One")
        reader.comment("Two")
        t3 = reader.comment("Three")
        response = reader.post(
            form_token(reader.get()), "Reply to three", parent_id=str(t3), author_email="nope"
        )
        assert response.status_code == 422
        page = parse(response)
        assert t3 not in comment_items(page)  # page one is shown again
        assert page.texts["cm-stray-body"] == "Reply to three"
        parent = [a for t, a in page.tags if t == "input" and a.get("name") == "parent_id"]
        assert {"name": "parent_id", "type": "hidden", "value": str(t3)} in parent


class TestRateLimit:
    """The forms count against the site's posting limits, per reader, like the API."""

    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return {**app_config, "RATE_LIMITS_ENABLED": True}

    def test_posting_too_often_gets_a_429_page_that_keeps_the_text(
        self, app: Flask, client: FlaskClient, reader: Reader
    ) -> None:
        with app.app_context():
            limits.update_limits(SITE, {"posts_per_minute": 2})
        first = reader.comment("One")
        assert reader.post(form_token(reader.get()), "Two").status_code == 303

        response = reader.post(form_token(reader.get()), "Three is too many")
        assert response.status_code == 429
        assert int(response.headers["Retry-After"]) >= 1
        page = parse(response)
        assert "posting too often" in page.texts["cm-new-problem"]
        assert page.texts["cm-new-body"] == "Three is too many"
        assert sorted(csp_directives(response)["frame-ancestors"]) == sorted([ORIGIN, OTHER_ORIGIN])

        # Replying from the replies page draws on the same budget.
        url = f"/embed/{SITE}/replies/{first}?uri={URI}"
        reply = reader.post(form_token(reader.get(url)), "A reply", url=url, parent_id=str(first))
        assert reply.status_code == 429
        assert parse(reply).texts[f"cm-r{first}-body"] == "A reply"

        # Another reader is not held back.
        assert Reader(client, "192.0.2.1").comment("Someone else")
        with app.app_context():
            assert [c.body for c in stored()] == ["One", "Two", "Someone else"]


# --- Headers, the fragment and the iframe mode ---------------------------------------------


def test_the_page_sets_a_strict_csp_framable_by_the_sites_origins(
    app: Flask, client: FlaskClient, reader: Reader
) -> None:
    response = reader.get()
    csp = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp
    assert "'unsafe-eval'" not in csp
    directives = csp_directives(response)
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    assert sorted(directives["frame-ancestors"]) == sorted([ORIGIN, OTHER_ORIGIN])
    assert "X-Frame-Options" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "private" in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers
    # No inline script or style to need 'unsafe-inline' in the first place.
    page = parse(response)
    assert not [a for t, a in page.tags if t == "script" and not a.get("src")]
    assert not [t for t, a in page.tags if t == "style" or "style" in a]
    assert not [a for t, a in page.tags for name in a if name.startswith("on")]

    make_site(app, "blog")
    lonely = client.get("/embed/blog/thread", query_string={"uri": URI})
    assert csp_directives(lonely)["frame-ancestors"] == ["'none'"]


def test_the_stylesheet_is_served(client: FlaskClient, reader: Reader) -> None:
    sheets = [a["href"] for t, a in parse(reader.get()).tags if t == "link" and "href" in a]
    sheets = [h for h in sheets if h.endswith(".css")]
    assert sheets == ["/static/thread.css"]
    with client.get(sheets[0]) as css:
        assert css.status_code == 200
        assert ".cm-hp" in css.get_data(as_text=True)


def test_frame_mode_reports_only_to_an_allowed_origin(reader: Reader) -> None:
    framed = reader.get(frame="1", origin=ORIGIN)
    page = parse(framed)
    body = next(a for t, a in page.tags if t == "body")
    assert body["data-origin"] == ORIGIN
    assert "cm-framed" in body["class"]
    scripts = [a["src"] for t, a in page.tags if t == "script"]
    assert scripts == ["/static/frame.js"]
    assert not [a for t, a in page.tags if "cm-site" in a.get("class", "").split()]
    # The forms keep the reader in frame mode.
    action = next(a["action"] for t, a in page.tags if t == "form")
    assert parse_qs(urlsplit(action).query) == {"uri": [URI], "frame": ["1"], "origin": [ORIGIN]}

    for origin in (
        "https://evil.example",
        "https://news.example.evil.example",
        "http://news.example",
        "https://news.example:8443",
        "null",
        "",
    ):
        other = parse(reader.get(frame="1", origin=origin))
        body = next(a for t, a in other.tags if t == "body")
        assert "data-origin" not in body, origin
    # Normal mode: a site header, no frame script, no messages.
    plain = parse(reader.get(origin=ORIGIN))
    body = next(a for t, a in plain.tags if t == "body")
    assert "data-origin" not in body
    assert not [t for t, a in plain.tags if t == "script"]
    assert [a for t, a in plain.tags if "cm-site" in a.get("class", "").split()]


def test_the_fragment_is_the_read_only_thread_for_includes(
    app: Flask, client: FlaskClient, reader: Reader
) -> None:
    first = reader.comment("Included comment", author_name="Ina")
    reply = reader.comment("Included reply", parent_id=str(first))
    response = client.get(f"/embed/{SITE}/fragment", query_string={"uri": URI})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "public, max-age=60"
    html = response.get_data(as_text=True)
    page = parse(html)
    tags = {t for t, a in page.tags}
    assert not tags & {"html", "head", "body", "form", "script", "textarea", "input"}
    items = comment_items(page)
    assert set(items) == {first, reply}
    assert parent_comment_id(items[reply]) == first
    assert items[first].props["text"] == ["Included comment"]
    assert f'href="http://localhost{THREAD_URL}?uri={URI}">Join the discussion</a>' in html
    assert "Set-Cookie" not in response.headers

    etag = response.headers["ETag"]
    again = client.get(
        f"/embed/{SITE}/fragment", query_string={"uri": URI}, headers={"If-None-Match": etag}
    )
    assert again.status_code == 304
    reader.comment("A newer comment")
    changed = client.get(
        f"/embed/{SITE}/fragment", query_string={"uri": URI}, headers={"If-None-Match": etag}
    )
    assert changed.status_code == 200
    assert "A newer comment" in changed.get_data(as_text=True)


def test_posting_counts_no_comment_twice(app: Flask, reader: Reader) -> None:
    """Resubmitting the same form (back button, double click) hits the duplicate rule."""
    token = form_token(reader.get())
    assert reader.post(token, "Only once").status_code == 303
    again = reader.post(token, "Only once")
    assert again.status_code == 409
    with app.app_context():
        assert db.session.execute(select(func.count(Comment.id))).scalar_one() == 1
