"""Reading the webhook Tela POSTs when a run started with ``webhook_url`` finishes, and the
Workstation task events an app's webhooks deliver.

    from tela_sdk import webhooks
    event = webhooks.parse(request_body, request_headers)   # -> Run, Completion (legacy), or TaskEvent

Tela sends ``Content-Type: application/json`` and an ``x-completion-run-id`` header. The
body is the run object (the same one ``completions.retrieve`` returns); older setups send the
raw ``chat.completion`` instead, which ``parse`` returns as a ``Completion`` (protocol.md §3.5).
Tela documents no signature: keep the webhook URL hard to guess, and when you must trust the
result, fetch it again with ``client.completions.retrieve(run.id)``.

A task event (protocol.md §11.5) is ``{"id", "event": "task.completed" | "task.approved" |
"task.failed", "timestamp", "task", "inputContent", "outputContent"}``, camelCase: ``parse``
returns it as a ``TaskEvent`` with snake_case keys (the user's data inside keeps its keys).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from ._exceptions import WebhookError
from .types import Completion, Run, TaskEvent

__all__ = ["RUN_ID_HEADER", "parse", "run_id"]

RUN_ID_HEADER = "x-completion-run-id"


class _HasItems(Protocol):
    """A headers object: a dict, or e.g. ``http.server``'s ``email.message.Message``."""

    def items(self) -> Iterable[tuple[str, Any]]: ...


#: A dict, an object with ``items()``, or pairs: ``(str, str)``, or ASGI's raw
#: ``(bytes, bytes)`` (``scope["headers"]``).
Headers = _HasItems | Iterable[tuple[str, str]] | Iterable[tuple[bytes, bytes]]


def _text(v: Any) -> str:
    # HTTP header bytes are latin-1 by definition (ASGI passes them raw).
    return v.decode("latin-1") if isinstance(v, (bytes, bytearray)) else str(v)


def run_id(headers: Headers) -> str | None:
    """The ``x-completion-run-id`` header (names compare case-insensitively), or None.
    Raises ``WebhookError`` when ``headers`` is not a headers object."""
    if isinstance(headers, (str, bytes, bytearray, memoryview)):
        raise WebhookError(
            f"headers must be the request headers (a dict, an object with items(), or (name, value) pairs), "
            f"got {type(headers).__name__}"
        )
    try:
        pairs = headers.items() if hasattr(headers, "items") else headers
        for pair in pairs:
            name, value = pair
            if isinstance(name, (str, bytes, bytearray)) and _text(name).lower() == RUN_ID_HEADER:
                return _text(value).strip()
    except (TypeError, ValueError) as e:
        raise WebhookError(
            f"headers must be the request headers (a dict, an object with items(), or (name, value) pairs), "
            f"got {type(headers).__name__} ({e})"
        ) from None
    return None


def parse(
    body: bytes | bytearray | memoryview | str | Mapping[str, Any], headers: Headers | None = None
) -> Run | Completion | TaskEvent:
    """The run (or legacy completion, or Workstation task event) a webhook request carries.

    ``body`` is the raw request body (bytes or str) or the already-decoded JSON object;
    ``headers`` the request headers, used to check that ``x-completion-run-id`` names the
    run in the body. The Run returned has no client: to act on it, pass it to
    ``client.completions.wait(run)`` or ``client.completions.retrieve(run.id)``.
    Raises ``WebhookError`` (a ``ValueError``) for anything else.
    """
    data = _load(body)
    event = data.get("event")
    if isinstance(event, str) and event.startswith("task."):
        return _task_event(data)
    _check_choices(data)
    _check_run_fields(data)
    header_id = run_id(headers) if headers is not None else None
    if data.get("object") == "chat.completion" or (isinstance(data.get("choices"), list) and "status" not in data):
        # The legacy body's id is a completion id (or absent), not the run id: no check.
        return Completion(data)
    if isinstance(data.get("id"), str) and isinstance(data.get("status"), str):
        if header_id is not None and header_id != data["id"]:
            raise WebhookError(
                f"the {RUN_ID_HEADER} header ({header_id!r}) does not match the run id in the body "
                f"({data['id']!r}); the request was not sent by Tela for that run"
            )
        return Run(data)
    keys = ", ".join(sorted(map(str, data))[:10]) or "none"
    raise WebhookError(
        f"the webhook body is neither a Tela run (with id and status) nor a chat.completion; its keys are: {keys}"
    )


