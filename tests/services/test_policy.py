"""The site policy: every rule and the words it gives, as a pure decision and over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from comments.extensions import db
from comments.models import Ban, Comment, CommentStatus, Thread
from comments.services import moderation
from comments.services.moderation import Action
from comments.services.policy import (
    AuthorRecord,
    BanAction,
    Decision,
    Mode,
    Policy,
    Reason,
    Submission,
    Verdict,
    WordAction,
    count_links,
    evaluate,
    find_words,
    fold,
)
from comments.services.queues import Filters, Queue, page
from tests.factories import DEFAULT_URI, Api, make_site
from tests.services.moderation_support import (
    acting,
    add_moderator,
    bans,
    comment_count,
    log_for,
    moderate,
    reasons_of,
    set_policy,
    status_of,
    thread_created,
)

PREMODERATION = "every comment on this site is held for review"


def decide(policy: Policy, body: str = "Hello", **kwargs: Any) -> Decision:
    author_fields = {"approved_count", "banned_until", "banned", "duplicate_recent"}
    author = AuthorRecord(**{k: v for k, v in kwargs.items() if k in author_fields})
    submission = Submission(body, **{k: v for k, v in kwargs.items() if k not in author_fields})
    return evaluate(policy, submission, author)


def only_reason(decision: Decision) -> tuple[str, str]:
    assert len(decision.reasons) == 1, decision.reasons
    reason = decision.reasons[0]
    return reason.code, reason.text


# --- evaluate(): the pure decision -----------------------------------------------------------


def test_default_policy_publishes_without_reasons() -> None:
    assert decide(Policy()) == Decision(Verdict.PUBLISH)


def test_pre_mode_holds_everything() -> None:
    decision = decide(Policy(mode=Mode.PRE), approved_count=50)
    assert decision.verdict is Verdict.HOLD
    assert only_reason(decision) == ("premoderation", PREMODERATION)


def test_first_mode_holds_a_new_author() -> None:
    decision = decide(Policy(mode=Mode.FIRST), approved_count=0)
    assert decision.verdict is Verdict.HOLD
    assert only_reason(decision) == ("first_comment", "first comment from this author")


def test_first_mode_publishes_once_the_author_reaches_the_threshold() -> None:
    assert decide(Policy(mode=Mode.FIRST), approved_count=1).verdict is Verdict.PUBLISH
    policy = Policy(mode=Mode.FIRST, first_threshold=2)
    assert decide(policy, approved_count=2).verdict is Verdict.PUBLISH


def test_first_mode_says_how_far_the_author_is_from_the_threshold() -> None:
    decision = decide(Policy(mode=Mode.FIRST, first_threshold=2), approved_count=1)
    assert decision.verdict is Verdict.HOLD
    assert only_reason(decision) == ("new_author", "author has 1 approved comments (needs 2)")


def test_post_mode_ignores_the_authors_history() -> None:
    assert decide(Policy(mode=Mode.POST), approved_count=0).verdict is Verdict.PUBLISH


def test_more_links_than_the_limit_holds() -> None:
    body = "see https://a.example, www.b.example and [c](https://c.example/page)"
    decision = decide(Policy(max_links=2), body)
    assert decision.verdict is Verdict.HOLD
    assert only_reason(decision) == ("too_many_links", "3 links (limit 2)")
    assert decide(Policy(max_links=3), body).verdict is Verdict.PUBLISH


@pytest.mark.parametrize(
    ("body", "links"),
    [
        ("no links at all, just www and http words", 0),
        ("https://a.example", 1),
        # One address, however it is written, is one link.
        ("https://www.example.org/news", 1),
        ("[the story](https://example.org/story)", 1),
        ('<a href="https://example.org">the story</a>', 1),
        ("<https://example.org>", 1),
        ("http://a.example www.b.example https://c.example/x?y=1", 3),
        ("[a](https://a.example) and [b](https://www.b.example)", 2),
    ],
)
def test_links_are_counted_once_each(body: str, links: int) -> None:
    assert count_links(body) == links


def test_banned_word_is_refused_by_default() -> None:
    decision = decide(Policy(banned_words=("xyz",)), "this is xyz here")
    assert decision.verdict is Verdict.REFUSE
    assert only_reason(decision) == ("banned_word", "banned word 'xyz'")


def test_banned_word_can_hold_instead() -> None:
    policy = Policy(banned_words=("xyz",), banned_word_action=WordAction.HOLD)
    decision = decide(policy, "this is xyz here")
    assert decision.verdict is Verdict.HOLD
    assert only_reason(decision) == ("banned_word", "banned word 'xyz'")


@pytest.mark.parametrize("body", ["creme", "CREME", "Crème brûlée", "la crème.", "(CRÈME)"])
def test_banned_words_match_whatever_the_case_and_accents(body: str) -> None:
    assert find_words(body, ["Crème"]) == ["Crème"]
    assert find_words(body, ["creme"]) == ["creme"]


@pytest.mark.parametrize("body", ["cremes", "écremer", "supercreme", "crem"])
def test_banned_words_match_whole_words_only(body: str) -> None:
    assert find_words(body, ["Crème"]) == []
    assert decide(Policy(banned_words=("Crème",)), body).verdict is Verdict.PUBLISH


def test_fold_drops_case_and_accents() -> None:
    assert fold("Crème BRÛLÉE") == "creme brulee"


def test_every_banned_word_found_is_named() -> None:
    policy = Policy(banned_words=("xyz", "abc", "unused"), banned_word_action=WordAction.HOLD)
    assert only_reason(decide(policy, "ABC and xyz")) == ("banned_word", "banned word 'xyz', 'abc'")


def test_suspect_word_publishes_but_flags() -> None:
    decision = decide(Policy(suspect_words=("xyz",)), "a XYZ here")
    assert decision.verdict is Verdict.PUBLISH
    assert decision.flagged is True
    assert only_reason(decision) == ("suspect_word", "suspect word 'xyz'")


def test_suspect_word_is_added_to_the_reasons_of_a_hold() -> None:
    decision = decide(Policy(mode=Mode.PRE, suspect_words=("xyz",)), "xyz")
    assert decision.verdict is Verdict.HOLD
    assert decision.reasons == (
        Reason("premoderation", PREMODERATION),
        Reason("suspect_word", "suspect word 'xyz'"),
    )


def test_holds_list_every_reason() -> None:
    policy = Policy(
        mode=Mode.PRE, max_links=0, banned_words=("xyz",), banned_word_action=WordAction.HOLD
    )
    decision = decide(policy, "xyz https://a.example")
    assert [r.code for r in decision.reasons] == ["banned_word", "too_many_links", "premoderation"]
    assert decision.summary == (
        "banned word 'xyz'; 1 links (limit 0); every comment on this site is held for review"
    )


def test_filled_honeypot_is_spam() -> None:
    decision = decide(Policy(), honeypot_filled=True)
    assert decision.verdict is Verdict.SPAM
    assert only_reason(decision) == ("honeypot", "hidden form field filled in")


def test_honeypot_rule_can_be_switched_off() -> None:
    assert decide(Policy(honeypot=False), honeypot_filled=True).verdict is Verdict.PUBLISH


def test_sending_too_fast_is_spam() -> None:
    decision = decide(Policy(), seconds_on_page=1.0)
    assert decision.verdict is Verdict.SPAM
    assert only_reason(decision) == (
        "too_fast",
        "sent 1.0 s after the form loaded (minimum 3 s)",
    )


def test_time_on_page_at_the_minimum_is_fine() -> None:
    assert decide(Policy(), seconds_on_page=3.0).verdict is Verdict.PUBLISH


def test_time_on_page_rule_needs_the_signal() -> None:
    assert decide(Policy(min_seconds=3), seconds_on_page=None).verdict is Verdict.PUBLISH


def test_time_on_page_rule_off_at_zero() -> None:
    assert decide(Policy(min_seconds=0), seconds_on_page=0.0).verdict is Verdict.PUBLISH


def test_duplicate_is_refused() -> None:
    decision = decide(Policy(duplicate_window_minutes=15), duplicate_recent=True)
    assert decision.verdict is Verdict.REFUSE
    assert only_reason(decision) == (
        "duplicate",
        "the same text from this author within 15 minutes",
    )


def test_banned_author_is_refused_and_told_for_how_long() -> None:
    assert only_reason(decide(Policy(), banned=True)) == ("author_banned", "author banned for good")
    until = datetime(2031, 2, 3, 4, 5, tzinfo=UTC)
    decision = decide(Policy(), banned=True, banned_until=until)
    assert decision.verdict is Verdict.REFUSE
    assert only_reason(decision) == ("author_banned", "author banned until 2031-02-03 04:05 UTC")


def test_banned_author_can_be_sent_to_spam_instead() -> None:
    decision = decide(Policy(ban_action=BanAction.SPAM), banned=True)
    assert decision.verdict is Verdict.SPAM
    assert only_reason(decision) == ("author_banned", "author banned for good")


def test_a_ban_outranks_every_other_rule() -> None:
    policy = Policy(mode=Mode.PRE, banned_words=("xyz",))
    decision = decide(policy, "xyz", banned=True, honeypot_filled=True, duplicate_recent=True)
    assert only_reason(decision)[0] == "author_banned"


# --- Over HTTP -------------------------------------------------------------------------------


@pytest.fixture
def api(app: Flask, client: FlaskClient) -> Api:
    make_site(app)
    add_moderator(app)
    return Api(client)


def thread_ids(api: Api, uri: str = DEFAULT_URI) -> list[int]:
    """Ids of every comment a reader sees in the thread, replies included."""
    data = api.thread(uri).get_json()
    ids: list[int] = []
    stack = list(data["comments"])
    while stack:
        item = stack.pop()
        ids.append(item["id"])
        stack.extend(item["replies"])
    return sorted(ids)


def count_of(api: Api, uri: str = DEFAULT_URI) -> int:
    response = api.client.get("/api/v1/counts", query_string={"site": "news", "uri": uri})
    count: int = response.get_json()["counts"][uri]
    return count


def comments_stored(app: Flask) -> int:
    with app.app_context():
        return int(db.session.execute(select(func.count(Comment.id))).scalar_one())


def assert_pending(response: Any, reason: str) -> int:
    assert response.status_code == 202, response.get_json()
    data = response.get_json()
    assert data["status"] == "pending"
    assert data["reason"] == reason
    assert data["comment"]["status"] == "pending"
    assert len(data["edit_token"]) >= 32
    comment_id: int = data["comment"]["id"]
    return comment_id


def assert_published(response: Any) -> int:
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["status"] == "approved" and data["reason"] is None
    comment_id: int = data["comment"]["id"]
    return comment_id


def assert_auto_logged(app: Flask, comment_id: int, action: str, reason: str) -> None:
    entries = log_for(app, comment_id)
    assert [(e.action, e.moderator_id, e.reason) for e in entries] == [(action, None, reason)]


def test_post_mode_publishes(app: Flask, api: Api) -> None:
    set_policy(app, {"mode": "post"})
    cid = assert_published(api.post("Hello", author_email="ada@example.org"))
    assert status_of(app, cid) is CommentStatus.APPROVED
    assert thread_ids(api) == [cid]
    assert log_for(app, cid) == []


def test_pre_mode_holds_every_comment(app: Flask, api: Api) -> None:
    set_policy(app, {"mode": "pre"})
    first = assert_pending(api.post("one"), "premoderation")
    moderate(app, first, Action.APPROVE)
    # Approved history does not matter in pre-moderation.
    second = assert_pending(api.post("two"), "premoderation")
    assert reasons_of(app, second) == [{"code": "premoderation", "text": PREMODERATION}]
    assert status_of(app, second) is CommentStatus.PENDING
    assert_auto_logged(app, second, "auto_hold", PREMODERATION)
    assert thread_ids(api) == [first]


def test_first_mode_holds_until_the_first_comment_is_approved(app: Flask, api: Api) -> None:
    set_policy(app, {"mode": "first"})
    ada = {"author_email": "ada@example.org"}
    first = assert_pending(api.post("one", **ada), "first_comment")
    assert reasons_of(app, first) == [
        {"code": "first_comment", "text": "first comment from this author"}
    ]
    # Still no approved comment: the second waits too.
    assert_pending(api.post("two", **ada), "first_comment")
    moderate(app, first, Action.APPROVE)
    assert_published(api.post("three", **ada))
    # The address is part of who the author is, whatever the case of the e-mail.
    assert_published(api.post("four", author_email="ADA@example.org"))


def test_first_mode_same_email_from_another_address_is_a_new_author(app: Flask, api: Api) -> None:
    set_policy(app, {"mode": "first"})
    first = assert_pending(api.post("one", author_email="ada@example.org"), "first_comment")
    moderate(app, first, Action.APPROVE)
    elsewhere = Api(api.client, "198.51.100.7")
    assert_pending(elsewhere.post("two", author_email="ada@example.org"), "first_comment")


def test_first_mode_same_address_with_another_email_is_a_new_author(app: Flask, api: Api) -> None:
    set_policy(app, {"mode": "first"})
    first = assert_pending(api.post("one", author_email="ada@example.org"), "first_comment")
    moderate(app, first, Action.APPROVE)
    assert_pending(api.post("two", author_email="bob@example.org"), "first_comment")
    assert_pending(api.post("three"), "first_comment")
    assert_published(api.post("four", author_email="ada@example.org"))


def test_first_mode_counts_approved_comments_on_this_site_only(app: Flask, api: Api) -> None:
    make_site(app, "blog")
    set_policy(app, {"mode": "first"}, slug="blog")
    set_policy(app, {"mode": "post"})
    assert_published(api.post("on news", author_email="ada@example.org"))
    assert_pending(
        api.post("on blog", site="blog", author_email="ada@example.org"), "first_comment"
    )


def test_first_mode_threshold_two_says_how_many_so_far(app: Flask, api: Api) -> None:
    set_policy(app, {"mode": "first", "first_threshold": 2})
    ada = {"author_email": "ada@example.org"}
    first = assert_pending(api.post("one", **ada), "first_comment")
    moderate(app, first, Action.APPROVE)
    second = assert_pending(api.post("two", **ada), "new_author")
    text = "author has 1 approved comments (needs 2)"
    assert reasons_of(app, second) == [{"code": "new_author", "text": text}]
    assert_auto_logged(app, second, "auto_hold", text)
    moderate(app, second, Action.APPROVE)
    assert_published(api.post("three", **ada))


def test_too_many_links_are_held(app: Flask, api: Api) -> None:
    set_policy(app, {"max_links": 2})
    assert_published(api.post("https://a.example and https://www.b.example/page"))
    cid = assert_pending(
        api.post("https://a.example https://b.example https://c.example"), "too_many_links"
    )
    assert reasons_of(app, cid) == [{"code": "too_many_links", "text": "3 links (limit 2)"}]
    assert_auto_logged(app, cid, "auto_hold", "3 links (limit 2)")


@pytest.mark.parametrize("body", ["I like creme", "CREME!", "Crème brûlée", "la crème."])
def test_banned_word_refused_with_422_and_nothing_stored(app: Flask, api: Api, body: str) -> None:
    set_policy(app, {"banned_words": ["Crème"], "banned_word_action": "refuse"})
    response = api.post(body, uri="/brand-new-page")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["fields"] == {"body": "banned_word"}
    assert "banned word 'Crème'" in error["message"]
    assert comments_stored(app) == 0
    with app.app_context():
        # The refused post does not even leave its new thread behind.
        assert db.session.execute(select(func.count(Thread.id))).scalar_one() == 0


def test_banned_word_inside_another_word_is_fine(app: Flask, api: Api) -> None:
    set_policy(app, {"banned_words": ["Crème"]})
    assert_published(api.post("two cremes please"))


def test_banned_word_held_when_the_site_says_hold(app: Flask, api: Api) -> None:
    set_policy(app, {"banned_words": ["xyz"], "banned_word_action": "hold"})
    cid = assert_pending(api.post("this is XYZ talk"), "banned_word")
    assert reasons_of(app, cid) == [{"code": "banned_word", "text": "banned word 'xyz'"}]
    assert_auto_logged(app, cid, "auto_hold", "banned word 'xyz'")
    assert thread_ids(api) == []


def test_suspect_word_publishes_into_the_reported_queue(app: Flask, api: Api) -> None:
    set_policy(app, {"suspect_words": ["xyz"]})
    plain = assert_published(api.post("nothing to see"))
    cid = assert_published(api.post("is this Xyz?"))
    assert thread_ids(api) == [plain, cid]
    with acting(app) as mod:
        reported = page(mod, Queue.REPORTED, Filters())
        assert [item.comment.id for item in reported.items] == [cid]
        assert reported.items[0].why == ["suspect word 'xyz'"]
    assert_auto_logged(app, cid, "auto_publish", "suspect word 'xyz'")
    # Approving it dismisses the flag.
    moderate(app, cid, Action.APPROVE)
    with acting(app) as mod:
        assert page(mod, Queue.REPORTED, Filters()).total == 0


def test_filled_honeypot_is_stored_as_spam_but_looks_pending(app: Flask, api: Api) -> None:
    response = api.post("buy now", hp="http://spam.example", author_name="Bot")
    cid = assert_pending(response, "held_for_review")
    assert "honeypot" not in response.get_data(as_text=True)
    assert status_of(app, cid) is CommentStatus.SPAM
    assert reasons_of(app, cid) == [{"code": "honeypot", "text": "hidden form field filled in"}]
    assert_auto_logged(app, cid, "auto_spam", "hidden form field filled in")
    assert thread_ids(api) == []
    assert count_of(api) == 0
    assert api.get(f"/api/v1/comments/{cid}").status_code == 404


def test_spam_looks_exactly_like_a_held_comment_to_its_sender(app: Flask, api: Api) -> None:
    set_policy(app, {"mode": "pre"})
    held = api.post("held words", author_name="Ada").get_json()
    spam = Api(api.client, "198.51.100.3").post("spam words", author_name="Ada", hp="x")
    spam_data = spam.get_json()
    assert spam_data["status"] == held["status"] == "pending"
    assert spam_data["comment"]["author"] is not None
    assert spam_data["comment"]["author"]["name"] == held["comment"]["author"]["name"]
    mine = api.send(
        "GET", f"/api/v1/comments/{spam_data['comment']['id']}", spam_data["edit_token"]
    )
    assert mine.status_code == 200
    assert mine.get_json()["status"] == "pending"


def test_blank_honeypot_is_not_filled(api: Api) -> None:
    assert_published(api.post("Hello", hp="   "))


def test_honeypot_off_publishes(app: Flask, api: Api) -> None:
    set_policy(app, {"honeypot": False})
    assert_published(api.post("Hello", hp="filled"))


def test_sent_too_fast_is_spam(app: Flask, api: Api) -> None:
    cid = assert_pending(api.post("quick", seconds_on_page=1), "held_for_review")
    text = "sent 1.0 s after the form loaded (minimum 3 s)"
    assert status_of(app, cid) is CommentStatus.SPAM
    assert reasons_of(app, cid) == [{"code": "too_fast", "text": text}]
    assert_auto_logged(app, cid, "auto_spam", text)
    assert thread_ids(api) == []


def test_time_on_page_unknown_or_enough_publishes(api: Api) -> None:
    assert_published(api.post("no timing"))
    assert_published(api.post("slow", seconds_on_page=3))
    assert_published(api.post("slower", seconds_on_page=42.5))


def test_reports_at_the_threshold_take_a_comment_down(app: Flask, api: Api) -> None:
    set_policy(app, {"report_threshold": 3})
    cid = assert_published(api.post("controversial"))
    other = assert_published(api.post("calm"))
    assert count_of(api) == 2
    readers = [Api(api.client, f"198.51.100.{n}") for n in (1, 2, 3)]
    assert readers[0].report(cid, "spam").status_code == 202
    assert readers[1].report(cid, "abuse").status_code == 202
    # Below the threshold it stays up.
    assert status_of(app, cid) is CommentStatus.APPROVED
    assert thread_ids(api) == [cid, other]
    assert readers[2].report(cid, "spam").status_code == 202
    text = "reported 3 times: spam 2, abuse 1 (threshold 3)"
    assert status_of(app, cid) is CommentStatus.PENDING
    assert reasons_of(app, cid) == [{"code": "reported", "text": text}]
    assert thread_ids(api) == [other]
    assert count_of(api) == 1
    assert api.thread().get_json()["thread"]["comment_count"] == 1
    assert comment_count(app, DEFAULT_URI) == (1, 1)
    entries = log_for(app, cid)
    assert [(e.action, e.moderator_id, e.status_before, e.status_after, e.reason)
            for e in entries] == [("auto_hold", None, "approved", "pending", text)]  # fmt: skip
    with acting(app) as mod:
        item = page(mod, Queue.PENDING, Filters()).items[0]
        assert item.comment.id == cid
        assert item.why == ["reported 3 times: spam 2, abuse 1"]


def test_report_threshold_is_a_setting(app: Flask, api: Api) -> None:
    set_policy(app, {"report_threshold": 1})
    cid = assert_published(api.post("controversial"))
    assert Api(api.client, "198.51.100.1").report(cid, "off_topic").status_code == 202
    assert reasons_of(app, cid) == [
        {"code": "reported", "text": "reported once: off_topic 1 (threshold 1)"}
    ]


def test_editing_in_a_refused_word_is_refused(app: Flask, api: Api) -> None:
    set_policy(app, {"banned_words": ["xyz"]})
    data = api.comment("harmless")
    cid = data["comment"]["id"]
    response = api.send(
        "PATCH", f"/api/v1/comments/{cid}", data["edit_token"], json={"body": "xyz"}
    )
    assert response.status_code == 422
    assert api.get(f"/api/v1/comments/{cid}").get_json()["html"] == "<p>harmless</p>\n"


def test_same_text_from_the_same_author_is_a_duplicate(app: Flask, api: Api) -> None:
    ada = {"author_email": "ada@example.org"}
    assert_published(api.post("Great story", **ada))
    response = api.post("Great story", **ada)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "duplicate"
    assert comments_stored(app) == 1
    assert_published(api.post("Great story, really", **ada))
    # Someone else may say the same thing.
    assert_published(Api(api.client, "198.51.100.9").post("Great story", author_email="b@x.org"))


def test_duplicate_window_ends(app: Flask, api: Api) -> None:
    set_policy(app, {"duplicate_window_minutes": 10})
    cid = assert_published(api.post("Great story"))
    with app.app_context():
        comment = db.session.get(Comment, cid)
        assert comment is not None
        comment.created_at -= timedelta(minutes=11)
        db.session.commit()
    assert_published(api.post("Great story"))


def test_duplicate_window_zero_disables_the_rule(app: Flask, api: Api) -> None:
    set_policy(app, {"duplicate_window_minutes": 0})
    assert_published(api.post("Great story"))
    assert_published(api.post("Great story"))
    assert comments_stored(app) == 2


def ban(app: Flask, comment_id: int, days: int | None = None) -> int:
    with acting(app) as mod:
        return moderation.ban_author(mod, comment_id, days=days, reason="trolling").id


def test_banned_author_is_refused_with_403(app: Flask, api: Api) -> None:
    cid = assert_published(api.post("first", author_email="troll@example.org"))
    ban(app, cid)
    response = api.post("again", author_email="troll@example.org")
    assert response.status_code == 403
    error = response.get_json()["error"]
    assert error["code"] == "forbidden"
    assert error["message"] == "You cannot comment on this site: author banned for good."
    assert comments_stored(app) == 1


def test_temporary_ban_names_its_end(app: Flask, api: Api) -> None:
    cid = assert_published(api.post("first", author_email="troll@example.org"))
    ban_id = ban(app, cid, days=7)
    expires = next(b.expires_at for b in bans(app) if b.id == ban_id)
    assert expires is not None
    response = api.post("again", author_email="troll@example.org")
    assert response.status_code == 403
    assert (
        f"author banned until {expires:%Y-%m-%d %H:%M} UTC"
        in (response.get_json()["error"]["message"])
    )


def test_ban_action_spam_stores_the_comment_as_spam(app: Flask, api: Api) -> None:
    set_policy(app, {"ban_action": "spam"})
    cid = assert_published(api.post("first", author_email="troll@example.org"))
    ban(app, cid)
    again = assert_pending(api.post("again", author_email="troll@example.org"), "held_for_review")
    assert status_of(app, again) is CommentStatus.SPAM
    assert reasons_of(app, again) == [{"code": "author_banned", "text": "author banned for good"}]
    assert_auto_logged(app, again, "auto_spam", "author banned for good")
    assert thread_ids(api) == [cid]


def test_ban_matches_by_email_from_another_address(app: Flask, api: Api) -> None:
    cid = assert_published(api.post("first", author_email="troll@example.org"))
    ban(app, cid)
    elsewhere = Api(api.client, "198.51.100.50")
    assert elsewhere.post("again", author_email="TROLL@example.org").status_code == 403
    assert_published(elsewhere.post("someone else", author_email="kind@example.org"))


def test_ban_matches_by_address_with_another_email(app: Flask, api: Api) -> None:
    cid = assert_published(api.post("first", author_email="troll@example.org"))
    ban(app, cid)
    assert api.post("again", author_email="new@example.org").status_code == 403
    assert api.post("again, anonymously").status_code == 403


def test_ban_on_one_site_does_not_reach_another(app: Flask, api: Api) -> None:
    make_site(app, "blog")
    cid = assert_published(api.post("first", author_email="troll@example.org"))
    ban(app, cid)
    assert_published(api.post("elsewhere", site="blog", author_email="troll@example.org"))


def test_expired_ban_no_longer_applies(app: Flask, api: Api) -> None:
    cid = assert_published(api.post("first", author_email="troll@example.org"))
    ban_id = ban(app, cid, days=1)
    with app.app_context():
        row = db.session.get(Ban, ban_id)
        assert row is not None
        row.expires_at = datetime.now(UTC) - timedelta(minutes=1)
        db.session.commit()
    assert_published(api.post("back again", author_email="troll@example.org"))


def test_lifted_ban_no_longer_applies(app: Flask, api: Api) -> None:
    cid = assert_published(api.post("first", author_email="troll@example.org"))
    ban_id = ban(app, cid)
    assert api.post("again", author_email="troll@example.org").status_code == 403
    with acting(app) as mod:
        moderation.lift_ban(mod, ban_id)
    assert_published(api.post("again", author_email="troll@example.org"))


def test_old_thread_closes_automatically(app: Flask, api: Api) -> None:
    set_policy(app, {"auto_close_days": 30})
    cid = assert_published(api.post("first"))
    assert api.thread().get_json()["thread"]["locked"] is False
    thread_created(app, DEFAULT_URI, datetime.now(UTC) - timedelta(days=31))
    response = api.post("too late")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "thread_locked"
    reply = api.post("too late", parent_id=cid)
    assert reply.status_code == 409
    assert reply.get_json()["error"]["code"] == "thread_locked"
    assert api.thread().get_json()["thread"]["locked"] is True
    assert comments_stored(app) == 1
    # A new page on the same site is a new thread and open.
    assert_published(api.post("fresh", uri="/new-story"))


def test_thread_younger_than_the_limit_stays_open(app: Flask, api: Api) -> None:
    set_policy(app, {"auto_close_days": 30})
    assert_published(api.post("first"))
    thread_created(app, DEFAULT_URI, datetime.now(UTC) - timedelta(days=29))
    assert_published(api.post("in time"))
    assert api.thread().get_json()["thread"]["locked"] is False


def test_auto_close_zero_means_never(app: Flask, api: Api) -> None:
    set_policy(app, {"auto_close_days": 0})
    assert_published(api.post("first"))
    thread_created(app, DEFAULT_URI, datetime.now(UTC) - timedelta(days=3650))
    assert_published(api.post("years later"))
    assert api.thread().get_json()["thread"]["locked"] is False


def test_a_plain_published_comment_is_not_logged(app: Flask, api: Api) -> None:
    cid = assert_published(api.post("Hello"))
    assert log_for(app, cid) == []


def test_an_edit_that_breaks_a_holding_rule_goes_back_to_pending(app: Flask, api: Api) -> None:
    set_policy(app, {"max_links": 1})
    data = api.comment("no links yet")
    cid = data["comment"]["id"]
    links = "see https://a.example and https://b.example"
    response = api.send(
        "PATCH", f"/api/v1/comments/{cid}", data["edit_token"], json={"body": links}
    )
    assert response.status_code == 200
    assert thread_ids(api) == []
    with app.app_context():
        stored = db.session.get(Comment, cid)
        assert stored is not None and stored.status is CommentStatus.PENDING
        assert {"code": "too_many_links", "text": "after an edit: 2 links (limit 1)"} in (
            stored.moderation_reasons
        )
