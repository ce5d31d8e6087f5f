"""completions.create: every argument reaches the wire exactly, the result is a usable typed
object, and invalid calls fail before anything is sent."""

from __future__ import annotations

import io
import json
import pickle
import time
from typing import Any

import pytest

from tela_sdk import Completion, InvalidRequestError, NotFoundError, ParseError, TelaError, Timeout
from tela_sdk.testing import Canvas, Emulator, ReplyRequest

STAGING_VERSION = "ver-staging-0001"
BETA_VERSION = "ver-beta-0002"


@pytest.fixture
def staged(emulator: Emulator) -> Canvas:
    """A canvas with a production version, a staging version and an unpublished beta."""
    return emulator.add_canvas(
        template="prod prompt {{x}}",
        reply="production says {{x}}",
        versions=[
            {"id": STAGING_VERSION, "template": "staging prompt {{x}}", "reply": "staging says {{x}}"},
            {"id": BETA_VERSION, "template": "beta prompt", "reply": {"version": "beta"}},
        ],
        environments={"staging": STAGING_VERSION, "eu-prod-2": "production"},
        allow_missing_variables=True,  # the full call sends no "x": its reply shows {{x}}
    )


@pytest.fixture(autouse=True)
def vault(emulator: Emulator) -> None:
    """The vault files the calls below reference: a vault id never uploaded is a 404."""
    for file_id in ("550e8400-e29b-41d4-a716-446655440000", "abc", "1"):
        emulator.add_file(b"stored", id=file_id, name=f"{file_id}.txt")


FULL_VARIABLES: dict[str, Any] = {
    "text": "Document content",
    "count": 3,
    "ratio": 0.25,
    "flag": True,
    "off": False,
    "names": ["a", "b"],
    "doc": {"file_url": "https://example.com/a.pdf"},
    "vaulted": {"file_url": "vault://550e8400-e29b-41d4-a716-446655440000"},
    "inline": {"file_url": "data:text/plain;base64,aGk="},
    "ranged": {"file_url": "https://example.com/b.pdf", "options": {"range": [0, 1], "parser_type": "p"}},
    "docs": [{"file_url": "https://example.com/1.pdf"}, {"file_url": "vault://abc"}],
    "empty_list": [],
    "unicode": "façade - 日本語 ✓ \u2013",
}

FULL_MESSAGES: list[dict[str, Any]] = [
    {"role": "user", "content": "What is the total amount?"},
    {"role": "assistant", "content": "It is 42."},
    {"role": "user", "content": {"type": "text", "text": "single part"}},
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "look at this"},
            {"type": "image_url", "image_url": {"url": "https://example.com/i.png", "detail": "low"}},
        ],
    },
    {"role": "user", "content": {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}}},
    {"role": "user", "content": {"file_url": "https://example.com/c.pdf"}},
    {"role": "system", "content": "be brief"},
]

FULL_OVERRIDE: dict[str, Any] = {
    "model": "gpt-4o-mini",
    "temperature": 0.2,
    "type": "chat",
    "functions": [
        {
            "id": "f1",
            "name": "lookup",
            "description": "Looks something up",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
        }
    ],
    "structured_output": {
        "enabled": True,
        "schema": {
            "type": "object",
            "title": "Answer",
            "description": "d",
            "properties": {"total": {"type": "number"}},
            "required": ["total"],
        },
    },
}


def _full_call(canvas_id: str) -> dict[str, Any]:
    return {
        "canvas_id": canvas_id,
        "environment_name": "staging",
        "variables": FULL_VARIABLES,
        "messages": FULL_MESSAGES,
        "override": FULL_OVERRIDE,
        "tags": ["billing", "eu"],
        "label": "invoice-42",
    }


# --- the request body -------------------------------------------------------------------


def test_minimal_body_is_exactly_the_canvas_id(emulator, canvas, client):
    client.completions.create(canvas_id=canvas.id)
    recorded = emulator.requests
    assert len(recorded) == 1
    assert recorded[0].method == "POST"
    assert recorded[0].path == "/v2/chat/completions"
    assert recorded[0].query == ""
    assert recorded[0].body == {"canvas_id": canvas.id}


def test_every_field_reaches_the_wire(emulator, staged, client):
    call = _full_call(staged.id)
    out = client.completions.create(**call)
    assert emulator.requests[-1].body == call
    assert out.content == "staging says {{x}}"


async def test_async_every_field_reaches_the_wire(emulator, staged, aclient):
    call = _full_call(staged.id)
    out = await aclient.completions.create(**call)
    assert emulator.requests[-1].body == call
    assert out.content == "staging says {{x}}"


