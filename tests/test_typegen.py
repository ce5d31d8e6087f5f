"""``tela-sdk types CANVAS_ID``: a module of types from a canvas, over real TCP against the
emulator. The generated modules pass ``mypy --strict`` (run as a process), ``parse`` fills
them, optional keys included, and ``--check`` tells a fresh file from a drifted one."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tela_sdk import File, ParseError
from tela_sdk.testing import Emulator

from .cliutil import cli

#: A structured output with every construct the generator translates.
SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An invoice, read from a document.",
    "properties": {
        "vendor": {"$ref": "#/$defs/Party", "description": "Who sent the invoice."},
        "total": {"type": "number"},
        "status": {"type": "string", "enum": ["paid", "open", "void"]},
        "currency": {"enum": ["EUR", "USD", None]},
        "due": {"type": ["string", "null"], "description": "ISO date, or null when none is printed."},
        "lines": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}},
                "required": ["sku"],
            },
        },
        "notes": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "ship_to": {"$ref": "#/$defs/Party"},
        "parts": {"$ref": "#/$defs/Part"},
    },
    "required": ["vendor", "total", "status", "due", "lines"],
    "$defs": {
        "Party": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "vat id": {"type": "string"}},
            "required": ["name"],
        },
        "Part": {
            "type": "object",
            "properties": {
                "label": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/$defs/Part"}},
            },
            "required": ["label"],
        },
    },
}

VARIABLES: list[dict[str, Any]] = [
    {
        "name": "invoice",
        "type": "file",
        "required": True,
        "description": "The invoice, a PDF or a scan.",
        "processingOptions": {"allowMultimodal": True},
    },
    {"name": "customer", "type": "text", "required": True, "description": "The customer's name."},
    {"name": "note", "type": "text", "required": False, "description": "Anything the reader should know."},
]

#: A reply with only the required keys (and the nullable ``due`` as null).
REPLY: dict[str, Any] = {
    "vendor": {"name": "ACME"},
    "total": 42.5,
    "status": "open",
    "due": None,
    "lines": [{"sku": "A1"}],
}

#: Constructs the generator does not translate: each becomes ``Any`` with a comment.
ODD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "both": {"allOf": [{"type": "string"}, {"minLength": 2}]},
        "never": {"not": {"type": "string"}},
        "pair": {"type": "array", "items": [{"type": "string"}, {"type": "integer"}]},
        "elsewhere": {"$ref": "https://example.com/schemas/address.json"},
        "missing": {"$ref": "#/$defs/Nowhere"},
        "ratio": {"enum": [0.5, 1.5]},
    },
}

ROOT = Path(__file__).resolve().parent.parent
_ERROR = re.compile(r"^(?P<file>[^:]+\.py):(?P<line>\d+): error: (?P<message>.*)$")

#: Code a user writes with the generated TypedDict module (``invoice_types``); ``# E`` marks
#: the lines mypy --strict must reject, and only those.
USE_TYPEDDICT = """
    import io
    from pathlib import Path

    from tela_sdk import Client, File

    from invoice_types import CANVAS_ID, CanvasInput, CanvasOutput

    def run(client: Client) -> float:
        ok: CanvasInput = {"invoice": File(b"%PDF-1.4", name="a.pdf"), "customer": "ACME"}
        also: CanvasInput = {"invoice": [Path("a.pdf"), io.BytesIO(b"x")], "customer": "ACME", "note": "rush"}
        out = client.completions.create(canvas_id=CANVAS_ID, variables=ok).parse(CanvasOutput)
        client.completions.create(canvas_id=CANVAS_ID, variables=also)
        due: str | None = out["due"]
        sku: str = out["lines"][0]["sku"]
        name: str = out["vendor"]["name"]
        status: str = out["status"]
        return out["total"]

    def wrong() -> None:
        a: CanvasInput = {"invoice": "a.pdf", "customer": "ACME"}  # E
        b: CanvasInput = {"customer": "ACME"}  # E
        c: CanvasInput = {"invoice": b"x", "customer": "ACME", "costumer": "x"}  # E

    def read(out: CanvasOutput) -> None:
        s: int = out["total"]  # E
        t: CanvasOutput = {**out, "status": "lost"}  # E
