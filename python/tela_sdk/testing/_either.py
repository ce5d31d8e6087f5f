"""One line that picks the API for an example or a smoke test: the real one when its key is
in the environment, else an embedded emulator with the demo canvas and Dify app.

    from tela_sdk.testing import client_or_emulator

    with client_or_emulator() as client:     # TELA_API_KEY set: Client(); else an emulator
        out = client.completions.create(canvas_id="demo", variables={"document": "Invoice #1042"})

The client returned for an emulator owns it: closing the client (or leaving ``with``) closes
the emulator too. Copies from ``with_options`` share the emulator but do not close it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._dify.client import AsyncDifyClient, DifyClient
from .._tela.client import AsyncClient, Client

if TYPE_CHECKING:
    from . import Emulator

__all__ = [
    "client_or_emulator",
    "async_client_or_emulator",
    "dify_client_or_emulator",
    "async_dify_client_or_emulator",
    "EmulatorClient",
    "AsyncEmulatorClient",
    "EmulatorDifyClient",
    "AsyncEmulatorDifyClient",
]


class _OwnsEmulator:
    #: The emulator this client was made on (and closes with it); None for copies.
    emulator: Emulator | None = None

    def _release(self) -> None:
        emulator, self.emulator = self.emulator, None
        if emulator is not None:
            emulator.close()


class EmulatorClient(_OwnsEmulator, Client):
    """A ``Client`` on an emulator it owns: ``close()`` (or leaving ``with``) closes both."""

    def close(self) -> None:
        super().close()
        self._release()


class AsyncEmulatorClient(_OwnsEmulator, AsyncClient):
    """An ``AsyncClient`` on an emulator it owns: ``await close()`` (or ``async with``) closes both."""

    async def close(self) -> None:
        await super().close()
        self._release()


class EmulatorDifyClient(_OwnsEmulator, DifyClient):
    """A ``DifyClient`` on an emulator it owns: ``close()`` (or leaving ``with``) closes both."""

    def close(self) -> None:
        super().close()
        self._release()


class AsyncEmulatorDifyClient(_OwnsEmulator, AsyncDifyClient):
    """An ``AsyncDifyClient`` on an emulator it owns: closing it closes both."""

    async def close(self) -> None:
        await super().close()
        self._release()


_told: set[str] = set()


def _say_emulator(var: str) -> None:
    """Once per process and variable: the fallback to the emulator is said, not silent, with
    the variable looked for and any similarly named one that is set (a misspelt key)."""
    if var in _told:
        return
    _told.add(var)
    api = var.split("_")[0]
    state = "is set but empty" if var in os.environ else "is not set"
    message = f"{var} {state}, so this client talks to the embedded emulator, not the {api.title()} API."
    near = sorted(
        name
        for name in os.environ
        if name != var and name.upper().startswith(api) and ("KEY" in name.upper() or "TOKEN" in name.upper())
    )
    if near:
        message += f" ({', '.join(near)} {'is' if len(near) == 1 else 'are'} set: did you mean {var}?)"
    else:
        message += f" Set {var} to use the real API."
    import warnings

    from .._exceptions import TelaWarning

    warnings.warn(message, TelaWarning, stacklevel=3)


def _emulator(canvases: Sequence[Mapping[str, Any]], strict: bool = False) -> Emulator:
    from . import Emulator

    emu = Emulator(strict=strict)
    try:
        emu.add_demos()
        for canvas in canvases:
            emu.add_canvas(**canvas)
    except BaseException:
        emu.close()
        raise
    return emu


def client_or_emulator(*, canvases: Sequence[Mapping[str, Any]] = (), strict: bool = False, **options: Any) -> Client:
    """``Client(**options)`` when ``TELA_API_KEY`` is set; else an ``EmulatorClient`` on a
    fresh embedded emulator holding the demo canvas ``demo`` (variable ``document``) and each
    of ``canvases`` (``Emulator.add_canvas`` arguments, e.g. ``{"id": "haiku", "template":
    ..., "reply": ...}``; they exist on the emulator only). ``strict``: the emulator answers
    with only the documented fields (``Emulator(strict=True)``)."""
    if os.environ.get("TELA_API_KEY"):
        return Client(**options)
    _say_emulator("TELA_API_KEY")
    emu = _emulator(canvases, strict)
    client = EmulatorClient(api_key=emu.api_key, base_url=emu.url, trust_env=False, **options)
    client.emulator = emu
    return client


def async_client_or_emulator(
    *, canvases: Sequence[Mapping[str, Any]] = (), strict: bool = False, **options: Any
) -> AsyncClient:
    """Async twin of ``client_or_emulator`` (use ``async with``)."""
    if os.environ.get("TELA_API_KEY"):
        return AsyncClient(**options)
    _say_emulator("TELA_API_KEY")
    emu = _emulator(canvases, strict)
    client = AsyncEmulatorClient(api_key=emu.api_key, base_url=emu.url, trust_env=False, **options)
    client.emulator = emu
    return client


def dify_client_or_emulator(*, strict: bool = False, **options: Any) -> DifyClient:
    """``DifyClient(**options)`` when ``DIFY_API_KEY`` is set; else an ``EmulatorDifyClient``
    on a fresh emulator's demo Dify completion app (input ``text``, answers ``Echo: <text>``)."""
    if os.environ.get("DIFY_API_KEY"):
        return DifyClient(**options)
    _say_emulator("DIFY_API_KEY")
    from . import DEMO_DIFY_KEY

    emu = _emulator((), strict)
    client = EmulatorDifyClient(api_key=DEMO_DIFY_KEY, base_url=emu.dify_url, trust_env=False, **options)
    client.emulator = emu
    return client


def async_dify_client_or_emulator(*, strict: bool = False, **options: Any) -> AsyncDifyClient:
    """Async twin of ``dify_client_or_emulator``."""
    if os.environ.get("DIFY_API_KEY"):
        return AsyncDifyClient(**options)
    _say_emulator("DIFY_API_KEY")
    from . import DEMO_DIFY_KEY

    emu = _emulator((), strict)
    client = AsyncEmulatorDifyClient(api_key=DEMO_DIFY_KEY, base_url=emu.dify_url, trust_env=False, **options)
    client.emulator = emu
    return client