def test_version_id_reaches_the_wire(emulator, staged, client):
    out = client.completions.create(version_id=STAGING_VERSION, variables={"x": "1"})
    assert emulator.requests[-1].body == {"version_id": STAGING_VERSION, "variables": {"x": "1"}}
    assert out.content == "staging says 1"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("s", "text"),
        ("i", 7),
        ("big", 2**62),
        ("neg", -3),
        ("f", 1.5),
        ("t", True),
        ("fa", False),
        ("l", ["x", "y"]),
        ("file", {"file_url": "https://example.com/a.pdf"}),
        ("files", [{"file_url": "https://example.com/a.pdf"}, {"file_url": "vault://1"}]),
        ("mixed", ["text", 1, 2.5, True, {"file_url": "data:application/pdf;base64,JVBERi0x"}]),
    ],
)
def test_each_variable_value_type_reaches_the_wire(emulator, canvas, client, name, value):
    client.completions.create(canvas_id=canvas.id, variables={name: value})
    sent = emulator.requests[-1].body["variables"][name]
    assert sent == value
    assert type(sent) is type(value)


def test_tuple_variable_is_sent_as_a_list(emulator, canvas, client):
    client.completions.create(canvas_id=canvas.id, variables={"t": ("a", "b")})
    assert emulator.requests[-1].body["variables"] == {"t": ["a", "b"]}


def test_messages_reach_the_wire_in_order(emulator, canvas, client):
    client.completions.create(canvas_id=canvas.id, messages=FULL_MESSAGES)
    assert emulator.requests[-1].body["messages"] == FULL_MESSAGES


@pytest.mark.lax  # checks a field the docs do not show (the emulator's strict mode drops it)
def test_override_reaches_the_wire(emulator, canvas, client):
    out = client.completions.create(canvas_id=canvas.id, override=FULL_OVERRIDE)
    assert emulator.requests[-1].body["override"] == FULL_OVERRIDE
    # The emulator reports the overriding model, so the override was understood.
    assert out.model == "gpt-4o-mini"


@pytest.mark.parametrize("type_", ["chat", "completion"])
def test_override_types(emulator, canvas, client, type_):
    client.completions.create(canvas_id=canvas.id, override={"type": type_})
    assert emulator.requests[-1].body["override"] == {"type": type_}


def test_tags_and_label_reach_the_wire(emulator, canvas, client):
    client.completions.create(canvas_id=canvas.id, tags=["a", "b"], label="l")
    body = emulator.requests[-1].body
    assert body["tags"] == ["a", "b"]
    assert body["label"] == "l"


def test_extra_body_is_merged_and_wins(emulator, canvas, client):
    client.completions.create(
        canvas_id=canvas.id,
        label="typed",
        variables={"document": "d"},
        extra_body={"label": "from-extra", "long_response": True, "new_field": {"a": [1, 2]}},
    )
    body = emulator.requests[-1].body
    assert body == {
        "canvas_id": canvas.id,
        "label": "from-extra",
        "variables": {"document": "d"},
        "long_response": True,
        "new_field": {"a": [1, 2]},
    }


def test_extra_body_deep_merges_override(emulator, canvas, client):
    client.completions.create(
        canvas_id=canvas.id,
        override={"model": "m1", "temperature": 0.2, "structured_output": {"enabled": True, "schema": {"a": 1}}},
        extra_body={"override": {"model": "m2", "top_p": 0.9, "structured_output": {"strict": True}}},
    )
    assert emulator.requests[-1].body["override"] == {
        "model": "m2",
        "temperature": 0.2,
        "top_p": 0.9,
        "structured_output": {"enabled": True, "schema": {"a": 1}, "strict": True},
    }


async def test_async_extra_body_deep_merges_override(emulator, canvas, aclient):
    await aclient.completions.create(
        canvas_id=canvas.id,
        override={"model": "m1", "temperature": 0.2},
        extra_body={"override": {"model": "m2"}, "x_new": 1},
    )
    body = emulator.requests[-1].body
    assert body["override"] == {"model": "m2", "temperature": 0.2}
    assert body["x_new"] == 1


def test_extra_body_does_not_mutate_the_caller_dicts(emulator, canvas, client):
    override = {"model": "m1"}
    extra = {"override": {"temperature": 0.5}}
    client.completions.create(canvas_id=canvas.id, override=override, extra_body=extra)
    assert override == {"model": "m1"}
    assert extra == {"override": {"temperature": 0.5}}