#: Keys whose values are the user's data: their insides keep their keys (as the core's).
_OPAQUE = frozenset(
    {"variables", "content", "raw_output", "schema", "properties", "parameters", "arguments", "metadata"}
)


def _snake_key(key: str) -> str:
    """``promptApplicationId`` -> ``prompt_application_id``, ``rawURL`` -> ``raw_url``."""
    out: list[str] = []
    for i, c in enumerate(key):
        if c.isascii() and c.isupper():
            prev = key[i - 1] if i else ""
            nxt = key[i + 1] if i + 1 < len(key) else ""
            boundary = (prev.islower() or prev.isdigit()) or (prev.isupper() and nxt.islower())
            if boundary and out and out[-1] != "_":
                out.append("_")
            out.append(c.lower())
        else:
            out.append(c)
    return "".join(out)


def _snake(v: Any) -> Any:
    if isinstance(v, dict):
        return {(k2 := _snake_key(str(k))): (val if k2 in _OPAQUE else _snake(val)) for k, val in v.items()}
    if isinstance(v, list):
        return [_snake(x) for x in v]
    return v


def _task_event(data: dict[str, Any]) -> TaskEvent:
    """A task event, checked: ``task`` an object; ``outputContent``/``inputContent`` objects or null."""
    task = data.get("task")
    if not isinstance(task, dict):
        raise WebhookError(
            f"the {data['event']!r} event's task must be a JSON object, got {type(task).__name__} {task!r:.80}"
        )
    event = _snake(data)
    for path, value in (
        ("outputContent", event.get("output_content")),
        ("inputContent", event.get("input_content")),
        ("task.outputContent", event["task"].get("output_content")),
    ):
        if value is not None and not isinstance(value, dict):
            raise WebhookError(
                f"the task event's {path} must be a JSON object (or null), got {type(value).__name__} {value!r:.80}"
            )
    return TaskEvent(event)


def _check_choices(data: dict[str, Any]) -> None:
    """The fields the result types read must have their types: ``choices`` a list of objects,
    each ``message`` an object; anything else is free."""
    choices = data.get("choices")
    if choices is None:
        return
    if not isinstance(choices, list) or not all(isinstance(c, dict) for c in choices):
        raise WebhookError(f"the webhook body's choices must be a list of objects, got {choices!r:.80}")
    for c in choices:
        message = c.get("message")
        if message is not None and not isinstance(message, dict):
            raise WebhookError(f"the webhook body's choices[].message must be an object, got {message!r:.80}")


def _check_run_fields(data: dict[str, Any]) -> None:
    """What a ``Run`` reads must be objects when present: ``output_content`` (and its
    ``information``) and ``input_content`` (the core checks the same for ``retrieve``)."""
    for path, value in (
        ("output_content", data.get("output_content")),
        ("input_content", data.get("input_content")),
        (
            "output_content.information",
            data["output_content"].get("information") if isinstance(data.get("output_content"), dict) else None,
        ),
    ):
        if value is not None and not isinstance(value, dict):
            raise WebhookError(
                f"the webhook body's {path} must be a JSON object (or null), got {type(value).__name__} {value!r:.80}"
            )


def _reject_constant(name: str) -> Any:
    raise WebhookError(f"the webhook body is not valid JSON: {name} is not a JSON number")


def _load(body: bytes | bytearray | memoryview | str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(body, Mapping):
        return dict(body)
    if isinstance(body, (bytes, bytearray, memoryview, str)):
        import json  # lazy: json is not needed to import tela_sdk

        raw = bytes(body) if isinstance(body, memoryview) else body
        try:
            data = json.loads(raw, parse_constant=_reject_constant)
        except WebhookError:
            raise
        except ValueError as e:  # JSONDecodeError and UnicodeDecodeError
            raise WebhookError(f"the webhook body is not valid JSON: {e}") from e
        except RecursionError:
            raise WebhookError("the webhook body is nested too deeply to be a Tela payload") from None
        if not isinstance(data, dict):
            raise WebhookError(f"the webhook body must be a JSON object, got {type(data).__name__}")
        return data
    raise WebhookError(f"parse() takes the request body as bytes, str or a dict, got {type(body).__name__}")