"""

USE_PYDANTIC = """
    from tela_sdk import Client, File

    from invoice_models import CANVAS_ID, CanvasInput, CanvasOutput

    def run(client: Client) -> float:
        variables = CanvasInput(invoice=File(b"%PDF-1.4", name="a.pdf"), customer="ACME")
        out = client.completions.create(
            canvas_id=CANVAS_ID, variables=variables.model_dump(by_alias=True, exclude_none=True)
        ).parse(CanvasOutput)
        name: str = out.vendor.name
        return out.total

    def wrong() -> None:
        CanvasInput(customer="ACME")  # E
"""


def load(path: Path) -> ModuleType:
    """The generated module at ``path``, imported under a name of its own (``parse`` reads
    its annotations through ``sys.modules``)."""
    name = f"generated_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def invoice_canvas(emu: Emulator, **more: Any) -> Any:
    return emu.add_canvas(variables=VARIABLES, output_schema=SCHEMA, reply=REPLY, allow_missing_variables=True, **more)


def generate(emu: Emulator, *argv: str) -> str:
    """``tela-sdk types ...`` as a process (the console entry point, real TCP)."""
    env = {**os.environ, "TELA_BASE_URL": emu.url, "TELA_API_KEY": emu.api_key}
    proc = subprocess.run(
        [sys.executable, "-m", "tela_sdk", "types", *argv], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def mypy_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[int, str]]]:
    """The generated modules (TypedDict, pydantic, untranslated constructs) and code using
    them, checked in one ``mypy --strict --python-version 3.10`` run: {file stem: {line: message}}."""
    folder = tmp_path_factory.mktemp("typegen")
    with Emulator(strict=True) as emu:
        canvas = invoice_canvas(emu)
        odd = emu.add_canvas(variables=[{"name": "when", "type": "date", "required": False}], output_schema=ODD_SCHEMA)
        (folder / "invoice_types.py").write_text(generate(emu, canvas.id))
        (folder / "invoice_models.py").write_text(generate(emu, canvas.id, "--pydantic"))
        (folder / "odd_types.py").write_text(generate(emu, odd.id))
        (folder / "odd_models.py").write_text(generate(emu, odd.id, "--pydantic"))
    (folder / "use_typeddict.py").write_text(textwrap.dedent(USE_TYPEDDICT).lstrip())
    (folder / "use_pydantic.py").write_text(textwrap.dedent(USE_PYDANTIC).lstrip())
    files = sorted(p.name for p in folder.glob("*.py"))
    env = {**os.environ, "MYPYPATH": str(ROOT / "python")}
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "--show-error-codes",
         "--python-version", "3.10", "--cache-dir", str(folder / ".mypy_cache"), *files],
        cwd=folder, env=env, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stdout + result.stderr
    errors: dict[str, dict[int, str]] = {Path(f).stem: {} for f in files}
    for line in result.stdout.splitlines():
        match = _ERROR.match(line)
        assert match is not None or ": note: " in line, f"unexpected mypy output: {line}"
        if match:
            errors[Path(match["file"]).stem].setdefault(int(match["line"]), match["message"])
    return folder, errors


def _marked(source: str) -> set[int]:
    lines = textwrap.dedent(source).lstrip().splitlines()
    return {i for i, text in enumerate(lines, 1) if text.rstrip().endswith("# E")}


@pytest.mark.parametrize("stem", ["invoice_types", "invoice_models", "odd_types", "odd_models"])
def test_generated_modules_pass_mypy_strict(stem: str, mypy_run: tuple[Path, dict[str, dict[int, str]]]) -> None:
    assert mypy_run[1][stem] == {}


@pytest.mark.parametrize(("stem", "source"), [("use_typeddict", USE_TYPEDDICT), ("use_pydantic", USE_PYDANTIC)])
def test_mypy_accepts_right_use_and_rejects_exactly_the_wrong_lines(
    stem: str, source: str, mypy_run: tuple[Path, dict[str, dict[int, str]]]
) -> None:
    assert mypy_run[1][stem].keys() == _marked(source), mypy_run[1][stem]


def test_the_module_names_the_canvas_version_and_documents_each_field(
    mypy_run: tuple[Path, dict[str, dict[int, str]]],
) -> None:
    text = (mypy_run[0] / "invoice_types.py").read_text()
    assert "from __future__" not in text  # 3.10/3.11 would report NotRequired keys as required
    assert re.search(r'^CANVAS_ID = "[^"]+"$', text, re.M)
    assert re.search(r'^VERSION_ID = "[^"]+"$', text, re.M)
    assert '    invoice: FileValue | Sequence[FileValue]\n    """The invoice, a PDF or a scan."""' in text
    assert '    customer: str\n    """The customer\'s name."""' in text
    assert '    note: str\n    """Anything the reader should know."""' in text
    assert '"""ISO date, or null when none is printed."""' in text
    assert 'status: Literal["paid", "open", "void"]' in text