def test_extra_query_is_in_the_query_string(emulator, canvas, client):
    client.completions.create(canvas_id=canvas.id, extra_query={"trace": "abc", "q": "x y"})
    recorded = emulator.requests[-1]
    assert recorded.path == "/v2/chat/completions"
    assert recorded.query == "trace=abc&q=x+y"
    assert recorded.body == {"canvas_id": canvas.id}


async def test_async_extra_query_is_in_the_query_string(emulator, canvas, aclient):
    await aclient.completions.create(canvas_id=canvas.id, extra_query={"trace": "abc"})
    assert emulator.requests[-1].query == "trace=abc"


@pytest.mark.parametrize("timeout", [5, 2.5, Timeout(read=5), Timeout(total=10, connect=2)])
def test_per_call_timeout_is_accepted(emulator, canvas, client, timeout):
    out = client.completions.create(canvas_id=canvas.id, variables={"document": "t"}, timeout=timeout)
    assert out.content == "Summary of t"
    assert len(emulator.requests) == 1


async def test_async_per_call_timeout_is_accepted(emulator, canvas, aclient):
    out = await aclient.completions.create(canvas_id=canvas.id, variables={"document": "t"}, timeout=Timeout(read=5))
    assert out.content == "Summary of t"


def test_application_id_is_rejected_pointing_to_submit(emulator, client):
    with pytest.raises(InvalidRequestError) as info:
        client.completions.create(application_id="app-1")
    assert "submit" in str(info.value)
    assert emulator.requests == []


async def test_async_application_id_is_rejected_pointing_to_submit(emulator, aclient):
    with pytest.raises(InvalidRequestError, match="submit"):
        await aclient.completions.create(application_id="app-1")
    assert emulator.requests == []


# --- the result -------------------------------------------------------------------------


@pytest.mark.lax  # checks a field the docs do not show (the emulator's strict mode drops it)
def test_completion_attributes(emulator, canvas, client):
    before = int(time.time())
    out = client.completions.create(canvas_id=canvas.id, variables={"document": "the doc"})
    assert isinstance(out, Completion)
    assert out.choices[0].message.content == "Summary of the doc"
    assert out.choices[0].message.role == "assistant"
    assert out.choices[0].finish_reason == "stop"
    assert out.choices[0].index == 0
    assert out.content == "Summary of the doc"
    assert isinstance(out.id, str)
    assert out.id
    assert out.object == "chat.completion"
    assert isinstance(out.created, int)
    assert before - 5 <= out.created <= int(time.time()) + 5
    assert out.model == "gpt-4o"
    assert out["object"] == "chat.completion"
    assert out.get("missing", "dflt") == "dflt"


async def test_async_completion_attributes(emulator, canvas, aclient):
    out = await aclient.completions.create(canvas_id=canvas.id, variables={"document": "the doc"})
    assert isinstance(out, Completion)
    assert out.choices[0].message.content == "Summary of the doc"
    assert out.content == "Summary of the doc"
    assert out.object == "chat.completion"
    assert out.request_id is not None
    assert out.request_id.startswith("req_")


def test_looping_over_a_completion_says_to_pass_stream_true(emulator, canvas, client):
    out = client.completions.create(canvas_id=canvas.id, variables={"document": "the doc"})
    with pytest.raises(InvalidRequestError, match="stream=True") as info:
        for _ in out:
            pass
    assert isinstance(info.value, TypeError)
    assert isinstance(info.value, TelaError)
    with pytest.raises(TypeError, match="stream=True"):
        list(out)


async def test_async_for_over_a_completion_says_to_pass_stream_true(emulator, canvas, aclient):
    out = await aclient.completions.create(canvas_id=canvas.id, variables={"document": "the doc"})
    with pytest.raises(InvalidRequestError, match=r"`async for` over a Completion.*stream=True"):
        async for _ in out:
            pass


@pytest.mark.lax  # checks a field the docs do not show (the emulator's strict mode drops it)
def test_usage_is_kept_and_typed(emulator, canvas, client):
    out = client.completions.create(canvas_id=canvas.id, variables={"document": "a b c"})
    data = out.to_dict()
    assert "usage" in data
    assert out.usage is not None
    assert out.usage.total_tokens == data["usage"]["total_tokens"]
    assert out.usage.total_tokens == out.usage.prompt_tokens + out.usage.completion_tokens
    assert out.usage.completion_tokens == 5  # "Summary of a b c"


def test_unknown_field_raises_attribute_error(emulator, canvas, client):
    out = client.completions.create(canvas_id=canvas.id)
    with pytest.raises(AttributeError):
        _ = out.no_such_field


