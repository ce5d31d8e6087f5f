"""Async runs: submit, retrieve, wait (statuses, deadline, failure, transient errors,
cancellation) and list, sync and async, against the emulator over real TCP."""

from __future__ import annotations

import asyncio
import pickle
import sys
import time
from typing import Any

import pytest

from tela_sdk import (
    APIError,
    APITimeoutError,
    AsyncClient,
    AsyncRun,
    Client,
    InvalidRequestError,
    NotFoundError,
    Run,
    RunFailedError,
    RunNotFinishedError,
    RunPage,
    RunTimeoutError,
    TelaError,
)
from tela_sdk.testing import Canvas, Emulator

from .test_runtime import INTERRUPT_BOUND, interrupt_child

# Wide enough for polls every 10-80 ms to see each status even on a loaded machine.
# "running" lasts long enough for polls (10 ms, growing 1.5x) to see it on a loaded machine.
FAST = {"created_ms": 30, "running_ms": 400}
POLL = 0.01


@pytest.fixture
def canvas(emulator: Emulator) -> Canvas:
    return emulator.add_canvas(
        template="Summarize: {{document}}", reply="Summary of {{document}}", run=FAST, allow_missing_variables=True
    )


@pytest.fixture
def slow(emulator: Emulator) -> Canvas:
    """A canvas whose runs stay running for 10 s: for deadlines and cancellation."""
    return emulator.add_canvas(reply="late", run={"created_ms": 0, "running_ms": 10_000})


@pytest.fixture
def failing(emulator: Emulator) -> Canvas:
    return emulator.add_canvas(run={**FAST, "fail": True, "fail_message": "the model gave up"})


def polls(emulator: Emulator) -> list[Any]:
    return [r for r in emulator.requests if r.method == "GET" and r.path.startswith("/v2/chat/completions/")]


# --- submit -------------------------------------------------------------------------------


def test_submit_sends_async_and_returns_a_typed_run(emulator: Emulator, client: Client, canvas: Canvas) -> None:
    run = client.completions.submit(
        canvas_id=canvas.id,
        environment_name="production",
        variables={"document": "the doc", "n": 2},
        messages=[{"role": "user", "content": "and briefly"}],
        override={"model": "gpt-4o-mini", "temperature": 0.1},
        tags=["nightly"],
        label="batch 7",
    )
    (sent,) = emulator.requests
    assert (sent.method, sent.path) == ("POST", "/v2/chat/completions")
    assert sent.body == {
        "canvas_id": canvas.id,
        "environment_name": "production",
        "variables": {"document": "the doc", "n": 2},
        "messages": [{"role": "user", "content": "and briefly"}],
        "override": {"model": "gpt-4o-mini", "temperature": 0.1},
        "tags": ["nightly"],
        "label": "batch 7",
        "async": True,
    }
    assert isinstance(run, Run)
    assert run.status == "created"
    assert not run.done
    assert run.content is None
    assert run.output_content is None
    assert run.input_content is not None
    assert run.input_content.variables == {"document": "the doc", "n": 2}
    assert run.input_content.messages is not None
    assert run.input_content.messages[0].content == "and briefly"
    assert run.raw_input is not None
    assert run.raw_input["canvas_id"] == canvas.id
    assert run.prompt_version_id == canvas.production_version_id
    assert run.request_id is not None
    assert run.request_id.startswith("req_")
    assert run.created_at is not None
    assert run.created_at.endswith("Z")
    assert f"id='{run.id}'" in repr(run)
    assert "status='created'" in repr(run)
    with pytest.raises(RunNotFinishedError, match=r"still 'created'.*wait"):
        run.result()


def test_create_and_submit_never_mix(emulator: Emulator, client: Client, canvas: Canvas) -> None:
    emulator.add_canvas(application_id="app-mix")
    with pytest.raises(InvalidRequestError, match=r"completions\.submit"):
        client.completions.create(application_id="app-mix")
    with pytest.raises(TypeError):
        client.completions.create(canvas_id=canvas.id, webhook_url="https://h/x")  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        client.completions.submit(canvas_id=canvas.id, stream=True)  # type: ignore[call-overload]
    assert emulator.requests == []


