"""The moderation area under /mod: sign-in, queues, actions, audit log, settings."""

from flask import Blueprint

bp = Blueprint("moderation", __name__, url_prefix="/mod")

from comments.moderation import auth, views  # noqa: E402,F401  (registers the routes on bp)
