"""The audit log page: filters, undo, and the CSV export."""

from __future__ import annotations

import csv
import io
import re

from flask import Flask
from flask.testing import FlaskClient

from tests.factories import Api
from tests.moderation.helpers import Mod, log_of, status_of


def undo_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'action="/mod/audit/(\d+)/undo"', page)]


def test_undo_from_the_log_restores_the_status_and_is_logged(
    app: Flask, api: Api, admin: Mod
) -> None:
    comment_id = api.comment("Hide me, then think again")["comment"]["id"]
    admin.post(
        f"/mod/comments/{comment_id}/decide",
        {"action": "hide", "reason": "too rude", "next": "/mod/audit"},
    )
    page = admin.text("/mod/audit")
    assert admin.email in page and "too rude" in page and "approved → hidden" in page
    (entry,) = undo_ids(page)
    response = admin.post(f"/mod/audit/{entry}/undo", {"next": "/mod/audit"}, page="/mod/audit")
    after = admin.flashes(response)
    assert f"Undid log entry #{entry} (Hidden)" in after
    assert f"undone by #{entry + 1}" in after
    assert undo_ids(after) == []  # an undone entry offers no second undo
    assert status_of(app, comment_id) == "approved"
    assert log_of(app, comment_id)[-1] == ("undo", "hidden", "approved")
    again = admin.post(f"/mod/audit/{entry}/undo", page="/mod/audit")
    assert again.status_code == 409
    assert "already been undone" in again.get_data(as_text=True)


def test_undoing_an_edit_brings_back_the_old_text(app: Flask, api: Api, admin: Mod) -> None:
    comment_id = api.comment("First draft")["comment"]["id"]
    admin.post(f"/mod/comments/{comment_id}/edit", {"body": "Second draft"})
    page = admin.text(f"/mod/audit?action=edit&comment={comment_id}")
    assert "First draft" in page  # the previous text is shown
    (entry,) = undo_ids(page)
    admin.post(f"/mod/audit/{entry}/undo", page="/mod/audit")
    assert api.thread().get_json()["comments"][0]["html"] == "<p>First draft</p>\n"


def test_the_log_filters_by_action_moderator_comment_and_date(
    app: Flask, client: FlaskClient, api: Api, admin: Mod
) -> None:
    first = api.comment("One")["comment"]["id"]
    second = Api(client, "198.51.100.80").comment("Two")["comment"]["id"]
    admin.post(f"/mod/comments/{first}/decide", {"action": "hide"})
    admin.post(f"/mod/comments/{second}/decide", {"action": "spam"})
    assert len(undo_ids(admin.text("/mod/audit?action=spam"))) == 1
    assert len(undo_ids(admin.text(f"/mod/audit?comment={first}"))) == 1
    everyone = admin.text("/mod/audit")
    moderator_id = re.search(r'<option value="(\d+)"\s*>admin@example.org', everyone)
    assert moderator_id, "the moderator filter offers the admin"
    assert len(undo_ids(admin.text(f"/mod/audit?moderator={moderator_id.group(1)}"))) == 2
    assert undo_ids(admin.text("/mod/audit?since=2999-01-01")) == []
    assert len(undo_ids(admin.text("/mod/audit?until=2999-01-01"))) == 2
    assert "Comment id must be a whole number" in admin.text("/mod/audit?comment=abc")


def test_the_csv_export_is_a_download_of_the_filtered_log(api: Api, admin: Mod) -> None:
    comment_id = api.comment("Exported")["comment"]["id"]
    admin.post(f"/mod/comments/{comment_id}/decide", {"action": "hide", "reason": "=HYPERLINK(1)"})
    assert "/mod/audit.csv?action=hide" in admin.text("/mod/audit?action=hide")
    response = admin.get("/mod/audit.csv?action=hide")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 1
    assert rows[0]["action"] == "hide"
    assert rows[0]["comment_id"] == str(comment_id)
    assert rows[0]["moderator"] == admin.email
    assert rows[0]["reason"] == "'=HYPERLINK(1)"  # neutralised for spreadsheets
    assert admin.get("/mod/audit.csv?action=spam").get_data(as_text=True).count("\n") == 1
