# Stub of the native module (src/). Checked against the built module by mypy.stubtest.
from collections.abc import Awaitable
from typing import Any, Final, final

__all__ = ["NativeClient", "NativeEmulator", "NativeStream", "_shutdown", "__version__"]

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
    ) -> NativeClient: ...
    def shares_pool_with(self, other: NativeClient) -> bool: ...
    @property
    def base_url(self) -> str: ...
    @property
    def max_retries(self) -> int: ...
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
    def add_fault(self, fault: dict[str, Any]) -> None: ...
    def clear_faults(self) -> None: ...
    def requests(self) -> list[dict[str, Any]]: ...
    def clear_requests(self) -> None: ...
    def close(self) -> None: ...
