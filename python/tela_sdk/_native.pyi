# Stub of the native module (src/). Checked against the built module by mypy.stubtest.
from collections.abc import Awaitable, Callable
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, final, overload

from typing_extensions import Self, disjoint_base

from tela_sdk._operations import Operation

if TYPE_CHECKING:
    from .types import ChunkMessage, FunctionCall

__all__ = [
    "OPERATIONS",
    "ChunkChoice",
    "ChunkModel",
    "CompletionChunk",
    "Delta",
    "NativeClient",
    "NativeEmulator",
    "NativeFile",
    "NativeStream",
    "NativeTrace",
    "_cassette_begin",
    "_cassette_end",
    "_next_reply",
    "_shutdown",
    "__version__",
]

__version__: Final[str]
# Every operation the core runs (crates/tela-core/src/{tela,dify}/ops.rs).
OPERATIONS: Final[tuple[Operation, ...]]

def _shutdown() -> None: ...
def _cassette_begin(options: str, tape: str | None = None) -> None: ...
def _cassette_end() -> str | None: ...

@final
class NativeClient:
    # settings: a ClientSettings dict of the given settings, a Timeout as its as_dict().
    def __new__(cls, api: str, settings: dict[str, Any]) -> NativeClient: ...
    def with_options(self, settings: dict[str, Any]) -> NativeClient: ...
    def shares_pool_with(self, other: NativeClient) -> bool: ...
    def usage(self) -> str: ...
    def reset_usage(self) -> None: ...
    def close(self) -> None: ...
    base_url: Final[str]
    sends_key_in_clear: Final[bool]
    max_event_bytes: Final[int]
    max_retries: Final[int]
    upload: Final[str]
    timeout: Final[dict[str, float | None]]
    api_key_hint: Final[str]
    @overload
    def call(
        self, op: Operation, body: dict[str, Any], *, raw: Literal[False] = False, **options: Any
    ) -> tuple[Any, str | None]: ...
    @overload
    def call(
        self, op: Operation, body: dict[str, Any], *, raw: Literal[True], **options: Any
    ) -> tuple[Any, str | None, tuple[int, dict[str, str]]]: ...
    @overload
    def acall(
        self, op: Operation, body: dict[str, Any], *, raw: Literal[False] = False, **options: Any
    ) -> Awaitable[tuple[Any, str | None]]: ...
    @overload
    def acall(
        self, op: Operation, body: dict[str, Any], *, raw: Literal[True], **options: Any
    ) -> Awaitable[tuple[Any, str | None, tuple[int, dict[str, str]]]]: ...
    def stream(self, op: Operation, body: dict[str, Any], **options: Any) -> NativeStream: ...
    def astream(self, op: Operation, body: dict[str, Any], **options: Any) -> Awaitable[NativeStream]: ...

@final
class NativeStream:
    def next_batch(self) -> list[Any] | None: ...
    def poll_batch(self) -> list[Any] | Literal[False] | None: ...
    def anext_batch(self) -> Awaitable[list[Any] | None]: ...
    def wait_batch(self) -> Awaitable[None]: ...
    def close(self) -> None: ...
    @overload
    def tally(self, field: None = None) -> dict[str, Any]: ...
    @overload
    def tally(self, field: str) -> Any: ...
    request_id: Final[str | None]

@disjoint_base
class ChunkModel:
    """Base of the native stream chunk types: a read-only view of one JSON object. Fields
    the server adds later read as attributes at run time; type checkers see only the
    documented ones (others through ``get()`` or ``to_dict()``), so a typo is a type error."""

    def __getitem__(self, key: str, /) -> Any: ...
    def get(self, key: str, default: Any = None) -> Any: ...
    def to_dict(self) -> dict[str, Any]: ...
    def to_json(self, *, indent: int | None = 2) -> str: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...
    def __reduce__(self) -> tuple[Any, ...]: ...

@final
class Delta(ChunkModel):
    def __new__(cls, data: dict[str, Any]) -> Self: ...
    role: Final[str | None]
    content: Final[str | None]
    function_call: Final[FunctionCall | None]

@final
class ChunkChoice(ChunkModel):
    def __new__(cls, data: dict[str, Any]) -> Self: ...
    index: Final[int | None]
    delta: Final[Delta]
    finish_reason: Final[str | None]

@final
class CompletionChunk(ChunkModel):
    """One streamed chunk (``chat.completion.chunk``)."""

    def __new__(cls, data: dict[str, Any]) -> Self: ...
    id: Final[str | None]
    object: Final[str | None]
    created: Final[int | None]
    model: Final[str | None]
    choices: Final[list[ChunkChoice]]
    message: Final[ChunkMessage | None]
    text: Final[str | None]
    finish_reason: Final[str | None]

def _next_reply() -> tuple[Callable[[dict[str, Any]], Any], dict[str, Any], Callable[[Any, str | None], None]]: ...

@final
class NativeEmulator:
    def __new__(
        cls, api_keys: list[str], port: int = 0, allow_missing_variables: bool = False, strict: bool = False
    ) -> NativeEmulator: ...
    base_url: Final[str]
    port: Final[int]
    def add_canvas(self, spec: dict[str, Any], reply: Any = None) -> dict[str, Any]: ...
    def add_dify_app(self, spec: dict[str, Any], answer: Any = None) -> dict[str, Any]: ...
    def dify_uploads(self) -> list[dict[str, Any]]: ...
    def dify_feedbacks(self) -> list[dict[str, Any]]: ...
    def add_fault(self, fault: dict[str, Any]) -> None: ...
    def clear_faults(self) -> None: ...
    def requests(self) -> list[dict[str, Any]]: ...
    def clear_requests(self) -> None: ...
    def add_file(
        self, content: bytes, *, id: str | None = None, name: str | None = None, mime_type: str | None = None
    ) -> dict[str, Any]: ...
    def files(self) -> list[dict[str, Any]]: ...
    def webhook_deliveries(self) -> list[dict[str, Any]]: ...
    def clear_webhook_deliveries(self) -> None: ...
    def close(self) -> None: ...

@final
class NativeTrace:
    """A call's transport record, filled by the core while the call runs (``trace=`` option)."""

    def __new__(cls) -> NativeTrace: ...
    def attempts(self, since: int = 0) -> list[dict[str, Any]]: ...
    @property
    def first_chunk_ns(self) -> int | None: ...
    @property
    def last_chunk_ns(self) -> int | None: ...
    @property
    def events(self) -> int: ...

@final
class NativeFile:
    def __new__(
        cls,
        source: str | PathLike[str] | bytes | bytearray,
        *,
        stream: bool = False,
        name: str | None = None,
        mime_type: str | None = None,
        range: tuple[int, int] | None = None,
        parser_type: str | None = None,
        upload: str | None = None,
    ) -> NativeFile: ...
    kind: Final[str]
    named: Final[bool]
    name: Final[str | None]
    mime_type: Final[str | None]
    size: Final[int | None]
    url: Final[str | None]
    path: Final[Path | None]
    range: Final[tuple[int, int] | None]
    parser_type: Final[str | None]
    upload: Final[str | None]
    def data_url(self) -> str: ...
