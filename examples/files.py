"""Files: send a local PDF, then a list of files of every kind, to a canvas.

Runs against an embedded emulator (no account, no network): the canvas's reply callback
shows what arrived, byte for byte (size and sha256).

    python examples/files.py
"""

from __future__ import annotations

import hashlib
import io
import sys
import tempfile
from pathlib import Path

from tela_sdk import File
from tela_sdk.testing import Emulator, ReplyRequest

# The smallest valid one-page PDF: catalog, page tree, one empty page, xref, trailer.
PDF_OBJECTS = [
    b"<</Type/Catalog/Pages 2 0 R>>",
    b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
    b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>",
]


def tiny_pdf() -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(PDF_OBJECTS, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(PDF_OBJECTS) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(PDF_OBJECTS) + 1, xref)
    return bytes(out)


def describe(request: ReplyRequest) -> str:
    lines = [f"the canvas received {len(request.files)} file(s):"]
    for f in request.files:
        lines.append(
            f"  - {f.variable}: {f.source:<6} name={f.name!s:<12} type={f.mime_type!s:<16} "
            f"size={f.size!s:<5} sha256={(f.sha256 or '-')[:12]}"
        )
    return "\n".join(lines)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp, Emulator(strict=True) as emulator:
        pdf_path = Path(tmp) / "invoice.pdf"
        pdf_path.write_bytes(tiny_pdf())
        canvas = emulator.add_canvas(template="Summarize {{document}}", reply=describe)
        client = emulator.client()

        # 1. A local PDF: small, so it is inlined as a data: URL (upload="auto").
        answer = client.completions.create(canvas_id=canvas.id, variables={"document": File(pdf_path)})
        print(
            f"sent {pdf_path.name} ({pdf_path.stat().st_size} bytes, "
            f"sha256 {hashlib.sha256(pdf_path.read_bytes()).hexdigest()[:12]})"
        )
        print(answer.content, end="\n\n")

        # 2. A list of files in one variable: path (uploaded on request), bytes with a page
        #    range, an in-memory stream, a public URL, and a file uploaded beforehand.
        uploaded = client.files.upload(b"Quarterly notes: revenue up 12%.", name="notes.txt")
        documents = [
            File(pdf_path, upload="vault"),
            File(tiny_pdf(), name="scan.pdf", range=(0, 0)),
            File(io.BytesIO(b"col1,col2\n1,2\n"), name="table.csv"),
            File("https://example.com/reports/annual.pdf"),
            uploaded,
        ]
        answer = client.completions.create(
            canvas_id=canvas.id,
            variables={"document": documents},
            messages=[{"role": "user", "content": File(b"Also read this note.", name="note.txt")}],
        )
        print(answer.content)
        print(f"\nthe emulated vault holds: {[f.file_name for f in emulator.files]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
