"""``client.canvases`` and ``client.environments`` (issue 24 item 2) and ``check_variables``
(item 3): over real TCP against the emulator, and a raw-socket server for the list envelopes,
unknown fields and error bodies the emulator does not produce."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

import tela_sdk
from tela_sdk import (
    APIResponseValidationError,
    AsyncClient,
    Client,
    InvalidRequestError,
    NotFoundError,
)
from tela_sdk.testing import Emulator
from tela_sdk.types import Canvas, CanvasVariable, CanvasVersion, EnvironmentPublication

from .cliutil import cli
from .rawserver import RawConn, RawServer, response

SCHEMA = {"type": "object", "properties": {"totalAmount": {"type": "number"}}, "required": ["totalAmount"]}
VARIABLES = [
    {"name": "document", "type": "file", "description": "The invoice", "allow_multimodal": True},
    {"name": "query", "type": "text", "required": False, "description": "What to look for"},
]


def paths(emulator: Emulator, prefix: str = "/") -> list[str]:
    return [f"{r.method} {r.path}" for r in emulator.requests if r.path.startswith(prefix)]


def add_invoices(emulator: Emulator) -> Any:
    return emulator.add_canvas(
        id="inv",
        title="Invoices",
        project_id="proj-1",
        template="Read {{document}} for {{query}}",
        variables=VARIABLES,
        output_schema=SCHEMA,
        allow_missing_variables=True,
        versions=[
            {"id": "v2", "template": "Second {{a}}", "title": "Second"},
            {"id": "v3", "template": "Third {{b}}", "variables": [{"name": "b", "type": "text"}]},
        ],
        environments={"staging": "v2"},
    )


# --- reading canvases and versions ---------------------------------------------------------


def test_a_canvas_and_its_versions_are_typed_and_snake_case(emulator: Emulator, client: Client) -> None:
    info = add_invoices(emulator)
    emulator.add_canvas(id="other", template="x", project_id="proj-2")
    canvas = client.canvases.get("inv")
    assert isinstance(canvas, Canvas)
    assert (canvas.id, canvas.title, canvas.project_id) == ("inv", "Invoices", "proj-1")
    assert canvas.request_id
    assert [c.id for c in client.canvases.list()] == ["inv", "other"]
    assert [c.id for c in client.canvases.list(project_id="proj-2")] == ["other"]

    promoted = client.canvases.promoted_version("inv")
    assert isinstance(promoted, CanvasVersion)
    assert (promoted.id, promoted.canvas_id, promoted.promoted) == (info.production_version_id, "inv", True)
    assert promoted.output_schema == SCHEMA  # the user's schema keeps its camelCase keys
    assert promoted.environment_names == ["production"]
    doc, query = promoted.variables or []
    assert isinstance(doc, CanvasVariable)
    assert (doc.name, doc.type, doc.required, doc.description, doc.allow_multimodal, doc.is_file) == (
        "document",
        "file",
        True,
        "The invoice",
        True,
        True,
    )
    assert (query.type, query.required, query.allow_multimodal, query.is_file) == ("text", False, None, False)

    latest = client.canvases.latest_version("inv")
    assert (latest.id, latest.version_index, latest.previous_version_id) == ("v3", 3, "v2")
    assert latest.output_schema is None  # structured output off
    assert latest.to_dict()["configuration"]["structured_output"]["enabled"] is False

    staged = client.canvases.version("v2")
    assert (staged.title, staged.content, staged.environment_names) == ("Second", "Second {{a}}", ["staging"])
    # Variables default to one required text variable per placeholder.
    assert [(v.name, v.type, v.required) for v in staged.variables or []] == [("a", "text", True)]
    assert client.environments.version("inv", "staging").id == "v2"


def test_history_pages_newest_first_and_iterates_every_version(emulator: Emulator, client: Client) -> None:
    info = add_invoices(emulator)
    page = client.canvases.history("inv", limit=2)
    assert [v.id for v in page.data] == ["v3", "v2"]
    assert page.has_more
    assert page.data[0].content is None
    assert page.data[0].variables is None
    emulator.clear_requests()
    assert [v.id for v in page] == ["v3", "v2", info.production_version_id]
    queries = [r.query for r in emulator.requests]
    assert queries == ["promptId=inv&limit=2&offset=2"]  # the short page ends it


def test_publishing_moves_an_environment_and_production_moves_what_runs(emulator: Emulator, client: Client) -> None:
    add_invoices(emulator)
    out = client.environments.publish("inv", "staging", "v3")
    assert isinstance(out, EnvironmentPublication)
    assert out.version is not None
    assert out.version.id == "v3"
    assert client.environments.version("inv", "staging").id == "v3"
    sent = [r.body for r in emulator.requests if r.path == "/environment/publish-by-name"]
    assert sent == [
        {"resourceType": "prompt", "resourceId": "inv", "envName": "staging", "versionId": "v3", "autoCreate": False}
    ]

    client.environments.publish("inv", "production", "v2")
    assert client.canvases.promoted_version("inv").id == "v2"
    assert client.completions.create(canvas_id="inv", variables={"a": "A"}).content == "Second A"

    with pytest.raises(NotFoundError, match="environment_name='eu-1'"):
        client.environments.publish("inv", "eu-1", "v2")
    created = client.environments.publish("inv", "eu-1", "v2", auto_create=True)
    assert created.environment is not None
    assert created.environment["name"] == "eu-1"
    assert client.environments.version("inv", "eu-1").id == "v2"


def test_bad_arguments_fail_before_sending(emulator: Emulator, client: Client) -> None:
    add_invoices(emulator)
    emulator.clear_requests()
    with pytest.raises(InvalidRequestError, match="lowercase letters and digits"):
        client.environments.publish("inv", "Staging", "v2")
    with pytest.raises(InvalidRequestError, match="limit must be an integer from 1 to 100"):
        client.canvases.history("inv", limit=0)
    with pytest.raises(InvalidRequestError, match="canvas_id must be a non-empty string"):
        client.canvases.get(" ")
    assert emulator.requests == []


def test_unknown_ids_are_not_found_naming_them(emulator: Emulator, client: Client) -> None:
    add_invoices(emulator)
    with pytest.raises(NotFoundError, match="canvas_id='nope'"):
        client.canvases.get("nope")
    with pytest.raises(NotFoundError, match="version_id='nope'"):
        client.canvases.version("nope")
    with pytest.raises(NotFoundError):
        client.environments.version("inv", "missing")
    with pytest.raises(NotFoundError):
        client.environments.publish("inv", "staging", "not-a-version")


def test_raw_responses_of_canvas_calls(emulator: Emulator, client: Client) -> None:
    add_invoices(emulator)
    raw = client.with_raw_response.canvases.promoted_version("inv")
    assert raw.status_code == 200
    assert raw.parse().canvas_id == "inv"
    assert next(v.id for v in client.with_raw_response.canvases.history("inv").parse()) == "v3"


async def test_async_twins(emulator: Emulator, aclient: AsyncClient) -> None:
    add_invoices(emulator)
    assert (await aclient.canvases.get("inv")).title == "Invoices"
    assert [c.id async for c in await aclient.canvases.list()] == ["inv"]
    assert (await aclient.canvases.promoted_version("inv")).output_schema == SCHEMA
    assert (await aclient.canvases.latest_version("inv")).id == "v3"
    assert (await aclient.canvases.version("v2")).title == "Second"
    assert len([v async for v in await aclient.canvases.history("inv", limit=1)]) == 3
    out = await aclient.environments.publish("inv", "staging", "v3")
    assert out.version is not None
    assert out.version.id == "v3"
    assert (await aclient.environments.version("inv", "staging")).id == "v3"


# --- check_variables ------------------------------------------------------------------------


def test_check_variables_raises_before_any_upload_or_request(
    emulator: Emulator, client: Client, tmp_path: pathlib.Path
) -> None:
    add_invoices(emulator)
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.4 " + b"x" * 100)
    checked = client.with_options(check_variables=True, upload="vault")
    emulator.clear_requests()
    with pytest.raises(InvalidRequestError, match=r"missing required variable: 'document'"):
        checked.completions.create(canvas_id="inv", variables={"query": "total"})
    with pytest.raises(
        InvalidRequestError,
        match=r"unknown variable 'querry' \(the canvas has 'document', 'query'\) \(did you mean 'query'\?\)",
    ):
        checked.completions.create(canvas_id="inv", variables={"document": big, "querry": "x"})
    with pytest.raises(InvalidRequestError, match="'document' wants a file, got str"):
        checked.completions.submit(canvas_id="inv", variables={"document": "the text"})
    with pytest.raises(InvalidRequestError, match="'query' wants text, got a file"):
        checked.completions.create(canvas_id="inv", variables={"document": big, "query": pathlib.Path(big)})
    # One fetch of the spec for all four calls; no upload, no run.
    assert paths(emulator) == ["GET /prompt/inv/promoted-version"]
    out = checked.completions.create(canvas_id="inv", variables={"document": tela_sdk.File(big), "query": "total"})
    assert out.content.startswith("Read ")
    assert paths(emulator, "/prompt") == ["GET /prompt/inv/promoted-version"]


def test_check_variables_is_off_by_default_and_a_call_can_override_the_client(emulator: Emulator) -> None:
    add_invoices(emulator)
    with emulator.client() as plain:
        plain.completions.create(canvas_id="inv", variables={"nothing": "x"})  # no check
        assert paths(emulator, "/prompt") == []
        with pytest.raises(InvalidRequestError, match="missing required"):
            plain.completions.create(canvas_id="inv", variables={}, check_variables=True)
    with emulator.client(check_variables=True) as checked:
        assert checked._check_variables
        checked.completions.create(canvas_id="inv", variables={"nothing": "x"}, check_variables=False)
        with pytest.raises(InvalidRequestError, match="check_variables must be True or False"):
            checked.completions.create(canvas_id="inv", check_variables="yes")  # type: ignore[call-overload]
    with pytest.raises(InvalidRequestError, match="check_variables must be True or False"):
        emulator.client(check_variables=1)


def test_check_variables_reads_the_version_or_environment_that_will_run(emulator: Emulator) -> None:
    add_invoices(emulator)
    with emulator.client(check_variables=True) as client:
        emulator.clear_requests()
        with pytest.raises(InvalidRequestError, match=r"version v2: .*unknown variable 'b'.*'a'"):
            client.completions.create(version_id="v2", variables={"b": "x"})
        with pytest.raises(InvalidRequestError, match=r"version v2: missing required variable: 'a'"):
            client.completions.create(canvas_id="inv", environment_name="staging", variables={})
        assert client.completions.create(version_id="v2", variables={"a": "1"}).content == "Second 1"
        assert paths(emulator, "/prompt") + paths(emulator, "/environment") == [
            "GET /prompt-version/v2",
            "GET /environment/version",
        ]
        env = [r.query for r in emulator.requests if r.path == "/environment/version"]
        assert env == ["resourceType=prompt&resourceId=inv&envName=staging"]


def test_batch_checks_every_item_before_running_any(emulator: Emulator, client: Client) -> None:
    add_invoices(emulator)
    emulator.clear_requests()
    items = [{"variables": {"document": b"%PDF-1.4 a"}}, {"variables": {"documnt": b"%PDF-1.4 b"}}]
    with pytest.raises(InvalidRequestError, match=r"items\[1\]: .*did you mean 'document'"):
        client.completions.batch(items, canvas_id="inv", check_variables=True, progress=False)
    assert paths(emulator, "/v2/") == []
    results = client.completions.batch(items[:1], canvas_id="inv", check_variables=True, progress=False)
    assert [r.ok for r in results] == [True]
    assert paths(emulator, "/prompt") == ["GET /prompt/inv/promoted-version"]


async def test_async_check_variables(emulator: Emulator) -> None:
    add_invoices(emulator)
    async with emulator.async_client(check_variables=True) as client:
        with pytest.raises(InvalidRequestError, match="missing required variable: 'document'"):
            await client.completions.create(canvas_id="inv", variables={})
        with pytest.raises(InvalidRequestError, match="items"):
            await client.completions.batch([{"variables": {}}], canvas_id="inv", progress=False)
        out = await client.completions.create(canvas_id="inv", variables={"document": b"%PDF-1.4 x"})
        assert out.content.startswith("Read ")
    assert paths(emulator, "/prompt") == ["GET /prompt/inv/promoted-version"]


def test_an_application_run_is_not_checked(emulator: Emulator) -> None:
    emulator.add_canvas(id="app-canvas", template="{{x}}", application_id="app-1", allow_missing_variables=True)
    with emulator.client(check_variables=True) as client:
        client.completions.submit(application_id="app-1", variables={"anything": "x"})
    assert paths(emulator, "/prompt") == []


# --- shapes the emulator does not produce ---------------------------------------------------


def _serve(answers: dict[str, tuple[int, Any]], seen: list[str]) -> Any:
    def handler(conn: RawConn) -> None:
        line = f"{conn.request.method} {conn.request.path}"
        seen.append(line)
        status, body = answers.get(line, (404, {"name": "Error", "code": "NOT_FOUND", "message": "no", "status": 404}))
        conn.send(response(status, {"content-type": "application/json"}, json.dumps(body).encode()))
        conn.close()

    return handler


def test_a_list_envelope_with_a_cursor_is_followed_and_unknown_fields_stay_readable() -> None:
    seen: list[str] = []
    answers = {
        "GET /prompt?projectId=p": (
            200,
            {"data": [{"id": "a", "title": "A", "someNewField": {"innerKey": 1}}], "hasMore": True, "nextCursor": "k2"},
        ),
        "GET /prompt?projectId=p&cursor=k2": (200, {"data": [{"id": "b", "projectId": None}], "hasMore": False}),
    }
    with RawServer(_serve(answers, seen)) as srv, Client(api_key="k", base_url=srv.url, max_retries=0) as client:
        rows = list(client.canvases.list(project_id="p"))
    assert [r.id for r in rows] == ["a", "b"]
    assert rows[0].some_new_field == {"inner_key": 1}  # type: ignore[attr-defined]
    assert rows[0].get("some_new_field") == {"inner_key": 1}
    assert seen == ["GET /prompt?projectId=p", "GET /prompt?projectId=p&cursor=k2"]


def test_a_bare_history_array_and_a_total_envelope_both_page() -> None:
    seen: list[str] = []
    answers = {
        "GET /prompt-version/history?promptId=c&limit=2": (200, [{"id": "v4"}, {"id": "v3"}]),
        "GET /prompt-version/history?promptId=c&limit=2&offset=2": (
            200,
            {"items": [{"id": "v2"}, {"id": "v1", "originVersionId": "v0", "versionIndex": 1}], "total": 4},
        ),
    }
    with RawServer(_serve(answers, seen)) as srv, Client(api_key="k", base_url=srv.url, max_retries=0) as client:
        versions = list(client.canvases.history("c", limit=2))
    assert [v.id for v in versions] == ["v4", "v3", "v2", "v1"]
    assert (versions[-1].version_index, versions[-1].get("origin_version_id")) == (1, "v0")
    assert len(seen) == 2  # the total says the second page is the last


def test_a_404_keeps_its_details_and_a_bad_answer_names_the_request() -> None:
    seen: list[str] = []
    details = {"workspaceId": "ws-2"}
    answers = {
        "GET /prompt/c1": (
            404,
            {"name": "Error", "code": "NOT_FOUND", "message": "Canvas not found", "status": 404, "details": details},
        ),
        "GET /prompt/c2/promoted-version": (200, {"title": "no id"}),
        "GET /prompt": (200, {"unexpected": True}),
    }
    with RawServer(_serve(answers, seen)) as srv, Client(api_key="k", base_url=srv.url, max_retries=0) as client:
        with pytest.raises(NotFoundError, match="canvas_id='c1'") as info:
            client.canvases.get("c1")
        assert info.value.body["details"] == details
        with pytest.raises(APIResponseValidationError, match=r"GET /prompt/c2/promoted-version.*string id"):
            client.canvases.promoted_version("c2")
        with pytest.raises(APIResponseValidationError, match="list of canvas objects"):
            client.canvases.list()


# --- the command line -----------------------------------------------------------------------


def test_cli_canvases_get_and_versions(env: Emulator) -> None:
    info = add_invoices(env)
    code, out = cli("canvases", "get", "inv")
    assert code == 0
    assert out == (
        "Invoices (inv)\n"
        "project: proj-1\n"
        f"promoted version: {info.production_version_id} (Version 1)\n"
        "variables:\n"
        "  document  file   required  The invoice\n"
        "  query     text   optional  What to look for\n"
        "structured output: yes (totalAmount)\n"
    )
    code, out = cli("canvases", "get", "inv", "--json")
    got = json.loads(out)
    assert (code, got["canvas"]["title"], got["promoted_version"]["variables"][0]["name"]) == (
        0,
        "Invoices",
        "document",
    )
    code, out = cli("canvases", "versions", "inv")
    assert (code, out.splitlines()) == (
        0,
        [
            "v3  Version 3  #3",
            "v2  Second  #2  [staging]",
            f"{info.production_version_id}  Version 1  #1  promoted  [production]",
        ],
    )
    code, out = cli("canvases", "versions", "inv", "--json")
    assert (code, [v["id"] for v in json.loads(out)]) == (0, ["v3", "v2", info.production_version_id])


def test_cli_canvases_unknown_id_exits_1(env: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("canvases", "get", "nope") == (1, "")
    assert "NotFoundError" in capsys.readouterr().err


def test_check_variables_leaves_refused_arguments_to_the_core(emulator: Emulator) -> None:
    add_invoices(emulator)
    with emulator.client(check_variables=True) as client:
        emulator.clear_requests()
        with pytest.raises(InvalidRequestError, match="exactly one"):
            client.completions.create(canvas_id="inv", version_id="v2", variables={})
        with pytest.raises(InvalidRequestError):
            client.completions.create(canvas_id="inv", variables=["not", "a", "mapping"])  # type: ignore[call-overload]
    assert paths(emulator, "/v2/") == []
    assert paths(emulator, "/prompt/") == ["GET /prompt/inv/promoted-version"]
