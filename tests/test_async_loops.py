"""How async results reach asyncio: one wake-up socket per event loop (`add_reader`), with the
thread-hop path kept for loops that cannot watch a socket. Every case runs real requests."""

from __future__ import annotations

import asyncio
import gc
import threading

import pytest

from tela_sdk import AsyncClient, NotFoundError
from tela_sdk.testing import Canvas, Emulator

from .rawserver import RawConn, RawServer


async def _burst(emulator: Emulator, canvas: Canvas, n: int) -> list[str]:
    async with emulator.async_client(max_retries=0) as client:
        outs = await asyncio.gather(
            *(client.completions.create(canvas_id=canvas.id, variables={"document": f"doc {i}"}) for i in range(n))
        )
    return [str(o.content) for o in outs]


def test_each_result_reaches_its_own_future(emulator: Emulator, canvas: Canvas) -> None:
    got = asyncio.run(_burst(emulator, canvas, 200))
    assert got == [f"Summary of doc {i}" for i in range(200)]


def test_loops_in_several_threads_at_once(emulator: Emulator, canvas: Canvas) -> None:
    results: dict[int, list[str]] = {}
    errors: list[BaseException] = []

    def run(k: int) -> None:
        try:
            results[k] = asyncio.run(_burst(emulator, canvas, 50))
        except BaseException as e:  # reported below, not lost in the thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    assert all(results[k] == [f"Summary of doc {i}" for i in range(50)] for k in range(4))


def test_a_new_loop_after_the_old_one_closed(emulator: Emulator, canvas: Canvas) -> None:
    for _ in range(3):
        assert asyncio.run(_burst(emulator, canvas, 5))[4] == "Summary of doc 4"
        gc.collect()


def test_errors_arrive_as_the_typed_exception(emulator: Emulator) -> None:
    async def main() -> None:
        async with emulator.async_client(max_retries=0) as client:
            with pytest.raises(NotFoundError):
                await client.completions.create(canvas_id="00000000-0000-0000-0000-000000000000", variables={})

    asyncio.run(main())


def _cancel_then_ask(emulator: Emulator, canvas: Canvas, loop: asyncio.AbstractEventLoop) -> str:
    """Cancels a request the server never answers, then makes one that it does."""

    def never_answer(conn: RawConn) -> None:
        conn.wait_peer_close(30)

    async def main() -> str:
        with RawServer(never_answer) as silent:
            async with AsyncClient(api_key="k", base_url=silent.url, max_retries=0) as stuck:
                task = asyncio.ensure_future(stuck.completions.create(canvas_id="c"))
                assert await asyncio.to_thread(silent.accepted.wait, 10)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                assert await asyncio.to_thread(silent.connections[0].closed_by_peer.wait, 10)
        return (await _burst(emulator, canvas, 3))[2]

    return loop.run_until_complete(main())


class _NoReaderLoop(asyncio.SelectorEventLoop):
    """A loop that cannot watch sockets, like Windows' Proactor loop."""

    def add_reader(self, *args: object, **kwargs: object) -> None:
        raise NotImplementedError


def test_loops_without_add_reader_still_get_results(emulator: Emulator, canvas: Canvas) -> None:
    loop = _NoReaderLoop()
    try:
        got = loop.run_until_complete(_burst(emulator, canvas, 20))
    finally:
        loop.close()
    assert got == [f"Summary of doc {i}" for i in range(20)]


@pytest.mark.parametrize("make_loop", [asyncio.new_event_loop, _NoReaderLoop], ids=["watching", "no-reader"])
def test_a_cancelled_request_is_closed_and_the_loop_goes_on(
    emulator: Emulator, canvas: Canvas, make_loop: type[asyncio.AbstractEventLoop]
) -> None:
    loop = make_loop()
    try:
        assert _cancel_then_ask(emulator, canvas, loop) == "Summary of doc 2"
    finally:
        loop.close()
