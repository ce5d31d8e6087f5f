"""``parse(Model)`` over real answers from the emulator: pydantic models, dataclasses and
TypedDicts, streamed or not, with a ``ParseError`` that names the field."""

from __future__ import annotations

import dataclasses
import pickle
import subprocess
import sys
from typing import Literal, TypedDict

import pydantic
import pytest

import tela_sdk
from tela_sdk import AsyncClient, Client, ParseError
from tela_sdk.testing import Emulator

INVOICE = {"total": 42.5, "currency": "EUR", "lines": [{"sku": "a", "qty": 2}], "note": None}


class Line(pydantic.BaseModel):
    sku: str
    qty: int


class Invoice(pydantic.BaseModel):
    total: float
    currency: str
    lines: list[Line]


@dataclasses.dataclass
class LineDC:
    sku: str
    qty: int


@dataclasses.dataclass
class InvoiceDC:
    total: float
    currency: Literal["EUR", "USD"]
    lines: list[LineDC]
    note: str | None = None


class InvoiceTD(TypedDict):
    total: float
    currency: str


@pytest.fixture
def invoice_canvas(emulator: Emulator) -> str:
    return emulator.add_canvas(template="t", reply=INVOICE, stream={"chunk_size": 5}).id


def test_pydantic_dataclass_and_typeddict_targets(client: Client, invoice_canvas: str) -> None:
    out = client.completions.create(canvas_id=invoice_canvas)
    model = out.parse(Invoice)
    assert model == Invoice(total=42.5, currency="EUR", lines=[Line(sku="a", qty=2)])
    dc = out.parse(InvoiceDC)
    assert dc == InvoiceDC(total=42.5, currency="EUR", lines=[LineDC(sku="a", qty=2)], note=None)
    assert out.parse(InvoiceTD) == INVOICE  # a TypedDict is a checked dict


def test_streamed_final_content_is_what_create_returns(client: Client, invoice_canvas: str) -> None:
    plain = client.completions.create(canvas_id=invoice_canvas)
    with client.completions.create(canvas_id=invoice_canvas, stream=True) as stream:
        final = stream.final()
    assert final.content == plain.content == INVOICE
    assert final.parse(InvoiceDC) == plain.parse(InvoiceDC)
    assert final.parse(Invoice).lines[0].qty == 2


async def test_async_stream_final_parses(aclient: AsyncClient, invoice_canvas: str) -> None:
    stream = await aclient.completions.create(canvas_id=invoice_canvas, stream=True)
    async with stream:
        final = await stream.final()
    assert final.parse(Invoice).total == 42.5


def test_text_streams_keep_text_content(client: Client, emulator: Emulator) -> None:
    cid = emulator.add_canvas(template="t", reply="plain words", stream={"chunk_size": 3}).id
    with client.completions.create(canvas_id=cid, stream=True) as stream:
        assert stream.final().content == "plain words" == client.completions.create(canvas_id=cid).content


def test_a_json_string_is_decoded_first(emulator: Emulator, client: Client) -> None:
    cid = emulator.add_canvas(template="t", reply='{"total": 1, "currency": "USD"}').id
    assert client.completions.create(canvas_id=cid).parse(InvoiceTD) == {"total": 1, "currency": "USD"}


@pytest.mark.parametrize(
    ("reply", "target", "field", "why"),
    [
        ({**INVOICE, "lines": [{"sku": "a", "qty": "two"}]}, InvoiceDC, "lines.0.qty", "expected int, got str 'two'"),
        ({**INVOICE, "currency": "GBP"}, InvoiceDC, "currency", "expected one of ['EUR', 'USD']"),
        ({"currency": "EUR", "lines": []}, InvoiceDC, "total", "missing"),
        ({"total": "lots", "currency": "EUR"}, InvoiceTD, "total", "expected float"),
        ({"total": 1}, InvoiceTD, "currency", "missing"),
        ({**INVOICE, "lines": [{"sku": "a", "qty": "two"}]}, Invoice, "lines.0.qty", "valid integer"),
    ],
)
def test_a_mismatch_names_the_field(
    emulator: Emulator, client: Client, reply: dict[str, object], target: type, field: str, why: str
) -> None:
    cid = emulator.add_canvas(template="t", reply=reply).id
    out = client.completions.create(canvas_id=cid)
    with pytest.raises(ParseError) as info:
        out.parse(target)
    err = info.value
    assert err.field == field
    assert err.target == target.__name__
    assert f"field {field!r}" in str(err)
    assert why in str(err)
    assert isinstance(err, ValueError)
    assert type(pickle.loads(pickle.dumps(err))) is ParseError


def test_parse_error_is_exported() -> None:
    assert tela_sdk.ParseError is ParseError
    assert "ParseError" in tela_sdk.__all__


def test_parse_does_not_import_pydantic_for_other_targets(tmp_path: object) -> None:
    code = (
        "import dataclasses, sys\n"
        "from tela_sdk import Completion\n"
        "@dataclasses.dataclass\n"
        "class A:\n"
        "    x: int\n"
        "out = Completion({'choices': [{'message': {'role': 'assistant', 'content': {'x': 1}}}]})\n"
        "assert out.parse(A) == A(x=1)\n"
        "assert 'pydantic' not in sys.modules, 'pydantic imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
