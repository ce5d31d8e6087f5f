"""``client.usage``: what a client and its ``with_options`` copies have used (the ledger is
kept in the core, fed where requests are sent; this is its read-only view)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._native import NativeClient

__all__ = ["Usage", "UsageTotals"]


class UsageTotals:
    """One set of totals: ``requests`` (HTTP requests to the API; a retried one counts
    once), ``attempts`` (every try), ``input_tokens``, ``output_tokens``, ``cost`` (the sum
    of the costs the answers reported), ``currency`` (when an answer named one, as Dify's do;
    ``"mixed"`` when they differ) and ``time`` (seconds spent in requests; a stream until it
    ended or was closed)."""

    __slots__ = ("attempts", "cost", "currency", "input_tokens", "output_tokens", "requests", "time")

    def __init__(self, data: dict[str, object]) -> None:
        self.requests = int(data.get("requests") or 0)  # type: ignore[call-overload]
        self.attempts = int(data.get("attempts") or 0)  # type: ignore[call-overload]
        self.input_tokens = int(data.get("input_tokens") or 0)  # type: ignore[call-overload]
        self.output_tokens = int(data.get("output_tokens") or 0)  # type: ignore[call-overload]
        self.cost = float(data.get("cost") or 0.0)  # type: ignore[arg-type]
        currency = data.get("currency")
        self.currency = currency if isinstance(currency, str) else None
        self.time = float(data.get("time") or 0.0)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in _FIELDS}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UsageTotals) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        cost = f"{self.cost:g}" + (f" {self.currency}" if self.currency else "")
        return (
            f"{type(self).__name__}(requests={self.requests}, attempts={self.attempts}, "
            f"input_tokens={self.input_tokens}, output_tokens={self.output_tokens}, cost={cost}, "
            f"time={self.time:.3f}s)"
        )


_FIELDS = ("requests", "attempts", "input_tokens", "output_tokens", "cost", "currency", "time")


class Usage(UsageTotals):
    """``client.usage``: the totals overall (the attributes of ``UsageTotals``), and
    ``by_canvas[id]``, ``by_app[application_id]``, ``by_tag[tag]`` with the same fields.
    Each read is a fresh snapshot; ``reset()`` starts every copy of the client again."""

    __slots__ = ("_native", "by_app", "by_canvas", "by_tag")

    def __init__(self, native: NativeClient) -> None:
        self._native = native
        data = json.loads(native.usage())
        super().__init__(data["all"])
        self.by_canvas = {k: UsageTotals(v) for k, v in data["by_canvas"].items()}
        self.by_app = {k: UsageTotals(v) for k, v in data["by_app"].items()}
        self.by_tag = {k: UsageTotals(v) for k, v in data["by_tag"].items()}

    def reset(self) -> None:
        """Starts the ledger again, for this client and every ``with_options`` copy."""
        self._native.reset_usage()
