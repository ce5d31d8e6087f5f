"""Runs the emulator's reply callbacks on Python threads (see ``src/emulator.rs``).

One daemon thread per process takes queued requests from the native emulator and starts a
daemon thread for each callback, so a slow callback holds up no other request, and one still
running when the interpreter exits is ended by CPython like any daemon thread.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from .. import _native

_lock = threading.Lock()
_dispatcher_pid: int | None = None


def dispatched(fn: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
    """Returns ``fn``, once this process's dispatcher thread runs (started again after a fork)."""
    global _dispatcher_pid
    with _lock:
        if _dispatcher_pid != os.getpid():
            threading.Thread(target=_dispatch, name="tela-emulator-replies", daemon=True).start()
            _dispatcher_pid = os.getpid()
    return fn


def _dispatch() -> None:
    while True:
        fn, request, respond = _native._next_reply()
        threading.Thread(target=_answer, args=(fn, request, respond), name="tela-emulator-reply", daemon=True).start()


def _answer(fn: Callable[[dict[str, Any]], Any], request: dict[str, Any], respond: Callable[..., None]) -> None:
    try:
        value = fn(request)
    except BaseException as e:  # reported to the client as the emulator's 500, as before
        respond(None, f"{type(e).__name__}: {e}")
    else:
        respond(value, None)
