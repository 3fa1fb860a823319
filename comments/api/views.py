"""The public API's routes: parse and check input, call one service, dump the result."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, jsonify, request

from comments import avatars
from comments.api import bp, openapi
from comments.api.parsing import (
    MAX_ID,
    bearer_token,
    checked_id,
    get_bool,
    get_choice,
    get_int,
    get_number,
    get_str,
    json_body,
    query_int,
    query_str,
)
from comments.api.serialize import comment_fields, forest, thread_fields
from comments.errors import DomainError
from comments.extensions import limiter
from comments.httputil import comment_limits, reader_address_hash, settings
from comments.models import Comment, CommentStatus, ReportReason, Site
from comments.services import comments as comment_service
from comments.services import identity, reports, sites, threads, votes
from comments.services.cache import cached
from comments.services.comments import NewComment
from comments.services.inputs import normalise_uri
from comments.services.limits import limits_of

ID = "int"


def _secret() -> str:
    return settings().SECRET_KEY


SSO_HEADER = "X-Comments-SSO"


_LIMITED_SITE = "comments.limited_site"


def _limited_site() -> Site | None:
    """The site a write is for, to pick its rate limits (once per request).

    Kept in the request's environ, not in `g`: `g` lives as long as the app context, which a
    caller may keep across requests.
    """
    if _LIMITED_SITE not in request.environ:
        site = None
        comment_id = (request.view_args or {}).get("comment_id")
        try:
            if isinstance(comment_id, int):
                site = comment_service.site_of(checked_id(comment_id))
            else:
                slug = request.args.get("site") or json_body().get("site")
                site = sites.get_site(slug) if isinstance(slug, str) else None
        except DomainError:
            site = None  # the view itself will report the problem
        request.environ[_LIMITED_SITE] = site
    value: Site | None = request.environ[_LIMITED_SITE]
    return value


def _limit_key() -> str:
    """Limits count per client address per site."""
    site = _limited_site()
    return f"{site.id if site else 0}:{reader_address_hash()}"


def _rate(kind: str) -> Callable[[], str]:
    return lambda: limits_of(_limited_site()).rule(kind)


def _sso_user(site: Site) -> identity.SsoUser | None:
    """The reader the site vouches for, if the widget sent a data-sso token."""
    token = request.headers.get(SSO_HEADER, "").strip()
    if not token:
        return None
    return identity.verify_sso(token, site.sso_secret, time.time())


def _reader(comment_id: int) -> str:
    """Who votes or reports: the signed-in reader's SSO id, else the address hash."""
    user = _sso_user(comment_service.site_of(comment_id))
    return user.key if user else identity.reader_key(reader_address_hash())


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
    sort = threads.Sort(sort_name)
    limit = query_int("limit", config.PAGE_SIZE, 1, config.MAX_PAGE_SIZE)
    cursor = query_str("cursor") or None
    thread = threads.find_thread(site.id, uri)
    # Every visible change bumps the thread's version: it names the cache entry and the ETag.
    version = (
        f"{thread.id}.{thread.version}.{int(threads.is_closed(thread, sites.policy_of(site)))}"
        if thread
        else f"none.{site.id}"
    )
    key = hashlib.sha256(
        "|".join(
            (version, uri, sort, str(limit), cursor or "", str(config.REPLIES_PER_PAGE))
        ).encode("utf-8", "surrogatepass")
    ).hexdigest()[:32]
    if request.if_none_match.contains_weak(key):
        return _not_modified(key)

    def build() -> bytes:
        page = threads.read_thread(
            site, uri, sort=sort, limit=limit, cursor=cursor, replies_limit=config.REPLIES_PER_PAGE
        )
        payload = {
            "thread": thread_fields(page.uri, page.thread, page.locked),
            "comments": forest(page.comments, _secret()),
            "next_cursor": page.next_cursor,
        }
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()

    body = cached(current_app.extensions["comments.cache"], "thread:" + key, build)
    response = Response(body, mimetype="application/json")
    response.set_etag(key, weak=True)
    return response


def _not_modified(key: str) -> Response:
    response = Response(status=304)
    response.set_etag(key, weak=True)
    return response


def raise_bad_sort(value: str) -> None:
    from comments.errors import BadRequest

    raise BadRequest(
        "sort must be one of oldest, newest, top.", {"sort": "one of oldest, newest, top"}
    )