def test_untranslated_constructs_become_any_with_a_comment(mypy_run: tuple[Path, dict[str, dict[int, str]]]) -> None:
    lines = (mypy_run[0] / "odd_types.py").read_text().splitlines()

    def line_of(key: str) -> str:
        return next(line.strip() for line in lines if line.strip().startswith(f"{key}:"))

    assert line_of("both") == """both: Any  # the schema's "allOf" is not translated"""
    assert line_of("never") == """never: Any  # the schema's 'not' is not translated"""
    assert line_of("pair") == "pair: list[Any]  # tuple-style items are not translated"
    assert line_of("elsewhere") == (
        'elsewhere: Any  # $ref "https://example.com/schemas/address.json" points outside the schema'
    )
    assert line_of("missing") == 'missing: Any  # $ref "#/$defs/Nowhere" is not found in the schema'
    assert line_of("ratio") == "ratio: Any  # enum values [0.5, 1.5] are not all strings, integers or booleans"
    assert line_of("when") == 'when: Any  # variable type "date" is not translated'


def test_parse_fills_the_generated_output_optional_keys_included(env: Emulator, tmp_path: Path) -> None:
    canvas = invoice_canvas(env)
    target = tmp_path / "invoice_types.py"
    assert cli("types", canvas.id, "-o", str(target)) == (0, "")
    types = load(target)
    assert types.CanvasOutput.__required_keys__ == {"vendor", "total", "status", "due", "lines"}
    assert types.CanvasOutput.__optional_keys__ == {"currency", "notes", "ship_to", "parts"}
    assert types.CanvasInput.__required_keys__ == {"invoice", "customer"}
    assert types.CanvasInput.__optional_keys__ == {"note"}
    with env.client() as client:
        variables = {"invoice": File(b"%PDF-1.4 total 42", name="a.pdf"), "customer": "ACME"}
        out = client.completions.create(canvas_id=types.CANVAS_ID, variables=variables)
        assert out.parse(types.CanvasOutput) == REPLY  # optional keys absent: no "missing" error
        full = {**REPLY, "currency": None, "notes": "n", "parts": {"label": "a", "children": [{"label": "b"}]}}
        richer = env.add_canvas(variables=VARIABLES, output_schema=SCHEMA, reply=full, allow_missing_variables=True)
        assert client.completions.create(canvas_id=richer.id).parse(types.CanvasOutput) == full
        wrong = env.add_canvas(reply={**REPLY, "status": "lost"}, allow_missing_variables=True)
        with pytest.raises(ParseError, match="status"):
            client.completions.create(canvas_id=wrong.id).parse(types.CanvasOutput)
        nested = env.add_canvas(reply={**REPLY, "lines": [{"qty": 1}]}, allow_missing_variables=True)
        with pytest.raises(ParseError, match=r"lines\.0\.sku"):
            client.completions.create(canvas_id=nested.id).parse(types.CanvasOutput)


def test_pydantic_models_parse_and_take_files(env: Emulator, tmp_path: Path) -> None:
    pytest.importorskip("pydantic")
    canvas = invoice_canvas(env)
    target = tmp_path / "invoice_models.py"
    assert cli("types", canvas.id, "--pydantic", "-o", str(target)) == (0, "")
    models = load(target)
    variables = models.CanvasInput(invoice=File(b"%PDF-1.4", name="a.pdf"), customer="ACME")
    with pytest.raises(ValueError, match="invoice"):  # strict: a str is text, never a path
        models.CanvasInput(invoice="a.pdf", customer="ACME")
    with env.client() as client:
        out = client.completions.create(
            canvas_id=models.CANVAS_ID, variables=variables.model_dump(by_alias=True, exclude_none=True)
        ).parse(models.CanvasOutput)
    assert env.requests[-1].body["variables"]["customer"] == "ACME"
    assert isinstance(out, models.CanvasOutput)
    assert out.vendor.name == "ACME"
    assert out.lines[0].sku == "A1"
    assert out.lines[0].qty is None
    assert out.currency is None