def test_unknown_fields_are_kept():
    data = {
        "id": "c1",
        "object": "chat.completion",
        "created": 1,
        "choices": [{"message": {"role": "assistant", "content": "hi", "reasoning": "r"}}],
        "brand_new": {"nested": [1, 2]},
    }
    out = Completion(data, "req_x")
    assert out.brand_new == {"nested": [1, 2]}  # type: ignore[attr-defined]  # undeclared: read at run time only
    assert out.choices[0].message.reasoning == "r"  # type: ignore[attr-defined]  # undeclared: read at run time only
    assert out.to_dict()["brand_new"] == {"nested": [1, 2]}
    assert json.loads(out.to_json())["brand_new"] == {"nested": [1, 2]}
    assert "brand_new" in dir(out)


def test_completion_is_read_only(emulator, canvas, client):
    out = client.completions.create(canvas_id=canvas.id)
    with pytest.raises(AttributeError):
        out.id = "other"


@pytest.mark.lax  # checks a field the docs do not show (the emulator's strict mode drops it)
def test_to_dict_is_a_deep_copy(emulator, canvas, client):
    out = client.completions.create(canvas_id=canvas.id, variables={"document": "d"})
    data = out.to_dict()
    assert data["choices"][0]["message"]["content"] == "Summary of d"
    data["choices"][0]["message"]["content"] = "changed"
    data["usage"]["total_tokens"] = -1
    data["id"] = "changed"
    data["choices"].append({"extra": True})
    assert out.content == "Summary of d"
    assert out.choices[0].message.content == "Summary of d"
    assert out.usage is not None
    assert out.usage.total_tokens != -1
    assert out.id != "changed"
    assert len(out.choices) == 1
    assert out.to_dict()["choices"][0]["message"]["content"] == "Summary of d"


def test_to_json_parses_back(emulator, canvas, client):
    out = client.completions.create(canvas_id=canvas.id, variables={"document": "é ✓"})
    assert json.loads(out.to_json()) == out.to_dict()
    compact = out.to_json(indent=None)
    assert "\n" not in compact
    assert json.loads(compact) == out.to_dict()
    assert "é ✓" in compact


def test_repr_is_readable_and_short(emulator, client):
    long_canvas = emulator.add_canvas(reply="word " * 400)
    out = client.completions.create(canvas_id=long_canvas.id)
    text = repr(out)
    assert text.startswith("Completion(")
    assert out.id in text
    assert "content=" in text
    assert str(out.request_id) in text
    assert len(text) < 300


def test_request_id_is_the_response_id(emulator, canvas, client):
    first = client.completions.create(canvas_id=canvas.id)
    second = client.completions.create(canvas_id=canvas.id)
    assert first.request_id is not None
    assert first.request_id.startswith("req_")
    assert second.request_id is not None
    assert second.request_id.startswith("req_")
    assert first.request_id != second.request_id


def test_completion_pickles_with_its_request_id(emulator, canvas, client):
    out = client.completions.create(canvas_id=canvas.id, variables={"document": "p"})
    back = pickle.loads(pickle.dumps(out))
    assert back == out
    assert back.request_id == out.request_id
    assert back.content == "Summary of p"


def test_structured_reply_is_a_dict(emulator, client):
    structured = emulator.add_canvas(reply={"total": 42.5, "items": ["a", "b"], "ok": True})
    out = client.completions.create(canvas_id=structured.id)
    assert out.content == {"total": 42.5, "items": ["a", "b"], "ok": True}
    assert out.choices[0].message.content == out.content
    assert out.to_dict()["choices"][0]["message"]["content"] == out.content


async def test_async_structured_reply_is_a_dict(emulator, aclient):
    structured = emulator.add_canvas(reply={"total": 1})
    out = await aclient.completions.create(canvas_id=structured.id)
    assert out.content == {"total": 1}


class _Invoice:
    """A stand-in for a pydantic model: only ``model_validate`` is used."""

    def __init__(self, total: float, items: list[str]) -> None:
        self.total = total
        self.items = items

    @classmethod
    def model_validate(cls, data: Any) -> _Invoice:
        if not isinstance(data, dict) or "total" not in data:
            raise ValueError(f"not an invoice: {data!r}")
        return cls(total=data["total"], items=list(data.get("items", [])))


def test_parse_into_a_model(emulator, client):
    structured = emulator.add_canvas(reply={"total": 42.5, "items": ["a"]})
    out = client.completions.create(canvas_id=structured.id)
    invoice = out.parse(_Invoice)
    assert isinstance(invoice, _Invoice)
    assert invoice.total == 42.5
    assert invoice.items == ["a"]


