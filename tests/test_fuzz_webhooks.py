"""Property tests of ``webhooks.parse``: whatever arrives at a webhook endpoint (random bytes,
broken JSON, random and nested JSON, run-like and completion-like objects, any headers), it
returns a Run, Completion or TaskEvent that matches the body, or raises ``WebhookError``; never another
exception. Nesting stays under depth 50: deeper bodies hit Python's JSON recursion limit,
which a separate fix turns into a WebhookError."""

from __future__ import annotations

import email.message
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tela_sdk import Completion, Run, TelaError, WebhookError, webhooks
from tela_sdk.types import TaskEvent

from .fuzzing import examples

MAX_DEPTH = 49

_keys = st.sampled_from(
    [
        *("id", "status", "object", "choices", "output_content", "input_content", "error", "message", "content"),
        *("event", "task", "outputContent"),
    ]
) | st.text(max_size=8)
_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities too: json.dumps writes them, json.loads reads them back
    | st.text(max_size=10)
    | st.sampled_from(["succeeded", "failed", "running", "chat.completion", "6b0f7a2e", "task.completed"])
)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=5),
    max_leaves=24,
)


def depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


@st.composite
def nested(draw: st.DrawFn) -> Any:
    """A value wrapped in random lists and objects, up to MAX_DEPTH - 1 levels in all (a body
    object may hold it: MAX_DEPTH)."""
    value = draw(_json)
    for wrap in draw(st.lists(st.booleans(), max_size=max(0, MAX_DEPTH - 1 - depth(value)))):
        value = [value] if wrap else {draw(_keys): value}
    return value


@st.composite
def objects(draw: st.DrawFn) -> dict[str, Any]:
    """JSON objects that look more or less like a run or a legacy completion."""
    obj: dict[str, Any] = draw(st.dictionaries(_keys, _json | nested(), max_size=6))
    if draw(st.booleans()):
        obj["id"] = draw(st.text(max_size=12) | _json)
    if draw(st.booleans()):
        obj["status"] = draw(st.sampled_from(["succeeded", "failed", "running", "created"]) | _json)
    if draw(st.integers(0, 3)) == 0:
        obj["object"] = "chat.completion"
    if draw(st.integers(0, 3)) == 0:
        obj["choices"] = draw(st.lists(_json, max_size=2))
    return obj


@st.composite
def raw_bodies(draw: st.DrawFn) -> Any:
    """The body as parse() may be given it: decoded, JSON text in any buffer type, or broken bytes."""
    value = draw(objects() | nested())
    kind = draw(st.sampled_from(["dict", "bytes", "str", "bytearray", "memoryview", "mutated", "binary"]))
    if kind == "dict":
        return value if isinstance(value, dict) else {"wrapped": value}
    text = json.dumps(value, ensure_ascii=draw(st.booleans()))
    if kind == "str":
        return text
    data = text.encode()
    if kind == "mutated" and data:
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + draw(st.binary(max_size=3)) + data[at + draw(st.integers(0, 3)) :]
    if kind == "binary":
        data = draw(st.binary(max_size=64))
    return {"bytearray": bytearray, "memoryview": memoryview}.get(kind, bytes)(data)


@st.composite
def headers(draw: st.DrawFn) -> Any:
    value = draw(st.text(max_size=12) | st.sampled_from(["6b0f7a2e", " 6b0f7a2e ", ""]))
    name = draw(st.sampled_from(["x-completion-run-id", "X-Completion-Run-Id", "content-type"]))
    kind = draw(st.sampled_from(["none", "dict", "pairs", "message"]))
    if kind == "none":
        return None
    if kind == "dict":
        return {name: value, "content-type": "application/json"}
    if kind == "pairs":
        return [("content-type", "application/json"), (name, value)]
    msg = email.message.Message()
    msg[name] = value.replace("\r", "").replace("\n", "")
    return msg


def outcome(body: Any, hdrs: Any) -> Run | Completion | TaskEvent | WebhookError:
    """What parse() gave: any exception but WebhookError propagates and fails the test."""
    try:
        return webhooks.parse(body, hdrs)
    except WebhookError as e:
        return e


def decoded(body: Any) -> Any:
    if isinstance(body, dict):
        return body
    return json.loads(bytes(body) if isinstance(body, memoryview) else body)


@hsettings(max_examples=examples(400))
@given(body=raw_bodies(), hdrs=headers())
def test_parse_returns_a_matching_model_or_raises_webhook_error(body: Any, hdrs: Any) -> None:
    result = outcome(body, hdrs)
    if isinstance(result, WebhookError):
        assert isinstance(result, TelaError)
        assert isinstance(result, ValueError)
        assert str(result)
        return
    data = decoded(body)
    assert isinstance(data, dict)
    if isinstance(result, TaskEvent):
        assert result.event == data["event"]
        assert result.event.startswith("task.")
        assert isinstance(data["task"], dict)
        return
    if isinstance(result, Run):
        assert result.id == data["id"]
        assert result.status == data["status"]
        header = webhooks.run_id(hdrs) if hdrs is not None else None
        assert header is None or header == data["id"]
    else:
        assert isinstance(result, Completion)
        assert data.get("object") == "chat.completion" or isinstance(data.get("choices"), list)
    # As JSON text, so a NaN compares equal to itself.
    assert json.dumps(result.to_dict(), sort_keys=True) == json.dumps(data, sort_keys=True)


def _strict_json(text: str) -> bool:
    def refuse(name: str) -> None:
        raise ValueError(name)

    try:
        json.loads(text, parse_constant=refuse)
    except ValueError:
        return False
    return True


@hsettings(max_examples=examples(100))
@given(value=_json)
def test_parse_rejects_every_non_object_body_with_webhook_error(value: Any) -> None:
    if isinstance(value, dict):
        return
    text = json.dumps(value)
    # NaN / Infinity anywhere make the text invalid JSON, which is its own, earlier error.
    strict = _strict_json(text)
    with pytest.raises(WebhookError, match="must be a JSON object" if strict else "not valid JSON"):
        webhooks.parse(text)
