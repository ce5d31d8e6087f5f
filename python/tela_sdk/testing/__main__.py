"""``python -m tela_sdk.testing serve [--port N] [--api-key KEY] [--demo] [--allow-missing-variables] [--strict]``:
run the emulator."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from typing import TextIO

from . import DEFAULT_API_KEY, DEMO_DIFY_KEY, Emulator

#: The help of ``--allow-missing-variables`` (here and in ``tela-sdk emulator``).
ALLOW_MISSING_HELP = (
    "run canvases even when the request lacks a variable their template uses, leaving {{name}} in "
    "the text (default: a 400 MISSING_VARIABLES error naming it)"
)
#: The help of ``--strict`` (here and in ``tela-sdk emulator``).
STRICT_HELP = (
    "answer with only the fields the public docs show (no usage, model, finish_reason... in "
    "completions), so code that reads an undocumented field fails here too; the default in the "
    "next minor version"
)


def serve(
    *,
    port: int = 0,
    api_keys: Sequence[str] | None = None,
    demo: bool = False,
    allow_missing_variables: bool = False,
    strict: bool = False,
    out: TextIO | None = None,
) -> int:
    """Serves the emulator on 127.0.0.1 until SIGINT/SIGTERM; prints how to point clients at it.

    With ``demo``, a canvas ``demo`` (variable ``document``) and a Dify completion app (key
    ``app-demo``, input ``text``) are registered. ``allow_missing_variables``: canvases run
    even when a variable their template uses was not sent (default: 400 MISSING_VARIABLES).
    """
    out = out if out is not None else sys.stdout
    keys = list(api_keys) if api_keys else [DEFAULT_API_KEY]
    emu = Emulator(api_keys=keys, port=port, allow_missing_variables=allow_missing_variables, strict=strict)
    if demo:
        emu.add_demos()
    print(f"listening on {emu.url}", file=out, flush=True)
    print(f"export TELA_BASE_URL={emu.url} TELA_API_KEY={keys[0]}", file=out, flush=True)
    if demo:
        print(f"export DIFY_BASE_URL={emu.dify_url} DIFY_API_KEY={DEMO_DIFY_KEY}", file=out, flush=True)
        print("demo: canvas 'demo' takes variable 'document'; the Dify app takes input 'text'", file=out, flush=True)
    print(
        f"register canvases with POST {emu.url}/_emulator/canvases (Dify apps: /_emulator/dify/apps)",
        file=sys.stderr,
        flush=True,
    )
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        emu.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tela_sdk.testing", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("serve", help="run the Tela and Dify API emulator until interrupted")
    cmd.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    cmd.add_argument("--api-key", action="append", dest="api_keys", help=f"accepted key (default {DEFAULT_API_KEY!r})")
    cmd.add_argument("--demo", action="store_true", help="register a demo canvas 'demo' and a Dify app 'app-demo'")
    cmd.add_argument("--allow-missing-variables", action="store_true", help=ALLOW_MISSING_HELP)
    cmd.add_argument("--strict", action="store_true", help=STRICT_HELP)
    args = parser.parse_args(argv)
    return serve(
        port=args.port,
        api_keys=args.api_keys,
        demo=args.demo,
        allow_missing_variables=args.allow_missing_variables,
        strict=args.strict,
    )


if __name__ == "__main__":
    sys.exit(main())
