"""What is measured, and the request each system answers it with.

Equivalent requests for us and for Isso:

- page-N: a thread's first page. Ours: GET /api/v1/threads (50 top-level comments, each with
  its replies). Isso: GET /?uri=...&limit=50&nested_limit=200 (the same 50 top-level
  comments with all their replies).
- whole-N: the whole thread in one request. Ours: limit=200 (every benchmark thread has at
  most 200 top-level comments and 190 replies under each, so nothing is held back behind a
  cursor). Isso: GET /?uri=... without limits.
- counts: comment counts of 20 threads. Ours: GET /api/v1/counts with 20 uri parameters.
  Isso: POST /count with a JSON list of the 20 uris (what its count script sends).
- post: a new top-level comment of about 300 characters on a thread kept for posting.
- vote: a like on a random comment of a 500-comment thread kept for voting, from a new
  client address each time (X-Forwarded-For, from a trusted proxy at 127.0.0.1).
- hello: the ceiling app's only route.
"""

from __future__ import annotations

import dataclasses
import json
import urllib.request
from collections.abc import Sequence
from urllib.parse import urlencode

from bench import data as d
from bench.load import Request

NONCE = "NONCE"


@dataclasses.dataclass(frozen=True)
class Scenario:
    kind: str  # page, whole, counts, post, vote, hello
    size: int = 0  # thread size for page and whole

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.size}" if self.size else self.kind

    @property
    def writes(self) -> bool:
        return self.kind in ("post", "vote")

    @property
    def label(self) -> str:
        if self.kind == "page":
            return f"first page, {self.size:,}-comment thread"
        if self.kind == "whole":
            return f"whole {self.size:,}-comment thread"
        return {
            "counts": "counts for 20 uris",
            "post": "post a comment",
            "vote": "vote on a comment",
            "hello": "hello world",
        }[self.kind]


def reads(sizes: Sequence[int]) -> list[Scenario]:
    return [Scenario(kind, size) for size in sizes for kind in ("page", "whole")]


COUNTS = Scenario("counts")
POST = Scenario("post")
VOTE = Scenario("vote")
HELLO = Scenario("hello")


def parse_key(key: str) -> Scenario:
    kind, _, size = key.partition("-")
    return Scenario(kind, int(size) if size else 0)


def ours(scenario: Scenario, data: d.Dataset) -> Request:
    """Our request for ``scenario``; write scripts get the run number in place of NONCE."""
    site = d.SITE_SLUG
    if scenario.kind in ("page", "whole"):
        query = {"site": site, "uri": d.thread_uri(scenario.size)}
        if scenario.kind == "whole":
            query["limit"] = "200"
        return Request("/api/v1/threads?" + urlencode(query))
    if scenario.kind == "counts":
        return Request(
            "/api/v1/counts?" + urlencode([("site", site)] + [("uri", u) for u in d.count_uris()])
        )
    if scenario.kind == "post":
        return Request("/api/v1/comments", "post.lua", ("comments", site, d.POST_URI, NONCE))
    if scenario.kind == "vote":
        ids = ",".join(map(str, data.comment_ids(d.VOTE_URI)))
        return Request("/api/v1/comments", "vote.lua", ("comments", NONCE, ids))
    raise ValueError(scenario)


def isso(scenario: Scenario, data: d.Dataset) -> Request:
    if scenario.kind in ("page", "whole"):
        query = {"uri": d.thread_uri(scenario.size)}
        if scenario.kind == "page":
            # Without nested_limit Isso applies limit=50 to each top-level comment's replies
            # too; 200 is our REPLIES_PER_PAGE, above any thread's 190 replies per comment.
            query.update(limit="50", nested_limit="200")
        return Request("/?" + urlencode(query))
    if scenario.kind == "counts":
        return Request("/count", "post_json.lua", (json.dumps(d.count_uris()),))
    if scenario.kind == "post":
        return Request("/new", "post.lua", ("isso", "-", d.POST_URI, NONCE))
    if scenario.kind == "vote":
        ids = ",".join(map(str, data.comment_ids(d.VOTE_URI)))
        return Request("/", "vote.lua", ("isso", NONCE, ids))
    raise ValueError(scenario)


# --- counting what writes really did --------------------------------------------------------


def _get_json(url: str, body: object | None = None) -> object:
    request = urllib.request.Request(
        url,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=300) as response:
        return json.loads(response.read())


def _likes(nodes: list[dict[str, object]]) -> int:
    total = 0
    stack = list(nodes)
    while stack:
        node = stack.pop()
        likes = node.get("likes")
        total += likes if isinstance(likes, int) else 0
        replies = node.get("replies")
        stack.extend(replies if isinstance(replies, list) else [])
    return total


def tally(system: str, scenario: Scenario, base_url: str) -> int | None:
    """Comments on the posting thread, or likes on the voting thread, as the server reports."""
    if not scenario.writes:
        return None
    if system == "isso":
        if scenario.kind == "post":
            counts = _get_json(f"{base_url}/count", [d.POST_URI])
            assert isinstance(counts, list)
            return int(counts[0])
        thread = _get_json(f"{base_url}/?" + urlencode({"uri": d.VOTE_URI}))
        assert isinstance(thread, dict)
        return _likes(thread["replies"])
    if scenario.kind == "post":
        query = urlencode({"site": d.SITE_SLUG, "uri": d.POST_URI})
        counts = _get_json(f"{base_url}/api/v1/counts?{query}")
        assert isinstance(counts, dict)
        return int(counts["counts"][d.POST_URI])
    query = urlencode({"site": d.SITE_SLUG, "uri": d.VOTE_URI, "limit": 200})
    thread = _get_json(f"{base_url}/api/v1/threads?{query}")
    assert isinstance(thread, dict)
    return _likes(thread["comments"])


def isso_comment_count(base_url: str, scenario: Scenario) -> int:
    """How many comments Isso sends for a read scenario (top-level plus replies)."""
    thread = _get_json(base_url + isso(scenario, d.Dataset.empty()).path)
    assert isinstance(thread, dict)
    return sum(1 + len(item.get("replies", [])) for item in thread["replies"])


def ours_comment_count(base_url: str, scenario: Scenario) -> int:
    """How many comments we send for a read scenario (every level)."""
    thread = _get_json(base_url + ours(scenario, d.Dataset.empty()).path)
    assert isinstance(thread, dict)
    total, stack = 0, list(thread["comments"])
    while stack:
        item = stack.pop()
        total += 1
        stack.extend(item["replies"])
    return total
