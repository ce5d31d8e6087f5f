"""Types from a canvas: `tela-sdk types` writes a module, your code imports it, CI checks it.

    python examples/typed_canvas.py

``invoice_types.py`` beside this file was written by

    tela-sdk types invoice-reader --environment staging -o examples/invoice_types.py

and is checked in, like any module of a project: mypy reads it (``make lint`` runs
``mypy --strict`` over this example), and a CI job runs the same command with ``--check``.
This example plays that story on the embedded emulator (no account): the canvas
``invoice-reader`` has a file variable, two text variables and a structured output; the file
is up to date, a run is typed end to end, then staging gets a version with one more variable
and ``--check`` fails with a diff. Against the real API the commands read ``TELA_API_KEY``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from invoice_types import CANVAS_ID, CanvasInput, CanvasOutput

from tela_sdk import File
from tela_sdk.testing import Emulator

HERE = Path(__file__).resolve().parent
VARIABLES = [
    {"name": "invoice", "type": "file", "required": True, "description": "The invoice, a PDF or a scan."},
    {"name": "customer", "type": "text", "required": True, "description": "Who the invoice is for."},
    {"name": "note", "type": "text", "required": False, "description": "Anything the reader should know."},
]
PO = {"name": "po", "type": "text", "required": True, "description": "The purchase order number."}
OUTPUT_SCHEMA = {
    "type": "object",
    "properties": {
        "vendor": {"$ref": "#/$defs/Party"},
        "total": {"type": "number", "description": "The amount due, taxes included."},
        "status": {"enum": ["paid", "open"]},
        "due": {"type": ["string", "null"], "description": "ISO date, or null."},
        "lines": {
            "type": "array",
            "items": {"type": "object", "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}}},
        },
    },
    "required": ["vendor", "total", "status", "due"],
    "$defs": {"Party": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}},
}
REPLY = {"vendor": {"name": "ACME"}, "total": 1042.5, "status": "open", "due": None}


def tela_sdk_command(emu: Emulator, *argv: str) -> subprocess.CompletedProcess[str]:
    """``tela-sdk ARGV`` pointed at the emulator, as a shell or a CI job runs it."""
    env = {**os.environ, "TELA_BASE_URL": emu.url, "TELA_API_KEY": emu.api_key}
    return subprocess.run([sys.executable, "-m", "tela_sdk", *argv], capture_output=True, text=True, env=env)


def main() -> None:
    with Emulator(strict=True) as emu:
        emu.add_canvas(
            id=CANVAS_ID,
            versions=[
                {"id": "v1", "variables": VARIABLES, "output_schema": OUTPUT_SCHEMA, "reply": REPLY},
                {"id": "v2", "variables": [*VARIABLES, PO], "output_schema": OUTPUT_SCHEMA, "reply": REPLY},
            ],
            environments={"staging": "v1"},
            allow_missing_variables=True,
        )
        module = HERE / "invoice_types.py"
        check = ["types", CANVAS_ID, "--environment", "staging", "--check", str(module)]

        # 1. CI: the checked-in module matches what staging serves.
        fresh = tela_sdk_command(emu, *check)
        assert fresh.returncode == 0, fresh.stdout + fresh.stderr
        print("check:", fresh.returncode, "-", fresh.stderr.strip().replace(str(module), "invoice_types.py"))

        # 2. A typed run: mypy checks the variables, parse() returns the typed output (the
        #    optional "lines" is absent from this answer, and parse() does not ask for it).
        variables: CanvasInput = {"invoice": File(b"%PDF-1.4 invoice #1042", name="invoice.pdf"), "customer": "ACME"}
        with emu.client() as client:
            completion = client.completions.create(canvas_id=CANVAS_ID, environment_name="staging", variables=variables)
            invoice: CanvasOutput = completion.parse(CanvasOutput)
            print(f"vendor {invoice['vendor']['name']}, total {invoice['total']}, status {invoice['status']}")
            print("lines:", invoice.get("lines", "(not given)"))

            # 3. Staging now serves a version with a required "po" variable.
            client.environments.publish(CANVAS_ID, "staging", "v2")
        drifted = tela_sdk_command(emu, *check)
        print("after publishing v2 to staging, check:", drifted.returncode)
        for line in drifted.stdout.splitlines():
            if line.startswith(("+", "-")) and not line.startswith(("+++", "---")):
                print("   ", line)

        # 4. Regenerating brings the file back in step (here into a scratch folder).
        with tempfile.TemporaryDirectory() as folder:
            regenerated = Path(folder, "invoice_types.py")
            tela_sdk_command(emu, "types", CANVAS_ID, "--environment", "staging", "-o", str(regenerated))
            again = tela_sdk_command(emu, "types", CANVAS_ID, "--environment", "staging", "--check", str(regenerated))
            print("regenerated, check:", again.returncode)


if __name__ == "__main__":
    main()
