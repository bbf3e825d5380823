"""Data for the README's message catalogue, generated from the tables."""

from __future__ import annotations

from enum import IntEnum
from typing import Any, NamedTuple

from . import Messages
from .fields import MISSING, REQUIRED, Derived


class FieldDoc(NamedTuple):
    """One field of a message: name, type description, default ("required" when none)."""

    name: str
    type: str
    default: str


class MessageDoc(NamedTuple):
    """One message: namespace, name, pkt_type, fields and the names of its State replies."""

    namespace: str
    name: str
    pkt_type: int
    fields: tuple[FieldDoc, ...]
    replies: tuple[str, ...]


def _default(value: Any) -> str:
    if value is REQUIRED or value is MISSING:
        return "required"
    if isinstance(value, Derived):
        return repr(value)
    if isinstance(value, IntEnum):
        return value.name
    if value == ():
        return "[]"
    if value is None:
        return "{}"
    return repr(value)


def catalog() -> list[MessageDoc]:
    """Every message as (namespace, name, pkt_type, fields, reply names), in table order."""
    rows: list[MessageDoc] = []
    for cls in Messages.all():
        fields = tuple(
            FieldDoc(name, ftype.describe(), _default(default))
            for name, ftype, default, _ in cls._layout.fields
        )
        rows.append(MessageDoc(cls.namespace, cls.name, cls.pkt_type, fields, cls.reply_names))
    return rows


def markdown() -> str:
    """The catalogue as a Markdown table (one row per message)."""
    lines = ["| namespace | message | type | fields | replies |", "|---|---|---|---|---|"]
    for row in catalog():
        fields = ", ".join(
            f"`{f.name}`: {f.type}" + ("" if f.default == "required" else f" = {f.default}")
            for f in row.fields
        )
        lines.append(
            f"| {row.namespace} | {row.name} | {row.pkt_type} | {fields or '-'} | "
            f"{', '.join(row.replies) or '-'} |"
        )
    return "\n".join(lines) + "\n"
