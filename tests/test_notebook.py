"""``examples/notebook.ipynb`` runs top to bottom in a real Jupyter kernel (nbclient), against
the emulator: blocking calls inside the kernel's running loop, streams, top-level await."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "notebook.ipynb"


def test_notebook_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TELA_API_KEY", "TELA_BASE_URL", "TELA_CANVAS_ID"):
        monkeypatch.delenv(name, raising=False)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    ).execute()
    printed = "".join(
        output.get("text", "") for cell in nb.cells if cell.cell_type == "code" for output in cell.get("outputs", [])
    )
    assert "Summary of: Invoice #1042" in printed
    assert "Summary of: Invoice #1043" in printed
    assert "Summary of: Invoice #1044" in printed
