"""What every API's client shares: the client bases, the resource base, the ``NOT_GIVEN``
sentinel and the per-call ``RequestOptions``. One native core, two faces (sync, asyncio)."""

from __future__ import annotations

import sys
from contextvars import ContextVar

from . import _docs
from ._closing import Closing
from ._exceptions import InsecureTransportWarning, InvalidRequestError, TelaError
from ._files import File
from ._native import NativeClient, NativeStream
from ._sentinel import NOT_GIVEN, NotGiven
from ._timeout import timeout_arg
from ._typing_lite import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Mapping
    from os import PathLike
    from types import FrameType, TracebackType
    from typing import Any, Final

    from typing_extensions import Self, Unpack

    from ._files import UploadMode
    from ._operations import Operation
    from ._timeout import TimeoutTypes
    from ._usage import Usage

__all__ = [
    "NOT_GIVEN",
    "ClientSettings",
    "CommonSettings",
    "NotGiven",
    "RequestOptions",
    "given",
    "native_options",
    "record_raw",
    "split_params",
]


class CommonSettings(TypedDict, total=False):
    """The settings every client takes (``Client``, ``DifyClient`` and their async twins), in
    its constructor and ``with_options``. Not given (or None): the environment, then the
    default. The names are checked here, the values by the core."""

    api_key: str | None
    base_url: str | None
    timeout: TimeoutTypes
    max_retries: int | None
    default_headers: Mapping[str, str] | None
    proxy: str | None
    ca_bundle: str | PathLike[str] | None
    max_event_bytes: int | None
    trust_env: bool | None


class ClientSettings(CommonSettings, total=False):
    """The settings of the Tela ``Client``: those of every client, how files are sent, and
    whether runs check their variables first."""

    upload: UploadMode | None
    check_variables: bool | None


class RequestOptions(TypedDict, total=False):
    """What every call takes besides its own arguments (``**options: Unpack[RequestOptions]``);
    the core applies them the same way to every operation."""

    #: Headers added to (or replacing) the client's for this call.
    extra_headers: Mapping[str, str] | None
    #: Query parameters added to the URL.
    extra_query: Mapping[str, str] | None
    #: Fields merged into the JSON body (or the multipart form of an upload).
    extra_body: Mapping[str, Any] | None
    #: Seconds, or a ``Timeout``, for this call only.
    timeout: TimeoutTypes
    #: Retries for this call only.
    max_retries: int | None


#: The names ``RequestOptions`` allows (also what batch items may carry besides arguments).
OPTION_NAMES: Final = frozenset(RequestOptions.__optional_keys__)


def native_options(options: Mapping[str, Any], where: str = "this call") -> dict[str, Any]:
    """``RequestOptions`` as the core's keyword arguments; an unknown name is a TypeError, as a
    misspelt keyword argument would be."""
    for name in options:
        if name not in OPTION_NAMES:
            raise TypeError(f"{where} got an unexpected keyword argument {name!r}")
    out = dict(options)
    if "timeout" in out:
        out["timeout"] = timeout_arg(out["timeout"])
    return out


