"""WSGI apps the benchmark serves besides `comments run`.

- ``hello``: the ceiling, a one-route Flask app answering a short JSON document.
- ``uncached()``: our app with its read cache switched off, so every thread read queries the
  database and serialises the comments again (what a cache miss costs, e.g. after each write
  to a busy thread). Started by gunicorn as ``bench.apps:uncached()`` with the same flags
  `comments run` uses, on a database `comments run` has already migrated.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify

hello = Flask("hello")


@hello.get("/")
def hello_world() -> Response:
    return jsonify({"hello": "world"})


class NullCache:
    """A payload cache that never has anything."""

    def get(self, key: str) -> bytes | None:
        return None

    def set(self, key: str, value: bytes) -> None:
        return None


def uncached() -> Flask:
    from comments.app import create_app

    app = create_app()
    app.extensions["comments.cache"] = NullCache()
    return app
