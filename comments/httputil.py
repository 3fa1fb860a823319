"""Web plumbing shared by every blueprint: settings access, client address, errors, headers."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from typing import Any

from flask import Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from comments.config import Settings
from comments.errors import DomainError, RateLimited
from comments.extensions import db
from comments.services import identity
from comments.services.comments import Limits

API_PREFIX = "/api/"

# Our own HTML pages: no inline script or style, nothing from elsewhere.
DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
    "frame-ancestors 'none'"
)


def settings() -> Settings:
    """The running app's settings, read once at start-up."""
    value: Settings = current_app.extensions["comments.settings"]
    return value


def reader_address_hash() -> str:
    """The keyed hash that stands for this client's address (the raw address is never kept)."""
    config = settings()
    return identity.hash_address(client_address(), config.IP_HASH_SALT or config.SECRET_KEY)


def comment_limits() -> Limits:
    """The settings the comment rules need, from the running app's settings."""
    config = settings()
    return Limits(
        max_body_length=config.MAX_BODY_LENGTH,
        edit_window=timedelta(seconds=config.EDIT_WINDOW_SECONDS),
    )


def client_address() -> str:
    """The client's IP; X-Forwarded-For is believed only from configured trusted proxies."""
    peer = request.remote_addr or "0.0.0.0"  # noqa: S104 - a placeholder, not a bind address
    networks = settings().trusted_networks()
    if not networks:
        return peer
    chain = [peer]
    forwarded = request.headers.get("X-Forwarded-For", "")
    chain.extend(reversed([p.strip() for p in forwarded.split(",") if p.strip()]))
    # Walk from the nearest hop outwards; the first address we do not trust is the client.
    for hop in chain:
        try:
            address = ipaddress.ip_address(hop)
        except ValueError:
            return hop[:64]
        if not any(address in net for net in networks):
            return str(address)
    return chain[-1]


def public_cache_control() -> str:
    seconds = settings().PUBLIC_CACHE_SECONDS
    if seconds <= 0:
        return "public, no-cache"
    return f"public, max-age={seconds}, stale-while-revalidate={seconds * 6}"


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    """The one error shape every API response uses."""
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def json_error(
    status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> Response:
    response = jsonify(error_body(code, message, fields))
    response.status_code = status
    return response


HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
}


def _wants_json() -> bool:
    return request.path.startswith(API_PREFIX)


def install(app: Flask) -> None:
    """Register error handlers and response headers on the app."""

    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError) -> Response:
        db.session.rollback()
        response = json_error(exc.status, exc.code, exc.message, exc.fields)
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response | HTTPException:
        if not _wants_json():
            return exc
        status = exc.code or 500
        code = HTTP_CODES.get(status, "error")
        message = exc.description or exc.name
        if status == 413:
            limit = settings().MAX_REQUEST_BYTES
            message = f"The request body is larger than the limit of {limit} bytes."
        response = json_error(status, code, message)
        if status == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        return response

    @app.errorhandler(500)
    def _server_error(exc: Exception) -> Response | tuple[str, int]:
        db.session.rollback()
        if _wants_json():
            return json_error(500, "internal_error", "Something went wrong on our side.")
        return "Internal server error", 500

    @app.after_request
    def _conditional_get(response: Response) -> Response:
        """Public API reads carry a weak ETag and revalidate, so a CDN or browser can keep them."""
        if request.method != "GET" or not request.path.startswith(API_PREFIX):
            return response
        if request.path.startswith(API_PREFIX + "v1/mod/") or request.authorization:
            response.headers["Cache-Control"] = "private, no-store"
            return response
        if response.status_code in (200, 304):
            if response.status_code == 200 and not response.get_etag()[0]:
                response.add_etag(weak=True)
                response.make_conditional(request)
            response.headers.setdefault("Cache-Control", public_cache_control())
        return response

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if response.mimetype == "text/html":
            headers.setdefault("Content-Security-Policy", DEFAULT_CSP)
        elif _wants_json():
            headers.setdefault(
                "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"
            )
        return response
