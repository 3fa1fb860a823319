"""Atom feeds of the latest approved comments.

- ``GET /feeds/<site>.atom`` the site's, across its threads;
- ``GET /feeds/<site>/thread.atom?uri=<thread key>`` one thread's.

Both take ``?limit=`` (capped at FEED_SIZE), carry a weak ETag and Last-Modified and answer
If-None-Match / If-Modified-Since with 304. The rendered document is kept in the payload
cache under its ETag, which names its content (see services/feeds.py), so a repeat read
costs one indexed lookup (a thread) or one indexed query (a site) and no rendering.
Errors are short plain text: a feed reader shows them as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import Response, current_app, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from comments.errors import BadRequest, DomainError, NotFound, ValidationFailed
from comments.extensions import db
from comments.httputil import public_cache_control, settings
from comments.models import Site, utcnow
from comments.pages import bp
from comments.services import feeds, sites, threads
from comments.services.cache import cached
from comments.services.inputs import normalise_uri

# A feed is data, never a page: nothing in it may run or be framed.
FEED_CSP = "default-src 'none'; frame-ancestors 'none'"
MAX_LIMIT_DIGITS = 6


def _limit() -> int:
    """``?limit=``: a whole number from 1; more than FEED_SIZE is cut to FEED_SIZE."""
    size = max(1, settings().FEED_SIZE)
    raw = request.args.get("limit")
    if raw is None:
        return size
    text = raw.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= MAX_LIMIT_DIGITS) or int(text) < 1:
        raise BadRequest(f"limit must be a whole number from 1 to {size}.", {"limit": "invalid"})
    return min(int(text), size)


def _thread_page(slug: str, key: str) -> str:
    return url_for("pages.embed_thread", site=slug, uri=key)


def _links(self_path: str) -> feeds.FeedLinks:
    return feeds.FeedLinks(
        base=feeds.public_base(settings().PUBLIC_URL),
        self_path=self_path,
        thread_page=_thread_page,
    )


def _self_path(endpoint: str, site: Site, **query: str) -> str:
    """The feed's own path; ``limit`` is kept when given, so each variant names itself."""
    if "limit" in request.args:
        query["limit"] = request.args["limit"].strip()
    path = url_for(endpoint, site=site.slug)
    return path + ("?" + urlencode(query) if query else "")


# The cached value is the build time (the feed's Last-Modified), a newline, the document.
def _stamped(build: Callable[[], bytes]) -> Callable[[], bytes]:
    return lambda: str(int(utcnow().timestamp())).encode() + b"\n" + build()


def _unstamped(value: bytes) -> tuple[datetime, bytes]:
    stamp, _, body = value.partition(b"\n")
    return datetime.fromtimestamp(int(stamp), UTC), body


def _headers(response: Response, key: str) -> Response:
    response.set_etag(key, weak=True)
    response.headers["Cache-Control"] = public_cache_control()
    response.headers["Content-Security-Policy"] = FEED_CSP
    return response


def _answer(key: str, build: Callable[[], bytes]) -> BaseResponse:
    """The feed for ``key``, or 304 when the client already has it."""
    if request.if_none_match.contains_weak(key):
        return _headers(Response(status=304), key)
    value = cached(current_app.extensions["comments.cache"], "feed:" + key, _stamped(build))
    # Last-Modified is when this content was first built: a later change always has a new
    # key, so it is built later, and an If-Modified-Since older than that gets the new feed.
    # (Entry times would not do: a held comment approved today was written days ago.)
    modified, body = _unstamped(value)
    response = _headers(Response(body, content_type=feeds.CONTENT_TYPE), key)
    response.last_modified = modified
    return response.make_conditional(request)


def _error(exc: DomainError) -> Response:
    db.session.rollback()
    status = 404 if isinstance(exc, NotFound) else 400
    response = Response(exc.message + "\n", status=status, mimetype="text/plain")
    response.headers["Content-Security-Policy"] = FEED_CSP
    return response


@bp.get("/feeds/<site>.atom")
def site_feed(site: str) -> BaseResponse:
    try:
        found = sites.get_site(site)
        limit = _limit()
        links = _links(_self_path("pages.site_feed", found))
        entries = feeds.site_entries(found, limit)
        key = feeds.site_key(found, entries, limit, links)
        return _answer(key, lambda: feeds.render(found, None, entries, links))
    except DomainError as exc:
        return _error(exc)


@bp.get("/feeds/<site>/thread.atom")
def thread_feed(site: str) -> BaseResponse:
    try:
        found = sites.get_site(site)
        raw = request.args.get("uri", "")
        if not raw.strip():
            raise BadRequest("Give the thread as ?uri=<its key>.", {"uri": "missing"})
        try:
            uri = normalise_uri(raw)
        except ValidationFailed as exc:
            raise BadRequest(exc.message, exc.fields) from None
        limit = _limit()
        thread = threads.find_thread(found.id, uri)
        if thread is None:
            raise NotFound("There is no such thread on this site.", {"uri": "unknown"})
        links = _links(_self_path("pages.thread_feed", found, uri=uri))
        key = feeds.thread_key(found, thread, limit, links)
        return _answer(
            key, lambda: feeds.render(found, thread, feeds.thread_entries(thread, limit), links)
        )
    except DomainError as exc:
        return _error(exc)
