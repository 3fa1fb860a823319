"""Cross-origin rules for the public API: each site's exact allowed origins, never more.

The reader widget runs on the site's pages and calls us from there. A response carries
``Access-Control-Allow-Origin`` only when the request's Origin is one the site listed,
compared exactly (scheme, host and port), so lookalikes such as good.example.evil.com or
goodexample.com and the opaque ``null`` origin get nothing. Credentials are never allowed:
the widget keeps no cookies. The moderation API is for servers and allows no origin.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from flask import Flask, Response, request
from sqlalchemy import select

from comments.extensions import db
from comments.models import Comment, Site, Thread

PUBLIC_PREFIX = "/api/v1/"
PRIVATE_PREFIX = "/api/v1/mod/"
ALLOWED_METHODS = "GET, POST, PATCH, DELETE"
ALLOWED_HEADERS = "Content-Type, Authorization, X-Comments-SSO"
EXPOSED_HEADERS = "ETag, Retry-After"
PREFLIGHT_MAX_AGE = "600"


def _site_slug_from_body() -> str | None:
    if request.mimetype != "application/json":
        return None
    try:
        data = json.loads(request.get_data(cache=True) or b"null")
    except (ValueError, RecursionError):
        return None
    site = data.get("site") if isinstance(data, dict) else None
    return site if isinstance(site, str) else None


def _origins(sites: Iterable[list[str]]) -> set[str]:
    return {origin for origins in sites for origin in origins}


def _allowed_origins() -> set[str]:
    """The origins of the site this request is about; of every site when it names none."""
    slug = request.args.get("site") or (
        _site_slug_from_body() if request.method != "OPTIONS" else None
    )
    query = select(Site.allowed_origins)
    comment_id = (request.view_args or {}).get("comment_id")
    if slug:
        query = query.where(Site.slug == slug)
    elif isinstance(comment_id, int) and 0 < comment_id < 2**31:
        query = (
            query.join(Thread, Thread.site_id == Site.id)
            .join(Comment, Comment.thread_id == Thread.id)
            .where(Comment.id == comment_id)
        )
    return _origins(db.session.execute(query).scalars())


def _is_public_api() -> bool:
    return request.path.startswith(PUBLIC_PREFIX) and not request.path.startswith(PRIVATE_PREFIX)


def install(app: Flask) -> None:
    """Answer preflights and add CORS headers to public API responses."""

    @app.before_request
    def _preflight() -> Response | None:
        if request.method != "OPTIONS" or not _is_public_api():
            return None
        response = Response(status=204)
        origin = request.headers.get("Origin", "")
        response.headers["Vary"] = "Origin"
        if origin and origin in _allowed_origins():
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        return response

    @app.after_request
    def _cors(response: Response) -> Response:
        if not _is_public_api() or request.method == "OPTIONS":
            return response
        response.vary.add("Origin")
        origin = request.headers.get("Origin", "")
        if origin and origin in _allowed_origins():
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        return response
