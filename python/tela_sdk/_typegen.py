"""``tela-sdk types``: a Python module of types from a canvas version.

The canvas's variables become a ``TypedDict`` (or, with ``pydantic=True``, a pydantic model)
of what ``variables=`` takes, and its structured output (a JSON Schema) one of what
``Completion.parse`` returns. The JSON-Schema-to-Python step is here and small on purpose:
objects, arrays, enums, ``const``, nullable types (``type: [..., "null"]``, ``nullable``,
``anyOf``/``oneOf`` with ``null``), unions of types, and ``$ref`` within the schema. Anything
else becomes ``Any`` with a comment that says which keyword was not translated.

The module is written for the oldest Python the SDK supports (3.10), without
``from __future__ import annotations``: on 3.10 and 3.11 a ``TypedDict`` with ``NotRequired``
keys under that import reports every key as required at run time, so ``parse`` would demand
optional keys. Optional keys live in a ``total=False`` class over a base of the required ones,
which every supported Python reads right. Output is deterministic (no dates, no SDK version),
so ``--check`` can compare it with a file. Loaded by the CLI only, never by ``import tela_sdk``.
"""

from __future__ import annotations

import difflib
import json
import keyword
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Variable", "render", "drift"]

INPUT = "CanvasInput"
OUTPUT = "CanvasOutput"
FILE_VALUE = "FileValue"
_SCALARS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}
#: Names the module binds itself; a class named from the schema never takes one of them.
_TAKEN = {
    "Any",
    "BaseModel",
    "ConfigDict",
    "Field",
    "File",
    "Literal",
    "Sequence",
    "TypeAlias",
    "TypedDict",
    "UploadedFile",
    "_Bytes",
    "_BinaryFile",
    "io",
    "os",
    "CANVAS_ID",
    "VERSION_ID",
    INPUT,
    OUTPUT,
    FILE_VALUE,
}
#: Words a pydantic field must not be named (they are types in its annotations, or pydantic's).
_SHADOWS = {"str", "int", "float", "bool", "list", "dict", "None", "True", "False"}
_VERSION_LINE = re.compile(r"^VERSION_ID = .*$", re.MULTILINE)


@dataclass(frozen=True)
class Variable:
    """A canvas variable, as the generator needs it."""

    name: str
    type: str
    required: bool
    description: str | None = None


def _variable(value: Any) -> Variable:
    """A ``CanvasVariable`` (attributes) or a wire variable (a mapping) as a ``Variable``."""
    if isinstance(value, Variable):
        return value
    if isinstance(value, Mapping):
        return Variable(
            str(value.get("name", "")),
            str(value.get("type", "text")),
            bool(value.get("required", False)),
            value.get("description") or None,
        )
    return Variable(value.name, str(value.type), bool(value.required), getattr(value, "description", None) or None)


