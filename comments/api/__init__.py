"""The public JSON API under /api/v1."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from comments.api import mod, views  # noqa: E402,F401  (registers the routes on bp)