def test_parse_propagates_validation_errors(emulator, client):
    structured = emulator.add_canvas(reply={"items": []})
    out = client.completions.create(canvas_id=structured.id)
    with pytest.raises(ValueError, match="not an invoice"):
        out.parse(_Invoice)


def test_parse_of_text_content_says_it_is_not_json(emulator, canvas, client):
    out = client.completions.create(canvas_id=canvas.id, variables={"document": "d"})
    with pytest.raises(ParseError, match=r"not JSON.*_Invoice.*structured Output Format"):
        out.parse(_Invoice)


def test_parse_needs_a_model_class(emulator, client):
    structured = emulator.add_canvas(reply={"total": 1})
    out = client.completions.create(canvas_id=structured.id)
    with pytest.raises(TypeError, match="pydantic model, a dataclass or a TypedDict"):
        out.parse(dict)


# --- what the canvas sees ---------------------------------------------------------------


def test_callback_receives_the_request_and_its_string_is_the_content(emulator, client):
    seen: list[ReplyRequest] = []

    def reply(request: ReplyRequest) -> str:
        seen.append(request)
        return f"got {request.variables['name']} and {len(request.messages)} messages"

    cb_canvas = emulator.add_canvas(template="Hello {{name}}", reply=reply)
    out = client.completions.create(
        canvas_id=cb_canvas.id,
        variables={"name": "Ada", "n": 2},
        messages=[{"role": "user", "content": "hi there"}],
        override={"temperature": 0.1},
        extra_headers={"X-Probe": "p"},
    )
    assert out.content == "got Ada and 1 messages"
    assert len(seen) == 1
    request = seen[0]
    assert isinstance(request, ReplyRequest)
    assert request.canvas_id == cb_canvas.id
    assert request.version_id == cb_canvas.production_version_id
    assert request.environment_name == "production"
    assert request.variables == {"name": "Ada", "n": 2}
    assert request.messages == [{"role": "user", "content": "hi there"}]
    assert request.override == {"temperature": 0.1}
    assert request.prompt.startswith("Hello Ada")
    assert "user: hi there" in request.prompt
    assert request.headers["x-probe"] == "p"
    assert request.headers["authorization"] == "Bearer ***-key"


async def test_async_callback_receives_the_request(emulator, aclient):
    seen: list[ReplyRequest] = []

    def reply(request: ReplyRequest) -> str:
        seen.append(request)
        return "async " + request.prompt

    cb_canvas = emulator.add_canvas(template="T {{v}}", reply=reply)
    out = await aclient.completions.create(canvas_id=cb_canvas.id, variables={"v": "1"})
    assert out.content == "async T 1"
    assert seen[0].variables == {"v": "1"}


def test_callback_returning_a_dict_is_structured(emulator, client):
    cb_canvas = emulator.add_canvas(reply=lambda request: {"echo": request.variables})
    out = client.completions.create(canvas_id=cb_canvas.id, variables={"k": 1})
    assert out.content == {"echo": {"k": 1}}


def test_callback_sees_the_selected_version(emulator, client):
    seen: list[ReplyRequest] = []

    def reply(request: ReplyRequest) -> str:
        seen.append(request)
        return request.prompt

    cb_canvas = emulator.add_canvas(
        template="prod",
        versions=[{"id": "cb-v2", "template": "v2"}],
        environments={"staging": "cb-v2"},
        reply=reply,
    )
    assert client.completions.create(canvas_id=cb_canvas.id, environment_name="staging").content == "v2"
    assert seen[-1].version_id == "cb-v2"
    assert seen[-1].environment_name == "staging"
    assert client.completions.create(version_id="cb-v2").content == "v2"
    assert seen[-1].environment_name is None


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"v": "text"}, "[text]"),
        ({"v": 3}, "[3]"),
        ({"v": 1.5}, "[1.5]"),
        ({"v": True}, "[true]"),
        ({"v": {"file_url": "https://example.com/a.pdf"}}, "[[file: https://example.com/a.pdf]]"),
        ({"v": {"file_url": "data:text/plain;base64,aGk="}}, "[[file: inline data]]"),
        ({}, "[{{v}}]"),
    ],
)
def test_template_rendering(emulator, client, variables, expected):
    echo = emulator.add_canvas(template="[{{v}}]", allow_missing_variables=True)
    assert client.completions.create(canvas_id=echo.id, variables=variables).content == expected


def test_reply_text_is_rendered_with_spaces_in_placeholders(emulator, client):
    c = emulator.add_canvas(reply="Hi {{ name }}, {{name}}!")
    assert client.completions.create(canvas_id=c.id, variables={"name": "Bo"}).content == "Hi Bo, Bo!"