def _pascal(text: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", text)
    name = "".join(w[:1].upper() + w[1:] for w in words)
    if not name or name[0].isdigit():
        name = "T" + name
    return name


def _is_key_name(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def _doc(text: str, indent: str) -> list[str]:
    """``text`` as a docstring at ``indent`` (escaped so any text stays one string literal)."""
    body = text.strip().replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if body.endswith('"'):
        body = body[:-1] + '\\"'
    lines = body.splitlines() or [""]
    if len(lines) == 1:
        return [f'{indent}"""{lines[0]}"""']
    return [f'{indent}"""{lines[0]}'] + [f"{indent}{line}".rstrip() for line in lines[1:]] + [f'{indent}"""']


def _split_top(annotation: str) -> list[str]:
    """``a | b[c | d] | e`` as ``[a, b[c | d], e]``: the arms of a union, at bracket depth 0."""
    parts, depth, start, quoted, escaped = [], 0, 0, False, False
    for i, ch in enumerate(annotation):
        if quoted:
            quoted = escaped or ch != '"'
            escaped = not escaped and ch == "\\"
        elif ch == '"':
            quoted = True
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(annotation[start:i].strip())
            start = i + 1
    parts.append(annotation[start:].strip())
    return [p for p in parts if p]


def _quoted(annotation: str) -> str:
    """``annotation`` as a string (a forward reference), double-quoted as formatters write it."""
    return f'"{annotation}"' if '"' not in annotation and "\\" not in annotation else repr(annotation)


def _comment(text: str) -> str:
    return " ".join(text.split())


@dataclass
class _Field:
    key: str
    annotation: str
    required: bool
    doc: str | None
    notes: list[str] = field(default_factory=list)
    forward: bool = False  # the annotation names a class defined later (a recursive $ref)


class _Writer:
    """Turns schemas into annotations, collecting the classes they need (dependencies first)."""

    def __init__(self, root: Mapping[str, Any] | None, pydantic: bool) -> None:
        self.root = root or {}
        self.pydantic = pydantic
        self.blocks: list[list[str]] = []
        self.names: set[str] = set(_TAKEN)
        self.by_ref: dict[str, str] = {}
        self.pending: set[str] = set()  # classes being written (a $ref back to one is recursive)
        self.forward_classes: set[str] = set()
        self.imports: set[str] = set()

    # -- names ------------------------------------------------------------------------------

    def fresh(self, wanted: str) -> str:
        name, n = wanted, 2
        while name in self.names:
            name, n = f"{wanted}{n}", n + 1
        self.names.add(name)
        return name

    # -- schemas ----------------------------------------------------------------------------

    def annotation(self, schema: Any, hint: str, notes: list[str], flags: dict[str, bool]) -> str:
        """The Python type of ``schema``; ``hint`` names a class it may need; untranslated
        keywords go to ``notes``; ``flags["forward"]`` is set when a later class is named."""
        if schema is True or (isinstance(schema, Mapping) and not schema):
            return self.any(notes, None)
        if not isinstance(schema, Mapping):
            return self.any(notes, f"schema {json.dumps(schema)} is not an object")
        if "$ref" in schema:
            return self.ref(schema["$ref"], notes, flags)
        nullable = schema.get("nullable") is True
        if "const" in schema:
            return self.literal([schema["const"]], notes, nullable)
        if "enum" in schema:
            values = schema["enum"]
            if not isinstance(values, list) or not values:
                return self.any(notes, "an empty or malformed enum")
            return self.literal(values, notes, nullable)
        for word in ("anyOf", "oneOf"):
            if word in schema:
                arms = schema[word]
                if not isinstance(arms, list) or not arms:
                    return self.any(notes, f"an empty {word}")
                types = [self.annotation(arm, hint, notes, flags) for arm in arms]
                return self.union(types + (["None"] if nullable else []))
        if "allOf" in schema:
            parts = schema["allOf"]
            if isinstance(parts, list) and len(parts) == 1:
                return self.annotation(parts[0], hint, notes, flags)
            return self.any(notes, 'the schema\'s "allOf" is not translated')
        kind = schema.get("type")
        if kind is None:
            if "properties" in schema:
                kind = "object"
            elif "items" in schema:
                kind = "array"
            else:
                unknown = sorted(k for k in schema if k not in ("title", "description", "default", "examples"))
                if unknown:
                    return self.any(notes, f"the schema's {', '.join(map(repr, unknown))} is not translated")
                return self.any(notes, None)
        kinds = kind if isinstance(kind, list) else [kind]
        out: list[str] = []
        for k in kinds:
            out.append(self.one_type(k, schema, hint, notes, flags))
        if nullable:
            out.append("None")
        return self.union(out)

    def one_type(
        self, kind: Any, schema: Mapping[str, Any], hint: str, notes: list[str], flags: dict[str, bool]
    ) -> str:
        if kind in _SCALARS:
            return _SCALARS[kind]
        if kind == "array":
            items = schema.get("items")
            if items is None:
                self.imports.add("Any")
                return "list[Any]"
            if not isinstance(items, Mapping):
                return f"list[{self.any(notes, 'tuple-style items are not translated')}]"
            return f"list[{self.annotation(items, hint + 'Item', notes, flags)}]"
        if kind == "object":
            props = schema.get("properties")
            if isinstance(props, Mapping) and props:
                return self.object_class(schema, _pascal(str(schema["title"])) if schema.get("title") else hint)
            extra = schema.get("additionalProperties")
            if isinstance(extra, Mapping) and extra:
                return f"dict[str, {self.annotation(extra, hint + 'Value', notes, flags)}]"
            self.imports.add("Any")
            return "dict[str, Any]"
        return self.any(notes, f"type {json.dumps(kind)} is not translated")

    def any(self, notes: list[str], why: str | None) -> str:
        self.imports.add("Any")
        notes.append(why or "any JSON value")
        return "Any"

    def literal(self, values: Sequence[Any], notes: list[str], nullable: bool) -> str:
        if any(not (v is None or isinstance(v, (str, int, bool))) for v in values):
            return self.any(notes, f"enum values {json.dumps(list(values))} are not all strings, integers or booleans")
        plain = [v for v in values if v is not None]
        parts: list[str] = []
        if plain:
            self.imports.add("Literal")
            parts.append("Literal[" + ", ".join(json.dumps(v) if isinstance(v, str) else repr(v) for v in plain) + "]")
        if nullable or len(plain) != len(values):
            parts.append("None")
        return self.union(parts)

    @staticmethod
    def union(types: list[str]) -> str:
        seen: list[str] = []
        for t in types:
            for part in _split_top(t):
                if part not in seen:
                    seen.append(part)
        if "Any" in seen:
            return "Any"
        if "None" in seen:
            seen = [t for t in seen if t != "None"] + ["None"]
        return " | ".join(seen)

    def ref(self, pointer: Any, notes: list[str], flags: dict[str, bool]) -> str:
        if not isinstance(pointer, str) or not pointer.startswith("#"):
            return self.any(notes, f"$ref {json.dumps(pointer)} points outside the schema")
        if pointer in self.by_ref:
            name = self.by_ref[pointer]
            if name in self.pending:
                flags["forward"] = True
                self.forward_classes.add(name)
            return name
        target: Any = self.root
        for raw in pointer[1:].split("/")[1:] if pointer != "#" else []:
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(target, Mapping) and part in target:
                target = target[part]
            elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
                target = target[int(part)]
            else:
                return self.any(notes, f"$ref {json.dumps(pointer)} is not found in the schema")
        if pointer == "#":
            self.by_ref[pointer] = OUTPUT
            flags["forward"] = True
            self.forward_classes.add(OUTPUT)
            return OUTPUT
        is_class = (
            isinstance(target, Mapping) and isinstance(target.get("properties"), Mapping) and target["properties"]
        )
        if not is_class:
            self.by_ref[pointer] = "Any"  # a recursive non-object reference ends as Any
            out = self.annotation(target, _pascal(pointer.rsplit("/", 1)[-1]), notes, flags)
            del self.by_ref[pointer]
            return out
        return self.object_class(target, _pascal(pointer.rsplit("/", 1)[-1]), pointer=pointer)

    # -- classes ----------------------------------------------------------------------------

    def object_class(
        self, schema: Mapping[str, Any], wanted: str, *, pointer: str | None = None, name: str | None = None
    ) -> str:
        name = name or self.fresh(wanted)
        if pointer is not None:
            self.by_ref[pointer] = name
        self.pending.add(name)
        required = schema.get("required")
        required = set(required) if isinstance(required, list) else set()
        fields: list[_Field] = []
        for key, sub in schema["properties"].items():
            notes: list[str] = []
            flags = {"forward": False}
            ann = self.annotation(sub, name + _pascal(key), notes, flags)
            doc = sub.get("description") if isinstance(sub, Mapping) else None
            fields.append(
                _Field(str(key), ann, key in required, doc if isinstance(doc, str) else None, notes, flags["forward"])
            )
        self.pending.discard(name)
        doc = schema.get("description")
        self.blocks.append(self.class_block(name, fields, doc if isinstance(doc, str) else None, "output"))
        return name

    def class_block(self, name: str, fields: list[_Field], doc: str | None, role: str) -> list[str]:
        if self.pydantic:
            return self.model_block(name, fields, doc, role)
        return self.typeddict_block(name, fields, doc)

    def typeddict_block(self, name: str, fields: list[_Field], doc: str | None) -> list[str]:
        self.imports.add("TypedDict")
        req = [f for f in fields if f.required]
        opt = [f for f in fields if not f.required]
        lines: list[str] = []
        if all(_is_key_name(f.key) for f in fields):
            if req and opt:
                base = self.fresh(f"_{name}Required")
                lines += [f"class {base}(TypedDict):"]
                lines += self.td_body(req)
                lines += ["", "", f"class {name}({base}, total=False):"]
                lines += self.class_doc(doc, True)
                lines += self.td_body(opt)
            else:
                lines += [f"class {name}(TypedDict{'' if req or not opt else ', total=False'}):"]
                lines += self.class_doc(doc, bool(fields))
                lines += self.td_body(fields)
            return lines
        # A key that is not a Python name: the functional form, one per part.
        bases: list[str] = []
        for part, total in ((req, True), (opt, False)):
            if not part:
                continue
            base = self.fresh(f"_{name}{'Required' if total else 'Optional'}")
            bases.append(base)
            lines += [f"{base} = TypedDict(", f'    "{base}",', "    {"]
            for f in part:
                if f.doc:
                    lines += [f"        #: {_comment(f.doc)}"]
                note = f"  # {'; '.join(f.notes)}" if f.notes else ""
                ann = _quoted(f.annotation) if f.forward else f.annotation
                lines += [f"        {json.dumps(f.key)}: {ann},{note}"]
            lines += ["    },"] + ([] if total else ["    total=False,"]) + [")", "", ""]
        lines += [f"class {name}({', '.join(bases) or 'TypedDict'}):"]
        return lines + self.class_doc(doc, False)

    @staticmethod
    def class_doc(doc: str | None, fields: bool) -> list[str]:
        """The class's docstring (its schema's description), or ``pass`` for an empty class."""
        if doc and doc.strip():
            return _doc(doc, "    ") + ([""] if fields else [])
        return [] if fields else ["    pass"]

    @staticmethod
    def td_body(fields: list[_Field]) -> list[str]:
        lines: list[str] = []
        for f in fields:
            ann = _quoted(f.annotation) if f.forward else f.annotation
            note = f"  # {'; '.join(f.notes)}" if f.notes else ""
            lines.append(f"    {f.key}: {ann}{note}")
            if f.doc and f.doc.strip():
                lines += _doc(f.doc, "    ")
        return lines

    def model_block(self, name: str, fields: list[_Field], doc: str | None, role: str) -> list[str]:
        self.imports.add("BaseModel")
        lines = [f"class {name}(BaseModel):"]
        lines += self.class_doc(doc, bool(fields) or role == "input")
        if role == "input":
            # Files are SDK objects (not pydantic types), checked by isinstance; strict so a str
            # is never turned into a path.
            self.imports.add("ConfigDict")
            lines += ["    model_config = ConfigDict(arbitrary_types_allowed=True, strict=True)"] + (
                [""] if fields else []
            )
        for f in fields:
            attr, alias = f.key, None
            if (
                not _is_key_name(f.key)
                or f.key.startswith("_")
                or f.key.startswith("model_")
                or f.key in _SHADOWS | _TAKEN
            ):
                attr = re.sub(r"\W", "_", f.key).strip("_") or "field"
                if (
                    attr[0].isdigit()
                    or keyword.iskeyword(attr)
                    or attr in _SHADOWS | _TAKEN
                    or attr.startswith("model_")
                ):
                    attr = f"{attr}_"
                alias = f.key
            ann = f.annotation if f.required else self.union([f.annotation, "None"])
            if f.forward:
                ann = _quoted(ann)
            args = ([] if f.required else ["default=None"]) + ([f"alias={json.dumps(alias)}"] if alias else [])
            if alias:
                self.imports.add("Field")
                value = f" = Field({', '.join(args)})"
            else:
                value = "" if f.required else " = None"
            note = f"  # {'; '.join(f.notes)}" if f.notes else ""
            lines.append(f"    {attr}: {ann}{value}{note}")
            if f.doc and f.doc.strip():
                lines += _doc(f.doc, "    ")
        return lines


def _file_value() -> list[str]:
    return [
        "_Bytes: TypeAlias = bytes | bytearray | memoryview",
        "_BinaryFile: TypeAlias = io.BufferedIOBase | io.RawIOBase",
        f"{FILE_VALUE}: TypeAlias = File | UploadedFile | os.PathLike[str] | _Bytes | _BinaryFile",
        '"""What a file variable takes: a ``tela_sdk.File`` (also for URLs), an uploaded file, a path,',
        "the bytes, or a binary file object (``open(path, 'rb')``, ``io.BytesIO``); a ``str`` is text,",
        'never a file."""',
    ]


def render(
    *,
    canvas_id: str,
    version_id: str,
    variables: Sequence[Any] | None,
    output_schema: Mapping[str, Any] | None,
    pydantic: bool = False,
    command: str = "",
    title: str | None = None,
) -> str:
    """The module's text for one canvas version (deterministic: the same input, the same text)."""
    w = _Writer(output_schema, pydantic)
    vars_ = [_variable(v) for v in variables or ()]

    # The output first: its classes (dependencies first) end with CanvasOutput.
    output_alias: list[str] = []
    if output_schema is not None:
        schema = output_schema
        if isinstance(schema, Mapping) and isinstance(schema.get("properties"), Mapping) and schema["properties"]:
            w.object_class(schema, OUTPUT, pointer="#", name=OUTPUT)
        else:
            notes: list[str] = []
            flags = {"forward": False}
            ann = w.annotation(schema, OUTPUT + "Value", notes, flags)
            w.imports.add("TypeAlias")
            note = f"  # {'; '.join(notes)}" if notes else ""
            output_alias = [f"{OUTPUT}: TypeAlias = {ann}{note}", '"""The structured output (not an object)."""']

    uses_files = any(v.type == "file" for v in vars_)
    fields: list[_Field] = []
    for v in vars_:
        notes = []
        if v.type == "file":
            ann = f"{FILE_VALUE} | Sequence[{FILE_VALUE}]"
            w.imports.add("Sequence")
        elif v.type == "text":
            ann = "str"
        else:
            ann = w.any(notes, f"variable type {json.dumps(v.type)} is not translated")
        fields.append(_Field(v.name, ann, v.required, v.description, notes))
    input_doc = "The canvas's variables, as ``variables=`` takes them" + (
        " (``model_dump(by_alias=True, exclude_none=True)``)." if pydantic else "."
    )
    input_block = (
        w.model_block(INPUT, fields, input_doc, "input") if pydantic else w.typeddict_block(INPUT, fields, input_doc)
    )
    if not pydantic:
        w.imports.add("TypedDict")

    # -- the module -------------------------------------------------------------------------
    about = canvas_id
    if title and _comment(title):
        about = f"{_comment(title).replace(chr(92), chr(92) * 2).replace(chr(34), chr(39))} ({canvas_id})"
    example_vars = "variables.model_dump(by_alias=True, exclude_none=True)" if pydantic else "variables"
    lines = [
        f'"""Types of the Tela canvas {about}.',
        "",
        f"Generated by `{command or 'tela-sdk types ' + canvas_id}`.",
        "Do not edit: regenerate it with the same command (and `-o FILE`), and check it in CI with",
        "`--check FILE` (exit status 1 when the canvas has drifted from this file).",
        "",
        f"    variables: {INPUT} = {{...}}" if not pydantic else f"    variables = {INPUT}(...)",
        "    completion = client.completions.create(",
        f"        canvas_id=CANVAS_ID, variables={example_vars if pydantic else 'variables'}",
        "    )",
    ]
    if output_schema is not None:
        lines += [f"    output = completion.parse({OUTPUT})"]
    lines += ['"""', ""]
    stdlib: list[str] = []
    if uses_files:
        stdlib += ["import io", "import os"]
        w.imports.add("TypeAlias")
    if "Sequence" in w.imports:
        stdlib.append("from collections.abc import Sequence")
    typing_names = sorted(n for n in ("Any", "Literal", "TypeAlias", "TypedDict") if n in w.imports)
    if typing_names:
        stdlib.append(f"from typing import {', '.join(typing_names)}")
    lines += stdlib
    third: list[str] = []
    if pydantic:
        names = sorted(n for n in ("BaseModel", "ConfigDict", "Field") if n in w.imports)
        third.append(f"from pydantic import {', '.join(names)}")
    if uses_files:
        third.append("from tela_sdk import File, UploadedFile")
    if third:
        lines += ["", *third]
    exported = (
        ["CANVAS_ID", "VERSION_ID", INPUT]
        + ([OUTPUT] if output_schema is not None else [])
        + ([FILE_VALUE] if uses_files else [])
    )
    lines += ["", "__all__ = [" + ", ".join(json.dumps(n) for n in exported) + "]", ""]
    lines += [f"CANVAS_ID = {json.dumps(canvas_id)}", f"VERSION_ID = {json.dumps(version_id)}"]
    if uses_files:
        lines += ["", *_file_value()]
    for block in w.blocks:
        lines += ["", "", *block]
    if output_alias:
        lines += ["", *output_alias]
    lines += ["", "", *input_block]
    if pydantic and w.forward_classes:
        lines += ["", ""]
        lines += [f"{name}.model_rebuild()" for name in sorted(w.forward_classes)]
    return "\n".join(lines).rstrip() + "\n"


def drift(current: str, fresh: str, path: str) -> tuple[bool, str]:
    """Whether ``current`` (the file at ``path``) differs from ``fresh`` in anything but the
    version id, and the unified diff of the two (empty when they are the same text)."""
    same_types = _VERSION_LINE.sub("", current) == _VERSION_LINE.sub("", fresh)
    diff = "".join(
        difflib.unified_diff(
            current.splitlines(keepends=True),
            fresh.splitlines(keepends=True),
            fromfile=f"{path} (the file)",
            tofile=f"{path} (the canvas now)",
        )
    )
    return not same_types, diff
