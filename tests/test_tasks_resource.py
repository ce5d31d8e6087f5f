"""``client.tasks`` (issue 24 item 5): create, create_many, get, list, query, update and
approve Workstation tasks, sync and async, over real TCP against the emulator (its review
step: a task runs the app's canvas, ends completed or failed, is edited and approved) and
against a raw-socket server for the shapes the emulator does not produce (a bare-array list,
envelopes with page metadata, unknown fields, a 402)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

import tela_sdk
from tela_sdk import (
    APIResponseValidationError,
    APIStatusError,
    AsyncClient,
    AsyncTask,
    AsyncTaskPage,
    BadRequestError,
    Client,
    File,
    InvalidRequestError,
    NotFoundError,
    Task,
    TaskFailedError,
    TaskPage,
    UsageLimitError,
)
from tela_sdk.testing import Emulator

from .rawserver import RawConn, RawServer, response

FAST = {"created_ms": 10, "running_ms": 30}
POLL = 0.01
INVOICE = {"client": "Acme Corp", "total": 150000, "address": {"city": "Rio", "zip": "20000"}}


@dataclass
class Invoice:
    client: str
    total: int
    address: dict[str, str]


def app(emulator: Emulator, app_id: str = "app-inv", **run: Any) -> None:
    emulator.add_canvas(template="Read {{document}}", reply=INVOICE, application_id=app_id, run={**FAST, **run})


def sent(emulator: Emulator, method: str, prefix: str) -> list[Any]:
    return [r for r in emulator.requests if r.method == method and r.path.startswith(prefix)]


def test_create_runs_the_app_and_the_review_edits_and_approves(emulator: Emulator, client: Client) -> None:
    app(emulator)
    task = client.tasks.create(
        application_id="app-inv", name="Invoice-1.pdf", variables={"document": "text"}, tags=["priority"]
    )
    assert isinstance(task, Task)
    assert (task.status, task.name, task.tags, task.application_id) == (
        "running",
        "Invoice-1.pdf",
        ["priority"],
        "app-inv",
    )
    assert task.output is None
    [post] = sent(emulator, "POST", "/task")
    # One task is sent as one camelCase object, its input completion-style under rawInput.
    assert post.body == {
        "promptApplicationId": "app-inv",
        "name": "Invoice-1.pdf",
        "rawInput": {"variables": {"document": "text"}},
        "tags": ["priority"],
    }
    done = task.wait(poll_interval=POLL)
    assert (done.status, done.output, done.approved) == ("completed", INVOICE, False)
    assert done.parse(Invoice) == Invoice("Acme Corp", 150000, {"city": "Rio", "zip": "20000"})
    assert client.tasks.get(task.id).output == INVOICE

    edited = client.tasks.update(done, output={"client": "Acme Corporation", "address": {"city": "São Paulo"}})
    assert edited.output == {**INVOICE, "client": "Acme Corporation", "address": {"city": "São Paulo", "zip": "20000"}}
    assert edited.original_output_content is not None
    assert edited.original_output_content.content == INVOICE
    assert edited.metadata is not None
    paths = [e["path"] for e in edited.metadata["editedFields"]]
    assert paths == ["client", "address.city"]
    assert edited.metadata["editedFields"][0]["previousValue"] == "Acme Corp"
    [patch] = sent(emulator, "PATCH", f"/task/{task.id}")
    assert patch.body == {"outputContent": {"client": "Acme Corporation", "address": {"city": "São Paulo"}}}

    renamed = client.tasks.update(task.id, name="Invoice 1 (checked)", tags=["reviewed"])
    assert (renamed.name, renamed.tags, renamed.output["client"]) == (
        "Invoice 1 (checked)",
        ["reviewed"],
        "Acme Corporation",
    )
    approved = client.tasks.approve(task)
    assert approved.status == "completed"
    assert approved.approved
    assert approved.approved_at
    assert approved.approved_by
    assert sent(emulator, "PATCH", f"/task/{task.id}")[-1].body == {"status": "completed"}
    assert client.tasks.get(task).approved


def test_files_in_a_tasks_variables_take_the_completion_file_pipeline(emulator: Emulator, client: Client) -> None:
    app(emulator)
    small = File(b"%PDF-1.4 small", name="small.pdf")
    big = File(b"%PDF-1.4 " + b"x" * 64, name="big.pdf", upload="vault")
    task = client.tasks.create(application_id="app-inv", name="files", variables={"document": [small, big]})
    [post] = sent(emulator, "POST", "/task")
    first, second = post.body["rawInput"]["variables"]["document"]
    assert first["file_url"].startswith("data:application/pdf;base64,")
    assert second["file_url"].startswith("vault://")
    assert sent(emulator, "POST", "/v3/files")  # the upload went first, through the vault
    assert task.wait(poll_interval=POLL).status == "completed"


def test_create_many_splits_by_100_keeps_the_order_and_lets_items_override_defaults(
    emulator: Emulator, client: Client
) -> None:
    app(emulator)
    app(emulator, "app-other")
    items: list[dict[str, Any]] = [{"name": f"doc-{i}", "variables": {"document": f"d{i}"}} for i in range(205)]
    items[3]["tags"] = ["own"]
    items.append({"name": "elsewhere", "application_id": "app-other", "variables": {"document": "z"}})
    tasks = client.tasks.create_many(items, application_id="app-inv", tags=["batch"])
    assert [t.name for t in tasks] == [i["name"] for i in items]
    assert all(isinstance(t, Task) for t in tasks)
    assert tasks[0].tags == ["batch"]
    assert tasks[3].tags == ["own"]
    assert tasks[-1].application_id == "app-other"
    posts = sent(emulator, "POST", "/task")
    sizes = [len(p.body) if isinstance(p.body, list) else 1 for p in posts]
    assert sizes == [100, 100, 5, 1]
    assert len({t.id for t in tasks}) == 206


def test_create_many_refuses_bad_items_before_sending(emulator: Emulator, client: Client) -> None:
    app(emulator)
    with pytest.raises(InvalidRequestError, match=r"item 1: unknown argument 'label'"):
        client.tasks.create_many([{"name": "a"}, {"name": "b", "label": "x"}], application_id="app-inv")
    with pytest.raises(InvalidRequestError, match="name must be a non-empty string"):
        client.tasks.create_many([{"variables": {"document": "x"}}], application_id="app-inv")
    with pytest.raises(InvalidRequestError, match="list of dicts"):
        client.tasks.create_many({"name": "a"}, application_id="app-inv")  # type: ignore[dict-item]
    with pytest.raises(InvalidRequestError, match="must be a non-empty string"):
        client.tasks.create(application_id="", name="x")
    with pytest.raises(InvalidRequestError, match="webhook_url"):
        client.tasks.create(application_id="app-inv", name="x", webhook_url="ftp://nope")
    assert sent(emulator, "POST", "/task") == []


def test_list_iterates_every_page_with_filters(emulator: Emulator, client: Client) -> None:
    app(emulator)
    app(emulator, "app-other")
    mine = client.tasks.create_many(
        [{"name": f"t{i}"} for i in range(7)], application_id="app-inv", variables={"document": "x"}
    )
    client.tasks.create(application_id="app-other", name="not mine", variables={"document": "x"})
    for t in mine:
        t.wait(poll_interval=POLL)
    page = client.tasks.list(application_id="app-inv", limit=3, created_after="2000-01-01T00:00:00Z")
    assert isinstance(page, TaskPage)
    assert len(page.data) == 3
    assert page.has_more
    names = [t.name for t in page]
    assert sorted(map(str, names)) == sorted(str(t.name) for t in mine)
    assert names == [f"t{i}" for i in reversed(range(7))]  # newest first
    queries = [
        parse_qs(urlsplit(r.path).query or r.query)
        for r in sent(emulator, "GET", "/task")
        if r.path.split("?")[0] == "/task"
    ]
    assert [q["offset"] for q in queries] == [["0"], ["3"], ["6"]]
    assert all(q["promptApplicationId"] == ["app-inv"] and q["limit"] == ["3"] for q in queries)
    assert queries[0]["createdAtSince"] == ["2000-01-01T00:00:00Z"]
    client.tasks.approve(mine[0])
    assert [t.name for t in client.tasks.list(application_id="app-inv", status="completed", limit=100)] == names
    assert [t.id for t in client.tasks.list(ids=[mine[1].id, mine[2].id])] == [mine[2].id, mine[1].id]
    assert list(client.tasks.list(application_id="app-inv", tags="none-such")) == []


def test_query_filters_on_the_output(emulator: Emulator, client: Client) -> None:
    emulator.add_canvas(
        template="{{n}}",
        reply=lambda r: {"total": int(r.variables["n"])},
        application_id="app-q",
        run=FAST,
    )
    tasks = client.tasks.create_many(
        [{"name": f"n{n}", "variables": {"n": str(n)}} for n in (5, 50, 500)], application_id="app-q"
    )
    for t in tasks:
        t.wait(poll_interval=POLL)
    found = client.tasks.query(
        application_id="app-q", filters={"status": ["completed"]}, output_query={"total": {"$gte": 10, "$lte": 100}}
    )
    assert [t.name for t in found] == ["n50"]
    assert all(isinstance(t, Task) for t in found)
    [post] = sent(emulator, "POST", "/task/query")
    assert post.body == {
        "promptApplicationId": "app-q",
        "filters": {"status": ["completed"]},
        "outputQuery": {"total": {"$gte": 10, "$lte": 100}},
    }
    with pytest.raises(BadRequestError, match="unknown operator"):
        client.tasks.query(application_id="app-q", output_query={"total": {"$near": 1}})


def test_a_running_task_cannot_be_edited_and_a_failed_one_raises(emulator: Emulator, client: Client) -> None:
    app(emulator, running_ms=60_000)
    task = client.tasks.create(application_id="app-inv", name="slow", variables={"document": "x"})
    with pytest.raises(BadRequestError) as info:
        client.tasks.approve(task)
    assert info.value.code == "UPDATE_FAILED"
    app(emulator, "app-fail", fail=True)
    failed = client.tasks.create(application_id="app-fail", name="bad", variables={"document": "x"})
    with pytest.raises(TaskFailedError) as failure:
        failed.wait(poll_interval=POLL)
    assert failure.value.task.id == failed.id
    with pytest.raises(NotFoundError):
        client.tasks.get("no-such-task")
    with pytest.raises(NotFoundError):
        client.tasks.create(application_id="no-such-app", name="x")
    with pytest.raises(InvalidRequestError, match="nothing to update"):
        client.tasks.update(task)


def test_a_402_is_a_usage_limit_error(emulator: Emulator) -> None:
    app(emulator)
    emulator.fail(status=402, path="/task", method="POST")
    with emulator.client(max_retries=2) as client, pytest.raises(UsageLimitError) as info:
        client.tasks.create(application_id="app-inv", name="x", variables={"document": "x"})
    assert isinstance(info.value, APIStatusError)
    assert info.value.status_code == 402
    assert len(sent(emulator, "POST", "/task")) == 1  # not retried
    assert tela_sdk.UsageLimitError is UsageLimitError


def test_raw_response_of_a_task_call(emulator: Emulator, client: Client) -> None:
    app(emulator)
    raw = client.with_raw_response.tasks.create(application_id="app-inv", name="r", variables={"document": "x"})
    assert raw.status_code == 200
    task = raw.parse()
    assert isinstance(task, Task)
    got = client.with_raw_response.tasks.get(task.id)
    assert got.parse().id == task.id


async def test_the_async_twins(emulator: Emulator, aclient: AsyncClient) -> None:
    app(emulator)
    task = await aclient.tasks.create(application_id="app-inv", name="a", variables={"document": "x"})
    assert isinstance(task, AsyncTask)
    done = await task.wait(poll_interval=POLL)
    assert done.output == INVOICE
    many = await aclient.tasks.create_many(
        [{"name": "b"}, {"name": "c"}], application_id="app-inv", variables={"document": "y"}
    )
    assert [t.name for t in many] == ["b", "c"]
    page = await aclient.tasks.list(application_id="app-inv", limit=2)
    assert isinstance(page, AsyncTaskPage)
    assert sorted([str(t.name) async for t in page]) == ["a", "b", "c"]
    edited = await aclient.tasks.update(done, output={"total": 1})
    assert edited.output["total"] == 1
    approved = await aclient.tasks.approve(done.id)
    assert isinstance(approved, AsyncTask)
    assert approved.approved
    assert (await aclient.tasks.get(done)).approved
    assert await aclient.tasks.query(application_id="app-inv", output_query={"total": 1}) != []


@pytest.mark.parametrize("event", ["task.completed", "task.approved", "task.failed"])
def test_webhooks_parse_task_events(event: str) -> None:
    from tela_sdk import webhooks
    from tela_sdk.types import BaseTask, TaskEvent

    body = {
        "id": "evt-1",
        "event": event,
        "timestamp": "2026-01-01T00:00:00.000Z",
        "task": {
            "id": "t1",
            "name": "Invoice",
            "reference": 42,
            "status": "completed",
            "promptApplicationId": "app",
            "approvedBy": "r@x.com",
        },
        "inputContent": {"files": [{"url": "vault://f"}]},
        "outputContent": {"role": "assistant", "content": {"totalValue": 3}},
    }
    parsed = webhooks.parse(json.dumps(body).encode())
    assert isinstance(parsed, TaskEvent)
    assert (parsed.event, parsed.id, parsed.timestamp) == (event, "evt-1", "2026-01-01T00:00:00.000Z")
    assert isinstance(parsed.task, BaseTask)
    assert (parsed.task.id, parsed.task.application_id, parsed.task.approved_by) == ("t1", "app", "r@x.com")
    assert parsed.output == {"totalValue": 3}
    assert parsed.input_content is not None
    assert parsed.input_content.files is not None
    with pytest.raises(tela_sdk.WebhookError, match="task must be a JSON object"):
        webhooks.parse({**body, "task": "t1"})
    with pytest.raises(tela_sdk.WebhookError, match="outputContent must be a JSON object"):
        webhooks.parse({**body, "outputContent": [1]})


# --- shapes the emulator does not produce ----------------------------------------------------


TASK = {
    "id": "t1",
    "status": "completed",
    "promptApplicationId": "app",
    "someNewField": {"innerKey": 1},
    "outputContent": {"role": "assistant", "content": {"fooBar": 1}},
}


def serve(answers: dict[str, Any], seen: list[str], status: int = 200) -> Any:
    """Answers each request with the JSON of the first key of ``answers`` its path starts
    with (a list answers successive requests in turn)."""

    def handler(conn: RawConn) -> None:
        seen.append(f"{conn.request.method} {conn.request.path}")
        query = dict(parse_qs(urlsplit(conn.request.path).query))
        key = next(k for k in answers if f"{conn.request.method} {conn.request.path}".startswith(k))
        body = answers[key](query) if callable(answers[key]) else answers[key]
        conn.send(response(status, {"content-type": "application/json"}, json.dumps(body).encode()))
        conn.close()

    return handler


def rows(offset: int, n: int) -> list[dict[str, Any]]:
    return [{**TASK, "id": f"t{offset + i}"} for i in range(n)]


def test_a_bare_array_list_pages_until_a_short_page() -> None:
    seen: list[str] = []
    total = 5

    def answer(q: dict[str, list[str]]) -> Any:
        offset, limit = int(q["offset"][0]), int(q["limit"][0])
        return rows(offset, max(0, min(limit, total - offset)))

    with RawServer(serve({"GET /task": answer}, seen)) as srv, Client(api_key="k", base_url=srv.url) as client:
        tasks = list(client.tasks.list(limit=2))
    assert [t.id for t in tasks] == ["t0", "t1", "t2", "t3", "t4"]
    assert len(seen) == 3
    # Unknown fields stay readable, snake_case; the user's output keeps its keys.
    assert tasks[0].to_dict()["some_new_field"] == {"inner_key": 1}
    assert tasks[0].output == {"fooBar": 1}


@pytest.mark.parametrize(
    "envelope",
    [
        lambda rs, page, pages: {"data": rs, "meta": {"currentPage": page, "totalPages": pages}},
        lambda rs, page, pages: {"tasks": rs, "pagination": {"hasMore": page < pages}},
        lambda rs, page, pages: {"items": rs, "total": 5},
    ],
    ids=["data+meta", "tasks+pagination", "items+total"],
)
def test_an_envelope_list_pages_by_its_metadata(envelope: Any) -> None:
    seen: list[str] = []

    def answer(q: dict[str, list[str]]) -> Any:
        offset = int(q["offset"][0])
        n = 2 if offset < 4 else 1
        return envelope(rows(offset, n), offset // 2 + 1, 3)

    with RawServer(serve({"GET /task": answer}, seen)) as srv, Client(api_key="k", base_url=srv.url) as client:
        # limit 50: a full page never happens, so only the metadata says there is more.
        page = client.tasks.list(application_id="app")
        assert page.has_more
        ids = [t.id for t in page]
    assert ids == ["t0", "t1", "t2", "t3", "t4"]
    assert len(seen) == 3


def test_create_reads_an_array_answer_and_a_402_from_a_raw_server() -> None:
    seen: list[str] = []
    answers = {"POST /task": [TASK]}
    with RawServer(serve(answers, seen)) as srv, Client(api_key="k", base_url=srv.url) as client:
        task = client.tasks.create(application_id="app", name="n")
        assert (task.id, task.output, task.to_dict()["some_new_field"]) == ("t1", {"fooBar": 1}, {"inner_key": 1})
        with pytest.raises(APIResponseValidationError, match="created 2 task"):
            client.tasks.create_many([{"name": "a"}, {"name": "b"}], application_id="app")
    limit = {"name": "Error", "code": "USAGE_LIMIT", "message": "Monthly usage limit reached", "status": 402}
    with (
        RawServer(serve({"POST /task": limit}, seen, status=402)) as srv,
        Client(api_key="k", base_url=srv.url) as client,
        pytest.raises(UsageLimitError, match="Monthly usage limit reached") as info,
    ):
        client.tasks.create(application_id="app", name="n")
    assert (info.value.code, info.value.status_code) == ("USAGE_LIMIT", 402)


def test_answers_that_are_not_tasks_are_validation_errors() -> None:
    seen: list[str] = []
    answers = {"GET /task": {"rows_of": 1}, "POST /task/query": [{"id": "x"}]}
    with RawServer(serve(answers, seen)) as srv, Client(api_key="k", base_url=srv.url) as client:
        with pytest.raises(APIResponseValidationError, match="expected a list of tasks"):
            client.tasks.list()
        with pytest.raises(APIResponseValidationError, match="task 0 of the answer"):
            client.tasks.query(application_id="app")


def test_query_reads_an_envelope() -> None:
    seen: list[str] = []
    with (
        RawServer(serve({"POST /task/query": {"data": rows(0, 2), "count": 2}}, seen)) as srv,
        Client(api_key="k", base_url=srv.url) as client,
    ):
        assert [t.id for t in client.tasks.query(application_id="app")] == ["t0", "t1"]
