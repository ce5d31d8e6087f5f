"""``TELA_LOG=debug|info``: turn on the ``tela_sdk`` logger without code (like ``OPENAI_LOG``).

The native core logs one DEBUG line per HTTP attempt and one INFO line per retry to the
``tela_sdk`` logger; with ``TELA_LOG`` set, those lines go to stderr. Left alone otherwise, so
an application's own ``logging`` configuration decides.
"""

from __future__ import annotations

import os
import sys

__all__ = ["setup_from_env"]

_LEVELS = {"debug": 10, "info": 20}  # logging.DEBUG and logging.INFO, without importing logging


def setup_from_env() -> None:
    value = os.environ.get("TELA_LOG", "").strip().lower()
    if not value:
        return
    level = _LEVELS.get(value)
    if level is None:
        print(f"tela_sdk: ignoring TELA_LOG={value!r}; use 'debug' or 'info'.", file=sys.stderr)
        return
    import logging  # lazy: ~6 ms; the core logs only once the program has imported logging

    logger = logging.getLogger("tela_sdk")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("[%(asctime)s - %(name)s - %(levelname)s] %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
