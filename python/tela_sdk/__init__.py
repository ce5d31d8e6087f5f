"""tela-sdk: a fast Python SDK for Tela canvases (and Dify apps), with a Rust core.

from tela_sdk import Client
client = Client()                     # TELA_API_KEY / TELA_BASE_URL
out = client.completions.create(canvas_id="...", variables={"document": "..."})
print(out.content)
"""

from ._client import AsyncClient, Client
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
    InternalServerError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    StreamError,
    TelaError,
    UnprocessableEntityError,
)
from ._native import __version__
from ._streaming import AsyncStream, FinalMessage, Stream
from ._timeout import Timeout
from .types import Completion, CompletionChunk

__all__ = [
    "__version__",
    "Client",
    "AsyncClient",
    "Timeout",
    "Completion",
    "CompletionChunk",
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
]
