"""``python -m tela_sdk.testing serve [--port N] [--api-key KEY] [--demo]``: run the emulator."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from . import DEFAULT_API_KEY, Emulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tela_sdk.testing", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the Tela API emulator until interrupted")
    serve.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    serve.add_argument(
        "--api-key", action="append", dest="api_keys", help=f"accepted key (default {DEFAULT_API_KEY!r})"
    )
    serve.add_argument("--demo", action="store_true", help="register a demo canvas with id 'demo'")
    args = parser.parse_args(argv)

    emu = Emulator(api_keys=args.api_keys or [DEFAULT_API_KEY], port=args.port)
    if args.demo:
        emu.add_canvas(id="demo", template="Summarize: {{document}}", reply="Summary of: {{document}}")
    print(f"listening on {emu.url}", flush=True)
    print(
        "configure clients with TELA_BASE_URL=" + emu.url + " and the --api-key you gave; "
        "register canvases with POST " + emu.url + "/_emulator/canvases",
        file=sys.stderr,
        flush=True,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    emu.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
