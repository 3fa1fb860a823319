"""Domain errors raised by services and mapped to HTTP status codes by the web layer."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class BadRequest(DomainError):
    status = 400
    code = "bad_request"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"

    def __init__(
        self, message: str, code: str = "unauthorized", fields: dict[str, str] | None = None
    ) -> None:
        super().__init__(message, fields)
        self.code = code


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    """A rule forbids the change in the resource's current state."""

    status = 409
    code = "conflict"

    def __init__(
        self, message: str, code: str = "conflict", fields: dict[str, str] | None = None
    ) -> None:
        super().__init__(message, fields)
        self.code = code


class ValidationFailed(DomainError):
    """Input is well-formed but some fields break the rules; ``fields`` names each."""

    status = 422
    code = "validation_failed"


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