def test_versions_and_environments_select_the_reply(emulator, staged, client):
    create = client.completions.create
    assert create(canvas_id=staged.id, variables={"x": "1"}).content == "production says 1"
    assert create(canvas_id=staged.id, environment_name="production", variables={"x": "2"}).content == (
        "production says 2"
    )
    assert create(canvas_id=staged.id, environment_name="staging", variables={"x": "3"}).content == "staging says 3"
    assert create(canvas_id=staged.id, environment_name="eu-prod-2", variables={"x": "4"}).content == (
        "production says 4"
    )
    assert create(version_id=STAGING_VERSION, variables={"x": "5"}).content == "staging says 5"
    assert create(version_id=BETA_VERSION).content == {"version": "beta"}
    assert create(version_id=staged.production_version_id, variables={"x": "6"}).content == "production says 6"
    assert staged.version_ids == [staged.production_version_id, STAGING_VERSION, BETA_VERSION]
    assert emulator.requests[2].body == {"canvas_id": staged.id, "environment_name": "staging", "variables": {"x": "3"}}


async def test_async_versions_and_environments_select_the_reply(emulator, staged, aclient):
    out = await aclient.completions.create(canvas_id=staged.id, environment_name="staging", variables={"x": "a"})
    assert out.content == "staging says a"
    out = await aclient.completions.create(version_id=BETA_VERSION)
    assert out.content == {"version": "beta"}


def test_unknown_environment_is_not_found_on_the_server(emulator, staged, client):
    with pytest.raises(NotFoundError) as info:
        client.completions.create(canvas_id=staged.id, environment_name="qa")
    assert "Environment" in str(info.value)
    assert len(emulator.requests) == 1


def test_unknown_canvas_and_version_are_not_found(emulator, client):
    with pytest.raises(NotFoundError, match="Canvas not found"):
        client.completions.create(canvas_id="no-such-canvas")
    with pytest.raises(NotFoundError, match="Version not found"):
        client.completions.create(version_id="no-such-version")


# --- validation before any request ------------------------------------------------------

