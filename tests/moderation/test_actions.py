"""Deciding on comments from the queue: single, bulk, by author, bans, locks and edits."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from tests.factories import Api
from tests.moderation.helpers import Mod, log_of, premoderate, status_of


def public_ids(api: Api) -> list[int]:
    """Ids of the comments readers see in the thread, via the public API."""
    response = api.thread()
    if response.status_code == 404:
        return []
    return [c["id"] for c in response.get_json()["comments"] if not c["deleted"]]


def decide(mod: Mod, comment_id: int, action: str, **extra: str) -> str:
    """Press one of the item's buttons on the queue and return the page it lands on."""
    data = {"action": action, "next": "/mod/queue/all", **extra}
    return mod.flashes(mod.post(f"/mod/comments/{comment_id}/decide", data))


def test_approve_hide_restore_spam_and_delete_change_the_comment_and_log_it(
    app: Flask, api: Api, admin: Mod
) -> None:
    premoderate(app)
    comment_id = api.comment("Is this fine?")["comment"]["id"]
    assert public_ids(api) == []

    assert "Approved 1 comment." in decide(admin, comment_id, "approve")
    assert status_of(app, comment_id) == "approved"
    assert public_ids(api) == [comment_id]

    assert "Hid 1 comment." in decide(admin, comment_id, "hide", reason="rude")
    assert status_of(app, comment_id) == "hidden"
    assert public_ids(api) == []

    assert "Restored 1 comment." in decide(admin, comment_id, "restore")
    assert public_ids(api) == [comment_id]

    assert "Marked 1 comment as spam." in decide(admin, comment_id, "spam")
    assert status_of(app, comment_id) == "spam"

    page = decide(admin, comment_id, "delete")
    assert "Nothing deleted" in page
    assert status_of(app, comment_id) == "spam"
    assert "Deleted 1 comment for good." in decide(admin, comment_id, "delete", confirm="yes")
    assert status_of(app, comment_id) is None

    assert log_of(app)[-5:] == [
        ("approve", "pending", "approved"),
        ("hide", "approved", "hidden"),
        ("restore", "hidden", "approved"),
        ("spam", "approved", "spam"),
        ("delete", "spam", "deleted"),
    ]


def test_actions_return_to_the_same_filtered_page(api: Api, admin: Mod) -> None:
    comment_id = api.comment("Going back")["comment"]["id"]
    back = "/mod/queue/approved?text=going&page=2"
    response = admin.post(f"/mod/comments/{comment_id}/decide", {"action": "hide", "next": back})
    assert response.status_code == 303
    assert response.headers["Location"] == back
    for evil in ("https://evil.example/mod/", "//evil.example/mod", "/mod\\@evil", "/modx"):
        response = admin.post(
            f"/mod/comments/{comment_id}/decide", {"action": "spam", "next": evil}
        )
        assert response.headers["Location"] == "/mod/queue/pending"


def test_deleting_from_the_comments_own_page_lands_on_the_queue(
    app: Flask, api: Api, admin: Mod
) -> None:
    comment_id = api.comment("Short-lived")["comment"]["id"]
    own = f"/mod/comments/{comment_id}"
    response = admin.post(
        f"/mod/comments/{comment_id}/decide",
        {"action": "delete", "confirm": "yes", "next": own},
        page=own,
    )
    assert response.headers["Location"] == "/mod/queue/all"
    assert admin.get(own).status_code == 404


def test_a_refused_decision_is_an_html_page_with_its_status(
    app: Flask, api: Api, admin: Mod
) -> None:
    comment_id = api.comment("Already fine")["comment"]["id"]
    response = admin.post(
        f"/mod/comments/{comment_id}/decide", {"action": "restore", "next": "/mod/queue/all"}
    )
    assert response.status_code == 409
    assert response.mimetype == "text/html"
    assert "Only hidden, spam or pending comments can be restored." in response.get_data(
        as_text=True
    )
    bad = admin.post(f"/mod/comments/{comment_id}/decide", {"action": "explode"})
    assert bad.status_code == 400
    assert admin.post("/mod/comments/999999/decide", {"action": "hide"}).status_code == 404
    assert status_of(app, comment_id) == "approved"


