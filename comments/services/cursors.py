"""Opaque pagination cursors: compact, versioned, and checked strictly when read back."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from comments.errors import BadRequest

MAX_CURSOR_LENGTH = 512


def encode(kind: str, **values: Any) -> str:
    raw = json.dumps({"k": kind, **values}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _invalid() -> BadRequest:
    return BadRequest("The cursor is not valid; start again without it.", {"cursor": "invalid"})


def decode(cursor: str, kind: str, schema: dict[str, type]) -> dict[str, Any]:
    """Read a cursor of ``kind`` whose values have exactly the types in ``schema``."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise _invalid()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise _invalid() from exc
    if not isinstance(data, dict) or data.get("k") != kind or set(data) != {"k", *schema}:
        raise _invalid()
    for name, expected in schema.items():
        value = data[name]
        # bool is an int in Python; a cursor never carries booleans.
        if isinstance(value, bool) or not isinstance(value, expected):
            raise _invalid()
        if isinstance(value, int) and not -(2**31) < value < 2**31:
            raise _invalid()
        if isinstance(value, str) and (len(value) > 400 or not value.isascii()):
            raise _invalid()
    return data
