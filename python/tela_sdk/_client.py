"""``Client`` and ``AsyncClient``: one native core, two faces."""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from types import TracebackType
from typing import Any

from ._completions import AsyncCompletions, Completions
from ._exceptions import TelaError
from ._native import NativeClient
from ._timeout import TimeoutTypes, timeout_arg

__all__ = ["Client", "AsyncClient"]


class _BaseClient:
    _api = "tela"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
        proxy: str | None = None,
        ca_bundle: str | PathLike[str] | None = None,
    ) -> None:
        self._native = NativeClient(
            self._api,
            api_key,
            base_url,
            timeout_arg(timeout),
            max_retries,
            dict(default_headers) if default_headers else None,
            proxy,
            None if ca_bundle is None else str(ca_bundle),
        )
        self._closed = False
        self._setup()

    def _setup(self) -> None:
        raise NotImplementedError

    @classmethod
    def _wrap(cls, native: NativeClient) -> Any:
        obj = cls.__new__(cls)
        obj._native = native
        obj._closed = False
        obj._setup()
        return obj

    def _live(self) -> NativeClient:
        if self._closed:
            raise TelaError(
                f"this {type(self).__name__} is closed; create a new one (or use with_options before closing)"
            )
        return self._native

    @property
    def base_url(self) -> str:
        return self._native.base_url

    @property
    def max_retries(self) -> int:
        return self._native.max_retries

    @property
    def timeout(self) -> dict[str, float | None]:
        """The resolved deadlines in seconds (None = no limit)."""
        return self._native.timeout

    def with_options(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
        proxy: str | None = None,
        ca_bundle: str | PathLike[str] | None = None,
    ) -> Any:
        """A copy with some settings changed, sharing this client's connection pool (a new
        pool only when ``proxy``, ``ca_bundle`` or the connect timeout change)."""
        native = self._live().with_options(
            api_key,
            base_url,
            timeout_arg(timeout),
            max_retries,
            dict(default_headers) if default_headers else None,
            proxy,
            None if ca_bundle is None else str(ca_bundle),
        )
        return type(self)._wrap(native)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, api_key={self._native.api_key_hint!r}, "
            f"max_retries={self.max_retries})"
        )

    def __getstate__(self) -> dict[str, Any]:
        raise TypeError(
            f"{type(self).__name__} holds a connection pool and a secret and is not pickled; "
            "create the client in the worker process instead"
        )


class Client(_BaseClient):
    """The synchronous Tela client. Thread-safe: share one across threads.

    Reads ``TELA_API_KEY`` and ``TELA_BASE_URL`` when ``api_key``/``base_url`` are not given.
    """

    completions: Completions

    def _setup(self) -> None:
        self.completions = Completions(self)

    def with_options(self, **changes: Any) -> Client:
        new: Client = super().with_options(**changes)
        return new

    def close(self) -> None:
        """Stops this client from making calls; its pool closes once no copy uses it."""
        self._closed = True

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncClient(_BaseClient):
    """The asyncio Tela client: every call is awaited on the caller's event loop."""

    completions: AsyncCompletions

    def _setup(self) -> None:
        self.completions = AsyncCompletions(self)

    def with_options(self, **changes: Any) -> AsyncClient:
        new: AsyncClient = super().with_options(**changes)
        return new

    async def close(self) -> None:
        """Stops this client from making calls; its pool closes once no copy uses it."""
        self._closed = True

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