def test_bulk_acts_on_the_ticked_comments(app: Flask, api: Api, admin: Mod) -> None:
    ids = [api.comment(f"Bulk {n}")["comment"]["id"] for n in range(3)]
    page = admin.text("/mod/queue/approved")
    assert 'id="select-all"' in page and 'form="bulk-form"' in page
    response = admin.post(
        "/mod/queue/approved/bulk?text=bulk",
        {"ids": [str(ids[0]), str(ids[2])], "action": "hide", "scope": "selected"},
    )
    assert response.headers["Location"] == "/mod/queue/approved?text=bulk"
    assert "Hid 2 comments." in admin.flashes(response)
    assert [status_of(app, i) for i in ids] == ["hidden", "approved", "hidden"]
    assert (
        admin.post("/mod/queue/hidden/bulk", {"ids": [str(ids[0])], "action": "delete"}).status_code
        == 303
    )
    assert status_of(app, ids[0]) == "hidden"  # no confirmation, no deletion
    nothing = admin.post("/mod/queue/hidden/bulk", {"action": "spam"})
    assert "no comments were selected" in admin.flashes(nothing)


def test_bulk_can_take_everything_matching_the_filter(
    app: Flask, client: FlaskClient, api: Api, admin: Mod
) -> None:
    spammy = [api.comment(f"cheap pills {n}")["comment"]["id"] for n in range(3)]
    fine = Api(client, "198.51.100.50").comment("A thoughtful remark")["comment"]["id"]
    response = admin.post(
        "/mod/queue/approved/bulk?text=pills", {"scope": "matching", "action": "spam"}
    )
    assert "Marked 3 comments as spam." in admin.flashes(response)
    assert [status_of(app, i) for i in spammy] == ["spam"] * 3
    assert status_of(app, fine) == "approved"


def test_a_banned_author_cannot_post_until_the_ban_is_lifted(
    app: Flask, client: FlaskClient, api: Api, admin: Mod
) -> None:
    first = api.comment("First", author_email="troll@example.org")["comment"]["id"]
    second = api.comment("Second", author_email="troll@example.org")["comment"]["id"]
    bystander = Api(client, "198.51.100.60").comment("Bystander")["comment"]["id"]
    response = admin.post(
        f"/mod/comments/{first}/ban",
        {"days": "7", "reason": "trolling", "apply": "hide", "next": "/mod/queue/all"},
    )
    assert "Banned the author for 7 days and hid their comments." in admin.flashes(response)
    assert [status_of(app, i) for i in (first, second, bystander)] == [
        "hidden",
        "hidden",
        "approved",
    ]
    refused = api.post("Third", author_email="troll@example.org")
    assert refused.status_code == 403
    assert Api(client, "198.51.100.60").post("Still welcome").status_code == 201

    bans = admin.text("/mod/bans")
    assert "troll@example.org" in bans and "trolling" in bans
    ban_id = re.search(r"/mod/bans/(\d+)/lift", bans).group(1)  # type: ignore[union-attr]
    lifted = admin.post(f"/mod/bans/{ban_id}/lift", page="/mod/bans")
    assert f"Lifted ban #{ban_id}." in admin.flashes(lifted)
    assert api.post("Third", author_email="troll@example.org").status_code == 201


def test_a_ban_needs_a_length(app: Flask, api: Api, admin: Mod) -> None:
    comment_id = api.comment("Hm")["comment"]["id"]
    response = admin.post(f"/mod/comments/{comment_id}/ban", {"days": "", "next": "/mod/bans"})
    assert "Nobody banned" in admin.flashes(response)
    forever = admin.post(f"/mod/comments/{comment_id}/ban", {"forever": "yes"})
    assert "Banned the author for good." in admin.flashes(forever)
    assert api.post("Again").status_code == 403


def test_locking_a_thread_stops_new_comments(app: Flask, api: Api, admin: Mod) -> None:
    comment = api.comment("Before the lock")["comment"]
    thread_id = None
    page = admin.text("/mod/queue/all")
    thread_id = re.search(r"/mod/threads/(\d+)/lock", page).group(1)  # type: ignore[union-attr]
    locked = admin.post(f"/mod/threads/{thread_id}/lock", {"locked": "1"})
    assert "Locked the thread" in admin.flashes(locked)
    assert api.post("After the lock").status_code == 409
    assert "Unlock the thread" in admin.text(f"/mod/comments/{comment['id']}")
    admin.post(f"/mod/threads/{thread_id}/lock", {"locked": "0"})
    assert api.post("After the unlock").status_code == 201
    assert [a for a, _, _ in log_of(app)] == ["lock", "unlock"]


