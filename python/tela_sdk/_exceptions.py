"""The exception hierarchy. Every error the SDK raises is a ``TelaError``.

``APIError`` carries what the server said (``status_code``, ``code``, ``message``, ``body``,
``request_id``); the status classes are picked by HTTP status, never by body text.
Raised by the native core through these classes, so ``except`` clauses match exactly.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "TelaError",
    "ConfigurationError",
    "InvalidRequestError",
    "APIError",
    "APIStatusError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "UnprocessableEntityError",
    "RateLimitError",
    "InternalServerError",
    "APIConnectionError",
    "APITimeoutError",
    "APIResponseValidationError",
    "StreamError",
]


class TelaError(Exception):
    """Base class of every error raised by tela_sdk."""

    def __init__(self, message: str, **_: Any) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(TelaError, ValueError):
    """The client cannot be built as asked (missing API key, bad base URL, ...)."""


class InvalidRequestError(TelaError, ValueError):
    """The call's arguments are wrong. Raised before anything is sent."""


class APIError(TelaError):
    """The API (or the way to it) failed the call."""

    status_code: int | None
    code: str | None
    body: Any
    request_id: str | None

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        body: Any = None,
        request_id: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message, **extra)
        self.status_code = status_code
        self.code = code
        self.body = body
        self.request_id = request_id


class APIStatusError(APIError):
    """The server answered with a non-2xx status."""

    status_code: int


class BadRequestError(APIStatusError):
    """HTTP 400: the body or query is invalid."""


class AuthenticationError(APIStatusError):
    """HTTP 401: the API key is missing, wrong or revoked."""


class PermissionDeniedError(APIStatusError):
    """HTTP 403: the key cannot access this resource."""


class NotFoundError(APIStatusError):
    """HTTP 404: unknown canvas, version, environment, run or file."""


class ConflictError(APIStatusError):
    """HTTP 409."""


class UnprocessableEntityError(APIStatusError):
    """HTTP 422."""


class RateLimitError(APIStatusError):
    """HTTP 429: slow down (retried automatically up to ``max_retries``)."""


class InternalServerError(APIStatusError):
    """HTTP 5xx: a failure on the server side."""


class APIConnectionError(APIError):
    """No usable HTTP answer: refused, DNS, TLS, reset, or cut mid-response.

    ``kind`` names the root cause: ``refused``, ``dns``, ``tls``, ``reset``,
    ``incomplete`` or ``other``.
    """

    def __init__(self, message: str, *, kind: str = "other", **extra: Any) -> None:
        super().__init__(message, **extra)
        self.kind = kind


class APITimeoutError(APIConnectionError, TimeoutError):
    """A deadline fired. ``kind`` says which: ``connect``, ``read``, ``total``,
    ``stream_idle`` or ``stream_total``; ``after`` is the deadline in seconds."""

    def __init__(self, message: str, *, kind: str = "read", after: float | None = None, **extra: Any) -> None:
        super().__init__(message, kind=kind, **extra)
        self.after = after


class APIResponseValidationError(APIError):
    """The server answered 2xx with something that is not what the API promises."""


class StreamError(APIError):
    """The server reported an error inside a streaming response (HTTP 200)."""
