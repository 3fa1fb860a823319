"""Server-rendered pages: the demo article with its thread."""

from flask import Blueprint

bp = Blueprint("pages", __name__)

from comments.pages import embed, feeds, mail_views, views  # noqa: E402,F401  (registers routes)
