"""The exception hierarchy. Every error the SDK raises is a ``TelaError``.

``APIError`` carries what the server said (``status_code``, ``code``, ``message``, ``body``,
``request_id``); the status classes are picked by HTTP status, never by body text.
Raised by the native core through these classes, so ``except`` clauses match exactly.
"""

from __future__ import annotations

from ._typing_lite import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

    from .types import BaseRun, BaseTask

__all__ = [
    "TelaError",
    "ConfigurationError",
    "InvalidRequestError",
    "APIError",
    "APIStatusError",
    "BadRequestError",
    "UsageLimitError",
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
    "RedirectError",
    "InsecureTransportWarning",
    "TelaWarning",
    "StreamError",
    "FileUploadError",
    "RunFailedError",
    "RunTimeoutError",
    "TaskFailedError",
    "RunNotFinishedError",
    "BatchOutputError",
    "CassetteError",
    "NetworkBlockedError",
    "WebhookError",
    "ParseError",
]


class TelaError(Exception):
    """Base class of every error raised by tela_sdk."""

    def __init__(self, message: str, **_: Any) -> None:
        super().__init__(message)
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        # The default re-calls ``cls(*args)``, which fails for classes with required keywords
        # (``RunFailedError(run=...)``); rebuild from the attributes instead, so errors cross
        # into multiprocessing, Dask and Ray workers intact.
        return (_restore, (type(self), self.args, self.__dict__))


class ConfigurationError(TelaError, ValueError):
    """The client cannot be built as asked (missing API key, bad base URL, ...)."""


class InvalidRequestError(TelaError, ValueError, TypeError):
    """The call's arguments are wrong (a missing or bad argument, or a value that cannot be
    sent: NaN, a set, a non-str key, nesting too deep). Raised before anything is sent.

    Also a ``ValueError`` and a ``TypeError``, so ``except TypeError`` code written for
    earlier versions keeps working."""


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


class UsageLimitError(APIStatusError):
    """HTTP 402: the workspace reached its monthly usage limit (raise it in Tela, or wait for
    the next period). Not retried."""


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


class RedirectError(APIError):
    """The server redirected to another origin. Not followed: it would send the request body,
    your headers and the idempotency key there. ``location`` is the target (password masked),
    ``status_code`` the redirect status; to use that server, point ``base_url`` at it."""

    def __init__(self, message: str, *, location: str | None = None, **extra: Any) -> None:
        super().__init__(message, **extra)
        self.location = location


class TelaWarning(UserWarning):
    """Base of the SDK's warnings: something works, but likely not as you meant. Silence
    them all with ``warnings.filterwarnings("ignore", category=tela_sdk.TelaWarning)``."""


class InsecureTransportWarning(TelaWarning):
    """The API key is about to be sent over plain ``http://`` to a host that is not loopback."""


class StreamError(APIError):
    """The server reported an error inside a streaming response (HTTP 200)."""


class FileUploadError(APIError):
    """Uploading a file to the vault failed; the request that needed it was not sent.

    ``stage`` says which step failed (``"POST /v3/files"`` or ``"PUT to the upload URL"``),
    ``file_name`` which file; ``status_code``/``code``/``body``/``request_id`` come from the
    failed HTTP answer, ``kind`` names a connection failure or timeout (else None)."""

    def __init__(
        self,
        message: str,
        *,
        file_name: str | None = None,
        stage: str | None = None,
        kind: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message, **extra)
        self.file_name = file_name
        self.stage = stage
        self.kind = kind


class RunFailedError(APIError):
    """An async run ended with ``status: "failed"``. The HTTP calls succeeded (Tela reports
    run failures in the run, not as HTTP errors); ``run`` is the failed run, ``code`` its
    error code when the run carries one."""

    def __init__(self, message: str, *, run: BaseRun, **extra: Any) -> None:
        super().__init__(message, **extra)
        self.run = run


class TaskFailedError(APIError):
    """A Workstation task ended with ``status: "failed"`` (the HTTP calls succeeded); ``task``
    is the failed task, ``code`` its error code when it carries one."""

    def __init__(self, message: str, *, task: BaseTask, **extra: Any) -> None:
        super().__init__(message, **extra)
        self.task = task


class RunTimeoutError(APITimeoutError):
    """``wait()`` reached its deadline before the run finished (``kind`` is ``"wait"``).

    ``run`` is the last Run seen (None when no poll succeeded), ``last_status`` its status;
    the run goes on: wait again, or ``completions.retrieve(run_id)`` later."""

    def __init__(
        self, message: str, *, run_id: str | None = None, last_status: str | None = None, **extra: Any
    ) -> None:
        super().__init__(message, **extra)
        self.run_id = run_id
        self.last_status = last_status
        self.run: BaseRun | None = None


class RunNotFinishedError(TelaError):
    """The run has no result yet (it is ``created`` or ``running``): ``wait()`` for it first."""


class BatchOutputError(TelaError, OSError):
    """``batch()`` could not write its ``output`` file (missing folder, no permission, disk
    full). ``path`` is the file, ``written`` how many results this run wrote to it (each a
    whole line), ``results`` every result known when the batch stopped (in input order, the
    unwritten ones too), and ``errno`` the operating system's error number. Also an
    ``OSError``. Fix the cause and run again with ``resume=True``: what is in the file is kept."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        written: int = 0,
        results: list[Any] | None = None,
        errno: int | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message, **extra)
        self.path = path
        self.written = written
        self.results = [] if results is None else results
        self.errno = errno  # strerror stays None, so str() is the message above

    def __reduce__(self) -> tuple[Any, ...]:
        # ``errno`` is an OSError slot, not in ``__dict__``: carry it across pickling too.
        return (_restore_os_error, (type(self), self.args, self.__dict__, self.errno))


class CassetteError(TelaError):
    """A cassette (``tela_sdk.testing.cassette``) refused a request: in replay nothing recorded
    matches it (the message names the nearest recorded request and how it differs), or the
    cassette file cannot be read. Nothing was sent."""


class NetworkBlockedError(CassetteError):
    """A cassette with ``block_network=True`` stopped a request that would have left the
    machine (any host but localhost). Nothing was sent."""


class WebhookError(TelaError, ValueError):
    """A webhook request is not a Tela run or completion payload (bad JSON, unknown shape,
    or an ``x-completion-run-id`` header that does not match the body)."""


class ParseError(TelaError, ValueError):
    """``parse(Model)`` could not turn the content into ``Model``: it is not JSON, or a field
    is missing or of the wrong type. ``field`` is the dotted path of the first bad field
    (None when the whole value is wrong), ``target`` the type's name, ``content`` the value
    that was checked."""

    def __init__(
        self, message: str, *, field: str | None = None, target: str | None = None, content: Any = None, **extra: Any
    ) -> None:
        super().__init__(message, **extra)
        self.field = field
        self.target = target
        self.content = content


def _restore(cls: type[TelaError], args: tuple[Any, ...], state: dict[str, Any]) -> TelaError:
    err = cls.__new__(cls)
    err.args = args
    err.__dict__.update(state)
    return err


def _restore_os_error(
    cls: type[TelaError], args: tuple[Any, ...], state: dict[str, Any], errno: int | None
) -> TelaError:
    err = _restore(cls, args, state)
    if isinstance(err, OSError):
        err.errno = errno
    return err


# Tracebacks and reprs name the public path (``tela_sdk.NotFoundError``), which is also where
# pickle finds the classes: every one is exported from ``tela_sdk``.
for _name in __all__:
    globals()[_name].__module__ = "tela_sdk"
del _name
