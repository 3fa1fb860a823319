"""Server-rendered pages: the demo article with its thread."""

from flask import Blueprint

bp = Blueprint("pages", __name__)

from comments.pages import embed, views  # noqa: E402,F401  (registers the routes on bp)
