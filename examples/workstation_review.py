"""Workstation review: create tasks from files, wait for them, correct a field, approve.

Without TELA_API_KEY it runs on an embedded emulator (no account, no network) holding a
Workstation app "invoices" whose canvas extracts {vendor, total} from a "document" file; with
TELA_API_KEY and TELA_APPLICATION_ID (an app whose canvas takes a "document" file) it creates
real tasks. Pass PDF paths to use your own files; without them it writes three small ones.

    python examples/workstation_review.py [invoice.pdf ...]
"""

import os
import sys
import tempfile
from pathlib import Path

from tela_sdk import File
from tela_sdk.testing import client_or_emulator

INVOICES = {
    "id": "invoice-reader",
    "application_id": "invoices",
    "template": "Extract the vendor and the total of {{document}}",
    "reply": {"vendor": "Acme Corp", "total": 1042.5},
}
app_id = os.environ.get("TELA_APPLICATION_ID", "invoices")

with tempfile.TemporaryDirectory() as tmp, client_or_emulator(canvases=[INVOICES], strict=True) as client:
    paths = [Path(p) for p in sys.argv[1:]]
    if not paths:
        for n in (1, 2, 3):
            path = Path(tmp, f"invoice-{n}.pdf")
            path.write_bytes(b"%PDF-1.4\n% invoice " + str(n).encode() + b"\n%%EOF\n")
            paths.append(path)

    # One request creates up to 100 tasks; each file goes inline or through the vault.
    tasks = client.tasks.create_many(
        [{"name": p.name, "variables": {"document": File(p)}} for p in paths],
        application_id=app_id,
        tags=["example"],
    )
    print(f"created {len(tasks)} tasks:", ", ".join(t.name or t.id for t in tasks))

    done = [task.wait(timeout=300) for task in tasks]
    for task in done:
        print(f"  {task.name}: {task.status}, output {task.output}")

    # The reviewer corrects one field of the first task; Tela keeps the original beside it.
    fixed = client.tasks.update(done[0], output={"vendor": "Acme Corporation"})
    original = fixed.original_output_content.content if fixed.original_output_content else None
    print(f"edited:     {fixed.output} (was {original})")

    for task in done:
        approved = client.tasks.approve(task)
        print(f"approved:   {approved.name} at {approved.approved_at}")

    waiting = [t.name for t in client.tasks.list(application_id=app_id, tags="example") if not t.approved]
    print("still to review:", waiting or "none")