@pytest.mark.parametrize(
    "url", ["ftp://example.com/hook", "example.com/hook", "/hook", "http://", "not a url", "mailto:x@y.z"]
)
def test_webhook_url_must_be_http(emulator: Emulator, client: Client, canvas: Canvas, url: str) -> None:
    with pytest.raises(InvalidRequestError, match=r"webhook_url .* is not an http"):
        client.completions.submit(canvas_id=canvas.id, webhook_url=url)
    assert emulator.requests == []


def test_webhook_url_is_sent(emulator: Emulator, client: Client, canvas: Canvas) -> None:
    run = client.completions.submit(canvas_id=canvas.id, webhook_url="http://127.0.0.1:9/hook?x=1")
    assert emulator.requests[0].body["webhook_url"] == "http://127.0.0.1:9/hook?x=1"
    assert emulator.requests[0].body["async"] is True
    assert run.raw_input is not None
    assert run.raw_input["webhook_url"] == "http://127.0.0.1:9/hook?x=1"


def test_applications_run_through_submit(emulator: Emulator, client: Client) -> None:
    app = emulator.add_canvas(reply={"verdict": "ok"}, application_id="app-1", run=FAST)
    assert app.application_id == "app-1"
    run = client.completions.submit(application_id="app-1", label="task 1", variables={"x": "1"})
    assert emulator.requests[0].body == {
        "application_id": "app-1",
        "label": "task 1",
        "variables": {"x": "1"},
        "async": True,
    }
    # A Workstation task (issue 24): its wait polls GET /task/{id}; see test_tasks.py.
    assert run.status == "running"
    assert run.prompt_application_id == "app-1"
    done = run.wait(poll_interval=POLL)
    assert done.status == "completed"
    assert done.output == {"verdict": "ok"}
    assert done.output_content is not None
    assert done.output_content.role == "assistant"
    with pytest.raises(NotFoundError):
        client.completions.submit(application_id="no-such-app")


# --- wait ---------------------------------------------------------------------------------


def test_wait_returns_the_finished_run_and_reports_each_status(client: Client, canvas: Canvas) -> None:
    run = client.completions.submit(canvas_id=canvas.id, variables={"document": "the doc"})
    seen: list[Run] = []
    done = run.wait(poll_interval=POLL, on_status=seen.append)
    # The run in hand was "created": only the changes after it are reported.
    assert [r.status for r in seen] == ["running", "succeeded"]
    assert seen[-1] is done
    assert all(isinstance(r, Run) and r.request_id for r in seen)
    assert done.status == "succeeded"
    assert done.done
    assert done.result() == done.content == "Summary of the doc"
    out = done.output_content
    assert out is not None
    assert out.information is not None
    assert out.information.input_tokens == 3
    assert out.information.output_tokens == 4
    assert out.information.cost is not None
    assert out.information.cost > 0
    assert out.information.duration is not None
    assert out.information.duration >= 150
    assert out.role == "assistant"
    assert out.tool_calls == []
    # Runs are snapshots: the submitted one did not change.
    assert run.status == "created"


def test_wait_from_an_id_reports_the_first_status_seen(emulator: Emulator, client: Client, canvas: Canvas) -> None:
    run = client.completions.submit(canvas_id=canvas.id, variables={"document": "d"})
    statuses: list[str] = []
    done = client.completions.wait(run.id, poll_interval=POLL, on_status=lambda r: statuses.append(r.status))
    assert statuses[-1] == "succeeded"
    assert statuses[0] in ("created", "running")
    assert len(statuses) == len(set(statuses))
    # A finished run comes back at once, without polling again.
    before = len(emulator.requests)
    again = client.completions.wait(done)
    assert again.to_dict() == done.to_dict()
    assert len(emulator.requests) == before


def test_retrieve_and_refresh(client: Client, canvas: Canvas) -> None:
    run = client.completions.submit(canvas_id=canvas.id, variables={"document": "d"})
    done = run.wait(poll_interval=POLL)
    fetched = client.completions.retrieve(run.id)
    assert fetched.to_dict() == done.to_dict()
    assert fetched.request_id != done.request_id
    assert run.refresh().to_dict() == done.to_dict()
    with pytest.raises(NotFoundError) as info:
        client.completions.retrieve("no-such-run")
    assert info.value.status_code == 404
    with pytest.raises(InvalidRequestError, match="run id must be a non-empty string"):
        client.completions.retrieve("")


