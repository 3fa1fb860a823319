"""The demo article page, its discussion rendered on the server."""

from __future__ import annotations

from flask import render_template

from comments.demo_content import ARTICLE, ARTICLE_URI
from comments.errors import NotFound
from comments.httputil import settings
from comments.pages import bp
from comments.services import sites, threads
from comments.services.demo import DEMO_SITE


@bp.get("/")
def article() -> str:
    try:
        site = sites.get_site(DEMO_SITE)
    except NotFound:
        return render_template("pages/welcome.html")
    page = threads.read_thread(
        site, ARTICLE_URI, limit=settings().MAX_PAGE_SIZE, replies_limit=settings().REPLIES_PER_PAGE
    )
    return render_template("pages/article.html", article=ARTICLE, page=page)