def test_version_and_environment_pick_the_version(env: Emulator) -> None:
    later = [{"name": "customer", "type": "text", "required": True}, {"name": "po", "type": "text", "required": True}]
    canvas = invoice_canvas(
        env, versions=[{"id": "v-staging", "variables": later, "template": ""}], environments={"staging": "v-staging"}
    )
    promoted = cli("types", canvas.id)[1]
    assert f'VERSION_ID = "{canvas.production_version_id}"' in promoted
    assert "    po: str" not in promoted
    for argv in (["--version-id", "v-staging"], ["--environment", "staging"]):
        code, text = cli("types", canvas.id, *argv)
        assert code == 0
        assert 'VERSION_ID = "v-staging"' in text
        assert "    po: str" in text
        assert "CanvasOutput" not in text  # that version has no structured output
        assert f"tela-sdk types {canvas.id} {' '.join(argv)}" in text


def test_check_passes_on_a_fresh_file_and_fails_with_a_diff_after_the_canvas_changes(
    env: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    later = [*VARIABLES, {"name": "po_number", "type": "text", "required": True, "description": "The PO."}]
    canvas = invoice_canvas(
        env,
        versions=[
            {"id": "v-same", "variables": VARIABLES, "output_schema": SCHEMA, "template": ""},
            {"id": "v-more", "variables": later, "output_schema": SCHEMA, "template": ""},
        ],
    )
    target = tmp_path / "invoice_types.py"
    assert cli("types", canvas.id, "-o", str(target)) == (0, "")
    assert f"wrote {target}" in capsys.readouterr().err
    assert cli("types", canvas.id, "--check", str(target)) == (0, "")
    assert "is up to date" in capsys.readouterr().err

    with env.client() as client:
        # A new version with the same types: the file still describes the canvas.
        client.environments.publish(canvas.id, "production", "v-same")
        assert cli("types", canvas.id, "--check", str(target)) == (0, "")
        assert "only the version id differs" in capsys.readouterr().err
        # A new required variable: drift, with a diff that shows it.
        client.environments.publish(canvas.id, "production", "v-more")
    code, diff = cli("types", canvas.id, "--check", str(target))
    assert code == 1
    assert diff.startswith(f"--- {target} (the file)\n+++ {target} (the canvas now)\n")
    assert '+    po_number: str\n+    """The PO."""\n' in diff
    assert '-VERSION_ID = "' in diff
    assert '+VERSION_ID = "v-more"' in diff
    err = capsys.readouterr().err
    assert f"{target} has drifted from canvas {canvas.id} (version v-more)" in err
    assert f"regenerate it with: tela-sdk types {canvas.id} -o {target}" in err
    assert cli("types", canvas.id, "-o", str(target)) == (0, "")
    assert cli("types", canvas.id, "--check", str(target)) == (0, "")


def test_check_compares_the_same_options(env: Emulator, tmp_path: Path) -> None:
    canvas = invoice_canvas(env)
    target = tmp_path / "models.py"
    assert cli("types", canvas.id, "--pydantic", "-o", str(target)) == (0, "")
    assert cli("types", canvas.id, "--pydantic", "--check", str(target)) == (0, "")
    code, diff = cli("types", canvas.id, "--check", str(target))  # TypedDicts now: drift
    assert code == 1
    assert "+class CanvasInput(_CanvasInputRequired, total=False):" in diff


def test_usage_mistakes_and_errors(env: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    canvas = invoice_canvas(env)
    with pytest.raises(SystemExit) as exit_:
        cli("types", canvas.id, "-o", "a.py", "--check", "a.py")
    assert exit_.value.code == 2
    assert "not both" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        cli("types", canvas.id, "--version-id", "v", "--environment", "staging")
    assert exit_.value.code == 2
    env.clear_requests()
    missing = tmp_path / "nowhere.py"
    assert cli("types", canvas.id, "--check", str(missing)) == (1, "")
    err = capsys.readouterr().err
    assert f"cannot read {missing}" in err
    assert f"generate it with: tela-sdk types {canvas.id} -o {missing}" in err
    assert env.requests == []  # nothing was asked
    assert cli("types", "no-such-canvas") == (1, "")
    assert "NotFoundError" in capsys.readouterr().err
    other = env.add_canvas()
    assert cli("types", canvas.id, "--version-id", other.production_version_id) == (1, "")
    assert f"belongs to canvas {other.id}, not {canvas.id}" in capsys.readouterr().err
