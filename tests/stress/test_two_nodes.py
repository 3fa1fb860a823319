"""Two app processes (each a gunicorn master with workers) on different ports, sharing the
database and Redis: what one writes the other serves at once, the shared read cache is never
stale, and a rate limit holds across both.

On PostgreSQL the nodes share a scratch database; on SQLite they share one database file
(two processes on one machine), so the test runs on both engines.
"""

from __future__ import annotations

import json
import os
import random
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from comments.services.identity import hash_address
from tests.stress import harness as h
from tests.support import cli_env, scratch_database

REDIS_URL = os.environ.get("COMMENTS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
WORKERS = 2
TWO_NODE_BUDGET_SECONDS = 30.0


@dataclass
class Cluster:
    url: str
    instance: Path
    secret: str
    a: h.Server
    b: h.Server
    redis: redis.Redis
    etags: set[str]
    addresses: set[str]

    def address(self) -> str:
        """A client address for this run; its limit keys are this run's (a fresh secret)."""
        address = f"198.51.{random.randrange(256)}.{random.randrange(1, 255)}"
        self.addresses.add(address)
        return address


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    began = time.monotonic()
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    client.ping()
    with scratch_database(tmp_path, "comments_stress_nodes") as url:
        # One deployment: the same database, Redis and secret for both nodes. The secret is
        # fresh, so this run's rate-limit keys (keyed by address hash) are its own.
        secret = "stress-" + os.urandom(24).hex()
        env = cli_env(
            tmp_path,
            url,
            COMMENTS_REDIS_URL=REDIS_URL,
            COMMENTS_RATE_LIMITS_ENABLED="true",
            COMMENTS_TRUSTED_PROXIES="127.0.0.1",
        )
        env["COMMENTS_SECRET_KEY"] = secret
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        a = h.Server(env, tmp_path / "a", WORKERS)
        b = h.Server(env, tmp_path / "b", WORKERS)
        cluster = Cluster(url, tmp_path / "instance", secret, a, b, client, set(), set())
        try:
            # One after the other: each runs the (idempotent) migrations before serving.
            with h.running(a, b):
                yield cluster
            logged = h.tracebacks(a, b)
            assert not logged, f"{len(logged)} tracebacks logged, the first: {logged[0]}"
        finally:
            _forget_our_keys(cluster)
            client.close()
    assert time.monotonic() - began < TWO_NODE_BUDGET_SECONDS


def _forget_our_keys(cluster: Cluster) -> None:
    """Delete only this run's keys: the payloads we were served, our addresses' limits."""
    client = cluster.redis
    keys = [key for etag in cluster.etags for key in payload_keys(cluster, etag)]
    for address in cluster.addresses:
        digest = hash_address(address, cluster.secret)
        keys.extend(client.scan_iter(match=f"*{digest}*", count=1000))
    if keys:
        client.delete(*keys)


def read(http: h.Http, site: str, uri: str, etag: str | None = None) -> h.Reply:
    query = urllib.parse.urlencode({"site": site, "uri": uri})
    headers = {"If-None-Match": f'W/"{etag}"'} if etag else {}
    return http.request("GET", f"/api/v1/threads?{query}", headers=headers)


def etag_of(reply: h.Reply) -> str:
    value = reply.headers["etag"]
    assert value.startswith('W/"') and value.endswith('"'), value
    return value[3:-1]


def payload_keys(cluster: Cluster, etag: str) -> list[bytes]:
    """The Redis keys holding the cached page with this ETag (under the deployment's prefix)."""
    return list(cluster.redis.scan_iter(match=f"comments:*:payload:thread:{etag}"))


def all_ids(payload: dict[str, Any]) -> list[int]:
    ids: list[int] = []
    pending = list(payload["comments"])
    while pending:
        item = pending.pop()
        ids.append(item["id"])
        pending.extend(item["replies"])
    return sorted(ids)


@pytest.mark.slow
def test_a_write_on_one_node_is_read_at_once_on_the_other(cluster: Cluster) -> None:
    site, uri = h.unique("nodes"), f"/stress/{h.unique('page')}"
    # Every post from its own address: this test is about consistency, not limits.
    h.add_site(cluster.url, cluster.instance, site)
    nodes = [h.Http(cluster.a.port), h.Http(cluster.b.port)]

    def seen(node: h.Http) -> tuple[str, bytes]:
        reply = read(node, site, uri)
        assert reply.status == 200, reply.body
        etag = etag_of(reply)
        cluster.etags.add(etag)
        return etag, reply.body

    before = [seen(node) for node in nodes]
    assert before[0] == before[1]  # the empty thread, the same on both
    posted: list[int] = []
    for round_ in range(12):
        writer, other = nodes[round_ % 2], nodes[1 - round_ % 2]
        old_etag, _ = seen(other)  # the other node has this version cached now
        parent = posted[-1] if posted and round_ % 3 else None
        sender = h.Http(writer.port, cluster.address())
        body = f"round {round_} {h.unique('body')}"
        reply = sender.post_comment(site, uri, body, parent)
        assert reply.status == 201, reply.body
        posted.append(reply.json()["comment"]["id"])

        # At once, on the other node: the new comment, not the cached older version.
        assert read(other, site, uri, old_etag).status == 200
        etag, payload = seen(other)
        assert etag != old_etag
        data = json.loads(payload)
        assert all_ids(data) == sorted(posted)
        assert data["thread"]["comment_count"] == len(posted)
        # Both nodes agree: the same ETag and the same bytes (one shared cache entry).
        assert seen(writer) == (etag, payload)
        assert read(writer, site, uri, etag).status == 304
        [key] = payload_keys(cluster, etag)
        assert cluster.redis.get(key) == payload
        single = other.get(f"/api/v1/comments/{posted[-1]}")
        assert single.status == 200 and body in single.json()["html"]
        counts = other.get("/api/v1/counts", site=site, uri=uri)
        assert counts.json()["counts"] == {uri: len(posted)}
    for node in nodes:
        node.close()


@pytest.mark.slow
def test_a_rate_limit_holds_across_both_nodes(cluster: Cluster) -> None:
    site, uri = h.unique("limited"), f"/stress/{h.unique('page')}"
    h.add_site(cluster.url, cluster.instance, site, posts_per_minute=3)
    address = cluster.address()
    on_a, on_b = h.Http(cluster.a.port, address), h.Http(cluster.b.port, address)

    statuses = [
        on_a.post_comment(site, uri, f"first {h.unique('x')}").status,
        on_a.post_comment(site, uri, f"second {h.unique('x')}").status,
        on_b.post_comment(site, uri, f"third {h.unique('x')}").status,
    ]
    assert statuses == [201, 201, 201]
    # Four processes behind two ports: only a shared counter stops the fourth post.
    fourth = on_b.post_comment(site, uri, f"fourth {h.unique('x')}")
    assert fourth.status == 429, fourth.body
    assert 0 < int(fourth.headers["retry-after"]) <= 60
    error = fourth.json()["error"]
    assert error["code"] == "rate_limited" and error["message"]
    assert on_a.post_comment(site, uri, f"fifth {h.unique('x')}").status == 429
    # The limit is per client: someone else may still post, on either node.
    for port in (cluster.a.port, cluster.b.port):
        other = h.Http(port, cluster.address())
        assert other.post_comment(site, uri, f"other {h.unique('x')}").status == 201
        other.close()
    stored = h.load_site(cluster.url, site)
    assert len(stored.comments) == 5  # nothing of the refused posts was written
    for http in (on_a, on_b):
        http.close()
