"""``check_variables``: a run's ``variables`` checked against the canvas version that will run,
before any upload or request (protocol.md §9.3). Loaded on first use only.

The version is fetched once per client object and cached by version id; a canvas (or a canvas
and environment) is cached as the version it resolved to. The check itself is pure
(``problems``), shared by both faces."""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._exceptions import InvalidRequestError
from .._files import File, UploadedFile

if TYPE_CHECKING:
    from ..types import CanvasVersion
    from .client import AsyncClient, Client

__all__ = ["check", "acheck", "wanted", "problems"]


def wanted(body: Mapping[str, Any], flag: bool | None, client: Client | AsyncClient) -> bool:
    """Whether this call checks: its own ``check_variables``, else the client's."""
    if flag is not None:
        if not isinstance(flag, bool):
            raise InvalidRequestError(f"check_variables must be True or False, got {type(flag).__name__}")
        return flag
    return bool(getattr(client, "_check_variables", False))


def _target(body: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The cache key of the version a call runs; None when it cannot be told: an application,
    or arguments the core refuses anyway (it says what is wrong, before sending)."""
    given = [k for k in ("canvas_id", "version_id", "application_id") if body.get(k) is not None]
    if given == ["version_id"] and isinstance(body["version_id"], str) and body.get("environment_name") is None:
        return ("version", body["version_id"])
    canvas = body.get("canvas_id")
    if given != ["canvas_id"] or not isinstance(canvas, str):
        return None
    env = body.get("environment_name")
    if isinstance(env, str) and env != "production":
        return ("environment", canvas, env)
    return ("canvas", canvas)


def _is_file(value: Any) -> bool:
    """What the SDK sends as a file: ``File``, an uploaded file, a path object, bytes, a binary
    file object, or a ``{"file_url": ...}`` reference (a list of files counts as files)."""
    if isinstance(value, (File, UploadedFile, os.PathLike, bytes, bytearray, memoryview)):
        return True
    if isinstance(value, Mapping):
        return "file_url" in value
    if isinstance(value, (list, tuple)):
        return bool(value) and all(_is_file(v) for v in value)
    return hasattr(value, "read") and not isinstance(value, str)


def problems(version: CanvasVersion, variables: Mapping[str, Any] | None) -> list[str]:
    """What is wrong with ``variables`` for ``version`` (empty: nothing)."""
    if not isinstance(variables, Mapping | None):
        return []  # not variables at all: the core's error says so
    spec = {v.name: v for v in version.variables or () if isinstance(v.name, str)}
    given = dict(variables or {})
    out: list[str] = []
    names = ", ".join(repr(n) for n in spec) or "none"
    missing = [n for n, v in spec.items() if v.required and n not in given]
    if missing:
        out.append(f"missing required variable{'s' if len(missing) > 1 else ''}: {', '.join(map(repr, missing))}")
    for name, value in given.items():
        var = spec.get(name)
        if var is None:
            close = difflib.get_close_matches(str(name), list(spec), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            out.append(f"unknown variable {name!r} (the canvas has {names}){hint}")
        elif var.type == "file" and not _is_file(value) and value is not None:
            out.append(
                f"variable {name!r} wants a file, got {type(value).__name__}: pass tela_sdk.File(path_or_url), "
                "a pathlib.Path, bytes, or an uploaded file"
            )
        elif var.type == "text" and _is_file(value):
            out.append(f"variable {name!r} wants text, got a file ({type(value).__name__}): pass a string")
    return out


def _raise(version: CanvasVersion, found: list[str]) -> None:
    raise InvalidRequestError(
        f"variables do not fit canvas {version.canvas_id} version {version.id}: " + "; ".join(found) + "."
    )


def check(client: Client, body: Mapping[str, Any]) -> None:
    """Raises ``InvalidRequestError`` when ``body``'s variables do not fit the version it runs."""
    key = _target(body)
    if key is None:
        return
    cache = client._variable_specs
    version = cache.get(key)
    if version is None:
        if key[0] == "version":
            version = client.canvases.version(key[1])
        elif key[0] == "environment":
            version = client.environments.version(key[1], key[2])
        else:
            version = client.canvases.promoted_version(key[1])
        cache[key] = cache[("version", version.id)] = version
    found = problems(version, body.get("variables"))
    if found:
        _raise(version, found)


async def acheck(client: AsyncClient, body: Mapping[str, Any]) -> None:
    """Async twin of ``check``."""
    key = _target(body)
    if key is None:
        return
    cache = client._variable_specs
    version = cache.get(key)
    if version is None:
        if key[0] == "version":
            version = await client.canvases.version(key[1])
        elif key[0] == "environment":
            version = await client.environments.version(key[1], key[2])
        else:
            version = await client.canvases.promoted_version(key[1])
        cache[key] = cache[("version", version.id)] = version
    found = problems(version, body.get("variables"))
    if found:
        _raise(version, found)
