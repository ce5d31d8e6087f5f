"""tela-sdk: a fast Python SDK for Tela canvases (and Dify apps), with a Rust core.

from tela_sdk import Client
client = Client()                     # TELA_API_KEY / TELA_BASE_URL
out = client.completions.create(canvas_id="...", variables={"document": "..."})
print(out.content)
"""

from . import webhooks
from ._batch import BatchResult
from ._dify.client import AsyncDifyClient, DifyClient
from ._dify.streaming import AsyncDifyStream, DifyFinal, DifyStream
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    FileUploadError,
    InsecureTransportWarning,
    InternalServerError,
    InvalidRequestError,
    NotFoundError,
    ParseError,
    PermissionDeniedError,
    RateLimitError,
    RedirectError,
    RunFailedError,
    RunNotFinishedError,
    RunTimeoutError,
    StreamError,
    TelaError,
    UnprocessableEntityError,
    WebhookError,
)
from ._files import File, FileInfo, UploadedFile
from ._logs import setup_from_env as _setup_logging_from_env
from ._native import __version__
from ._raw import RawResponse
from ._tela.client import AsyncClient, Client
from ._tela.runs import AsyncRunPage, RunPage
from ._tela.streaming import AsyncStream, FinalMessage, Stream
from ._timeout import Timeout
from .types import AsyncRun, Completion, CompletionChunk, Run

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
    "RunPage",
    "AsyncRunPage",
    "webhooks",
    "RunFailedError",
    "RunTimeoutError",
    "RunNotFinishedError",
    "WebhookError",
    "RedirectError",
    "InsecureTransportWarning",
    "Stream",
    "AsyncStream",
    "FinalMessage",
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
    "ParseError",
    "RawResponse",
]

_setup_logging_from_env()
