"""The public API's routes: parse and check input, call one service, dump the result."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Response, jsonify

from comments import avatars
from comments.api import bp, openapi
from comments.api.parsing import (
    MAX_ID,
    bearer_token,
    checked_id,
    get_choice,
    get_int,
    get_number,
    get_str,
    json_body,
    query_int,
    query_str,
)
from comments.api.serialize import comment_fields, forest, thread_fields
from comments.httputil import client_address, settings
from comments.models import CommentStatus, ReportReason
from comments.services import comments as comment_service
from comments.services import identity, reports, sites, threads, votes
from comments.services.comments import Limits, NewComment
from comments.services.inputs import normalise_uri

ID = "int"


def _limits() -> Limits:
    config = settings()
    return Limits(
        max_body_length=config.MAX_BODY_LENGTH,
        edit_window=timedelta(seconds=config.EDIT_WINDOW_SECONDS),
    )


def _secret() -> str:
    return settings().SECRET_KEY


def _address_hash() -> str:
    config = settings()
    return identity.hash_address(client_address(), config.IP_HASH_SALT or config.SECRET_KEY)


def _reader() -> str:
    return identity.reader_key(_address_hash())


def _json(payload: Any, status: int = 200) -> Response:
    response = jsonify(payload)
    response.status_code = status
    return response


@bp.get("/threads")
def read_thread() -> Response:
    config = settings()
    site = sites.get_site(query_str("site", required=True))
    uri = normalise_uri(query_str("uri", required=True))
    sort_name = query_str("sort", default="oldest")
    if sort_name not in threads.Sort.__members__.values():
        raise_bad_sort(sort_name)
    page = threads.read_thread(
        site,
        uri,
        sort=threads.Sort(sort_name),
        limit=query_int("limit", config.PAGE_SIZE, 1, config.MAX_PAGE_SIZE),
        cursor=query_str("cursor") or None,
        replies_limit=config.REPLIES_PER_PAGE,
    )
    return _json(
        {
            "thread": thread_fields(page.uri, page.thread, page.locked),
            "comments": forest(page.comments, _secret()),
            "next_cursor": page.next_cursor,
        }
    )


def raise_bad_sort(value: str) -> None:
    from comments.errors import BadRequest

    raise BadRequest(
        "sort must be one of oldest, newest, top.", {"sort": "one of oldest, newest, top"}
    )


@bp.post("/comments")
def post_comment() -> Response:
    data = json_body()
    new = NewComment(
        site=get_str(data, "site", required=True),
        uri=get_str(data, "uri", required=True),
        body=get_str(data, "body", required=True),
        parent_id=get_int(data, "parent_id", low=1, high=MAX_ID),
        title=get_str(data, "title"),
        url=get_str(data, "url"),
        author_name=get_str(data, "author_name"),
        author_email=get_str(data, "author_email"),
        author_url=get_str(data, "author_url"),
        honeypot=get_str(data, "hp"),
        seconds_on_page=get_number(data, "seconds_on_page", low=0),
    )
    address_hash = _address_hash()
    comment, token = comment_service.post_comment(
        new,
        author_key=identity.reader_key(address_hash),
        address_hash=address_hash,
        limits=_limits(),
    )
    fields = comment_fields(comment, _secret())
    if comment.status is CommentStatus.APPROVED:
        return _json({**_posted(fields, token), "status": "approved", "reason": None}, 201)
    reason = comment.moderation_reasons[0]["code"] if comment.moderation_reasons else None
    if comment.status is CommentStatus.SPAM:
        # Spam is not announced as such: the sender learns only that it awaits review.
        fields.update(status="pending", deleted=False, html=comment.html)
        reason = "held_for_review"
    return _json({**_posted(fields, token), "status": "pending", "reason": reason}, 202)


def _posted(fields: dict[str, Any], token: str) -> dict[str, Any]:
    return {"comment": fields, "edit_token": token}


@bp.get(f"/comments/<{ID}:comment_id>")
def get_comment(comment_id: int) -> Response:
    comment = comment_service.get_comment(checked_id(comment_id), bearer_token())
    return _json(comment_fields(comment, _secret()))


@bp.get(f"/comments/<{ID}:comment_id>/replies")
def get_replies(comment_id: int) -> Response:
    config = settings()
    comment = comment_service.get_comment(checked_id(comment_id))
    page = threads.read_replies(
        comment,
        query_str("cursor") or None,
        query_int("limit", config.REPLIES_PER_PAGE, 1, config.REPLIES_PER_PAGE),
    )
    return _json({"comments": forest(page.comments, _secret()), "next_cursor": page.next_cursor})


@bp.patch(f"/comments/<{ID}:comment_id>")
def edit_comment(comment_id: int) -> Response:
    data = json_body()
    body = get_str(data, "body", required=True)
    comment = comment_service.edit_comment(checked_id(comment_id), bearer_token(), body, _limits())
    return _json(comment_fields(comment, _secret()))


@bp.delete(f"/comments/<{ID}:comment_id>")
def delete_comment(comment_id: int) -> Response:
    comment_service.delete_comment(checked_id(comment_id), bearer_token(), _limits())
    return Response(status=204)


@bp.post(f"/comments/<{ID}:comment_id>/votes")
def vote(comment_id: int) -> Response:
    data = json_body()
    value = get_int(data, "value", required=True, choices=(1, -1, 0))
    assert value is not None
    comment = votes.vote(checked_id(comment_id), _reader(), value)
    return _json({"likes": comment.likes, "dislikes": comment.dislikes, "score": comment.score})


@bp.post(f"/comments/<{ID}:comment_id>/reports")
def report(comment_id: int) -> Response:
    data = json_body()
    reason = get_choice(data, "reason", tuple(r.value for r in ReportReason))
    reports.report(checked_id(comment_id), _reader(), ReportReason(reason), get_str(data, "note"))
    return _json({"status": "received"}, 202)


@bp.get("/counts")
def counts() -> Response:
    from flask import request

    site = sites.get_site(query_str("site", required=True))
    uris = [normalise_uri(u) for u in request.args.getlist("uri")]
    return _json({"counts": threads.counts(site, uris)})


@bp.post("/preview")
def preview() -> Response:
    data = json_body()
    html = comment_service.preview(get_str(data, "body", required=True), _limits())
    return _json({"html": html})


@bp.get("/avatars/<string(length=20):key>.svg")
def avatar(key: str) -> Response:
    response = Response(avatars.identicon_svg(key), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=604800, immutable"
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@bp.get("/openapi.json")
def openapi_document() -> Response:
    return _json(openapi.document())
