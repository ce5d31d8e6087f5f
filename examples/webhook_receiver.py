"""Receive a run's result by webhook instead of polling.

Starts a small HTTP receiver (stdlib http.server, in a thread) and the local emulator,
submits a run with the receiver's URL as webhook_url, and prints what is delivered.

    python examples/webhook_receiver.py

Against the real API the receiver must be reachable from the internet (a public URL or a
tunnel); Tela then POSTs the finished run to it with an x-completion-run-id header.
"""

from __future__ import annotations

import queue
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tela_sdk import Completion, Run, WebhookError, webhooks
from tela_sdk.testing import Emulator
from tela_sdk.types import TaskEvent

deliveries: queue.Queue[Run | Completion | TaskEvent] = queue.Queue()


class WebhookHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            event = webhooks.parse(body, dict(self.headers.items()))
        except WebhookError as e:
            self.send_error(400, str(e))
            return
        # Answer fast (a 2xx), then do the work: a slow or failing answer makes the sender retry.
        self.send_response(204)
        self.end_headers()
        deliveries.put(event)

    def log_message(self, format: str, *args: Any) -> None:
        print(f"  receiver: {format % args}")


def main() -> int:
    server = ThreadingHTTPServer(("127.0.0.1", 0), WebhookHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    webhook_url = f"http://127.0.0.1:{server.server_address[1]}/tela-webhook"
    print(f"webhook receiver listening on {webhook_url}")

    with Emulator(strict=True) as emulator:
        canvas = emulator.add_canvas(
            template="Classify the sentiment of: {{text}}",
            reply={"sentiment": "positive", "confidence": 0.93},
        )
        with emulator.client() as client:
            run = client.completions.submit(
                canvas_id=canvas.id,
                variables={"text": "The new release is fast and the docs are great."},
                webhook_url=webhook_url,
            )
            print(f"submitted run {run.id} ({run.status}); waiting for the webhook...")
            try:
                event = deliveries.get(timeout=30)
            except queue.Empty:
                print("no webhook arrived within 30 s", file=sys.stderr)
                return 1

    server.shutdown()
    if isinstance(event, Run):
        print(f"delivered: run {event.id} {event.status}")
        print(f"result:    {event.result()}")
        info = event.output_content.information if event.output_content else None
        if info is not None:
            print(f"cost:      ${info.cost or 0:.6f} ({info.input_tokens} tokens in, {info.output_tokens} out)")
    elif isinstance(event, Completion):
        print(f"delivered (legacy chat.completion body): {event.content}")
    else:  # an app's Workstation task event (task.completed, task.approved, task.failed)
        print(f"delivered: {event.event} for task {event.task.id}: {event.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
