"""A cache for serialised read payloads, keyed by thread version: in process, or in Redis.

Entries are never invalidated by deletion: every write readers can see bumps the thread's
version, which is part of the key, so a stale entry is simply never asked for again and
ages out (LRU in process, a TTL in Redis).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol


class PayloadCache(Protocol):
    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes) -> None: ...


class MemoryCache:
    """A bounded least-recently-used cache shared by the threads of one process."""

    def __init__(self, max_entries: int = 2048, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def set(self, key: str, value: bytes) -> None:
        if len(value) > self._max_bytes // 8:
            return  # one giant payload must not evict everything else
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= len(old)
            self._entries[key] = value
            self._size += len(value)
            while len(self._entries) > self._max_entries or self._size > self._max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._size -= len(evicted)


class RedisCache:
    """Shared by every process and machine; entries expire after ``ttl`` seconds."""

    def __init__(self, url: str, ttl: int = 3600, prefix: str = "comments:payload:") -> None:
        import redis

        self._client = redis.Redis.from_url(url, socket_timeout=0.5)
        self._ttl = ttl
        self._prefix = prefix

    def get(self, key: str) -> bytes | None:
        import redis

        try:
            value = self._client.get(self._prefix + key)
        except redis.RedisError:
            return None  # the cache is an optimisation: without Redis, read the database
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes) -> None:
        import redis

        try:
            self._client.set(self._prefix + key, value, ex=self._ttl)
        except redis.RedisError:
            return


def cached(cache: PayloadCache, key: str, build: Callable[[], bytes]) -> bytes:
    """The cached payload for ``key``, building and storing it on a miss."""
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value)
    return value
