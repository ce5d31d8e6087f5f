"""tela-sdk: a fast Python SDK for Tela canvases (and Dify apps), with a Rust core.

from tela_sdk import Client
client = Client()                     # TELA_API_KEY / TELA_BASE_URL
out = client.completions.create(canvas_id="...", variables={"document": "..."})
print(out.content)
"""

from __future__ import annotations

from ._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BatchOutputError,
    CassetteError,
    ConfigurationError,
    ConflictError,
    FileUploadError,
    InsecureTransportWarning,
    InternalServerError,
    InvalidRequestError,
    NetworkBlockedError,
    NotFoundError,
    ParseError,
    PermissionDeniedError,
    RateLimitError,
    RedirectError,
    RunFailedError,
    RunNotFinishedError,
    RunTimeoutError,
    StreamError,
    TaskFailedError,
    TelaError,
    TelaWarning,
    UnprocessableEntityError,
    UsageLimitError,
    WebhookError,
)
from ._files import File, FileInfo, UploadedFile
from ._logs import setup_from_env as _setup_logging_from_env
from ._native import __version__
from ._raw import RawResponse
from ._tela.client import AsyncClient, Client
from ._tela.runs import AsyncRunPage, RunPage
from ._tela.streaming import AsyncStream, FinalMessage, Stream
from ._tela.tasks import AsyncTaskPage, TaskPage
from ._timeout import Timeout
from ._typing_lite import TYPE_CHECKING
from .types import AsyncRun, AsyncTask, Completion, CompletionChunk, Run, Task

if TYPE_CHECKING:
    from typing import Any

    from . import webhooks
    from ._batch import BatchResult
    from ._dify.client import AsyncDifyClient, DifyClient
    from ._dify.streaming import AsyncDifyStream, DifyFinal, DifyStream

#: Loaded on first use (PEP 562), so `import tela_sdk` does not pay for the Dify client, batch
#: runs or webhooks (about a third of the import time) in programs that use only Tela calls.
_LAZY = {
    "webhooks": (".webhooks", None),
    "BatchResult": ("._batch", "BatchResult"),
    "DifyClient": ("._dify.client", "DifyClient"),
    "AsyncDifyClient": ("._dify.client", "AsyncDifyClient"),
    "DifyStream": ("._dify.streaming", "DifyStream"),
    "AsyncDifyStream": ("._dify.streaming", "AsyncDifyStream"),
    "DifyFinal": ("._dify.streaming", "DifyFinal"),
}


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'tela_sdk' has no attribute {name!r}") from None
    import importlib

    module = importlib.import_module(module_name, __name__)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "__version__",
    "Client",
    "BatchResult",
    "AsyncClient",
    "DifyClient",
    "AsyncDifyClient",
    "DifyStream",
    "AsyncDifyStream",
    "DifyFinal",
    "Timeout",
    "File",
    "UploadedFile",
    "FileInfo",
    "FileUploadError",
    "Completion",
    "CompletionChunk",
    "Run",
    "AsyncRun",
    "Task",
    "AsyncTask",
    "RunPage",
    "AsyncRunPage",
    "TaskPage",
    "AsyncTaskPage",
    "webhooks",
    "RunFailedError",
    "TaskFailedError",
    "RunTimeoutError",
    "RunNotFinishedError",
    "BatchOutputError",
    "WebhookError",
    "CassetteError",
    "NetworkBlockedError",
    "RedirectError",
    "InsecureTransportWarning",
    "TelaWarning",
    "Stream",
    "AsyncStream",
    "FinalMessage",
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
    "StreamError",
    "ParseError",
    "RawResponse",
]

_setup_logging_from_env()
