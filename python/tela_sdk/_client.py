"""``Client`` and ``AsyncClient``: one native core, two faces."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Mapping
from os import PathLike
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any

from ._completions import AsyncCompletions, Completions
from ._exceptions import InsecureTransportWarning, TelaError
from ._files import File, FileInput, UploadMode
from ._native import NativeClient
from ._timeout import TimeoutTypes, timeout_arg
from ._uploads import AsyncFiles, Files

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["Client", "AsyncClient"]


_warned_clear: set[str] = set()


def _warn_if_key_in_clear(native: NativeClient) -> None:
    """Warns once per process and base URL when the key would cross the network unencrypted
    (plain http:// to a host that is not loopback); the core decides, this face warns."""
    if not native.sends_key_in_clear:
        return
    url = native.base_url
    if url in _warned_clear:
        return
    _warned_clear.add(url)
    # Point the warning at the user's line, however deep in tela_sdk the client was made.
    level = 2
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").startswith("tela_sdk"):
        level, frame = level + 1, frame.f_back
    warnings.warn(
        f"base_url {url} is plain http:// to a host that is not loopback: the API key is sent unencrypted. "
        "Use https:// unless this network is trusted.",
        InsecureTransportWarning,
        stacklevel=level,
    )


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
        upload: UploadMode | None = None,
        max_event_bytes: int | None = None,
        trust_env: bool = True,
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
            upload=upload,
            max_event_bytes=max_event_bytes,
            trust_env=trust_env,
        )
        self._config = _given(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            proxy=proxy,
            ca_bundle=ca_bundle,
            upload=upload,
            max_event_bytes=max_event_bytes,
            trust_env=trust_env,
        )
        self._closed = False
        _warn_if_key_in_clear(self._native)
        self._setup()

    def _setup(self) -> None:
        raise NotImplementedError

    @classmethod
    def _wrap(cls, native: NativeClient, config: dict[str, Any] | None = None) -> Self:
        obj = cls.__new__(cls)
        obj._native = native
        obj._config = config if config is not None else {}
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
    def max_event_bytes(self) -> int:
        """The cap on one streamed event in bytes (default 128 MiB): a larger one raises
        ``APIResponseValidationError`` instead of growing memory without bound."""
        return self._native.max_event_bytes

    @property
    def max_retries(self) -> int:
        return self._native.max_retries

    @property
    def timeout(self) -> dict[str, float | None]:
        """The resolved deadlines in seconds (None = no limit)."""
        return self._native.timeout

    @property
    def upload(self) -> str:
        """How local files are delivered unless a ``File`` says otherwise: ``"auto"`` (inline
        up to 4 MiB, upload above), ``"inline"`` or ``"vault"``."""
        return self._native.upload

    def file(
        self,
        source: FileInput,
        *,
        name: str | None = None,
        mime_type: str | None = None,
        range: tuple[int, int] | None = None,
        parser_type: str | None = None,
        upload: UploadMode | None = None,
    ) -> File:
        """``tela_sdk.File(...)``, for code that only holds the client."""
        return File(source, name=name, mime_type=mime_type, range=range, parser_type=parser_type, upload=upload)

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
        upload: UploadMode | None = None,
        max_event_bytes: int | None = None,
        trust_env: bool | None = None,
    ) -> Self:
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
            upload=upload,
            max_event_bytes=max_event_bytes,
            trust_env=trust_env,
        )
        _warn_if_key_in_clear(native)
        config = {
            **self._config,
            **_given(
                api_key=api_key,
                base_url=base_url,
                timeout=timeout,
                max_retries=max_retries,
                default_headers=default_headers,
                proxy=proxy,
                ca_bundle=ca_bundle,
                upload=upload,
                max_event_bytes=max_event_bytes,
                trust_env=trust_env,
            ),
        }
        return type(self)._wrap(native, config)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, api_key={self._native.api_key_hint!r}, "
            f"max_retries={self.max_retries})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Configuration only: the worker builds its own pool. What came from the
        # environment is read again from the worker's environment; an explicit api_key
        # travels inside the pickle (treat the pickle as a secret, or use the environment).
        return (_rebuild, (type(self), dict(self._config)))


def _given(**options: Any) -> dict[str, Any]:
    """The settings a client was built with (None: not given), as plain picklable values."""
    out = {k: v for k, v in options.items() if v is not None}
    if "default_headers" in out:
        out["default_headers"] = dict(out["default_headers"])
    if "ca_bundle" in out:
        out["ca_bundle"] = str(out["ca_bundle"])
    return out


def _rebuild(cls: type[_BaseClient], config: dict[str, Any]) -> _BaseClient:
    return cls(**config)


class _SyncClient(_BaseClient):
    """``close()`` and ``with`` for the blocking clients (Tela and Dify)."""

    def close(self) -> None:
        """Stops this client from making calls; its pool closes once no copy uses it."""
        self._closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class _AsyncClient(_BaseClient):
    """``close()`` and ``async with`` for the asyncio clients (Tela and Dify)."""

    async def close(self) -> None:
        """Stops this client from making calls; its pool closes once no copy uses it."""
        self._closed = True

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


class Client(_SyncClient):
    """The synchronous Tela client. Thread-safe: share one across threads.

    Reads ``TELA_API_KEY`` and ``TELA_BASE_URL`` when ``api_key``/``base_url`` are not given.
    """

    completions: Completions
    files: Files

    def _setup(self) -> None:
        self.completions = Completions(self)
        self.files = Files(self)


class AsyncClient(_AsyncClient):
    """The asyncio Tela client: every call is awaited on the caller's event loop."""

    completions: AsyncCompletions
    files: AsyncFiles

    def _setup(self) -> None:
        self.completions = AsyncCompletions(self)
        self.files = AsyncFiles(self)
