"""Record and replay for your own tests: ``cassette(path, mode=...)``.

    from tela_sdk.testing import cassette
    with cassette("tests/cassettes/summary.yaml"):      # records once, replays afterwards
        out = client.completions.create(canvas_id="...", variables={"document": "..."})

The cassette is registered for the whole process while the block runs: every client's
transport (Rust, so no Python HTTP patching could see it) consults it at its one send point,
whether the client was made before or inside the block, blocking or async, Tela or Dify,
and the vault's presigned upload ``PUT`` too. Cassettes therefore do not nest.

The file is vcrpy's cassette layout (``interactions`` of ``request``/``response``,
``version: 1``), written as JSON, which every YAML loader reads; what vcrpy has no field for
(stream chunk timing) is under ``response.tela``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from .._exceptions import CassetteError, ConfigurationError
from .._native import _cassette_begin, _cassette_end

__all__ = ["Cassette", "cassette", "RecordMode", "MATCH_ON"]

RecordMode = Literal["once", "record", "replay", "none"]
MODES = ("once", "record", "replay", "none")
#: What a request is matched on by default; ``"host"`` may be added.
MATCH_ON = ("method", "path", "query", "body")
_FIELDS = ("method", "host", "path", "query", "body")


class Cassette:
    """A cassette; use it as a (sync or async) context manager. ``mode`` is what was asked,
    ``effective_mode`` what it does (``"once"`` records when the file is missing, else
    replays)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        mode: RecordMode = "once",
        *,
        match_on: Sequence[str] = MATCH_ON,
        redact_headers: Sequence[str] = (),
        redact_fields: Sequence[str] = (),
        speed: float = 1.0,
        block_network: bool | None = None,
    ) -> None:
        if mode not in MODES:
            raise ConfigurationError(f"cassette mode={mode!r} is not one of {', '.join(map(repr, MODES))}.")
        if isinstance(match_on, str) or not all(f in _FIELDS for f in match_on) or not match_on:
            raise ConfigurationError(
                f"cassette match_on={match_on!r}: give a non-empty list of {', '.join(map(repr, _FIELDS))}."
            )
        for name, names in (("redact_headers", redact_headers), ("redact_fields", redact_fields)):
            if isinstance(names, str) or not all(isinstance(n, str) and n for n in names):
                raise ConfigurationError(f"cassette {name}={names!r}: give a list of names (strings).")
        if isinstance(speed, bool) or not isinstance(speed, (int, float)):
            raise ConfigurationError(f"cassette speed={speed!r}: give a number >= 0 (0 replays without waiting).")
        if block_network is not None and not isinstance(block_network, bool):
            raise ConfigurationError(f"cassette block_network={block_network!r}: give True or False.")
        self.path = Path(path)
        self.mode: RecordMode = mode
        self.match_on = tuple(match_on)
        self.redact_headers = tuple(redact_headers)
        self.redact_fields = tuple(redact_fields)
        self.speed = float(speed)
        self._block_network = block_network
        self.effective_mode: Literal["record", "replay", "none"] = "none"
        self._active = False

    @property
    def block_network(self) -> bool:
        """Whether requests that leave the machine fail (default: True when replaying)."""
        if self._block_network is not None:
            return self._block_network
        return self._effective() == "replay"

    def _effective(self) -> Literal["record", "replay", "none"]:
        if self.mode == "once":
            return "replay" if self.path.exists() else "record"
        return self.mode

    def __enter__(self) -> Cassette:
        mode = self._effective()
        tape = None
        if mode == "replay":
            tape = _read(self.path)
        options = {
            "name": str(self.path),
            "mode": mode,
            "block_network": self.block_network,
            "speed": self.speed,
            "match_on": list(self.match_on),
            "redact_headers": list(self.redact_headers),
            "redact_fields": list(self.redact_fields),
        }
        _cassette_begin(json.dumps(options), tape)
        self.effective_mode = mode
        self._active = True
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not self._active:
            return
        self._active = False
        text = _cassette_end()
        if text is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(self.path)

    async def __aenter__(self) -> Cassette:
        return self.__enter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def __repr__(self) -> str:
        return f"Cassette({str(self.path)!r}, mode={self.mode!r}, effective_mode={self.effective_mode!r})"


def cassette(
    path: str | os.PathLike[str],
    mode: RecordMode = "once",
    *,
    match_on: Sequence[str] = MATCH_ON,
    redact_headers: Sequence[str] = (),
    redact_fields: Sequence[str] = (),
    speed: float = 1.0,
    block_network: bool | None = None,
) -> Cassette:
    """Records or replays every request the SDK sends inside the ``with`` block.

    - ``mode``: ``"once"`` (default) replays ``path`` when it exists, else records it;
      ``"record"`` sends every request and (over)writes the file; ``"replay"`` sends nothing
      and answers from the file; ``"none"`` neither records nor replays (only
      ``block_network`` applies).
    - ``match_on``: what must agree for a recorded answer to be played: any of ``"method"``,
      ``"host"``, ``"path"``, ``"query"``, ``"body"`` (default all but ``"host"``, so a cassette
      recorded against an emulator on one port replays anywhere). JSON bodies are compared
      canonically (key order and spacing ignored); streamed upload bodies are not compared.
      Recorded answers play once each, in order (a polled run's answers come back in turn).
    - ``redact_headers`` / ``redact_fields``: headers, and JSON fields (at any depth, also
      query parameters and stream ``data:`` lines) to remove from the file besides the ones
      always removed (``Authorization``, API-key headers, cookies, presigned URL signatures
      and ``token``/``key`` query parameters). They are redacted in the live request the same
      way before matching.
    - ``speed``: a replayed stream's recorded gaps between chunks are multiplied by it
      (1: as recorded, 0: no waiting).
    - ``block_network``: when True (the default in replay), no request leaves the machine: in
      replay an unmatched request raises ``CassetteError`` naming the nearest recorded request
      and how it differs; otherwise a request to a host other than localhost raises
      ``NetworkBlockedError``. In replay with ``block_network=False`` unmatched requests are
      sent (and not recorded).

    Secrets are removed before anything is written. The file is only written when recording.
    """
    return Cassette(
        path,
        mode,
        match_on=match_on,
        redact_headers=redact_headers,
        redact_fields=redact_fields,
        speed=speed,
        block_network=block_network,
    )


def _read(path: Path) -> str:
    """The cassette as JSON text: as written (JSON), or any YAML when PyYAML is installed."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CassetteError(
            f'cassette {path} does not exist, so there is nothing to replay: record it with mode="record" or "once".'
        ) from None
    try:
        json.loads(text)
        return text
    except ValueError:
        pass
    try:
        import yaml  # type: ignore[import-untyped]
    except ImportError:
        raise CassetteError(
            f"cassette {path} is not in the JSON form this SDK writes; install PyYAML to read other YAML."
        ) from None
    data: Any = yaml.safe_load(text)
    return json.dumps(data, default=str)