@bp.post("/comments")
@limiter.limit(_rate("post"), key_func=_limit_key, scope="post")
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
        notify_replies=get_bool(data, "notify_replies"),
    )
    address_hash = reader_address_hash()
    author_key = identity.reader_key(address_hash)
    user = _sso_user(sites.get_site(new.site))
    if user is not None:
        # The site vouches for who this is: its name, e-mail and avatar win over the form's.
        new = dataclasses.replace(
            new,
            author_name=user.name[:64],
            author_email=user.email,
            author_avatar=user.avatar,
        )
        author_key = user.key
    comment, token = comment_service.post_comment(
        new, author_key=author_key, address_hash=address_hash, limits=comment_limits()
    )
    fields = comment_fields(comment, _secret(), for_author=True)
    if comment.status is CommentStatus.APPROVED:
        return _json({**_posted(fields, token), "status": "approved", "reason": None}, 201)
    reason = comment.moderation_reasons[0]["code"] if comment.moderation_reasons else None
    if comment.status is CommentStatus.SPAM:
        # Spam is not announced as such: the sender learns only that it awaits review.
        fields = comment_fields(comment, _secret(), for_author=True, status=CommentStatus.PENDING)
        reason = "held_for_review"
    return _json({**_posted(fields, token), "status": "pending", "reason": reason}, 202)


def _posted(fields: dict[str, Any], token: str) -> dict[str, Any]:
    return {"comment": fields, "edit_token": token}


@bp.get(f"/comments/<{ID}:comment_id>")
def get_comment(comment_id: int) -> Response:
    token = bearer_token()
    comment = comment_service.get_comment(checked_id(comment_id), token)
    if token is None:
        return _json(comment_fields(comment, _secret()))
    return _json(_as_author_sees_it(comment))


def _as_author_sees_it(comment: Comment) -> dict[str, Any]:
    """Their own held comment with its text; spam looks held too, so nothing gives it away."""
    status = CommentStatus.PENDING if comment.status is CommentStatus.SPAM else None
    return comment_fields(comment, _secret(), for_author=True, status=status)


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
    comment = comment_service.edit_comment(
        checked_id(comment_id), bearer_token(), body, comment_limits()
    )
    return _json(_as_author_sees_it(comment))


@bp.delete(f"/comments/<{ID}:comment_id>")
def delete_comment(comment_id: int) -> Response:
    comment_service.delete_comment(checked_id(comment_id), bearer_token(), comment_limits())
    return Response(status=204)


@bp.post(f"/comments/<{ID}:comment_id>/votes")
@limiter.limit(_rate("vote"), key_func=_limit_key, scope="vote")
def vote(comment_id: int) -> Response:
    data = json_body()
    value = get_int(data, "value", required=True, choices=(1, -1, 0))
    assert value is not None
    comment = votes.vote(checked_id(comment_id), _reader(checked_id(comment_id)), value)
    return _json({"likes": comment.likes, "dislikes": comment.dislikes, "score": comment.score})


@bp.post(f"/comments/<{ID}:comment_id>/reports")
@limiter.limit(_rate("report"), key_func=_limit_key, scope="report")
def report(comment_id: int) -> Response:
    data = json_body()
    reason = get_choice(data, "reason", tuple(r.value for r in ReportReason))
    note = get_str(data, "note")
    reports.report(
        checked_id(comment_id), _reader(checked_id(comment_id)), ReportReason(reason), note
    )
    return _json({"status": "received"}, 202)


@bp.get("/counts")
def counts() -> Response:
    from flask import request

    site = sites.get_site(query_str("site", required=True))
    uris = [normalise_uri(u) for u in request.args.getlist("uri")]
    return _json({"counts": threads.counts(site, uris)})


@bp.get("/recent")
def recent() -> Response:
    site = sites.get_site(query_str("site", required=True))
    rows = threads.recent_comments(site, query_int("limit", 10, 1, threads.MAX_RECENT))
    return _json(
        {
            "comments": [
                comment_fields(c, _secret())
                | {"thread": {"uri": c.thread.key, "title": c.thread.title, "url": c.thread.url}}
                for c in rows
            ]
        }
    )


@bp.post("/preview")
@limiter.limit(_rate("preview"), key_func=_limit_key, scope="preview")
def preview() -> Response:
    data = json_body()
    html = comment_service.preview(get_str(data, "body", required=True), comment_limits())
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