@pytest.mark.lax  # checks a field the docs do not show (the emulator's strict mode drops it)
def test_a_failed_run_raises_run_failed_error(client: Client, failing: Canvas) -> None:
    run = client.completions.submit(canvas_id=failing.id)
    seen: list[str] = []
    with pytest.raises(RunFailedError) as info:
        run.wait(poll_interval=POLL, on_status=lambda r: seen.append(r.status))
    err = info.value
    assert isinstance(err, APIError)
    assert "the model gave up" in str(err)
    assert run.id in str(err)
    assert err.code == "RUN_FAILED"
    assert isinstance(err.run, Run)
    assert err.run.status == "failed"
    assert err.run.done
    assert err.run.error == {"code": "RUN_FAILED", "message": "the model gave up"}
    assert seen == ["running", "failed"]
    with pytest.raises(RunFailedError, match="the model gave up"):
        err.run.result()
    with pytest.raises(RunFailedError):
        client.completions.wait(run.id)


def test_the_deadline_raises_with_the_last_run(client: Client, slow: Canvas) -> None:
    run = client.completions.submit(canvas_id=slow.id)
    start = time.monotonic()
    with pytest.raises(RunTimeoutError) as info:
        run.wait(timeout=0.3, poll_interval=0.05)
    took = time.monotonic() - start
    err = info.value
    assert isinstance(err, APITimeoutError)
    assert isinstance(err, TimeoutError)
    assert err.kind == "wait"
    assert err.after == pytest.approx(0.3)
    assert err.run_id == run.id
    assert err.last_status == "running"
    assert isinstance(err.run, Run)
    assert err.run.status == "running"
    assert "did not finish within 0.3s" in str(err)
    assert "last status: running" in str(err)
    assert 0.3 <= took < 10
    # The run goes on and can be waited for again (here: briefly).
    with pytest.raises(RunTimeoutError):
        err.run.wait(timeout=0)


def test_polling_survives_transient_errors(emulator: Emulator, client: Client, canvas: Canvas) -> None:
    run = client.completions.submit(canvas_id=canvas.id, variables={"document": "d"})
    emulator.fail(status=503, times=2, path="/v2/chat/completions/")
    emulator.fail(drop=True, times=1, path="/v2/chat/completions/")
    done = run.wait(poll_interval=POLL)  # the client has max_retries=0: the poll loop absorbs them
    assert done.status == "succeeded"
    statuses = [r.status for r in polls(emulator)]
    assert statuses[:3] == [503, 503, 0]
    assert statuses[-1] == 200


def test_lasting_errors_end_the_wait_at_the_deadline(emulator: Emulator, client: Client, slow: Canvas) -> None:
    run = client.completions.submit(canvas_id=slow.id)
    emulator.fail(status=502, times=10_000, path="/v2/chat/completions/")
    with pytest.raises(RunTimeoutError, match="the last poll failed: HTTP 502") as info:
        run.wait(timeout=0.2, poll_interval=POLL)
    assert info.value.run is not None
    assert info.value.run.status == "created"


