"""Runs the emulator's reply callbacks on Python daemon threads (see ``src/emulator.rs``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

Respond = Callable[[Any, "str | None"], None]


def threaded(fn: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any], Respond], None]:
    """Wraps ``fn`` as the native emulator's ``start(request, respond)``: returns at once."""

    def start(request: dict[str, Any], respond: Respond) -> None:
        threading.Thread(target=_answer, args=(fn, request, respond), name="tela-emulator-reply", daemon=True).start()

    return start


def _answer(fn: Callable[[dict[str, Any]], Any], request: dict[str, Any], respond: Respond) -> None:
    try:
        value = fn(request)
    except BaseException as e:  # reported to the client as the emulator's 500, as before
        respond(None, f"{type(e).__name__}: {e}")
    else:
        respond(value, None)
