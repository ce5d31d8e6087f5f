"""``completions.batch()``: one canvas over many inputs, concurrently, nothing lost.

The items run as ordinary ``create()`` calls on the core's runtime (so each keeps its own
retries, and the client-wide limiter slows every call after a 429), with at most
``concurrency`` in flight: that many workers pull the next index from one shared iterator,
so 10,000 items cost 10,000 small records, not 10,000 pending tasks. The sync face runs the
same coroutine on a private event loop in a helper thread, so it works inside Jupyter's
running loop and Ctrl-C still cancels it.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import os
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from typing import IO, Any, Generic, TypeVar

from . import _exceptions
from ._exceptions import BatchOutputError, InvalidRequestError, TelaError
from ._usage import UsageTotals

__all__ = ["BatchResult", "run_async", "run_sync"]

R = TypeVar("R")

#: The largest ``concurrency`` accepted; past this a client opens more sockets than it helps.
MAX_CONCURRENCY = 1024


class BatchResult(Generic[R]):
    """One item's outcome: ``completion`` when ``ok``, else ``error`` (a ``TelaError``).
    ``started`` is False for an item a ``budget`` kept from starting (``resume`` runs it)."""

    __slots__ = ("completion", "error", "index", "started")

    def __init__(
        self, index: int, completion: R | None = None, error: TelaError | None = None, started: bool = True
    ) -> None:
        self.index = index
        self.completion = completion
        self.error = error
        self.started = started

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        """The record written to ``output``: ``index``, ``ok``, and the completion or the error."""
        if not self.started and self.error is not None:
            return {"index": self.index, "ok": False, "started": False, "error": _error_record(self.error)}
        if self.error is not None:
            return {"index": self.index, "ok": False, "error": _error_record(self.error)}
        record: dict[str, Any] = {"index": self.index, "ok": True}
        to_dict = getattr(self.completion, "to_dict", None)
        record["completion"] = to_dict() if to_dict is not None else self.completion
        request_id = getattr(self.completion, "request_id", None)
        if request_id is not None:
            record["request_id"] = request_id
        return record

    def __repr__(self) -> str:
        if self.error is not None:
            return f"BatchResult(index={self.index}, ok=False, error={type(self.error).__name__}: {self.error})"
        return f"BatchResult(index={self.index}, ok=True, completion={self.completion!r})"


def _error_record(error: TelaError) -> dict[str, Any]:
    record: dict[str, Any] = {"type": type(error).__name__, "message": str(error)}
    for name in ("status_code", "code", "request_id", "kind"):
        value = getattr(error, name, None)
        if value is not None:
            record[name] = value
    return record


def _error_from_record(record: Mapping[str, Any]) -> TelaError:
    """The stored error as its own class again, so ``isinstance`` checks keep working."""
    name = str(record.get("type", "TelaError"))
    cls = getattr(_exceptions, name, None) if name in _exceptions.__all__ else None
    fields = {k: record[k] for k in ("status_code", "code", "request_id", "kind") if k in record}
    message = str(record.get("message", ""))
    if isinstance(cls, type) and issubclass(cls, TelaError):
        try:
            return cls(message, **fields)
        except TypeError:  # a class that needs more than a record keeps (RunFailedError's run)
            pass
    return _exceptions.APIError(message, **fields)


class Plan(Generic[R]):
    """The merged items, and the results already known (from ``resume``)."""

    def __init__(self, items: list[dict[str, Any]], done: dict[int, BatchResult[R]]) -> None:
        self.items = items
        self.done = done

    def todo(self) -> Iterator[int]:
        return (i for i in range(len(self.items)) if i not in self.done)


def plan(
    items: Iterable[Mapping[str, Any]],
    defaults: Mapping[str, Any],
    *,
    allowed: frozenset[str],
    concurrency: int,
    output: str | os.PathLike[str] | None,
    resume: bool,
    decode: Callable[[Mapping[str, Any]], R],
) -> Plan[R]:
    """Checks everything that can be checked before a request is sent."""
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or not 1 <= concurrency <= MAX_CONCURRENCY:
        raise InvalidRequestError(f"concurrency must be an int from 1 to {MAX_CONCURRENCY}, not {concurrency!r}")
    _check_keys(defaults, allowed, "batch() keyword")
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Iterable):
        raise InvalidRequestError(f"items must be a list of dicts of create() arguments, not {type(items).__name__}")
    merged: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise InvalidRequestError(
                f"items[{i}] is a {type(item).__name__}; each item must be a dict of create() arguments"
            )
        _check_keys(item, allowed, f"items[{i}]")
        merged.append({**defaults, **item})
    if resume and output is None:
        raise InvalidRequestError("resume=True needs output= (the JSON Lines file to resume from)")
    done: dict[int, BatchResult[R]] = {}
    if resume and output is not None and os.path.exists(output):
        done = _read_output(output, len(merged), decode)
    return Plan(merged, done)


def _check_keys(given: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    for key in given:
        if key == "stream":
            raise InvalidRequestError(f"{where}: stream is not a batch argument (batch collects whole results)")
        if key not in allowed:
            raise InvalidRequestError(f"{where}: unknown argument {key!r}; create() takes {', '.join(sorted(allowed))}")


def _read_output(
    path: str | os.PathLike[str], count: int, decode: Callable[[Mapping[str, Any]], R]
) -> dict[int, BatchResult[R]]:
    import json

    done: dict[int, BatchResult[R]] = {}
    with open(path, encoding="utf-8", errors="replace", newline="\n") as f:
        for lineno, line in enumerate(f, 1):
            if not line.endswith("\n"):
                # The last line of a run stopped mid-write (kill -9, full disk): an item is
                # done only once its whole line is written, so redo it (run_async cuts it off).
                break
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                index = record["index"]
                ok = record["ok"]
            except (ValueError, KeyError, TypeError):
                raise InvalidRequestError(
                    f"{os.fspath(path)}:{lineno} is not a batch result line; resume only from a batch output file"
                ) from None
            if not isinstance(index, int) or not 0 <= index < count:
                raise InvalidRequestError(
                    f"{os.fspath(path)}:{lineno} has index {index!r}, outside these {count} items; "
                    "resume with the same items that wrote the file"
                )
            if record.get("started") is False:
                continue  # kept from starting by a budget: resuming runs it
            if ok:
                done[index] = BatchResult(index, completion=decode(record))
            else:
                done[index] = BatchResult(index, error=_error_from_record(record.get("error") or {}))
    return done


class _Tally:
    """Running totals for the progress display."""

    __slots__ = ("cost", "done", "failed", "not_started", "tokens")

    def __init__(self) -> None:
        self.done = 0
        self.failed = 0
        self.not_started = 0
        self.tokens = 0
        self.cost = 0.0

    def add(self, result: BatchResult[Any], usage: Callable[[Any], tuple[int, float]]) -> None:
        self.done += 1
        if not result.started:
            self.not_started += 1
        elif result.error is not None:
            self.failed += 1
        elif result.completion is not None:
            tokens, cost = usage(result.completion)
            self.tokens += tokens
            self.cost += cost

    def postfix(self) -> str:
        text = f"{self.failed} failed"
        if self.not_started:
            text += f", {self.not_started} not started (budget)"
        if self.tokens:
            text += f", {self.tokens:,} tokens"
        if self.cost:
            text += f", cost {self.cost:.4f}"
        return text


class _Progress:
    """tqdm when installed (``tqdm.auto``: a widget in notebooks), else a line on stderr."""

    def __init__(self, total: int, initial: int) -> None:
        self.total = total
        self.initial = initial
        self.start = time.monotonic()
        self.last = 0.0
        self.bar: Any = None
        try:
            tqdm = importlib.import_module("tqdm.auto").tqdm
        except ImportError:
            self.stream: IO[str] = sys.stderr
            self.tty = self.stream.isatty()
        else:
            self.bar = tqdm(total=total, initial=initial, desc="batch", unit="item", dynamic_ncols=True)

    def update(self, tally: _Tally, final: bool = False) -> None:
        if self.bar is not None:
            if not final:
                self.bar.update(1)
            self.bar.set_postfix_str(tally.postfix(), refresh=final)
            if final:
                self.bar.close()
            return
        now = time.monotonic()
        # A terminal gets a live line; a log file a line every few seconds.
        if not final and now - self.last < (0.2 if self.tty else 5.0):
            return
        self.last = now
        elapsed = max(now - self.start, 1e-9)
        ran = tally.done - self.initial
        rate = ran / elapsed
        left = self.total - tally.done
        eta = f"{left / rate:.0f}s" if rate > 0 and left else "-"
        line = f"batch: {tally.done}/{self.total} done, {tally.postfix()}, {rate:.1f}/s, ETA {eta}"
        end = "\n" if final or not self.tty else ""
        self.stream.write(("\r" if self.tty else "") + line + end)
        self.stream.flush()


class _Sink:
    """The ``output`` file: one whole line per result, appended after the file's last whole line.

    A line is written with unbuffered ``write`` calls and counts only once all of it is in the
    file; a failed write cuts the file back to its last whole line, so ``resume`` can always
    read it. Appends of one line each go to the page cache in microseconds: not worth a thread.
    """

    def __init__(self, path: str | os.PathLike[str], stored: int) -> None:
        self.path = os.fspath(path)
        self.stored = stored  # results already in the file (resume)
        self.written = 0
        try:
            self.file = open(path, "ab", buffering=0)  # noqa: SIM115 (closed by close())
        except OSError as e:
            raise self._error(e, "cannot open it", []) from e
        try:
            self.end = self._cut_torn_tail()
        except OSError as e:
            self.file.close()
            raise self._error(e, "cannot repair its torn last line", []) from e

    def _cut_torn_tail(self) -> int:
        """Cuts a regular file back to the end of its last whole line (a run stopped
        mid-write leaves a fragment; the next line must not be glued to it). Returns the size."""
        import stat

        fd = self.file.fileno()
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size == 0:
            return info.st_size
        size = info.st_size
        end = size
        chunk = 1 << 16
        with open(self.path, "rb") as reader:  # the append handle cannot read
            while end > 0:
                start = max(0, end - chunk)
                reader.seek(start)
                newline = reader.read(end - start).rfind(b"\n")
                if newline >= 0:
                    end = start + newline + 1
                    break
                end = start
        if end != size:
            os.ftruncate(fd, end)
        return end

    def write(self, line: bytes, results: Callable[[], list[Any]]) -> None:
        view = memoryview(line)
        try:
            while view:
                n = self.file.write(view)
                view = view[n or 0 :]
        except OSError as e:
            # Leave no fragment behind, so the file stays resumable (else resume cuts it off).
            with contextlib.suppress(OSError):
                os.ftruncate(self.file.fileno(), self.end)
            raise self._error(e, "cannot write to it", results()) from e
        self.end += len(line)
        self.written += 1

    def close(self) -> None:
        self.file.close()

    def _error(self, cause: OSError, what: str, results: list[Any]) -> BatchOutputError:
        reason = cause.strerror or str(cause)
        wrote = f"{self.written} result(s) of this run are in it" if self.written else "no result of this run is in it"
        if self.stored:
            wrote += f" (and {self.stored} from before)"
        if not results:
            after = "nothing was sent; check the path (does the folder exist? is it writable?)"
        else:
            after = (
                "the batch stopped and the items in flight were cancelled; the results that arrived are "
                "in this error's .results; free space or fix the file, then run again with resume=True"
            )
        return BatchOutputError(
            f"batch output {self.path!r}: {what} ({reason}); {wrote}; {after}",
            path=self.path,
            written=self.written,
            results=results,
            errno=cause.errno,
        )


async def _stop(tasks: list[Any]) -> None:
    """Cancels the workers and waits until every one has ended, even if cancelled meanwhile."""
    import asyncio

    for task in tasks:
        task.cancel()
    while pending := [t for t in tasks if not t.done()]:
        try:
            await asyncio.wait(pending)
        except asyncio.CancelledError:  # a second cancel: keep waiting, the caller's error goes on
            continue


async def run_async(
    the_plan: Plan[R],
    create: Callable[..., Awaitable[R]],
    *,
    concurrency: int,
    progress: bool,
    output: str | os.PathLike[str] | None,
    usage: Callable[[R], tuple[int, float]],
    ledger: Callable[[], UsageTotals] | None = None,
    budget: float | None = None,
) -> list[BatchResult[R]]:
    """``ledger`` reads the client's usage ledger: the batch's totals are printed at the end
    (with ``progress``), and ``budget`` stops new items once the cost recorded since the
    batch started reaches it."""
    import asyncio
    import json

    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, (int, float)) or not budget >= 0):
        raise InvalidRequestError(f"budget must be a number >= 0 (a cost, as the answers report it), not {budget!r}")
    before = ledger() if ledger is not None else None

    items = the_plan.items
    results: list[BatchResult[R] | None] = [None] * len(items)
    for index, stored in the_plan.done.items():
        results[index] = stored
    tally = _Tally()
    for stored in the_plan.done.values():
        tally.add(stored, usage)
    # Opened before the first request, so a bad path costs nothing.
    sink = _Sink(output, len(the_plan.done)) if output is not None else None
    bar = _Progress(len(items), tally.done) if progress else None
    todo = the_plan.todo()

    def arrived() -> list[BatchResult[R]]:
        return [r for r in results if r is not None]

    def over_budget() -> float | None:
        if budget is None or ledger is None or before is None:
            return None
        spent = ledger().cost - before.cost
        return spent if spent >= budget else None

    async def worker() -> None:
        for index in todo:
            spent = over_budget()
            if spent is not None:
                reason = TelaError(
                    f"items[{index}] was not started: the batch's recorded cost {spent:g} reached budget={budget:g}; "
                    "run the batch again with resume=True (and a larger budget) to run it"
                )
                result: BatchResult[R] = BatchResult(index, error=reason, started=False)
            else:
                result = await run_one(index)
            results[index] = result
            if sink is not None:
                line = json.dumps(result.to_dict(), ensure_ascii=False, default=str) + "\n"
                sink.write(line.encode("utf-8"), arrived)
            tally.add(result, usage)
            if bar is not None:
                bar.update(tally)

    async def run_one(index: int) -> BatchResult[R]:
        try:
            return BatchResult(index, completion=await create(**items[index]))
        except TelaError as e:
            return BatchResult(index, error=e)
        except Exception as e:  # one bad item never fails the batch
            wrapped = TelaError(f"items[{index}] failed: {type(e).__name__}: {e}")
            wrapped.__cause__ = e
            return BatchResult(index, error=wrapped)

    tasks: list[asyncio.Task[None]] = []
    try:
        workers = min(concurrency, len(items) - len(the_plan.done))
        tasks = [asyncio.ensure_future(worker()) for _ in range(workers)]
        # Every worker ends before this returns or raises: one that raised (or a cancel) stops
        # the others, whose runs would otherwise go on being billed with nobody to keep them.
        if tasks:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()  # raises the first worker error
    finally:
        await _stop(tasks)
        if sink is not None:
            sink.close()
        if bar is not None:
            bar.update(tally, final=True)
            if ledger is not None and before is not None:
                print(_totals_line(before, ledger()), file=sys.stderr, flush=True)
    return arrived()


def _totals_line(before: UsageTotals, after: UsageTotals) -> str:
    """What the batch used, from the client's ledger (its copies' other calls included)."""
    cost = after.cost - before.cost
    currency = f" {after.currency}" if after.currency else ""
    return (
        f"batch totals: {after.requests - before.requests} requests, {after.attempts - before.attempts} attempts, "
        f"{after.input_tokens - before.input_tokens:,} input + {after.output_tokens - before.output_tokens:,} "
        f"output tokens, cost {cost:.6g}{currency}, {after.time - before.time:.1f}s in requests"
    )


def run_sync(coro: Callable[[], Awaitable[list[BatchResult[R]]]]) -> list[BatchResult[R]]:
    """Runs the batch on a private event loop in a helper thread; Ctrl-C cancels it."""
    import asyncio

    box: dict[str, Any] = {}
    started = threading.Event()

    async def main() -> list[BatchResult[R]]:
        box["loop"] = asyncio.get_running_loop()
        box["task"] = asyncio.current_task()
        started.set()
        return await coro()

    def target() -> None:
        try:
            box["result"] = asyncio.run(main())
        except BaseException as e:  # handed to the caller's thread
            box["error"] = e
        finally:
            started.set()

    # The caller's context (its current span, say) goes with the batch to the helper thread.
    thread = threading.Thread(target=contextvars.copy_context().run, args=(target,), name="tela-sdk-batch", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.1)
    except KeyboardInterrupt:
        started.wait()
        loop, task = box.get("loop"), box.get("task")
        if loop is not None and task is not None:
            loop.call_soon_threadsafe(task.cancel)
        thread.join()
        raise
    if "error" in box:
        raise box["error"]
    result: list[BatchResult[R]] = box["result"]
    return result