def test_other_errors_end_the_wait_at_once(emulator: Emulator, client: Client, canvas: Canvas) -> None:
    start = time.monotonic()
    with pytest.raises(NotFoundError):
        client.completions.wait("no-such-run", timeout=30)
    assert time.monotonic() - start < 5
    assert len(polls(emulator)) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"poll_interval": 0}, "poll_interval must be a number of seconds, more than zero"),
        ({"poll_interval": -1.0}, "more than zero"),
        ({"poll_interval": 7200}, "up to 3600"),
        ({"timeout": -1}, "timeout must be a number of seconds, zero or more"),
        ({"timeout": "10"}, "got str"),
    ],
)
def test_wait_arguments_are_checked_first(
    emulator: Emulator, client: Client, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        client.completions.wait("run-id", **kwargs)
    assert emulator.requests == []


def test_a_run_needs_its_client(emulator: Emulator, canvas: Canvas) -> None:
    client = emulator.client()
    run = client.completions.submit(canvas_id=canvas.id)
    client.close()
    with pytest.raises(TelaError, match="closed"):
        run.wait()
    copy = pickle.loads(pickle.dumps(run))
    assert copy.to_dict() == run.to_dict()
    assert copy.request_id == run.request_id
    with pytest.raises(TelaError, match=r"has no client.*completions\.wait\(run\)"):
        copy.refresh()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery via os.kill is POSIX-only")
def test_ctrl_c_stops_a_sync_wait() -> None:
    latency, out = interrupt_child(
        """
        from tela_sdk.testing import Emulator
        emu = Emulator(strict=True)
        canvas = emu.add_canvas(run={"running_ms": 30000})
        client = emu.client()
        run = client.completions.submit(canvas_id=canvas.id)
        ready_when(lambda: len(emu.requests) > 2)  # the wait has polled: it is under way
        try:
            run.wait(poll_interval=0.05)
        except KeyboardInterrupt:
            interrupted()
            n = len(emu.requests)
            time.sleep(0.5)
            print(len(emu.requests) - n, flush=True)
            sys.exit(0)
        sys.exit(3)
        """
    )
    assert latency < INTERRUPT_BOUND
    assert out.split()[-1] == "0", "polling went on after Ctrl-C"


# --- list ---------------------------------------------------------------------------------


def test_list_pages_filters_and_iterates(emulator: Emulator, client: Client, canvas: Canvas) -> None:
    other = emulator.add_canvas(reply="other", application_id="app-2", run=FAST)
    mine = [client.completions.submit(canvas_id=canvas.id, variables={"document": str(i)}) for i in range(3)]
    theirs = client.completions.submit(application_id="app-2")
    for run in mine:
        run.wait(poll_interval=POLL)
    theirs.wait(poll_interval=POLL)
    emulator.clear_requests()

    page = client.completions.list(limit=2, prompt_id=canvas.id)
    assert isinstance(page, RunPage)
    assert len(page.data) == 2
    assert page.has_more
    assert page.next_cursor
    assert page.request_id is not None
    (sent,) = emulator.requests
    assert (sent.path, sent.query) == ("/v1/completion-run", f"limit=2&promptId={canvas.id}")
    # Rows arrive camelCase and read like any run.
    first = page.data[0]
    assert isinstance(first, Run)
    assert first.status == "succeeded"
    assert first.output_content is not None
    assert first.output_content.information is not None
    assert first.output_content.information.input_tokens == 2
    assert first.prompt_version_id == canvas.production_version_id
    assert first.refresh().to_dict() == first.to_dict()

    ids = [r.id for r in page]
    assert sorted(ids) == sorted(r.id for r in mine)
    assert [len(p.data) for p in page.iter_pages()] == [2, 1]
    last = page.next_page()
    assert last is not None
    assert not last.has_more
    assert last.next_cursor is None
    assert last.next_page() is None
    assert "cursor=" in emulator.requests[-1].query

    # The emulator's task id is also its completion run's id (protocol.md §4.3).
    assert theirs.completion_run_id == theirs.id
    assert [r.id for r in client.completions.list(prompt_application_id="app-2")] == [theirs.id]
    by_version = client.completions.list(prompt_version_id=other.production_version_id)
    assert [r.id for r in by_version.data] == [theirs.id]
    everything = client.completions.list(limit=100).data
    assert len(everything) == 4
    updated = [r.updated_at or "" for r in everything]
    assert updated == sorted(updated, reverse=True)  # newest first
    with pytest.raises(NotFoundError):
        client.completions.list(prompt_id="no-such-canvas")


@pytest.mark.parametrize("limit", [0, 101, -5])
def test_list_limit_is_checked(emulator: Emulator, client: Client, limit: int) -> None:
    with pytest.raises(InvalidRequestError, match="limit must be an integer from 1 to 100"):
        client.completions.list(limit=limit)
    assert emulator.requests == []


def test_list_tolerates_a_bare_list_of_camel_case_rows(emulator: Emulator, client: Client) -> None:
    row = {
        "id": "r1",
        "status": "succeeded",
        "promptVersionId": "v1",
        "someNewField": {"innerKey": 1},
        "inputContent": {"variables": {"myDocument": "x"}},
        "outputContent": {"content": {"fileSummary": "s"}, "information": {"inputTokens": 5, "cost": 0.01}},
    }
    emulator.fail(status=200, body=[row], path="/v1/completion-run")
    page = client.completions.list()
    assert not page.has_more
    assert page.next_cursor is None
    (run,) = page.data
    assert run.prompt_version_id == "v1"
    assert run.result() == {"fileSummary": "s"}  # the user's keys are left alone
    assert run.input_content is not None
    assert run.input_content.variables == {"myDocument": "x"}
    assert run.output_content is not None
    assert run.output_content.information is not None
    assert run.output_content.information.input_tokens == 5
    assert run.to_dict()["some_new_field"] == {"inner_key": 1}  # unknown fields are kept
    assert run.some_new_field == {"inner_key": 1}  # type: ignore[attr-defined]  # undeclared: read at run time only


# --- async --------------------------------------------------------------------------------


async def test_async_runs_wait_concurrently(emulator: Emulator, aclient: AsyncClient, canvas: Canvas) -> None:
    runs = [await aclient.completions.submit(canvas_id=canvas.id, variables={"document": str(i)}) for i in range(3)]
    assert all(isinstance(r, AsyncRun) and r.status == "created" for r in runs)
    seen: list[tuple[str, str]] = []

    async def report(run: AsyncRun) -> None:
        await asyncio.sleep(0)
        seen.append((run.id, run.status))

    done = await asyncio.gather(*(r.wait(poll_interval=POLL, on_status=report) for r in runs))
    assert [d.result() for d in done] == ["Summary of 0", "Summary of 1", "Summary of 2"]
    assert all(isinstance(d, AsyncRun) for d in done)
    for run in runs:
        assert [s for i, s in seen if i == run.id] == ["running", "succeeded"]
    fetched = await aclient.completions.retrieve(runs[0].id)
    assert isinstance(fetched, AsyncRun)
    refreshed = await runs[0].refresh()
    assert refreshed.to_dict() == fetched.to_dict() == done[0].to_dict()


async def test_async_failure_and_deadline(aclient: AsyncClient, failing: Canvas, slow: Canvas) -> None:
    run = await aclient.completions.submit(canvas_id=failing.id)
    with pytest.raises(RunFailedError) as failed:
        await aclient.completions.wait(run.id, poll_interval=POLL)
    assert isinstance(failed.value.run, AsyncRun)
    assert failed.value.run.status == "failed"

    run = await aclient.completions.submit(canvas_id=slow.id)
    with pytest.raises(RunTimeoutError) as late:
        await run.wait(timeout=0.2, poll_interval=0.05)
    assert isinstance(late.value.run, AsyncRun)
    assert late.value.last_status == "running"


async def test_async_transient_errors_and_sync_callbacks(
    emulator: Emulator, aclient: AsyncClient, canvas: Canvas
) -> None:
    run = await aclient.completions.submit(canvas_id=canvas.id, variables={"document": "d"})
    emulator.fail(status=503, times=2, path="/v2/chat/completions/")
    statuses: list[str] = []
    done = await run.wait(poll_interval=POLL, on_status=lambda r: statuses.append(r.status))
    assert done.status == "succeeded"
    assert statuses[-1] == "succeeded"  # "running" too, unless the failed polls spanned it
    assert set(statuses) <= {"running", "succeeded"}
    assert [r.status for r in polls(emulator)][:2] == [503, 503]


async def test_cancelling_an_async_wait_stops_polling(emulator: Emulator, aclient: AsyncClient, slow: Canvas) -> None:
    run = await aclient.completions.submit(canvas_id=slow.id)
    task = asyncio.create_task(run.wait(poll_interval=0.02))
    end = time.monotonic() + 20
    while time.monotonic() < end:
        if len(polls(emulator)) >= 2:
            break
        await asyncio.sleep(0.01)
    assert len(polls(emulator)) >= 2
    start = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - start < 5
    # A poll already on the wire may still land; after that, nothing more.
    await asyncio.sleep(0.5)
    settled = len(polls(emulator))
    await asyncio.sleep(0.5)
    assert len(polls(emulator)) == settled


async def test_async_list_iterates_every_page(aclient: AsyncClient, canvas: Canvas) -> None:
    runs = [await aclient.completions.submit(canvas_id=canvas.id) for _ in range(3)]
    # Finished runs stay put: a run that changes moves to the front of the updatedAt order.
    await asyncio.gather(*(r.wait(poll_interval=POLL) for r in runs))
    page = await aclient.completions.list(limit=2, prompt_id=canvas.id)
    assert len(page.data) == 2
    assert page.has_more
    assert all(isinstance(r, AsyncRun) for r in page.data)
    ids = [r.id async for r in page]
    assert sorted(ids) == sorted(r.id for r in runs)
    sizes = [len(p.data) async for p in page.iter_pages()]
    assert sizes == [2, 1]
    nxt = await page.next_page()
    assert nxt is not None
    assert await nxt.next_page() is None
