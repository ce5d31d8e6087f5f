# Stub of the native module (src/). Checked against the built module by mypy.stubtest.
from collections.abc import Awaitable
from typing import Any, Final, Literal, final

__all__ = ["NativeClient", "NativeEmulator", "NativeFile", "NativeStream", "_shutdown", "__version__"]

__version__: Final[str]

def _shutdown() -> None: ...

_Timeout = float | dict[str, float | None] | None

@final
class NativeClient:
    def __new__(
        cls,
        api: str,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: _Timeout = None,
        max_retries: int | None = None,
        default_headers: dict[str, str] | None = None,
        proxy: str | None = None,
        ca_bundle: str | None = None,
        upload: str | None = None,
    ) -> NativeClient: ...
    def with_options(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: _Timeout = None,
        max_retries: int | None = None,
        default_headers: dict[str, str] | None = None,
        proxy: str | None = None,
        ca_bundle: str | None = None,
        upload: str | None = None,
    ) -> NativeClient: ...
    def shares_pool_with(self, other: NativeClient) -> bool: ...
    @property
    def base_url(self) -> str: ...
    @property
    def max_retries(self) -> int: ...
    @property
    def upload(self) -> str: ...
    @property
    def timeout(self) -> dict[str, float | None]: ...
    @property
    def api_key_hint(self) -> str: ...
    @property
    def default_headers(self) -> list[tuple[str, str]]: ...
    def call(
        self,
        op: str,
        body: dict[str, Any],
        *,
        extra_body: Any = None,
        extra_headers: Any = None,
        extra_query: Any = None,
        timeout: _Timeout = None,
        max_retries: int | None = None,
    ) -> tuple[Any, str | None]: ...
    def acall(
        self,
        op: str,
        body: dict[str, Any],
        *,
        extra_body: Any = None,
        extra_headers: Any = None,
        extra_query: Any = None,
        timeout: _Timeout = None,
        max_retries: int | None = None,
    ) -> Awaitable[tuple[Any, str | None]]: ...
    def stream(
        self,
        op: str,
        body: dict[str, Any],
        *,
        extra_body: Any = None,
        extra_headers: Any = None,
        extra_query: Any = None,
        timeout: _Timeout = None,
        max_retries: int | None = None,
    ) -> NativeStream: ...
    def astream(
        self,
        op: str,
        body: dict[str, Any],
        *,
        extra_body: Any = None,
        extra_headers: Any = None,
        extra_query: Any = None,
        timeout: _Timeout = None,
        max_retries: int | None = None,
    ) -> Awaitable[NativeStream]: ...

@final
class NativeStream:
    def next_batch(self) -> list[Any] | None: ...
    def poll_batch(self) -> list[Any] | Literal[False] | None: ...
    def anext_batch(self) -> Awaitable[list[Any] | None]: ...
    def close(self) -> None: ...
    @property
    def request_id(self) -> str | None: ...
    @property
    def closed(self) -> bool: ...

@final
class NativeEmulator:
    def __new__(cls, api_keys: list[str], port: int = 0) -> NativeEmulator: ...
    @property
    def base_url(self) -> str: ...
    @property
    def port(self) -> int: ...
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
class NativeFile:
    @staticmethod
    def from_str(
        value: str,
        *,
        name: str | None = None,
        mime_type: str | None = None,
        range: tuple[int, int] | None = None,
        parser_type: str | None = None,
        upload: str | None = None,
    ) -> NativeFile: ...
    @staticmethod
    def from_path(
        path: str,
        *,
        name: str | None = None,
        mime_type: str | None = None,
        range: tuple[int, int] | None = None,
        parser_type: str | None = None,
        upload: str | None = None,
    ) -> NativeFile: ...
    @staticmethod
    def from_spooled(
        path: str,
        *,
        name: str | None = None,
        mime_type: str | None = None,
        range: tuple[int, int] | None = None,
        parser_type: str | None = None,
        upload: str | None = None,
    ) -> NativeFile: ...
    @staticmethod
    def from_bytes(
        data: bytes | bytearray,
        *,
        name: str | None = None,
        mime_type: str | None = None,
        range: tuple[int, int] | None = None,
        parser_type: str | None = None,
        upload: str | None = None,
    ) -> NativeFile: ...
    @property
    def kind(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def mime_type(self) -> str | None: ...
    @property
    def size(self) -> int | None: ...
    @property
    def url(self) -> str | None: ...
    @property
    def path(self) -> str | None: ...
    @property
    def range(self) -> tuple[int, int] | None: ...
    @property
    def parser_type(self) -> str | None: ...
    @property
    def upload(self) -> str | None: ...
    def data_url(self) -> bytes: ...
