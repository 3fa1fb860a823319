"""Reading request input: JSON bodies and query strings, with errors that name the field."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import request

from comments.errors import BadRequest, DomainError, NotFound, ValidationFailed
from comments.services.inputs import check_text

# Ids are 32-bit integers on PostgreSQL; anything larger names no comment.
MAX_ID = 2**31 - 1
MAX_JSON_INT = 2**53


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"


def json_body() -> dict[str, Any]:
    """The request's JSON object. 415 unless JSON; 413 if too large; 400 if malformed."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("Send the body as JSON with Content-Type: application/json.")
    raw = request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH, before parsing
    try:
        data = json.loads(raw)
    except UnicodeDecodeError as exc:
        raise BadRequest("The body is not valid UTF-8.") from exc
    except RecursionError as exc:
        raise BadRequest("The JSON body nests too deeply.") from exc
    except ValueError as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}.") from exc
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object.")
    return data


def _type_error(name: str, expected: str) -> ValidationFailed:
    return ValidationFailed(f"{name} must be {expected}.", {name: f"must be {expected}"})


def get_str(data: Mapping[str, Any], name: str, *, required: bool = False) -> str:
    """A string field; absent or null reads as empty unless required."""
    value = data.get(name)
    if value is None:
        if required:
            raise ValidationFailed(f"{name} is required.", {name: "required"})
        return ""
    if not isinstance(value, str):
        raise _type_error(name, "a string")
    return check_text(name, value)


def get_int(
    data: Mapping[str, Any],
    name: str,
    *,
    required: bool = False,
    choices: tuple[int, ...] = (),
    low: int = -MAX_JSON_INT,
    high: int = MAX_JSON_INT,
) -> int | None:
    value = data.get(name)
    if value is None:
        if required:
            raise ValidationFailed(f"{name} is required.", {name: "required"})
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _type_error(name, "an integer")
    if choices and value not in choices:
        allowed = ", ".join(str(c) for c in choices)
        raise ValidationFailed(f"{name} must be one of {allowed}.", {name: f"one of {allowed}"})
    if not low <= value <= high:
        raise ValidationFailed(
            f"{name} must be from {low} to {high}.", {name: f"out of range {low}..{high}"}
        )
    return value


def get_bool(data: Mapping[str, Any], name: str) -> bool:
    """An optional JSON boolean; absent or null reads as false."""
    value = data.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _type_error(name, "true or false")
    return value


def get_number(
    data: Mapping[str, Any], name: str, *, low: float = 0, high: float = 1e9
) -> float | None:
    """An optional JSON number (integer or not) within bounds."""
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _type_error(name, "a number")
    if not low <= value <= high:
        raise ValidationFailed(f"{name} must be from {low:g} to {high:g}.", {name: "out of range"})
    return float(value)


def get_choice(data: Mapping[str, Any], name: str, choices: tuple[str, ...]) -> str:
    value = get_str(data, name, required=True)
    if value not in choices:
        allowed = ", ".join(choices)
        raise ValidationFailed(f"{name} must be one of {allowed}.", {name: f"one of {allowed}"})
    return value


def query_str(name: str, *, required: bool = False, default: str = "") -> str:
    values = request.args.getlist(name)
    if not values:
        if required:
            raise BadRequest(f"The query parameter {name} is required.", {name: "required"})
        return default
    if len(values) > 1:
        raise BadRequest(f"Give the query parameter {name} once.", {name: "repeated"})
    if "\x00" in values[0]:
        raise BadRequest(f"The query parameter {name} contains a NUL character.", {name: "NUL"})
    return values[0]


def query_int(name: str, default: int, low: int, high: int) -> int:
    raw = query_str(name)
    if raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9 or not low <= int(raw) <= high:
        raise BadRequest(
            f"{name} must be a whole number from {low} to {high}.", {name: f"{low}..{high}"}
        )
    return int(raw)


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def checked_id(comment_id: int) -> int:
    """A path id the database can hold; larger ones name no comment (404, not an overflow)."""
    if not 1 <= comment_id <= MAX_ID:
        raise NotFound("There is no such comment.")
    return comment_id