INVALID_CALLS: list[tuple[str, dict[str, Any], type[Exception], str]] = [
    ("no-target", {}, InvalidRequestError, "canvas_id"),
    ("no-target-vars-only", {"variables": {"a": "b"}}, InvalidRequestError, "canvas_id"),
    ("canvas-and-version", {"canvas_id": "c", "version_id": "v"}, InvalidRequestError, "canvas_id and version_id"),
    ("canvas-and-app", {"canvas_id": "c", "application_id": "a"}, InvalidRequestError, "exactly one"),
    ("all-three", {"canvas_id": "c", "version_id": "v", "application_id": "a"}, InvalidRequestError, "exactly one"),
    ("empty-canvas-id", {"canvas_id": ""}, InvalidRequestError, "canvas_id"),
    ("blank-version-id", {"version_id": "  "}, InvalidRequestError, "version_id"),
    ("env-with-version", {"version_id": "v", "environment_name": "staging"}, InvalidRequestError, "canvas_id"),
    ("env-uppercase", {"canvas_id": "c", "environment_name": "Staging"}, InvalidRequestError, "environment_name"),
    ("env-underscore", {"canvas_id": "c", "environment_name": "eu_prod"}, InvalidRequestError, "environment_name"),
    ("env-double-hyphen", {"canvas_id": "c", "environment_name": "a--b"}, InvalidRequestError, "environment_name"),
    ("env-too-long", {"canvas_id": "c", "environment_name": "a" * 65}, InvalidRequestError, "environment_name"),
    ("env-empty", {"canvas_id": "c", "environment_name": ""}, InvalidRequestError, "environment_name"),
    ("var-none", {"canvas_id": "c", "variables": {"x": None}}, InvalidRequestError, 'variables["x"]'),
    ("var-nested-list", {"canvas_id": "c", "variables": {"x": [["a"]]}}, InvalidRequestError, 'variables["x"]'),
    ("var-none-in-list", {"canvas_id": "c", "variables": {"x": ["a", None]}}, InvalidRequestError, 'variables["x"][1]'),
    ("var-dict-no-file-url", {"canvas_id": "c", "variables": {"x": {"url": "u"}}}, InvalidRequestError, "file_url"),
    ("var-bad-file-url", {"canvas_id": "c", "variables": {"x": {"file_url": "ftp://h/f"}}}, InvalidRequestError, "ftp"),
    ("var-set", {"canvas_id": "c", "variables": {"x": {1, 2}}}, TypeError, 'variables["x"]'),
    ("var-nan", {"canvas_id": "c", "variables": {"x": float("nan")}}, TypeError, 'variables["x"]'),
    ("var-inf", {"canvas_id": "c", "variables": {"x": float("inf")}}, TypeError, 'variables["x"]'),
    ("var-object", {"canvas_id": "c", "variables": {"x": object()}}, TypeError, 'variables["x"]'),
    ("var-text-file", {"canvas_id": "c", "variables": {"x": io.StringIO("text")}}, TypeError, 'variables["x"]'),
    ("var-set-in-list", {"canvas_id": "c", "variables": {"x": ["a", {1}]}}, TypeError, 'variables["x"][1]'),
    ("var-int-key", {"canvas_id": "c", "variables": {1: "a"}}, TypeError, "variables"),
    ("var-huge-int", {"canvas_id": "c", "variables": {"x": 2**70}}, TypeError, 'variables["x"]'),
    ("vars-not-dict", {"canvas_id": "c", "variables": ["a"]}, InvalidRequestError, "variables"),
    ("messages-not-list", {"canvas_id": "c", "messages": "hi"}, InvalidRequestError, "messages"),
    ("message-not-dict", {"canvas_id": "c", "messages": ["hi"]}, InvalidRequestError, "messages[0]"),
    ("message-no-role", {"canvas_id": "c", "messages": [{"content": "hi"}]}, InvalidRequestError, "role"),
    ("message-bad-role", {"canvas_id": "c", "messages": [{"role": "bot", "content": "x"}]}, InvalidRequestError, "bot"),
    ("message-no-content", {"canvas_id": "c", "messages": [{"role": "user"}]}, InvalidRequestError, "content"),
    (
        "second-message-no-role",
        {"canvas_id": "c", "messages": [{"role": "user", "content": "a"}, {"content": "b"}]},
        InvalidRequestError,
        "messages[1]",
    ),
    (
        "part-bad-type",
        {"canvas_id": "c", "messages": [{"role": "user", "content": {"type": "video"}}]},
        InvalidRequestError,
        "video",
    ),
    (
        "part-bad-type-in-list",
        {"canvas_id": "c", "messages": [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "x"}]}]},
        InvalidRequestError,
        "messages[0].content[1]",
    ),
    (
        "text-part-no-text",
        {"canvas_id": "c", "messages": [{"role": "user", "content": {"type": "text"}}]},
        InvalidRequestError,
        "text",
    ),
    (
        "image-part-no-url",
        {"canvas_id": "c", "messages": [{"role": "user", "content": {"type": "image_url", "image_url": {}}}]},
        InvalidRequestError,
        "image_url",
    ),
    (
        "content-int",
        {"canvas_id": "c", "messages": [{"role": "user", "content": 5}]},
        InvalidRequestError,
        "messages[0].content",
    ),
    (
        "content-nested-list",
        {"canvas_id": "c", "messages": [{"role": "user", "content": [["a"]]}]},
        InvalidRequestError,
        "messages[0].content",
    ),
    ("override-not-dict", {"canvas_id": "c", "override": "fast"}, InvalidRequestError, "override"),
    ("override-type", {"canvas_id": "c", "override": {"type": "assistant"}}, InvalidRequestError, "override.type"),
    ("override-model", {"canvas_id": "c", "override": {"model": 4}}, InvalidRequestError, "override.model"),
    ("override-temp", {"canvas_id": "c", "override": {"temperature": "hot"}}, InvalidRequestError, "temperature"),
    ("override-functions", {"canvas_id": "c", "override": {"functions": {}}}, InvalidRequestError, "functions"),
    (
        "override-function-no-name",
        {"canvas_id": "c", "override": {"functions": [{"id": "1"}]}},
        InvalidRequestError,
        "functions[0]",
    ),
    (
        "override-structured",
        {"canvas_id": "c", "override": {"structured_output": {"schema": {}}}},
        InvalidRequestError,
        "structured_output",
    ),
    ("tags-not-list", {"canvas_id": "c", "tags": "a"}, InvalidRequestError, "tags"),
    ("tags-int", {"canvas_id": "c", "tags": ["a", 1]}, InvalidRequestError, "tags"),
    ("label-int", {"canvas_id": "c", "label": 3}, InvalidRequestError, "label"),
    ("extra-body-not-dict", {"canvas_id": "c", "extra_body": ["x"]}, TypeError, "extra_body"),
    ("extra-header-bad-name", {"canvas_id": "c", "extra_headers": {"Bad Name": "x"}}, InvalidRequestError, "Bad Name"),
    ("extra-header-newline", {"canvas_id": "c", "extra_headers": {"X-A": "a\nb"}}, InvalidRequestError, "X-A"),
    ("extra-header-list", {"canvas_id": "c", "extra_headers": {"X-A": ["a"]}}, TypeError, "X-A"),
    ("timeout-zero", {"canvas_id": "c", "timeout": 0}, InvalidRequestError, "timeout"),
    ("timeout-negative", {"canvas_id": "c", "timeout": Timeout(read=-1)}, InvalidRequestError, "read"),
    ("timeout-str", {"canvas_id": "c", "timeout": "5"}, TypeError, "timeout"),
    ("max-retries-too-many", {"canvas_id": "c", "max_retries": 11}, InvalidRequestError, "max_retries"),
]


