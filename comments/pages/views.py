"""The demo article page: the widget embedded as a third-party site would, plus a no-JS thread."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, make_response, render_template, request

from comments.demo_content import ARTICLE, ARTICLE_URI
from comments.errors import NotFound
from comments.httputil import settings
from comments.pages import bp
from comments.services import sites, threads
from comments.services.demo import DEMO_SITE

# The demo plays a news site on one origin embedding the service from another: the same
# server reached as 127.0.0.1 serves the widget as localhost, and the other way round.
_OTHER_NAME = {"127.0.0.1": "localhost", "localhost": "127.0.0.1", "::1": "localhost"}


def widget_origin() -> str:
    """The origin the page loads the widget from; '' (the page's own) for other host names."""
    try:
        parts = urlsplit(request.host_url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return ""
    if host not in _OTHER_NAME:  # a known name only: the Host header is the client's to set
        return ""
    scheme = "https" if parts.scheme == "https" else "http"
    return f"{scheme}://{_OTHER_NAME[host]}" + (f":{port}" if port else "")


def page_csp(origin: str) -> str:
    """Our usual page policy, also allowing the widget's origin (no inline script or style)."""
    source = f"'self' {origin}".strip()
    return (
        f"default-src 'self'; script-src {source}; style-src {source}; "
        f"img-src {source} data:; connect-src {source}; form-action 'self'; "
        "base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
    )


@bp.get("/")
def article() -> Response | str:
    try:
        site = sites.get_site(DEMO_SITE)
    except NotFound:
        return render_template("pages/welcome.html")
    page = threads.read_thread(
        site, ARTICLE_URI, limit=settings().MAX_PAGE_SIZE, replies_limit=settings().REPLIES_PER_PAGE
    )
    origin = widget_origin()
    response = make_response(
        render_template(
            "pages/article.html",
            article=ARTICLE,
            page=page,
            site=DEMO_SITE,
            uri=ARTICLE_URI,
            widget_origin=origin,
        )
    )
    response.headers["Content-Security-Policy"] = page_csp(origin)
    return response