def test_everything_by_one_author_at_once(
    app: Flask, client: FlaskClient, api: Api, admin: Mod
) -> None:
    mine = [api.comment(f"Mine {n}")["comment"]["id"] for n in range(3)]
    theirs = Api(client, "198.51.100.70").comment("Theirs")["comment"]["id"]
    response = admin.post(
        f"/mod/comments/{mine[0]}/author", {"action": "hide", "next": "/mod/queue/all"}
    )
    assert "Hid 3 comments by this author." in admin.flashes(response)
    assert [status_of(app, i) for i in mine] == ["hidden"] * 3
    assert status_of(app, theirs) == "approved"
    undeleted = admin.post(f"/mod/comments/{mine[0]}/author", {"action": "delete"})
    assert "Nothing deleted" in admin.flashes(undeleted)
    assert status_of(app, mine[1]) == "hidden"


def test_editing_the_text_keeps_the_old_one_in_the_log(app: Flask, api: Api, admin: Mod) -> None:
    comment_id = api.comment("Original *words*")["comment"]["id"]
    page = admin.text(f"/mod/comments/{comment_id}")
    assert "Original *words*</textarea>" in page
    response = admin.post(
        f"/mod/comments/{comment_id}/edit",
        {"body": "Edited **words**"},
        page=f"/mod/comments/{comment_id}",
    )
    assert response.headers["Location"] == f"/mod/comments/{comment_id}"
    after = admin.flashes(response)
    assert f"Saved the new text of comment #{comment_id}." in after
    assert "Original *words*" in after  # the earlier text, in the comment's log
    thread = api.thread().get_json()["comments"]
    assert thread[0]["html"] == "<p>Edited <strong>words</strong></p>\n"
    assert log_of(app, comment_id) == [("edit", "approved", "approved")]

    too_long = admin.post(
        f"/mod/comments/{comment_id}/edit",
        {"body": "x" * 10_001},
        page=f"/mod/comments/{comment_id}",
    )
    assert too_long.status_code == 422
    assert 'aria-invalid="true"' in too_long.get_data(as_text=True)
    assert api.thread().get_json()["comments"][0]["html"] == thread[0]["html"]


def test_a_moderator_never_sees_or_touches_another_sites_comments(
    app: Flask, client: FlaskClient, api: Api, mod: Mod, other: str
) -> None:
    ours = api.comment("On news")["comment"]["id"]
    theirs = api.comment("On other", site="other")["comment"]["id"]
    everything = mod.text("/mod/queue/all")
    assert f'id="item-{ours}"' in everything
    assert f'id="item-{theirs}"' not in everything and "On other" not in everything
    assert re.search(r"All <span class=\"mod-count\">1<", everything)
    assert f'id="item-{theirs}"' not in mod.text("/mod/queue/all?site=other")
    assert f'id="item-{theirs}"' not in mod.text(f"/mod/queue/all?author_of={theirs}")

    assert mod.get(f"/mod/comments/{theirs}").status_code == 404
    for url, data in [
        (f"/mod/comments/{theirs}/decide", {"action": "hide"}),
        (f"/mod/comments/{theirs}/decide", {"action": "delete", "confirm": "yes"}),
        (f"/mod/comments/{theirs}/edit", {"body": "pwned"}),
        (f"/mod/comments/{theirs}/ban", {"forever": "yes"}),
        (f"/mod/comments/{theirs}/author", {"action": "spam"}),
    ]:
        response = mod.post(url, data)
        assert response.status_code == 404, url
        assert "There is no such comment." in response.get_data(as_text=True)
    skipped = mod.post("/mod/queue/all/bulk", {"ids": [str(theirs)], "action": "hide"})
    assert "Hid 0 comments. 1 skipped" in mod.flashes(skipped)
    assert status_of(app, theirs) == "approved"
    assert log_of(app, theirs) == []
    assert api.post("Still open", site="other").status_code == 201


def test_another_sites_threads_and_log_entries_are_not_found(
    app: Flask, client: FlaskClient, api: Api, admin: Mod, mod: Mod, other: str
) -> None:
    theirs = api.comment("On other", site="other")["comment"]["id"]
    admin.post(f"/mod/comments/{theirs}/decide", {"action": "hide", "next": "/mod/queue/all"})
    entry = re.search(r"/mod/audit/(\d+)/undo", admin.text("/mod/audit")).group(1)  # type: ignore[union-attr]
    thread = re.search(r"/mod/threads/(\d+)/lock", admin.text("/mod/queue/all")).group(1)  # type: ignore[union-attr]
    assert mod.post(f"/mod/audit/{entry}/undo", page="/mod/audit").status_code == 404
    assert mod.post(f"/mod/threads/{thread}/lock", {"locked": "1"}).status_code == 404
    assert "undo" not in [a for a, _, _ in log_of(app)]
    assert "#" + str(theirs) not in mod.text("/mod/audit")
    assert status_of(app, theirs) == "hidden"
