"""Moderation pages: the queues and everything a moderator does from them."""

from __future__ import annotations

from flask import redirect, url_for
from werkzeug.wrappers import Response as BaseResponse

from comments.moderation import bp
from comments.moderation.auth import signed_in


@bp.get("/")
@signed_in
def home() -> BaseResponse:
    return redirect(url_for("moderation.queue", name="pending"))


@bp.get("/queue/<name>")
@signed_in
def queue(name: str) -> str:
    return name