def split_params(params: Mapping[str, Any], args: frozenset[str], where: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """``**params`` of a call as the op's arguments (those given) and its ``RequestOptions``;
    an unknown name is a TypeError, as a misspelt keyword argument would be."""
    body: dict[str, Any] = {}
    options: dict[str, Any] | None = None  # most calls give none: no dict built for them
    for name, value in params.items():
        if name in args:
            if value is not None:
                body[name] = value
        elif name in OPTION_NAMES:
            if options is None:
                options = {}
            options[name] = value
        else:
            raise TypeError(f"{where}() got an unexpected keyword argument {name!r}")
    variables = body.get("variables")
    if type(variables) is dict:
        _warn_path_strings(variables)
    return body, options or {}


_warned_paths: set[str] = set()


def _warn_path_strings(variables: dict[str, Any]) -> None:
    """A short one-line string variable that names an existing file is sent as its text:
    likely a mistake (the file was meant), so it is said once per process and variable. Only
    strings that look like paths are looked up on disk; long text never is."""
    for key, value in variables.items():
        if (
            type(value) is not str
            or not 2 < len(value) < 260
            or not ("/" in value or "\\" in value or ("." in value and _has_extension(value)))
            or "\n" in value
            or key in _warned_paths
        ):
            continue
        import os.path  # loaded at interpreter start: no import cost

        if not os.path.isfile(value):
            continue
        _warned_paths.add(key)
        warn_at_user(
            f"variables[{key!r}] is the string {value!r}, which names an existing file: it is sent as that "
            f"text, not as the file. To send the file, pass pathlib.Path({value!r}) or tela_sdk.File({value!r})."
        )


def _has_extension(value: str) -> bool:
    """``report.pdf``: a dot followed by 1 to 5 letters or digits, and no space."""
    dot = value.rfind(".")
    return 0 < dot >= len(value) - 6 and dot < len(value) - 1 and " " not in value and value[dot + 1 :].isalnum()


def warn_at_user(message: str) -> None:
    """A ``TelaWarning`` pointing at the first caller outside tela_sdk (the user's line),
    however deep in the SDK (or the binding, which calls this) it is raised."""
    level = 2
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").startswith("tela_sdk"):
        level, frame = level + 1, frame.f_back
    import warnings  # lazy: only the rare warning needs it

    from ._exceptions import TelaWarning

    warnings.warn(message, TelaWarning, stacklevel=level)


def given(**fields: Any) -> dict[str, Any]:
    """The arguments that were given (None: not given); the rules about them live in the core."""
    return {k: v for k, v in fields.items() if v is not None}


# --- resources -----------------------------------------------------------------------------


class _Resource:
    """A group of calls (``client.completions``, ``dify.files``...) bound to one client.
    Every native call of a face goes through its ``_call`` or ``_stream``: the one route, so
    every call can answer ``with_raw_response`` (and a 404 names what was sent: the core
    writes that)."""

    def __init__(self, client: BaseClient) -> None:
        self._client = client

    def _native(self) -> NativeClient:
        return self._client._live()


#: ``with_raw_response`` sets this around one call to ``RAW_WANTED``; the call's ``_call``
#: then asks the core for the status and headers too and leaves ``(status, headers,
#: request_id)`` here. A context variable: concurrent calls (threads, tasks) never see
#: each other's.
RAW: ContextVar[tuple[int, Mapping[str, str], str | None] | bool] = ContextVar("tela_sdk_raw", default=False)
RAW_WANTED: Final = True


def record_raw(status: int, headers: Mapping[str, str], request_id: str | None) -> None:
    """Leaves one response's status and headers for ``with_raw_response``, if it asked."""
    if RAW.get() is not False:
        RAW.set((status, headers, request_id))


def _raw_result(out: tuple[Any, str | None, tuple[int, Mapping[str, str]]]) -> tuple[Any, str | None]:
    data, request_id, (status, headers) = out
    RAW.set((status, headers, request_id))
    return data, request_id


async def _araw_result(
    out: Awaitable[tuple[Any, str | None, tuple[int, Mapping[str, str]]]],
) -> tuple[Any, str | None]:
    return _raw_result(await out)


def _watched(client: BaseClient) -> bool:
    """Whether a call may be traced or hooked: event hooks or providers were given, or the
    program imported OpenTelemetry. Otherwise calls record nothing (``observability``)."""
    return client._observe is not None or "opentelemetry" in sys.modules


class SyncResource(_Resource):
    """The blocking face: one op in, the core's ``(data, request_id)`` or stream out."""

    # _call and _send are the one route every call takes, so they are kept short: each frame
    # a call passes through costs about a microsecond once the network round trip has pushed
    # the interpreter out of the CPU's caches (benchmarks/README.md).
    def _call(
        self, op: Operation, body: dict[str, Any], options: Mapping[str, Any], **native: Any
    ) -> tuple[Any, str | None]:
        """``native``: binding-only arguments a resource adds (an upload's progress sink)."""
        if _watched(self._client):
            from . import observability

            out: tuple[Any, str | None] = observability.call(self, op, body, options, native)
            return out
        return self._send(op, body, options, native)

    def _send(
        self, op: Operation, body: dict[str, Any], options: Mapping[str, Any], native: dict[str, Any]
    ) -> tuple[Any, str | None]:
        live = self._client._live()
        if options:
            native = {**native_options(options), **native}
        if RAW.get() is False:
            out: tuple[Any, str | None] = live.call(op, body, **native)
            return out
        return _raw_result(live.call(op, body, raw=True, **native))

    def _stream(self, op: Operation, body: dict[str, Any], options: Mapping[str, Any]) -> NativeStream:
        if _watched(self._client):
            from . import observability

            watched: NativeStream = observability.stream(self, op, body, native_options(options))
            return watched
        return self._native().stream(op, body, **native_options(options))


class AsyncResource(_Resource):
    """The asyncio face of the same ops."""

    # Not coroutines: _call hands back the core's own awaitable, so a call's result passes
    # through no coroutine frames of the face between the loop and the caller's await.
    def _call(
        self, op: Operation, body: dict[str, Any], options: Mapping[str, Any], **native: Any
    ) -> Awaitable[tuple[Any, str | None]]:
        if _watched(self._client):
            from . import observability

            watched: Awaitable[tuple[Any, str | None]] = observability.acall(self, op, body, options, native)
            return watched
        return self._send(op, body, options, native)

    def _send(
        self, op: Operation, body: dict[str, Any], options: Mapping[str, Any], native: dict[str, Any]
    ) -> Awaitable[tuple[Any, str | None]]:
        live = self._client._live()
        if options:
            native = {**native_options(options), **native}
        if RAW.get() is False:
            out: Awaitable[tuple[Any, str | None]] = live.acall(op, body, **native)
            return out
        return _araw_result(live.acall(op, body, raw=True, **native))

    async def _stream(self, op: Operation, body: dict[str, Any], options: Mapping[str, Any]) -> NativeStream:
        if _watched(self._client):
            from . import observability

            watched: NativeStream = await observability.astream(self, op, body, native_options(options))
            return watched
        return await self._native().astream(op, body, **native_options(options))


# --- clients -------------------------------------------------------------------------------


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
    import warnings  # lazy: only this rare case warns

    warnings.warn(
        f"base_url {url} is plain http:// to a host that is not loopback: the API key is sent unencrypted. "
        "Use https:// unless this network is trusted.",
        InsecureTransportWarning,
        stacklevel=level,
    )


def _settings(settings: Mapping[str, Any], names: frozenset[str], where: str) -> dict[str, Any]:
    """The settings that were given (None: not given), checked by name as a signature would
    check them, as plain picklable values: the one record the native client and the pickle
    are built from."""
    out: dict[str, Any] = {}
    for name, value in settings.items():
        if name not in names:
            raise TypeError(f"{where}() got an unexpected keyword argument {name!r}")
        if value is not None:
            out[name] = value
    if "default_headers" in out:
        out["default_headers"] = dict(out["default_headers"])
    if "ca_bundle" in out:
        out["ca_bundle"] = str(out["ca_bundle"])
    return out


#: Settings of the Python face only (the core never sees them).
_FACE_SETTINGS: Final = frozenset({"check_variables"})


def _native_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` as ``NativeClient`` takes them: a ``Timeout`` as the dict of its deadlines,
    without the face's own settings."""
    if _FACE_SETTINGS & settings.keys():
        settings = {k: v for k, v in settings.items() if k not in _FACE_SETTINGS}
    if "timeout" in settings:
        return {**settings, "timeout": timeout_arg(settings["timeout"])}
    return settings


def _face_setting(config: tuple[dict[str, Any], ...], name: str) -> Any:
    """The last value given to a face setting (constructor, then each ``with_options``)."""
    for settings in reversed(config):
        if name in settings:
            return settings[name]
    return None


#: The names ``with_options`` takes (a client's constructor takes its own ``_setting_names``).
_SETTING_NAMES: Final = frozenset(ClientSettings.__optional_keys__)


class BaseClient:
    _api = "tela"

    #: The settings the constructor takes.
    _setting_names: frozenset[str] = _SETTING_NAMES

    #: Event hooks and tracer/meter providers (``observability.Settings``), or None.
    _observe: Any = None

    def __init__(
        self,
        *,
        event_hooks: Mapping[str, Iterable[Callable[..., Any]]] | None = None,
        tracer_provider: Any = None,
        meter_provider: Any = None,
        **settings: Unpack[ClientSettings],
    ) -> None:
        """Builds the client; nothing is sent until the first call.

        - ``api_key``: the API key (else the ``TELA_API_KEY`` / ``DIFY_API_KEY`` variable).
        - ``base_url``: the API's base URL (else ``TELA_BASE_URL`` / ``DIFY_BASE_URL``, else
          the public API).
        - ``timeout``: seconds, or a ``Timeout`` (connect, read, total, stream_idle,
          stream_total) for every call; per call, ``timeout=`` overrides it.
        - ``max_retries``: retries of connection errors, 429 and 5xx answers (default 2).
        - ``default_headers``: headers sent with every call.
        - ``proxy``: an ``http://``, ``https://`` or ``socks5://`` proxy URL.
        - ``ca_bundle``: a PEM file of extra CA certificates to trust.
        - ``upload``: how local files are delivered: ``"auto"`` (inline up to 4 MiB, vault
          upload above), ``"inline"`` or ``"vault"``.
        - ``max_event_bytes``: the cap on one streamed event (default 128 MiB).
        - ``trust_env``: read ``HTTPS_PROXY``/``NO_PROXY`` and ``SSL_CERT_FILE`` from the
          environment (default True).
        - ``check_variables``: check each run's ``variables`` against the canvas version
          first (default False; per call, ``check_variables=`` overrides it).
        - ``event_hooks``: ``{"request": [fn, ...], "response": [fn, ...]}``, called once per
          attempt with a read-only ``HookRequest``/``HookResponse`` (README "Observability").
        - ``tracer_provider``, ``meter_provider``: OpenTelemetry providers to emit spans and
          metrics to (else the global ones, if the program configured them).
        Hooks and providers are kept by ``with_options`` copies, not by a pickle.
        """
        config = _settings(settings, self._setting_names, type(self).__name__)
        self._bind(NativeClient(self._api, _native_settings(config)), (config,))
        if event_hooks is not None or tracer_provider is not None or meter_provider is not None:
            from .observability import Settings

            self._observe = Settings(event_hooks, tracer_provider, meter_provider, isinstance(self, AsyncClientBase))
        _warn_if_key_in_clear(self._native)

    def _bind(self, native: NativeClient, config: tuple[dict[str, Any], ...]) -> None:
        self._native = native
        #: The settings given to the constructor, then to each ``with_options`` that led
        #: here: what a pickle rebuilds the client from, the same way (the core merges a
        #: partial ``Timeout`` or ``default_headers`` into the current ones).
        self._config = config
        self._closed = False
        check = _face_setting(config, "check_variables")
        if check is not None and not isinstance(check, bool):
            raise InvalidRequestError(f"check_variables must be True or False, got {type(check).__name__}")
        #: ``check_variables``: runs check their variables against the canvas first.
        self._check_variables: bool = bool(check)
        self._setup()

    def _setup(self) -> None:
        raise NotImplementedError

    @classmethod
    def _wrap(cls, native: NativeClient, config: tuple[dict[str, Any], ...] = ({},)) -> Self:
        obj = cls.__new__(cls)
        obj._bind(native, config)
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

    @property
    def usage(self) -> Usage:
        """What this client and its ``with_options`` copies have used: ``requests``,
        ``attempts``, ``input_tokens``, ``output_tokens``, ``cost`` (with ``currency``) and
        ``time``, overall and in ``by_canvas[id]``, ``by_app[id]``, ``by_tag[tag]``, added up
        from what the answers carry; ``usage.reset()`` starts again. A snapshot per read."""
        from ._usage import Usage

        return Usage(self._native)

    #: ``tela_sdk.File(source, ...)``, for code that only holds the client: the same
    #: class, so the same arguments and checks (``help(tela_sdk.File)``).
    file = File

    def with_options(self, **settings: Unpack[ClientSettings]) -> Self:
        """A copy with some settings changed, sharing this client's connection pool (a new
        pool only when ``proxy``, ``ca_bundle`` or the connect timeout change). Takes the
        constructor's settings: ``api_key``, ``base_url``, ``timeout``, ``max_retries``,
        ``default_headers`` (replacing the client's), ``proxy``, ``ca_bundle``, ``upload``,
        ``max_event_bytes``, ``trust_env``, ``check_variables``; the ones not given are kept."""
        changes = _settings(settings, _SETTING_NAMES, "with_options")
        native = self._live().with_options(_native_settings(changes))
        _warn_if_key_in_clear(native)
        copy = type(self)._wrap(native, (*self._config, changes) if changes else self._config)
        copy._observe = self._observe
        return copy

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, api_key={self._native.api_key_hint!r}, "
            f"max_retries={self.max_retries})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Configuration only: the worker builds its own pool. What came from the
        # environment is read again from the worker's environment; an explicit api_key
        # travels inside the pickle (treat the pickle as a secret, or use the environment).
        return (_rebuild, (type(self), self._config))


def _rebuild(cls: type[BaseClient], config: tuple[dict[str, Any], ...] | dict[str, Any]) -> BaseClient:
    first, *changes = (config,) if isinstance(config, dict) else config  # a dict: an older pickle
    client = cls(**first)
    for settings in changes:
        client = client.with_options(**settings)
    return client


_docs.signatures(BaseClient)


class SyncClient(Closing, BaseClient):
    """``close()`` and ``with`` for the blocking clients (Tela and Dify)."""

    def close(self) -> None:
        """Stops this client from making calls; its pool closes once no copy uses it."""
        self._closed = True
        self._native.close()


class AsyncClientBase(BaseClient):
    """``close()`` and ``async with`` for the asyncio clients (Tela and Dify)."""

    async def close(self) -> None:
        """Stops this client from making calls; its pool closes once no copy uses it."""
        self._closed = True
        self._native.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
