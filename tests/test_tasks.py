"""Workstation tasks started by ``submit(application_id=...)`` (issue 24 item 1): the handle is a
Task whose ``wait()`` polls ``GET /task/{id}`` (Tela's task guide), never the run endpoint; a
failed task raises TaskFailedError; an answer naming both a task and a run keeps both. Over
real TCP, against the emulator and a raw-socket server."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

import tela_sdk
import tela_sdk.types
from tela_sdk import APIError, AsyncClient, AsyncTask, Client, NotFoundError, Task, TaskFailedError
from tela_sdk.testing import Emulator

from .rawserver import RawConn, RawServer, response

FAST = {"created_ms": 30, "running_ms": 400}
POLL = 0.01


def gets(emulator: Emulator, prefix: str) -> list[Any]:
    return [r for r in emulator.requests if r.method == "GET" and r.path.startswith(prefix)]


@dataclass
class Verdict:
    verdict: str


def test_submit_with_an_application_returns_a_task_that_polls_the_task_endpoint(
    emulator: Emulator, client: Client
) -> None:
    emulator.add_canvas(reply={"verdict": "ok"}, application_id="app-1", run=FAST)
    task = client.completions.submit(application_id="app-1", label="Invoice 1", variables={"x": "1"})
    assert isinstance(task, Task)
    assert task.status == "running"
    assert task.name == "Invoice 1"
    assert task.application_id == "app-1"
    assert task.output is None
    done = task.wait(poll_interval=POLL)
    assert isinstance(done, Task)
    assert done.status == "completed"
    assert done.id == task.id
    assert done.output == {"verdict": "ok"}
    assert done.parse(Verdict) == Verdict("ok")
    assert done.completion_run_id == task.id  # the emulator keeps one id for both
    assert done.to_dict()["source_type"] == "prompt"  # every field stays readable, snake_case
    assert done.to_dict()["raw_input"]["application_id"] == "app-1"
    polled = gets(emulator, "/task/")
    assert polled
    assert all(r.path == f"/task/{task.id}" for r in polled)
    assert gets(emulator, "/v2/chat/completions/") == []


async def test_async_submit_with_an_application_returns_a_task(emulator: Emulator, aclient: AsyncClient) -> None:
    emulator.add_canvas(reply={"verdict": "ok"}, application_id="app-a", run=FAST)
    task = await aclient.completions.submit(application_id="app-a", label="t")
    assert isinstance(task, AsyncTask)
    done = await task.wait(poll_interval=POLL)
    assert isinstance(done, AsyncTask)
    assert (done.status, done.output) == ("completed", {"verdict": "ok"})
    assert gets(emulator, "/task/")
    assert gets(emulator, "/v2/chat/completions/") == []


@pytest.mark.lax  # the failure's message is an emulator extra
def test_a_failed_task_raises_task_failed_error(emulator: Emulator, client: Client) -> None:
    emulator.add_canvas(application_id="app-f", run={**FAST, "fail": True, "fail_message": "the model gave up"})
    task = client.completions.submit(application_id="app-f")
    with pytest.raises(TaskFailedError, match="the model gave up") as info:
        task.wait(poll_interval=POLL)
    assert isinstance(info.value, APIError)
    assert isinstance(info.value.task, Task)
    assert info.value.task.status == "failed"
    assert info.value.task.id == task.id


async def test_async_failed_task_raises(emulator: Emulator, aclient: AsyncClient) -> None:
    emulator.add_canvas(application_id="app-g", run={**FAST, "fail": True})
    task = await aclient.completions.submit(application_id="app-g")
    with pytest.raises(TaskFailedError) as info:
        await task.wait(poll_interval=POLL)
    assert info.value.task.status == "failed"


def test_unknown_task_is_a_404_with_the_error_body(emulator: Emulator, client: Client) -> None:
    import urllib.error
    import urllib.request

    req = urllib.request.Request(f"{emulator.url}/task/nope", headers={"Authorization": f"Bearer {emulator.api_key}"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=30)
    assert info.value.code == 404
    body = json.loads(info.value.read())
    assert (body["name"], body["code"], body["status"], body["message"]) == (
        "Error",
        "NOT_FOUND",
        404,
        "Task not found",
    )


def _serve(task_answer: dict[str, Any], polled: dict[str, Any], seen: list[str]) -> Any:
    def handler(conn: RawConn) -> None:
        seen.append(f"{conn.request.method} {conn.request.path}")
        body = task_answer if conn.request.method == "POST" else polled
        conn.send(response(200, {"content-type": "application/json"}, json.dumps(body).encode()))
        conn.close()

    return handler


def test_an_answer_with_both_ids_keeps_both() -> None:
    submitted = {"id": "task-1", "status": "running", "completionRunId": "run-9", "promptApplicationId": "app"}
    final = {
        "id": "task-1",
        "status": "completed",
        "completionRunId": "run-9",
        "promptApplicationId": "app",
        "outputContent": {"role": "assistant", "content": {"verdict": "ok"}},
        "reviewNote": "kept",
    }
    seen: list[str] = []
    with RawServer(_serve(submitted, final, seen)) as srv:
        client = Client(api_key="k", base_url=srv.url, max_retries=0)
        task = client.completions.submit(application_id="app")
        assert (task.id, task.completion_run_id, task.application_id) == ("task-1", "run-9", "app")
        done = task.wait(poll_interval=POLL)
        client.close()
    assert (done.id, done.completion_run_id, done.output, done.to_dict()["review_note"]) == (
        "task-1",
        "run-9",
        {"verdict": "ok"},
        "kept",
    )
    assert seen == ["POST /v2/chat/completions", "GET /task/task-1"]


def test_a_run_answer_naming_its_task_polls_the_task() -> None:
    submitted = {"id": "run-9", "status": "running", "task_id": "task/1"}
    final = {"id": "task/1", "status": "failed", "completionRunId": "run-9"}
    seen: list[str] = []
    with RawServer(_serve(submitted, final, seen)) as srv:
        client = Client(api_key="k", base_url=srv.url, max_retries=0)
        task = client.completions.submit(application_id="app")
        assert (task.id, task.completion_run_id) == ("task/1", "run-9")
        with pytest.raises(TaskFailedError, match="Task task/1 failed"):
            task.wait(poll_interval=POLL)
        client.close()
    assert seen == ["POST /v2/chat/completions", "GET /task/task%2F1"]


def test_task_is_exported_and_read_only() -> None:
    assert tela_sdk.types.Task is tela_sdk.Task
    assert issubclass(tela_sdk.TaskFailedError, tela_sdk.APIError)
    task = Task({"id": "t", "status": "validating", "promptApplicationId": None, "outputContent": None})
    with pytest.raises(AttributeError):
        setattr(task, "status", "x")  # noqa: B010
    with pytest.raises(tela_sdk.TelaError, match="no client"):
        task.wait()


def test_missing_task_404_through_the_sdk(emulator: Emulator, client: Client) -> None:
    task = Task({"id": "nope", "status": "running"}, None, client)
    with pytest.raises(NotFoundError):
        task.wait(poll_interval=POLL, timeout=30)


def test_a_task_wait_past_its_deadline_says_task_and_how_to_go_on(emulator: Emulator, client: Client) -> None:
    emulator.add_canvas(reply="slow", application_id="app-slow", run={"created_ms": 10, "running_ms": 600_000})
    task = client.completions.submit(application_id="app-slow", variables={})
    with pytest.raises(tela_sdk.RunTimeoutError) as info:
        task.wait(timeout=0.3, poll_interval=POLL)
    message = str(info.value)
    assert message.startswith(f"Task {task.id} did not finish within 0.3s"), message
    assert "wait() on the task again later" in message
    assert "completions.retrieve" not in message