@pytest.mark.parametrize(
    ("kwargs", "exc", "fragment"),
    [case[1:] for case in INVALID_CALLS],
    ids=[case[0] for case in INVALID_CALLS],
)
def test_invalid_call_fails_before_any_request(emulator, client, kwargs, exc, fragment):
    with pytest.raises(exc) as info:
        client.completions.create(**kwargs)
    assert fragment.lower() in str(info.value).lower()
    assert emulator.requests == []


@pytest.mark.parametrize(
    ("kwargs", "exc", "fragment"),
    [case[1:] for case in INVALID_CALLS],
    ids=[case[0] for case in INVALID_CALLS],
)
async def test_async_invalid_call_fails_before_any_request(emulator, aclient, kwargs, exc, fragment):
    with pytest.raises(exc) as info:
        await aclient.completions.create(**kwargs)
    assert fragment.lower() in str(info.value).lower()
    assert emulator.requests == []


@pytest.mark.parametrize("kwargs", [{}, {"canvas_id": "c", "variables": {"x": None}}])
def test_stream_call_is_validated_before_any_request(emulator, client, kwargs):
    with pytest.raises(InvalidRequestError):
        client.completions.create(stream=True, **kwargs)
    assert emulator.requests == []


def test_validation_errors_are_value_errors_and_tela_errors(emulator, client):
    with pytest.raises(InvalidRequestError) as info:
        client.completions.create()
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, TelaError)
    assert info.value.message == str(info.value)


def test_a_404_names_what_was_sent(emulator, staged, client):
    with pytest.raises(NotFoundError) as info:
        client.completions.create(canvas_id="no-such-canvas", variables={"document": "x"})
    assert "Canvas not found" in str(info.value)
    assert "sent canvas_id='no-such-canvas'" in str(info.value)
    assert info.value.message == str(info.value)
    with pytest.raises(NotFoundError, match=r"sent canvas_id='.*', environment_name='qa'"):
        client.completions.create(canvas_id=staged.id, environment_name="qa")
    with pytest.raises(NotFoundError, match="sent version_id='no-such-version'"):
        client.completions.create(version_id="no-such-version", stream=True)
    with pytest.raises(NotFoundError, match="sent id='run_missing'"):
        client.completions.retrieve("run_missing")


async def test_a_404_names_what_was_sent_async(aclient):
    with pytest.raises(NotFoundError, match="sent canvas_id='gone'"):
        await aclient.completions.create(canvas_id="gone")


def test_a_404_traceback_shows_the_public_class_name(client):
    import traceback

    with pytest.raises(NotFoundError) as info:
        client.completions.create(canvas_id="gone")
    text = "".join(traceback.format_exception(info.value))
    assert "tela_sdk.NotFoundError: HTTP 404" in text
    assert "_exceptions" not in text.splitlines()[-1]


def test_a_string_variable_naming_a_file_warns_once(emulator, canvas, client, tmp_path, monkeypatch):
    import warnings

    from tela_sdk import TelaWarning, _base

    monkeypatch.setattr(_base, "_warned_paths", set())
    path = tmp_path / "notes.txt"
    path.write_text("the notes")
    with pytest.warns(TelaWarning, match=r"names an existing file.*pass pathlib\.Path\(") as record:
        out = client.completions.create(canvas_id=canvas.id, variables={"document": str(path)})
    assert out.content == f"Summary of {path}"  # still sent as the text, as before
    assert record[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client.completions.create(canvas_id=canvas.id, variables={"document": str(path)})  # once
        # Text that is no file, or too long to be a path, is never looked up.
        monkeypatch.setattr(_base, "_warned_paths", set())
        for text in ("notes.txt", str(tmp_path / "missing.txt"), "Plain prose. With dots.", str(path) + "\n" + "x"):
            client.completions.create(canvas_id=canvas.id, variables={"document": text})
