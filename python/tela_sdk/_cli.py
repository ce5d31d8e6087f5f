"""The ``tela-sdk`` command (also ``python -m tela_sdk``): run, stream, submit, wait, emulator,
canvases, tasks, types.

Configuration comes from the environment as for ``Client()`` (``TELA_API_KEY``,
``TELA_BASE_URL``; ``DIFY_API_KEY``, ``DIFY_BASE_URL`` with ``--api dify``), or from
``--base-url`` / ``--api-key``. Exit status: 0 on success, 1 when the API or the SDK reports
an error (its class and message go to stderr), 2 for a usage mistake, 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from ._exceptions import InvalidRequestError, TelaError

__all__ = ["main"]

PROG = "tela-sdk"

#: The SDK's keyword arguments, as this command spells them (its messages name the flag to pass).
_FLAGS = {
    "canvas_id": "--canvas-id",
    "version_id": "--version-id",
    "application_id": "--application-id",
    "environment_name": "--environment",
    "api_key": "--api-key",
    "base_url": "--base-url",
    "max_retries": "--max-retries",
    "webhook_url": "--webhook-url",
}
_KEYWORD = re.compile(r"\b(" + "|".join(_FLAGS) + r")=(\.\.\.)?")


class _Usage(Exception):
    """A usage mistake found after parsing (exit status 2, like argparse's own)."""


def _cli_words(message: str) -> str:
    """An SDK message with its keyword arguments (``pass canvas_id=...``) named as flags."""
    return _KEYWORD.sub(lambda m: _FLAGS[m[1]] + (" ..." if m[2] else " "), message)


def parse_var(spec: str) -> tuple[str, Any]:
    """``name=value`` (a string), ``name:=json`` (a JSON value), ``name=@path`` (a file).

    A value that starts with ``@@`` is the literal text after the first ``@``.
    """
    from ._files import File

    name, sep, value = spec.partition("=")
    if not sep or not name or name == ":":
        raise InvalidRequestError(
            f"--var {spec!r}: expected name=value, name:=<json> or name=@path (for example --var lang=en)"
        )
    if name.endswith(":"):
        try:
            return name[:-1], json.loads(value)
        except ValueError as e:
            raise InvalidRequestError(f"--var {spec!r}: the value after ':=' is not JSON ({e})") from None
    if value.startswith("@@"):
        return name, value[1:]
    if value.startswith("@"):
        if not value[1:]:
            raise InvalidRequestError(f"--var {spec!r}: name a file after '@' (for example doc=@invoice.pdf)")
        return name, File(value[1:])
    return name, value


def _variables(specs: Sequence[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for spec in specs or ():
        name, value = parse_var(spec)
        out[name] = value
    return out


def _client_options(args: argparse.Namespace) -> dict[str, Any]:
    dify = getattr(args, "api", "tela") == "dify"
    variable = "DIFY_API_KEY" if dify else "TELA_API_KEY"
    if args.api_key is None and not os.environ.get(variable):
        # The SDK's own message says `pass api_key=...`: here the key comes from a flag.
        from ._exceptions import ConfigurationError

        raise ConfigurationError(f"No API key: set the {variable} environment variable (or pass --api-key KEY).")
    opts: dict[str, Any] = {}
    if args.api_key is not None:
        opts["api_key"] = args.api_key
    if args.base_url is not None:
        opts["base_url"] = args.base_url
    if args.timeout is not None:
        opts["timeout"] = args.timeout
    if args.max_retries is not None:
        opts["max_retries"] = args.max_retries
    return opts


def _target(args: argparse.Namespace, *, required: bool = True) -> dict[str, Any]:
    targets = [
        flag
        for flag, value in (
            ("--canvas-id", args.canvas_id),
            ("--version-id", args.version_id),
            ("--application-id", args.application_id),
        )
        if value is not None
    ]
    if required and not targets:
        raise _Usage(
            "say what to run: --canvas-id ID (its production version, or --environment NAME), "
            "--version-id ID (one exact version) or --application-id ID (a Workstation app)"
        )
    if len(targets) > 1:
        raise _Usage(f"pass one of --canvas-id, --version-id, --application-id, not {' and '.join(targets)}")
    if args.environment is not None and args.canvas_id is None:
        raise _Usage("--environment needs --canvas-id (a version or application has no environments)")
    given = {
        "canvas_id": args.canvas_id,
        "version_id": args.version_id,
        "application_id": args.application_id,
        "environment_name": args.environment,
    }
    body = {k: v for k, v in given.items() if v is not None}
    body["variables"] = _variables(args.var)
    if args.message:
        body["messages"] = [{"role": "user", "content": m} for m in args.message]
    return body


def _print_content(content: Any, out: TextIO) -> None:
    if isinstance(content, str):
        out.write(content if content.endswith("\n") else content + "\n")
    else:
        out.write(json.dumps(content, indent=2, ensure_ascii=False) + "\n")


def _cmd_run(args: argparse.Namespace, out: TextIO) -> int:
    if args.api == "dify":
        from ._dify.client import DifyClient

        with DifyClient(**_client_options(args)) as dify:
            answer = dify.completion_messages.create(inputs=_variables(args.var), user=args.user, query=args.query)
            out.write(answer.to_json() + "\n" if args.json else answer.answer + "\n")
        return 0
    from ._tela.client import Client

    target = _target(args)
    with Client(**_client_options(args)) as client:
        completion = client.completions.create(**target)
        if args.json:
            out.write(completion.to_json() + "\n")
        else:
            _print_content(completion.content, out)
    return 0


def _cmd_stream(args: argparse.Namespace, out: TextIO) -> int:
    if args.api == "dify":
        from ._dify.client import DifyClient

        with DifyClient(**_client_options(args)) as dify:
            events = dify.completion_messages.create(
                inputs=_variables(args.var), user=args.user, query=args.query, stream=True
            )
            with events:
                if args.json:
                    for event in events:
                        out.write(event.to_json(indent=None) + "\n")
                        out.flush()
                else:
                    for piece in events.text():
                        out.write(piece)
                        out.flush()
            if not args.json:
                out.write("\n")
        return 0
    from ._tela.client import Client

    target = _target(args)
    with Client(**_client_options(args)) as client, client.completions.create(**target, stream=True) as stream:
        for chunk in stream:
            if args.json:
                out.write(chunk.to_json(indent=None) + "\n")
            elif chunk.text:
                out.write(chunk.text)
            out.flush()
        if not args.json:
            out.write("\n")
    return 0


def _cmd_submit(args: argparse.Namespace, out: TextIO) -> int:
    from ._tela.client import Client

    target = _target(args)
    with Client(**_client_options(args)) as client:
        run = client.completions.submit(**target, webhook_url=args.webhook_url)
        if args.json:
            if args.wait:
                run = run.wait(timeout=args.wait_timeout)
            out.write(run.to_json() + "\n")
        elif args.wait:
            # The id first (on stderr, so stdout is the answer alone, as `wait` prints it): a
            # wait cut short by Ctrl-C or --wait-timeout can be resumed with `tela-sdk wait ID`.
            print(f"{PROG}: run {run.id} submitted; waiting", file=sys.stderr, flush=True)
            run = run.wait(timeout=args.wait_timeout)
            _print_content(run.content, out)
        else:
            out.write(run.id + "\n")
    return 0


def _cmd_wait(args: argparse.Namespace, out: TextIO) -> int:
    from ._tela.client import Client

    with Client(**_client_options(args)) as client:
        run = client.completions.wait(args.run_id, timeout=args.wait_timeout)
        if args.json:
            out.write(run.to_json() + "\n")
        else:
            _print_content(run.content, out)
    return 0


def _read_items(path: str) -> list[dict[str, Any]]:
    """JSON Lines of create() arguments; a variable given as ``{"$file": "path"}`` is a file."""
    from ._files import File

    def files(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"$file"} and isinstance(value["$file"], str):
                return File(value["$file"])
            return {k: files(v) for k, v in value.items()}
        if isinstance(value, list):
            return [files(v) for v in value]
        return value

    items: list[dict[str, Any]] = []
    stream = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
    with stream:
        for lineno, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except ValueError as e:
                raise InvalidRequestError(f"{path}:{lineno} is not JSON ({e})") from None
            if not isinstance(item, dict):
                raise InvalidRequestError(f"{path}:{lineno} must be a JSON object of create() arguments")
            items.append(files(item))
    return items


def _cmd_batch(args: argparse.Namespace, out: TextIO) -> int:
    from ._tela.client import Client

    items = _read_items(args.input)
    defaults = {k: v for k, v in _target(args, required=False).items() if v}
    shared = defaults.pop("variables", None)
    if shared:  # --var sets a default per variable, under each line's own variables
        items = [{**item, "variables": {**shared, **(item.get("variables") or {})}} for item in items]
    with Client(**_client_options(args)) as client:
        results = client.completions.batch(
            items,
            concurrency=args.concurrency,
            progress=not args.no_progress,
            output=args.output,
            resume=args.resume,
            **defaults,
        )
    if args.output is None:
        for result in results:
            out.write(json.dumps(result.to_dict(), ensure_ascii=False, default=str) + "\n")
    failed = sum(1 for r in results if not r.ok)
    if failed:
        print(f"{PROG}: {failed} of {len(results)} items failed", file=sys.stderr)
        return 1
    return 0


def _types_command(args: argparse.Namespace) -> str:
    """The command a generated module names (its options, not where it was written)."""
    words = [PROG, "types", args.canvas_id]
    if args.version_id is not None:
        words += ["--version-id", args.version_id]
    if args.environment is not None:
        words += ["--environment", args.environment]
    if args.pydantic:
        words.append("--pydantic")
    return " ".join(words)


def _canvas_version(client: Any, args: argparse.Namespace) -> Any:
    """The version ``types`` describes: ``--version-id``, what ``--environment`` serves, or
    the promoted (production) version."""
    if args.version_id is not None:
        version = client.canvases.version(args.version_id)
        if version.canvas_id not in (None, args.canvas_id):
            raise InvalidRequestError(
                f"version {args.version_id} belongs to canvas {version.canvas_id}, not {args.canvas_id}; "
                f"pass that canvas id, or a version of {args.canvas_id}"
            )
        return version
    if args.environment is not None:
        return client.environments.version(args.canvas_id, args.environment)
    return client.canvases.promoted_version(args.canvas_id)


def _cmd_types(args: argparse.Namespace, out: TextIO) -> int:
    from . import _typegen
    from ._tela.client import Client

    if args.output is not None and args.check is not None:
        raise _Usage("pass -o FILE (write the module) or --check FILE (compare it), not both")
    if args.version_id is not None and args.environment is not None:
        raise _Usage("pass --version-id (one exact version) or --environment (what it serves), not both")
    current: str | None = None
    if args.check is not None:
        try:  # read first: a missing file fails before any request
            with open(args.check, encoding="utf-8") as f:
                current = f.read()
        except OSError as e:
            print(f"{PROG}: cannot read {args.check}: {e.strerror or e}", file=sys.stderr)
            print(f"{PROG}: generate it with: {_types_command(args)} -o {args.check}", file=sys.stderr)
            return 1
    with Client(**_client_options(args)) as client:
        version = _canvas_version(client, args)
    text = _typegen.render(
        canvas_id=args.canvas_id,
        version_id=version.id,
        variables=version.variables,
        output_schema=version.output_schema,
        pydantic=args.pydantic,
        command=_types_command(args),
    )
    if current is not None:
        drifted, diff = _typegen.drift(current, text, args.check)
        if drifted:
            out.write(diff)
            print(
                f"{PROG}: {args.check} has drifted from canvas {args.canvas_id} (version {version.id}); "
                f"regenerate it with: {_types_command(args)} -o {args.check}",
                file=sys.stderr,
            )
            return 1
        note = "" if current == text else f" (its types match version {version.id}; only the version id differs)"
        print(f"{PROG}: {args.check} is up to date{note}", file=sys.stderr)
        return 0
    if args.output is None:
        out.write(text)
        return 0
    tmp = f"{args.output}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, args.output)
    print(f"{PROG}: wrote {args.output} (canvas {args.canvas_id}, version {version.id})", file=sys.stderr)
    return 0


def _cmd_emulator(args: argparse.Namespace, out: TextIO) -> int:
    from .testing.__main__ import serve

    try:
        return serve(
            port=args.port,
            api_keys=args.api_keys,
            demo=not args.no_demo,
            allow_missing_variables=args.allow_missing_variables,
            strict=args.strict,
            out=out,
        )
    except OSError as e:
        where = f"port {args.port}" if args.port else "a free port"
        print(f"{PROG}: cannot serve the emulator on 127.0.0.1, {where}: {e.strerror or e}", file=sys.stderr)
        if args.port:
            print(f"{PROG}: pick another --port, or leave it out for a free one", file=sys.stderr)
        return 1


def _cmd_canvases_get(args: argparse.Namespace, out: TextIO) -> int:
    """A canvas and its promoted version's variables (``--json``: both objects as JSON)."""
    from ._exceptions import NotFoundError
    from ._tela.client import Client

    with Client(**_client_options(args)) as client:
        canvas = client.canvases.get(args.canvas_id)
        try:
            version = client.canvases.promoted_version(args.canvas_id)
        except NotFoundError:
            version = None  # a canvas with nothing promoted yet
    if args.json:
        both = {"canvas": canvas.to_dict(), "promoted_version": version.to_dict() if version else None}
        out.write(json.dumps(both, indent=2, ensure_ascii=False) + "\n")
        return 0
    out.write(f"{canvas.title or '(untitled)'} ({canvas.id})\n")
    if canvas.project_id:
        out.write(f"project: {canvas.project_id}\n")
    if version is None:
        out.write("promoted version: none\n")
        return 0
    out.write(f"promoted version: {version.id}" + (f" ({version.title})" if version.title else "") + "\n")
    variables = version.variables or []
    out.write("variables:" + ("" if variables else " none") + "\n")
    width = max((len(str(v.name)) for v in variables), default=0)
    for v in variables:
        need = "required" if v.required else "optional"
        out.write(
            f"  {v.name!s:<{width}}  {v.type!s:<5}  {need}" + (f"  {v.description}" if v.description else "") + "\n"
        )
    schema = version.output_schema
    if schema is not None:
        keys = ", ".join(schema.get("properties") or {}) if isinstance(schema.get("properties"), dict) else ""
        out.write("structured output: yes" + (f" ({keys})" if keys else "") + "\n")
    return 0


def _cmd_canvases_versions(args: argparse.Namespace, out: TextIO) -> int:
    """Every version of a canvas, newest first (``--json``: a JSON array)."""
    from ._tela.client import Client

    with Client(**_client_options(args)) as client:
        versions = list(client.canvases.history(args.canvas_id))
    if args.json:
        out.write(json.dumps([v.to_dict() for v in versions], indent=2, ensure_ascii=False) + "\n")
        return 0
    for v in versions:
        flags = [f"#{v.version_index}" if v.version_index is not None else ""]
        flags += ["promoted"] if v.promoted else []
        flags += ["draft"] if v.draft else []
        envs = v.environment_names
        flags += [f"[{', '.join(envs)}]"] if envs else []
        out.write("  ".join(x for x in [v.id, v.title or "", *flags] if x) + "\n")
    return 0


def _add_canvases_commands(sub: Any) -> None:
    canvases = sub.add_parser(
        "canvases", help="show a canvas and its versions", description="Read canvases and their versions."
    )
    verbs = canvases.add_subparsers(dest="verb", required=True, metavar="VERB")
    get = verbs.add_parser("get", help="a canvas and its promoted version's variables", description="Show a canvas.")
    get.add_argument("canvas_id", help="the canvas id")
    get.add_argument("--json", action="store_true", help="print the canvas and its promoted version as JSON")
    _add_client_flags(get)
    get.set_defaults(handler=_cmd_canvases_get)
    versions = verbs.add_parser("versions", help="every version, newest first", description="List a canvas's versions.")
    versions.add_argument("canvas_id", help="the canvas id")
    versions.add_argument("--json", action="store_true", help="print the versions as a JSON array")
    _add_client_flags(versions)
    versions.set_defaults(handler=_cmd_canvases_versions)


def _add_client_flags(p: argparse.ArgumentParser, *, dify: bool = False) -> None:
    g = p.add_argument_group("connection")
    if dify:
        g.add_argument("--api", choices=("tela", "dify"), default="tela", help="which API to call (default: tela)")
    g.add_argument("--base-url", help="API base URL (default: $TELA_BASE_URL, or $DIFY_BASE_URL with --api dify)")
    g.add_argument(
        "--api-key",
        help="API key (default: $TELA_API_KEY or $DIFY_API_KEY; prefer the environment: flags show in ps)",
    )
    g.add_argument("--timeout", type=float, help="connect/read/stream-idle deadline in seconds")
    g.add_argument("--max-retries", type=int, help="retries for calls that are safe to retry (0 to 10)")


def _add_target_flags(p: argparse.ArgumentParser, *, dify: bool = False) -> None:
    g = p.add_argument_group("what to run")
    g.add_argument("--canvas-id", help="the canvas to run (its production version, or --environment)")
    g.add_argument("--version-id", help="a canvas version to run")
    g.add_argument("--application-id", help="a Workstation application to run")
    g.add_argument("--environment", help="the environment name (with --canvas-id)")
    g.add_argument(
        "--var",
        action="append",
        metavar="NAME=VALUE",
        help="a variable: name=text, name:=<json>, or name=@path for a file (repeatable)",
    )
    g.add_argument("--message", action="append", metavar="TEXT", help="a user chat message (repeatable)")
    if dify:
        g.add_argument("--user", default="tela-sdk-cli", help="Dify end-user id (default: tela-sdk-cli)")
        g.add_argument("--query", help="Dify query text")


# --- tasks: Workstation tasks (create, get, list, approve) ---------------------------------


def _task_line(task: Any) -> str:
    return "\t".join(str(v) for v in (task.id, task.status, task.name or ""))


def _print_task(task: Any, args: argparse.Namespace, out: TextIO) -> None:
    if args.json:
        out.write(task.to_json() + "\n")
        return
    out.write(_task_line(task) + "\n")
    if task.output is not None:
        _print_content(task.output, out)


def _cmd_tasks(args: argparse.Namespace, out: TextIO) -> int:
    from ._tela.client import Client

    with Client(**_client_options(args)) as client:
        if args.tasks_command == "create":
            task = client.tasks.create(
                application_id=args.application_id,
                name=args.name,
                variables=_variables(args.var) or None,
                tags=args.tag,
                webhook_url=args.webhook_url,
            )
            if args.wait:
                print(f"{PROG}: task {task.id} created; waiting", file=sys.stderr, flush=True)
                task = task.wait(timeout=args.wait_timeout)
                _print_task(task, args, out)
            else:
                out.write(task.to_json() + "\n" if args.json else task.id + "\n")
        elif args.tasks_command == "get":
            _print_task(client.tasks.get(args.task_id), args, out)
        elif args.tasks_command == "approve":
            task = client.tasks.approve(args.task_id)
            out.write(task.to_json() + "\n" if args.json else _task_line(task) + "\n")
        else:
            filters = {"application_id": args.application_id, "status": args.status, "tags": args.tag}
            listed = client.tasks.list(**{k: v for k, v in filters.items() if v is not None})
            for n, task in enumerate(listed):
                if args.limit is not None and n >= args.limit:
                    break
                out.write(task.to_json(indent=None) + "\n" if args.json else _task_line(task) + "\n")
    return 0


def _add_tasks_commands(sub: Any) -> None:
    tasks = sub.add_parser(
        "tasks",
        help="create, read, list and approve Workstation tasks",
        description="Workstation tasks: create one, show one, list an app's tasks, approve one.",
    )
    tsub = tasks.add_subparsers(dest="tasks_command", required=True, metavar="ACTION")
    create = tsub.add_parser("create", help="create a task and print its id", description="Create a task.")
    create.add_argument("--application-id", required=True, help="the Workstation app")
    create.add_argument("--name", required=True, help="the task's name, shown in Workstation")
    create.add_argument(
        "--var",
        action="append",
        metavar="NAME=VALUE",
        help="a variable: name=text, name:=<json>, or name=@path for a file (repeatable)",
    )
    create.add_argument("--tag", action="append", help="a tag (repeatable)")
    create.add_argument("--webhook-url", help="where Tela POSTs the result")
    create.add_argument("--wait", action="store_true", help="wait for the task to finish and print it")
    create.add_argument("--wait-timeout", type=float, default=600.0, help="seconds to wait (default 600)")
    get = tsub.add_parser("get", help="print a task", description="Print a task: id, status, name, output.")
    get.add_argument("task_id", help="the task id")
    listing = tsub.add_parser(
        "list", help="list tasks, one line each", description="List tasks (id, status, name), newest first."
    )
    listing.add_argument("--application-id", help="only this app's tasks")
    listing.add_argument("--status", help="only tasks in this status (e.g. completed)")
    listing.add_argument("--tag", action="append", help="only tasks with this tag (repeatable)")
    listing.add_argument("--limit", type=int, help="print at most this many")
    approve = tsub.add_parser("approve", help="approve a task", description="Approve a reviewed task.")
    approve.add_argument("task_id", help="the task id")
    for p in (create, get, listing, approve):
        p.add_argument("--json", action="store_true", help="print JSON (one task per line for list)")
        _add_client_flags(p)
        p.set_defaults(handler=_cmd_tasks)


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run a canvas and print its answer", description="Run a canvas.")
    _add_target_flags(run, dify=True)
    run.add_argument("--json", action="store_true", help="print the whole completion as JSON")
    _add_client_flags(run, dify=True)
    run.set_defaults(handler=_cmd_run)

    stream = sub.add_parser(
        "stream", help="run a canvas and print its answer as it streams", description="Stream a canvas."
    )
    _add_target_flags(stream, dify=True)
    stream.add_argument("--json", action="store_true", help="print each chunk as one JSON line")
    _add_client_flags(stream, dify=True)
    stream.set_defaults(handler=_cmd_stream)

    submit = sub.add_parser("submit", help="start an async run and print its id", description="Start an async run.")
    _add_target_flags(submit)
    submit.add_argument("--webhook-url", help="where Tela POSTs the finished run")
    submit.add_argument("--wait", action="store_true", help="wait for the run to finish")
    submit.add_argument("--wait-timeout", type=float, default=600.0, help="seconds to wait (default 600)")
    submit.add_argument("--json", action="store_true", help="print the run as JSON")
    _add_client_flags(submit)
    submit.set_defaults(handler=_cmd_submit)

    wait = sub.add_parser("wait", help="wait for a run and print its result", description="Wait for an async run.")
    wait.add_argument("run_id", help="the run id that submit printed")
    wait.add_argument("--wait-timeout", type=float, default=600.0, help="seconds to wait (default 600)")
    wait.add_argument("--json", action="store_true", help="print the run as JSON")
    _add_client_flags(wait)
    wait.set_defaults(handler=_cmd_wait)

    batch = sub.add_parser(
        "batch",
        help="run a canvas over every line of a JSON Lines file",
        description="Run create() for every line of INPUT (a JSON object of create() arguments; a variable "
        'given as {"$file": "path"} is a file). Flags given here are defaults for every line.',
    )
    batch.add_argument("input", help="JSON Lines file of items ('-' for stdin)")
    batch.add_argument("-o", "--output", help="append one result line per item here (default: stdout at the end)")
    batch.add_argument("--concurrency", type=int, default=16, help="items in flight at once (default 16)")
    batch.add_argument("--resume", action="store_true", help="skip the items already in --output")
    batch.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    _add_target_flags(batch)
    _add_client_flags(batch)
    batch.set_defaults(handler=_cmd_batch)

    types = sub.add_parser(
        "types",
        help="write Python types (TypedDict or pydantic) for a canvas's variables and output",
        description="Write a Python module with the canvas's variables as a TypedDict (what variables= "
        "takes) and its structured output as a TypedDict (what .parse() returns), or both as pydantic models.",
    )
    types.add_argument("canvas_id", metavar="CANVAS_ID", help="the canvas")
    types.add_argument("--version-id", help="one exact version (default: the promoted, production version)")
    types.add_argument("--environment", help="the version an environment serves (e.g. staging)")
    types.add_argument("-o", "--output", metavar="FILE", help="write the module here (default: stdout)")
    types.add_argument("--pydantic", action="store_true", help="pydantic models instead of TypedDicts")
    types.add_argument(
        "--check",
        metavar="FILE",
        help="compare FILE with what would be generated: exit 1 with a diff when the canvas has drifted",
    )
    _add_client_flags(types)
    types.set_defaults(handler=_cmd_types)

    emu = sub.add_parser(
        "emulator",
        help="serve the local emulator of both APIs until interrupted",
        description="Serve the Tela and Dify emulator on 127.0.0.1.",
    )
    emu.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    emu.add_argument("--api-key", action="append", dest="api_keys", help="accepted Tela key (repeatable)")
    emu.add_argument("--no-demo", action="store_true", help="do not register the demo canvas and Dify app")
    emu.add_argument(
        "--allow-missing-variables",
        action="store_true",
        help="run canvases even when the request lacks a variable their template uses (default: 400 MISSING_VARIABLES)",
    )
    emu.add_argument(
        "--strict",
        action="store_true",
        help="answer with only the fields the public docs show (the default in the next minor version)",
    )
    emu.set_defaults(handler=_cmd_emulator)
    _add_canvases_commands(sub)
    _add_tasks_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    out = out if out is not None else sys.stdout
    try:
        code: int = args.handler(args, out)
        return code
    except _Usage as e:
        parser.exit(2, f"{PROG} {args.command}: error: {e}\n")
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except TelaError as e:
        print(f"{PROG}: {type(e).__name__}: {_cli_words(str(e))}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # `tela-sdk stream ... | head`: the reader left; not an error of ours.
        return 0
